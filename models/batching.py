"""The layout of a batch of documents for the model: chunks → paragraphs → documents, and encoder buckets.

Pages mix one-word chrome lines with long paragraphs; padding them all to the longest
wastes most of the encoder's compute, so chunks are sorted by length and run in
buckets bounded by a token budget and by padding (:func:`plan_buckets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from .features import EncodedDocument


def plan_buckets(lengths: Sequence[int], max_tokens: int, max_padding: float = 0.2) -> list[list[int]]:
    """Group sequence indices into encoder batches, shortest first.

    A batch grows while its padded size (longest × count) stays within ``max_tokens``
    and its padding within ``max_padding`` of that size, so that one long chunk does not
    stretch a batch of short ones. A sequence longer than ``max_tokens`` gets a batch alone.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        end, real = start + 1, lengths[order[start]]
        while end < len(order):
            width, count = lengths[order[end]], end - start + 1
            padded = width * count
            if padded > max_tokens or padded - (real + width) > max_padding * padded:
                break
            real += width
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


@dataclass
class BatchLayout:
    """Featurised documents flattened into one batch: every chunk and paragraph with its owner."""

    documents: list[EncodedDocument]
    chunk_offsets: list[int] = field(default_factory=list)  # first chunk of each document
    paragraph_offsets: list[int] = field(default_factory=list)  # first paragraph of each document
    chunk_paragraph: list[int] = field(default_factory=list)  # global paragraph of each chunk
    paragraph_document: list[int] = field(default_factory=list)
    paragraph_position: list[int] = field(default_factory=list)
    paragraph_features: list[list[float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        chunks = paragraphs = 0
        for index, doc in enumerate(self.documents):
            self.chunk_offsets.append(chunks)
            self.paragraph_offsets.append(paragraphs)
            n = len(doc.paragraph_features)
            self.chunk_paragraph.extend(p + paragraphs for p in doc.chunk_paragraph)
            self.paragraph_document.extend([index] * n)
            self.paragraph_position.extend(range(n))
            self.paragraph_features.extend(doc.paragraph_features)
            chunks += len(doc.input_ids)
            paragraphs += n

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for doc in self.documents for ids in doc.input_ids]

    def flat_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Word-piece ids and gazetteer ids of all chunks in flat arrays, with each chunk's start and length."""
        lengths = np.fromiter(self.lengths, dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        total = int(lengths.sum())
        ids = np.fromiter(chain.from_iterable(i for d in self.documents for i in d.input_ids), dtype=np.int64, count=total)
        gazetteer = np.fromiter(chain.from_iterable(g for d in self.documents for g in d.gazetteer_ids), dtype=np.int64, count=total)
        return ids, gazetteer, starts, lengths


def gather_bucket(
    rows: np.ndarray, flat_ids: np.ndarray, flat_gazetteer: np.ndarray, starts: np.ndarray, lengths: np.ndarray, pad_id: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded ids, gazetteer ids and attention mask of the chunks ``rows``, gathered without a Python loop per token."""
    columns = np.arange(lengths[rows].max())
    valid = columns[None, :] < lengths[rows][:, None]
    gather = np.where(valid, starts[rows][:, None] + columns[None, :], 0)
    return np.where(valid, flat_ids[gather], pad_id), np.where(valid, flat_gazetteer[gather], 0), valid.astype(np.int64)

"""SPEC.md JSONL → ``datasets`` → model features, and the document collator.

As in ``run_ner.py``: ``load_dataset("json", ...)`` then ``.map(batched=True)``;
word-piece labels come from character offsets, -100 where there is no gold.
One training example is one page: its paragraphs must meet in one batch, because
the kind of a paragraph depends on its neighbours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
from datasets import Dataset, DatasetDict, load_dataset
from transformers import PreTrainedTokenizerFast

from models.features import encode_document, tag_labels
from models.labels import BODY_KINDS, IGNORE_INDEX, KIND2ID, STANCE2ID
from models.registry import ActorRegistry


def load_documents(files: dict[str, str]) -> DatasetDict:
    """Load SPEC.md JSONL files (split name → path) with ``datasets``."""
    return load_dataset("json", data_files=files)


def _paragraph_gold(paragraph: dict) -> tuple[int, int, list | None]:
    kind = KIND2ID[paragraph["kind"]]
    body = paragraph["kind"] in BODY_KINDS
    stance = STANCE2ID[paragraph["stance"]] if body and paragraph.get("stance") else IGNORE_INDEX
    actors = None
    if body and paragraph.get("actors") is not None:
        actors = [(a["start"], a["end"], a["type"]) for a in paragraph["actors"]]
    return kind, stance, actors


def make_feature_fn(tokenizer: PreTrainedTokenizerFast, registry: ActorRegistry | None, max_tokens: int, stride: int):
    """A batched ``map`` function turning documents into model features."""

    def featurize(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list] = {
            k: []
            for k in ("input_ids", "chunk_paragraph", "gazetteer_ids", "paragraph_features", "kind_labels", "stance_labels", "tag_labels")
        }
        for paragraphs in batch["paragraphs"]:
            texts = [p["text"] for p in paragraphs]
            doc = encode_document(texts, tokenizer, registry, max_tokens, stride)
            gold = [_paragraph_gold(p) for p in paragraphs]
            out["input_ids"].append(doc.input_ids)
            out["chunk_paragraph"].append(doc.chunk_paragraph)
            out["gazetteer_ids"].append(doc.gazetteer_ids)
            out["paragraph_features"].append(doc.paragraph_features)
            out["kind_labels"].append([g[0] for g in gold])
            out["stance_labels"].append([g[1] for g in gold])
            out["tag_labels"].append(tag_labels(doc, [g[2] for g in gold]))
        return out

    return featurize


def featurize_dataset(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerFast,
    registry: ActorRegistry | None,
    max_tokens: int,
    stride: int,
    desc: str = "featurize",
) -> Dataset:
    return dataset.map(
        make_feature_fn(tokenizer, registry, max_tokens, stride),
        batched=True,
        batch_size=32,
        remove_columns=dataset.column_names,
        desc=desc,
    )


@dataclass
class DocumentCollator:
    """Flatten the paragraphs of several documents into one batch of chunks.

    ``gazetteer_dropout`` hides registry matches for a share of documents while
    training, so the tagger also learns to find actors the registry does not know.
    """

    pad_token_id: int
    gazetteer_dropout: float = 0.0

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        chunks: list[list[int]] = []
        gazetteer: list[list[int]] = []
        tags: list[list[int]] = []
        chunk_paragraph: list[int] = []
        paragraph_document: list[int] = []
        paragraph_position: list[int] = []
        paragraph_features: list[list[float]] = []
        kinds: list[int] = []
        stances: list[int] = []
        offset = 0
        for doc_index, feature in enumerate(features):
            n_paragraphs = len(feature["paragraph_features"])
            hide = self.gazetteer_dropout > 0 and random.random() < self.gazetteer_dropout
            chunks.extend(feature["input_ids"])
            gazetteer.extend([[0] * len(g) for g in feature["gazetteer_ids"]] if hide else feature["gazetteer_ids"])
            tags.extend(feature.get("tag_labels") or [[IGNORE_INDEX] * len(c) for c in feature["input_ids"]])
            chunk_paragraph.extend(p + offset for p in feature["chunk_paragraph"])
            paragraph_document.extend([doc_index] * n_paragraphs)
            paragraph_position.extend(range(n_paragraphs))
            paragraph_features.extend(feature["paragraph_features"])
            kinds.extend(feature.get("kind_labels") or [IGNORE_INDEX] * n_paragraphs)
            stances.extend(feature.get("stance_labels") or [IGNORE_INDEX] * n_paragraphs)
            offset += n_paragraphs
        width = max(len(c) for c in chunks)

        def pad(rows: list[list[int]], value: int) -> torch.Tensor:
            return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)

        return {
            "input_ids": pad(chunks, self.pad_token_id),
            "attention_mask": pad([[1] * len(c) for c in chunks], 0),
            "gazetteer_ids": pad(gazetteer, 0),
            "tag_labels": pad(tags, IGNORE_INDEX),
            "chunk_paragraph": torch.tensor(chunk_paragraph, dtype=torch.long),
            "paragraph_document": torch.tensor(paragraph_document, dtype=torch.long),
            "paragraph_position": torch.tensor(paragraph_position, dtype=torch.long),
            "paragraph_features": torch.tensor(paragraph_features, dtype=torch.float),
            "kind_labels": torch.tensor(kinds, dtype=torch.long),
            "stance_labels": torch.tensor(stances, dtype=torch.long),
        }

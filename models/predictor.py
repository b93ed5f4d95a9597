"""Inference: raw page text in, every paragraph labelled out.

The predictor featurises all paragraphs of a batch of documents at once
(:class:`~models.features.Featurizer`), sorts the chunks by length and runs the encoder
in batches bounded by a token budget and by padding (:func:`plan_buckets`), in the
precision the hardware does best (:mod:`models.precision`) or in ONNX Runtime
(:mod:`models.onnx_encoder`); then it runs the document-level heads once per batch and
decodes (:class:`~models.decoding.Decoder`). With ``cpu_workers``, featurisation and
decoding run in worker processes around the model (:mod:`models.workers`).
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path

import numpy as np
import torch
from transformers import PreTrainedTokenizerFast  # type: ignore[attr-defined]

from .base import load_tokenizer
from .checkpoint import LINKER_FILE, REGISTRY_FILE
from .decoding import ActorPrediction, Decoder, DocumentOutputs, DocumentPrediction, ParagraphPrediction
from .features import EncodedDocument, Featurizer
from .linking import ActorLinker
from .modeling import NewsPageModel
from .onnx_encoder import BACKENDS, prepare_onnx_encoder
from .precision import dtype_name, resolve_dtype
from .registry import ActorRegistry
from .text import split_paragraphs
from .workers import Pending, WorkerPool

logger = logging.getLogger(__name__)


class _Done:
    """Work already done in this process, with the same ``result()`` as :class:`Pending`."""

    def __init__(self, value: list) -> None:
        self.value = value

    def result(self) -> list:
        return self.value


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


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


class Predictor:
    def __init__(
        self,
        model: NewsPageModel,
        tokenizer: PreTrainedTokenizerFast,
        registry: ActorRegistry,
        linker: ActorLinker,
        device: str | torch.device | None = None,
        max_batch_tokens: int = 2048,
        max_paragraph_chars: int | None = None,
        encode_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        precision: str | torch.dtype = "float32",
        backend: str = "torch",
        cpu_workers: int = 0,
        max_padding: float = 0.2,
    ) -> None:
        """``precision`` is the encoder's number format (see :mod:`models.precision`); the
        model's encoder is cast in place. ``encode_fn`` replaces the encoder call, e.g. by
        an ONNX Runtime session (:mod:`models.onnx_encoder`), named by ``backend``.
        ``cpu_workers`` processes featurise and decode around the model (see :mod:`models.workers`)."""
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model: NewsPageModel = model.to(self.device).eval()  # type: ignore[arg-type]
        self.tokenizer = tokenizer
        self.registry = registry
        self.linker = linker
        self.max_batch_tokens = max_batch_tokens
        self.max_padding = max_padding
        self.max_paragraph_chars = max_paragraph_chars
        self.backend = backend if encode_fn is not None else "torch"
        self.dtype = torch.float32 if encode_fn is not None else resolve_dtype(precision, self.device)
        if self.dtype != torch.float32:
            self.model.encoder.to(self.dtype)
            if self.model.gazetteer is not None:
                self.model.gazetteer.to(self.dtype)
        # the encoder call (input_ids, attention_mask, gazetteer_ids) → float32 states
        self.encode_fn = encode_fn or self._encode
        self.config = model.config
        self.featurizer = Featurizer(tokenizer, registry if self.config.use_gazetteer else None, self.config.max_tokens, self.config.stride)
        self.decoder = Decoder(list(self.config.kinds), list(self.config.stances), registry, linker, max_paragraph_chars)
        self._pool = WorkerPool(self.featurizer, self.decoder, cpu_workers) if cpu_workers > 0 else None

    def _encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor) -> torch.Tensor:
        return self.model.encode(input_ids, attention_mask, gazetteer_ids).float()  # heads run in float32

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str | None = None, precision: str = "float32", backend: str = "torch", **kwargs
    ) -> Predictor:
        """Load a checkpoint directory; ``backend`` is "torch", "onnx" or "onnx-int8" (CPU only)."""
        path = Path(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"no checkpoint at {path} (config.json missing); train one with `make train`")
        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend != "torch" and device not in (None, "cpu"):
            raise ValueError(f"the {backend} backend runs on the CPU (ONNX Runtime's CPU provider), not on {device}")
        model = NewsPageModel.from_pretrained(path)
        tokenizer = load_tokenizer(path)
        registry = ActorRegistry.load(path / REGISTRY_FILE)
        linker = ActorLinker.load(path / LINKER_FILE, registry)
        if backend != "torch":
            encoder = prepare_onnx_encoder(model.eval(), backend, path)
            return cls(model, tokenizer, registry, linker, device="cpu", encode_fn=encoder, backend=backend, **kwargs)
        return cls(model, tokenizer, registry, linker, device=device, precision=precision, **kwargs)

    @property
    def base_model(self) -> dict:
        return dict(self.config.base_model)

    @property
    def runtime(self) -> dict:
        """How inference runs: device, encoder backend and number format."""
        precision = "int8 weights" if self.backend == "onnx-int8" else dtype_name(self.dtype)
        return {"device": str(self.device), "backend": self.backend, "precision": precision}

    # ------------------------------------------------------------------ core
    def _clip(self, documents: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[list[str]]]:
        """The documents whole, and as the model reads them (paragraphs cut at ``max_paragraph_chars``)."""
        full = [list(d) for d in documents]
        limit = self.max_paragraph_chars
        return full, ([[t[:limit] for t in d] for d in full] if limit else full)

    def predict_paragraphs(self, documents: Sequence[Sequence[str]]) -> list[list[ParagraphPrediction]]:
        """Label the paragraphs of each document; actor offsets are relative to the paragraph.

        A paragraph longer than ``max_paragraph_chars`` is classified from its first
        ``max_paragraph_chars`` characters (actors are found there only) and flagged
        ``truncated``; its text and offsets are returned whole.
        """
        return next(iter(self._predict_batches([list(documents)], prefetch=0)))

    def predict_stream(
        self, documents: Iterable[Sequence[str]], batch_pages: int = 16, prefetch: int = 2
    ) -> Iterator[list[ParagraphPrediction]]:
        """Label any number of documents, yielding each one's paragraphs in input order.

        With ``cpu_workers``, the next ``prefetch`` batches of ``batch_pages`` documents are
        featurised, and the previous batch decoded, in the worker processes while the
        model runs on the current one; without, this is :meth:`predict_paragraphs` batch by batch.
        """
        for batch in self._predict_batches(_batched(documents, batch_pages), prefetch):
            yield from batch

    def _predict_batches(self, batches: Iterable[list[Sequence[str]]], prefetch: int) -> Iterator[list[list[ParagraphPrediction]]]:
        featurizing: deque = deque()  # (full, clipped, features or their Pending)
        decoding: deque = deque()  # (results, positions, Pending decodes)

        def start_featurizing(batch: list[Sequence[str]]) -> None:
            full, clipped = self._clip(batch)
            non_empty = [d for d in clipped if d]
            featurizing.append((full, clipped, self._pool.featurize(non_empty) if self._pool else non_empty))

        def finish_decoding() -> list[list[ParagraphPrediction]]:
            results, positions, pending = decoding.popleft()
            for position, paragraphs in zip(positions, pending.result(), strict=True):
                results[position] = paragraphs
            return results

        for batch in batches:
            start_featurizing(batch)
            if len(featurizing) <= prefetch:
                continue
            self._model_step(featurizing.popleft(), decoding)
            while len(decoding) > 1 or (decoding and not self._pool):
                yield finish_decoding()
        while featurizing:
            self._model_step(featurizing.popleft(), decoding)
        while decoding:
            yield finish_decoding()

    def _model_step(self, item: tuple, decoding: deque) -> None:
        """Run the model on one featurised batch and queue its decoding (in the workers, if any)."""
        full, clipped, features = item
        encoded = features.result() if isinstance(features, Pending) else self.featurizer(features)
        positions = [i for i, d in enumerate(clipped) if d]
        outputs = self._run_model(encoded)
        jobs = [(full[i], doc, out) for i, doc, out in zip(positions, encoded, outputs, strict=True)]
        results: list[list[ParagraphPrediction]] = [[] for _ in clipped]
        decoded = self._pool.decode(jobs) if self._pool and jobs else _Done([self.decoder.decode(*job) for job in jobs])
        decoding.append((results, positions, decoded))

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @torch.inference_mode()
    def _run_model(self, encoded: list[EncodedDocument]) -> list[DocumentOutputs]:
        """Encoder, document context and heads over featurised documents, as plain lists per document.

        Word-piece tags are computed only for chunks of paragraphs predicted as body:
        actors are reported for body paragraphs alone.
        """
        if not encoded:
            return []
        chunks: list[tuple[list[int], list[int]]] = []
        chunk_paragraph: list[int] = []
        paragraph_document: list[int] = []
        paragraph_position: list[int] = []
        features: list[list[float]] = []
        offset = 0
        for doc_index, doc in enumerate(encoded):
            chunks.extend(zip(doc.input_ids, doc.gazetteer_ids, strict=True))
            chunk_paragraph.extend(p + offset for p in doc.chunk_paragraph)
            n = len(doc.paragraph_features)
            paragraph_document.extend([doc_index] * n)
            paragraph_position.extend(range(n))
            features.extend(doc.paragraph_features)
            offset += n

        buckets, vectors = self._encode_sorted(chunks)
        t = lambda xs: torch.tensor(xs, dtype=torch.long, device=self.device)  # noqa: E731
        chunk_paragraph_t = t(chunk_paragraph)
        kind_logits, stance_logits, context = self.model.contextualize(
            vectors, chunk_paragraph_t, t(paragraph_document), t(paragraph_position), torch.tensor(features, device=self.device)
        )
        kind_probs = kind_logits.float().softmax(-1)
        body_kinds = torch.tensor(sorted(self.decoder.body_kind_ids), device=self.device)
        chunk_is_body = torch.isin(kind_probs.argmax(-1), body_kinds)[chunk_paragraph_t]
        chunk_context = context[chunk_paragraph_t]
        tag_ids: dict[int, list[int]] = {}
        tag_scores: dict[int, list[float]] = {}
        for indices, states in buckets:
            rows = torch.nonzero(chunk_is_body[t(indices)]).flatten()
            if rows.numel() == 0:
                continue
            body = [indices[r] for r in rows.tolist()]
            score, ids = self.model.tag(states[rows], chunk_context[t(body)]).float().softmax(-1).max(-1)
            for i, id_row, score_row in zip(body, ids.tolist(), score.tolist(), strict=True):
                n = len(chunks[i][0])
                tag_ids[i], tag_scores[i] = id_row[:n], score_row[:n]

        kind_list: list[list[float]] = kind_probs.tolist()
        stance_list: list[list[float]] = stance_logits.float().softmax(-1).tolist()
        outputs: list[DocumentOutputs] = []
        paragraph_offset = chunk_offset = 0
        for doc in encoded:
            n, m = len(doc.paragraph_features), len(doc.input_ids)
            outputs.append(
                DocumentOutputs(
                    kind_probs=kind_list[paragraph_offset : paragraph_offset + n],
                    stance_probs=stance_list[paragraph_offset : paragraph_offset + n],
                    tag_ids={c - chunk_offset: tag_ids[c] for c in range(chunk_offset, chunk_offset + m) if c in tag_ids},
                    tag_scores={c - chunk_offset: tag_scores[c] for c in range(chunk_offset, chunk_offset + m) if c in tag_scores},
                )
            )
            paragraph_offset += n
            chunk_offset += m
        return outputs

    def _encode_sorted(self, chunks: list[tuple[list[int], list[int]]]) -> tuple[list[tuple[list[int], torch.Tensor]], torch.Tensor]:
        """Run the encoder over length-sorted buckets of at most ``max_batch_tokens`` padded tokens (see :func:`plan_buckets`).

        Returns the buckets (chunk indices, padded states) and the vector of every chunk
        (see :meth:`NewsPageModel.chunk_vectors`) in the original order.
        """
        pad = self.tokenizer.pad_token_id or 0
        buckets: list[tuple[list[int], torch.Tensor]] = []
        vectors: torch.Tensor | None = None
        # all word pieces in flat arrays; each bucket is gathered from them without a Python loop per token
        lengths = np.fromiter((len(c[0]) for c in chunks), dtype=np.int64, count=len(chunks))
        starts = np.cumsum(lengths) - lengths
        flat_ids = np.fromiter(chain.from_iterable(c[0] for c in chunks), dtype=np.int64, count=int(lengths.sum()))
        flat_gaz = np.fromiter(chain.from_iterable(c[1] for c in chunks), dtype=np.int64, count=int(lengths.sum()))
        for batch in plan_buckets(lengths.tolist(), self.max_batch_tokens, self.max_padding):
            rows = np.asarray(batch)
            columns = np.arange(lengths[rows].max())
            valid = columns[None, :] < lengths[rows][:, None]
            gather = np.where(valid, starts[rows][:, None] + columns[None, :], 0)
            ids = torch.from_numpy(np.where(valid, flat_ids[gather], pad)).to(self.device, non_blocking=True)
            gaz = torch.from_numpy(np.where(valid, flat_gaz[gather], 0)).to(self.device, non_blocking=True)
            mask = torch.from_numpy(valid.astype(np.int64)).to(self.device, non_blocking=True)
            states = self.encode_fn(ids, mask, gaz)
            chunk_vectors = self.model.chunk_vectors(states, mask)
            if vectors is None:
                vectors = chunk_vectors.new_zeros(len(chunks), chunk_vectors.shape[-1])
            vectors[torch.tensor(batch, device=self.device)] = chunk_vectors
            buckets.append((batch, states))
        assert vectors is not None
        return buckets, vectors

    # ------------------------------------------------------------------ text in, document out
    def predict_texts(self, texts: Sequence[str]) -> list[DocumentPrediction]:
        splits = [split_paragraphs(text) for text in texts]
        labelled = self.predict_paragraphs([[p.text for p in s] for s in splits])
        return [self._document(split, labels) for split, labels in zip(splits, labelled, strict=True)]

    def predict_text(self, text: str) -> DocumentPrediction:
        return self.predict_texts([text])[0]

    def predict_text_stream(self, texts: Iterable[str], batch_pages: int = 16, prefetch: int = 2) -> Iterator[DocumentPrediction]:
        """:meth:`predict_texts` for any number of pages, in order (see :meth:`predict_stream`)."""
        splits: deque = deque()

        def paragraphs() -> Iterator[list[str]]:
            for text in texts:
                split = split_paragraphs(text)
                splits.append(split)
                yield [p.text for p in split]

        for labelled in self.predict_stream(paragraphs(), batch_pages, prefetch):
            yield self._document(splits.popleft(), labelled)

    def _document(self, paragraphs, labelled: list[ParagraphPrediction]) -> DocumentPrediction:
        mentions: dict[str, dict] = {}
        triples: Counter = Counter()
        stance_counts: Counter = Counter()
        for paragraph, prediction in zip(paragraphs, labelled, strict=True):
            prediction.start, prediction.end = paragraph.start, paragraph.end
            for actor in prediction.actors:
                actor.start += paragraph.start
                actor.end += paragraph.start
                key = actor.actor or actor.text
                entry = mentions.setdefault(key, {"actor": actor.actor, "type": actor.type, "name_en": None, "mentions": 0, "surfaces": []})
                entry["mentions"] += 1
                if actor.text not in entry["surfaces"]:
                    entry["surfaces"].append(actor.text)
                registered = self.registry.get(actor.actor) if actor.actor else None
                if registered:
                    entry["name_en"] = registered.name_en
            if prediction.is_body and prediction.stance:
                stance_counts[prediction.stance] += 1
            for triple in prediction.stances:
                triples[(triple["holder"], triple["target"], triple["polarity"])] += 1
        body_text = "\n\n".join(p.text for p in labelled if p.is_body)
        summary = {
            "paragraphs": dict(stance_counts),
            "triples": [{"holder": h, "target": t, "polarity": p, "paragraphs": n} for (h, t, p), n in triples.most_common()],
        }
        actors = sorted(mentions.values(), key=lambda e: -e["mentions"])
        return DocumentPrediction(labelled, body_text, actors, summary)


__all__ = ["ActorPrediction", "DocumentPrediction", "ParagraphPrediction", "Predictor", "EncodedDocument"]

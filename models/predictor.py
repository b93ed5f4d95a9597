"""Inference: raw page text in, every paragraph labelled out.

The predictor featurises all paragraphs of a batch of documents at once
(:class:`~models.features.Featurizer`), sorts the chunks by length and runs the encoder
in buckets bounded by a token budget and by padding (:mod:`models.batching`), in the
precision the hardware does best (:mod:`models.precision`) or in ONNX Runtime
(:mod:`models.onnx_encoder`). The document-level heads then run once per batch; the
tagger runs on the chunks of body paragraphs only, their spans are linked
(:mod:`models.actors`), and the triple head scores the candidate pairs of those actors
(:mod:`models.triples`). Paragraphs are assembled by the :class:`~models.decoding.Decoder`;
with ``cpu_workers``, featurisation and assembly run in worker processes around the
model (:mod:`models.workers`).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import numpy as np
import torch
from transformers import PreTrainedTokenizerFast  # type: ignore[attr-defined]

from .actors import ActorDecoder, ActorPrediction
from .batching import BatchLayout, gather_bucket, plan_buckets
from .checkpoint import load_checkpoint
from .decoding import Decoder, DocumentOutputs, DocumentPrediction, ParagraphPrediction, summarize_document
from .features import EncodedDocument, Featurizer, candidate_spans
from .linking import ActorLinker
from .modeling import NewsPageModel
from .onnx_encoder import BACKENDS, prepare_onnx_encoder
from .precision import dtype_name, resolve_dtype
from .registry import ActorRegistry
from .text import split_paragraphs
from .triples import MentionRef, PairCandidate, candidate_pairs
from .workers import Pending, WorkerPool

logger = logging.getLogger(__name__)

DEFAULT_MAX_BATCH_TOKENS = 4096  # padded word pieces per encoder batch (the load test's best on 2 CPU cores)


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


class Predictor:
    def __init__(
        self,
        model: NewsPageModel,
        tokenizer: PreTrainedTokenizerFast,
        registry: ActorRegistry,
        linker: ActorLinker,
        device: str | torch.device | None = None,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        max_paragraph_chars: int | None = None,
        encode_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        precision: str | torch.dtype = "float32",
        backend: str = "torch",
        cpu_workers: int = 0,
        max_padding: float = 0.2,
        registry_spans: bool = False,
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
        self.decoder = Decoder(list(self.config.kinds), list(self.config.stances), max_paragraph_chars, self.config.stance_logit_bias)
        self.pair_none_bias = float(getattr(self.config, "pair_none_bias", 0.0))  # raise it for fewer, surer triples
        self.actor_decoder = ActorDecoder(linker, registry_spans=registry_spans)
        self._pool = WorkerPool(self.featurizer, self.decoder, cpu_workers) if cpu_workers > 0 else None

    def _encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor) -> torch.Tensor:
        return self.model.encode(input_ids, attention_mask, gazetteer_ids).float()  # heads run in float32

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str | None = None, precision: str = "float32", backend: str = "torch", **kwargs
    ) -> Predictor:
        """Load a checkpoint directory; ``backend`` is "torch", "onnx" or "onnx-int8" (CPU only)."""
        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend != "torch" and device not in (None, "cpu"):
            raise ValueError(f"the {backend} backend runs on the CPU (ONNX Runtime's CPU provider), not on {device}")
        checkpoint = load_checkpoint(path)
        parts = (checkpoint.model, checkpoint.tokenizer, checkpoint.registry, checkpoint.linker)
        if backend != "torch":
            encoder = prepare_onnx_encoder(checkpoint.model.eval(), backend, checkpoint.path)
            return cls(*parts, device="cpu", encode_fn=encoder, backend=backend, **kwargs)
        return cls(*parts, device=device, precision=precision, **kwargs)

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
        outputs = self._run_model(encoded, [clipped[i] for i in positions])
        jobs = [(full[i], out) for i, out in zip(positions, outputs, strict=True)]
        results: list[list[ParagraphPrediction]] = [[] for _ in clipped]
        decoded = self._pool.decode(jobs) if self._pool and jobs else _Done([self.decoder.decode(*job) for job in jobs])
        decoding.append((results, positions, decoded))

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _tensor(self, values: list) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.long, device=self.device)

    @torch.inference_mode()
    def _run_model(self, encoded: list[EncodedDocument], texts: list[list[str]]) -> list[DocumentOutputs]:
        """Encoder, document context and heads over featurised documents, as plain lists per document.

        Word-piece tags, actors and triples are computed for body paragraphs only.
        """
        if not encoded:
            return []
        layout = BatchLayout(encoded)
        buckets, vectors = self._encode_buckets(layout)
        chunk_paragraph = self._tensor(layout.chunk_paragraph)
        kind_logits, stance_logits, context, paragraph_repr = self.model.contextualize(
            vectors,
            chunk_paragraph,
            self._tensor(layout.paragraph_document),
            self._tensor(layout.paragraph_position),
            torch.tensor(layout.paragraph_features, device=self.device),
        )
        kind_probs = kind_logits.float().softmax(-1)
        body_kinds = torch.tensor(sorted(self.decoder.body_kind_ids), device=self.device)
        paragraph_is_body = torch.isin(kind_probs.argmax(-1), body_kinds)
        chunk_is_body = paragraph_is_body[chunk_paragraph]
        chunk_context = context[chunk_paragraph]
        tag_ids: dict[int, list[int]] = {}
        tag_scores: dict[int, list[float]] = {}
        for indices, states in buckets:
            rows = torch.nonzero(chunk_is_body[self._tensor(indices)]).flatten()
            if rows.numel() == 0:
                continue
            body = [indices[r] for r in rows.tolist()]
            score, ids = self.model.tag(states[rows], chunk_context[self._tensor(body)]).float().softmax(-1).max(-1)
            lengths = layout.lengths
            for i, id_row, score_row in zip(body, ids.tolist(), score.tolist(), strict=True):
                tag_ids[i], tag_scores[i] = id_row[: lengths[i]], score_row[: lengths[i]]

        is_body: list[bool] = paragraph_is_body.tolist()
        actors: list[dict[int, list[ActorPrediction]]] = []
        candidates: list[tuple[int, PairCandidate]] = []
        for d, doc in enumerate(encoded):
            first_chunk, first_paragraph = layout.chunk_offsets[d], layout.paragraph_offsets[d]
            local = range(first_chunk, first_chunk + len(doc.input_ids))
            spans = self.actor_decoder.paragraph_spans(
                doc,
                {c - first_chunk: tag_ids[c] for c in local if c in tag_ids},
                {c - first_chunk: tag_scores[c] for c in local if c in tag_scores},
            )
            found = self.actor_decoder.document_actors(texts[d], spans)
            body = [is_body[first_paragraph + i] for i in range(len(texts[d]))]
            actors.append({i: a for i, a in found.items() if body[i]})
            mentions = [
                [MentionRef(i, a.start, a.end, a.type, a.actor or a.text) for a in found.get(i, [])] if body[i] else None
                for i in range(len(body))
            ]
            candidates.extend((d, c) for c in candidate_pairs(mentions, [len(t) for t in texts[d]]))
        triples = self._score_pairs(layout, buckets, candidates, paragraph_repr)

        kind_list: list[list[float]] = kind_probs.tolist()
        stance_list: list[list[float]] = stance_logits.float().softmax(-1).tolist()
        outputs: list[DocumentOutputs] = []
        for d, doc in enumerate(encoded):
            first, n = layout.paragraph_offsets[d], len(doc.paragraph_features)
            outputs.append(DocumentOutputs(kind_list[first : first + n], stance_list[first : first + n], actors[d], triples[d]))
        return outputs

    def _score_pairs(
        self,
        layout: BatchLayout,
        buckets: list[tuple[list[int], torch.Tensor]],
        candidates: list[tuple[int, PairCandidate]],
        paragraph_repr: torch.Tensor,
    ) -> list[dict[int, list[dict]]]:
        """Triples per document and paragraph: the candidates the triple head does not score as "none"."""
        out: list[dict[int, list[dict]]] = [{} for _ in layout.documents]
        if not candidates:
            return out
        where = {chunk: (b, row) for b, (indices, _) in enumerate(buckets) for row, chunk in enumerate(indices)}
        span_ids: dict[tuple[int, int, tuple[int, ...]], int] = {}
        by_bucket: dict[int, list[tuple[int, list[int]]]] = {}  # bucket → (span id, flat rows in that bucket's states)
        kept: list[tuple[int, PairCandidate, tuple[int, int, int]]] = []

        def span_id(d: int, found: tuple[int, list[int]]) -> int:
            chunk = layout.chunk_offsets[d] + found[0]
            key = (d, chunk, tuple(found[1]))
            if key not in span_ids:
                b, row = where[chunk]
                width = buckets[b][1].shape[1]
                span_ids[key] = len(span_ids)
                by_bucket.setdefault(b, []).append((span_ids[key], [row * width + piece for piece in found[1]]))
            return span_ids[key]

        for d, candidate in candidates:
            found = candidate_spans(layout.documents[d], candidate)
            if found is not None:
                holder, target, between = (span_id(d, f) for f in found)
                kept.append((d, candidate, (holder, target, between)))
        if not kept:
            return out
        spans = paragraph_repr.new_zeros(len(span_ids), buckets[0][1].shape[-1])
        for b, members in by_bucket.items():
            states = buckets[b][1]
            pieces = [piece for _, rows in members for piece in rows]
            offsets = np.cumsum([0] + [len(rows) for _, rows in members[:-1]]).tolist()
            vectors = self.model.span_vectors(states.reshape(-1, states.shape[-1]), self._tensor(pieces), self._tensor(offsets))
            spans[self._tensor([span for span, _ in members])] = vectors.to(spans.dtype)
        logits = self.model.pair_logits(
            spans,
            self._tensor([ids[0] for _, _, ids in kept]),
            self._tensor([ids[1] for _, _, ids in kept]),
            self._tensor([ids[2] for _, _, ids in kept]),
            self._tensor([layout.paragraph_offsets[d] + c.paragraph for d, c, _ in kept]),
            paragraph_repr,
            torch.tensor([c.features for _, c, _ in kept], device=self.device),
        )
        probs = logits.float().softmax(-1).tolist()
        labels = list(self.config.pair_labels)
        for (d, candidate, _), p in zip(kept, probs, strict=True):
            adjusted = [
                math.log(max(q, 1e-12)) + (self.pair_none_bias if label == "none" else 0.0) for q, label in zip(p, labels, strict=True)
            ]
            best = max(range(len(p)), key=adjusted.__getitem__)
            if labels[best] != "none":
                triple = {
                    "holder": candidate.holder,
                    "target": candidate.target,
                    "polarity": labels[best],
                    "probability": round(p[best], 4),
                }
                out[d].setdefault(candidate.paragraph, []).append(triple)
        return out

    def _encode_buckets(self, layout: BatchLayout) -> tuple[list[tuple[list[int], torch.Tensor]], torch.Tensor]:
        """Run the encoder over length-sorted buckets of at most ``max_batch_tokens`` padded tokens (see :func:`plan_buckets`).

        Returns the buckets (chunk indices, padded states) and the vector of every chunk
        (see :meth:`NewsPageModel.chunk_vectors`) in the original order.
        """
        pad = self.tokenizer.pad_token_id or 0
        flat_ids, flat_gazetteer, starts, lengths = layout.flat_pieces()
        buckets: list[tuple[list[int], torch.Tensor]] = []
        vectors: torch.Tensor | None = None
        for batch in plan_buckets(lengths.tolist(), self.max_batch_tokens, self.max_padding):
            ids, gazetteer, mask = gather_bucket(np.asarray(batch), flat_ids, flat_gazetteer, starts, lengths, pad)
            mask_t = torch.from_numpy(mask).to(self.device, non_blocking=True)
            states = self.encode_fn(
                torch.from_numpy(ids).to(self.device, non_blocking=True),
                mask_t,
                torch.from_numpy(gazetteer).to(self.device, non_blocking=True),
            )
            chunk_vectors = self.model.chunk_vectors(states, mask_t)
            if vectors is None:
                vectors = chunk_vectors.new_zeros(len(lengths), chunk_vectors.shape[-1])
            vectors[self._tensor(batch)] = chunk_vectors
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
        return summarize_document(paragraphs, labelled, self.registry)


__all__ = ["ActorPrediction", "DocumentPrediction", "ParagraphPrediction", "Predictor", "EncodedDocument", "plan_buckets"]

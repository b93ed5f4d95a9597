"""Inference: raw page text in, every paragraph labelled out.

:class:`Predictor` loads a checkpoint (:func:`~models.checkpoint.load_checkpoint`) in the
precision the hardware does best (:mod:`models.precision`) or with an ONNX Runtime
encoder (:mod:`models.onnx_encoder`), and runs the pipeline around the model: pages are
split into paragraphs (:func:`~models.text.split_paragraphs`), featurised a batch at a
time (:class:`~models.features.Featurizer`), passed through the model
(:class:`~models.model_step.ModelStep`: encoder buckets, heads, actors, triples), decoded
into paragraphs (:class:`~models.decoding.Decoder`) and summarised per document
(:func:`~models.decoding.summarize_document`). With ``cpu_workers``, featurisation and
decoding run in worker processes around the model (:mod:`models.workers`) while it works
on the batch in between.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import torch
from transformers import PreTrainedTokenizerFast  # type: ignore[attr-defined]

from .actors import ActorDecoder, ActorPrediction
from .batching import plan_buckets
from .checkpoint import load_checkpoint
from .decoding import Decoder, DocumentPrediction, ParagraphPrediction, summarize_document
from .features import EncodedDocument, Featurizer
from .linking import ActorLinker
from .model_step import EncodeFn, ModelStep
from .modeling import NewsPageModel
from .onnx_encoder import BACKENDS, prepare_onnx_encoder
from .precision import dtype_name, resolve_dtype
from .registry import ActorRegistry
from .text import split_paragraphs
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
        encode_fn: EncodeFn | None = None,
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
        self.max_paragraph_chars = max_paragraph_chars
        self.backend = backend if encode_fn is not None else "torch"
        self.dtype = torch.float32 if encode_fn is not None else resolve_dtype(precision, self.device)
        if self.dtype != torch.float32:
            self.model.encoder.to(self.dtype)
            if self.model.gazetteer is not None:
                self.model.gazetteer.to(self.dtype)
        self.config = model.config
        self.featurizer = Featurizer(tokenizer, registry if self.config.use_gazetteer else None, self.config.max_tokens, self.config.stride)
        self.decoder = Decoder(
            list(self.config.kinds),
            list(self.config.stances),
            max_paragraph_chars,
            self.config.stance_logit_bias,
            bool(getattr(self.config, "triples_follow_stance", True)),
        )
        self.actor_decoder = ActorDecoder(linker, registry_spans=registry_spans)
        self.step = ModelStep(
            self.model,
            self.device,
            encode_fn or self._encode,
            self.actor_decoder,
            self.decoder.body_kind_ids,
            tokenizer.pad_token_id or 0,
            max_batch_tokens,
            max_padding,
            float(getattr(self.config, "pair_none_bias", 0.0)),
            bool(getattr(self.config, "skip_own_side_pairs", True)),
            getattr(self.config, "headline_holder", "off"),
        )
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
    def encode_fn(self) -> EncodeFn:
        """The encoder call (input_ids, attention_mask, gazetteer_ids) → float32 states."""
        return self.step.encode_fn

    @encode_fn.setter
    def encode_fn(self, fn: EncodeFn) -> None:
        self.step.encode_fn = fn

    @property
    def pair_none_bias(self) -> float:
        """Added to the log-probability of "no triple" (raise it for fewer, surer triples)."""
        return self.step.pair_none_bias

    @pair_none_bias.setter
    def pair_none_bias(self, bias: float) -> None:
        self.step.pair_none_bias = bias

    @property
    def max_batch_tokens(self) -> int:
        """Padded word pieces per encoder batch."""
        return self.step.max_batch_tokens

    @max_batch_tokens.setter
    def max_batch_tokens(self, tokens: int) -> None:
        self.step.max_batch_tokens = tokens

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
        outputs = self.step(encoded, [clipped[i] for i in positions])
        jobs = [(full[i], out) for i, out in zip(positions, outputs, strict=True)]
        results: list[list[ParagraphPrediction]] = [[] for _ in clipped]
        decoded = self._pool.decode(jobs) if self._pool and jobs else _Done([self.decoder.decode(*job) for job in jobs])
        decoding.append((results, positions, decoded))

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

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

"""Inference: raw page text in, every paragraph labelled out.

The predictor tokenises all paragraphs of all documents at once, sorts the chunks
by length and runs the encoder in buckets bounded by a token budget (no padding
waste), then runs the document-level heads over each document's paragraphs.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

import torch
from transformers import BertTokenizerFast, PreTrainedTokenizerFast  # type: ignore[attr-defined]

from .checkpoint import LINKER_FILE, REGISTRY_FILE
from .features import EncodedDocument, Featurizer, decode_tags, word_spans
from .featurize_pool import FeaturizerPool, PendingFeatures
from .labels import BODY_KINDS, LABELS, label_of
from .linking import ActorLinker
from .modeling import NewsPageModel
from .onnx_encoder import BACKENDS, prepare_onnx_encoder
from .precision import dtype_name, resolve_dtype
from .registry import ActorRegistry
from .text import split_paragraphs

logger = logging.getLogger(__name__)


@dataclass
class ActorPrediction:
    start: int
    end: int
    text: str
    type: str
    actor: str | None
    probability: float


@dataclass
class ParagraphPrediction:
    index: int
    start: int
    end: int
    text: str
    label: str
    label_probability: float
    kind: str
    kind_probability: float
    stance: str | None = None
    stance_probability: float | None = None
    actors: list[ActorPrediction] = field(default_factory=list)
    stances: list[dict] = field(default_factory=list)
    truncated: bool = False  # the model saw only the first ``max_paragraph_chars`` characters

    @property
    def is_body(self) -> bool:
        return self.label == "body"


@dataclass
class DocumentPrediction:
    paragraphs: list[ParagraphPrediction]
    body_text: str
    actors: list[dict]
    stance_summary: dict

    def to_dict(self) -> dict:
        return asdict(self)


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


def _can_hold_stance(actor_id: str, registry: ActorRegistry) -> bool:
    """People, organisations and states hold and receive stances; cities and regions as places do not."""
    actor = registry.get(actor_id)
    if actor is None:
        return False
    return actor.type in ("PERS", "ORG") or (len(actor_id) == 3 and actor_id.isalpha())


def infer_triples(paragraphs: Sequence[ParagraphPrediction], registry: ActorRegistry) -> None:
    """Directed stance triples from predicted stance and linked actors (a rule, not learned).

    The holder is the paragraph's first linked person or organisation (else its first
    linked state, else the previous body paragraph's holder: "وقالت في بيان…"); every
    other linked person, organisation or state that is not the holder's own affiliation
    is a target, with the paragraph's polarity. Mixed paragraphs get no triples: the rule
    cannot tell which target is praised and which criticised.
    """
    previous_holder: str | None = None
    for paragraph in paragraphs:
        if not paragraph.is_body:
            continue
        ids = [a.actor for a in paragraph.actors if a.actor and _can_hold_stance(a.actor, registry)]
        people_or_orgs = [a.actor for a in paragraph.actors if a.actor and a.type in ("PERS", "ORG") and a.actor in ids]
        holder: str | None = (people_or_orgs or ids or [previous_holder])[0]  # type: ignore[list-item]
        if paragraph.stance in ("supportive", "critical") and holder:
            holder_actor = registry.get(holder)
            affiliation = holder_actor.affiliation if holder_actor else None
            for target in dict.fromkeys(ids):
                if target not in (holder, affiliation):
                    paragraph.stances.append({"holder": holder, "target": target, "polarity": paragraph.stance})
        if holder:
            previous_holder = holder


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
        featurize_workers: int = 0,
        max_padding: float = 0.2,
    ) -> None:
        """``precision`` is the encoder's number format (see :mod:`models.precision`); the
        model's encoder is cast in place. ``encode_fn`` replaces the encoder call, e.g. by
        an ONNX Runtime session (:mod:`models.onnx_encoder`), named by ``backend``.
        ``featurize_workers`` processes featurise documents (see :mod:`models.featurize_pool`)."""
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
        self._pool = FeaturizerPool(self.featurizer, featurize_workers) if featurize_workers > 0 else None

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
        tokenizer = BertTokenizerFast.from_pretrained(path)
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
        full, clipped = self._clip(documents)
        non_empty = [d for d in clipped if d]
        encoded = self._pool.submit(non_empty).result() if self._pool and len(non_empty) > 1 else self.featurizer(non_empty)
        return self._label(full, clipped, encoded)

    def predict_stream(
        self, documents: Iterable[Sequence[str]], batch_pages: int = 16, prefetch: int = 2
    ) -> Iterator[list[ParagraphPrediction]]:
        """Label many documents, yielding each one's paragraphs in input order.

        With ``featurize_workers``, the next ``prefetch`` batches of ``batch_pages``
        documents are featurised in the worker processes while the model runs on the
        current one; without, this is :meth:`predict_paragraphs` batch by batch.
        """
        batches = (list(batch) for batch in _batched(documents, batch_pages))
        pending: deque = deque()
        for batch in batches:
            full, clipped = self._clip(batch)
            non_empty = [d for d in clipped if d]
            pending.append((full, clipped, self._pool.submit(non_empty) if self._pool else non_empty))
            if len(pending) <= prefetch and self._pool:
                continue
            yield from self._label_pending(pending.popleft())
        while pending:
            yield from self._label_pending(pending.popleft())

    def _label_pending(self, item: tuple) -> list[list[ParagraphPrediction]]:
        full, clipped, features = item
        encoded = features.result() if isinstance(features, PendingFeatures) else self.featurizer(features)
        return self._label(full, clipped, encoded)

    def close(self) -> None:
        """Stop the featurisation workers, if any."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @torch.inference_mode()
    def _label(self, full: list[list[str]], documents: list[list[str]], encoded: list[EncodedDocument]) -> list[list[ParagraphPrediction]]:
        """Run the model on featurised documents (``encoded``: one per non-empty document) and decode."""
        limit = self.max_paragraph_chars
        results: list[list[ParagraphPrediction]] = [[] for _ in documents]
        non_empty = [i for i, d in enumerate(documents) if d]
        if not non_empty:
            return results

        # flatten chunks and paragraphs of all documents
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
        kind_logits, stance_logits, context = self.model.contextualize(
            vectors, t(chunk_paragraph), t(paragraph_document), t(paragraph_position), torch.tensor(features, device=self.device)
        )
        kind_probs: list[list[float]] = kind_logits.float().softmax(-1).tolist()
        stance_probs: list[list[float]] = stance_logits.float().softmax(-1).tolist()
        label_kinds = {label: [i for i, k in enumerate(self.config.kinds) if label_of(k) == label] for label in LABELS}
        chunk_context = context[t(chunk_paragraph)]
        tag_ids: list[list[int]] = [[] for _ in chunks]
        tag_scores: list[list[float]] = [[] for _ in chunks]
        for indices, states in buckets:
            score, ids = self.model.tag(states, chunk_context[t(indices)]).float().softmax(-1).max(-1)
            ids_rows, score_rows = ids.tolist(), score.tolist()
            for row, i in enumerate(indices):
                n = len(chunks[i][0])
                tag_ids[i] = ids_rows[row][:n]
                tag_scores[i] = score_rows[row][:n]

        # back to documents
        paragraph_offset = 0
        chunk_offset = 0
        for doc_index, doc in enumerate(encoded):
            texts = full[non_empty[doc_index]]
            out = results[non_empty[doc_index]]
            spans_by_paragraph: dict[int, list] = {}
            for local, paragraph in enumerate(doc.chunk_paragraph):
                c = chunk_offset + local
                words = word_spans(doc.token_spans[local], doc.word_starts[local])
                spans_by_paragraph.setdefault(paragraph, []).extend(decode_tags(words, tag_ids[c], tag_scores[c]))
            for p_index, text in enumerate(texts):
                g = paragraph_offset + p_index
                probs = kind_probs[g]
                kind_id = max(range(len(probs)), key=probs.__getitem__)  # the first of tied maxima, as argmax
                kind = self.config.kinds[kind_id]
                label = label_of(kind)
                label_probability = sum(probs[i] for i in label_kinds[label])
                prediction = ParagraphPrediction(
                    index=p_index,
                    start=0,
                    end=len(text),
                    text=text,
                    label=label,
                    label_probability=round(label_probability, 4),
                    kind=kind,
                    kind_probability=round(probs[kind_id], 4),
                    truncated=bool(limit and len(text) > limit),
                )
                if kind in BODY_KINDS:
                    stance = stance_probs[g]
                    stance_id = max(range(len(stance)), key=stance.__getitem__)
                    prediction.stance = self.config.stances[stance_id]
                    prediction.stance_probability = round(stance[stance_id], 4)
                    prediction.actors = self._actors(text, spans_by_paragraph.get(p_index, []))
                out.append(prediction)
            infer_triples(out, self.registry)
            paragraph_offset += len(texts)
            chunk_offset += len(doc.input_ids)
        return results

    def _encode_sorted(self, chunks: list[tuple[list[int], list[int]]]) -> tuple[list[tuple[list[int], torch.Tensor]], torch.Tensor]:
        """Run the encoder over length-sorted buckets of at most ``max_batch_tokens`` padded tokens (see :func:`plan_buckets`).

        Returns the buckets (chunk indices, padded states) and the vector of every chunk
        (see :meth:`NewsPageModel.chunk_vectors`) in the original order.
        """
        pad = self.tokenizer.pad_token_id or 0
        buckets: list[tuple[list[int], torch.Tensor]] = []
        vectors: torch.Tensor | None = None
        for batch in plan_buckets([len(c[0]) for c in chunks], self.max_batch_tokens, self.max_padding):
            width = len(chunks[batch[-1]][0])
            rows = [chunks[i] for i in batch]
            ids = torch.tensor([r[0] + [pad] * (width - len(r[0])) for r in rows], dtype=torch.long)
            gaz = torch.tensor([r[1] + [0] * (width - len(r[1])) for r in rows], dtype=torch.long)
            mask = torch.tensor([[1] * len(r[0]) + [0] * (width - len(r[0])) for r in rows], dtype=torch.long, device=self.device)
            states = self.encode_fn(ids.to(self.device), mask, gaz.to(self.device))
            chunk_vectors = self.model.chunk_vectors(states, mask)
            if vectors is None:
                vectors = chunk_vectors.new_zeros(len(chunks), chunk_vectors.shape[-1])
            vectors[torch.tensor(batch, device=self.device)] = chunk_vectors
            buckets.append((batch, states))
        assert vectors is not None
        return buckets, vectors

    def _actors(self, text: str, spans: list[tuple[int, int, str, float]]) -> list[ActorPrediction]:
        actors: list[ActorPrediction] = []
        last_end = -1
        for start, end, entity_type, score in sorted(spans):
            if start < last_end:  # the same span seen again in an overlapping chunk
                continue
            start = self.linker.trim(text, start, end)
            actors.append(ActorPrediction(start, end, text[start:end], entity_type, self.linker.link(text, start, end), round(score, 4)))
            last_end = end
        return actors

    # ------------------------------------------------------------------ text in, document out
    def predict_texts(self, texts: Sequence[str]) -> list[DocumentPrediction]:
        splits = [split_paragraphs(text) for text in texts]
        labelled = self.predict_paragraphs([[p.text for p in s] for s in splits])
        return [self._document(split, labels) for split, labels in zip(splits, labelled, strict=True)]

    def predict_text(self, text: str) -> DocumentPrediction:
        return self.predict_texts([text])[0]

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

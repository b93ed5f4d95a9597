"""One model pass over featurised documents: encoder buckets, document heads, actor spans, triples.

:class:`ModelStep` is the inference twin of :meth:`NewsPageModel.forward`, run piece by
piece so that work is skipped where it is not needed: the encoder runs over length-sorted
buckets bounded by a token budget and by padding (:func:`~models.batching.plan_buckets`)
instead of one padded batch; the document-level heads run once per batch; the tagger runs
on the chunks of paragraphs predicted body only, their spans are linked
(:class:`~models.actors.ActorDecoder`), and the triple head scores the candidate pairs of
those actors (:mod:`models.triples`). It returns plain lists per document
(:class:`~models.decoding.DocumentOutputs`) for the decoder; the pipeline around it
(featurising, workers, decoding) is :class:`~models.predictor.Predictor`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .actors import ActorDecoder, ActorPrediction
from .batching import BatchLayout, gather_bucket, plan_buckets
from .decoding import DocumentOutputs
from .descriptions import state_adjectives
from .features import EncodedDocument, candidate_spans
from .kind_path import best_kind_path, check_transition_weight, transitions_valid
from .modeling import NewsPageModel
from .triples import (
    MentionRef,
    PairCandidate,
    candidate_pairs,
    document_descriptions,
    headline_holder_mode,
    own_side,
    principal_paragraphs,
)

EncodeFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


class ModelStep:
    """The model's heads over one batch of featurised documents, in the layout of :class:`BatchLayout`.

    ``encode_fn`` is the encoder call (input_ids, attention_mask, gazetteer_ids) → float32
    states (the model's own, or an ONNX Runtime session); ``pair_none_bias`` is added to the
    log-probability of "no triple" (raise it for fewer, surer triples); with ``skip_own_side``
    a pair of an actor and the state or movement it belongs to is not scored (:func:`~models.triples.own_side`).
    """

    def __init__(
        self,
        model: NewsPageModel,
        device: torch.device,
        encode_fn: EncodeFn,
        actor_decoder: ActorDecoder,
        body_kind_ids: set[int] | frozenset[int],
        pad_id: int,
        max_batch_tokens: int,
        max_padding: float,
        pair_none_bias: float = 0.0,
        skip_own_side: bool = True,
        headline_holder: str = "off",
    ) -> None:
        self.model, self.device, self.encode_fn, self.actor_decoder = model, device, encode_fn, actor_decoder
        self.body_kind_ids, self.pad_id = set(body_kind_ids), pad_id
        self.max_batch_tokens, self.max_padding, self.pair_none_bias = max_batch_tokens, max_padding, pair_none_bias
        self.skip_own_side, self.registry = skip_own_side, actor_decoder.linker.registry
        self.headline_holder = headline_holder_mode(headline_holder)
        self.adjectives = state_adjectives(self.registry)
        self.config = model.config
        self.kind_transitions = getattr(self.config, "kind_transitions", None)
        self.kind_transition_weight = check_transition_weight(getattr(self.config, "kind_transition_weight", 0.0) or 0.0)
        if self.kind_transitions is not None and not transitions_valid(self.kind_transitions, len(self.config.kinds)):
            raise ValueError(
                f"the checkpoint's kind_transitions do not fit its {len(self.config.kinds)} kinds "
                "(expected kinds + 1 rows of log-probabilities); rewrite them with python -m training.kind_transitions"
            )

    def _tensor(self, values: list) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.long, device=self.device)

    @torch.inference_mode()
    def __call__(self, encoded: list[EncodedDocument], texts: list[list[str]]) -> list[DocumentOutputs]:
        """Encoder, document context and heads over featurised documents, as plain lists per document.

        Word-piece tags, actors and triples are computed for body paragraphs only.
        """
        if not encoded:
            return []
        layout = BatchLayout(encoded)
        buckets, vectors = self.encode_buckets(layout)
        chunk_paragraph = self._tensor(layout.chunk_paragraph)
        kind_logits, stance_logits, context, paragraph_repr = self.model.contextualize(
            vectors,
            chunk_paragraph,
            self._tensor(layout.paragraph_document),
            self._tensor(layout.paragraph_position),
            torch.tensor(layout.paragraph_features, device=self.device),
        )
        kind_probs = kind_logits.float().softmax(-1)
        kind_list: list[list[float]] = kind_probs.tolist()
        kind_paths = [
            best_kind_path(kind_list[first : first + len(doc.paragraph_features)], self.kind_transitions, self.kind_transition_weight)
            for first, doc in zip(layout.paragraph_offsets, encoded, strict=True)
        ]
        paragraph_is_body = torch.tensor([k in self.body_kind_ids for path in kind_paths for k in path], device=self.device)
        chunk_is_body = paragraph_is_body[chunk_paragraph]
        chunk_context = context[chunk_paragraph]
        tag_probs: dict[int, list[list[float]]] = {}  # chunk → per piece, the probability of every BIO tag
        for indices, states in buckets:
            rows = torch.nonzero(chunk_is_body[self._tensor(indices)]).flatten()
            if rows.numel() == 0:
                continue
            body = [indices[r] for r in rows.tolist()]
            probs = self.model.tag(states[rows], chunk_context[self._tensor(body)]).float().softmax(-1)
            lengths = layout.lengths
            for i, row in zip(body, probs.tolist(), strict=True):
                tag_probs[i] = row[: lengths[i]]

        is_body: list[bool] = paragraph_is_body.tolist()
        actors: list[dict[int, list[ActorPrediction]]] = []
        candidates: list[tuple[int, PairCandidate]] = []
        for d, doc in enumerate(encoded):
            first_chunk, first_paragraph = layout.chunk_offsets[d], layout.paragraph_offsets[d]
            local = range(first_chunk, first_chunk + len(doc.input_ids))
            spans = self.actor_decoder.paragraph_spans(doc, {c - first_chunk: tag_probs[c] for c in local if c in tag_probs}, texts[d])
            found = self.actor_decoder.document_actors(texts[d], spans)
            body = [is_body[first_paragraph + i] for i in range(len(texts[d]))]
            actors.append({i: a for i, a in found.items() if body[i]})
            mentions = [
                [MentionRef(i, a.start, a.end, a.type, a.actor or a.text) for a in found.get(i, [])] if body[i] else None
                for i in range(len(body))
            ]
            descriptions = document_descriptions(texts[d], mentions, self.adjectives)
            candidates.extend(
                (d, c)
                for c in candidate_pairs(
                    mentions, [len(t) for t in texts[d]], descriptions, principal_paragraphs(self.headline_holder, texts[d], mentions)
                )
                if not (self.skip_own_side and own_side(self.registry, c.holder, c.target))
            )
        triples, reserve = self.score_pairs(layout, buckets, candidates, paragraph_repr)

        stance_list: list[list[float]] = stance_logits.float().softmax(-1).tolist()
        outputs: list[DocumentOutputs] = []
        for d, doc in enumerate(encoded):
            first, n = layout.paragraph_offsets[d], len(doc.paragraph_features)
            outputs.append(
                DocumentOutputs(
                    kind_list[first : first + n], stance_list[first : first + n], actors[d], triples[d], reserve[d], kind_paths[d]
                )
            )
        return outputs

    def score_pairs(
        self,
        layout: BatchLayout,
        buckets: list[tuple[list[int], torch.Tensor]],
        candidates: list[tuple[int, PairCandidate]],
        paragraph_repr: torch.Tensor,
    ) -> tuple[list[dict[int, list[dict]]], list[dict[int, dict[str, dict]]]]:
        """Triples per document and paragraph: the candidates the triple head does not score as "none";
        and, per paragraph and polarity, the candidate most likely of that polarity (the decoder's
        reserve when the paragraph's stance asks for a triple the head left out)."""
        out: list[dict[int, list[dict]]] = [{} for _ in layout.documents]
        reserve: list[dict[int, dict[str, dict]]] = [{} for _ in layout.documents]
        if not candidates:
            return out, reserve
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
            return out, reserve
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
                out[d].setdefault(candidate.paragraph, []).append(_triple(candidate, labels[best], p[best]))
            kept_best = reserve[d].setdefault(candidate.paragraph, {})
            for i, label in enumerate(labels):
                if label != "none" and (label not in kept_best or p[i] > kept_best[label]["probability"]):
                    kept_best[label] = _triple(candidate, label, p[i])
        return out, reserve

    def encode_buckets(self, layout: BatchLayout) -> tuple[list[tuple[list[int], torch.Tensor]], torch.Tensor]:
        """Run the encoder over length-sorted buckets of at most ``max_batch_tokens`` padded tokens (see :func:`plan_buckets`).

        Returns the buckets (chunk indices, padded states) and the vector of every chunk
        (see :meth:`NewsPageModel.chunk_vectors`) in the original order.
        """
        pad = self.pad_id
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


def _triple(candidate: PairCandidate, polarity: str, probability: float) -> dict:
    return {"holder": candidate.holder, "target": candidate.target, "polarity": polarity, "probability": round(probability, 4)}

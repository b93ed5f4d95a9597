"""From paragraphs to model inputs, and from token predictions back to character spans.

Used alike by training (with gold labels) and by the predictor (without).
Text is normalised before tokenisation (see :mod:`models.text`); every word piece
keeps the span of original paragraph characters it came from.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerFast

from .cues import LINE_CUES, NUM_CUE_FEATURES, STANCE_CUES, cue_features, folded
from .labels import BIO2ID, BIO_TAGS, IGNORE_INDEX
from .registry import ActorRegistry
from .text import normalize_with_offsets
from .triples import PairCandidate

_DIGIT_RE = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_PUNCT_RE = re.compile(r"[^\w\s]")

Span = tuple[int, int]
TypedSpan = tuple[int, int, str]


@dataclass
class EncodedDocument:
    """Word-piece chunks of every paragraph of one document."""

    input_ids: list[list[int]] = field(default_factory=list)
    chunk_paragraph: list[int] = field(default_factory=list)  # paragraph index of each chunk
    token_spans: list[list[Span | None]] = field(default_factory=list)  # original chars per piece; None = special
    word_starts: list[list[bool]] = field(default_factory=list)  # piece begins a word (pieces after it continue it)
    gazetteer_ids: list[list[int]] = field(default_factory=list)
    paragraph_features: list[list[float]] = field(default_factory=list)

    @property
    def num_tokens(self) -> int:
        return sum(len(ids) for ids in self.input_ids)


SURFACE_FEATURES = 5  # length, position, digit, Latin and punctuation shares; the cue features follow
CHROME_CUE_SLICE = slice(SURFACE_FEATURES + LINE_CUES.start, SURFACE_FEATURES + LINE_CUES.stop)  # models.cues.LINE_CUES in a feature row
# models.cues.STANCE_CUES in a feature row
STANCE_CUE_SLICE = slice(SURFACE_FEATURES + STANCE_CUES.start, SURFACE_FEATURES + STANCE_CUES.stop)


def paragraph_features(text: str, index: int, count: int) -> list[float]:
    """Length, relative position, digit, Latin and punctuation shares, then the surface cues of :mod:`models.cues`."""
    length = max(len(text), 1)
    return [
        math.log1p(len(text)) / 6.0,
        index / max(count - 1, 1),
        len(_DIGIT_RE.findall(text)) / length,
        len(_LATIN_RE.findall(text)) / length,
        len(_PUNCT_RE.findall(text)) / length,
        *cue_features(text),
    ]


def repetition_features(texts: Sequence[str]) -> list[list[float]]:
    """Whether each paragraph's text (folded) occurs earlier and later on the page.

    Pages print the headline two or three times, captions twice and menus once per
    device; a line seen before is rarely a new paragraph of running text.
    """
    keys = [folded(t) for t in texts]
    total = Counter(keys)
    seen: Counter[str] = Counter()
    out = []
    for key in keys:
        out.append([float(seen[key] > 0), float(total[key] - seen[key] > 1)])
        seen[key] += 1
    return out


NUM_PARAGRAPH_FEATURES = SURFACE_FEATURES + NUM_CUE_FEATURES + 2


def spans_to_tags(token_spans: Sequence[Span | None], spans: Sequence[TypedSpan]) -> list[int]:
    """BIO tag ids for word pieces: every piece overlapping a span is tagged, the first one B."""
    tags = [BIO2ID["O"]] * len(token_spans)
    for start, end, entity_type in spans:
        first = True
        for i, token in enumerate(token_spans):
            if token is None or token[1] <= start or token[0] >= end:
                continue
            tags[i] = BIO2ID[("B-" if first else "I-") + entity_type]
            first = False
    return tags


def encode_document(
    texts: Sequence[str],
    tokenizer: PreTrainedTokenizerFast,
    registry: ActorRegistry | None,
    max_tokens: int,
    stride: int,
    unknown_actors: Collection[str] = (),
) -> EncodedDocument:
    """Tokenise every paragraph (in overlapping chunks when long) and add registry matches.

    The names of ``unknown_actors`` are left unmatched, as if the registry lacked them (training's
    leave-one-article-out gazetteer, :func:`training.data.article_only_actors`).
    """
    doc = EncodedDocument()
    normalized = [normalize_with_offsets(t) for t in texts]
    encoding = tokenizer(
        [n for n, _ in normalized],
        truncation=True,
        max_length=max_tokens,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        add_special_tokens=True,
    )
    # registry matches, typed by the type a mention by that name has (the registry's name_types, learned from
    # the corpus: الموساد is an ORG mention of the LOC actor ISR), else by the actor's type
    matches = [
        [(m.start, m.end, m.type) for m in registry.find(t) if m.actor.id not in unknown_actors] if registry is not None else []
        for t in texts
    ]
    for chunk, paragraph in enumerate(encoding["overflow_to_sample_mapping"]):
        origin = normalized[paragraph][1]
        spans: list[Span | None] = [
            None if start == end else (origin[start], origin[end - 1] + 1) for start, end in encoding["offset_mapping"][chunk]
        ]
        words = encoding.word_ids(chunk)
        doc.word_starts.append([w is not None and (i == 0 or words[i - 1] != w) for i, w in enumerate(words)])
        doc.input_ids.append(encoding["input_ids"][chunk])
        doc.chunk_paragraph.append(paragraph)
        doc.token_spans.append(spans)
        doc.gazetteer_ids.append(spans_to_tags(spans, matches[paragraph]))
    repeated = repetition_features(texts)
    doc.paragraph_features = [paragraph_features(t, i, len(texts)) + repeated[i] for i, t in enumerate(texts)]
    return doc


PieceSpan = tuple[int, list[int]]  # a chunk of the document and word-piece positions in it


def candidate_spans(doc: EncodedDocument, candidate: PairCandidate) -> tuple[PieceSpan, PieceSpan, PieceSpan] | None:
    """The word pieces of a stance pair: the holder's mention, the target's, and the words that carry the stance.

    Those words lie in the candidate's paragraph: between the two mentions when both are
    there (the verb and preposition: «ندد … بـ»); before the target for an implicit holder,
    named in an earlier paragraph; after the holder (or the whole first chunk, when the
    holder is implicit too) for a context target, named earlier. The span may be empty
    (its vector is then zero). None when a mention lies outside every chunk.
    """
    holder, target = candidate.holder_mention, candidate.target_mention
    held = mention_pieces(doc, holder.paragraph, holder.start, holder.end)
    aimed = mention_pieces(doc, target.paragraph, target.start, target.end)
    if held is None or aimed is None:
        return None
    if not candidate.context_target:
        chunk = aimed[0]
        low, high = (
            (min(holder.end, target.end), max(holder.start, target.start)) if holder.paragraph == target.paragraph else (0, target.start)
        )
    elif holder.paragraph == candidate.paragraph:
        chunk, low, high = held[0], holder.end, sys.maxsize
    else:
        chunk = next((c for c, owner in enumerate(doc.chunk_paragraph) if owner == candidate.paragraph), -1)
        if chunk < 0:
            return None
        low, high = 0, sys.maxsize
    spans = doc.token_spans[chunk]
    between = [i for i, span in enumerate(spans) if span is not None and low <= span[0] and span[1] <= high]
    return held, aimed, (chunk, between)


def mention_pieces(doc: EncodedDocument, paragraph: int, start: int, end: int) -> tuple[int, list[int]] | None:
    """The first chunk of ``paragraph`` whose word pieces cover characters ``[start, end)``, and those pieces."""
    for chunk, owner in enumerate(doc.chunk_paragraph):
        if owner != paragraph:
            continue
        pieces = [i for i, span in enumerate(doc.token_spans[chunk]) if span is not None and span[0] < end and start < span[1]]
        if pieces:
            return chunk, pieces
    return None


@dataclass
class Featurizer:
    """:func:`encode_document` with a model's settings bound: documents in, model inputs out.

    Picklable, so that worker processes can each hold one (see :mod:`models.featurize_pool`).
    """

    tokenizer: PreTrainedTokenizerFast
    registry: ActorRegistry | None
    max_tokens: int
    stride: int

    def __call__(self, documents: Sequence[Sequence[str]]) -> list[EncodedDocument]:
        return [encode_document(d, self.tokenizer, self.registry, self.max_tokens, self.stride) for d in documents]


def word_spans(token_spans: Sequence[Span | None], word_starts: Sequence[bool]) -> list[Span | None]:
    """For the first piece of each word, the span of the whole word; None for the other pieces."""
    out: list[Span | None] = [None] * len(token_spans)
    current = -1
    for i, (span, starts) in enumerate(zip(token_spans, word_starts, strict=True)):
        if span is None:
            continue
        if starts or current < 0:
            current = i
            out[i] = span
        else:
            start, _ = out[current]  # type: ignore[misc]
            out[current] = (start, span[1])
    return out


def tag_labels(doc: EncodedDocument, actors: Sequence[Sequence[TypedSpan] | None]) -> list[list[int]]:
    """Gold BIO labels on the first piece of every word (as ``run_ner.py``); -100 elsewhere.

    A word is tagged when it overlaps a gold span, so "لحماس" carries B-ORG for the span
    "حماس"; the predictor trims such clitics back off. Paragraphs without actor gold
    are ignored entirely.
    """
    labels: list[list[int]] = []
    for paragraph, spans, starts in zip(doc.chunk_paragraph, doc.token_spans, doc.word_starts, strict=True):
        gold = actors[paragraph]
        words = word_spans(spans, starts)
        if gold is None:
            labels.append([IGNORE_INDEX] * len(spans))
            continue
        tags = spans_to_tags(words, gold)
        labels.append([IGNORE_INDEX if w is None else t for w, t in zip(words, tags, strict=True)])
    return labels


def decode_tags(words: Sequence[Span | None], tag_ids: Sequence[int], scores: Sequence[float]) -> list[tuple[int, int, str, float]]:
    """Turn word-level BIO predictions into (start, end, type, mean score) spans.

    ``words`` comes from :func:`word_spans`: the predictions of a word's first piece
    stand for the word. An I- tag that does not continue a span of its type starts one.
    """
    spans: list[tuple[int, int, str, float]] = []
    current: list = []  # [start, end, type, [scores]]

    def close() -> None:
        if current:
            spans.append((current[0], current[1], current[2], sum(current[3]) / len(current[3])))

    for span, tag_id, score in zip(words, tag_ids, scores, strict=True):
        if span is None:
            continue
        tag = BIO_TAGS[tag_id]
        if tag == "O":
            close()
            current = []
            continue
        prefix, entity_type = tag.split("-", 1)
        if current and prefix == "I" and entity_type == current[2]:
            current[1] = span[1]
            current[3].append(score)
            continue
        close()
        current = [span[0], span[1], entity_type, [score]]
    close()
    return spans

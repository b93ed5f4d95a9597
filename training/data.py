"""SPEC.md JSONL → ``datasets`` → model features, and the document collator.

As in ``run_ner.py``: ``load_dataset("json", ...)`` then ``.map(batched=True)``;
word-piece labels come from character offsets, -100 where there is no gold.
One training example is one page: its paragraphs must meet in one batch, because
the kind of a paragraph depends on its neighbours.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from datasets import Dataset, DatasetDict, Features, Sequence, Value, load_dataset
from transformers import PreTrainedTokenizerFast

from models.cues import stance_cue_spans
from models.features import CHROME_CUE_SLICE, STANCE_CUE_SLICE, EncodedDocument, candidate_spans, encode_document, tag_labels
from models.labels import BIO_TAGS, BODY_KINDS, IGNORE_INDEX, KIND2ID, STANCE2ID
from models.registry import ActorRegistry
from models.triples import NUM_PAIR_FEATURES, MentionRef, candidate_pairs, document_descriptions, pair_label, principal_paragraphs

_INT_LIST = Sequence(Value("int64"))
FEATURES = Features(
    {
        "input_ids": Sequence(_INT_LIST),
        "chunk_paragraph": _INT_LIST,
        "gazetteer_ids": Sequence(_INT_LIST),
        "paragraph_features": Sequence(Sequence(Value("float32"))),
        "kind_labels": _INT_LIST,
        "stance_labels": _INT_LIST,
        "tag_labels": Sequence(_INT_LIST),
        "span_chunk": _INT_LIST,
        "span_pieces": Sequence(_INT_LIST),
        "pair_holder": _INT_LIST,
        "pair_target": _INT_LIST,
        "pair_between": _INT_LIST,
        "pair_paragraph": _INT_LIST,
        "pair_features": Sequence(Sequence(Value("float32"))),
        "pair_labels": _INT_LIST,
        "cue_pieces": Sequence(_INT_LIST),
    }
)


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


def pair_examples(
    paragraphs: list[dict], doc: EncodedDocument, adjectives: dict[str, str] | None = None, headline_holder: str = "off"
) -> dict[str, list]:
    """Candidate stance pairs of a page from its gold mentions, with their gold labels (see :mod:`models.triples`).

    Paragraphs whose stance is not annotated (fragments of split lines) give candidates
    and a context speaker, but no label. ``adjectives`` (:func:`models.descriptions.state_adjectives`)
    adds the description targets; ``headline_holder`` where the headline's speaker is an implicit holder
    (:func:`models.triples.principal_paragraphs`).
    """
    mentions: list[list[MentionRef] | None] = []
    for index, p in enumerate(paragraphs):
        if p["kind"] not in BODY_KINDS or p.get("actors") is None:
            mentions.append(None)
            continue
        mentions.append(
            [MentionRef(index, a["start"], a["end"], a["type"], a.get("actor") or p["text"][a["start"] : a["end"]]) for a in p["actors"]]
        )
    out: dict[str, list] = {
        k: []
        for k in (
            "span_chunk",
            "span_pieces",
            "pair_holder",
            "pair_target",
            "pair_between",
            "pair_paragraph",
            "pair_features",
            "pair_labels",
        )
    }
    spans: dict[tuple, int] = {}

    def span_id(found: tuple[int, list[int]]) -> int:
        key = (found[0], tuple(found[1]))
        if key not in spans:
            spans[key] = len(spans)
            out["span_chunk"].append(found[0])
            out["span_pieces"].append(found[1])
        return spans[key]

    texts = [p["text"] for p in paragraphs]
    descriptions = document_descriptions(texts, mentions, adjectives)
    principal_in = principal_paragraphs(headline_holder, texts, mentions)
    for candidate in candidate_pairs(mentions, [len(t) for t in texts], descriptions, principal_in):
        found = candidate_spans(doc, candidate)
        if found is None:
            continue
        holder, target, between = (span_id(f) for f in found)
        gold = paragraphs[candidate.paragraph]
        out["pair_holder"].append(holder)
        out["pair_target"].append(target)
        out["pair_between"].append(between)
        out["pair_paragraph"].append(candidate.paragraph)
        out["pair_features"].append(list(candidate.features))
        out["pair_labels"].append(pair_label(candidate, gold.get("stances") or []) if gold.get("stance") else IGNORE_INDEX)
    return out


def stance_cue_pieces(texts: list[str], doc: EncodedDocument) -> list[list[int]]:
    """For every chunk, the positions of the word pieces inside a stance cue word of its paragraph
    (:func:`models.cues.stance_cue_spans`), which ``--stance_cue_mask`` hides."""
    spans = [stance_cue_spans(t) for t in texts]
    return [
        [i for i, piece in enumerate(pieces) if piece is not None and any(s <= piece[0] and piece[1] <= e for s, e in spans[paragraph])]
        for pieces, paragraph in zip(doc.token_spans, doc.chunk_paragraph, strict=True)
    ]


def make_feature_fn(
    tokenizer: PreTrainedTokenizerFast,
    registry: ActorRegistry | None,
    max_tokens: int,
    stride: int,
    adjectives: dict[str, str] | None = None,
    cue_pieces: bool = False,
    unknown_by_article: dict[str, frozenset[str]] | None = None,
    headline_holder: str = "off",
):
    """A batched ``map`` function turning documents into model features (``registry``: the gazetteer, or None;
    ``adjectives``: the states' adjectives for description targets, or None; ``cue_pieces``: find the stance
    cue words' pieces that ``--stance_cue_mask`` hides, else leave the column empty; ``unknown_by_article``:
    the actors whose names the gazetteer leaves unmatched on each article's pages, see :func:`article_only_actors`;
    ``headline_holder``: see :func:`models.triples.principal_paragraphs`)."""

    def featurize(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list] = {k: [] for k in FEATURES}
        articles = batch.get("article") or [None] * len(batch["paragraphs"])
        for paragraphs, article in zip(batch["paragraphs"], articles, strict=True):
            texts = [p["text"] for p in paragraphs]
            unknown = unknown_by_article.get(article, frozenset()) if unknown_by_article else frozenset()
            doc = encode_document(texts, tokenizer, registry, max_tokens, stride, unknown)
            gold = [_paragraph_gold(p) for p in paragraphs]
            out["input_ids"].append(doc.input_ids)
            out["chunk_paragraph"].append(doc.chunk_paragraph)
            out["gazetteer_ids"].append(doc.gazetteer_ids)
            out["paragraph_features"].append(doc.paragraph_features)
            out["kind_labels"].append([g[0] for g in gold])
            out["stance_labels"].append([g[1] for g in gold])
            out["tag_labels"].append(tag_labels(doc, [g[2] for g in gold]))
            out["cue_pieces"].append(stance_cue_pieces(texts, doc) if cue_pieces else [])
            for key, values in pair_examples(paragraphs, doc, adjectives, headline_holder).items():
                out[key].append(values)
        return out

    return featurize


def featurize_dataset(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerFast,
    registry: ActorRegistry | None,
    max_tokens: int,
    stride: int,
    desc: str = "featurize",
    adjectives: dict[str, str] | None = None,
    num_proc: int | None = None,
    cue_pieces: bool = False,
    unknown_by_article: dict[str, frozenset[str]] | None = None,
    headline_holder: str = "off",
) -> Dataset:
    """:func:`make_feature_fn` over ``dataset`` (``num_proc`` processes; the features do not depend on it)."""
    return dataset.map(
        make_feature_fn(tokenizer, registry, max_tokens, stride, adjectives, cue_pieces, unknown_by_article, headline_holder),
        batched=True,
        batch_size=32,
        remove_columns=dataset.column_names,
        features=FEATURES,
        desc=desc,
        num_proc=num_proc if num_proc and num_proc > 1 and len(dataset) > 1 else None,
    )


def article_only_actors(documents: Iterable[dict]) -> dict[str, frozenset[str]]:
    """Article → the actors no other training article mentions: the leave-one-article-out gazetteer.

    The registry was grown from the corpus, so on a training page nearly every name has a
    registry match, and the tagger learns that a name without one is no name: on real pages it
    finds 5% of the names the registry lacks (real-dev: 3 of 57) against 93% of the others. A
    page's actors that only its own article names are those a registry built without that article
    would not know; leaving their names unmatched on that article's pages gives the tagger names to
    find from their context, in about the share real pages have (a tenth of training mentions; a
    tenth of real-dev's names have no match). Pages without an ``article`` are left as they are.
    """
    articles_of: dict[str, set[str]] = {}
    for document in documents:
        article = document.get("article")
        if article is None:
            continue
        for paragraph in document["paragraphs"]:
            for mention in paragraph.get("actors") or []:
                if mention.get("actor"):
                    articles_of.setdefault(mention["actor"], set()).add(article)
    only: dict[str, set[str]] = {}
    for actor_id, articles in articles_of.items():
        if len(articles) == 1:
            only.setdefault(next(iter(articles)), set()).add(actor_id)
    return {article: frozenset(actors) for article, actors in only.items()}


_BEGINS = frozenset(i for i, tag in enumerate(BIO_TAGS) if tag.startswith("B-"))
_INSIDES = frozenset(i for i, tag in enumerate(BIO_TAGS) if tag.startswith("I-"))
_MATCH_TAGS = _BEGINS | _INSIDES


def hide_matches(gazetteer_row: list[int], rate: float, rng: random.Random | None = None) -> list[int]:
    """One chunk's gazetteer tags with each registry match (a B- tag and the I- tags after it) set to O with probability ``rate``."""
    if rate <= 0:
        return gazetteer_row
    draw = (rng or random).random
    out = list(gazetteer_row)
    hiding, previous = False, 0
    for i, tag in enumerate(gazetteer_row):
        if tag in _BEGINS or (tag in _INSIDES and previous not in _MATCH_TAGS):  # a match cut by the chunk's start too
            hiding = draw() < rate
        elif tag not in _INSIDES:
            hiding = False
        if hiding:
            out[i] = 0
        previous = tag
    return out


@dataclass
class DocumentCollator:
    """Flatten the paragraphs of several documents into one batch of chunks.

    ``gazetteer_dropout`` hides registry matches for a share of documents while
    training, so the tagger also learns to find actors the registry does not know.
    ``gazetteer_match_dropout`` hides that share of the single matches on the other pages
    (:func:`hide_matches`; why a page with matches needs names without one:
    :func:`article_only_actors`). The chunks of a long paragraph draw apart.
    ``token_dropout`` replaces that share of word pieces (never [CLS]/[SEP]) by
    ``mask_token_id``, so the model cannot lean on memorised chrome strings alone.
    ``cue_line_mask`` hides every piece of that share of the lines a read-also or chrome cue
    (:mod:`models.cues`) fires on, as if the line were chrome never seen in training: the
    model then has only the cue feature and the page around it, as it has for a real site's
    own wording of «لا يفوتك».
    ``stance_cue_mask`` hides, in that share of the paragraphs that hold a stance cue word
    (:func:`models.cues.stance_cue_spans`: «ندد», «رحب», «رفض» …), every piece of those words and
    zeroes the paragraph's cue counts, its stance label kept: authored stance paragraphs use the
    cue words far more often than real news does, which words its stance in reported speech,
    demands and verbs of action outside the list, and the model must learn to read that too.
    """

    pad_token_id: int
    gazetteer_dropout: float = 0.0
    token_dropout: float = 0.0
    mask_token_id: int | None = None
    cue_line_mask: float = 0.0
    stance_cue_mask: float = 0.0
    gazetteer_match_dropout: float = 0.0

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        chunks: list[list[int]] = []
        cue_pieces: list[list[int]] = []
        gazetteer: list[list[int]] = []
        tags: list[list[int]] = []
        chunk_paragraph: list[int] = []
        paragraph_document: list[int] = []
        paragraph_position: list[int] = []
        paragraph_features: list[list[float]] = []
        kinds: list[int] = []
        stances: list[int] = []
        span_chunks: list[int] = []
        span_pieces: list[list[int]] = []
        pairs: dict[str, list] = {
            k: [] for k in ("pair_holder", "pair_target", "pair_between", "pair_paragraph", "pair_features", "pair_labels")
        }
        offset = 0
        for doc_index, feature in enumerate(features):
            span_offset = len(span_chunks)
            span_chunks.extend(c + len(chunks) for c in feature.get("span_chunk") or [])
            span_pieces.extend(feature.get("span_pieces") or [])
            pairs["pair_holder"].extend(h + span_offset for h in feature.get("pair_holder") or [])
            pairs["pair_target"].extend(t + span_offset for t in feature.get("pair_target") or [])
            pairs["pair_between"].extend(b + span_offset for b in feature.get("pair_between") or [])
            pairs["pair_paragraph"].extend(p + offset for p in feature.get("pair_paragraph") or [])
            pairs["pair_features"].extend(feature.get("pair_features") or [])
            pairs["pair_labels"].extend(feature.get("pair_labels") or [])
            n_paragraphs = len(feature["paragraph_features"])
            hide = self.gazetteer_dropout > 0 and random.random() < self.gazetteer_dropout
            chunks.extend(feature["input_ids"])
            cue_pieces.extend(feature.get("cue_pieces") or [[] for _ in feature["input_ids"]])
            if hide:
                gazetteer.extend([[0] * len(g) for g in feature["gazetteer_ids"]])
            else:
                gazetteer.extend(hide_matches(g, self.gazetteer_match_dropout) for g in feature["gazetteer_ids"])
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

        input_ids = pad(chunks, self.pad_token_id)
        attention_mask = pad([[1] * len(c) for c in chunks], 0)
        features_tensor = torch.tensor(paragraph_features, dtype=torch.float)
        if self.mask_token_id is not None and self.stance_cue_mask > 0:
            cued = torch.zeros(offset, dtype=torch.bool)
            cued[[p for p, pieces in zip(chunk_paragraph, cue_pieces, strict=True) if pieces]] = True
            hidden = cued & (torch.rand(offset) < self.stance_cue_mask)
            for chunk, (paragraph, pieces) in enumerate(zip(chunk_paragraph, cue_pieces, strict=True)):
                if pieces and hidden[paragraph]:
                    input_ids[chunk, pieces] = self.mask_token_id
            features_tensor[hidden, STANCE_CUE_SLICE] = 0.0
        if self.mask_token_id is not None and (self.token_dropout > 0 or self.cue_line_mask > 0):
            inner = attention_mask.bool() & (torch.arange(width) > 0) & (torch.arange(width) < attention_mask.sum(1, keepdim=True) - 1)
            if self.token_dropout > 0:
                input_ids[inner & (torch.rand(input_ids.shape) < self.token_dropout)] = self.mask_token_id
            if self.cue_line_mask > 0:
                cued = torch.tensor([any(row[CHROME_CUE_SLICE]) for row in paragraph_features], dtype=torch.bool)
                hidden = cued & (torch.rand(len(cued)) < self.cue_line_mask)
                chunk_hidden = hidden[torch.tensor(chunk_paragraph, dtype=torch.long)]
                input_ids[inner & chunk_hidden[:, None]] = self.mask_token_id

        flat = [chunk * width + piece for chunk, pieces in zip(span_chunks, span_pieces, strict=True) for piece in pieces]
        bag_offsets = [0]
        for pieces in span_pieces[:-1]:
            bag_offsets.append(bag_offsets[-1] + len(pieces))

        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "gazetteer_ids": pad(gazetteer, 0),
            "tag_labels": pad(tags, IGNORE_INDEX),
            "chunk_paragraph": torch.tensor(chunk_paragraph, dtype=torch.long),
            "paragraph_document": torch.tensor(paragraph_document, dtype=torch.long),
            "paragraph_position": torch.tensor(paragraph_position, dtype=torch.long),
            "paragraph_features": features_tensor,
            "kind_labels": torch.tensor(kinds, dtype=torch.long),
            "stance_labels": torch.tensor(stances, dtype=torch.long),
            "span_pieces": torch.tensor(flat, dtype=torch.long),
            "span_offsets": torch.tensor(bag_offsets if span_pieces else [], dtype=torch.long),
            "pair_holder": torch.tensor(pairs["pair_holder"], dtype=torch.long),
            "pair_target": torch.tensor(pairs["pair_target"], dtype=torch.long),
            "pair_between": torch.tensor(pairs["pair_between"], dtype=torch.long),
            "pair_paragraph": torch.tensor(pairs["pair_paragraph"], dtype=torch.long),
            "pair_features": torch.tensor(pairs["pair_features"], dtype=torch.float).reshape(-1, NUM_PAIR_FEATURES),
            "pair_labels": torch.tensor(pairs["pair_labels"], dtype=torch.long),
        }

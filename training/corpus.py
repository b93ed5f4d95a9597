"""The authored corpus: articles and whole pages; load, locate mentions, split by id.

Authoring format (``data/articles/*.jsonl``, one article a line)::

    {"id": "gaza-001", "topic": "gaza_diplomacy", "paragraphs": [
      {"kind": "title", "text": "...", "stance": "neutral",
       "mentions": [["حماس", "ORG", "HAMAS"]], "stances": [["HAMAS", "RUS", "supportive"]]}]}

Mentions are written as surface strings in order of appearance; their offsets are
computed here (each is searched after the previous one), never typed by hand.

An article may say ``"stance_annotated": false``: its stance and triples are still checked
(they must agree) but are not used, so its paragraphs train the paragraph, kind and actor
heads and leave the stance and triple heads alone (``training.data`` ignores a paragraph
without ``stance``, as it ignores a fragment of a split line). It marks articles whose
stance annotation was measured to hurt real pages (``data/README.md``).

Authored pages (``data/pages/*.jsonl``) are whole scraped-looking pages written line by
line in the manner of one site each: ``{"id", "site", "paragraphs": [...]}`` where body
lines (title, text, caption) are annotated as article paragraphs and every other line
carries only ``text`` and ``kind``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from models.labels import BODY_KINDS, ENTITY_TYPES, KINDS, POLARITIES, STANCES, stance_from_polarities
from models.registry import ActorRegistry

SPLITS = ("train", "dev", "test")


class CorpusError(ValueError):
    """An authored article is invalid; the message names file, line and field."""


@dataclass
class Mention:
    start: int
    end: int
    type: str
    actor: str | None

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "type": self.type, "actor": self.actor}


@dataclass
class ArticleParagraph:
    text: str
    kind: str
    stance: str | None  # None: not annotated (the paragraph carries no stance and no triples)
    actors: list[Mention] = field(default_factory=list)
    stances: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """SPEC.md paragraph; without ``stance`` and ``stances`` when the stance is not annotated."""
        out: dict = {"text": self.text, "kind": self.kind}
        if self.stance is not None:
            out["stance"] = self.stance
        out["actors"] = [m.to_json() for m in self.actors]
        if self.stance is not None:
            out["stances"] = self.stances
        return out


@dataclass
class Article:
    id: str
    topic: str
    paragraphs: list[ArticleParagraph]
    source_file: str = ""

    @property
    def title(self) -> ArticleParagraph | None:
        return self.paragraphs[0] if self.paragraphs and self.paragraphs[0].kind == "title" else None

    @property
    def body(self) -> list[ArticleParagraph]:
        return [p for p in self.paragraphs if p.kind != "title"]

    def to_document(self) -> dict:
        return {"id": self.id, "source": "authored", "paragraphs": [p.to_json() for p in self.paragraphs]}


@dataclass
class AuthoredPage:
    id: str
    site: str
    paragraphs: list[dict]  # SPEC.md paragraphs: annotated body lines, text + kind for the others
    source_file: str = ""

    def article(self) -> Article | None:
        """The page's own article (its first title and its body lines in order), to be reused in assembled pages."""
        body = [p for p in self.paragraphs if p["kind"] in BODY_KINDS]
        title = next((p for p in body if p["kind"] == "title"), None)
        rest = [p for p in body if p["kind"] != "title"]
        if not rest:
            return None
        paragraphs = ([title] if title else []) + rest
        parsed = [
            ArticleParagraph(p["text"], p["kind"], p.get("stance"), [Mention(**a) for a in p["actors"]], list(p.get("stances") or []))
            for p in paragraphs
        ]
        return Article(self.id, "page:" + self.site, parsed, source_file=self.source_file)

    def to_document(self) -> dict:
        return {"id": self.id, "source": self.site, "article": self.id, "paragraphs": self.paragraphs}


def split_of(article_id: str, dev: float = 0.1, test: float = 0.1) -> str:
    """Deterministic split of an article by its id (a stable hash, not Python's salted one)."""
    bucket = int(hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < test:
        return "test"
    if bucket < test + dev:
        return "dev"
    return "train"


_CLITIC_PREFIXES = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك", "لـ", "بـ", "ولـ", "وبـ", "ل", "ول")


def _is_letter(char: str) -> bool:
    return char.isalpha()


def find_mention(text: str, surface: str, cursor: int) -> int:
    """Where ``surface`` names an actor in ``text`` at or after ``cursor``, or -1.

    The first occurrence that ends at a word boundary and starts at one (or after a
    glued clitic: «لحماس», «وواشنطن») wins, so «الرياض» is not found inside «الرياضة»;
    with none, the first occurrence at all (an author may tag a name inside a compound).
    """
    first = text.find(surface, cursor)
    start = first
    while start >= 0:
        end = start + len(surface)
        word_start = start
        while word_start > 0 and _is_letter(text[word_start - 1]):
            word_start -= 1
        if (end == len(text) or not _is_letter(text[end])) and text[word_start:start] in _CLITIC_PREFIXES:
            return start
        start = text.find(surface, start + 1)
    return first


def _parse_paragraph(raw: dict, where: str, registry: ActorRegistry) -> ArticleParagraph:
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip() or "\n" in text or text != text.strip():
        raise CorpusError(f"{where}: field 'text' must be one non-empty, stripped line")
    kind = raw.get("kind")
    if kind not in BODY_KINDS:
        raise CorpusError(f"{where}: field 'kind' is {kind!r}; articles hold only {BODY_KINDS}")
    stance = raw.get("stance", "neutral")
    if stance not in STANCES:
        raise CorpusError(f"{where}: field 'stance' is {stance!r}; expected one of {STANCES}")
    mentions: list[Mention] = []
    cursor = 0
    for j, item in enumerate(raw.get("mentions", [])):
        if not (isinstance(item, list) and len(item) == 3):
            raise CorpusError(f"{where}: field 'mentions[{j}]' must be [surface, type, id]")
        surface, entity_type, actor = item
        start = find_mention(text, surface, cursor) if isinstance(surface, str) and surface else -1
        if start < 0:
            raise CorpusError(f"{where}: field 'mentions[{j}]': «{surface}» not found after offset {cursor}")
        if entity_type not in ENTITY_TYPES:
            raise CorpusError(f"{where}: field 'mentions[{j}]': type {entity_type!r} not in {ENTITY_TYPES}")
        clitic = registry.glued_clitic(surface)
        if clitic:
            raise CorpusError(
                f"{where}: field 'mentions[{j}]': «{surface}» carries the clitic «{surface[:clitic]}»; "
                f"tag «{surface[clitic:]}» (SPEC.md: the span leaves out a clitic that is not part of the name)"
            )
        if actor is not None and actor not in registry:
            raise CorpusError(f"{where}: field 'mentions[{j}]': actor {actor!r} is not in the registry")
        cursor = start + len(surface)
        mentions.append(Mention(start, cursor, entity_type, actor))
    triples: list[dict] = []
    for j, item in enumerate(raw.get("stances", [])):
        if not (isinstance(item, list) and len(item) == 3 and item[2] in POLARITIES):
            raise CorpusError(f"{where}: field 'stances[{j}]' must be [holder, target, supportive|critical]")
        triples.append({"holder": item[0], "target": item[1], "polarity": item[2]})
    implied = stance_from_polarities({t["polarity"] for t in triples})
    if triples and implied != stance:
        raise CorpusError(f"{where}: field 'stance' is {stance!r} but its triples make it {implied!r}")
    return ArticleParagraph(text, kind, stance, mentions, triples)


def _record(line: str, where: str, what: str) -> dict:
    """The JSON object of one authoring line, with its string 'id' and list 'paragraphs' checked."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as err:
        raise CorpusError(f"{where}: invalid JSON ({err.msg} at column {err.colno})") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("paragraphs"), list):
        raise CorpusError(f"{where}: {what} needs string 'id' and list 'paragraphs'")
    return raw


def parse_article(line: str, where: str, registry: ActorRegistry, source_file: str = "") -> Article:
    """One authored article from its JSON line; ``where`` (file:line) prefixes every error."""
    raw = _record(line, where, "an article")
    if not raw["paragraphs"]:
        raise CorpusError(f"{where}: field 'paragraphs' is empty")
    paragraphs = [_parse_paragraph(p, f"{where}: paragraphs[{i}]", registry) for i, p in enumerate(raw["paragraphs"])]
    annotated = raw.get("stance_annotated", True)
    if not isinstance(annotated, bool):
        raise CorpusError(f"{where}: field 'stance_annotated' must be true or false, found {annotated!r}")
    if not annotated:
        for paragraph in paragraphs:
            paragraph.stance, paragraph.stances = None, []
    return Article(raw["id"], str(raw.get("topic", "")), paragraphs, source_file=source_file)


def read_articles(path: Path, registry: ActorRegistry) -> Iterator[Article]:
    """Articles of one authoring file; raises :class:`CorpusError` naming file, line and field."""
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if line.strip():
                yield parse_article(line, f"{path}:{line_no}", registry, path.name)


def parse_page(line: str, where: str, registry: ActorRegistry, source_file: str = "") -> AuthoredPage:
    """One authored page from its JSON line; ``where`` (file:line) prefixes every error."""
    raw = _record(line, where, "a page")
    paragraphs: list[dict] = []
    for i, p in enumerate(raw["paragraphs"]):
        at = f"{where}: paragraphs[{i}]"
        if not isinstance(p, dict):
            raise CorpusError(f"{at}: a paragraph must be an object")
        if p.get("kind") in BODY_KINDS:
            paragraphs.append(_parse_paragraph(p, at, registry).to_json())
            continue
        text = p.get("text")
        if p.get("kind") not in KINDS:
            raise CorpusError(f"{at}: field 'kind' is {p.get('kind')!r}; expected one of {KINDS}")
        if not isinstance(text, str) or not text.strip() or "\n" in text or text != text.strip():
            raise CorpusError(f"{at}: field 'text' must be one non-empty, stripped line")
        paragraphs.append({"text": text, "kind": p["kind"]})
    if not any(p["kind"] in BODY_KINDS for p in paragraphs):
        raise CorpusError(f"{where}: a page needs its article's body lines")
    return AuthoredPage(raw["id"], str(raw.get("site", "")), paragraphs, source_file)


def load_pages(pages_dir: str | Path, registry: ActorRegistry) -> list[AuthoredPage]:
    """All authored pages under ``pages_dir`` (none if it does not exist); ids must be unique."""
    pages: list[AuthoredPage] = []
    seen: set[str] = set()
    for path in sorted(Path(pages_dir).glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                page = parse_page(line, f"{path}:{line_no}", registry, path.name)
                if page.id in seen:
                    raise CorpusError(f"{path}:{line_no}: page id {page.id!r} already used")
                seen.add(page.id)
                pages.append(page)
    return pages


def load_corpus(articles_dir: str | Path, registry: ActorRegistry) -> list[Article]:
    """All articles under ``articles_dir`` (sorted by file, then line); ids must be unique."""
    articles: list[Article] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(articles_dir).glob("*.jsonl")):
        for article in read_articles(path, registry):
            if article.id in seen:
                raise CorpusError(f"{path}: article id {article.id!r} already used in {seen[article.id]}")
            seen[article.id] = path.name
            articles.append(article)
    return articles

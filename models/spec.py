"""The SPEC.md data format: one JSONL reader and the one validator of documents.

Every file of documents the project reads (gold files, assembled pages, files to
classify) goes through :func:`iter_jsonl`, which reports a bad line (not UTF-8, not
JSON) with its file and line instead of failing on it; :func:`validate_documents`
names file, line and field of every error in a SPEC.md document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from .labels import BODY_KINDS, ENTITY_TYPES, KINDS, POLARITIES, STANCES
from .registry import ActorRegistry
from .registry_file import type_name


class SpecError(ValueError):
    """A file is not valid SPEC.md JSONL; the message names file, line and field."""


@dataclass(frozen=True)
class JsonlRecord:
    """One non-blank line of a JSONL file: its parsed value, or why it could not be parsed."""

    path: str
    line: int
    value: Any = None
    error: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def parse_jsonl_line(raw: bytes, path: str | Path, number: int) -> JsonlRecord | None:
    """One line of a JSONL file (``number`` counts from 1), parsed; None for a blank line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return JsonlRecord(str(path), number, error=f"{path}:{number}: not UTF-8 (byte {err.start})")
    if not line.strip():
        return None
    try:
        return JsonlRecord(str(path), number, json.loads(line))
    except json.JSONDecodeError as err:
        return JsonlRecord(str(path), number, error=f"{path}:{number}: invalid JSON ({err.msg} at column {err.colno})")
    except RecursionError:
        return JsonlRecord(str(path), number, error=f"{path}:{number}: JSON nested too deeply")


def iter_jsonl(path: str | Path) -> Iterator[JsonlRecord]:
    """The non-blank lines of a JSONL file, parsed; a line that is not UTF-8 or not JSON comes back with its error."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if (record := parse_jsonl_line(raw, path, number)) is not None:
                yield record


def read_jsonl(path: str | Path) -> list:
    """All values of a JSONL file; raises :class:`SpecError` at the first bad line."""
    values = []
    for record in iter_jsonl(path):
        if record.error:
            raise SpecError(record.error)
        values.append(record.value)
    return values


@dataclass
class CheckResult:
    """What a validator found: records read (non-blank lines), how many of them were valid, and every error."""

    records: int = 0
    valid: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: CheckResult) -> None:
        self.records += other.records
        self.valid += other.valid
        self.errors.extend(other.errors)

    def summary(self) -> str:
        return f"{self.records} record(s), {self.valid} valid, {len(self.errors)} error(s)"


def _is_offset(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_paragraph(p: object, where: str, registry: ActorRegistry | None) -> list[str]:
    """Errors of one SPEC.md paragraph; ``where`` is ``file:line: paragraphs[i]``."""
    if not isinstance(p, dict):
        return [f"{where}: a paragraph must be an object, found {type_name(p)}"]
    errors = []
    text = p.get("text")
    if not isinstance(text, str) or not text.strip():
        found = repr(text) if isinstance(text, str) else type_name(text)
        errors.append(f"{where}.text: must be a non-empty string, found {found}")
        text = None
    elif "\n" in text or "\r" in text or text != text.strip():
        errors.append(f"{where}.text: must be one stripped line (a paragraph is a non-empty line)")
    kind = p.get("kind")
    if kind not in KINDS:
        errors.append(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
        return errors
    if kind not in BODY_KINDS:
        extra = sorted(set(p) - {"text", "kind"})
        if extra:
            errors.append(f"{where}: boilerplate paragraphs carry only text and kind, found {', '.join(extra)}")
        return errors
    if "stance" in p and p["stance"] not in STANCES:
        errors.append(f"{where}.stance: {p['stance']!r} is not one of {', '.join(STANCES)}")
    actors, triples = p.get("actors"), p.get("stances")
    if actors is not None and not isinstance(actors, list):  # null: not annotated (seeds-kinds)
        errors.append(f"{where}.actors: must be a list, found {type_name(actors)}")
        actors = None
    if triples is not None and not isinstance(triples, list):
        errors.append(f"{where}.stances: must be a list, found {type_name(triples)}")
        triples = None
    for j, a in enumerate(actors or []):
        errors.extend(_actor_errors(a, f"{where}.actors[{j}]", text, registry))
    for j, t in enumerate(triples or []):
        at = f"{where}.stances[{j}]"
        if not isinstance(t, dict):
            errors.append(f"{at}: must be an object, found {type_name(t)}")
            continue
        for key in ("holder", "target"):
            if not isinstance(t.get(key), str) or not t[key].strip():
                errors.append(f"{at}.{key}: must be a non-empty string (an actor id or the mention text), found {t.get(key)!r}")
        if t.get("polarity") not in POLARITIES:
            errors.append(f"{at}.polarity: {t.get('polarity')!r} is not one of {', '.join(POLARITIES)}")
    return errors


def _actor_errors(a: object, at: str, text: str | None, registry: ActorRegistry | None) -> list[str]:
    """Errors of one actor mention of a paragraph whose text is ``text`` (None when the text itself is bad)."""
    if not isinstance(a, dict):
        return [f"{at}: must be an object, found {type_name(a)}"]
    errors = []
    start, end = a.get("start"), a.get("end")
    if not (_is_offset(start) and _is_offset(end)):
        errors.append(f"{at}: offsets ({start!r}, {end!r}) must be integers")
    elif text is not None and not 0 <= start < end <= len(text):
        errors.append(f"{at}: offsets ({start}, {end}) are not a span of the {len(text)}-character text")
    elif text is not None:
        span = text[start:end]
        if span != span.strip():
            errors.append(f"{at}: span «{span}» starts or ends with whitespace")
        if "text" in a and a["text"] != span:
            errors.append(f"{at}.text: {a['text']!r} is not the text at ({start}, {end}), which is «{span}»")
    if a.get("type") not in ENTITY_TYPES:
        errors.append(f"{at}.type: {a.get('type')!r} is not one of {', '.join(ENTITY_TYPES)}")
    actor = a.get("actor")
    if actor is not None and not isinstance(actor, str):
        errors.append(f"{at}.actor: must be an id string or null, found {type_name(actor)}")
    elif registry is not None and actor is not None and actor not in registry:
        errors.append(f"{at}.actor: {actor!r} is not in the registry")
    return errors


def validate_document(doc: object, where: str, registry: ActorRegistry | None) -> list[str]:
    """Errors of one SPEC.md document; ``where`` is ``file:line``."""
    if not isinstance(doc, dict):
        return [f"{where}: a document must be a JSON object, found {type_name(doc)}"]
    paragraphs = doc.get("paragraphs")
    if not isinstance(paragraphs, list) or not paragraphs:
        return [f"{where}: paragraphs: a document needs a non-empty 'paragraphs' list, found {paragraphs!r:.40}"]
    return [e for i, p in enumerate(paragraphs) for e in validate_paragraph(p, f"{where}: paragraphs[{i}]", registry)]


def check_documents(path: str | Path, registry: ActorRegistry | None) -> CheckResult:
    """Every error of a SPEC.md JSONL file (documents with paragraphs), and how many of its records are valid.

    Never raises for bad data: an unreadable file, an empty one, a line that is not UTF-8 or
    not JSON are errors like the others, and the remaining lines are still checked.
    """
    result = CheckResult()
    try:
        for record in iter_jsonl(path):
            result.records += 1
            errors = [record.error] if record.error else validate_document(record.value, record.where, registry)
            result.valid += not errors
            result.errors.extend(errors)
    except OSError as err:
        result.errors.append(f"{path}: cannot be read ({err.strerror or err})")
        return result
    if not result.records:
        result.errors.append(f"{path}: no documents (the file has no non-blank line)")
    return result


def validate_documents(path: str | Path, registry: ActorRegistry | None) -> list[str]:
    """Errors of a SPEC.md JSONL file (documents with paragraphs); an empty file is one."""
    return check_documents(path, registry).errors


def read_documents(path: str | Path, registry: ActorRegistry | None = None) -> list[dict]:
    """The documents of a SPEC.md JSONL file, all checked; raises :class:`SpecError` naming file, line and field (an empty file is an error)."""
    errors = validate_documents(path, registry)
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise SpecError("; ".join(errors[:5]) + more)
    return [record.value for record in iter_jsonl(path)]

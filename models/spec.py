"""The SPEC.md data format: one JSONL reader and the one validator of documents.

Every file of documents the project reads (gold files, assembled pages, files to
classify) goes through :func:`iter_jsonl`, which reports a bad line (not UTF-8, not
JSON) with its file and line instead of failing on it; :func:`validate_documents`
names file, line and field of every error in a SPEC.md document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .labels import BODY_KINDS, ENTITY_TYPES, KINDS, POLARITIES, STANCES
from .registry import ActorRegistry


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


def iter_jsonl(path: str | Path) -> Iterator[JsonlRecord]:
    """The non-blank lines of a JSONL file, parsed; a line that is not UTF-8 or not JSON comes back with its error."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield JsonlRecord(str(path), number, error=f"{path}:{number}: not UTF-8 (byte {err.start})")
                continue
            if not line.strip():
                continue
            try:
                yield JsonlRecord(str(path), number, json.loads(line))
            except json.JSONDecodeError as err:
                yield JsonlRecord(str(path), number, error=f"{path}:{number}: invalid JSON ({err.msg} at column {err.colno})")
            except RecursionError:
                yield JsonlRecord(str(path), number, error=f"{path}:{number}: JSON nested too deeply")


def read_jsonl(path: str | Path) -> list:
    """All values of a JSONL file; raises :class:`SpecError` at the first bad line."""
    values = []
    for record in iter_jsonl(path):
        if record.error:
            raise SpecError(record.error)
        values.append(record.value)
    return values


def validate_paragraph(p: object, where: str, registry: ActorRegistry | None) -> list[str]:
    if not isinstance(p, dict):
        return [f"{where}: a paragraph must be an object"]
    errors = []
    text = p.get("text")
    if not isinstance(text, str) or not text.strip():
        return [f"{where}.text: must be a non-empty string"]
    if "\n" in text or "\r" in text or text != text.strip():
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
    for j, a in enumerate(p.get("actors") or []):
        at = f"{where}.actors[{j}]"
        if not isinstance(a, dict):
            errors.append(f"{at}: must be an object")
            continue
        start, end = a.get("start"), a.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            errors.append(f"{at}: offsets ({start}, {end}) are not a span of the {len(text)}-character text")
        elif text[start:end] != text[start:end].strip():
            errors.append(f"{at}: span «{text[start:end]}» starts or ends with whitespace")
        if a.get("type") not in ENTITY_TYPES:
            errors.append(f"{at}.type: {a.get('type')!r} is not one of {', '.join(ENTITY_TYPES)}")
        if registry is not None and a.get("actor") is not None and a["actor"] not in registry:
            errors.append(f"{at}.actor: {a['actor']!r} is not in the registry")
    for j, t in enumerate(p.get("stances") or []):
        at = f"{where}.stances[{j}]"
        if not isinstance(t, dict) or not all(isinstance(t.get(k), str) and t.get(k) for k in ("holder", "target")):
            errors.append(f"{at}: needs string holder and target")
        elif t.get("polarity") not in POLARITIES:
            errors.append(f"{at}.polarity: {t.get('polarity')!r} is not one of {', '.join(POLARITIES)}")
    return errors


def validate_document(doc: object, where: str, registry: ActorRegistry | None) -> list[str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("paragraphs"), list) or not doc["paragraphs"]:
        return [f"{where}: a document needs a non-empty 'paragraphs' list"]
    return [e for i, p in enumerate(doc["paragraphs"]) for e in validate_paragraph(p, f"{where}: paragraphs[{i}]", registry)]


def validate_documents(path: str | Path, registry: ActorRegistry | None) -> list[str]:
    """Errors of a SPEC.md JSONL file (documents with paragraphs)."""
    errors: list[str] = []
    for record in iter_jsonl(path):
        errors.extend([record.error] if record.error else validate_document(record.value, record.where, registry))
    return errors


def read_documents(path: str | Path, registry: ActorRegistry | None = None) -> list[dict]:
    """The documents of a SPEC.md JSONL file, all checked; raises :class:`SpecError` naming file, line and field."""
    errors = validate_documents(path, registry)
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise SpecError("; ".join(errors[:5]) + more)
    documents = [record.value for record in iter_jsonl(path)]
    if not documents:
        raise SpecError(f"{path}: no documents")
    return documents

"""Validate corpus and SPEC.md files; every error names file, line and field.

    python -m training.validate                      # data/registry.json + data/articles/*.jsonl
    python -m training.validate pages.jsonl ...      # SPEC.md JSONL documents (gold or pages)

Exit status 1 when any error is found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.labels import BODY_KINDS, ENTITY_TYPES, KINDS, POLARITIES, STANCES
from models.registry import ActorRegistry, RegistryError

from .corpus import CorpusError, parse_article


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


def validate_documents(path: Path, registry: ActorRegistry | None) -> list[str]:
    """Errors of a SPEC.md JSONL file (documents with paragraphs)."""
    errors: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as err:
                errors.append(f"{where}: invalid JSON ({err.msg} at column {err.colno})")
                continue
            if not isinstance(doc, dict) or not isinstance(doc.get("paragraphs"), list) or not doc["paragraphs"]:
                errors.append(f"{where}: a document needs a non-empty 'paragraphs' list")
                continue
            for i, p in enumerate(doc["paragraphs"]):
                errors.extend(validate_paragraph(p, f"{where}: paragraphs[{i}]", registry))
    return errors


def validate_articles(path: Path, registry: ActorRegistry) -> list[str]:
    """Errors of an authoring file, one per bad article (each line is checked on its own)."""
    errors: list[str] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                parse_article(line, f"{path}:{line_no}", registry, path.name)
            except CorpusError as err:
                errors.append(str(err))
    return errors


def validate_corpus(data_dir: Path) -> list[str]:
    try:
        registry = ActorRegistry.load(data_dir / "registry.json")
    except (RegistryError, FileNotFoundError) as err:
        return [str(err)]
    errors: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted((data_dir / "articles").glob("*.jsonl")):
        errors.extend(validate_articles(path, registry))
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                article_id = json.loads(line).get("id")
            except (json.JSONDecodeError, AttributeError):
                continue
            if article_id in seen:
                errors.append(f"{path}:{line_no}: id: {article_id!r} already used at {seen[article_id]}")
            seen[article_id] = f"{path}:{line_no}"
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="SPEC.md JSONL files (default: validate the corpus)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--registry", type=Path, default=None, help="registry to check actor ids against")
    args = parser.parse_args(argv)
    if args.files:
        registry = ActorRegistry.load(args.registry) if args.registry else None
        errors = [e for f in args.files for e in validate_documents(f, registry)]
        checked = ", ".join(map(str, args.files))
    else:
        errors = validate_corpus(args.data_dir)
        checked = f"{args.data_dir}/registry.json and {args.data_dir}/articles/*.jsonl"
    for error in errors:
        print(error, file=sys.stderr)
    print(f"{checked}: {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

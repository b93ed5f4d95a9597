"""Validate corpus and SPEC.md files; every error names file, line and field.

    python -m training.validate                      # data/registry.json + data/articles{,_measured}/*.jsonl + data/pages/*.jsonl
    python -m training.validate pages.jsonl ...      # SPEC.md JSONL documents (gold or pages)

Every bad record is reported (one line each on stderr) and the others are still checked;
bad data never ends in a traceback. The last line (stdout) counts records, valid records
and errors. Exit status 1 when any error is found, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from models.labels import BODY_KINDS, ENTITY_TYPES, POLARITIES
from models.registry import ActorRegistry
from models.registry_file import RegistryError, type_name
from models.spec import CheckResult, check_documents, iter_jsonl

from .corpus import CorpusError, parse_article, parse_page

Parse = Callable[..., object]


def _authored_paragraph_errors(p: object, at: str) -> list[str]:
    """Type errors of one authored paragraph (those the corpus loader would crash on or let through)."""
    if not isinstance(p, dict):
        return [f"{at}: a paragraph must be an object, found {type_name(p)}"]
    errors = []
    if not isinstance(p.get("text"), str):
        errors.append(f"{at}: field 'text' must be a string, found {type_name(p.get('text'))}")
    if p.get("kind") not in BODY_KINDS:  # boilerplate lines of a page carry only text and kind
        return errors
    mentions, triples = p.get("mentions", []), p.get("stances", [])
    if not isinstance(mentions, list):
        errors.append(f"{at}: field 'mentions' must be a list of [surface, type, id], found {type_name(mentions)}")
        mentions = []
    for j, item in enumerate(mentions):
        if not (isinstance(item, list) and len(item) == 3):
            errors.append(f"{at}: field 'mentions[{j}]' must be [surface, type, id], found {item!r:.60}")
            continue
        surface, entity_type, actor = item
        if not isinstance(surface, str) or not surface.strip():
            errors.append(f"{at}: field 'mentions[{j}][0]' (surface) must be a non-empty string, found {surface!r:.40}")
        if entity_type not in ENTITY_TYPES:
            errors.append(f"{at}: field 'mentions[{j}][1]' (type) is {entity_type!r:.40}; expected one of {', '.join(ENTITY_TYPES)}")
        if actor is not None and not isinstance(actor, str):
            errors.append(f"{at}: field 'mentions[{j}][2]' (id) must be a string or null, found {type_name(actor)}")
    if not isinstance(triples, list):
        errors.append(f"{at}: field 'stances' must be a list of [holder, target, polarity], found {type_name(triples)}")
        triples = []
    for j, item in enumerate(triples):
        if not (isinstance(item, list) and len(item) == 3):
            errors.append(f"{at}: field 'stances[{j}]' must be [holder, target, supportive|critical], found {item!r:.60}")
            continue
        for k, role in ((0, "holder"), (1, "target")):
            if not isinstance(item[k], str) or not item[k].strip():
                errors.append(f"{at}: field 'stances[{j}][{k}]' ({role}) must be a non-empty id string, found {item[k]!r:.40}")
        if item[2] not in POLARITIES:
            errors.append(f"{at}: field 'stances[{j}][2]' (polarity) is {item[2]!r:.40}; expected one of {', '.join(POLARITIES)}")
    return errors


def authored_record_errors(value: object, where: str) -> list[str]:
    """Type errors of one authored article or page (``where`` is file:line); all of them, not only the first."""
    if not isinstance(value, dict):
        return [f"{where}: a record must be a JSON object, found {type_name(value)}"]
    errors = []
    if not isinstance(value.get("id"), str) or not value["id"].strip():
        errors.append(f"{where}: field 'id' must be a non-empty string, found {value.get('id')!r:.40}")
    paragraphs = value.get("paragraphs")
    if not isinstance(paragraphs, list) or not paragraphs:
        errors.append(f"{where}: field 'paragraphs' must be a non-empty list, found {paragraphs!r:.40}")
        return errors
    for i, p in enumerate(paragraphs):
        errors.extend(_authored_paragraph_errors(p, f"{where}: paragraphs[{i}]"))
    return errors


def check_authored(
    path: Path, registry: ActorRegistry | None, parse: Parse = parse_article, seen: dict[str, str] | None = None
) -> CheckResult:
    """An authoring file (articles, or pages with ``parse_page``): every bad line reported, each line checked on its own.

    A record is first checked for types (every such error reported), then parsed by the corpus
    loader, whose first error is reported. Without a registry (it did not load) only the types are
    checked. ``seen`` (id → file:line, shared across files) reports an id used twice.
    """
    result = CheckResult()
    try:
        records = list(iter_jsonl(path))
    except OSError as err:
        result.errors.append(f"{path}: cannot be read ({err.strerror or err})")
        return result
    if not records:
        result.errors.append(f"{path}: no records (the file has no non-blank line)")
    for record in records:
        result.records += 1
        errors = [record.error] if record.error else authored_record_errors(record.value, record.where)
        if not errors and registry is not None:
            try:
                parse(json.dumps(record.value, ensure_ascii=False), record.where, registry, path.name)
            except CorpusError as err:
                errors.append(str(err))
            except Exception as err:  # a loader crash on data is still only an error of this line
                errors.append(f"{record.where}: cannot be loaded ({type(err).__name__}: {err})")
        document_id = record.value.get("id") if isinstance(record.value, dict) else None
        if seen is not None and isinstance(document_id, str):
            if document_id in seen:
                errors.append(f"{record.where}: field 'id': {document_id!r} already used at {seen[document_id]}")
            else:
                seen[document_id] = record.where
        result.valid += not errors
        result.errors.extend(errors)
    return result


def validate_authored(path: Path, registry: ActorRegistry, parse: Parse = parse_article) -> list[str]:
    """Errors of an authoring file (articles, or pages with ``parse_page``), one or more per bad line."""
    return check_authored(path, registry, parse).errors


def load_registry(path: Path, result: CheckResult) -> ActorRegistry | None:
    """The registry at ``path``, or None with its errors (all of them, with lines) added to ``result``."""
    try:
        return ActorRegistry.load(path)
    except RegistryError as err:
        result.errors.extend(err.errors)
    except OSError as err:
        result.errors.append(f"{path}: cannot be read ({err.strerror or err})")
    return None


def check_corpus(data_dir: Path) -> CheckResult:
    """The registry, every article (data/articles and the measured ones outside the build, data/articles_measured)
    and every authored page (data/pages); ids unique across them.

    When the registry does not load, its errors are reported and the records are checked for types only.
    """
    result = CheckResult()
    registry = load_registry(data_dir / "registry.json", result)
    seen: dict[str, str] = {}
    for folder, parse in (("articles", parse_article), ("articles_measured", parse_article), ("pages", parse_page)):
        for path in sorted((data_dir / folder).glob("*.jsonl")):
            result.add(check_authored(path, registry, parse, seen))
    return result


def validate_corpus(data_dir: Path) -> list[str]:
    """Errors of the corpus under ``data_dir`` (see :func:`check_corpus`)."""
    return check_corpus(data_dir).errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="SPEC.md JSONL files (default: validate the corpus)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--registry", type=Path, default=None, help="registry to check actor ids against")
    args = parser.parse_args(argv)
    if args.files:
        result = CheckResult()
        registry = load_registry(args.registry, result) if args.registry else None
        for path in args.files:
            result.add(check_documents(path, registry))
        checked = ", ".join(map(str, args.files))
    else:
        result = check_corpus(args.data_dir)
        checked = f"{args.data_dir}/registry.json, {args.data_dir}/articles/*.jsonl, {args.data_dir}/articles_measured/*.jsonl and {args.data_dir}/pages/*.jsonl"
    for error in result.errors:
        print(error, file=sys.stderr)
    print(f"{checked}: {result.summary()}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Validate corpus and SPEC.md files; every error names file, line and field.

    python -m training.validate                      # data/registry.json + data/articles/*.jsonl + data/pages/*.jsonl
    python -m training.validate pages.jsonl ...      # SPEC.md JSONL documents (gold or pages)

Exit status 1 when any error is found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.registry import ActorRegistry, RegistryError
from models.spec import iter_jsonl, validate_documents

from .corpus import CorpusError, parse_article, parse_page


def validate_authored(path: Path, registry: ActorRegistry, parse=parse_article) -> list[str]:
    """Errors of an authoring file (articles, or pages with ``parse_page``), one per bad line; each line is checked on its own."""
    errors: list[str] = []
    for record in iter_jsonl(path):
        if record.error:
            errors.append(record.error)
            continue
        try:
            parse(json.dumps(record.value, ensure_ascii=False), record.where, registry, path.name)
        except CorpusError as err:
            errors.append(str(err))
    return errors


def validate_corpus(data_dir: Path) -> list[str]:
    """The registry, every article (data/articles) and every authored page (data/pages); ids unique across them."""
    try:
        registry = ActorRegistry.load(data_dir / "registry.json")
    except (RegistryError, FileNotFoundError) as err:
        return [str(err)]
    errors: list[str] = []
    seen: dict[str, str] = {}
    for folder, parse in (("articles", parse_article), ("pages", parse_page)):
        for path in sorted((data_dir / folder).glob("*.jsonl")):
            errors.extend(validate_authored(path, registry, parse))
            for record in iter_jsonl(path):
                document_id = record.value.get("id") if isinstance(record.value, dict) else None
                if document_id is None:
                    continue
                if document_id in seen:
                    errors.append(f"{record.where}: id: {document_id!r} already used at {seen[document_id]}")
                seen[document_id] = record.where
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
        checked = f"{args.data_dir}/registry.json, {args.data_dir}/articles/*.jsonl and {args.data_dir}/pages/*.jsonl"
    for error in errors:
        print(error, file=sys.stderr)
    print(f"{checked}: {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

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

from models.registry import ActorRegistry, RegistryError
from models.spec import validate_documents

from .corpus import CorpusError, parse_article


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

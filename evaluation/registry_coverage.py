"""Which actors of a gold file the registry cannot name: ``python -m evaluation.registry_coverage``.

    python -m evaluation.registry_coverage --gold ../shared/eval/real-dev.jsonl   # make registry-coverage

Lists, for the gold mentions of body paragraphs, the surface forms whose id the registry
lacks, and those whose id it has but under no matching name (after folding and clitics),
most frequent first, with the share of mentions the registry covers. It reads the gold
file and prints counts and surface forms; it writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from models.labels import BODY_KINDS
from models.registry import ActorRegistry
from models.spec import read_documents


def coverage(documents: list[dict], registry: ActorRegistry) -> dict:
    missing_id: Counter[tuple[str, str]] = Counter()
    missing_name: Counter[tuple[str, str]] = Counter()
    total = named = 0
    for document in documents:
        for paragraph in document["paragraphs"]:
            if paragraph["kind"] not in BODY_KINDS:
                continue
            for actor in paragraph.get("actors") or []:
                surface = paragraph["text"][actor["start"] : actor["end"]]
                actor_id = actor.get("actor")
                total += 1
                if actor_id is not None and actor_id not in registry:
                    missing_id[(surface, actor_id)] += 1
                elif actor_id is not None and actor_id not in registry.candidates(surface):
                    missing_name[(surface, actor_id)] += 1
                else:
                    named += 1
    return {"mentions": total, "covered": named, "missing_id": missing_id, "missing_name": missing_name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=Path("../shared/eval/real-dev.jsonl"))
    parser.add_argument("--registry", type=Path, default=Path("data/registry.json"))
    args = parser.parse_args(argv)
    found = coverage(read_documents(args.gold), ActorRegistry.load(args.registry))
    share = found["covered"] / max(found["mentions"], 1)
    print(f"{args.gold}: {found['mentions']} mentions, {found['covered']} ({share:.1%}) named by {args.registry}")
    for title, key in (("ids the registry lacks", "missing_id"), ("ids it has under no such name", "missing_name")):
        rows = found[key].most_common()
        print(f"\n{title}: {len(rows)} surface forms, {sum(found[key].values())} mentions")
        for (surface, actor_id), count in rows:
            print(f"  {count:3d}  {actor_id:32s} {surface}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Add actors to the registry from files that helpers or users wrote, without changing what training reads.

    python -m training.registry_extend new_actors.json [more.json ...]           # the report only
    python -m training.registry_extend new_actors.json --write                   # and rewrite data/registry.json

The tagger finds a name mostly by its registry match: on real-dev it finds 93% of the names
that have one and 5% of those that have none (README, levers table). A registry that knows more
of the actors real news names is therefore the surest way to more actors found, and the new
names need no retraining. Each file maps ids to ``{"type", "name_en", "names", "affiliation"}``
(the registry's own format, :mod:`models.registry_file`). A name is added only where it is safe:

* a name the registry already gives another actor is left out, so no name gains a reading;
* a new actor one of whose names the registry (or an earlier file) gives an actor of the same
  type is that actor under another id, and is left out whole; a new place with a three-letter id would read as a
  state (SPEC.md gives states their ISO alpha-3 code) and is left out too;
* a single word of fewer than three letters is left out;
* a name that begins with a word the corpus mostly leaves outside the names it stands before
  («الرئيس», «بلدة», «محافظة»: SPEC.md mentions leave titles and descriptors out) is left out, or
  its registry match would carry the title into the span;
* a name found anywhere in the text of the built pages (``data/build``) is left out: either the
  corpus annotates it, and the registry has it already, or the corpus uses it as an ordinary
  word, and as a registry name it would mark a name where the annotators saw none. So the
  gazetteer features of every training page stay as they were: a checkpoint trained before
  reads the same pages the same way and can take the new registry as it is.

An affiliation that names no actor becomes null. Every decision is counted in the report.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from models.registry import ActorRegistry, is_state_id, key_of
from models.registry_file import RegistryError, merge_registries, read_registry_file, registry_problems
from models.spec import iter_jsonl

logger = logging.getLogger(__name__)

MIN_LETTERS = 3  # a one-word name shorter than this is too likely a clitic or an abbreviation of something else


def _name_index(registry: dict[str, dict]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for actor_id, entry in registry.items():
        for name in entry["names"]:
            index.setdefault(key_of(name), set()).add(actor_id)
    return index


def outside_words(paragraphs: Iterable[dict], min_count: int = 5) -> set[str]:
    """Words (keys) that stand right before a gold mention at least ``min_count`` times and more often than they begin one."""
    before: Counter = Counter()
    first: Counter = Counter()
    for paragraph in paragraphs:
        text = paragraph["text"]
        for mention in paragraph.get("actors") or []:
            words = key_of(text[mention["start"] : mention["end"]]).split()
            if len(words) > 1:
                first[words[0]] += 1
            previous = key_of(text[max(0, mention["start"] - 40) : mention["start"]]).split()
            if previous:
                before[previous[-1]] += 1
    return {word for word, n in before.items() if n >= min_count and n > first[word]}


def extend_registry(base: dict[str, dict], additions: dict[str, dict], paragraphs: Sequence[dict]) -> tuple[dict[str, dict], Counter]:
    """``base`` with the safe part of ``additions`` (see the module docstring), and what was decided, counted.

    ``paragraphs`` are the corpus's (``text``, and ``actors`` where annotated): new names must not occur
    in their text, and the words their mentions leave outside must not begin a new name.
    """
    report: Counter = Counter()
    titles = outside_words(paragraphs)
    index = _name_index(base)  # grows with the names kept, so two files cannot add one actor twice
    types = {actor_id: entry["type"] for actor_id, entry in base.items()}
    new_names: dict[str, list[str]] = {}  # actor id (new or existing) → names to add
    for actor_id, entry in sorted(additions.items()):
        existing = base.get(actor_id)
        if existing is not None and existing["type"] != entry["type"]:
            report["left out: an existing id with another type"] += 1
            continue
        if existing is None and entry["type"] == "LOC" and is_state_id(actor_id):
            report["left out: a new place with a state's id"] += 1
            continue
        owners = {owner for name in entry["names"] for owner in index.get(key_of(name), ()) if owner != actor_id}
        if existing is None and any(types[owner] == entry["type"] for owner in owners):
            report["left out: an existing actor under another id"] += 1
            continue
        kept = []
        for name in dict.fromkeys(entry["names"]):
            key = key_of(name)
            if " " not in key and len(key) < MIN_LETTERS:
                report["name left out: too short"] += 1
            elif " " in key and key.split()[0] in titles:
                report["name left out: begins with a title or descriptor"] += 1
            elif index.get(key, set()) - {actor_id}:
                report["name left out: another actor's"] += 1
            elif actor_id not in index.get(key, set()):
                kept.append(name)
        if kept:
            new_names[actor_id] = kept
            types[actor_id] = entry["type"]
            for name in kept:
                index.setdefault(key_of(name), set()).add(actor_id)
    # one pass over the corpus text with a registry of the new names only
    probe = ActorRegistry.from_dict(
        {actor_id: {"type": (base.get(actor_id) or additions[actor_id])["type"], "names": names} for actor_id, names in new_names.items()}
    )
    in_corpus = {key_of(p["text"][m.start : m.end]) for p in paragraphs for m in probe.find(p["text"])}
    merged = {actor_id: dict(entry, names=list(entry["names"])) for actor_id, entry in base.items()}
    for actor_id, names in new_names.items():
        names = [n for n in names if key_of(n) not in in_corpus]
        report["name left out: found in the corpus text"] += len(new_names[actor_id]) - len(names)
        if not names:
            continue
        if actor_id in merged:
            merged[actor_id]["names"].extend(names)
            report["names added to existing actors"] += len(names)
        else:
            entry = additions[actor_id]
            merged[actor_id] = {
                "type": entry["type"],
                "name_en": entry.get("name_en", ""),
                "names": names,
                "affiliation": entry.get("affiliation"),
            }
            report["actors added"] += 1
            report["names of added actors"] += len(names)
    for actor_id in set(merged) - set(base):
        if merged[actor_id]["affiliation"] is not None and merged[actor_id]["affiliation"] not in merged:
            merged[actor_id]["affiliation"] = None
            report["affiliation set to null: no such actor"] += 1
    return dict(sorted(merged.items())), report


def read_additions(paths: Iterable[Path], base: dict[str, dict]) -> dict[str, dict]:
    """The actors of ``paths``, merged by id; a malformed entry raises :class:`RegistryError` naming file, id and field.

    An affiliation only has to be a string here: one that names no actor becomes null in :func:`extend_registry`.
    """
    parts = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RegistryError(f"{path}: not a readable JSON file ({error})") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{path}: must be a JSON object mapping ids to actors")
        named = {
            k: dict(v, affiliation=None) if isinstance(v, dict) and isinstance(v.get("affiliation"), str) else v for k, v in data.items()
        }
        problems = [f"{path}: {actor_id}: {problem}" for actor_id, problem in registry_problems({**base, **named}) if actor_id in data]
        if problems:
            raise RegistryError(problems)
        parts.append((str(path), data))
    return merge_registries(parts)


def corpus_paragraphs(build_dir: Path) -> list[dict]:
    """Every paragraph of the built pages (``make data``)."""
    files = sorted(build_dir.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no built pages in {build_dir}: run `make data` first")
    return [
        paragraph for path in files for record in iter_jsonl(path) if record.value is not None for paragraph in record.value["paragraphs"]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="JSON files of actors in the registry's format")
    parser.add_argument("--registry", type=Path, default=Path("data/registry.json"))
    parser.add_argument("--build-dir", type=Path, default=Path("data/build"), help="built pages whose text new names must not occur in")
    parser.add_argument("--write", action="store_true", help="rewrite the registry file (else only report)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        base = read_registry_file(args.registry)
        additions = read_additions(args.files, base)
        merged, report = extend_registry(base, additions, corpus_paragraphs(args.build_dir))
    except (RegistryError, FileNotFoundError) as error:
        print(f"registry_extend: {error}", file=sys.stderr)
        return 1
    for what, n in sorted(report.items()):
        logger.info("%6d  %s", n, what)
    if args.write:
        args.registry.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        logger.info("%s: %d actors (was %d)", args.registry, len(merged), len(base))
    return 0


if __name__ == "__main__":
    sys.exit(main())

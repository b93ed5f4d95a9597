"""The registry file: reading it with every problem named by line and actor id, and merging parts.

A registry is one JSON object mapping an upper-case id to ``{"type", "name_en", "names",
"affiliation", "name_types"?}``. :func:`read_registry_file` parses it and refuses it with
every problem at once (not UTF-8, bad JSON, an id or field given twice, a bad field, an
affiliation that is not an id), each with its line; :func:`merge_registries` unions the
parts helpers wrote. :class:`~models.registry.ActorRegistry` is built on what this returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from .labels import ENTITY_TYPES

COMMON_WORD = "O"  # the name_types value of a name that is mostly not a mention in running text (e.g. المسيرة, النصر)
NAME_TYPES: tuple[str, ...] = (*ENTITY_TYPES, COMMON_WORD)
_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_KEY_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"\s*:')  # a key of a JSON object (in a registry file: an id or a field)


class RegistryError(ValueError):
    """The registry file is malformed; ``errors`` lists every problem, each naming the actor id and field."""

    def __init__(self, errors: str | list[str]) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


def type_name(value: object) -> str:
    """A JSON value's type as error messages name it (``null`` for None); the registry, SPEC and corpus validators share it."""
    return "null" if value is None else type(value).__name__


def registry_problems(data: object) -> list[tuple[str | None, str]]:
    """Every problem of a registry mapping, as (actor id or None, what is wrong with which field)."""
    if not isinstance(data, dict):
        return [(None, f"the registry must be a JSON object mapping ids to entries, found {type_name(data)}")]
    problems: list[tuple[str | None, str]] = []
    for actor_id, entry in data.items():
        if not isinstance(actor_id, str) or not _ID_RE.match(actor_id):
            problems.append((actor_id, f"id {actor_id!r} is not an upper-case identifier"))
        if not isinstance(entry, dict):
            problems.append((actor_id, f"the entry must be an object, found {type_name(entry)}"))
            continue
        if entry.get("type") not in ENTITY_TYPES:
            problems.append((actor_id, f"field 'type': {entry.get('type')!r} not in {ENTITY_TYPES}"))
        names = entry.get("names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            problems.append((actor_id, f"field 'names' must be a non-empty list of strings, found {names!r:.60}"))
        if not isinstance(entry.get("name_en", ""), str | None):
            problems.append((actor_id, f"field 'name_en' must be a string, found {type_name(entry['name_en'])}"))
        name_types = entry.get("name_types", {})
        if not isinstance(name_types, dict) or not all(isinstance(n, str) and t in NAME_TYPES for n, t in name_types.items()):
            problems.append((actor_id, f"field 'name_types' must map names to one of {NAME_TYPES}, found {name_types!r:.60}"))
        affiliation = entry.get("affiliation")
        if affiliation is not None and not isinstance(affiliation, str):
            problems.append((actor_id, f"field 'affiliation' must be an id string or null, found {type_name(affiliation)}"))
        elif affiliation is not None and affiliation not in data:
            problems.append((actor_id, f"field 'affiliation': {affiliation!r} is not in the registry"))
    return problems


def _key_lines(text: str) -> dict[str, int]:
    """Line of the first ``"KEY":`` of each key in a JSON text: where an actor id's entry starts (found cheaply, not parsed)."""
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _KEY_RE.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines.setdefault(match.group(1), line)
    return lines


def raise_problems(problems: list[tuple[str | None, str]], source: str, lines: dict[str, int] | None = None) -> NoReturn:
    errors = []
    for actor_id, problem in problems:
        line = lines.get(actor_id) if lines is not None and actor_id is not None else None
        where = f"{source}:{line}" if line else source
        errors.append(f"{where}: {problem}" if actor_id is None else f"{where}: {actor_id}: {problem}")
    raise RegistryError(errors)


def read_registry_file(path: str | Path) -> dict[str, dict]:
    """The registry mapping of a JSON file; raises :class:`RegistryError` listing every problem with its line and actor id."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise RegistryError(f"{path}:{line}: not UTF-8 (byte {err.start})") from err
    duplicates: dict[int, tuple[dict, list[str]]] = {}  # id() of a parsed object → (it, keys it holds more than once)

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            keys = [key for key, _ in pairs]
            duplicates[id(obj)] = (obj, sorted({key for key in keys if keys.count(key) > 1}))
        return obj

    try:
        data = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as err:
        raise RegistryError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from err
    except RecursionError as err:
        raise RegistryError(f"{path}: JSON nested too deeply") from err
    problems: list[tuple[str | None, str]] = [
        (key, "id given more than once; all but the last entry would be lost") for key in duplicates.get(id(data), ({}, []))[1]
    ]
    if isinstance(data, dict):
        for actor_id, entry in data.items():
            for key in duplicates.get(id(entry), ({}, []))[1]:
                problems.append((actor_id, f"field {key!r} given more than once"))
    problems += registry_problems(data)
    if problems:
        raise_problems(problems, str(path), _key_lines(text))
    return data


def merge_registries(parts: Iterable[tuple[str, dict[str, dict]]]) -> dict[str, dict]:
    """Union registry parts: names are merged, type and affiliation must agree.

    Raises :class:`RegistryError` listing every disagreement, each naming the id and both files.
    """
    merged: dict[str, dict] = {}
    origin: dict[str, str] = {}
    conflicts: list[str] = []
    for source, part in parts:
        for actor_id, entry in part.items():
            if actor_id not in merged:
                merged[actor_id] = {
                    "type": entry.get("type"),
                    "name_en": entry.get("name_en", ""),
                    "names": list(entry.get("names", [])),
                    "affiliation": entry.get("affiliation"),
                }
                origin[actor_id] = source
                continue
            have = merged[actor_id]
            if entry.get("type") != have["type"]:
                conflicts.append(f"{actor_id}: type {entry.get('type')} in {source} but {have['type']} in {origin[actor_id]}")
                continue
            if have["affiliation"] is None:
                have["affiliation"] = entry.get("affiliation")
            for name in entry.get("names", []):
                if name not in have["names"]:
                    have["names"].append(name)
    if conflicts:
        raise RegistryError(conflicts)
    return dict(sorted(merged.items()))

"""Quality gate: fail when a report's headline scores fall below pinned floors.

    python -m evaluation.gate reports/test/metrics.json          # floors from evaluation/floors.json

Floors are per report name; they only ever rise (raise them when a better model lands).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .metrics import headline

FLOORS = Path(__file__).with_name("floors.json")


def check(metrics_path: Path, floors_path: Path = FLOORS) -> list[str]:
    result = json.loads(metrics_path.read_text(encoding="utf-8"))
    floors = json.loads(floors_path.read_text(encoding="utf-8")).get(result["name"])
    if floors is None:
        return [f"no floors pinned for report {result['name']!r} in {floors_path}"]
    scores = headline(result["model"])
    failures = []
    for key, floor in floors.items():
        value = scores.get(key)
        if value is None or value < floor:
            failures.append(f"{result['name']}: {key} = {value if value is None else round(value, 4)} is below its floor {floor}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", nargs="+", type=Path)
    parser.add_argument("--floors", type=Path, default=FLOORS)
    args = parser.parse_args(argv)
    failures = [f for path in args.metrics for f in check(path, args.floors)]
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{len(args.metrics)} report(s), {len(failures)} below floor")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

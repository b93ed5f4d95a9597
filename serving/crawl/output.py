"""The crawl's output folder: one shard per chunk, written atomically, so that a killed run resumes.

Layout of ``OUT/``::

    crawl.json              what the crawl was run with (checked when a run resumes)
    shards/<chunk>.jsonl    page records of one chunk (or .parquet)
    errors/<chunk>.jsonl    the records of that chunk that could not be classified
    errors.jsonl            every error, gathered at the end of each run

A chunk's errors are written before its shard, and each file goes to a temporary name
first and is renamed into place: a shard that exists is complete, and its chunk is done.
A run skips every done chunk, so a killed run is resumed by running the same command
again; it refuses to resume into a folder made with other settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .records import parquet_schema
from .sources import Chunk

OUTPUT_FORMATS = ("jsonl", "parquet")


class OutputError(ValueError):
    """The output folder cannot be used (made by a crawl with other settings, or an unknown format)."""


class CrawlOutput:
    def __init__(self, root: str | Path, format: str = "jsonl"):
        if format not in OUTPUT_FORMATS:
            raise OutputError(f"unknown output format {format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
        self.root = Path(root)
        self.format = format
        self.shards = self.root / "shards"
        self.errors = self.root / "errors"

    def prepare(self, settings: dict) -> None:
        """Create the folder, or check that it holds a crawl with the same ``settings`` (then it resumes)."""
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"{self.root} exists and is not a folder; the crawl writes a folder of shards")
        manifest = self.root / "crawl.json"
        if manifest.exists():
            previous = json.loads(manifest.read_text(encoding="utf-8"))
            changed = sorted(k for k in settings if previous.get(k) != settings[k])
            if changed:
                detail = "; ".join(f"{k}: {previous.get(k)!r} then, {settings[k]!r} now" for k in changed)
                raise OutputError(
                    f"{self.root} holds a crawl made with other settings ({detail}); resume with the same ones or use a new folder"
                )
        self.shards.mkdir(parents=True, exist_ok=True)
        self.errors.mkdir(parents=True, exist_ok=True)
        _write_atomic(manifest, (json.dumps(settings, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))

    def shard_path(self, chunk: Chunk) -> Path:
        return self.shards / f"{chunk.name}.{self.format}"

    def is_done(self, chunk: Chunk) -> bool:
        return self.shard_path(chunk).exists()

    def write(self, chunk: Chunk, records: list[dict], errors: list[dict], stances: list[str]) -> None:
        """The chunk's errors, then its shard (whose presence marks the chunk done)."""
        _write_atomic(self.errors / f"{chunk.name}.jsonl", _jsonl(errors))
        if self.format == "jsonl":
            _write_atomic(self.shard_path(chunk), _jsonl(records))
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(records, schema=parquet_schema(stances))
            temporary = self.shard_path(chunk).with_suffix(".parquet.tmp")
            pq.write_table(table, temporary)
            os.replace(temporary, self.shard_path(chunk))

    def gather_errors(self) -> int:
        """Write ``errors.jsonl`` from every chunk's errors, in shard order; the number of errors."""
        count = 0
        temporary = self.root / "errors.jsonl.tmp"
        with temporary.open("wb") as out:
            for path in sorted(self.errors.glob("*.jsonl")):
                data = path.read_bytes()
                count += data.count(b"\n")
                out.write(data)
        os.replace(temporary, self.root / "errors.jsonl")
        return count


def _jsonl(items: list[dict]) -> bytes:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def read_records(root: str | Path) -> list[dict]:
    """Every page record of a finished crawl folder, ordered by source file and line (for tests and small crawls)."""
    shards = Path(root) / "shards"
    records: list[dict] = []
    for path in sorted(shards.glob("*.jsonl")):
        records.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    for path in sorted(shards.glob("*.parquet")):
        import pyarrow.parquet as pq

        records.extend(pq.read_table(path).to_pylist())
    return sorted(records, key=lambda r: (r["source"], r["line"]))

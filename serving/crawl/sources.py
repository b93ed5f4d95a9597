"""Where a crawl's pages come from: finding the input files, cutting them into chunks, reading a chunk.

An input is a JSONL or Parquet file, a folder of them (searched recursively) or a glob.
Each file is cut into chunks of at most ``chunk_pages`` records: JSONL by byte offsets
found in one pass over the file, Parquet by row group and row range. A chunk is the unit
of work, of output (one shard) and of resumption.

Ray Data's readers (``read_json``, ``read_parquet``) are not used for the records: they
stop at the first malformed line and do not say which line of which file a record came
from, and the crawl must keep every bad record as an error with its file, line and reason
while the rest is classified. Reading a chunk here is a plain sequential read, the same
in the local process and in a Ray actor.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from models.spec import parse_jsonl_line
from models.text import lone_surrogate, split_paragraphs

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


class InputError(ValueError):
    """The crawl's input cannot be read at all (no such file, unknown format, no ``text`` column)."""


@dataclass(frozen=True)
class Limits:
    """What a page may be; the service's limits (serving.settings) are the defaults."""

    max_paragraphs: int
    max_text_bytes: int


@dataclass(frozen=True)
class Chunk:
    """At most ``chunk_pages`` consecutive records of one file.

    JSONL: the bytes ``[start, stop)``. Parquet: rows ``[start, stop)`` of row group ``row_group``.
    ``first_line`` is the file's line (JSONL) or row (Parquet, from 1) where the chunk begins.
    """

    source: str
    format: str
    index: int
    first_line: int
    start: int
    stop: int
    row_group: int = 0

    @property
    def name(self) -> str:
        """A stable name for the chunk's output shard: file stem, a hash of the path, the chunk number."""
        digest = hashlib.sha1(self.source.encode("utf-8")).hexdigest()[:8]
        return f"{Path(self.source).stem}-{digest}-{self.index:05d}"


@dataclass(frozen=True)
class PageRow:
    """One input record: a page to classify (``text``), or why it cannot be (``error``: code and message)."""

    source: str
    line: int
    id: str | None
    text: str | None
    error: dict | None = None


def find_inputs(specs: list[str]) -> list[Path]:
    """The input files named by files, folders or globs, in a stable order, without repeats."""
    files: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
            if not found:
                raise InputError(f"{spec}: the folder has no .jsonl or .parquet file")
        elif path.is_file():
            if path.suffix.lower() not in FORMATS:
                raise InputError(f"{spec}: unknown format {path.suffix!r}; expected one of {', '.join(FORMATS)}")
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).suffix.lower() in FORMATS)
            if not found:
                raise InputError(f"{spec}: no such file, folder, or JSONL/Parquet file matching the glob")
        files.extend(p.resolve() for p in found)
    return list(dict.fromkeys(files))


def plan_chunks(files: list[Path], chunk_pages: int) -> list[Chunk]:
    """Every file cut into chunks of at most ``chunk_pages`` records, in file order."""
    if chunk_pages < 1:
        raise InputError(f"chunk_pages must be at least 1, not {chunk_pages}")
    chunks: list[Chunk] = []
    for path in files:
        plan = _plan_parquet if FORMATS[path.suffix.lower()] == "parquet" else _plan_jsonl
        chunks.extend(plan(path, chunk_pages))
    return chunks


def _plan_jsonl(path: Path, chunk_pages: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    offset = start = 0
    line = first = 1
    records = 0
    with open(path, "rb") as handle:
        for raw in handle:
            records += bool(raw.strip())
            offset += len(raw)
            line += 1
            if records == chunk_pages:
                chunks.append(Chunk(str(path), "jsonl", len(chunks), first, start, offset))
                start, first, records = offset, line, 0
    if records:
        chunks.append(Chunk(str(path), "jsonl", len(chunks), first, start, offset))
    return chunks


def _parquet_file(path: Path):
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for a file that is not Parquet
        raise InputError(f"{path}: not a readable Parquet file ({err})") from err
    if "text" not in parquet.schema_arrow.names:
        raise InputError(f"{path}: no 'text' column (columns: {', '.join(parquet.schema_arrow.names)})")
    return parquet


def _plan_parquet(path: Path, chunk_pages: int) -> list[Chunk]:
    parquet = _parquet_file(path)
    chunks: list[Chunk] = []
    rows_before = 0
    for group in range(parquet.num_row_groups):
        rows = parquet.metadata.row_group(group).num_rows
        for start in range(0, rows, chunk_pages):
            stop = min(rows, start + chunk_pages)
            chunks.append(Chunk(str(path), "parquet", len(chunks), rows_before + start + 1, start, stop, group))
        rows_before += rows
    return chunks


def read_chunk(chunk: Chunk, limits: Limits) -> Iterator[PageRow]:
    """The records of a chunk in order, each a page or an error in its place (never an exception for one record)."""
    if chunk.format == "parquet":
        yield from _read_parquet(chunk, limits)
        return
    with open(chunk.source, "rb") as handle:
        handle.seek(chunk.start)
        offset, number = chunk.start, chunk.first_line
        while offset < chunk.stop:
            raw = handle.readline()
            if not raw:
                break
            record = parse_jsonl_line(raw, chunk.source, number)
            offset += len(raw)
            number += 1
            if record is None:
                continue
            if record.error:
                code = "invalid_utf8" if "UTF-8" in record.error else "malformed_json"
                yield PageRow(chunk.source, record.line, None, None, {"code": code, "message": record.error})
            else:
                yield page_row(record.value, chunk.source, record.line, limits)


def _read_parquet(chunk: Chunk, limits: Limits) -> Iterator[PageRow]:
    parquet = _parquet_file(Path(chunk.source))
    columns = [c for c in ("id", "text") if c in parquet.schema_arrow.names]
    table = parquet.read_row_group(chunk.row_group, columns=columns).slice(chunk.start, chunk.stop - chunk.start)
    ids = table.column("id").to_pylist() if "id" in columns else [None] * table.num_rows
    for offset, (page_id, text) in enumerate(zip(ids, table.column("text").to_pylist(), strict=True)):
        yield page_row({"id": page_id, "text": text}, chunk.source, chunk.first_line + offset, limits)


def page_row(value: object, source: str, line: int, limits: Limits) -> PageRow:
    """A parsed record checked as the service checks a request: an object with a non-empty ``text`` within the limits."""
    where = f"{source}:{line}"
    if not isinstance(value, dict):
        return PageRow(source, line, None, None, {"code": "invalid_document", "message": f"{where}: expected an object with 'text'"})
    page_id = None if value.get("id") is None else str(value["id"])
    text = value.get("text")

    def error(code: str, message: str) -> PageRow:
        return PageRow(source, line, page_id, None, {"code": code, "message": f"{where}: {message}"})

    if not isinstance(text, str):
        return error("invalid_text", f"'text' must be a string, found {type(text).__name__}")
    if not text.strip():
        return error("empty_text", "'text' is empty or only whitespace")
    if (offset := lone_surrogate(text)) is not None:
        return error("invalid_text", f"'text' has a lone UTF-16 surrogate at offset {offset}")
    if (size := len(text.encode("utf-8"))) > limits.max_text_bytes:
        return error("too_large", f"'text' has {size} bytes; the limit is {limits.max_text_bytes}")
    if (paragraphs := len(split_paragraphs(text))) > limits.max_paragraphs:
        return error("too_many_paragraphs", f"'text' has {paragraphs} paragraphs; the limit is {limits.max_paragraphs}")
    return PageRow(source, line, page_id, text)

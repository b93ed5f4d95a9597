"""Classify a JSONL file of pages offline, in the service's response format.

    python -m serving.bulk pages.jsonl labelled.jsonl [--precision auto] [--cpu-workers 8]

Each input line is ``{"id": …, "text": "…"}`` (``id`` optional). Each output line is an
item of ``/v1/classify/batch``: ``{"index", "id", "ok", "result"}`` or, for a line that
cannot be classified, ``{"index", "id", "ok": false, "error": {"code", "message"}}`` in
its place, the message naming the file and line. Pages stream through
:meth:`Predictor.predict_text_stream`, so memory stays flat however long the file; the
exit status is 1 when any line failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from models.checkpoint import DEFAULT_MODEL_DIR
from models.onnx_encoder import BACKENDS
from models.precision import PRECISIONS
from models.predictor import DEFAULT_MAX_BATCH_TOKENS, Predictor
from models.spec import iter_jsonl
from models.text import lone_surrogate

from .responses import to_response

logger = logging.getLogger(__name__)


@dataclass
class Line:
    index: int
    id: str | None
    text: str | None  # None when the line is unusable
    error: dict | None = None


def read_lines(path: Path) -> Iterator[Line]:
    """The pages of a JSONL file, one :class:`Line` per non-blank line, errors in place (never a traceback)."""
    for index, record in enumerate(iter_jsonl(path)):
        where, value = record.where, record.value
        if record.error:
            code = "invalid_utf8" if "UTF-8" in record.error else "malformed_json"
            yield Line(index, None, None, {"code": code, "message": record.error})
        elif not isinstance(value, dict):
            yield Line(index, None, None, {"code": "invalid_document", "message": f"{where}: expected an object with 'text'"})
        elif not isinstance(value.get("text"), str) or not value["text"].strip():
            yield Line(index, _id(value), None, {"code": "empty_text", "message": f"{where}: 'text' must be a non-empty string"})
        elif (offset := lone_surrogate(value["text"])) is not None:
            message = f"{where}: 'text' has a lone UTF-16 surrogate at offset {offset}"
            yield Line(index, _id(value), None, {"code": "invalid_text", "message": message})
        else:
            yield Line(index, _id(value), value["text"])


def _id(record: dict) -> str | None:
    value = record.get("id")
    return None if value is None else str(value)


def classify_file(predictor: Predictor, source: Path, target: Path, model_dir: str, batch_pages: int = 16) -> tuple[int, int]:
    """Write one output line per input line, in order; returns (lines, failures)."""
    pending: deque[Line] = deque()  # lines read but not yet written, in order

    def texts() -> Iterator[str]:
        for line in read_lines(source):
            pending.append(line)
            if line.text is not None:
                yield line.text

    lines = failures = 0
    with target.open("w", encoding="utf-8") as out, tqdm(desc="pages", unit="page") as progress:

        def write(line: Line, result: dict | None) -> None:
            nonlocal lines, failures
            item: dict = {"index": line.index, "id": line.id, "ok": line.error is None}
            if line.error is None:
                item["result"] = result
            else:
                item["error"] = line.error
                failures += 1
                logger.warning("%s", line.error["message"])
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            lines += 1
            progress.update()

        for prediction in predictor.predict_text_stream(texts(), batch_pages=batch_pages):
            while pending[0].error is not None:
                write(pending.popleft(), None)
            write(pending.popleft(), to_response(prediction, predictor, model_dir))
        while pending:  # unusable lines after the last page
            write(pending.popleft(), None)
    return lines, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="JSONL: one {'id', 'text'} per line")
    parser.add_argument("output", type=Path, help="JSONL: one batch-API item per input line")
    parser.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    parser.add_argument("--precision", default="auto", choices=PRECISIONS, help="encoder number format (models.precision)")
    parser.add_argument("--backend", default="torch", choices=BACKENDS, help="encoder runtime: torch, or ONNX Runtime fp32/int8 (CPU)")
    parser.add_argument("--cpu-workers", type=int, default=0, help="processes featurising and decoding around the model")
    parser.add_argument("--batch-pages", type=int, default=16)
    parser.add_argument(
        "--max-batch-tokens", type=int, default=DEFAULT_MAX_BATCH_TOKENS, help="padded word pieces per encoder batch; raise it on a GPU"
    )
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.input.is_file():
        parser.error(f"no such file: {args.input}")
    predictor = Predictor.from_pretrained(
        args.model_dir,
        device=args.device,
        precision=args.precision,
        backend=args.backend,
        cpu_workers=args.cpu_workers,
        max_batch_tokens=args.max_batch_tokens,
    )
    logger.info("classifying %s with %s (base model %s)", args.input, predictor.runtime, predictor.base_model.get("name"))
    try:
        lines, failures = classify_file(predictor, args.input, args.output, args.model_dir, args.batch_pages)
    finally:
        predictor.close()
    logger.info("wrote %d lines to %s; %d failed", lines, args.output, failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

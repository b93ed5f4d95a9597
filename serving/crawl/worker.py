"""Classify whole chunks with one Predictor: the work of the local engine and of every Ray actor.

Both engines call :meth:`ChunkWorker.classify` on the same chunks, so the same pages go
through the model in the same batches and the records are identical whichever engine ran.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from models.predictor import Predictor

from .output import CrawlOutput
from .records import error_record, page_record
from .sources import Chunk, Limits, read_chunk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs to rebuild the Predictor and the output folder (sent to Ray actors)."""

    model_dir: str
    out_dir: str
    out_format: str
    limits: Limits
    batch_pages: int = 16
    predictor: dict[str, Any] = field(default_factory=dict)  # keyword arguments of Predictor.from_pretrained


@dataclass(frozen=True)
class ChunkResult:
    chunk: str
    pages: int
    errors: int
    seconds: float


class ChunkWorker:
    def __init__(self, config: WorkerConfig):
        self.config = config
        self.predictor = Predictor.from_pretrained(config.model_dir, **config.predictor)
        self.stances = list(self.predictor.config.stances)
        self.output = CrawlOutput(config.out_dir, config.out_format)

    def classify(self, chunk: Chunk) -> ChunkResult:
        """Read, classify and write one chunk; a bad record becomes an error line, the rest are classified."""
        began = time.perf_counter()
        rows = list(read_chunk(chunk, self.config.limits))
        pages = [row for row in rows if row.error is None]
        texts = [row.text for row in pages if row.text is not None]  # every page row has text; errors were set aside
        predictions = self.predictor.predict_text_stream(texts, batch_pages=self.config.batch_pages)
        records = [page_record(row, prediction, self.stances) for row, prediction in zip(pages, predictions, strict=True)]
        errors = [error_record(row) for row in rows if row.error is not None]
        self.output.write(chunk, records, errors, self.stances)
        return ChunkResult(chunk.name, len(records), len(errors), time.perf_counter() - began)

    def close(self) -> None:
        self.predictor.close()


class RayChunkWorker(ChunkWorker):
    """The Ray Data actor: ``map_batches`` hands it rows holding one chunk each (as JSON) and gets their results back."""

    def __call__(self, batch: dict) -> dict:
        results = [self.classify(Chunk(**json.loads(item))) for item in batch["chunk"]]
        return {key: [getattr(r, key) for r in results] for key in ("chunk", "pages", "errors", "seconds")}


def chunk_item(chunk: Chunk) -> dict:
    """A chunk as a Ray Data row."""
    return {"chunk": json.dumps(asdict(chunk))}

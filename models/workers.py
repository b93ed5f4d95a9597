"""CPU work around the model, in worker processes: featurisation before it, decoding after it.

On a GPU the encoder outruns one Python process by far: normalisation, tokenisation,
registry search and cue features before the model, assembling the answer after it
(spans, linking and triple candidates stay with the model, which needs them for the
triple head). A pool of spawned processes, each holding its own
:class:`~models.features.Featurizer` and :class:`~models.decoding.Decoder`, takes both
off the main process, which then only batches tensors for the model. The predictor
submits work ahead, so workers and model overlap (:meth:`Predictor.predict_stream`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Generic, TypeVar

from .decoding import Decoder, DocumentOutputs, ParagraphPrediction
from .features import EncodedDocument, Featurizer

T = TypeVar("T")
_worker: tuple[Featurizer, Decoder] | None = None  # one per worker process, set by the initializer


def _init_worker(featurizer: Featurizer, decoder: Decoder) -> None:
    global _worker
    _worker = (featurizer, decoder)


def _featurize(documents: list[list[str]]) -> list[EncodedDocument]:
    assert _worker is not None, "worker not initialised"
    return _worker[0](documents)


def _decode(jobs: list[tuple[list[str], DocumentOutputs]]) -> list[list[ParagraphPrediction]]:
    assert _worker is not None, "worker not initialised"
    return [_worker[1].decode(*job) for job in jobs]


class Pending(Generic[T]):
    """The result of work split across workers, concatenated in submission order."""

    def __init__(self, parts: list[Future]) -> None:
        self.parts = parts

    def result(self) -> list[T]:
        return [item for part in self.parts for item in part.result()]


class WorkerPool:
    """``workers`` spawned processes featurising and decoding slices of each batch in parallel."""

    def __init__(self, featurizer: Featurizer, decoder: Decoder, workers: int) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.workers = workers
        # spawn, not fork: the parent runs OpenMP and tokenizer threads that a fork would copy mid-flight
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(featurizer, decoder),
        )

    def _slices(self, items: list) -> list[list]:
        size = max(1, -(-len(items) // self.workers))
        return [items[i : i + size] for i in range(0, len(items), size)]

    def featurize(self, documents: Sequence[Sequence[str]]) -> Pending[EncodedDocument]:
        return Pending([self.executor.submit(_featurize, part) for part in self._slices([list(d) for d in documents])])

    def decode(self, jobs: list[tuple[list[str], DocumentOutputs]]) -> Pending[list[ParagraphPrediction]]:
        return Pending([self.executor.submit(_decode, part) for part in self._slices(jobs)])

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

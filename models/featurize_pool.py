"""Featurisation (normalisation, tokenisation, registry search, cues) in worker processes.

On a GPU the encoder outruns one Python thread of featurisation by far; a pool of
processes, each holding its own :class:`~models.features.Featurizer`, keeps it fed. The
predictor submits the next batch of documents to the pool before it runs the model on
the current one, so featurisation and the model overlap (:meth:`Predictor.predict_stream`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from .features import EncodedDocument, Featurizer

_featurizer: Featurizer | None = None  # one per worker process, set by the initializer


def _init_worker(featurizer: Featurizer) -> None:
    global _featurizer
    _featurizer = featurizer


def _featurize(documents: list[list[str]]) -> list[EncodedDocument]:
    assert _featurizer is not None, "worker not initialised"
    return _featurizer(documents)


class PendingFeatures:
    """The features of one submitted batch, as they come back from the workers."""

    def __init__(self, parts: list[Future]) -> None:
        self.parts = parts

    def result(self) -> list[EncodedDocument]:
        return [doc for part in self.parts for doc in part.result()]


class FeaturizerPool:
    """``workers`` spawned processes featurising slices of each submitted batch in parallel."""

    def __init__(self, featurizer: Featurizer, workers: int) -> None:
        if workers < 1:
            raise ValueError("a featurisation pool needs at least one worker")
        self.workers = workers
        # spawn, not fork: the parent runs OpenMP and tokenizer threads that a fork would copy mid-flight
        self.executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(featurizer,)
        )

    def submit(self, documents: Sequence[Sequence[str]]) -> PendingFeatures:
        docs = [list(d) for d in documents]
        size = max(1, -(-len(docs) // self.workers))
        return PendingFeatures([self.executor.submit(_featurize, docs[i : i + size]) for i in range(0, len(docs), size)])

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

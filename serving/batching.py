"""Dynamic batching: concurrent requests share model batches.

Requests put their documents on a queue; one worker takes what is waiting, up to a
token budget, and runs the predictor on it in a worker thread (never on the event
loop). While the model is busy, new requests pile up and go together into the next
batch, so throughput under load approaches offline batching. A lone request is
dispatched at once; ``max_wait_ms`` is spent waiting for company only when the last
batches were shared, i.e. when there is concurrent traffic to wait for. When a shared
batch fails, each of its requests is retried alone once, so a request that cannot be
classified fails by itself and its neighbours still get their answers.

Large requests (more than ``large_request_tokens`` estimated word pieces, e.g. a
2,000-paragraph page) take their own lane: a second worker runs them one at a time in a
thread of their own, beside the batches of small requests, so a one-line request never
waits seconds behind a huge page (head-of-line blocking); the predictor already cuts a
huge page into encoder batches of ``max_batch_tokens``, and the two lanes share the cores
(the app runs large requests on half of torch's threads, leaving the rest to small ones).
After each large request ``after_large`` runs (the app gives the freed heap back to the
operating system there, so memory returns to its baseline).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

logger = logging.getLogger(__name__)


@dataclass
class _Item:
    texts: list[str]
    tokens: int
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


class BatcherClosed(RuntimeError):
    """The batcher is shutting down and takes no new work."""


class DynamicBatcher:
    def __init__(
        self,
        run_batch: Callable[[list[str]], list],
        *,
        max_batch_tokens: int = 4096,
        max_wait_ms: float = 5.0,
        enabled: bool = True,
        on_batch: Callable[[int, int], None] | None = None,
        large_request_tokens: int | None = None,
        run_large: Callable[[list[str]], list] | None = None,
        after_large: Callable[[], object] | None = None,
    ) -> None:
        self.run_batch = run_batch
        self.run_large = run_large or run_batch
        self.max_batch_tokens = max_batch_tokens
        self.max_wait = max_wait_ms / 1000
        self.enabled = enabled
        self.on_batch = on_batch
        self.large_request_tokens = large_request_tokens
        self.after_large = after_large
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._large: asyncio.Queue[_Item] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._large_worker: asyncio.Task | None = None
        self._closed = False
        self._recent_sizes: list[int] = []

    @staticmethod
    def estimate_tokens(text: str) -> int:
        """A cheap word-piece estimate for budgeting (about 4 characters a piece in Arabic news)."""
        return max(1, len(text) // 4)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize() + self._large.qsize()

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="dynamic-batcher")
        if self._large_worker is None and self.large_request_tokens is not None:
            self._large_worker = asyncio.create_task(self._run_large(), name="large-request-lane")

    async def submit(self, texts: Sequence[str]) -> list:
        """Predictions for ``texts`` (one per text), computed in some batch."""
        if self._closed:
            raise BatcherClosed("the service is shutting down")
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        item = _Item(list(texts), sum(self.estimate_tokens(t) for t in texts), future)
        large = self.large_request_tokens is not None and item.tokens > self.large_request_tokens
        await (self._large if large else self._queue).put(item)
        return await future

    async def close(self) -> None:
        """Stop taking work, finish what is queued, then stop the worker."""
        self._closed = True
        for queue, worker in ((self._queue, self._worker), (self._large, self._large_worker)):
            if worker is not None:
                await queue.join()
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    def _shared_traffic(self) -> bool:
        return any(size > 1 for size in self._recent_sizes[-8:])

    async def _collect(self) -> list[_Item]:
        items = [await self._queue.get()]
        tokens = items[0].tokens
        if not self.enabled:
            return items
        deadline = time.perf_counter() + (self.max_wait if self._shared_traffic() else 0.0)
        while tokens < self.max_batch_tokens:
            if self._queue.empty():
                await asyncio.sleep(0)  # let requests that arrived together enqueue
                remaining = deadline - time.perf_counter()
                if self._queue.empty():
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), timeout=remaining)
                    except TimeoutError:
                        break
                    items.append(item)
                    tokens += item.tokens
                    continue
            item = self._queue.get_nowait()
            items.append(item)
            tokens += item.tokens
        return items

    async def _run_alone(self, items: list[_Item], run: Callable[[list[str]], list] | None = None) -> None:
        """Run each request of a failed batch by itself, so that only the one that fails gets the error."""
        for item in items:
            try:
                result = await anyio.to_thread.run_sync(run or self.run_batch, item.texts)
            except Exception as err:  # noqa: BLE001 - handed to the request that caused it
                logger.exception("request of %d documents failed on its own", len(item.texts))
                if not item.future.done():
                    item.future.set_exception(err)
            else:
                if self.on_batch:
                    self.on_batch(1, len(item.texts))
                if not item.future.done():
                    item.future.set_result(result)

    async def _run_large(self) -> None:
        while True:
            item = await self._large.get()
            try:
                await self._run_alone([item], self.run_large)
                if self.after_large:
                    await anyio.to_thread.run_sync(self.after_large)
            finally:
                self._large.task_done()

    async def _run(self) -> None:
        while True:
            items = await self._collect()
            texts = [t for item in items for t in item.texts]
            self._recent_sizes = (self._recent_sizes + [len(items)])[-16:]
            try:
                results = await anyio.to_thread.run_sync(self.run_batch, texts)
            except Exception:  # noqa: BLE001 - one bad request must not fail its neighbours: each is retried alone
                logger.warning("batch of %d requests failed; retrying each alone", len(items), exc_info=True)
                await self._run_alone(items)
            else:
                if self.on_batch:
                    self.on_batch(len(items), len(texts))
                offset = 0
                for item in items:
                    if not item.future.done():
                        item.future.set_result(results[offset : offset + len(item.texts)])
                    offset += len(item.texts)
            finally:
                for _ in items:
                    self._queue.task_done()

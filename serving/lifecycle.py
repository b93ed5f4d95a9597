"""The service's life cycle: requests in flight are counted, and shutdown refuses new ones before it waits for these."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import anyio

from .http import ApiError

logger = logging.getLogger(__name__)


class Admission:
    """Counts the /v1 requests in flight, so that shutdown can refuse new ones and wait for these to finish."""

    def __init__(self) -> None:
        self.closed = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextmanager
    def enter(self) -> Iterator[None]:
        if self.closed:
            raise ApiError(503, "shutting_down", "the service is shutting down; retry on another instance")
        self.in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    async def close(self, grace_s: float) -> bool:
        """Refuse new requests and wait up to ``grace_s`` for those in flight; False if some were still running."""
        self.closed = True
        with anyio.move_on_after(grace_s):
            await self._idle.wait()
        return not self.in_flight


async def shut_down(state, grace_s: float) -> None:
    """The lifespan's shutdown, in this order: /ready turns 503 (load balancers stop sending),
    new /v1 requests get 503 shutting_down, requests in flight finish (up to ``grace_s``),
    and only then does the batcher stop, after finishing what is queued."""
    state.ready = False
    if not await state.admission.close(grace_s):
        logger.warning("%d requests still in flight after %g s of shutdown grace (SHUTDOWN_GRACE_S)", state.admission.in_flight, grace_s)
    if state.batcher is not None:
        await state.batcher.close()  # what is queued finishes; later submissions get 503

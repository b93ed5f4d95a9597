"""Memory of a long-running service: freed heap back to the OS, and no full garbage collections over the model.

``trim_heap``: give freed heap memory back to the operating system after a large request
(glibc ``malloc_trim``).

A maximum-size page allocates hundreds of MB (tensors, token lists, predictions); once
they are freed, glibc keeps the pages in its arenas, one per thread that allocated, so the
process's resident memory stays at its high-water mark after every large request.
``malloc_trim(0)`` hands the free pages back. Where the C library is not glibc it does
nothing. No library offers this (psutil measures memory, it does not release it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import time

logger = logging.getLogger(__name__)


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc.malloc_trim if libc is not None else None
    except (OSError, AttributeError):
        return None


def trim_heap() -> bool:
    """Return free heap pages to the OS; False where the C library cannot (not glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def freeze_startup_objects() -> None:
    """Move every object alive now (the model, registry, linker: ~430k objects) out of the garbage collector's sight.

    A full collection scans every tracked object; with a checkpoint loaded that takes ~200 ms
    of held GIL, and a large request allocates enough to trigger one, stalling every other
    request. Objects made at start-up live as long as the process, so ``gc.freeze()`` moves
    them to the permanent generation and later collections scan only what requests create.
    """
    gc.collect()
    began = time.perf_counter()
    gc.freeze()
    logger.info(
        "froze %d start-up objects out of the garbage collector (%.1f ms)", gc.get_freeze_count(), (time.perf_counter() - began) * 1000
    )

"""Which number format the encoder runs in at inference, for the hardware at hand.

``auto`` picks bfloat16 where the hardware computes it natively (CUDA GPUs with bf16
support; CPUs whose oneDNN build reports native bf16, i.e. AVX512-BF16 or AMX) and
float32 elsewhere, where bf16 would be emulated and slower. The document-level heads
always run in float32; only the encoder (the bulk of the compute) changes format.
"""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)

PRECISIONS: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16")
_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices natively (oneDNN's own check)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


def resolve_dtype(precision: str | torch.dtype, device: torch.device | str) -> torch.dtype:
    """The encoder dtype for ``precision`` (a name from :data:`PRECISIONS` or a dtype) on ``device``."""
    if isinstance(precision, torch.dtype):
        return precision
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return _DTYPES[precision]
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and cpu_has_native_bf16():
        return torch.bfloat16
    return torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")

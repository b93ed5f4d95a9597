"""Service settings, read from the environment (and a ``.env`` file if present)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.checkpoint import DEFAULT_MODEL_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", protected_namespaces=(), populate_by_name=True)

    model_dir: str = Field(DEFAULT_MODEL_DIR, validation_alias="MODEL_DIR", description="Checkpoint directory to serve.")
    device: str | None = Field(None, validation_alias="DEVICE", description="torch device (default: cuda if available, else cpu).")
    max_request_bytes: int = Field(
        2_000_000, validation_alias="MAX_REQUEST_BYTES", description="Largest request body accepted (413 above)."
    )
    max_paragraphs: int = Field(2_000, validation_alias="MAX_PARAGRAPHS", description="Most paragraphs in one document (422 above).")
    max_paragraph_chars: int = Field(
        5_000,
        validation_alias="MAX_PARAGRAPH_CHARS",
        description="Characters of a paragraph the model reads; longer ones are classified from their start and flagged truncated.",
    )
    max_batch_documents: int = Field(
        64, validation_alias="MAX_BATCH_DOCUMENTS", description="Most documents in one /v1/classify/batch request (422 above)."
    )
    max_batch_tokens: int = Field(
        4_096,
        validation_alias="MAX_BATCH_TOKENS",
        description="Token budget of one model batch (padded word pieces), which also bounds how many queued requests share it; raise it on a GPU.",
    )
    large_request_tokens: int = Field(
        4_096,
        ge=0,
        validation_alias="LARGE_REQUEST_TOKENS",
        description="Requests estimated above this many word pieces run in their own lane, beside the batches of small ones, "
        "so a one-line request never waits behind a huge page (0: one lane for all).",
    )
    precision: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        validation_alias="INFERENCE_PRECISION",
        description="Encoder number format; auto = bfloat16 where the CPU/GPU computes it natively, else float32.",
    )
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "torch",
        validation_alias="ENCODER_BACKEND",
        description="Run the encoder in PyTorch, or (CPU) in ONNX Runtime, float32 or with dynamic int8 weights.",
    )
    batch_wait_ms: float = Field(
        5.0, validation_alias="BATCH_WAIT_MS", description="Longest wait for more requests to share a batch, under concurrent load only."
    )
    cpu_workers: int = Field(
        0,
        ge=0,
        validation_alias="CPU_WORKERS",
        description="Processes that featurise and decode the documents of a batch around the model (for GPU servers with spare cores).",
    )
    dynamic_batching: bool = Field(True, validation_alias="DYNAMIC_BATCHING", description="Group concurrent requests into model batches.")
    body_read_timeout_s: float = Field(
        30.0,
        gt=0,
        validation_alias="BODY_READ_TIMEOUT_S",
        description="Longest time to receive a whole request body (408 after), so a client that stalls mid-body cannot hold a request open.",
    )
    shutdown_grace_s: float = Field(
        30.0,
        ge=0,
        validation_alias="SHUTDOWN_GRACE_S",
        description="On shutdown, how long requests already in flight may take to finish before the batcher closes.",
    )
    workers: int = Field(1, validation_alias="WORKERS", description="uvicorn worker processes (make serve).")
    log_json: bool = Field(True, validation_alias="LOG_JSON", description="Structured (JSON lines) logs.")

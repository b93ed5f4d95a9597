"""Service settings, read from the environment (and a ``.env`` file if present)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", protected_namespaces=())

    model_dir: str = Field("checkpoints/latest", validation_alias="MODEL_DIR", description="Checkpoint directory to serve.")
    device: str | None = Field(None, validation_alias="DEVICE", description="torch device (default: cuda if available, else cpu).")
    max_request_bytes: int = Field(2_000_000, validation_alias="MAX_REQUEST_BYTES", description="Largest request body accepted (413 above).")
    max_paragraphs: int = Field(2_000, validation_alias="MAX_PARAGRAPHS", description="Most paragraphs in one document (422 above).")
    max_batch_tokens: int = Field(16_384, validation_alias="MAX_BATCH_TOKENS", description="Padded tokens per encoder batch.")
    inference_threads: int = Field(1, validation_alias="INFERENCE_THREADS", description="Concurrent inference calls.")

"""A checkpoint is a self-contained directory: everything needed to use the model.

config.json, model.safetensors     the network (labels and base-model record in the config)
tokenizer.json, tokenizer_config…  the tokenizer it was trained with
registry.json, linker.json         the actor registry snapshot and the learned linker
training_metadata.json             base model, arguments, data sizes, metrics, timing
README.md                          a model card
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedTokenizerFast

from .base import load_tokenizer
from .linking import ActorLinker
from .modeling import NewsPageModel, check_format
from .registry import ActorRegistry

DEFAULT_MODEL_DIR = "checkpoints/latest"  # where `make train` writes and every tool looks by default
REGISTRY_FILE = "registry.json"
LINKER_FILE = "linker.json"
METADATA_FILE = "training_metadata.json"


def model_card(metadata: dict) -> str:
    base = metadata.get("base_model", {})
    metrics = metadata.get("metrics", {})
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in sorted(metrics.items()) if isinstance(v, float))
    warning = ""
    if base.get("kind") == "embedded":
        warning = (
            "\n> **Base model: the embedded small Arabic BERT**, built offline from the project's data "
            f"(reason: {base.get('reason') or 'requested'}). It is far weaker than CAMeLBERT; retrain with "
            "`--base-model` pointing at CAMeLBERT for production use.\n"
        )
    return f"""# Arabic news page classifier

Labels every paragraph of a scraped Arabic news page (body: title/text/caption;
boilerplate: related/metadata/tags/share/comments/ad/ui), tags actors (PERS/ORG/LOC)
with registry ids, and tags paragraph stance.
{warning}
- base model: `{base.get("name")}` ({base.get("kind")})
- training documents: {metadata.get("data", {}).get("train_documents")}, dev documents: {metadata.get("data", {}).get("dev_documents")}
- trained: {metadata.get("finished_at", "?")} in {metadata.get("train_seconds", 0):.0f} s

## Dev metrics

| metric | value |
|---|---|
{rows}

Use: `MODEL_DIR=<this directory> make serve`, or `models.Predictor.from_pretrained(<this directory>)`.
"""


def save_checkpoint(
    path: str | Path,
    model: NewsPageModel,
    tokenizer: PreTrainedTokenizerFast,
    registry: ActorRegistry,
    linker: ActorLinker,
    metadata: dict,
) -> None:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    registry.save(path / REGISTRY_FILE)
    linker.save(path / LINKER_FILE)
    write_metadata(path, metadata)


def write_metadata(path: str | Path, metadata: dict) -> None:
    """The training metadata of the checkpoint in ``path`` and the model card made from it."""
    path = Path(path)
    (path / METADATA_FILE).write_text(json.dumps(metadata, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (path / "README.md").write_text(model_card(metadata), encoding="utf-8")


@dataclass
class Checkpoint:
    """Everything a checkpoint directory holds, loaded."""

    path: Path
    model: NewsPageModel
    tokenizer: PreTrainedTokenizerFast
    registry: ActorRegistry
    linker: ActorLinker
    metadata: dict


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load a checkpoint directory; refuses one written in another model format (see :func:`check_format`)."""
    path = Path(path)
    config = path / "config.json"
    if not config.is_file():
        raise FileNotFoundError(f"no checkpoint at {path} (config.json missing); train one with `make train`")
    check_format(json.loads(config.read_text(encoding="utf-8")), str(path))
    model = NewsPageModel.from_pretrained(path)
    registry = ActorRegistry.load(path / REGISTRY_FILE)
    linker = ActorLinker.load(path / LINKER_FILE, registry)
    return Checkpoint(path, model, load_tokenizer(path), registry, linker, read_metadata(path))


def read_metadata(path: str | Path) -> dict:
    file = Path(path) / METADATA_FILE
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

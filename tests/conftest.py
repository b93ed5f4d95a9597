"""Shared fixtures: small Arabic data written for the tests, a tiny tokenizer, model and checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach a hub

RESOURCES = Path(__file__).parent / "resources"


@pytest.fixture(scope="session")
def resources() -> Path:
    return RESOURCES


@pytest.fixture(scope="session")
def registry():
    from models.registry import ActorRegistry

    return ActorRegistry.load(RESOURCES / "registry.json")


@pytest.fixture(scope="session")
def articles(registry):
    from training.corpus import read_articles

    return list(read_articles(RESOURCES / "articles.jsonl", registry))


@pytest.fixture(scope="session")
def chrome():
    """The test chrome vocabulary, all of it in one library (both pools)."""
    from training.chrome import ChromeLibrary, read_categories

    return ChromeLibrary.from_categories(read_categories(RESOURCES / "chrome.json"), "all")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, resources) -> Path:
    """A corpus root laid out like data/: registry.json, articles/, pages/, chrome/*.json."""
    root = tmp_path_factory.mktemp("data")
    (root / "articles").mkdir()
    (root / "chrome").mkdir()
    (root / "registry.json").write_text((resources / "registry.json").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "articles" / "tiny.jsonl").write_text((resources / "articles.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "chrome" / "chrome.json").write_text((resources / "chrome.json").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "pages").mkdir()
    (root / "pages" / "tiny.jsonl").write_text((resources / "pages.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def pages(articles, chrome) -> list[dict]:
    from training.pages import PageAssembler, PageConfig

    return PageAssembler(chrome, articles, PageConfig(pages_per_article=3)).pages(seed=7)


@pytest.fixture(scope="session")
def tokenizer(pages):
    from models.base import EmbeddedBaseConfig, build_embedded_tokenizer

    texts = [p["text"] for page in pages for p in page["paragraphs"]]
    return build_embedded_tokenizer(texts, EmbeddedBaseConfig(vocab_size=400, min_frequency=1))


@pytest.fixture()
def tiny_model(tokenizer):
    import torch
    from transformers import BertConfig

    from models.modeling import NewsPageConfig, NewsPageModel

    torch.manual_seed(0)
    encoder = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=160,
        pad_token_id=0,
    )
    return NewsPageModel(NewsPageConfig(encoder=encoder.to_dict(), context_hidden=16, max_tokens=24, stride=8))


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory, data_dir) -> tuple[Path, dict]:
    """A tiny model trained end to end by training.train.main on the test corpus."""
    from training.build_data import build
    from training.pages import PageConfig
    from training.train import main

    out = tmp_path_factory.mktemp("checkpoint")
    pages_dir = tmp_path_factory.mktemp("build")
    build(data_dir, pages_dir, seed=11, config=PageConfig(pages_per_article=5))
    train_file = pages_dir / "train.jsonl"
    dev_file = pages_dir / "tiny-dev.jsonl"
    dev_file.write_text("".join(train_file.read_text(encoding="utf-8").splitlines(keepends=True)[::4]), encoding="utf-8")
    metrics = main(
        [
            "--base_model",
            "embedded",
            "--data_dir",
            str(data_dir),
            "--train_file",
            str(train_file),
            "--validation_file",
            str(dev_file),
            "--output_dir",
            str(out),
            "--embedded_hidden_size",
            "32",
            "--embedded_layers",
            "1",
            "--embedded_vocab_size",
            "400",
            "--context_hidden",
            "16",
            "--max_tokens",
            "32",
            "--stride",
            "8",
            "--num_train_epochs",
            "4",
            "--per_device_train_batch_size",
            "2",
            "--learning_rate",
            "3e-3",
            "--warmup_steps",
            "0",
            "--logging_steps",
            "1",
            "--disable_tqdm",
            "true",
        ]
    )
    return out, metrics

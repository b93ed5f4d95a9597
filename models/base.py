"""Choosing the base encoder: CAMeLBERT by default, an embedded small Arabic BERT offline.

* ``base_model=None`` (the default) means CAMeLBERT-MSA from the hub or its local cache;
  if it cannot be had (no network, as on every machine of this project), the project
  builds its own small Arabic BERT and says so loudly.
* ``base_model="embedded"`` builds the small BERT directly.
* Any other value is a hub id or a local directory that must load; failing to load it
  is an error, never a silent fallback.

The embedded base is a WordPiece tokenizer trained with ``tokenizers`` on the
project's own text plus a randomly initialised (seeded) small ``BertConfig``.
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, BertTokenizerFast, PreTrainedTokenizerFast  # type: ignore[attr-defined]

from .text import normalize_ar

logger = logging.getLogger(__name__)

CAMELBERT_MSA = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
EMBEDDED = "embedded"
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class BaseModelError(RuntimeError):
    """An explicitly requested base model could not be loaded."""


@dataclass
class EmbeddedBaseConfig:
    """Shape of the embedded small Arabic BERT (CAMeLBERT is bert-base: 768/12/12)."""

    vocab_size: int = 8000
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    max_position_embeddings: int = 512
    min_frequency: int = 2


@dataclass
class ResolvedBase:
    """A tokenizer and an encoder, with a record of where they came from."""

    tokenizer: PreTrainedTokenizerFast
    encoder_config: BertConfig
    encoder: BertModel | None  # pre-trained weights, or None for a fresh (random) encoder
    record: dict = field(default_factory=dict)  # name, kind (hub|local|embedded), reason


def train_wordpiece_vocab(word_counts: Counter[str], vocab_size: int, min_frequency: int = 2) -> list[str]:
    """A WordPiece vocabulary learnt by BPE-style merges, deterministic for the same counts.

    ``tokenizers``' own trainer breaks ties between equally frequent pairs in hash
    order, so two runs on the same text can give different vocabularies; here ties
    go to the lexicographically smallest pair, so the embedded base is reproducible.
    """
    words = [[w[0]] + ["##" + c for c in w[1:]] for w in sorted(word_counts)]
    counts = [word_counts[w] for w in sorted(word_counts)]
    vocab = list(SPECIAL_TOKENS) + sorted({s for symbols in words for s in symbols})
    pair_counts: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, symbols in enumerate(words):
        for pair in zip(symbols, symbols[1:], strict=False):
            pair_counts[pair] += counts[i]
            where[pair].add(i)
    heap = [(-c, pair) for pair, c in pair_counts.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        negative, pair = heapq.heappop(heap)
        if -negative != pair_counts.get(pair, 0):
            continue  # stale entry
        if -negative < min_frequency:
            break
        merged = pair[0] + pair[1][2:]
        vocab.append(merged)
        touched: Counter[tuple[str, str]] = Counter()
        for i in sorted(where.pop(pair, ())):
            symbols = words[i]
            for old in zip(symbols, symbols[1:], strict=False):
                pair_counts[old] -= counts[i]
                touched[old] += 0
            j, out = 0, []
            while j < len(symbols):
                if j + 1 < len(symbols) and (symbols[j], symbols[j + 1]) == pair:
                    out.append(merged)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            words[i] = out
            for new in zip(out, out[1:], strict=False):
                pair_counts[new] += counts[i]
                where[new].add(i)
                touched[new] += 0
        pair_counts.pop(pair, None)
        for changed in touched:
            if pair_counts.get(changed, 0) > 0 and changed != pair:
                heapq.heappush(heap, (-pair_counts[changed], changed))
    return list(dict.fromkeys(vocab))


def build_embedded_tokenizer(texts: Iterable[str], config: EmbeddedBaseConfig) -> BertTokenizerFast:
    """A BERT WordPiece tokenizer trained on (normalised) project text, deterministic for the same text."""
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    word_counts: Counter[str] = Counter()
    for text in texts:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(normalize_ar(text))):
            word_counts[word] += 1
    vocab = train_wordpiece_vocab(word_counts, config.vocab_size, config.min_frequency)
    tokenizer = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    # strip_accents=False must be said here too: the saved tokenizer_config.json is what a reload rebuilds
    # the normaliser from, and its default would strip hamzas (أ → ا) from every word at inference
    return BertTokenizerFast(tokenizer_object=tokenizer, do_lower_case=True, strip_accents=False, tokenize_chinese_chars=True)


def load_tokenizer(source: str | Path, **kwargs) -> BertTokenizerFast:
    """Load a saved BERT tokenizer exactly as it was trained.

    ``from_pretrained`` rebuilds the normaliser from ``tokenizer_config.json``; where that
    disagrees with the normaliser in ``tokenizer.json`` (checkpoints written before
    :func:`build_embedded_tokenizer` recorded ``strip_accents=False`` reload as stripping
    hamzas), the one in ``tokenizer.json``, which training used, is put back.
    """
    tokenizer = BertTokenizerFast.from_pretrained(str(source), **kwargs)
    saved = Path(source) / "tokenizer.json"
    if saved.is_file():
        trained = Tokenizer.from_file(str(saved)).normalizer
        if trained is not None and (
            tokenizer.backend_tokenizer.normalizer is None
            or trained.__getstate__() != tokenizer.backend_tokenizer.normalizer.__getstate__()
        ):
            logger.warning("%s: restoring the normaliser of tokenizer.json, which tokenizer_config.json contradicts", source)
            tokenizer.backend_tokenizer.normalizer = trained
    return tokenizer


def build_embedded_base(texts: Iterable[str], config: EmbeddedBaseConfig | None = None, reason: str = "") -> ResolvedBase:
    config = config or EmbeddedBaseConfig()
    tokenizer = build_embedded_tokenizer(texts, config)
    encoder_config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
    )
    record = {"name": EMBEDDED, "kind": "embedded", "reason": reason, "shape": asdict(config)}
    return ResolvedBase(tokenizer, encoder_config, None, record)


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def _load_pretrained(name: str) -> ResolvedBase:
    """Load a BERT tokenizer and encoder from a local directory, the hub cache or the hub."""
    local = Path(name).expanduser()
    if local.is_dir():
        kind, source, local_only = "local", str(local.resolve()), True
    else:
        kind, source, local_only = "hub", name, False
    try:
        tokenizer = load_tokenizer(source, local_files_only=True)
        encoder = BertModel.from_pretrained(source, add_pooling_layer=False, local_files_only=True)
    except OSError:
        if local_only or not _hub_reachable():
            raise
        tokenizer = BertTokenizerFast.from_pretrained(source)
        encoder = BertModel.from_pretrained(source, add_pooling_layer=False)
    return ResolvedBase(tokenizer, encoder.config, encoder, {"name": name, "kind": kind, "reason": ""})


def resolve_base(base_model: str | None, corpus_texts: Iterable[str], embedded: EmbeddedBaseConfig | None = None) -> ResolvedBase:
    """Resolve the base encoder as described in the module docstring."""
    if base_model == EMBEDDED:
        logger.warning("Base model: the embedded small Arabic BERT (asked for with --base-model embedded).")
        return build_embedded_base(corpus_texts, embedded, reason="requested")
    if base_model:
        try:
            resolved = _load_pretrained(base_model)
        except (OSError, ValueError) as err:
            raise BaseModelError(
                f"cannot load base model {base_model!r}: {err}. Give a local directory with a BERT checkpoint, "
                f"a reachable hub id, or --base-model {EMBEDDED}."
            ) from err
        logger.info("Base model: %s (%s)", base_model, resolved.record["kind"])
        return resolved
    try:
        resolved = _load_pretrained(CAMELBERT_MSA)
        logger.info("Base model: %s (%s)", CAMELBERT_MSA, resolved.record["kind"])
        return resolved
    except (OSError, ValueError) as err:
        reason = f"{CAMELBERT_MSA} could not be loaded ({type(err).__name__}: no network and not in the local cache)"
    banner = "=" * 78
    logger.warning(
        "\n%s\nFALLBACK BASE MODEL: %s.\nTraining on the EMBEDDED small Arabic BERT built from data/ instead "
        "(random-initialised encoder, tokenizer trained here).\nQuality is far below CAMeLBERT; pass --base-model "
        "with a local CAMeLBERT directory for the real thing.\n%s",
        banner,
        reason,
        banner,
    )
    return build_embedded_base(corpus_texts, embedded, reason=reason)

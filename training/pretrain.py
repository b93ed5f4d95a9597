"""Domain-adaptive masked-language-model pretraining of the encoder before fine-tuning.

The embedded base starts from random weights and sees only the labelled pages; a few
thousand steps of BERT's own objective (15% of word pieces masked, 80/10/10) over every
training paragraph and chrome line first teach it Arabic news text. On a pre-trained
base (CAMeLBERT) the same step adapts it to scraped pages. Hugging Face's
``BertForMaskedLM``, ``DataCollatorForLanguageModeling`` and ``Trainer`` do the work;
the encoder weights are then copied into the multi-task model.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence

from datasets import Dataset
from transformers import (  # type: ignore[attr-defined]
    BertConfig,
    BertForMaskedLM,
    BertModel,
    DataCollatorForLanguageModeling,
    PreTrainedTokenizerFast,
    Trainer,
    TrainingArguments,
)

from models.text import normalize_ar

logger = logging.getLogger(__name__)


def mlm_texts(documents: Sequence[dict], seed: int, limit: int | None = None) -> list[str]:
    """Distinct paragraph texts of the training pages (body and chrome alike), shuffled, normalised as the encoder reads them."""
    texts = list(dict.fromkeys(normalize_ar(p["text"]) for d in documents for p in d["paragraphs"]))
    random.Random(seed).shuffle(texts)
    return texts[:limit] if limit else texts


def pretrain_encoder(
    tokenizer: PreTrainedTokenizerFast,
    encoder_config: BertConfig,
    texts: Sequence[str],
    steps: int,
    output_dir: str,
    encoder: BertModel | None = None,
    batch_size: int = 32,
    learning_rate: float = 5e-4,
    max_tokens: int = 128,
    seed: int = 13,
) -> BertModel:
    """``steps`` MLM updates over ``texts``; returns the trained encoder (a copy of ``encoder`` if given, else a fresh one)."""
    mlm = BertForMaskedLM(encoder_config)
    if encoder is not None:
        mlm.bert.load_state_dict(encoder.state_dict(), strict=False)
    dataset = Dataset.from_dict({"text": list(texts)}).map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_tokens),
        batched=True,
        remove_columns=["text"],
        desc="tokenise for MLM",
    )
    args = TrainingArguments(
        output_dir=output_dir,
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        warmup_steps=min(200, steps // 10),
        weight_decay=0.01,
        lr_scheduler_type="linear",
        logging_steps=100,
        save_strategy="no",
        report_to="none",
        seed=seed,
        dataloader_num_workers=0,
    )
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    trainer = Trainer(model=mlm, args=args, train_dataset=dataset, data_collator=collator)
    result = trainer.train()
    logger.info("MLM pretraining: %d steps over %d texts, final loss %.3f", steps, len(texts), result.training_loss)
    return mlm.bert

"""Training arguments: dataclasses read by ``HfArgumentParser`` (CLI flags or a JSON file)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from transformers import TrainingArguments

from models.checkpoint import DEFAULT_MODEL_DIR
from models.kind_path import DEFAULT_TRANSITION_WEIGHT, check_transition_weight
from models.precision import cpu_has_native_bf16


@dataclass
class ModelArguments:
    base_model: str | None = field(
        default=None,
        metadata={
            "help": "Base encoder: a hub id or a local BERT directory (must load), or 'embedded' for the "
            "project's small Arabic BERT. Default: CAMeLBERT-MSA, falling back to 'embedded' when it cannot be had."
        },
    )
    max_tokens: int = field(default=128, metadata={"help": "Word pieces per paragraph chunk (longer paragraphs are chunked)."})
    stride: int = field(default=32, metadata={"help": "Overlap in word pieces between the chunks of a long paragraph."})
    context_hidden: int = field(default=128, metadata={"help": "Hidden size of the document-level GRU (each direction)."})
    context_layers: int = field(default=1, metadata={"help": "Layers of the document-level GRU over the page's paragraphs."})
    stance_loss_weight: float = field(
        default=1.0, metadata={"help": "Weight of the paragraph stance loss against the kind, tag and pair losses (1 each)."}
    )
    stance_factorized: bool = field(
        default=False,
        metadata={
            "help": "Paragraph stance from two independent detectors, support and criticism (mixed: both; neutral: neither), "
            "instead of four exclusive values (models.modeling.stance_log_probs)."
        },
    )
    stance_class_weight_power: float = field(
        default=0.5,
        metadata={
            "help": "Each stance value's loss weight is its inverse training frequency to this power (0.5: square root; "
            "1: full inverse frequency; 0: unweighted)."
        },
    )
    kind_transition_weight: float = field(
        default=DEFAULT_TRANSITION_WEIGHT,
        metadata={"help": "Weight of the page-layout transitions in the Viterbi search over paragraph kinds (0: each paragraph's argmax)."},
    )
    context_attention_heads: int = field(
        default=0, metadata={"help": "Heads of a self-attention layer over the page's paragraphs after the GRU (0: none)."}
    )
    use_gazetteer: bool = field(default=True, metadata={"help": "Feed registry name matches to the encoder."})
    corpus_name_types: bool = field(
        default=True,
        metadata={"help": "Type each registry name's gazetteer feature by the type its corpus mentions have (training.name_types)."},
    )
    silence_common_words: bool = field(
        default=False,
        metadata={"help": "Also silence registry names that are mostly common words in the corpus (measured: no gain; off)."},
    )
    gazetteer_dropout: float = field(
        default=0.15,
        metadata={"help": "Share of training pages whose registry matches are hidden (0.15: measured against 0.3 and 0.5, see README)."},
    )
    gazetteer_leave_article_out: bool = field(
        default=False,
        metadata={
            "help": "On each training page, leave unmatched the registry names of the actors no other training article "
            "mentions, as a registry built without that article would (training.data.article_only_actors; measured: real-dev actors down, "
            "see the README's levers table)."
        },
    )
    headline_holder: str = field(
        default="off",
        metadata={
            "help": "Triple candidates: where the headline's first person or organisation is an implicit holder, as official "
            "readouts report a principal unnamed («إن الرئيس رحب …»): off, all (every body paragraph that does not name it) or "
            "titled (those that name a principal by his title alone; models.triples.principal_paragraphs).",
            "choices": ["off", "all", "titled"],
        },
    )
    gazetteer_match_dropout: float = field(
        default=0.0,
        metadata={
            "help": "Share of the single registry matches hidden on the other training pages, so that the tagger also reads a "
            "name the registry lacks on a page where it knows the others (training.data.hide_matches; 0: off; measured at 0.3: "
            "real-dev actors down, see the README's levers table)."
        },
    )
    token_dropout: float = field(
        default=0.1, metadata={"help": "Share of word pieces replaced by [MASK] while fine-tuning (regularisation)."}
    )
    cue_line_mask: float = field(
        default=0.3,
        metadata={
            "help": "Share of the lines a read-also or chrome cue fires on whose word pieces are all hidden while fine-tuning "
            "(training.data; 0: off; 0.3 measured on two seeds, see the README's levers table)."
        },
    )
    stance_cue_mask: float = field(
        default=0.0,
        metadata={
            "help": "Share of the paragraphs holding a stance cue word («ندد», «رحب» …) whose cue words are hidden and cue counts "
            "zeroed while fine-tuning, the stance label kept (training.data; 0: off)."
        },
    )
    mlm_steps: int = field(
        default=0,
        metadata={
            "help": "Masked-language-model steps over the training pages' text before fine-tuning (domain-adaptive pretraining; 0: none)."
        },
    )
    ema_decay: float = field(
        default=0.0,
        metadata={"help": "Evaluate, calibrate and save a moving average of the weights with this decay per step (training.ema; 0: off)."},
    )
    calibrate: bool = field(
        default=True, metadata={"help": "Fit stance and triple decision offsets on the dev pages after training (training.calibrate)."}
    )
    mlm_learning_rate: float = field(default=5e-4, metadata={"help": "Learning rate of the MLM pretraining."})
    embedded_hidden_size: int = field(default=256, metadata={"help": "Embedded base: hidden size."})
    embedded_layers: int = field(default=4, metadata={"help": "Embedded base: transformer layers."})
    embedded_vocab_size: int = field(default=8000, metadata={"help": "Embedded base: WordPiece vocabulary size."})

    def __post_init__(self) -> None:
        if not 0 <= self.stride < self.max_tokens - 2:
            raise ValueError(f"--stride {self.stride} must be below --max_tokens {self.max_tokens} minus the 2 special tokens")
        check_transition_weight(self.kind_transition_weight, "--kind_transition_weight")
        for name in ("cue_line_mask", "stance_cue_mask"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"--{name} {getattr(self, name)} must be between 0 and 1")
        if not 0 <= self.stance_class_weight_power <= 2:
            raise ValueError(f"--stance_class_weight_power {self.stance_class_weight_power} must be between 0 and 2")
        if self.context_layers < 1:
            raise ValueError(f"--context_layers {self.context_layers} must be 1 or more")


@dataclass
class DataArguments:
    data_dir: str = field(default="data", metadata={"help": "Corpus root: articles/, chrome/, registry.json."})
    train_file: str | None = field(default=None, metadata={"help": "SPEC.md JSONL pages to train on (default: built from data_dir)."})
    validation_file: str | None = field(default=None, metadata={"help": "SPEC.md JSONL pages for dev evaluation (default: built)."})
    build_dir: str = field(default="data/build", metadata={"help": "Where assembled pages are written."})
    pages_per_article: int = field(
        default=3,
        metadata={
            "help": "Pages assembled per training article (each a fresh random page; 4 measured: better actors and authored scores, worse real-page triples)."
        },
    )
    preprocessing_num_workers: int | None = field(
        default=2,
        metadata={"help": "Processes that featurise the pages (2 cores, about 4,400 training pages: 23 to 37 s in 2, 41 to 47 s in 1)."},
    )
    max_train_documents: int | None = field(default=None, metadata={"help": "Truncate the training set (smoke runs)."})
    max_eval_documents: int | None = field(default=None, metadata={"help": "Truncate the dev set."})


def mixed_precision_defaults() -> dict:
    """bf16 autocast where the hardware multiplies bf16 natively (the weights stay float32), else float32.

    On a 2-core AVX512-BF16 CPU a training step takes about a fifth less time (40 steps: 40.6 s in float32,
    32.8 s in bf16, same losses to three decimals); ``--bf16 false`` trains in float32 anywhere.
    """
    if torch.cuda.is_available():
        return {"bf16": torch.cuda.is_bf16_supported()}
    return {"use_cpu": True, "bf16": cpu_has_native_bf16()}


def default_training_arguments(**overrides) -> dict:
    """Defaults that suit document batches on a CPU; every one can be overridden by a flag."""
    defaults = {
        "output_dir": DEFAULT_MODEL_DIR,
        "num_train_epochs": 1,  # one pass over many freshly assembled pages beats epochs over few
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 8,
        "learning_rate": 5e-4,
        "weight_decay": 0.01,
        "warmup_steps": 50,
        "lr_scheduler_type": "linear",
        # the dev pages are scored once, after training and calibration (training.train); the single
        # epoch decays the learning rate to 0 and its end beat its middle in every training measured
        # (dev score 0.887 against 0.868 at 08d0867), so scoring during training only cost time
        # (36 s an evaluation and a save on 2 cores). With more epochs, keep the best one with
        # --eval_strategy epoch --save_strategy epoch --load_best_model_at_end true.
        "eval_strategy": "no",
        "save_strategy": "no",
        "save_total_limit": 1,
        "load_best_model_at_end": False,
        "metric_for_best_model": "score",
        "greater_is_better": True,
        "logging_steps": 20,
        "seed": 13,
        "data_seed": 13,
        "remove_unused_columns": False,
        "report_to": "none",
        "dataloader_num_workers": 0,
        "disable_tqdm": False,
        "save_only_model": True,
        "dataloader_pin_memory": torch.cuda.is_available(),
        **mixed_precision_defaults(),
    }
    defaults.update(overrides)
    return defaults


__all__ = ["DataArguments", "ModelArguments", "TrainingArguments", "default_training_arguments", "mixed_precision_defaults"]

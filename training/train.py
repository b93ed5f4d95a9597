"""Fine-tune the multi-task model: ``python -m training.train [flags]`` (``make train``).

train → save_model → log_metrics/save_metrics → evaluate, as in the transformers examples.
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import transformers
from transformers import HfArgumentParser, PreTrainedTokenizerFast, Trainer, TrainingArguments, set_seed

from evaluation.evaluate import current_commit
from evaluation.metrics import headline, score_all
from evaluation.predictions import predict_documents
from models.base import EmbeddedBaseConfig, resolve_base
from models.checkpoint import save_checkpoint
from models.descriptions import state_adjectives
from models.kind_path import page_transitions
from models.labels import BODY_KINDS, IGNORE_INDEX, KINDS, STANCES
from models.linking import ActorLinker
from models.modeling import NewsPageConfig, NewsPageModel
from models.predictor import Predictor
from models.registry import ActorRegistry
from models.spec import read_jsonl
from models.triples import PAIR_LABELS

from .args import DataArguments, ModelArguments, default_training_arguments
from .build_data import build
from .calibrate import calibrate
from .data import DocumentCollator, article_only_actors, featurize_dataset, load_documents
from .ema import EmaCallback
from .name_types import learn_name_types
from .pages import PageConfig
from .pretrain import mlm_texts, pretrain_encoder

logger = logging.getLogger(__name__)


def selection_score(scores: dict[str, float]) -> float:
    """One number to pick the best epoch: the mean of the task headline scores."""
    keys = [k for k in ("paragraph_macro_f1", "kind_macro_f1", "actor_f1", "stance_macro_f1") if k in scores]
    return sum(scores[k] for k in keys) / len(keys)


def class_weights(counts: Counter, labels: Sequence[str] | Sequence[int], power: float = 0.5) -> list[float]:
    """Inverse frequency of each label to ``power`` (0.5: its square root), scaled to mean 1 (neutral and "no stance" dominate news)."""
    raw = [(sum(counts.values()) / max(counts[label], 1)) ** power for label in labels]
    return [round(w * len(raw) / sum(raw), 4) for w in raw]


def stance_class_weights(documents: list[dict], power: float = 0.5) -> list[float]:
    """:func:`class_weights` of the stance values of the training body paragraphs."""
    return class_weights(
        Counter(p["stance"] for d in documents for p in d["paragraphs"] if p["kind"] in BODY_KINDS and p.get("stance")), STANCES, power
    )


class NewsPageTrainer(Trainer):
    """A Trainer whose evaluation runs the real predictor over whole dev pages."""

    def __init__(
        self,
        *args,
        eval_documents: list[dict],
        registry: ActorRegistry,
        linker: ActorLinker,
        ema: EmaCallback | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.eval_documents = eval_documents
        self.registry = registry
        self.linker = linker
        self.ema = ema
        if ema is not None:
            self.add_callback(ema)

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict[str, float]:
        """Headline scores of the real predictor on the dev pages (with ``--ema_decay``: of the averaged weights)."""
        start = time.perf_counter()
        predictor = Predictor(
            cast(NewsPageModel, self.model),
            cast(PreTrainedTokenizerFast, self.processing_class),
            self.registry,
            self.linker,
            device=self.args.device,
        )
        with self.ema.applied() if self.ema is not None else nullcontext():
            predictions = predict_documents(predictor, self.eval_documents, self.args.per_device_eval_batch_size)
        scores = headline(score_all(self.eval_documents, predictions))
        scores["score"] = selection_score(scores)
        if self.ema is not None:
            self.ema.consider(scores["score"])
        metrics = {f"{metric_key_prefix}_{k}": round(v, 4) for k, v in scores.items()}
        metrics[f"{metric_key_prefix}_runtime"] = round(time.perf_counter() - start, 2)
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


def main(argv: list[str] | None = None) -> dict:
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))  # type: ignore[arg-type]
    parser.set_defaults(**default_training_arguments())
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0].endswith(".json"):
        model_args, data_args, training_args = parser.parse_json_file(json_file=argv[0])
    else:
        model_args, data_args, training_args = parser.parse_args_into_dataclasses(args=argv)

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO, force=True)
    transformers.utils.logging.set_verbosity_warning()
    set_seed(training_args.seed)
    started = time.perf_counter()
    commit = current_commit()  # what trains, read before the run: the checkout may move during it
    logger.info("Training in %s on %s", "bf16 autocast" if training_args.bf16 else "float32", training_args.device)

    data_dir = Path(data_args.data_dir)
    registry = ActorRegistry.load(data_dir / "registry.json")
    if data_args.train_file is None:
        logger.info("Assembling pages from %s into %s", data_dir, data_args.build_dir)
        build(
            data_dir,
            Path(data_args.build_dir),
            training_args.data_seed or training_args.seed,
            PageConfig(pages_per_article=data_args.pages_per_article),
        )
        data_args.train_file = str(Path(data_args.build_dir) / "train.jsonl")
        data_args.validation_file = data_args.validation_file or str(Path(data_args.build_dir) / "dev.jsonl")
    train_documents = read_jsonl(data_args.train_file)[: data_args.max_train_documents]
    if not train_documents:
        raise SystemExit(f"no training documents in {data_args.train_file}")
    eval_documents = read_jsonl(data_args.validation_file)[: data_args.max_eval_documents] if data_args.validation_file else []
    if data_args.validation_file and not eval_documents:
        logger.warning("No documents in %s: training without dev evaluation", data_args.validation_file)
    files = {"train": data_args.train_file} | ({"validation": data_args.validation_file} if eval_documents else {})
    raw = load_documents(files)
    if data_args.max_train_documents:
        raw["train"] = raw["train"].select(range(len(train_documents)))

    if model_args.corpus_name_types:
        registry = learn_name_types(registry, train_documents, common_words=model_args.silence_common_words)
    corpus_texts = [p["text"] for d in train_documents for p in d["paragraphs"]]
    embedded = EmbeddedBaseConfig(
        vocab_size=model_args.embedded_vocab_size,
        hidden_size=model_args.embedded_hidden_size,
        num_hidden_layers=model_args.embedded_layers,
        num_attention_heads=max(1, model_args.embedded_hidden_size // 64),
        intermediate_size=4 * model_args.embedded_hidden_size,
    )
    base = resolve_base(model_args.base_model, corpus_texts, embedded)
    config = NewsPageConfig(
        stance_class_weights=stance_class_weights(train_documents, model_args.stance_class_weight_power),
        encoder=base.encoder_config.to_dict(),
        context_hidden=model_args.context_hidden,
        context_layers=model_args.context_layers,
        context_attention_heads=model_args.context_attention_heads,
        kind_transitions=page_transitions(train_documents, KINDS),
        kind_transition_weight=model_args.kind_transition_weight,
        stance_factorized=model_args.stance_factorized,
        headline_holder=model_args.headline_holder,
        loss_weights={"kind": 1.0, "stance": model_args.stance_loss_weight, "tags": 1.0, "pairs": 1.0},
        use_gazetteer=model_args.use_gazetteer,
        max_tokens=model_args.max_tokens,
        stride=model_args.stride,
        base_model=base.record,
    )
    model = NewsPageModel(config)
    encoder = base.encoder
    if model_args.mlm_steps > 0:
        texts = mlm_texts(train_documents, training_args.seed)
        encoder = pretrain_encoder(
            base.tokenizer,
            base.encoder_config,
            texts,
            model_args.mlm_steps,
            str(Path(training_args.output_dir) / "mlm"),
            encoder=base.encoder,
            learning_rate=model_args.mlm_learning_rate,
            max_tokens=model_args.max_tokens,
            seed=training_args.seed,
        )
        shutil.rmtree(Path(training_args.output_dir) / "mlm", ignore_errors=True)
    if encoder is not None:
        model.load_encoder(encoder)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info("Model: %s base, %.1fM parameters", base.record["name"], n_params / 1e6)

    gazetteer = registry if model_args.use_gazetteer else None
    adjectives = state_adjectives(registry)
    workers = data_args.preprocessing_num_workers
    train_dataset = featurize_dataset(
        raw["train"],
        base.tokenizer,
        gazetteer,
        model_args.max_tokens,
        model_args.stride,
        "featurize train",
        adjectives,
        workers,
        cue_pieces=model_args.stance_cue_mask > 0,
        unknown_by_article=article_only_actors(train_documents)
        if gazetteer is not None and model_args.gazetteer_leave_article_out
        else None,
        headline_holder=model_args.headline_holder,
    )
    pair_counts = Counter(label for labels in train_dataset["pair_labels"] for label in labels if label != IGNORE_INDEX)
    model.config.pair_class_weights = class_weights(pair_counts, range(len(PAIR_LABELS)))
    logger.info("Triple candidates in training: %s (weights %s)", dict(pair_counts), model.config.pair_class_weights)
    linker = ActorLinker(registry).fit(train_documents)
    if not eval_documents:
        training_args.eval_strategy = "no"
        training_args.load_best_model_at_end = False
        training_args.save_strategy = "no"
    elif training_args.eval_strategy == "no" and (training_args.num_train_epochs > 1 or training_args.max_steps > 0):
        logger.warning(
            "The dev pages are scored after the last step only; to keep the best epoch, pass "
            "--eval_strategy epoch --save_strategy epoch --load_best_model_at_end true"
        )
    eval_dataset = None
    if "validation" in raw and training_args.eval_strategy != "no":  # the Trainer's own evaluations need it
        validation = raw["validation"]
        if data_args.max_eval_documents:
            validation = validation.select(range(min(data_args.max_eval_documents, len(validation))))
        eval_dataset = featurize_dataset(
            validation,
            base.tokenizer,
            gazetteer,
            model_args.max_tokens,
            model_args.stride,
            "featurize dev",
            adjectives,
            workers,
            headline_holder=model_args.headline_holder,
        )

    trainer = NewsPageTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=DocumentCollator(
            base.tokenizer.pad_token_id or 0,
            model_args.gazetteer_dropout,
            model_args.token_dropout,
            base.tokenizer.mask_token_id,
            model_args.cue_line_mask,
            model_args.stance_cue_mask,
            model_args.gazetteer_match_dropout,
        ),
        processing_class=base.tokenizer,
        eval_documents=eval_documents,
        registry=registry,
        linker=linker,
        ema=EmaCallback(model, model_args.ema_decay) if model_args.ema_decay > 0 else None,
    )
    train_result = trainer.train()
    train_seconds = time.perf_counter() - started
    metrics = dict(train_result.metrics)
    calibration: dict = {}
    if eval_documents:
        # calibrate first, then score the dev pages once, as the checkpoint will predict; the
        # calibration records its own before/after scores on the pages it was fitted on
        if model_args.calibrate:
            predictor = Predictor(cast(NewsPageModel, trainer.model), base.tokenizer, registry, linker, device=training_args.device)
            calibration = calibrate(predictor, eval_documents)
        metrics.update(trainer.evaluate())
    output_dir = Path(training_args.output_dir)
    for stale in output_dir.glob("checkpoint-*"):
        shutil.rmtree(stale)
    metadata = {
        "base_model": base.record,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "train_seconds": round(train_seconds, 1),
        "mixed_precision": "bf16" if training_args.bf16 else "float32",
        "parameters": n_params,
        "data": {
            "train_file": data_args.train_file,
            "validation_file": data_args.validation_file,
            "train_documents": len(train_documents),
            "dev_documents": len(eval_documents),
            "registry_actors": len(registry),
        },
        "arguments": {
            "model": vars(model_args),
            "data": vars(data_args),
            "training": {k: v for k, v in training_args.to_dict().items() if isinstance(v, (int, float, str, bool, type(None)))},
        },
        "calibration": calibration,
        "metrics": {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))},
        "log_history": trainer.state.log_history,
    }
    save_checkpoint(output_dir, cast(NewsPageModel, trainer.model), base.tokenizer, registry, linker, metadata)
    trainer.log_metrics("all", metrics)
    trainer.save_metrics("all", metrics)
    logger.info(
        "Checkpoint written to %s (base model: %s, %s) in %.0f s", output_dir, base.record["name"], base.record["kind"], train_seconds
    )
    return metrics


if __name__ == "__main__":
    main()

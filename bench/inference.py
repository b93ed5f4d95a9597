"""Inference benchmark, side by side in one run: ``python -m bench.inference`` (``make bench``).

For one model shape at a time (the trained checkpoint, or a random-weight model of a given
shape — random weights give valid timings), on pages assembled from the corpus:

1. naive reference: one float32 forward pass per paragraph with the Hugging Face model;
2. the project's predictor (length-sorted token-budget buckets, inference_mode, SDPA,
   batched fast tokenisation, little padding), in float32 and in the precision ``auto``
   picks for the hardware (bfloat16 where it is native), with its label agreement;
3. the raw encoder alone on the same word pieces, per precision (the predictor's ceiling);
4. the predictor's pipeline with a free encoder (featurisation, batching, heads and
   decoding only): the ceiling of the predictor on any accelerator;
5. (CPU) the predictor with the encoder in ONNX Runtime, float32 and dynamically
   quantised to int8, with the share of paragraphs whose label agrees with float32.

Reports paragraphs/s, tokens/s, each system's ratio to the first, tokenisation's share of
the predictor's time, and p50/p95/p99 latency of one 30-paragraph page.

One script (~360 lines) because every system is timed on the same pages, the same warm
process and the same clock, and the table compares them row by row; splitting it would
only move the timing helpers away from the one table they feed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from transformers import BertConfig  # type: ignore[attr-defined]

from models.base import load_tokenizer
from models.batching import BatchLayout
from models.checkpoint import DEFAULT_MODEL_DIR
from models.features import encode_document
from models.linking import ActorLinker
from models.modeling import NewsPageConfig, NewsPageModel
from models.onnx_encoder import prepare_onnx_encoder
from models.precision import dtype_name, resolve_dtype
from models.predictor import Predictor
from models.registry import ActorRegistry

logger = logging.getLogger(__name__)

SHAPES: dict[str, dict[str, Any]] = {
    "camelbert": {"vocab_size": 30000, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}


def load_documents(path: Path, pages: int) -> list[list[str]]:
    with path.open(encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle if line.strip()]
    if not docs:
        raise SystemExit(f"no pages in {path}; run `make data` first")
    return [[p["text"] for p in d["paragraphs"]] for d in docs[:pages]]


def build_predictor(args: argparse.Namespace, shape: str | None, device: str, precision: str = "float32", workers: int = 0) -> Predictor:
    """The trained checkpoint, or a random-weight model of ``shape`` using the checkpoint's tokenizer and registry.

    Every call builds a fresh model (random shapes from the same seed), so systems never share cast weights.
    """
    if shape is None:
        predictor = Predictor.from_pretrained(args.model_dir, device=device, precision=precision, cpu_workers=workers)
    else:
        tokenizer = load_tokenizer(args.model_dir)
        registry = ActorRegistry.load(Path(args.model_dir) / "registry.json")
        encoder = BertConfig(**SHAPES[shape], pad_token_id=tokenizer.pad_token_id or 0)
        torch.manual_seed(0)
        model = NewsPageModel(NewsPageConfig(encoder=encoder.to_dict(), base_model={"name": f"random {shape}-shaped", "kind": "random"}))
        predictor = Predictor(model, tokenizer, registry, ActorLinker(registry), device=device, precision=precision, cpu_workers=workers)
    predictor.max_batch_tokens = args.max_batch_tokens
    return predictor


def _outputs(predictor: Predictor, documents: list[list[str]]) -> list[tuple[str, str | None]]:
    return [(p.kind, p.stance) for doc in predictor.predict_paragraphs(documents) for p in doc]


def _agreement(reference: list[tuple[str, str | None]], other: list[tuple[str, str | None]]) -> dict[str, float]:
    pairs = list(zip(reference, other, strict=True))
    return {
        "label_agreement": sum(a[0] == b[0] for a, b in pairs) / len(pairs),
        "stance_agreement": sum(a[1] == b[1] for a, b in pairs) / len(pairs),
    }


def _best(seconds: list[float]) -> float:
    """The fastest of the repeats: the machine's noise only ever adds time."""
    return min(seconds)


def time_predictor(predictor: Predictor, documents: list[list[str]], batch_pages: int, sync, repeats: int) -> tuple[float, float]:
    """Seconds for the predictor over all documents, and the seconds of that spent tokenising (best of ``repeats``)."""
    totals, tokenize = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in predictor.predict_stream(documents, batch_pages=batch_pages):
            pass
        sync()
        totals.append(time.perf_counter() - start)
        start = time.perf_counter()
        predictor.featurizer(documents)
        tokenize.append(time.perf_counter() - start)
    return _best(totals), _best(tokenize)


@torch.inference_mode()
def time_naive(predictor: Predictor, documents: list[list[str]], sync, repeats: int) -> float:
    """One Hugging Face forward pass per paragraph (the whole model, a one-paragraph document)."""
    model, tokenizer, cfg = predictor.model, predictor.tokenizer, predictor.config
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for doc in documents:
            for text in doc:
                enc = encode_document([text], tokenizer, predictor.registry, cfg.max_tokens, cfg.stride)
                n = len(enc.input_ids)
                width = max(len(x) for x in enc.input_ids)
                ids = torch.tensor([x + [0] * (width - len(x)) for x in enc.input_ids], device=predictor.device)
                mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in enc.input_ids], device=predictor.device)
                gaz = torch.tensor([x + [0] * (width - len(x)) for x in enc.gazetteer_ids], device=predictor.device)
                model(
                    input_ids=ids,
                    attention_mask=mask,
                    gazetteer_ids=gaz,
                    chunk_paragraph=torch.zeros(n, dtype=torch.long, device=predictor.device),
                    paragraph_document=torch.zeros(1, dtype=torch.long, device=predictor.device),
                    paragraph_position=torch.zeros(1, dtype=torch.long, device=predictor.device),
                    paragraph_features=torch.tensor(enc.paragraph_features, device=predictor.device),
                )
        sync()
        times.append(time.perf_counter() - start)
    return _best(times)


@torch.inference_mode()
def time_raw_encoder(predictor: Predictor, documents: list[list[str]], batch_pages: int, sync, repeats: int) -> tuple[float, int]:
    """The encoder alone over the same word pieces in the predictor's batches and buckets (featurisation not timed)."""
    batches = [BatchLayout(predictor.featurizer(documents[i : i + batch_pages])) for i in range(0, len(documents), batch_pages)]
    tokens = sum(sum(layout.lengths) for layout in batches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for layout in batches:
            predictor.step.encode_buckets(layout)
        sync()
        times.append(time.perf_counter() - start)
    return _best(times), tokens


def page_latency(predictor: Predictor, documents: list[list[str]], repeats: int, sync) -> dict[str, float]:
    """Latency of one ~30-paragraph page, one request at a time."""
    page = next((d for d in documents if 25 <= len(d) <= 35), documents[0])[:30]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict_paragraphs([page])
        sync()
        times.append(time.perf_counter() - start)
    q = statistics.quantiles(times, n=100)
    return {"paragraphs": len(page), "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def onnx_predictor(predictor: Predictor, backend: str, max_batch_tokens: int) -> Predictor:
    """The same (float32) predictor with its encoder in ONNX Runtime, float32 or dynamic int8 (see models.onnx_encoder)."""
    encoder = prepare_onnx_encoder(predictor.model.float().eval(), backend, checkpoint_dir=None)
    return Predictor(
        predictor.model,
        predictor.tokenizer,
        predictor.registry,
        predictor.linker,
        device="cpu",
        max_batch_tokens=max_batch_tokens,
        encode_fn=encoder,
        backend=backend,
    )


def bench_shape(args: argparse.Namespace, shape: str | None, documents: list[list[str]]) -> dict:
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    n_paragraphs = sum(len(d) for d in documents)
    reference = build_predictor(args, shape, device, "float32")
    name = shape or f"checkpoint ({reference.base_model.get('name')})"
    reference.predict_paragraphs(documents[:2])  # warm-up
    reference_outputs = _outputs(reference, documents)
    rows: list[dict] = []
    latency: dict[str, dict] = {}

    naive_docs = documents[: args.naive_pages]
    naive_paragraphs = sum(len(d) for d in naive_docs)
    naive_s = time_naive(reference, naive_docs, sync, args.repeats)
    _, naive_tokens = time_raw_encoder(reference, naive_docs, args.batch_pages, sync, 1)
    rows.append(
        {
            "system": "naive: one HF forward pass per paragraph (float32)",
            "paragraphs_per_s": naive_paragraphs / naive_s,
            "tokens_per_s": naive_tokens / naive_s,
        }
    )
    tokens = 0
    fp32_predictor_s = None
    precisions = list(dict.fromkeys(dtype_name(resolve_dtype(p, device)) for p in args.precisions.split(",")))
    for precision in precisions:
        predictor = (
            reference
            if precision == "float32" and not args.cpu_workers
            else build_predictor(args, shape, device, precision, args.cpu_workers)
        )
        predictor.predict_paragraphs(documents[:2])
        total_s, tokenize_s = time_predictor(predictor, documents, args.batch_pages, sync, args.repeats)
        raw_s, tokens = time_raw_encoder(predictor, documents, args.batch_pages, sync, args.repeats)
        fp32_predictor_s = total_s if precision == "float32" else fp32_predictor_s
        row = {
            "system": f"predictor ({precision})" + (f", {args.cpu_workers} CPU workers" if args.cpu_workers else ""),
            "paragraphs_per_s": n_paragraphs / total_s,
            "tokens_per_s": tokens / total_s,
            "tokenize_share": tokenize_s / total_s,
            "share_of_raw_encoder": raw_s / total_s,
        }
        if precision != "float32":
            row.update(_agreement(reference_outputs, _outputs(predictor, documents)))
        rows.append(row)
        rows.append(
            {
                "system": f"raw encoder on the same tokens ({precision})",
                "paragraphs_per_s": n_paragraphs / raw_s,
                "tokens_per_s": tokens / raw_s,
            }
        )
        latency[precision] = page_latency(predictor, documents, args.latency_repeats, sync)
        if predictor is not reference:
            predictor.close()
    # everything but the encoder (featurisation, batching, heads, decoding): the predictor can never beat this,
    # however fast the accelerator; with --cpu-workers it shows whether the worker processes keep up
    hollow = build_predictor(args, shape, device, "float32", args.cpu_workers)
    hidden = hollow.model.config.encoder["hidden_size"]
    hollow.encode_fn = lambda ids, mask, gaz: torch.zeros(ids.shape[0], ids.shape[1], hidden, device=ids.device)
    hollow.predict_paragraphs(documents[:2])
    hollow_s, _ = time_predictor(hollow, documents, args.batch_pages, sync, args.repeats)
    hollow.close()
    rows.append(
        {
            "system": "the predictor's pipeline without the encoder (its ceiling on any accelerator)",
            "paragraphs_per_s": n_paragraphs / hollow_s,
            "tokens_per_s": tokens / hollow_s,
        }
    )
    if device == "cpu" and not args.no_onnx:
        for backend in ("onnx", "onnx-int8"):
            quantized = onnx_predictor(build_predictor(args, shape, device, "float32"), backend, args.onnx_max_batch_tokens)
            quantized.predict_paragraphs(documents[:2])
            onnx_s, _ = time_predictor(quantized, documents, args.batch_pages, sync, args.repeats)
            row = {
                "system": f"predictor, ONNX Runtime {'int8' if backend == 'onnx-int8' else 'float32'} encoder",
                "paragraphs_per_s": n_paragraphs / onnx_s,
                "tokens_per_s": tokens / onnx_s,
                **_agreement(reference_outputs, _outputs(quantized, documents)),
            }
            if fp32_predictor_s:
                row["vs_fp32_predictor"] = fp32_predictor_s / onnx_s
            rows.append(row)
            latency[backend] = page_latency(quantized, documents, args.latency_repeats, sync)
    base = rows[0]["paragraphs_per_s"]
    for row in rows:
        row["ratio_to_naive"] = row["paragraphs_per_s"] / base
    return {
        "model": name,
        "device": device,
        "pages": len(documents),
        "paragraphs": n_paragraphs,
        "tokens": tokens,
        "max_batch_tokens": args.max_batch_tokens,
        "onnx_max_batch_tokens": args.onnx_max_batch_tokens,
        "cpu_workers": args.cpu_workers,
        "repeats": args.repeats,
        "rows": rows,
        "page_latency": latency,
    }


def print_table(result: dict) -> None:
    print(
        f"\n### {result['model']} on {result['device']}, {result['pages']} pages, {result['paragraphs']} paragraphs, "
        f"{result['tokens']} word pieces, batches of {result['max_batch_tokens']} tokens, best of {result['repeats']}\n"
    )
    print("| system | paragraphs/s | tokens/s | × naive | notes |")
    print("|---|---|---|---|---|")
    for row in result["rows"]:
        notes = []
        if "tokenize_share" in row:
            notes.append(
                f"featurisation in one process = {row['tokenize_share']:.0%} of its time; {row['share_of_raw_encoder']:.0%} of the raw encoder"
            )
        if "vs_fp32_predictor" in row:
            notes.append(f"{row['vs_fp32_predictor']:.2f}× the float32 predictor")
        if "label_agreement" in row:
            notes.append(f"kind agreement with float32 {row['label_agreement']:.2%}, stance {row['stance_agreement']:.2%}")
        print(
            f"| {row['system']} | {row['paragraphs_per_s']:.1f} | {row['tokens_per_s']:.0f} | {row['ratio_to_naive']:.2f} | {'; '.join(notes)} |"
        )
    for system, lat in result["page_latency"].items():
        print(
            f"One {lat['paragraphs']}-paragraph page, {system}: p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms"
        )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir", default=DEFAULT_MODEL_DIR, help="checkpoint (its tokenizer and registry serve the random shapes too)"
    )
    parser.add_argument("--shapes", default="checkpoint,camelbert", help="comma list of: checkpoint, camelbert")
    parser.add_argument("--pages", type=Path, default=Path("data/build/test.jsonl"))
    parser.add_argument("--n-pages", type=int, default=40)
    parser.add_argument("--naive-pages", type=int, default=10, help="pages for the (slow) naive reference")
    parser.add_argument("--batch-pages", type=int, default=16, help="pages per predictor call")
    parser.add_argument(
        "--max-batch-tokens", type=int, default=2048, help="padded tokens per encoder batch (2048 suits a CPU; raise it on a GPU)"
    )
    parser.add_argument("--latency-repeats", type=int, default=30)
    parser.add_argument("--device", default=None)
    parser.add_argument(
        "--precisions", default="float32,auto", help="comma list of predictor precisions (float32, bfloat16, float16, auto)"
    )
    parser.add_argument(
        "--onnx-max-batch-tokens", type=int, default=4096, help="ONNX Runtime's batches (it prefers fewer, larger calls than PyTorch)"
    )
    parser.add_argument(
        "--cpu-workers",
        type=int,
        default=0,
        help="processes featurising ahead of the model (helps on a GPU machine with spare cores)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of each system; the fastest is kept")
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    documents = load_documents(args.pages, args.n_pages)
    results = []
    for shape in args.shapes.split(","):
        result = bench_shape(args, None if shape == "checkpoint" else shape, documents)
        result["torch_threads"] = torch.get_num_threads()
        result["load_average_after"] = os.getloadavg()  # other work on the machine slows every row alike
        result["machine"] = platform.processor() or platform.machine()
        print_table(result)
        results.append(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()

"""Inference benchmark, side by side in one run: ``python -m bench.inference`` (``make bench``).

For one model shape at a time (the trained checkpoint, or a random-weight model of a given
shape — random weights give valid timings), on pages assembled from the corpus:

1. naive reference: one forward pass per paragraph with the Hugging Face model;
2. the project's predictor (length-sorted token-budget buckets, inference_mode, SDPA,
   batched fast tokenisation, no padding waste);
3. the raw encoder alone on the same word pieces (the ceiling for the predictor);
4. (CPU) the predictor with the encoder exported to ONNX Runtime and dynamically
   quantised to int8, with the share of paragraphs whose label agrees with fp32.

Reports paragraphs/s, tokens/s, each system's ratio to the first, tokenisation's share of
the predictor's time, and p50/p95/p99 latency of one 30-paragraph page.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
from transformers import BertConfig, BertTokenizerFast

from models.features import encode_document
from models.linking import ActorLinker
from models.modeling import NewsPageConfig, NewsPageModel
from models.predictor import Predictor
from models.registry import ActorRegistry

logger = logging.getLogger(__name__)

SHAPES = {
    "camelbert": {"vocab_size": 30000, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}


def load_documents(path: Path, pages: int) -> list[list[str]]:
    with path.open(encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle if line.strip()]
    if not docs:
        raise SystemExit(f"no pages in {path}; run `make data` first")
    return [[p["text"] for p in d["paragraphs"]] for d in docs[:pages]]


def build_predictor(model_dir: str, shape: str | None, device: str, dtype: torch.dtype) -> Predictor:
    """The trained checkpoint, or a random-weight model of ``shape`` using the checkpoint's tokenizer and registry."""
    if shape is None:
        predictor = Predictor.from_pretrained(model_dir, device=device)
    else:
        tokenizer = BertTokenizerFast.from_pretrained(model_dir)
        registry = ActorRegistry.load(Path(model_dir) / "registry.json")
        encoder = BertConfig(**SHAPES[shape], pad_token_id=tokenizer.pad_token_id or 0)
        torch.manual_seed(0)
        model = NewsPageModel(NewsPageConfig(encoder=encoder.to_dict(), base_model={"name": f"random {shape}-shaped", "kind": "random"}))
        predictor = Predictor(model, tokenizer, registry, ActorLinker(registry), device=device)
    predictor.model.to(dtype)
    return predictor


def _labels(predictor: Predictor, documents: list[list[str]]) -> list[str]:
    return [p.kind for doc in predictor.predict_paragraphs(documents) for p in doc]


def time_predictor(predictor: Predictor, documents: list[list[str]], batch_pages: int, sync) -> tuple[float, float]:
    """Seconds for the predictor over all documents, and the seconds of that spent tokenising."""
    start = time.perf_counter()
    for i in range(0, len(documents), batch_pages):
        predictor.predict_paragraphs(documents[i : i + batch_pages])
    sync()
    total = time.perf_counter() - start
    start = time.perf_counter()
    for doc in documents:
        encode_document(doc, predictor.tokenizer, predictor.registry, predictor.config.max_tokens, predictor.config.stride)
    return total, time.perf_counter() - start


@torch.inference_mode()
def time_naive(predictor: Predictor, documents: list[list[str]], sync) -> float:
    """One Hugging Face forward pass per paragraph (the whole model, a one-paragraph document)."""
    model, tokenizer, cfg = predictor.model, predictor.tokenizer, predictor.config
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
    return time.perf_counter() - start


@torch.inference_mode()
def time_raw_encoder(predictor: Predictor, documents: list[list[str]], sync) -> tuple[float, int]:
    """The encoder alone over the same word pieces, in the predictor's buckets (tokenisation not timed)."""
    chunks = []
    cfg = predictor.config
    for doc in documents:
        enc = encode_document(doc, predictor.tokenizer, predictor.registry, cfg.max_tokens, cfg.stride)
        chunks.extend(zip(enc.input_ids, enc.gazetteer_ids, strict=True))
    tokens = sum(len(c[0]) for c in chunks)
    start = time.perf_counter()
    predictor._encode_sorted(chunks)
    sync()
    return time.perf_counter() - start, tokens


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


def onnx_int8_predictor(predictor: Predictor, workdir: Path) -> Predictor:
    """The same predictor with its encoder exported to ONNX and dynamically quantised to int8."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = predictor.model.float().eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, gazetteer_ids):
            return self.model.encode(input_ids, attention_mask, gazetteer_ids)

    fp32_path, int8_path = workdir / "encoder.onnx", workdir / "encoder.int8.onnx"
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long), torch.zeros(2, 16, dtype=torch.long))
    axes = {0: "chunks", 1: "tokens"}
    torch.onnx.export(
        Encoder(),
        example,
        str(fp32_path),
        input_names=["input_ids", "attention_mask", "gazetteer_ids"],
        output_names=["states"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "gazetteer_ids": axes, "states": axes},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(int8_path), options, providers=["CPUExecutionProvider"])

    def encode(input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor) -> torch.Tensor:
        (states,) = session.run(
            None, {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy(), "gazetteer_ids": gazetteer_ids.numpy()}
        )
        return torch.from_numpy(states)

    return Predictor(
        model,
        predictor.tokenizer,
        predictor.registry,
        predictor.linker,
        device="cpu",
        max_batch_tokens=predictor.max_batch_tokens,
        encode_fn=encode,
    )


def bench_shape(args: argparse.Namespace, shape: str | None, documents: list[list[str]]) -> dict:
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if (device == "cuda" and args.bf16) else torch.float32
    predictor = build_predictor(args.model_dir, shape, device, dtype)
    predictor.max_batch_tokens = args.max_batch_tokens
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    name = shape or f"checkpoint ({predictor.base_model.get('name')})"
    n_paragraphs = sum(len(d) for d in documents)
    predictor.predict_paragraphs(documents[:2])  # warm-up
    rows = []
    naive_docs = documents[: args.naive_pages]
    naive_paragraphs = sum(len(d) for d in naive_docs)
    naive_s = time_naive(predictor, naive_docs, sync)
    _, naive_tokens = time_raw_encoder(predictor, naive_docs, sync)
    rows.append(
        {
            "system": "naive: one HF forward pass per paragraph",
            "paragraphs_per_s": naive_paragraphs / naive_s,
            "tokens_per_s": naive_tokens / naive_s,
        }
    )
    total_s, tokenize_s = time_predictor(predictor, documents, args.batch_pages, sync)
    raw_s, tokens = time_raw_encoder(predictor, documents, sync)
    rows.append(
        {
            "system": "predictor (bucketed, inference_mode, SDPA)",
            "paragraphs_per_s": n_paragraphs / total_s,
            "tokens_per_s": tokens / total_s,
            "tokenize_share": tokenize_s / total_s,
        }
    )
    rows.append({"system": "raw encoder on the same tokens", "paragraphs_per_s": n_paragraphs / raw_s, "tokens_per_s": tokens / raw_s})
    latency = page_latency(predictor, documents, args.latency_repeats, sync)
    int8_latency = None
    if device == "cpu" and not args.no_onnx:
        fp32_labels = _labels(predictor, documents)
        with tempfile.TemporaryDirectory() as tmp:
            quantized = onnx_int8_predictor(predictor, Path(tmp))
            quantized.predict_paragraphs(documents[:2])
            int8_s, _ = time_predictor(quantized, documents, args.batch_pages, sync)
            agreement = sum(a == b for a, b in zip(fp32_labels, _labels(quantized, documents), strict=True)) / len(fp32_labels)
            rows.append(
                {
                    "system": "predictor, ONNX Runtime int8 encoder",
                    "paragraphs_per_s": n_paragraphs / int8_s,
                    "tokens_per_s": tokens / int8_s,
                    "label_agreement": agreement,
                    "vs_fp32_predictor": total_s / int8_s,
                }
            )
            int8_latency = page_latency(quantized, documents, args.latency_repeats, sync)
    base = rows[0]["paragraphs_per_s"]
    for row in rows:
        row["ratio_to_naive"] = row["paragraphs_per_s"] / base
    return {
        "model": name,
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "pages": len(documents),
        "paragraphs": n_paragraphs,
        "tokens": tokens,
        "rows": rows,
        "page_latency": latency,
        "page_latency_int8": int8_latency,
    }


def print_table(result: dict) -> None:
    print(
        f"\n### {result['model']} on {result['device']} ({result['dtype']}), {result['pages']} pages, {result['paragraphs']} paragraphs, {result['tokens']} word pieces\n"
    )
    print("| system | paragraphs/s | tokens/s | × naive | notes |")
    print("|---|---|---|---|---|")
    for row in result["rows"]:
        notes = []
        if "tokenize_share" in row:
            notes.append(f"tokenisation {row['tokenize_share']:.0%} of the time")
        if "label_agreement" in row:
            notes.append(f"{row['vs_fp32_predictor']:.2f}× fp32 predictor, label agreement {row['label_agreement']:.2%}")
        print(
            f"| {row['system']} | {row['paragraphs_per_s']:.1f} | {row['tokens_per_s']:.0f} | {row['ratio_to_naive']:.2f} | {'; '.join(notes)} |"
        )
    lat = result["page_latency"]
    print(f"\nOne {lat['paragraphs']}-paragraph page: p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms")
    if result.get("page_latency_int8"):
        lat = result["page_latency_int8"]
        print(f"Same page, ONNX int8 encoder: p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir", default="checkpoints/latest", help="checkpoint (its tokenizer and registry serve the random shapes too)"
    )
    parser.add_argument("--shapes", default="checkpoint,camelbert", help="comma list of: checkpoint, camelbert")
    parser.add_argument("--pages", type=Path, default=Path("data/build/test.jsonl"))
    parser.add_argument("--n-pages", type=int, default=40)
    parser.add_argument("--naive-pages", type=int, default=10, help="pages for the (slow) naive reference")
    parser.add_argument("--batch-pages", type=int, default=16, help="pages per predictor call")
    parser.add_argument(
        "--max-batch-tokens", type=int, default=4096, help="padded tokens per encoder batch (4096 suits a CPU; raise it on a GPU)"
    )
    parser.add_argument("--latency-repeats", type=int, default=30)
    parser.add_argument("--device", default=None)
    parser.add_argument("--bf16", action="store_true", help="bf16 weights on CUDA")
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    documents = load_documents(args.pages, args.n_pages)
    results = []
    for shape in args.shapes.split(","):
        result = bench_shape(args, None if shape == "checkpoint" else shape, documents)
        result["torch_threads"] = torch.get_num_threads()
        result["machine"] = platform.processor() or platform.machine()
        print_table(result)
        results.append(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()

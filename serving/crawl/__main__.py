"""Classify a crawl: JSONL or Parquet pages in, one record per page out, on one process or on Ray.

    python -m serving.crawl pages.jsonl --out labelled/                      # local engine
    python -m serving.crawl 'crawl/2026-11/*.parquet' --out labelled/ --engine ray --actors 2
    RAY_ADDRESS=ray://head:10001 python -m serving.crawl s3dir/ --out out/ --engine ray --gpus-per-actor 1

Input records are ``{"id": …, "text": "…"}`` (``id`` optional; Parquet: ``id`` and ``text``
columns). Output: a folder (see :mod:`serving.crawl.output`) of shards of page records
(:mod:`serving.crawl.records`) and ``errors.jsonl``. Running the same command again
resumes: finished shards are kept. Exit status 0 when the crawl finished (bad records are
in ``errors.jsonl``), 2 when its input or output cannot be used.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from tqdm import tqdm

from models.checkpoint import DEFAULT_MODEL_DIR
from models.onnx_encoder import BACKENDS
from models.precision import PRECISIONS
from models.predictor import DEFAULT_MAX_BATCH_TOKENS

from ..settings import Settings
from .engines import ENGINES, run_local, run_ray
from .output import OUTPUT_FORMATS, CrawlOutput, OutputError
from .sources import InputError, Limits, find_inputs, plan_chunks
from .worker import WorkerConfig

logger = logging.getLogger("serving.crawl")


def model_fingerprint(model_dir: str) -> str:
    """The checkpoint a crawl was made with (its folder and weights file), so a resume cannot mix two models."""
    weights = Path(model_dir) / "model.safetensors"
    stat = weights.stat() if weights.exists() else None
    return f"{Path(model_dir).resolve()}:{stat.st_size}:{int(stat.st_mtime)}" if stat else str(Path(model_dir).resolve())


def crawl(args: argparse.Namespace) -> dict:
    """Run the crawl described by the command line; returns what it did (pages, errors, timings)."""
    began = time.perf_counter()
    files = find_inputs(args.inputs)
    chunks = plan_chunks(files, args.chunk_pages)
    output = CrawlOutput(args.out, args.format)
    output.prepare(
        {
            "inputs": [str(f) for f in files],
            "chunk_pages": args.chunk_pages,
            "format": args.format,
            "model": model_fingerprint(args.model_dir),
        }
    )
    todo = [c for c in chunks if not output.is_done(c)]
    logger.info(
        "%d input file(s), %d chunk(s) of up to %d records; %d already done, %d to classify with the %s engine",
        len(files),
        len(chunks),
        args.chunk_pages,
        len(chunks) - len(todo),
        len(todo),
        args.engine,
    )
    settings = Settings()
    config = WorkerConfig(
        model_dir=args.model_dir,
        out_dir=str(args.out),
        out_format=args.format,
        limits=Limits(max_paragraphs=settings.max_paragraphs, max_text_bytes=settings.max_request_bytes),
        batch_pages=args.batch_pages,
        predictor={
            "device": args.device,
            "precision": args.precision,
            "backend": args.backend,
            "max_batch_tokens": args.max_batch_tokens,
            "max_paragraph_chars": settings.max_paragraph_chars,
        },
    )
    if args.engine == "ray":
        results = run_ray(todo, config, args.actors, args.cpus_per_actor, args.gpus_per_actor)
    else:
        results = run_local(todo, config)
    pages = errors = 0
    first_output = None
    with tqdm(total=len(todo), desc="chunks", unit="chunk") as progress:
        for result in results:
            pages += result.pages
            errors += result.errors
            first_output = first_output if first_output is not None else time.perf_counter() - began
            progress.update()
            progress.set_postfix(pages=pages, errors=errors)
    seconds = time.perf_counter() - began
    all_errors = output.gather_errors()
    summary = {
        "engine": args.engine,
        "chunks": len(chunks),
        "chunks_classified": len(todo),
        "pages": pages,
        "errors": errors,
        "errors_in_folder": all_errors,
        "seconds": round(seconds, 2),
        "pages_per_second": round(pages / seconds, 2) if seconds else None,
        "first_output_seconds": None if first_output is None else round(first_output, 2),
    }
    logger.info(
        "classified %d pages in %.1f s (%.1f pages/s); %d bad records this run, %d in %s",
        pages,
        seconds,
        summary["pages_per_second"] or 0,
        errors,
        all_errors,
        Path(args.out) / "errors.jsonl",
    )
    return summary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("inputs", nargs="+", help="JSONL or Parquet files, folders, or globs")
    p.add_argument("--out", type=Path, required=True, help="output folder (a run into an existing one resumes it)")
    p.add_argument("--engine", choices=ENGINES, default="local")
    p.add_argument("--format", choices=OUTPUT_FORMATS, default="jsonl", help="shard format")
    p.add_argument("--chunk-pages", type=int, default=1000, help="records per chunk: the unit of work, output and resume")
    p.add_argument("--actors", type=int, default=1, help="Ray: Predictor actors in the pool")
    p.add_argument("--cpus-per-actor", type=float, default=1.0, help="Ray: CPUs each actor reserves (its torch threads)")
    p.add_argument("--gpus-per-actor", type=float, default=0.0, help="Ray: GPUs each actor reserves (1 on GPU nodes)")
    p.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    p.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    p.add_argument("--precision", default="auto", choices=PRECISIONS)
    p.add_argument("--backend", default="torch", choices=BACKENDS)
    p.add_argument("--batch-pages", type=int, default=16, help="pages featurised together before their model batches")
    p.add_argument("--max-batch-tokens", type=int, default=DEFAULT_MAX_BATCH_TOKENS, help="padded word pieces per encoder batch")
    p.add_argument("--summary", type=Path, default=None, help="also write the run's summary (JSON) here")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not Path(args.model_dir, "config.json").is_file():
        logger.error("%s is not a checkpoint (no config.json); train one with `make train`", args.model_dir)
        return 2
    try:
        summary = crawl(args)
    except (InputError, OutputError) as err:
        logger.error("%s", err)
        return 2
    print(json.dumps(summary))
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark ``make classify``: the local engine against Ray Data with 1 and N CPU actors, on the same pages.

    python -m bench.crawl --pages 2000 --out bench/results/crawl.json [--actors 1 2] [--gpu]

Each run is a fresh ``python -m serving.crawl`` process (startup, Ray's included, counts) on
the same JSONL of assembled pages (``data/build``, built by ``make data``). It reports
pages/s, time to the first finished chunk, and the peak memory of the whole process tree
(the driver, Ray's own processes and its actors), sampled every 0.2 s; it then compares
every engine's records with the local engine's: how many differ at all, and how many
differ beyond a probability's fourth decimal (a Ray actor with one CPU runs torch on one
thread, the local engine on all cores, and float sums in another order can move a
rounded probability by 0.0001; labels, offsets, actors and triples must not move).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from models.checkpoint import DEFAULT_MODEL_DIR
from models.spec import iter_jsonl
from serving.crawl.output import read_records


def write_pages(source: Path, target: Path, count: int) -> int:
    """The first ``count`` assembled pages of ``source`` as ``{"id", "text"}`` lines."""
    written = 0
    with target.open("w", encoding="utf-8") as out:
        for record in iter_jsonl(source):
            if record.error or written == count:
                continue
            text = "\n".join(p["text"] for p in record.value["paragraphs"])
            out.write(json.dumps({"id": record.value["id"], "text": text}, ensure_ascii=False) + "\n")
            written += 1
    return written


def _strip_probabilities(value):
    if isinstance(value, dict):
        return {k: _strip_probabilities(v) for k, v in value.items() if not k.endswith("probability")}
    if isinstance(value, list):
        return [_strip_probabilities(v) for v in value]
    return value


def compare(reference: list[dict], other: list[dict]) -> dict:
    """Records that differ at all, and records that differ in anything but a probability (labels, offsets, actors, triples)."""
    if len(reference) != len(other):
        return {"records": len(other), "differ": None, "differ_beyond_probabilities": None}
    differ = sum(a != b for a, b in zip(reference, other, strict=True))
    beyond = sum(_strip_probabilities(a) != _strip_probabilities(b) for a, b in zip(reference, other, strict=True))
    return {"records": len(other), "differ": differ, "differ_beyond_probabilities": beyond}


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def run(name: str, command: list[str]) -> dict:
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(watched))
        time.sleep(0.2)
    stdout = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise RuntimeError(f"{name}: exit status {process.returncode}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    row = {
        "run": name,
        "pages": summary["pages"],
        "seconds": round(time.perf_counter() - began, 1),
        "pages_per_second": round(summary["pages"] / (time.perf_counter() - began), 2),
        "first_output_seconds": summary["first_output_seconds"],
        "peak_rss_mb": round(peak / 2**20),
    }
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    parser.add_argument("--source", type=Path, default=Path("data/build/train.jsonl"), help="assembled pages (make data)")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--chunk-pages", type=int, default=100)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2], help="Ray actor pool sizes to run")
    parser.add_argument("--gpu", action="store_true", help="one GPU per Ray actor, and the local engine on cuda")
    parser.add_argument("--out", type=Path, default=Path("bench/results/crawl.json"))
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"{args.source} not found; run `make data` first")

    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
        pages = Path(tmp) / "pages.jsonl"
        count = write_pages(args.source, pages, args.pages)
        common = [sys.executable, "-m", "serving.crawl", str(pages), "--model-dir", args.model_dir, "--chunk-pages", str(args.chunk_pages)]
        device = ["--device", "cuda"] if args.gpu else []
        rows = [run("local", [*common, "--out", f"{tmp}/local", *device])]
        for actors in args.actors:
            per_actor = ["--gpus-per-actor", "1"] if args.gpu else ["--cpus-per-actor", "1"]
            rows.append(
                run(
                    f"ray, {actors} actor(s)",
                    [*common, "--out", f"{tmp}/ray{actors}", "--engine", "ray", "--actors", str(actors), *per_actor],
                )
            )
        reference = read_records(f"{tmp}/local")
        agreement = {f"ray, {a} actor(s)": compare(reference, read_records(f"{tmp}/ray{a}")) for a in args.actors}
        identical = all(v["differ_beyond_probabilities"] == 0 for v in agreement.values())

    result = {
        "machine": {"host": platform.node(), "cpus": psutil.cpu_count(), "python": platform.python_version()},
        "model_dir": args.model_dir,
        "pages": count,
        "chunk_pages": args.chunk_pages,
        "runs": rows,
        "agreement_with_local": agreement,
        "identical_beyond_probabilities": identical,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"agreement with the local engine: {json.dumps(agreement)}; wrote {args.out}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())

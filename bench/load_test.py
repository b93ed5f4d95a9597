"""Load test of the classify service on loopback: ``python -m bench.load_test`` (``make load-test``).

Starts the service (uvicorn, 127.0.0.1, a free port) on a checkpoint, sends a fixed number
of requests from N concurrent clients, and reports throughput, p50/p95/p99 latency,
errors, and the server's memory before and after. ``--compare`` runs it with and without
dynamic batching. Bounded in count and time; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from models.checkpoint import DEFAULT_MODEL_DIR
from training.pages import render_text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_pages(path: Path, limit: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle if line.strip()][:limit]
    if not docs:
        raise SystemExit(f"no pages in {path}; run `make data` first")
    return [render_text(d, seed=i) for i, d in enumerate(docs)]


def start_server(model_dir: str, port: int, dynamic: bool, wait_ms: float, timeout: float = 120) -> subprocess.Popen:
    env = dict(os.environ, MODEL_DIR=model_dir, DYNAMIC_BATCHING=str(dynamic).lower(), BATCH_WAIT_MS=str(wait_ms), LOG_JSON="true")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "serving.app:app_factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up")
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("the server did not become ready in time")


async def run_load(url: str, pages: list[str], clients: int, requests: int, time_limit: float) -> dict:
    latencies: list[float] = []
    errors = 0
    paragraphs = 0
    counter = iter(range(requests))
    deadline = time.perf_counter() + time_limit

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors, paragraphs
        for n in counter:
            if time.perf_counter() > deadline:
                return
            start = time.perf_counter()
            try:
                response = await http.post(url, json={"text": pages[n % len(pages)]})
                if response.status_code == 200:
                    paragraphs += len(response.json()["paragraphs"])
                else:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "paragraphs_per_s": round(paragraphs / elapsed, 1),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
    }


def measure(args: argparse.Namespace, pages: list[str], dynamic: bool) -> dict:
    port = _free_port()
    server = start_server(args.model_dir, port, dynamic, args.batch_wait_ms)
    try:
        memory = psutil.Process(server.pid)
        before = memory.memory_info().rss
        result = asyncio.run(run_load(f"http://127.0.0.1:{port}/v1/classify", pages, args.clients, args.requests, args.time_limit))
        result["rss_before_mb"] = round(before / 2**20, 1)
        result["rss_after_mb"] = round(memory.memory_info().rss / 2**20, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["dynamic_batching"] = dynamic
    return result


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    parser.add_argument("--pages", type=Path, default=Path("data/build/test.jsonl"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds; the test stops sending after this")
    parser.add_argument("--batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--compare", action="store_true", help="run with and without dynamic batching")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    pages = load_pages(args.pages, 200)
    runs = [measure(args, pages, True)] + ([measure(args, pages, False)] if args.compare else [])
    header = (
        "| dynamic batching | clients | requests | errors | req/s | paragraphs/s | p50 ms | p95 ms | p99 ms | RSS before → after (MB) |"
    )
    print(header)
    print("|" + "---|" * 10)
    for r in runs:
        print(
            f"| {'on' if r['dynamic_batching'] else 'off'} | {args.clients} | {r['requests']} | {r['errors']} | {r['requests_per_s']} | {r['paragraphs_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['rss_before_mb']} → {r['rss_after_mb']} |"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(runs, indent=1) + "\n")
    return runs


if __name__ == "__main__":
    main()

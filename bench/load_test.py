"""Load test of the classify service on loopback: ``python -m bench.load_test`` (``make load-test``).

Starts the service (uvicorn, 127.0.0.1, a free port) on a checkpoint, sends a fixed number
of requests from N concurrent clients, and reports throughput, p50/p95/p99 latency,
errors, and the server's memory before and after. ``--compare`` runs it with and without
dynamic batching. Bounded in count and time; it stops by itself.

``--head-of-line`` measures fairness instead: clients send maximum-size pages (2,000
paragraphs) back to back while one client sends one-line requests, every 50 ms, for
``--time-limit`` seconds; it reports the one-line requests' p50/p95/p99/max latency and
the server's memory before, at its peak, and after the large requests (once idle), with
the large-request lane on and off (``LARGE_REQUEST_TOKENS=0``); then the server's memory
one second after each of ten maximum-size pages sent one after another, on and off.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from models.checkpoint import DEFAULT_MODEL_DIR
from training.render import render_text


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


def start_server(model_dir: str, port: int, dynamic: bool, wait_ms: float, timeout: float = 120, **extra: str) -> subprocess.Popen:
    env = dict(os.environ, MODEL_DIR=model_dir, DYNAMIC_BATCHING=str(dynamic).lower(), BATCH_WAIT_MS=str(wait_ms), LOG_JSON="true", **extra)
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
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "paragraphs_per_s": round(paragraphs / elapsed, 1),
        **quantiles_ms(latencies),
    }


@contextlib.contextmanager
def served(args: argparse.Namespace, dynamic: bool = True, **env: str) -> Iterator[tuple[str, psutil.Process]]:
    """A server started for one measurement: its classify URL and its process (for memory); stopped afterwards."""
    port = _free_port()
    server = start_server(args.model_dir, port, dynamic, args.batch_wait_ms, 120, **env)
    try:
        yield f"http://127.0.0.1:{port}/v1/classify", psutil.Process(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(args: argparse.Namespace, pages: list[str], dynamic: bool) -> dict:
    with served(args, dynamic) as (url, memory):
        before = memory.memory_info().rss
        result = asyncio.run(run_load(url, pages, args.clients, args.requests, args.time_limit))
        result["rss_before_mb"] = round(before / 2**20, 1)
        result["rss_after_mb"] = round(memory.memory_info().rss / 2**20, 1)
    result["dynamic_batching"] = dynamic
    return result


def quantiles_ms(latencies: list[float]) -> dict:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


async def run_head_of_line(url: str, huge: str, line: str, large_clients: int, seconds: float, memory: psutil.Process) -> dict:
    small: list[float] = []
    large: list[float] = []
    small_errors = large_errors = 0
    peak = 0
    deadline = time.perf_counter() + seconds

    async def large_client(http: httpx.AsyncClient) -> None:
        nonlocal large_errors
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await http.post(url, json={"text": huge})
            large_errors += response.status_code != 200
            large.append(time.perf_counter() - start)

    async def small_client(http: httpx.AsyncClient) -> None:
        nonlocal small_errors
        await asyncio.sleep(1.0)  # the first large page is running
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await http.post(url, json={"text": line})
            small_errors += response.status_code != 200
            small.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)

    async def watch_memory() -> None:
        nonlocal peak
        while time.perf_counter() < deadline:
            peak = max(peak, memory.memory_info().rss)
            await asyncio.sleep(0.1)

    async with httpx.AsyncClient(timeout=300) as http:
        await asyncio.gather(small_client(http), watch_memory(), *(large_client(http) for _ in range(large_clients)))
    return {
        "one_line_requests": len(small),
        "one_line_errors": small_errors,
        **quantiles_ms(small),
        "large_requests": len(large),
        "large_errors": large_errors,
        "large_mean_s": round(statistics.mean(large), 2) if large else None,
        "rss_peak_mb": round(peak / 2**20, 1),
    }


def measure_head_of_line(args: argparse.Namespace, pages: list[str], lane: bool) -> dict:
    huge = max_size_page(pages)
    line = "قال وزير الخارجية إن المحادثات ستستأنف الأسبوع المقبل في القاهرة."
    with served(args, LARGE_REQUEST_TOKENS="4096" if lane else "0") as (url, memory):
        before = memory.memory_info().rss
        result = asyncio.run(run_head_of_line(url, huge, line, args.large_clients, args.time_limit, memory))
        time.sleep(3.0)  # idle: what the server keeps after the large requests
        result["rss_before_mb"] = round(before / 2**20, 1)
        result["rss_after_idle_mb"] = round(memory.memory_info().rss / 2**20, 1)
    result["large_request_lane"] = lane
    return result


def max_size_page(pages: list[str]) -> str:
    paragraphs = [p for page in pages for p in page.splitlines() if p.strip()]
    return "\n".join((paragraphs * (2000 // max(1, len(paragraphs)) + 1))[:2000])


def measure_memory_after_large(args: argparse.Namespace, pages: list[str], lane: bool, count: int = 10) -> dict:
    """Server RSS at start-up and one second after each of ``count`` maximum-size pages sent one after another."""
    huge = max_size_page(pages)
    with served(args, LARGE_REQUEST_TOKENS="4096" if lane else "0") as (url, memory):
        rss = [round(memory.memory_info().rss / 2**20)]
        for _ in range(count):
            response = httpx.post(url, json={"text": huge}, timeout=300)
            response.raise_for_status()
            time.sleep(1.0)
            rss.append(round(memory.memory_info().rss / 2**20))
    print(f"large-request lane {'on' if lane else 'off'}: RSS MB at start-up, then after each of {count} max-size pages: {rss}")
    return {"large_request_lane": lane, "rss_mb_after_each_large": rss}


def main_head_of_line(args: argparse.Namespace, pages: list[str]) -> list[dict]:
    runs = [measure_head_of_line(args, pages, True), measure_head_of_line(args, pages, False)]
    runs += [measure_memory_after_large(args, pages, True), measure_memory_after_large(args, pages, False)]
    print(
        "| large-request lane | large pages sent | one-line requests | p50 ms | p95 ms | p99 ms | max ms | RSS before → peak → idle after (MB) |"
    )
    print("|" + "---|" * 8)
    for r in runs[:2]:
        print(
            f"| {'on' if r['large_request_lane'] else 'off'} | {r['large_requests']} (mean {r['large_mean_s']} s) | {r['one_line_requests']} "
            f"| {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['rss_before_mb']} → {r['rss_peak_mb']} → {r['rss_after_idle_mb']} |"
        )
    return runs


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    parser.add_argument("--pages", type=Path, default=Path("data/build/test.jsonl"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds; the test stops sending after this")
    parser.add_argument("--batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--compare", action="store_true", help="run with and without dynamic batching")
    parser.add_argument(
        "--head-of-line", action="store_true", help="one-line latency while maximum-size pages run (see the module docstring)"
    )
    parser.add_argument("--large-clients", type=int, default=1, help="--head-of-line: clients sending maximum-size pages")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    pages = load_pages(args.pages, 200)
    if args.head_of_line:
        runs = main_head_of_line(args, pages)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(runs, indent=1) + "\n")
        return runs
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


def failed_requests(runs: list[dict]) -> int:
    return sum(r.get("errors", 0) + r.get("one_line_errors", 0) + r.get("large_errors", 0) for r in runs)


if __name__ == "__main__":
    runs = main()
    if failed := failed_requests(runs):
        print(f"{failed} requests failed", file=sys.stderr)
        sys.exit(1)

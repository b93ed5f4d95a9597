"""Run the chunks of a crawl: in this process (``local``), or on Ray Data with an actor pool (``ray``).

The Ray engine is the convention for batch inference at scale: the chunks become a Ray
dataset and ``map_batches`` sends them to a pool of actors, each holding one Predictor
(one GPU per actor on GPU nodes, ``num_cpus`` each otherwise). Ray Data streams them
(an actor gets a new chunk when it finishes one, so memory stays bounded by the chunk
size times the pool), restarts an actor that dies and retries its chunk; chunks write
their own shards atomically, so a retried chunk writes the same files. ``ray.init()``
starts an embedded Ray on this machine unless ``RAY_ADDRESS`` names a cluster.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from .sources import Chunk
from .worker import ChunkResult, ChunkWorker, RayChunkWorker, WorkerConfig, chunk_item

logger = logging.getLogger(__name__)

ENGINES = ("local", "ray")


def run_local(chunks: list[Chunk], config: WorkerConfig) -> Iterator[ChunkResult]:
    worker = ChunkWorker(config)
    try:
        for chunk in chunks:
            yield worker.classify(chunk)
    finally:
        worker.close()


def run_ray(chunks: list[Chunk], config: WorkerConfig, actors: int, cpus_per_actor: float, gpus_per_actor: float) -> Iterator[ChunkResult]:
    if not chunks:  # a resumed crawl with every chunk done: nothing to start Ray for
        return
    try:
        import ray
    except ImportError as err:  # an optional extra
        raise RuntimeError("ENGINE=ray needs Ray Data: pip install 'ray[data]' (make install installs it)") from err
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        logger.info("starting Ray %s", f"on the cluster at {address}" if address else "embedded on this machine (no RAY_ADDRESS)")
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the crawl draws its own bar in pages
    dataset = ray.data.from_items([chunk_item(c) for c in chunks], override_num_blocks=len(chunks))
    results = dataset.map_batches(
        RayChunkWorker,
        fn_constructor_kwargs={"config": config},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus_per_actor,
        num_gpus=gpus_per_actor,
    )
    for row in results.iter_rows():
        yield ChunkResult(str(row["chunk"]), int(row["pages"]), int(row["errors"]), float(row["seconds"]))

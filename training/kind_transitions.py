"""Write page-layout kind transitions into an existing checkpoint (``models.kind_path``).

``make train`` counts them on its training pages and stores them with the model; a
checkpoint trained before they existed, or one to be decoded with another weight, gets
them here without retraining: the transitions are counted on ``--pages`` (default: the
assembled training pages of ``make data``) and written, with ``--weight``, into the
checkpoint's config; the metadata records when, at which commit and from which file.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from evaluation.evaluate import current_commit
from models.checkpoint import load_checkpoint, write_metadata
from models.kind_path import DEFAULT_TRANSITION_WEIGHT, check_transition_weight, page_transitions
from models.spec import read_jsonl

logger = logging.getLogger(__name__)


def write_transitions(model_dir: str | Path, pages_file: str | Path, weight: float = DEFAULT_TRANSITION_WEIGHT) -> dict:
    """Count the kind transitions of ``pages_file`` and store them with ``weight`` in the checkpoint at ``model_dir``."""
    check_transition_weight(weight)
    checkpoint = load_checkpoint(model_dir)
    documents = read_jsonl(pages_file)
    config = checkpoint.model.config
    config.kind_transitions = page_transitions(documents, config.kinds)
    config.kind_transition_weight = weight
    config.save_pretrained(checkpoint.path)
    record = {
        "pages": str(pages_file),
        "documents": len(documents),
        "weight": weight,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": current_commit(),
    }
    write_metadata(checkpoint.path, checkpoint.metadata | {"kind_transitions": record})
    logger.info("Kind transitions from %d pages of %s written to %s (weight %s)", len(documents), pages_file, checkpoint.path, weight)
    return record


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("model_dir", help="a checkpoint directory (make train writes checkpoints/latest)")
    parser.add_argument("--pages", default="data/build/train.jsonl", help="SPEC.md pages to count on (default: the training pages)")
    parser.add_argument("--weight", type=float, default=DEFAULT_TRANSITION_WEIGHT, help="weight of the transitions (0: argmax)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return write_transitions(args.model_dir, args.pages, args.weight)


if __name__ == "__main__":
    main()

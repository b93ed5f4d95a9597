"""Build the training data: load the articles and authored pages, assemble pages per split.

    python -m training.build_data            # reads data/registry.json, data/articles and data/pages; writes data/build/*.jsonl

Splits are by article: an article and every page that shows it, as its main
article or pasted as related text, belong to one split only. An authored page goes
to its split as written, and its article joins that split's articles.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections import Counter
from pathlib import Path

from models.registry import ActorRegistry

from .corpus import SPLITS, load_corpus, load_pages, split_of
from .pages import PageAssembler, PageConfig
from .validate import validate_corpus

logger = logging.getLogger(__name__)


class CorpusError(ValueError):
    """The authored data does not validate; the message lists the first problems with file, line and field."""


def check_corpus_or_fail(data_dir: Path, shown: int = 20) -> None:
    """Refuse to build from data that ``make validate-data`` would reject, before any loader trusts its types."""
    errors = validate_corpus(data_dir)
    if errors:
        more = f"\n… and {len(errors) - shown} more" if len(errors) > shown else ""
        raise CorpusError(f"{len(errors)} problem(s) in {data_dir} (run `make validate-data`):\n" + "\n".join(errors[:shown]) + more)


def build(data_dir: Path, out_dir: Path, seed: int, config: PageConfig, eval_pages_per_article: int = 3) -> dict:
    check_corpus_or_fail(data_dir)
    registry = ActorRegistry.load(data_dir / "registry.json")
    articles = load_corpus(data_dir / "articles", registry)
    authored = load_pages(data_dir / "pages", registry)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats: dict = {"articles": {}, "authored_pages": {}, "pages": {}, "paragraphs": {}}
    for offset, split in enumerate(SPLITS):
        own_pages = [page for page in authored if split_of(page.id) == split]
        members = [a for a in articles if split_of(a.id) == split] + [a for page in own_pages if (a := page.article())]
        split_config = config if split == "train" else dataclasses.replace(config, pages_per_article=eval_pages_per_article)
        # dev and test pages wear chrome the model never saw in training (the held-out pool)
        assembler = PageAssembler.from_files(data_dir / "chrome", members, split_config, pool="train" if split == "train" else "heldout")
        pages = assembler.pages(seed + offset) + [page.to_document() for page in own_pages]
        with (out_dir / f"{split}.jsonl").open("w", encoding="utf-8") as handle:
            for page in pages:
                handle.write(json.dumps(page, ensure_ascii=False) + "\n")
        kinds = Counter(p["kind"] for page in pages for p in page["paragraphs"])
        stats["articles"][split] = len(members)
        stats["authored_pages"][split] = len(own_pages)
        stats["pages"][split] = len(pages)
        stats["paragraphs"][split] = dict(sorted(kinds.items()))
        logger.info("%s: %d articles, %d pages, %d paragraphs", split, len(members), len(pages), sum(kinds.values()))
    (out_dir / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--out-dir", type=Path, default=Path("data/build"))
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--pages-per-article", type=int, default=PageConfig.pages_per_article)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    build(args.data_dir, args.out_dir, args.seed, PageConfig(pages_per_article=args.pages_per_article))


if __name__ == "__main__":
    main()

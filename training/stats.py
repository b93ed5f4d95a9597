"""Counts for the data card: ``python -m training.stats`` prints markdown tables.

Articles per topic file and topic, paragraphs per kind and stance, mentions per actor
type, triples per polarity, the registry's size, and the assembled pages per split.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from models.registry import ActorRegistry

from .corpus import SPLITS, load_corpus, load_pages, split_of


def _table(title: str, counter: Counter, header: str = "value") -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in counter.most_common())
    return f"**{title}** (total {sum(counter.values())})\n\n| {header} | count |\n|---|---|\n{rows}\n"


def corpus_stats(data_dir: Path) -> dict[str, Counter]:
    registry = ActorRegistry.load(data_dir / "registry.json")
    articles = load_corpus(data_dir / "articles", registry)
    stats: dict[str, Counter] = {
        k: Counter() for k in ("file", "topic", "kind", "stance", "type", "polarity", "split", "registry", "page_file", "page_kind")
    }
    for article in articles:
        stats["file"][article.source_file] += 1
        stats["topic"][article.topic] += 1
        stats["split"][split_of(article.id)] += 1
        for p in article.paragraphs:
            stats["kind"][p.kind] += 1
            stats["stance"][p.stance or "not annotated"] += 1
            for m in p.actors:
                stats["type"][m.type] += 1
            for t in p.stances:
                stats["polarity"][t["polarity"]] += 1
    for actor in registry:
        stats["registry"][actor.type] += 1
    for page in load_pages(data_dir / "pages", registry):
        stats["page_file"][page.source_file] += 1
        stats["page_kind"].update(p["kind"] for p in page.paragraphs)
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--build-dir", type=Path, default=Path("data/build"))
    args = parser.parse_args(argv)
    stats = corpus_stats(args.data_dir)
    print(_table("Articles per file", stats["file"], "file"))
    print(_table("Articles per split (by article id)", Counter({s: stats["split"][s] for s in SPLITS}), "split"))
    print(_table("Paragraphs per kind", stats["kind"], "kind"))
    print(_table("Body paragraphs per stance", stats["stance"], "stance"))
    print(_table("Mentions per actor type", stats["type"], "type"))
    print(_table("Triples per polarity", stats["polarity"], "polarity"))
    print(_table("Registry actors per type", stats["registry"], "type"))
    print(_table("Authored pages per file", stats["page_file"], "file"))
    print(_table("Authored page lines per kind", stats["page_kind"], "kind"))
    print(f"**Distinct topic tags**: {len(stats['topic'])}\n")
    print(_table("Articles per topic (the 40 most frequent tags)", Counter(dict(stats["topic"].most_common(40))), "topic"))
    built = args.build_dir / "stats.json"
    if built.is_file():
        data = json.loads(built.read_text(encoding="utf-8"))
        lines = [f"**Assembled pages** ({built})\n", "| split | articles | authored pages | pages | paragraphs |", "|---|---|---|---|---|"]
        for split in SPLITS:
            authored = data.get("authored_pages", {}).get(split, 0)
            lines.append(
                f"| {split} | {data['articles'][split]} | {authored} | {data['pages'][split]} | {sum(data['paragraphs'][split].values())} |"
            )
        print("\n".join(lines) + "\n")
        kinds: Counter[str] = Counter()
        for split in SPLITS:
            kinds.update(data["paragraphs"][split])
        print(_table("Page paragraphs per kind (all splits)", kinds, "kind"))


if __name__ == "__main__":
    main()

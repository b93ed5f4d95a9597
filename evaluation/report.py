"""The human-readable report: a markdown table per task and PNG figures."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from models.labels import KINDS  # noqa: E402


def _fmt(value: float | None, ci: list | None = None) -> str:
    if value is None:
        return "–"
    text = f"{value:.3f}"
    if ci:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def confusion_figure(confusion: dict[str, dict[str, int]], path: Path, title: str) -> None:
    rows = [k for k in KINDS if k in confusion]
    cols = list(KINDS)
    matrix = [[confusion[r].get(c, 0) for c in cols] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8, color="black")
    ax.set_xlabel("predicted kind")
    ax.set_ylabel("gold kind")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def per_kind_figure(systems: dict[str, dict], path: Path, title: str) -> None:
    kinds = [k for k in KINDS if any(s["paragraph"]["per_kind"][k]["support"] for s in systems.values())]
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(9, 4))
    for n, (name, scores) in enumerate(systems.items()):
        values = [scores["paragraph"]["per_kind"][k]["f1"] for k in kinds]
        ax.bar([i + n * width for i in range(len(kinds))], values, width, label=name)
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(kinds))], kinds)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass
class StanceNetwork:
    """One document's predicted holder → target network: paragraphs per edge, and the gold edges."""

    document: str
    edges: Counter  # (holder, target, polarity) → paragraphs
    gold: set[tuple[str, str, str]]

    @property
    def triples(self) -> int:
        return sum(self.edges.values())

    @property
    def correct(self) -> int:
        return len(set(self.edges) & self.gold)


def stance_networks(gold_docs: list[dict], pred_docs: list[list[dict]], documents: int = 4) -> list[StanceNetwork]:
    """The networks of the ``documents`` documents with most predicted triples (ties in input order)."""
    networks = []
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        edges = Counter((t["holder"], t["target"], t["polarity"]) for p in pred for t in p.get("stances") or [])
        truth = {(t["holder"], t["target"], t["polarity"]) for p in gold["paragraphs"] for t in p.get("stances") or []}
        if edges:
            networks.append(StanceNetwork(gold.get("id", "?"), edges, truth))
    return sorted(networks, key=lambda n: -n.triples)[:documents]


def stance_network_figure(gold_docs: list[dict], pred_docs: list[list[dict]], path: Path, title: str, documents: int = 4) -> None:
    """Draw :func:`stance_networks`: green edges supportive, red critical, wider with more
    paragraphs; a solid edge is also in the gold, a dashed one is not."""
    networks = stance_networks(gold_docs, pred_docs, documents)
    fig, axes = plt.subplots(1, max(len(networks), 1), figsize=(4.2 * max(len(networks), 1), 4.4), squeeze=False)
    for ax, network in zip(axes[0], networks, strict=False):
        edges, truth = network.edges, network.gold
        nodes = list(dict.fromkeys(x for h, t, _ in edges for x in (h, t)))
        where = {n: (math.cos(2 * math.pi * i / len(nodes)), math.sin(2 * math.pi * i / len(nodes))) for i, n in enumerate(nodes)}
        for (h, t, polarity), count in edges.items():
            ax.annotate(
                "",
                xy=where[t],
                xytext=where[h],
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "tab:green" if polarity == "supportive" else "tab:red",
                    "lw": 0.8 + 0.8 * count,
                    "linestyle": "-" if (h, t, polarity) in truth else "--",
                    "shrinkA": 14,
                    "shrinkB": 14,
                    "connectionstyle": "arc3,rad=0.12",
                },
            )
        for node, (x, y) in where.items():
            ax.text(x, y, node, ha="center", va="center", fontsize=7, bbox={"boxstyle": "round", "fc": "white", "ec": "grey"})
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.4, 1.4)
        ax.set_title(f"{network.document}: {network.triples} triples, {network.correct} in gold", fontsize=8)
        ax.axis("off")
    if not networks:
        axes[0][0].text(0.5, 0.5, "no triples predicted", ha="center")
        axes[0][0].axis("off")
    fig.suptitle(title + " (green supportive, red critical, dashed: not in gold)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_report(result: dict) -> str:
    model = result["model"]
    peers = result["peers"]
    lines = [
        f"# Evaluation: {result['name']}",
        "",
        f"- gold: `{result['gold']}` ({result['documents']} documents, {model['paragraph']['paragraphs']} paragraphs)",
        f"- checkpoint: `{result['checkpoint']}`, base model `{result['base_model'].get('name')}` ({result['base_model'].get('kind')}); "
        f"code at commit `{result.get('commit')}`, trained at commit `{(result.get('training') or {}).get('commit')}`",
        *([f"- inference: {r['backend']} encoder, {r['precision']}, on {r['device']}"] if (r := result.get("runtime")) else []),
        "- 95% bootstrap intervals over documents in brackets (model only).",
        "- trafilatura and jusText are built for HTML; here each page is fed to them as one HTML page with one `<p>` per paragraph.",
        "",
        "## Paragraphs: body vs boilerplate",
        "",
        "| system | macro-F1 | accuracy | body F1 | boilerplate F1 | kind macro-F1 | related→body | body lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ci = result.get("ci", {})
    systems = {"model": model} | {name: scores for name, scores in peers["paragraph"].items()}
    for name, scores in systems.items():
        p = scores["paragraph"]
        lines.append(
            f"| {name} | {_fmt(p['macro_f1'], ci.get('paragraph_macro_f1') if name == 'model' else None)} | {_fmt(p['accuracy'])} | "
            f"{_fmt(p['body']['f1'])} | {_fmt(p['boilerplate']['f1'])} | {_fmt(p['kind_macro_f1'], ci.get('kind_macro_f1') if name == 'model' else None)} | {_fmt(p['related_as_body'])} | {_fmt(p['body_lost'])} |"
        )
    if model.get("actors"):
        lines += [
            "",
            "## Actors (gold body paragraphs)",
            "",
            "| system | exact P | exact R | exact F1 | overlap F1 | id accuracy |",
            "|---|---|---|---|---|---|",
        ]
        for name, scores in {"model": model, **peers.get("actors", {})}.items():
            a = scores["actors"]
            lines.append(
                f"| {name} | {_fmt(a['exact']['precision'])} | {_fmt(a['exact']['recall'])} | "
                f"{_fmt(a['exact']['f1'], ci.get('actor_f1') if name == 'model' else None)} | {_fmt(a['overlap']['f1'])} | "
                f"{_fmt(a['id_accuracy'], ci.get('actor_id_accuracy') if name == 'model' else None)} |"
            )
    if model.get("stance"):
        present = list(model["stance"].get("recall", {}))
        lines += [
            "",
            "## Stance (gold body paragraphs)",
            "",
            "| system | accuracy | macro-F1 | "
            + " | ".join(f"recall {c}" for c in present)
            + " | triple P | triple R | triple F1 | triple F1 undirected |",
            "|---|---|---|" + "---|" * len(present) + "---|---|---|---|",
        ]
        for name, scores in {"model": model, **peers.get("stance", {})}.items():
            s = scores["stance"]
            recalls = " | ".join(_fmt(s.get("recall", {}).get(c)) for c in present)
            lines.append(
                f"| {name} | {_fmt(s['accuracy'])} | {_fmt(s['macro_f1'], ci.get('stance_macro_f1') if name == 'model' else None)} | {recalls} | "
                f"{_fmt(s['triples']['precision'])} | {_fmt(s['triples']['recall'])} | "
                f"{_fmt(s['triples']['f1'], ci.get('triple_f1') if name == 'model' else None)} | {_fmt((s.get('triples_undirected') or {}).get('f1'))} |"
            )
    lines += ["", "## Model: per-kind F1", "", "| kind | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for kind, s in model["paragraph"]["per_kind"].items():
        if s["support"]:
            lines.append(f"| {kind} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
    if calibration := result.get("calibration"):
        lines += [
            "",
            f"## Calibration of the paragraph label: ECE {calibration['ece']:.3f}",
            "",
            "| confidence bin | paragraphs | mean confidence | share right |",
            "|---|---|---|---|",
            *(
                f"| {b['low']:.2f}–{b['high']:.2f} | {b['count']} | {b['confidence']:.3f} | {b['accuracy']:.3f} |"
                for b in calibration["bins"]
            ),
            "",
            "![reliability diagram](reliability.png)",
        ]
    lines += ["", "![confusion matrix](confusion.png)", "", "![per-kind F1](per_kind_f1.png)", ""]
    if model.get("stance"):
        lines += ["![stance networks](stance_network.png)", ""]
    return "\n".join(lines)

"""The human-readable report: a markdown table per task and PNG figures."""

from __future__ import annotations

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


def markdown_report(result: dict) -> str:
    model = result["model"]
    peers = result["peers"]
    lines = [
        f"# Evaluation: {result['name']}",
        "",
        f"- gold: `{result['gold']}` ({result['documents']} documents, {model['paragraph']['paragraphs']} paragraphs)",
        f"- checkpoint: `{result['checkpoint']}`, base model `{result['base_model'].get('name')}` ({result['base_model'].get('kind')})",
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
            f"{_fmt(p['body']['f1'])} | {_fmt(p['boilerplate']['f1'])} | {_fmt(p['kind_macro_f1'])} | {_fmt(p['related_as_body'])} | {_fmt(p['body_lost'])} |"
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
                f"{_fmt(a['exact']['f1'], ci.get('actor_f1') if name == 'model' else None)} | {_fmt(a['overlap']['f1'])} | {_fmt(a['id_accuracy'])} |"
            )
    if model.get("stance"):
        lines += [
            "",
            "## Stance (gold body paragraphs)",
            "",
            "| system | accuracy | macro-F1 | triple P | triple R | triple F1 |",
            "|---|---|---|---|---|---|",
        ]
        for name, scores in {"model": model, **peers.get("stance", {})}.items():
            s = scores["stance"]
            lines.append(
                f"| {name} | {_fmt(s['accuracy'])} | {_fmt(s['macro_f1'], ci.get('stance_macro_f1') if name == 'model' else None)} | "
                f"{_fmt(s['triples']['precision'])} | {_fmt(s['triples']['recall'])} | {_fmt(s['triples']['f1'])} |"
            )
    lines += ["", "## Model: per-kind F1", "", "| kind | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for kind, s in model["paragraph"]["per_kind"].items():
        if s["support"]:
            lines.append(f"| {kind} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
    lines += ["", "![confusion matrix](confusion.png)", "", "![per-kind F1](per_kind_f1.png)", ""]
    return "\n".join(lines)

"""Does the model's confidence mean something? Expected calibration error and a reliability diagram.

The confidence of a paragraph is the probability the model gives its predicted label
(body or boilerplate); it is right when the predicted label is the gold one. Bins are of
equal width over [0.5, 1] (a two-way label is never below 0.5 for its argmax).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from models.labels import label_of


def label_confidences(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]) -> list[tuple[float, bool]]:
    """(confidence, correct) for every paragraph whose prediction carries a label probability."""
    out = []
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        for g, p in zip(gold["paragraphs"], pred, strict=True):
            if p.get("label_probability") is not None:
                out.append((float(p["label_probability"]), label_of(p["kind"]) == label_of(g["kind"])))
    return out


def reliability(pairs: Sequence[tuple[float, bool]], bins: int = 10, low: float = 0.5) -> dict:
    """Per-bin count, mean confidence and accuracy, and the expected calibration error (ECE)."""
    width = (1.0 - low) / bins
    rows = []
    for b in range(bins):
        lo, hi = low + b * width, low + (b + 1) * width
        members = [(c, ok) for c, ok in pairs if lo <= c < hi or (b == bins - 1 and c == hi)]
        if members:
            rows.append(
                {
                    "low": round(lo, 3),
                    "high": round(hi, 3),
                    "count": len(members),
                    "confidence": sum(c for c, _ in members) / len(members),
                    "accuracy": sum(ok for _, ok in members) / len(members),
                }
            )
    n = max(len(pairs), 1)
    ece = sum(r["count"] / n * abs(r["accuracy"] - r["confidence"]) for r in rows)
    return {"ece": ece, "paragraphs": len(pairs), "bins": rows}


def reliability_figure(table: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = table["bins"]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0.5, 1], [0.5, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.bar([(r["low"] + r["high"]) / 2 for r in rows], [r["accuracy"] for r in rows], width=0.045, alpha=0.7, label="accuracy")
    ax.plot([r["confidence"] for r in rows], [r["accuracy"] for r in rows], marker="o", color="black", linewidth=1, label="bin mean")
    for r in rows:
        ax.annotate(str(r["count"]), ((r["low"] + r["high"]) / 2, 0.02), ha="center", fontsize=7, xycoords=("data", "axes fraction"))
    ax.set_xlim(0.5, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("confidence in the predicted label")
    ax.set_ylabel("share right")
    ax.set_title(f"{title}\nECE {table['ece']:.3f} over {table['paragraphs']} paragraphs", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

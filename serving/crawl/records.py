"""The crawl's output: one record per page, and one per record that could not be classified.

A page record is a flat, analysable form of the service's response: the page id, its
source file and line, the body text, every paragraph (offsets, label, kind, stance, actors,
triples), the document's actors and its stance network. Probabilities are rounded to
four decimals, so that the same pages give byte-identical records whatever batch they
were computed in. :func:`parquet_schema` pins the Parquet column types, so shards written
by different workers read back as one table.
"""

from __future__ import annotations

from models.predictor import DocumentPrediction

from .sources import PageRow

DIGITS = 4


def _p(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)


def page_record(row: PageRow, prediction: DocumentPrediction, stances: list[str]) -> dict:
    """The record of one classified page; ``stances`` is the checkpoint's stance labels (the summary's keys)."""
    paragraphs = []
    for p in prediction.paragraphs:
        paragraphs.append(
            {
                "index": p.index,
                "start": p.start,
                "end": p.end,
                "text": p.text,
                "label": p.label,
                "label_probability": _p(p.label_probability),
                "kind": p.kind,
                "kind_probability": _p(p.kind_probability),
                "stance": p.stance if p.is_body else None,
                "stance_probability": _p(p.stance_probability) if p.is_body else None,
                "actors": [
                    {"start": a.start, "end": a.end, "text": a.text, "type": a.type, "actor": a.actor, "probability": _p(a.probability)}
                    for a in (p.actors if p.is_body else [])
                ],
                "stances": [
                    {"holder": t["holder"], "target": t["target"], "polarity": t["polarity"], "probability": _p(t.get("probability"))}
                    for t in (p.stances if p.is_body else [])
                ],
                "truncated": p.truncated,
            }
        )
    counts = prediction.stance_summary.get("paragraphs", {})
    return {
        "id": row.id,
        "source": row.source,
        "line": row.line,
        "body_text": prediction.body_text,
        "paragraphs": paragraphs,
        "actors": [
            {"actor": a["actor"], "type": a["type"], "name_en": a["name_en"], "mentions": a["mentions"], "surfaces": list(a["surfaces"])}
            for a in prediction.actors
        ],
        "stance": {
            "paragraphs": {label: int(counts.get(label, 0)) for label in stances},
            "triples": [dict(t) for t in prediction.stance_summary.get("triples", [])],
        },
    }


def error_record(row: PageRow) -> dict:
    """The errors-file line of a record that could not be classified: where it is and why."""
    assert row.error is not None
    return {"source": row.source, "line": row.line, "id": row.id, "code": row.error["code"], "message": row.error["message"]}


def parquet_schema(stances: list[str]):
    """The Arrow schema of page records (nested lists and structs), for the given stance labels."""
    import pyarrow as pa

    actor = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("type", pa.string()),
            ("actor", pa.string()),
            ("probability", pa.float64()),
        ]
    )
    triple = pa.struct([("holder", pa.string()), ("target", pa.string()), ("polarity", pa.string()), ("probability", pa.float64())])
    paragraph = pa.struct(
        [
            ("index", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("label", pa.string()),
            ("label_probability", pa.float64()),
            ("kind", pa.string()),
            ("kind_probability", pa.float64()),
            ("stance", pa.string()),
            ("stance_probability", pa.float64()),
            ("actors", pa.list_(actor)),
            ("stances", pa.list_(triple)),
            ("truncated", pa.bool_()),
        ]
    )
    document_actor = pa.struct(
        [
            ("actor", pa.string()),
            ("type", pa.string()),
            ("name_en", pa.string()),
            ("mentions", pa.int64()),
            ("surfaces", pa.list_(pa.string())),
        ]
    )
    network = pa.struct(
        [
            ("holder", pa.string()),
            ("target", pa.string()),
            ("polarity", pa.string()),
            ("paragraphs", pa.int64()),
            ("holder_name", pa.string()),
            ("target_name", pa.string()),
        ]
    )
    stance = pa.struct([("paragraphs", pa.struct([(label, pa.int64()) for label in stances])), ("triples", pa.list_(network))])
    return pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("line", pa.int64()),
            ("body_text", pa.string()),
            ("paragraphs", pa.list_(paragraph)),
            ("actors", pa.list_(document_actor)),
            ("stance", stance),
        ]
    )

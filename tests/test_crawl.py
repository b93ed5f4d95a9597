"""Classifying a crawl (`make classify`): bad records land in the errors file, runs resume, Ray and local agree."""

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models.predictor import Predictor
from serving.crawl.__main__ import main
from serving.crawl.output import read_records

PAGES = [
    "الرئيسية | أخبار\nاستقبل وزير الخارجية المصري نظيره الأردني في القاهرة لبحث التهدئة في غزة.\nإقرأ أيضاً:",
    "حجم الخط\nانتقدت حماس في بيان القرار الإسرائيلي الأخير بشأن المعابر.\nالمصدر: وكالات",
    "موسكو تستقبل وفداً من حماس\nشارك",
    "رحبت الجامعة العربية بالاتفاق بين الفصائل الفلسطينية، ودعت إلى تنفيذه دون إبطاء.\nتابعونا على تلغرام",
    "أعلن الجيش السوداني استعادة السيطرة على مواقع في الخرطوم بعد اشتباكات عنيفة.\nكلمات مفتاحية: السودان",
]


def write_jsonl(path, pages):
    path.write_text(
        "".join(json.dumps({"id": f"p{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(pages)), encoding="utf-8"
    )
    return path


def run(model_dir, *args):
    return main([*map(str, args), "--model-dir", str(model_dir), "--precision", "float32"])


def without_place(records):
    return [{k: v for k, v in r.items() if k not in ("source", "line")} for r in records]


def test_bad_records_go_to_the_errors_file_with_file_line_and_reason(trained_checkpoint, tmp_path, monkeypatch):
    model_dir, _ = trained_checkpoint
    monkeypatch.setenv("MAX_PARAGRAPHS", "4")
    source = tmp_path / "pages.jsonl"
    lines = [
        json.dumps({"id": "a", "text": PAGES[0]}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": 7, "text": PAGES[1]}, ensure_ascii=False),
        "",
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps(["a list"]),
        json.dumps({"id": "num", "text": 42}),
        json.dumps({"id": "long", "text": "\n".join(["سطر من الصفحة"] * 5)}, ensure_ascii=False),
        json.dumps({"text": PAGES[2]}, ensure_ascii=False),
    ]
    source.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b'{"id": "s", "text": "x \\ud800"}\n' + b"\xff not utf-8\n")
    out = tmp_path / "out"

    assert run(model_dir, source, "--out", out, "--chunk-pages", "3") == 0

    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["line"], e["code"]) for e in errors] == [
        (2, "malformed_json"),
        (5, "empty_text"),
        (6, "invalid_document"),
        (7, "invalid_text"),
        (8, "too_many_paragraphs"),
        (10, "invalid_text"),
        (11, "invalid_utf8"),
    ]
    assert all(e["source"] == str(source.resolve()) and f":{e['line']}:" in e["message"] for e in errors)
    assert "offset 2" in errors[5]["message"] and "limit is 4" in errors[4]["message"]

    records = read_records(out)
    assert [(r["id"], r["line"]) for r in records] == [("a", 1), ("7", 3), (None, 9)]
    predictor = Predictor.from_pretrained(model_dir, precision="float32")
    for record, page in zip(records, PAGES, strict=False):
        expected = predictor.predict_text(page)
        assert [(p["label"], p["kind"]) for p in record["paragraphs"]] == [(p.label, p.kind) for p in expected.paragraphs]
        assert record["body_text"] == expected.body_text
        for p in record["paragraphs"]:
            assert page[p["start"] : p["end"]] == p["text"]
            for actor in p["actors"]:
                assert page[actor["start"] : actor["end"]] == actor["text"]
        assert set(record["stance"]["paragraphs"]) == set(predictor.config.stances)


def test_parquet_in_and_out_gives_the_records_of_jsonl(trained_checkpoint, tmp_path):
    model_dir, _ = trained_checkpoint
    write_jsonl(tmp_path / "pages.jsonl", PAGES)
    table = pa.table({"id": [f"p{i}" for i in range(len(PAGES))], "text": PAGES})
    pq.write_table(table, tmp_path / "pages.parquet", row_group_size=2)

    assert run(model_dir, tmp_path / "pages.jsonl", "--out", tmp_path / "a") == 0
    assert run(model_dir, tmp_path / "pages.parquet", "--out", tmp_path / "b", "--format", "parquet", "--chunk-pages", "3") == 0

    shards = sorted((tmp_path / "b" / "shards").glob("*.parquet"))
    assert len(shards) == 3  # row groups of 2, 2 and 1 rows, each one chunk
    from_parquet = read_records(tmp_path / "b")
    assert [r["line"] for r in from_parquet] == [1, 2, 3, 4, 5]  # rows, counted from 1
    assert without_place(from_parquet) == without_place(read_records(tmp_path / "a"))


def test_a_killed_run_resumes_without_redoing_finished_shards(trained_checkpoint, tmp_path, capsys):
    model_dir, _ = trained_checkpoint
    source = write_jsonl(tmp_path / "pages.jsonl", PAGES)
    out = tmp_path / "out"
    assert run(model_dir, source, "--out", out, "--chunk-pages", "2") == 0
    complete = read_records(out)
    shards = sorted((out / "shards").glob("*.jsonl"))
    assert len(shards) == 3
    # What a kill leaves: the last chunk's shard never renamed into place, only its temporary file.
    shards[-1].rename(shards[-1].with_name(shards[-1].name + ".tmp"))
    before = {p: p.stat().st_mtime_ns for p in shards[:-1]}
    capsys.readouterr()

    assert run(model_dir, source, "--out", out, "--chunk-pages", "2") == 0

    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["chunks"] == 3 and summary["chunks_classified"] == 1 and summary["pages"] == 1
    assert {p: p.stat().st_mtime_ns for p in shards[:-1]} == before  # finished shards untouched
    assert read_records(out) == complete


def test_resuming_with_other_settings_is_refused(trained_checkpoint, tmp_path, caplog):
    model_dir, _ = trained_checkpoint
    source = write_jsonl(tmp_path / "pages.jsonl", PAGES)
    assert run(model_dir, source, "--out", tmp_path / "out", "--chunk-pages", "2") == 0
    assert run(model_dir, source, "--out", tmp_path / "out", "--chunk-pages", "3") == 2
    assert "chunk_pages: 2 then, 3 now" in caplog.text


def test_inputs_folders_and_globs_and_clear_errors(trained_checkpoint, tmp_path, caplog):
    model_dir, _ = trained_checkpoint
    folder = tmp_path / "crawl"
    folder.mkdir()
    write_jsonl(folder / "day1.jsonl", PAGES[:2])
    write_jsonl(folder / "day2.jsonl", PAGES[2:])
    (folder / "notes.txt").write_text("not pages", encoding="utf-8")

    assert run(model_dir, folder, "--out", tmp_path / "by-folder") == 0
    assert run(model_dir, str(folder / "day*.jsonl"), "--out", tmp_path / "by-glob") == 0
    assert len(read_records(tmp_path / "by-folder")) == len(PAGES)
    assert without_place(read_records(tmp_path / "by-glob")) == without_place(read_records(tmp_path / "by-folder"))

    assert run(model_dir, folder / "notes.txt", "--out", tmp_path / "x") == 2
    assert "unknown format '.txt'" in caplog.text
    assert run(model_dir, str(tmp_path / "nothing-*.jsonl"), "--out", tmp_path / "y") == 2
    pq.write_table(pa.table({"body": ["نص"]}), tmp_path / "no-text.parquet")
    assert run(model_dir, tmp_path / "no-text.parquet", "--out", tmp_path / "z") == 2
    assert "no 'text' column" in caplog.text


@pytest.mark.slow
def test_ray_actors_give_the_records_of_the_local_engine(trained_checkpoint, tmp_path):
    ray = pytest.importorskip("ray")
    model_dir, _ = trained_checkpoint
    source = write_jsonl(tmp_path / "pages.jsonl", PAGES * 2)
    (tmp_path / "pages.jsonl").write_text(source.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
    try:
        assert run(model_dir, source, "--out", tmp_path / "ray", "--engine", "ray", "--actors", "2", "--chunk-pages", "3") == 0
    finally:
        ray.shutdown()
    assert run(model_dir, source, "--out", tmp_path / "ray", "--engine", "ray", "--actors", "2", "--chunk-pages", "3") == 0  # all done
    assert not ray.is_initialized()
    assert run(model_dir, source, "--out", tmp_path / "local", "--chunk-pages", "3") == 0

    assert read_records(tmp_path / "ray") == read_records(tmp_path / "local")
    assert len(read_records(tmp_path / "ray")) == 2 * len(PAGES)
    errors = (tmp_path / "ray" / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(e)["line"] for e in errors] == [2 * len(PAGES) + 1]

import json

from training.validate import main, validate_documents


def _write(path, docs):
    path.write_text("\n".join(d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")


def test_valid_gold_passes(tmp_path, registry):
    path = tmp_path / "gold.jsonl"
    _write(
        path,
        [
            {
                "id": "d",
                "paragraphs": [
                    {
                        "text": "روسيا ترحب",
                        "kind": "title",
                        "stance": "supportive",
                        "actors": [{"start": 0, "end": 5, "type": "LOC", "actor": "RUS"}],
                        "stances": [{"holder": "RUS", "target": "UN", "polarity": "supportive"}],
                    },
                    {"text": "حجم الخط", "kind": "ui"},
                ],
            }
        ],
    )
    assert validate_documents(path, registry) == []


def test_errors_name_file_line_and_field(tmp_path, registry):
    path = tmp_path / "bad.jsonl"
    _write(
        path,
        [
            {"id": "ok", "paragraphs": [{"text": "نص", "kind": "text"}]},
            "{not json",
            {
                "id": "d",
                "paragraphs": [
                    {"text": "روسيا", "kind": "body"},
                    {
                        "text": "روسيا ترحب",
                        "kind": "text",
                        "stance": "happy",
                        "actors": [{"start": 3, "end": 40, "type": "LOC", "actor": "ZZZ"}],
                    },
                    {"text": "المصدر: وكالات", "kind": "metadata", "stance": "neutral"},
                ],
            },
        ],
    )
    errors = validate_documents(path, registry)
    assert any(e.startswith(f"{path}:2: invalid JSON") for e in errors)
    assert (
        f"{path}:3: paragraphs[0].kind: 'body' is not one of title, text, caption, related, metadata, tags, share, comments, ad, ui"
        in errors
    )
    assert any(e.startswith(f"{path}:3: paragraphs[1].stance") for e in errors)
    assert any(e.startswith(f"{path}:3: paragraphs[1].actors[0]: offsets (3, 40)") for e in errors)
    assert any("paragraphs[1].actors[0].actor: 'ZZZ' is not in the registry" in e for e in errors)
    assert any(e.startswith(f"{path}:3: paragraphs[2]: boilerplate paragraphs carry only text and kind") for e in errors)


def test_cli_validates_a_corpus_directory(data_dir, capsys, tmp_path):
    assert main(["--data-dir", str(data_dir)]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    broken = tmp_path / "data"
    (broken / "articles").mkdir(parents=True)
    (broken / "registry.json").write_text((data_dir / "registry.json").read_text(encoding="utf-8"), encoding="utf-8")
    (broken / "articles" / "x.jsonl").write_text(
        '{"id": "a", "paragraphs": [{"kind": "text", "text": "نص عن موسكو", "mentions": [["القاهرة", "LOC", "CAIRO"]]}]}\n',
        encoding="utf-8",
    )
    assert main(["--data-dir", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "x.jsonl:1: paragraphs[0]: field 'mentions[0]'" in err

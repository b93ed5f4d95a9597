import json
import re
from pathlib import Path

import pytest

from models.registry import ActorRegistry
from models.registry_file import RegistryError
from models.spec import SpecError, check_documents, read_documents, validate_documents
from training.validate import check_corpus, main


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


# Issue 12, item 6: every bad record is reported with file, line and field; the others are still
# checked and counted; bad data never ends in a traceback. Each file below holds a good record on
# line 1 and line 3 and the bad one on line 2.

TITLE = "أعلنت وزارة الخارجية المصرية في القاهرة ترحيبها بالاتفاق"
WELCOME = "ورحبت حماس بالموقف الروسي من الهدنة في قطاع غزة"
GOOD_ARTICLE = {
    "id": "egypt-001",
    "topic": "diplomacy",
    "paragraphs": [
        {"kind": "title", "text": TITLE, "stance": "neutral", "mentions": [["القاهرة", "LOC", "CAIRO"]], "stances": []},
    ],
}
GOOD_ARTICLE_2 = {
    "id": "gaza-101",
    "topic": "gaza_diplomacy",
    "paragraphs": [
        {
            "kind": "text",
            "text": WELCOME,
            "stance": "supportive",
            "mentions": [["حماس", "ORG", "HAMAS"], ["قطاع غزة", "LOC", "GAZA_STRIP"]],
            "stances": [["HAMAS", "RUS", "supportive"]],
        }
    ],
}


def _line(value) -> bytes:
    return (
        value if isinstance(value, bytes) else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).encode()
    ) + b"\n"


def _corpus(tmp_path, resources, bad, registry_text=None):
    """A data/ directory whose articles/x.jsonl holds a good article, ``bad`` (line 2), then another good one."""
    root = tmp_path / "data"
    (root / "articles").mkdir(parents=True)
    registry = registry_text if registry_text is not None else (resources / "registry.json").read_text(encoding="utf-8")
    (root / "registry.json").write_text(registry, encoding="utf-8")
    path = root / "articles" / "x.jsonl"
    path.write_bytes(_line(GOOD_ARTICLE) + _line(bad) + _line(GOOD_ARTICLE_2))
    return root, path


def _run_corpus(root, capsys):
    status = main(["--data-dir", str(root)])
    captured = capsys.readouterr()
    return status, captured.err.splitlines(), captured.out


def _article(paragraph):
    return {"id": "bad-1", "topic": "diplomacy", "paragraphs": [paragraph]}


def test_the_good_article_lines_alone_are_valid(tmp_path, resources, capsys):
    root, _ = _corpus(tmp_path, resources, GOOD_ARTICLE | {"id": "egypt-002"})
    status, errors, out = _run_corpus(root, capsys)
    assert (status, errors) == (0, [])
    assert "3 record(s), 3 valid, 0 error(s)" in out


def test_paragraph_given_as_a_string_is_reported(tmp_path, resources, capsys):
    root, path = _corpus(tmp_path, resources, {"id": "bad-1", "paragraphs": [TITLE]})
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [f"{path}:2: paragraphs[0]: a paragraph must be an object, found str"]
    assert "3 record(s), 2 valid, 1 error(s)" in out


def test_null_mentions_are_reported(tmp_path, resources, capsys):
    root, path = _corpus(tmp_path, resources, _article({"kind": "text", "text": WELCOME, "mentions": None}))
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [f"{path}:2: paragraphs[0]: field 'mentions' must be a list of [surface, type, id], found null"]
    assert "3 record(s), 2 valid, 1 error(s)" in out


def test_non_string_mention_surface_and_id_are_reported(tmp_path, resources, capsys):
    mentions = [[7, "ORG", "HAMAS"], ["قطاع غزة", "LOC", ["GAZA_STRIP"]]]
    root, path = _corpus(tmp_path, resources, _article({"kind": "text", "text": WELCOME, "mentions": mentions}))
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [
        f"{path}:2: paragraphs[0]: field 'mentions[0][0]' (surface) must be a non-empty string, found 7",
        f"{path}:2: paragraphs[0]: field 'mentions[1][2]' (id) must be a string or null, found list",
    ]
    assert "3 record(s), 2 valid, 2 error(s)" in out


def test_a_line_that_is_not_utf8_is_reported_and_the_rest_read(tmp_path, resources, capsys):
    root, path = _corpus(tmp_path, resources, "أعلنت".encode("cp1256") + b" \xff\xfe")
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [f"{path}:2: not UTF-8 (byte 0)"]
    assert "3 record(s), 2 valid, 1 error(s)" in out


def test_stance_triple_with_a_non_string_holder_is_rejected(tmp_path, resources, capsys):
    paragraph = {
        "kind": "text",
        "text": WELCOME,
        "stance": "supportive",
        "mentions": [["حماس", "ORG", "HAMAS"]],
        "stances": [[1, "RUS", "supportive"], ["HAMAS", None, "supportive"]],
    }
    root, path = _corpus(tmp_path, resources, _article(paragraph))
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [
        f"{path}:2: paragraphs[0]: field 'stances[0][0]' (holder) must be a non-empty id string, found 1",
        f"{path}:2: paragraphs[0]: field 'stances[1][1]' (target) must be a non-empty id string, found None",
    ]
    assert "3 record(s), 2 valid, 2 error(s)" in out


def test_json_value_that_is_not_an_object_is_reported(tmp_path, resources, capsys):
    root, path = _corpus(tmp_path, resources, json.dumps([TITLE], ensure_ascii=False))
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [f"{path}:2: a record must be a JSON object, found list"]
    assert "3 record(s), 2 valid, 1 error(s)" in out


def test_kind_not_in_the_label_set_is_reported(tmp_path, resources, capsys):
    root, path = _corpus(tmp_path, resources, _article({"kind": "headline", "text": TITLE, "stance": "neutral"}))
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert len(errors) == 1 and errors[0].startswith(f"{path}:2: paragraphs[0]: field 'kind' is 'headline'")
    assert "3 record(s), 2 valid, 1 error(s)" in out


def test_unhashable_id_and_repeated_id_are_reported(tmp_path, resources, capsys):
    root, path = _corpus(tmp_path, resources, GOOD_ARTICLE | {"id": ["egypt-001"]})
    with path.open("ab") as handle:
        handle.write(_line(GOOD_ARTICLE))  # line 4 repeats line 1's id
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [
        f"{path}:2: field 'id' must be a non-empty string, found ['egypt-001']",
        f"{path}:4: field 'id': 'egypt-001' already used at {path}:1",
    ]
    assert "4 record(s), 2 valid, 2 error(s)" in out


def test_empty_authoring_file_is_reported(tmp_path, resources, capsys):
    root, _ = _corpus(tmp_path, resources, GOOD_ARTICLE | {"id": "egypt-002"})
    empty = root / "articles" / "empty.jsonl"
    empty.write_bytes(b"")
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [f"{empty}: no records (the file has no non-blank line)"]
    assert "3 record(s), 3 valid, 1 error(s)" in out


def test_every_registry_error_is_reported_with_id_and_line(tmp_path, resources, capsys):
    registry = json.loads((resources / "registry.json").read_text(encoding="utf-8"))
    registry["HAMAS"]["type"] = "GROUP"
    registry["RUS"]["names"] = "روسيا"  # a string, not a list: would become one name per letter
    registry["SERGEY_LAVROV"]["affiliation"] = ["RUS"]
    registry["MIKHAIL_BOGDANOV"]["affiliation"] = "RUSSIA"
    registry["bad id"] = {"type": "LOC", "names": ["مكان"]}
    text = json.dumps(registry, ensure_ascii=False, indent=1)
    lines = {key: n for n, line in enumerate(text.splitlines(), 1) for key in registry if line.startswith(f' "{key}": ')}
    root, _ = _corpus(tmp_path, resources, GOOD_ARTICLE | {"id": "egypt-002"}, registry_text=text)
    reg = root / "registry.json"
    status, errors, out = _run_corpus(root, capsys)
    assert status == 1
    assert errors == [
        f"{reg}:{lines['HAMAS']}: HAMAS: field 'type': 'GROUP' not in ('PERS', 'ORG', 'LOC')",
        f"{reg}:{lines['RUS']}: RUS: field 'names' must be a non-empty list of strings, found 'روسيا'",
        f"{reg}:{lines['SERGEY_LAVROV']}: SERGEY_LAVROV: field 'affiliation' must be an id string or null, found list",
        f"{reg}:{lines['MIKHAIL_BOGDANOV']}: MIKHAIL_BOGDANOV: field 'affiliation': 'RUSSIA' is not in the registry",
        f"{reg}:{lines['bad id']}: bad id: id 'bad id' is not an upper-case identifier",
    ]
    assert "3 record(s), 3 valid, 5 error(s)" in out  # the articles are still read (for types)


def test_registry_duplicate_id_non_utf8_and_non_object_are_reported(tmp_path, resources):
    path = tmp_path / "registry.json"
    path.write_text(
        '{\n "EGY": {"type": "LOC", "names": ["مصر"]},\n "EGY": {"type": "LOC", "names": ["القاهرة"], "names": ["مصر"]}\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        ActorRegistry.load(path)
    assert caught.value.errors == [
        f"{path}:2: EGY: id given more than once; all but the last entry would be lost",
        f"{path}:2: EGY: field 'names' given more than once",
    ]
    path.write_bytes(b'{\n "EGY": {"type": "LOC",\n  "names": ["' + "مصر".encode("cp1256") + b'"]}\n}\n')
    with pytest.raises(RegistryError, match=rf"^{re.escape(str(path))}:3: not UTF-8"):
        ActorRegistry.load(path)
    path.write_text('["مصر"]\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="must be a JSON object mapping ids to entries, found list"):
        ActorRegistry.load(path)
    # the same checks without a file: every problem, each naming the id and field
    with pytest.raises(RegistryError) as caught:
        ActorRegistry.from_dict({"EGY": "مصر", "CAIRO": {"type": "LOC", "names": ["القاهرة"], "affiliation": "EGYPT"}})
    assert caught.value.errors == [
        "<registry>: EGY: the entry must be an object, found str",
        "<registry>: CAIRO: field 'affiliation': 'EGYPT' is not in the registry",
    ]


# SPEC.md documents (gold files, pages): python -m training.validate FILE ...

GOOD_DOC = {
    "id": "doc-1",
    "paragraphs": [
        {
            "text": WELCOME,
            "kind": "text",
            "stance": "supportive",
            "actors": [
                {"start": 6, "end": 10, "type": "ORG", "actor": "HAMAS"},
                {"start": 39, "end": 47, "type": "LOC", "actor": "GAZA_STRIP"},
            ],
            "stances": [{"holder": "HAMAS", "target": "RUS", "polarity": "supportive"}],
        },
        {"text": "حجم الخط", "kind": "ui"},
    ],
}


def _spec_file(tmp_path, bad) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_bytes(_line(GOOD_DOC) + _line(bad) + _line(GOOD_DOC | {"id": "doc-3"}))
    return path


def _body(**fields):
    return {"id": "doc-2", "paragraphs": [{"text": WELCOME, "kind": "text"} | fields]}


def test_spec_good_document_is_valid(tmp_path, registry):
    assert WELCOME[6:10] == "حماس" and WELCOME[39:47] == "قطاع غزة"
    result = check_documents(_spec_file(tmp_path, GOOD_DOC | {"id": "doc-2"}), registry)
    assert (result.records, result.valid, result.errors) == (3, 3, [])


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        pytest.param(
            {"id": "doc-2", "paragraphs": [TITLE]}, "paragraphs[0]: a paragraph must be an object, found str", id="paragraph-string"
        ),
        pytest.param(_body(actors=5), "paragraphs[0].actors: must be a list, found int", id="actors-int"),
        pytest.param(
            _body(stances=[{"holder": 1, "target": "RUS", "polarity": "critical"}]),
            "paragraphs[0].stances[0].holder: must be a non-empty string (an actor id or the mention text), found 1",
            id="holder-int",
        ),
        pytest.param(42, "a document must be a JSON object, found int", id="not-an-object"),
        pytest.param(
            _body(kind="headline"),
            "paragraphs[0].kind: 'headline' is not one of title, text, caption, related, metadata, tags, share, comments, ad, ui",
            id="kind-not-in-label-set",
        ),
        pytest.param(
            _body(actors=[{"start": 39, "end": 470, "type": "LOC", "actor": "GAZA_STRIP"}]),
            "paragraphs[0].actors[0]: offsets (39, 470) are not a span of the 47-character text",
            id="offsets-out-of-range",
        ),
        pytest.param(
            _body(actors=[{"start": False, "end": True, "type": "ORG", "actor": "HAMAS"}]),
            "paragraphs[0].actors[0]: offsets (False, True) must be integers",
            id="offsets-bool",
        ),
        pytest.param(
            _body(actors=[{"start": 6, "end": 10, "text": "روسيا", "type": "ORG", "actor": "HAMAS"}]),
            "paragraphs[0].actors[0].text: 'روسيا' is not the text at (6, 10), which is «حماس»",
            id="offsets-not-on-stated-text",
        ),
        pytest.param(
            _body(actors=[{"start": 6, "end": 10, "type": "ORG", "actor": ["HAMAS"]}]),
            "paragraphs[0].actors[0].actor: must be an id string or null, found list",
            id="actor-id-list",
        ),
    ],
)
def test_spec_bad_record_is_reported_and_the_rest_counted(tmp_path, registry, bad, expected):
    path = _spec_file(tmp_path, bad)
    result = check_documents(path, registry)
    assert result.errors == [f"{path}:2: {expected}"]
    assert (result.records, result.valid) == (3, 2)


def test_spec_non_utf8_line_is_reported_and_the_rest_read(tmp_path, registry, capsys):
    path = _spec_file(tmp_path, b"\xd8\xa3\xd8")  # a UTF-8 sequence cut in half
    assert main([str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"{path}:2: not UTF-8 (byte 2)"]
    assert captured.out.strip() == f"{path}: 3 record(s), 2 valid, 1 error(s)"


def test_spec_empty_and_missing_files_are_reported(tmp_path, registry, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    good = _spec_file(tmp_path, GOOD_DOC | {"id": "doc-2"})
    missing = tmp_path / "missing.jsonl"
    assert main([str(empty), str(good), str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{empty}: no documents (the file has no non-blank line)",
        f"{missing}: cannot be read (No such file or directory)",
    ]
    assert "3 record(s), 3 valid, 2 error(s)" in captured.out
    with pytest.raises(SpecError, match="empty.jsonl: no documents"):
        read_documents(empty)


def test_the_repository_corpus_validates():
    """data/ as committed: the registry, every article (stance-annotated or not, in the build or measured and
    left out of it) and every authored page."""
    result = check_corpus(Path(__file__).resolve().parents[1] / "data")
    assert result.errors == []
    assert result.valid == result.records > 1500

import json

import pytest

from models.registry import ActorRegistry
from training.registry_extend import extend_registry, main

BASE = {
    "HAMAS": {"type": "ORG", "name_en": "Hamas", "names": ["حماس", "حركة حماس"], "affiliation": None},
    "RUS": {"type": "LOC", "name_en": "Russia", "names": ["روسيا", "موسكو"], "affiliation": None},
}


def _paragraph(text, *mentions):
    return {"text": text, "kind": "text", "actors": [{"start": text.index(m), "end": text.index(m) + len(m)} for m in mentions]}


CORPUS = [
    _paragraph("وقال المتحدث باسم حركة حماس إن الوفد سيزور موسكو الأسبوع المقبل", "حماس", "موسكو"),
    _paragraph("وتحدث الكاتب عن الأمل في نهاية الأزمة"),  # «الأمل» is an ordinary word here
]
# «الرئيس» stands before five names and begins none: SPEC.md leaves titles out of mentions
CORPUS += [_paragraph(f"واستقبل الرئيس {name} الوفد", name) for name in ["نادر سالم", "سامي عادل", "رامي فؤاد", "عادل نصار", "فؤاد سامي"]]


def test_a_new_actor_is_added_with_its_safe_names_only():
    additions = {
        "NADER_AWAD": {
            "type": "PERS",
            "name_en": "Nader Awad",
            "names": ["نادر عواد", "عواد", "موسكو", "مع", "الرئيس نادر عواد"],
            "affiliation": "RUS",
        },
        "AL_AMAL_PARTY": {"type": "ORG", "name_en": "Hope Party", "names": ["حزب الأمل", "الأمل"], "affiliation": "NO_SUCH_ID"},
    }
    merged, report = extend_registry(BASE, additions, CORPUS)
    assert merged["NADER_AWAD"]["names"] == ["نادر عواد", "عواد"]  # «موسكو» is Russia's, «مع» too short, «الرئيس» a title
    assert merged["NADER_AWAD"]["affiliation"] == "RUS"
    assert merged["AL_AMAL_PARTY"]["names"] == ["حزب الأمل"]  # «الأمل» occurs in the corpus as a word
    assert merged["AL_AMAL_PARTY"]["affiliation"] is None
    assert report["actors added"] == 2
    assert report["name left out: found in the corpus text"] == 1
    assert report["name left out: another actor's"] == 1
    assert report["name left out: too short"] == 1
    assert report["name left out: begins with a title or descriptor"] == 1
    assert merged["HAMAS"] == BASE["HAMAS"] and list(merged) == sorted(merged)
    ActorRegistry.from_dict(merged)  # a registry that loads


def test_an_existing_actor_under_another_id_and_a_new_state_id_are_left_out():
    additions = {
        "HAMAS_MOVEMENT": {"type": "ORG", "name_en": "Hamas", "names": ["حركة حماس", "حركة المقاومة الإسلامية"], "affiliation": None},
        "KFS": {"type": "LOC", "name_en": "Kafr Salem", "names": ["كفر سالم"], "affiliation": None},
        "HAMAS": {"type": "ORG", "name_en": "Hamas", "names": ["حماس", "حركة المقاومة الإسلامية حماس"], "affiliation": None},
        "KAFR_SALEM": {"type": "LOC", "name_en": "Kafr Salem", "names": ["كفر سالم", "بلدة كفر سالم"], "affiliation": None},
        "KAFR_SALIM": {"type": "LOC", "name_en": "Kafr Salim", "names": ["بلدة كفر سالم"], "affiliation": None},
    }
    merged, report = extend_registry(BASE, additions, CORPUS)
    assert "HAMAS_MOVEMENT" not in merged and "KFS" not in merged
    assert merged["KAFR_SALEM"]["names"] == ["كفر سالم", "بلدة كفر سالم"] and "KAFR_SALIM" not in merged  # one village, once
    assert merged["HAMAS"]["names"] == ["حماس", "حركة حماس", "حركة المقاومة الإسلامية حماس"]  # a new variant of a known id
    assert report["left out: an existing actor under another id"] == 2
    assert report["left out: a new place with a state's id"] == 1
    assert report["names added to existing actors"] == 1


@pytest.fixture()
def workspace(tmp_path):
    """A registry file (BASE) and built pages (CORPUS) for the command to read."""
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps(BASE, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    build = tmp_path / "build"
    build.mkdir()
    (build / "train.jsonl").write_text(json.dumps({"paragraphs": CORPUS}, ensure_ascii=False) + "\n", encoding="utf-8")
    return registry, build


def test_the_command_reports_writes_and_refuses_a_bad_file(tmp_path, capsys, workspace):
    registry, build = workspace
    good = tmp_path / "new.json"
    good.write_text(json.dumps({"NADER_AWAD": {"type": "PERS", "name_en": "Nader Awad", "names": ["نادر عواد"], "affiliation": None}}))
    args = [str(good), "--registry", str(registry), "--build-dir", str(build)]
    assert main(args) == 0
    assert "NADER_AWAD" not in json.loads(registry.read_text(encoding="utf-8"))  # no --write: the report only
    assert main([*args, "--write"]) == 0
    assert json.loads(registry.read_text(encoding="utf-8"))["NADER_AWAD"]["names"] == ["نادر عواد"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"X_Y": {"type": "PLACE", "names": ["س"]}}))
    assert main([str(bad), "--registry", str(registry), "--build-dir", str(build)]) == 1
    err = capsys.readouterr().err
    assert "X_Y" in err and "'type'" in err


@pytest.mark.parametrize("content", ["not json", "[1, 2]"])
def test_a_file_that_is_not_an_object_of_actors_is_refused(tmp_path, capsys, content, workspace):
    registry, build = workspace
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main([str(bad), "--registry", str(registry), "--build-dir", str(build)]) == 1
    assert "bad.json" in capsys.readouterr().err


def test_a_bad_affiliation_type_or_a_missing_file_is_a_clear_error(tmp_path, capsys, workspace):
    registry, build = workspace
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"NADER_AWAD": {"type": "PERS", "names": ["نادر عواد"], "affiliation": 5}}))
    assert main([str(bad), "--registry", str(registry), "--build-dir", str(build)]) == 1
    assert "NADER_AWAD" in capsys.readouterr().err
    assert main([str(tmp_path / "absent.json"), "--registry", str(registry), "--build-dir", str(build)]) == 1
    assert "absent.json" in capsys.readouterr().err
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"NADER_AWAD": {"type": "PERS", "names": ["نادر عواد"], "affiliation": None}}))
    assert main([str(good), "--registry", str(registry), "--build-dir", str(tmp_path / "no_build")]) == 1
    assert "make data" in capsys.readouterr().err

import pytest

from models.registry import ActorRegistry, RegistryError, key_of, merge_registries


def spans(registry, text):
    return [(text[m.start : m.end], m.actor.id) for m in registry.find(text)]


def test_longest_match_strips_clitics_but_keeps_names_with_al(registry):
    text = "وقالت الخارجية الروسية إن لحماس دوراً، وإن الكرملين يرحب بدور للأمم المتحدة وللصليب الأحمر."
    assert spans(registry, text) == [
        ("الخارجية الروسية", "RUS"),
        ("حماس", "HAMAS"),
        ("الكرملين", "RUS"),
        ("لأمم المتحدة", "UN"),
        ("لصليب الأحمر", "ICRC"),
    ]


def test_spelling_variants_fold_to_one_key(registry):
    assert key_of("إسرائيل") == key_of("اسرائيل")
    assert registry.candidates("بوجدانوف") == ["MIKHAIL_BOGDANOV"]
    assert spans(registry, "التقى اسرائيل وبوغدانوف") == [("اسرائيل", "ISR"), ("بوغدانوف", "MIKHAIL_BOGDANOV")]


def test_names_do_not_match_across_punctuation(registry):
    assert spans(registry, "قطاع، غزة") == [("غزة", "GAZA_STRIP")]


def test_ambiguous_surface_lists_every_candidate(registry):
    assert set(registry.candidates("موسكو")) == {"RUS", "MOSCOW"}


def test_invalid_registry_is_rejected_with_the_id():
    with pytest.raises(RegistryError, match="BAD"):
        ActorRegistry.from_dict({"BAD": {"type": "THING", "names": ["x"]}})
    with pytest.raises(RegistryError, match="affiliation"):
        ActorRegistry.from_dict({"A_B": {"type": "PERS", "names": ["أ"], "affiliation": "NOPE"}})


def test_merge_unions_names_and_reports_conflicts():
    merged = merge_registries(
        [
            ("a.json", {"RUS": {"type": "LOC", "names": ["روسيا"]}}),
            ("b.json", {"RUS": {"type": "LOC", "names": ["موسكو", "روسيا"]}}),
        ]
    )
    assert merged["RUS"]["names"] == ["روسيا", "موسكو"]
    with pytest.raises(RegistryError, match="b.json"):
        merge_registries([("a.json", {"X": {"type": "LOC", "names": ["س"]}}), ("b.json", {"X": {"type": "ORG", "names": ["س"]}})])


def test_arabic_punctuation_ends_a_name(registry):
    text = "وصل الوفد إلى قطاع غزة، ثم إلى مصر؛ وقال لافروف: نعم"
    assert spans(registry, text) == [("قطاع غزة", "GAZA_STRIP"), ("مصر", "EGY"), ("لافروف", "SERGEY_LAVROV")]

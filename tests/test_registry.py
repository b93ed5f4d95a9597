import pytest

from models.registry import ActorRegistry, key_of
from models.registry_file import RegistryError, merge_registries


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


def test_a_clitic_glued_to_a_name_is_counted_but_a_name_that_starts_like_one_is_not(registry):
    assert registry.glued_clitic("لحماس") == 1
    assert registry.glued_clitic("وموسكو") == 1
    assert registry.glued_clitic("للأمم المتحدة") == 1  # the contraction: the span starts at the second ل
    assert registry.glued_clitic("الكرملين") == 0
    assert registry.glued_clitic("حماس") == 0
    assert registry.glued_clitic("لجنة") == 0  # no name after the ل


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


def _mention(text: str, surface: str, entity_type: str, actor: str) -> dict:
    start = text.index(surface)
    return {"start": start, "end": start + len(surface), "type": entity_type, "actor": actor}


def test_corpus_types_a_state_body_name_as_org_and_the_checkpoint_keeps_it(tmp_path):
    from training.name_types import corpus_name_types

    registry = ActorRegistry.from_dict(
        {
            "ISR": {"type": "LOC", "name_en": "Israel", "names": ["إسرائيل", "الموساد", "الجيش الإسرائيلي", "وزارة الدفاع الإسرائيلية"]},
            "RUS": {"type": "LOC", "name_en": "Russia", "names": ["روسيا", "وزارة الدفاع الروسية"]},
        }
    )
    lines = ["قال الموساد إن إسرائيل لن توقف العملية.", "أكد الموساد في بيان أن التحقيق مستمر.", "أعلن الجيش الإسرائيلي فتح المعبر."]
    documents = [
        {
            "paragraphs": [
                {"kind": "text", "text": line, "actors": [_mention(line, s, t, "ISR") for s, t in mentions]}
                for line, mentions in zip(
                    lines, [[("الموساد", "ORG"), ("إسرائيل", "LOC")], [("الموساد", "ORG")], [("الجيش الإسرائيلي", "ORG")]], strict=True
                )
            ]
        }
    ]

    learned = corpus_name_types(registry, documents, min_count=2)
    assert learned == {"ISR": {"الموساد": "ORG"}}  # one mention of the army is too few; إسرائيل stays LOC
    typed = registry.with_name_types(learned)
    text = "وقال الموساد إن إسرائيل"
    assert [(text[m.start : m.end], m.type, m.actor.id) for m in typed.find(text)] == [("الموساد", "ORG", "ISR"), ("إسرائيل", "LOC", "ISR")]

    typed.save(tmp_path / "registry.json")
    assert ActorRegistry.load(tmp_path / "registry.json").find(text)[0].type == "ORG"


def test_name_types_must_name_an_entity_type():
    with pytest.raises(RegistryError, match="name_types"):
        ActorRegistry.from_dict({"ISR": {"type": "LOC", "names": ["إسرائيل"], "name_types": {"إسرائيل": "STATE"}}})


def test_a_name_that_is_mostly_a_common_word_is_silenced_but_still_links():
    from training.name_types import learn_name_types

    registry = ActorRegistry.from_dict(
        {
            "AL_MASIRAH": {"type": "ORG", "name_en": "Al-Masirah", "names": ["المسيرة", "قناة المسيرة"]},
            "HAMAS": {"type": "ORG", "name_en": "Hamas", "names": ["حماس"]},
        }
    )
    drones = [f"أسقطت الدفاعات الجوية المسيرة رقم {i} فوق البحر، وقالت حماس إنها تتابع." for i in range(8)]
    channel = "وقالت قناة المسيرة إن الغارات تواصلت."
    documents = [
        {
            "paragraphs": [{"kind": "text", "text": t, "actors": [_mention(t, "حماس", "ORG", "HAMAS")]} for t in drones]
            + [{"kind": "text", "text": channel, "actors": [_mention(channel, "قناة المسيرة", "ORG", "AL_MASIRAH")]}]
        }
    ]
    learned = learn_name_types(registry, documents, common_words=True)

    assert [(drones[0][m.start : m.end], m.actor.id) for m in learned.find(drones[0])] == [("حماس", "HAMAS")]  # the drone is no actor
    assert [m.actor.id for m in learned.find(channel)] == ["AL_MASIRAH"]  # the full name still matches
    assert learned.candidates("المسيرة") == ["AL_MASIRAH"]  # and a span the tagger marks still links


def _linker(names: dict[str, tuple[str, list[str]]]):
    from models.linking import ActorLinker

    data = {actor_id: {"type": t, "name_en": actor_id.title(), "names": n, "affiliation": None} for actor_id, (t, n) in names.items()}
    return ActorLinker(ActorRegistry.from_dict(data))


def test_a_span_after_a_contracted_lam_links_as_the_name_with_its_article():
    linker = _linker({"JERUSALEM": ("LOC", ["القدس"]), "LEBANON": ("LOC", ["لبنان"])})
    text = "دعا للقدس وزار لبنان"  # SPEC.md: the span of «للقدس» starts at the second ل
    assert linker.link(text, text.index("لقدس"), text.index("لقدس") + 4) == "JERUSALEM"
    assert linker.link(text, text.index("لبنان"), len(text)) == "LEBANON"  # a name that starts with ل stays itself
    assert linker.link("لندن", 0, 4) is None  # no «الندن» either: never a guessed id


def test_the_tagged_type_chooses_between_a_person_and_a_movement_of_one_name():
    linker = _linker({"HOUTHIS": ("ORG", ["الحوثي", "الحوثيين"]), "ABDUL_MALIK_AL_HOUTHI": ("PERS", ["عبد الملك الحوثي", "الحوثي"])})
    text = "وقال الحوثي في خطاب"
    span = (text.index("الحوثي"), text.index("الحوثي") + 6)
    assert linker.link(text, *span, "PERS") == "ABDUL_MALIK_AL_HOUTHI"
    assert linker.link(text, *span, "ORG") == "HOUTHIS"
    # learned counts are ranked the same way: the most frequent id of the right kind wins
    linker.fit(
        [
            {
                "paragraphs": [
                    {"kind": "text", "text": text, "actors": [{"start": span[0], "end": span[1], "type": "ORG", "actor": "HOUTHIS"}]}
                ]
            }
        ]
    )
    assert linker.link(text, *span, "ORG") == "HOUTHIS"
    assert linker.link(text, *span, "PERS") == "HOUTHIS"  # no person among what training saw: its id all the same


def test_candidates_read_a_contraction_span_as_the_name_with_its_article(registry):
    assert registry.candidates("لصليب الأحمر") == ["ICRC"]  # «للصليب الأحمر», the span SPEC.md gives
    assert registry.candidates("لحماس") == ["HAMAS"]  # a glued clitic, as before

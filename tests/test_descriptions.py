"""States named by their adjective become triple targets (SPEC.md: «السفير الروسي» → RUS)."""

from models.descriptions import described_states, state_adjectives
from models.registry import ActorRegistry
from models.triples import PAIR2ID, MentionRef, candidate_pairs, description_refs, pair_label


def _registry() -> ActorRegistry:
    def state(name_en, *names):
        return {"type": "LOC", "name_en": name_en, "names": list(names), "affiliation": None}

    return ActorRegistry.from_dict(
        {
            "RUS": state("Russia", "روسيا", "الخارجية الروسية", "الجيش الروسي", "المجلس العسكري"),
            "ISR": state("Israel", "إسرائيل", "الخارجية الإسرائيلية", "الحكومة الإسرائيلية", "الشرطة العسكرية", "المحكمة العسكرية"),
            "USA": state("United States", "أمريكا", "الخارجية الأمريكية", "القوات الأمريكية"),
            "EGY": state("Egypt", "مصر", "الحكومة المصرية"),  # one body's name only: no adjective learned
            "HAMAS": {"type": "ORG", "name_en": "Hamas", "names": ["حماس", "المكتب السياسي"], "affiliation": None},
        }
    )


def test_adjectives_are_learned_from_the_names_of_a_states_bodies():
    adjectives = state_adjectives(_registry())
    assert adjectives == {"الروسي": "RUS", "الاسراييلي": "ISR", "الامريكي": "USA"}
    # «العسكري» ends names of two states and starts neither's name; «المصري» ends one name only


def test_masculine_feminine_and_clitic_forms_are_found_with_the_clitic_left_out():
    adjectives = state_adjectives(_registry())
    text = "وندد بالهجوم الإسرائيلي على القوات والأمريكية وبالروسي"
    found = [(text[start:end], state) for start, end, state in described_states(text, adjectives)]
    assert found == [("الإسرائيلي", "ISR"), ("الأمريكية", "USA"), ("الروسي", "RUS")]


def test_the_spec_example_pairs_the_holder_with_the_described_state():
    text = "استدعت إسرائيل السفير الروسي للاحتجاج"
    israel = MentionRef(0, 6, 14, "LOC", "ISR")
    refs = description_refs(0, text, state_adjectives(_registry()), [israel])
    assert [(text[r.start : r.end], r.key) for r in refs] == [("الروسي", "RUS")]
    pairs = candidate_pairs([[israel]], [len(text)], [refs])
    described = [c for c in pairs if c.description_target]
    assert [(c.holder, c.target) for c in described] == [("ISR", "RUS")]
    assert described[0].features[7] == 1.0 and described[0].features[2] == 1.0  # flagged; the holder comes first
    assert pair_label(described[0], [{"holder": "ISR", "target": "RUS", "polarity": "critical"}]) == PAIR2ID["critical"]


def test_an_adjective_inside_a_mention_or_of_a_state_already_named_adds_nothing():
    adjectives = state_adjectives(_registry())
    text = "وقالت الخارجية الروسية إن روسيا ترفض الموقف الروسي"
    ministry = MentionRef(0, 6, 22, "ORG", "RUS")
    assert [r.key for r in description_refs(0, text, adjectives, [ministry])] == ["RUS"]  # only the free «الروسي»
    refs = description_refs(0, text, adjectives, [ministry])
    assert not [c for c in candidate_pairs([[ministry]], [len(text)], [refs]) if c.description_target]  # RUS is named already


def test_an_implicit_speaker_also_targets_a_described_state():
    # «أعلنت حماس …» / «ونددت بالقصف الإسرائيلي»
    hamas = MentionRef(0, 6, 10, "ORG", "HAMAS")
    second = "ونددت بالقصف الإسرائيلي"
    refs = description_refs(1, second, state_adjectives(_registry()), [])
    pairs = candidate_pairs([[hamas], []], [20, len(second)], [[], refs])
    assert {(c.holder, c.target, c.implicit) for c in pairs if c.description_target} == {("HAMAS", "ISR", True)}

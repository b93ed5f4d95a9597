"""Candidate stance pairs, document-level linking, and the triple head on real forward passes."""

import pytest
import torch

from models.actors import ActorDecoder, ActorPrediction, resolve_partial_names
from models.linking import ActorLinker
from models.triples import PAIR2ID, MentionRef, candidate_pairs, headline_holder_mode, pair_label, principal_paragraphs


def _m(paragraph, start, end, type_, key):
    return MentionRef(paragraph, start, end, type_, key)


def test_every_ordered_pair_of_entities_is_a_candidate_and_direction_matters():
    mentions = [[_m(0, 0, 4, "ORG", "HAMAS"), _m(0, 10, 15, "LOC", "RUS"), _m(0, 20, 24, "ORG", "HAMAS")]]
    pairs = candidate_pairs(mentions, [40])
    assert {(c.holder, c.target) for c in pairs} == {("HAMAS", "RUS"), ("RUS", "HAMAS")}
    forward = next(c for c in pairs if c.holder == "HAMAS")
    assert forward.features[2] == 1.0  # the holder comes first
    assert pair_label(forward, [{"holder": "HAMAS", "target": "RUS", "polarity": "supportive"}]) == PAIR2ID["supportive"]
    backward = next(c for c in pairs if c.holder == "RUS")
    assert pair_label(backward, [{"holder": "HAMAS", "target": "RUS", "polarity": "supportive"}]) == PAIR2ID["none"]


def test_the_previous_speaker_holds_an_implicit_stance_across_boilerplate():
    # «أعلنت حماس …» / an ad line / «وقالت في بيان إنها ترفض موقف واشنطن»
    mentions = [[_m(0, 6, 10, "ORG", "HAMAS")], None, [_m(2, 30, 35, "LOC", "USA")]]
    pairs = candidate_pairs(mentions, [30, 5, 40])
    implicit = [c for c in pairs if c.implicit]
    assert [(c.paragraph, c.holder, c.target) for c in implicit] == [(2, "HAMAS", "USA")]
    assert implicit[0].holder_mention.paragraph == 0  # its vector comes from where it was named
    assert pair_label(implicit[0], [{"holder": "HAMAS", "target": "USA", "polarity": "critical"}]) == PAIR2ID["critical"]


def test_a_speaker_named_in_the_paragraph_gets_no_implicit_twin():
    mentions = [[_m(0, 0, 4, "ORG", "HAMAS")], [_m(1, 0, 4, "ORG", "HAMAS"), _m(1, 9, 14, "LOC", "ISR")]]
    assert not [c for c in candidate_pairs(mentions, [20, 30]) if c.implicit]


def _refs(index, text, found):
    """Mentions of ``text`` from (surface, type, key), searched in order."""
    refs, cursor = [], 0
    for surface, type_, key in found:
        start = text.index(surface, cursor)
        cursor = start + len(surface)
        refs.append(_m(index, start, cursor, type_, key))
    return refs


def test_the_headline_speaker_holds_a_readout_that_names_only_the_spokesman():
    texts = [
        "الرئيس عبد الفتاح السيسي يستقبل وزير الخارجية الأردني",
        "وقال المتحدث باسم الرئاسة أحمد فهمي إن الرئيس عبد الفتاح السيسي أكد دعم مصر للأردن",
        "وأضاف فهمي أن الرئيس رحب بالتنسيق الدائم مع عمّان",
        "وذكر فهمي أن اللقاء حضره وزير الخارجية بدر عبد العاطي",
    ]
    mentions = [
        _refs(0, texts[0], [("عبد الفتاح السيسي", "PERS", "ABDEL_FATTAH_EL_SISI")]),
        _refs(
            1,
            texts[1],
            [("أحمد فهمي", "PERS", "AHMED_FAHMY"), ("عبد الفتاح السيسي", "PERS", "ABDEL_FATTAH_EL_SISI"), ("مصر", "LOC", "EGY")],
        ),
        _refs(2, texts[2], [("فهمي", "PERS", "AHMED_FAHMY"), ("عمّان", "LOC", "JOR")]),
        _refs(3, texts[3], [("فهمي", "PERS", "AHMED_FAHMY"), ("بدر عبد العاطي", "PERS", "BADR_ABDELATTY")]),
    ]
    lengths = [len(t) for t in texts]
    gold = [{"holder": "ABDEL_FATTAH_EL_SISI", "target": "JOR", "polarity": "supportive"}]
    # off: in paragraph 2 the context speaker is the spokesman, so the president is no holder there
    assert principal_paragraphs("off", texts, mentions) == set()
    assert not [c for c in candidate_pairs(mentions, lengths) if c.paragraph == 2 and c.holder == "ABDEL_FATTAH_EL_SISI"]
    # titled: only paragraph 2 names a principal by his title alone («الرئيس» in 0 and 1 opens a named mention)
    assert principal_paragraphs("titled", texts, mentions) == {2}
    assert principal_paragraphs("all", texts, mentions) == {0, 1, 2, 3}
    pairs = candidate_pairs(mentions, lengths, None, principal_paragraphs("titled", texts, mentions))
    readout = [c for c in pairs if c.paragraph == 2 and c.holder == "ABDEL_FATTAH_EL_SISI"]
    assert readout and all(c.implicit and c.holder_mention.paragraph == 0 for c in readout)
    assert pair_label(next(c for c in readout if c.target == "JOR"), gold) == PAIR2ID["supportive"]
    assert not [c for c in pairs if c.paragraph == 3 and c.holder == "ABDEL_FATTAH_EL_SISI"]
    # all: every paragraph that does not already hold him, never twice where he is named
    every = candidate_pairs(mentions, lengths, None, principal_paragraphs("all", texts, mentions))
    assert {c.paragraph for c in every if c.holder == "ABDEL_FATTAH_EL_SISI" and c.implicit} == {2, 3}
    keys = [(c.paragraph, c.holder, c.target) for c in every]
    assert len(keys) == len(set(keys))


def test_headline_holder_modes_read_old_checkpoints_and_refuse_unknown_values():
    assert headline_holder_mode(True) == "all" and headline_holder_mode(False) == "off" and headline_holder_mode(None) == "off"
    assert headline_holder_mode("titled") == "titled"
    with pytest.raises(ValueError, match="headline_holder is 'some'"):
        headline_holder_mode("some")


def test_a_target_named_in_the_previous_paragraph_or_the_headline_is_a_context_target():
    # headline «إسرائيل تقصف مخيماً في رفح» / «وأعلنت حماس …» / an ad / «وأدانت مصر والأردن القصف»
    mentions = [[_m(0, 0, 7, "LOC", "ISR")], [_m(1, 7, 11, "ORG", "HAMAS")], None, [_m(3, 6, 9, "LOC", "EGY"), _m(3, 12, 18, "LOC", "JOR")]]
    pairs = candidate_pairs(mentions, [30, 30, 5, 25])
    context = {(c.holder, c.target, c.implicit) for c in pairs if c.context_target and c.paragraph == 3}
    # each holder of the paragraph (its own and the previous speaker) × each actor named before (previous paragraph, headline)
    assert context == {
        ("EGY", "HAMAS", False),
        ("EGY", "ISR", False),
        ("JOR", "HAMAS", False),
        ("JOR", "ISR", False),
        ("HAMAS", "ISR", True),
    }
    egypt_israel = next(c for c in pairs if (c.holder, c.target, c.context_target) == ("EGY", "ISR", True))
    assert egypt_israel.target_mention.paragraph == 0  # its vector comes from the headline
    assert egypt_israel.features[1] == 1.0 and egypt_israel.features[6] == 0.0  # flagged; no in-paragraph distance
    assert pair_label(egypt_israel, [{"holder": "EGY", "target": "ISR", "polarity": "critical"}]) == PAIR2ID["critical"]
    # a paragraph that names the actor itself pairs with it directly, not as a context target
    assert not [c for c in pairs if c.paragraph == 1 and c.context_target and c.target == "HAMAS"]


def test_a_surname_alone_takes_the_id_of_the_full_name_in_the_document():
    actors = {
        0: [ActorPrediction(0, 9, "علي العريض", "PERS", "ALI_LAARAYEDH", 0.9)],
        3: [ActorPrediction(5, 11, "العريض", "PERS", None, 0.8), ActorPrediction(20, 24, "سعيد", "PERS", None, 0.7)],
    }
    resolve_partial_names(actors)
    assert actors[3][0].actor == "ALI_LAARAYEDH"
    assert actors[3][1].actor is None  # no linked name holds it: never a guessed id


def test_a_persons_one_word_name_follows_the_person_the_document_introduced():
    actors = {
        0: [ActorPrediction(10, 25, "عبد الله الثاني", "PERS", "ABDULLAH_II", 0.9)],
        2: [ActorPrediction(30, 37, "عبد الله", "PERS", "KHIAM_MAYOR", 0.8)],  # the linker's guess from training
        4: [ActorPrediction(0, 14, "سامي عادل حسين", "PERS", None, 0.9), ActorPrediction(40, 44, "حسين", "PERS", "FUAD_HUSSEIN", 0.7)],
        5: [
            ActorPrediction(0, 8, "حزب الله", "ORG", "HEZBOLLAH", 0.9),
            ActorPrediction(20, 34, "كتائب حزب الله", "ORG", "KATAIB_HEZBOLLAH", 0.9),
        ],
    }
    resolve_partial_names(actors)
    assert actors[2][0].actor == "ABDULLAH_II"
    assert actors[4][1].actor is None  # a diplomat the registry lacks: unlinked, not another Hussein
    assert actors[5][0].actor == "HEZBOLLAH"  # an organisation's linked name is never overridden


def test_a_one_word_name_held_by_two_people_of_the_document_keeps_its_link():
    actors = {
        0: [
            ActorPrediction(0, 12, "عباس عبد الله", "PERS", "KHIAM_MAYOR", 0.9),
            ActorPrediction(20, 35, "عبد الله الثاني", "PERS", "ABDULLAH_II", 0.9),
        ],
        1: [ActorPrediction(5, 12, "عبد الله", "PERS", "KHIAM_MAYOR", 0.8)],
    }
    resolve_partial_names(actors)
    assert actors[1][0].actor == "KHIAM_MAYOR"


def test_registry_spans_add_the_names_the_tagger_missed(registry):
    decoder = ActorDecoder(ActorLinker(registry), registry_spans=True)
    text = "وأشادت حماس بموقف موسكو"
    found = decoder.paragraph_actors(text, [(7, 11, "ORG", 0.9)])
    assert [(a.text, a.actor) for a in found] == [("حماس", "HAMAS"), ("موسكو", "RUS")]
    assert [a.text for a in ActorDecoder(ActorLinker(registry)).paragraph_actors(text, [(7, 11, "ORG", 0.9)])] == ["حماس"]


def test_tiny_checkpoint_predicts_triples_only_between_linked_actors(trained_checkpoint):
    from models.predictor import Predictor

    predictor = Predictor.from_pretrained(trained_checkpoint[0])
    text = "حماس ترحب بموقف روسيا\nوأشادت حماس في بيان بموقف موسكو، فيما احتجت إسرائيل على الزيارة.\nحجم الخط"
    document = predictor.predict_text(text)
    for paragraph in document.paragraphs:
        ids = {a.actor or a.text for a in paragraph.actors}
        for triple in paragraph.stances:
            assert triple["target"] in ids and triple["polarity"] in ("supportive", "critical")
            assert 0 < triple["probability"] <= 1
    assert isinstance(document.stance_summary["triples"], list)


def test_the_pair_head_scores_change_with_the_pair(tiny_model):
    tiny_model.eval()
    hidden = tiny_model.config.encoder["hidden_size"]
    spans = torch.randn(3, hidden)
    paragraph_dim = tiny_model.pair_head[0].in_features - 4 * hidden - 12
    paragraphs = torch.randn(1, paragraph_dim)
    features = torch.zeros(2, 12)
    with torch.no_grad():
        logits = tiny_model.pair_logits(
            spans, torch.tensor([0, 1]), torch.tensor([1, 0]), torch.tensor([2, 2]), torch.tensor([0, 0]), paragraphs, features
        )
    assert logits.shape == (2, 3)
    assert not torch.allclose(logits[0], logits[1])  # (A, B) and (B, A) are told apart


def test_registry_names_widen_partial_spans_but_keep_names_tagged_whole(registry):
    decoder = ActorDecoder(ActorLinker(registry))
    text = "وقالت اللجنة الدولية للصليب الأحمر إن حركة حماس سلمت الرسالة"
    partial = (text.index("الدولية"), text.index(" إن"), "ORG", 0.8)
    hamas = (text.index("حماس"), text.index("حماس") + 4, "ORG", 0.9)
    found = decoder.paragraph_actors(text, [partial, hamas])
    assert [(a.text, a.actor) for a in found] == [("اللجنة الدولية للصليب الأحمر", "ICRC"), ("حماس", "HAMAS")]
    other = "وصل وفد الصليب الأحمر إلى غزة"
    split = [(8, 14, "ORG", 0.7), (15, 21, "ORG", 0.7)]
    assert [other[s:e] for s, e, _, _ in split] == ["الصليب", "الأحمر"]
    assert [(a.text, a.actor) for a in decoder.paragraph_actors(other, split)] == [("الصليب الأحمر", "ICRC")]


def test_places_and_unknown_actors_neither_hold_nor_receive_a_stance():
    mentions = [
        [_m(0, 0, 4, "ORG", "HAMAS"), _m(0, 8, 12, "LOC", "GAZA_STRIP"), _m(0, 15, 20, "LOC", "ISR"), _m(0, 25, 30, "ORG", "فصائل")]
    ]
    pairs = {(c.holder, c.target) for c in candidate_pairs(mentions, [40])}
    assert pairs == {("HAMAS", "ISR"), ("ISR", "HAMAS")}


def test_the_words_between_a_pair_are_its_own_span(pages, tokenizer, registry):
    from models.features import candidate_spans, encode_document
    from models.triples import MentionRef, PairCandidate

    text = "ندد حزب الله بالغارات وحمل الاحتلال المسؤولية"
    doc = encode_document([text], tokenizer, registry, 64, 8)
    holder = MentionRef(0, 4, 12, "ORG", "HEZBOLLAH")
    target = MentionRef(0, text.index("الاحتلال"), text.index("الاحتلال") + 8, "ORG", "ISR")
    found = candidate_spans(doc, PairCandidate(0, "HEZBOLLAH", "ISR", holder, target, False, ()))
    assert found is not None
    spans = doc.token_spans[found[2][0]]
    between = "".join(text[spans[i][0] : spans[i][1]] for i in found[2][1])
    assert between.replace(" ", "") == "بالغاراتوحمل"


def test_a_context_targets_words_are_those_after_the_holder_in_its_own_paragraph(tokenizer, registry):
    from models.features import candidate_spans, encode_document
    from models.triples import MentionRef, PairCandidate

    texts = ["الاحتلال يقصف مخيماً في رفح", "وأدانت مصر القصف بشدة"]
    doc = encode_document(texts, tokenizer, registry, 64, 8)
    target = MentionRef(0, 0, 8, "ORG", "ISR")
    holder = MentionRef(1, texts[1].index("مصر"), texts[1].index("مصر") + 3, "LOC", "EGY")
    found = candidate_spans(doc, PairCandidate(1, "EGY", "ISR", holder, target, False, (), context_target=True))
    assert found is not None
    assert doc.chunk_paragraph[found[1][0]] == 0 and doc.chunk_paragraph[found[2][0]] == 1
    spans = doc.token_spans[found[2][0]]
    assert "".join(texts[1][spans[i][0] : spans[i][1]] for i in found[2][1]) == "القصفبشدة"


def test_an_actor_and_the_side_it_belongs_to_are_no_candidate_at_inference():
    from models.registry import ActorRegistry
    from models.triples import own_side

    registry = ActorRegistry.from_dict(
        {
            "IRN": {"type": "LOC", "name_en": "Iran", "names": ["إيران"], "affiliation": None},
            "IAEA": {"type": "ORG", "name_en": "IAEA", "names": ["الوكالة الدولية للطاقة الذرية"], "affiliation": None},
            "ABBAS_ARAGHCHI": {"type": "PERS", "name_en": "Abbas Araghchi", "names": ["عباس عراقجي"], "affiliation": "IRN"},
        }
    )
    # «انتقد وزير الخارجية الإيراني عباس عراقجي الوكالة الدولية للطاقة الذرية»: Iran is his side, the agency is not
    assert own_side(registry, "ABBAS_ARAGHCHI", "IRN") and own_side(registry, "IRN", "ABBAS_ARAGHCHI")
    assert not own_side(registry, "ABBAS_ARAGHCHI", "IAEA") and not own_side(registry, "IRN", "IAEA")
    assert not own_side(registry, "UNKNOWN_ID", "IRN")


def test_a_span_that_runs_into_a_quoted_name_is_cut_to_the_name():
    from models.actors import without_quotes

    text = 'وقالت صحيفة "واشنطن بوست" إن ميليشيا «الدعم السريع» تقدمت'
    start = text.index("صحيفة")
    assert text[slice(*without_quotes(text, start, text.index("بوست") + 4))] == "واشنطن بوست"
    start = text.index("ميليشيا")
    assert text[slice(*without_quotes(text, start, text.index("السريع") + 6))] == "الدعم السريع"
    # a span without quote marks, and one whose quote closes after the name, keep or lose only the quote
    assert without_quotes(text, 6, 11) == (6, 11)
    assert text[slice(*without_quotes(text, text.index("الدعم"), text.index("»") + 1))] == "الدعم السريع"


def test_a_state_body_named_without_its_state_is_the_body_of_the_pages_state(registry):
    from collections import Counter

    from models.actors import resolve_state_bodies, state_body_keys
    from models.registry import key_of

    # training used «مجلس الوزراء» for three states' cabinets, «الكرملين» always for Russia
    cabinet, kremlin = key_of("مجلس الوزراء"), key_of("الكرملين")
    linker = ActorLinker(registry, {cabinet: Counter(RUS=3, EGY=3, ISR=2), kremlin: Counter(RUS=10), key_of("حماس"): Counter(HAMAS=9)})
    assert state_body_keys(linker.surface_counts) == {cabinet}

    def page():
        return {
            0: [ActorPrediction(0, 3, "مصر", "LOC", "EGY", 0.9), ActorPrediction(10, 16, "إسرائيل", "LOC", "ISR", 0.9)],
            1: [ActorPrediction(6, 18, "مجلس الوزراء", "ORG", "RUS", 0.8), ActorPrediction(25, 28, "مصر", "LOC", "EGY", 0.9)],
            2: [ActorPrediction(0, 8, "الكرملين", "ORG", "RUS", 0.9), ActorPrediction(12, 16, "حماس", "ORG", "HAMAS", 0.9)],
        }

    actors = page()
    resolve_state_bodies(actors, registry, state_body_keys(linker.surface_counts))
    assert actors[1][0].actor == "EGY"  # Egypt is named twice, Israel and Russia (the Kremlin) once
    assert [a.actor for a in actors[0] + actors[2]] == ["EGY", "ISR", "RUS", "HAMAS"]  # nothing else moves
    # a page that names no state (Hamas is no state) leaves the linker's id
    alone = {0: [ActorPrediction(0, 12, "مجلس الوزراء", "ORG", "RUS", 0.8), ActorPrediction(20, 24, "حماس", "ORG", "HAMAS", 0.9)]}
    resolve_state_bodies(alone, registry, state_body_keys(linker.surface_counts))
    assert alone[0][0].actor == "RUS"
    # the decoder does it for a whole document unless told not to
    texts = ["مصر ترحب", "وقال مجلس الوزراء إن مصر"]
    spans = {0: [(0, 3, "LOC", 0.9)], 1: [(5, 17, "ORG", 0.8), (21, 24, "LOC", 0.9)]}
    assert texts[1][5:17] == "مجلس الوزراء" and texts[1][21:24] == "مصر"
    assert ActorDecoder(linker).document_actors(texts, spans)[1][0].actor == "EGY"
    assert ActorDecoder(linker, state_bodies=False).document_actors(texts, spans)[1][0].actor == "RUS"


def test_a_glued_clitic_is_trimmed_but_the_names_article_is_kept(registry):
    from collections import Counter

    from models.registry import key_of

    # training saw the bare form too («أهلي»), so «وال» + «أهلي» and «و» + «الأهلي» both read as known names
    linker = ActorLinker(registry, {key_of("أهلي"): Counter(AL_AHLY=1), key_of("الأهلي"): Counter(AL_AHLY=5)})
    text = "فاز الزمالك والأهلي أمس"
    start = text.index("والأهلي")
    assert text[linker.trim(text, start, start + 7) : start + 7] == "الأهلي"
    glued = "وأشادت لحماس"  # a clitic in front of a name without article is dropped whole
    assert glued[linker.trim(glued, 7, 12) : 12] == "حماس"

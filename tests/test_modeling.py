import torch

from models.modeling import NewsPageModel
from training.data import DocumentCollator, make_feature_fn


def _batch(pages, tokenizer, registry, n=2):
    featurize = make_feature_fn(tokenizer, registry, max_tokens=24, stride=8)
    columns = featurize({"paragraphs": [p["paragraphs"] for p in pages[:n]]})
    features = [{k: v[i] for k, v in columns.items()} for i in range(n)]
    return DocumentCollator(pad_token_id=tokenizer.pad_token_id)(features)


def test_forward_backward_gives_logits_for_every_paragraph_and_piece(tiny_model, pages, tokenizer, registry):
    batch = _batch(pages, tokenizer, registry)
    out = tiny_model(**batch)
    n_paragraphs = len(pages[0]["paragraphs"]) + len(pages[1]["paragraphs"])
    assert out.kind_logits.shape == (n_paragraphs, 10)
    assert out.stance_logits.shape == (n_paragraphs, 4)
    assert out.tag_logits.shape[:2] == batch["input_ids"].shape
    assert set(out.losses) == {"kind", "stance", "tags", "pairs"}
    assert out.pair_logits.shape == (len(batch["pair_labels"]), 3)
    out.loss.backward()
    assert tiny_model.encoder.embeddings.word_embeddings.weight.grad is not None
    assert tiny_model.context.weight_ih_l0.grad.abs().sum() > 0


def test_kind_depends_on_the_other_paragraphs(tiny_model, pages, tokenizer, registry):
    tiny_model.eval()
    batch = _batch(pages, tokenizer, registry, n=1)
    with torch.no_grad():
        before = tiny_model(**batch).kind_logits[0]
        changed = dict(batch)
        changed["paragraph_features"] = batch["paragraph_features"].clone()
        changed["paragraph_features"][2] += 1.0  # only the third paragraph changes
        after = tiny_model(**changed).kind_logits[0]
    assert not torch.allclose(before, after)  # the first paragraph's kind saw it


def test_save_and_load_round_trip_gives_identical_outputs(tiny_model, pages, tokenizer, registry, tmp_path):
    tiny_model.eval()
    batch = _batch(pages, tokenizer, registry)
    tiny_model.save_pretrained(tmp_path)
    loaded = NewsPageModel.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        a, b = tiny_model(**batch), loaded(**batch)
    for name in ("kind_logits", "stance_logits", "tag_logits"):
        assert torch.allclose(getattr(a, name), getattr(b, name), atol=1e-6), name
    assert (tmp_path / "model.safetensors").is_file()


def test_training_steps_lower_the_loss(tiny_model, pages, tokenizer, registry):
    torch.manual_seed(0)
    batch = _batch(pages, tokenizer, registry)
    optimizer = torch.optim.AdamW(tiny_model.parameters(), lr=3e-3)
    tiny_model.train()
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = tiny_model(**batch).loss
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_token_dropout_masks_inner_pieces_only(pages, tokenizer, registry):
    featurize = make_feature_fn(tokenizer, registry, max_tokens=24, stride=8)
    columns = featurize({"paragraphs": [p["paragraphs"] for p in pages[:2]]})
    features = [{k: v[i] for k, v in columns.items()} for i in range(2)]
    plain = DocumentCollator(pad_token_id=tokenizer.pad_token_id)(features)
    torch.manual_seed(0)
    masked = DocumentCollator(tokenizer.pad_token_id, token_dropout=0.5, mask_token_id=tokenizer.mask_token_id)(features)
    changed = masked["input_ids"] != plain["input_ids"]
    assert changed.any()
    assert (masked["input_ids"][changed] == tokenizer.mask_token_id).all()
    lengths = plain["attention_mask"].sum(1)
    assert not changed[:, 0].any()  # [CLS] kept
    assert not changed[torch.arange(len(lengths)), lengths - 1].any()  # [SEP] kept
    assert not (changed & (plain["attention_mask"] == 0)).any()  # padding kept


def test_cue_line_mask_hides_whole_chrome_lines_and_leaves_article_lines(tokenizer, registry):
    page = ["وقال وزير الخارجية إن المفاوضات ستستأنف الأسبوع المقبل في القاهرة", "لا يفوتك", "حجم الخط", "وأضاف أن الوفد سيعود بعد التشاور"]
    featurize = make_feature_fn(tokenizer, registry, max_tokens=24, stride=8)
    columns = featurize({"paragraphs": [[{"text": t, "kind": "text"} for t in page]]})
    features = [{k: v[0] for k, v in columns.items()}]
    plain = DocumentCollator(pad_token_id=tokenizer.pad_token_id)(features)
    masked = DocumentCollator(tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id, cue_line_mask=1.0)(features)
    inner = plain["attention_mask"].bool() & (torch.arange(plain["input_ids"].shape[1]) > 0)
    inner &= torch.arange(plain["input_ids"].shape[1]) < plain["attention_mask"].sum(1, keepdim=True) - 1
    hidden = (masked["input_ids"] == tokenizer.mask_token_id) & inner
    for chunk, paragraph in enumerate(masked["chunk_paragraph"].tolist()):
        if paragraph in (1, 2):  # the read-also marker and the font-size widget
            assert hidden[chunk][inner[chunk]].all()
        else:
            assert not hidden[chunk].any()
        assert masked["input_ids"][chunk, 0] == plain["input_ids"][chunk, 0]  # [CLS] kept
    off = DocumentCollator(tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id)(features)
    assert torch.equal(off["input_ids"], plain["input_ids"])


def _attention_model(tiny_model):
    from models.modeling import NewsPageConfig

    torch.manual_seed(0)
    config = NewsPageConfig(**{**tiny_model.config.to_dict(), "context_attention_heads": 2})
    return NewsPageModel(config).eval()


def test_paragraph_attention_ignores_the_padding_of_shorter_pages(tiny_model, pages, tokenizer, registry):
    model = _attention_model(tiny_model)
    short_first = sorted(pages[:6], key=lambda p: len(p["paragraphs"]))
    assert len(short_first[0]["paragraphs"]) < len(short_first[-1]["paragraphs"])
    alone, together = _batch(short_first[:1], tokenizer, registry, n=1), _batch([short_first[0], short_first[-1]], tokenizer, registry)
    n = len(short_first[0]["paragraphs"])
    with torch.no_grad():
        a, b = model(**alone).kind_logits, model(**together).kind_logits[:n]
    assert torch.allclose(a, b, atol=1e-5)  # the longer page's paragraphs and the padding stay out of the short page


def test_paragraph_attention_lets_a_far_paragraph_change_the_first(tiny_model, pages, tokenizer, registry):
    model = _attention_model(tiny_model)
    assert model.context_attention is not None
    batch = _batch(pages, tokenizer, registry, n=1)
    with torch.no_grad():
        before = model(**batch).kind_logits[0]
        changed = dict(batch)
        changed["paragraph_features"] = batch["paragraph_features"].clone()
        changed["paragraph_features"][-1] += 1.0  # only the last paragraph changes
        after = model(**changed).kind_logits[0]
    assert not torch.allclose(before, after)


def test_stance_cue_mask_hides_the_cue_words_and_their_counts_and_keeps_the_label(tokenizer, registry):
    from models.features import STANCE_CUE_SLICE

    page = [
        {"text": "ندد الوزير بالهجوم ورفض التبريرات", "kind": "text", "stance": "critical", "actors": []},
        {"text": "وقال الوزير إن المفاوضات ستستأنف الأسبوع المقبل", "kind": "text", "stance": "neutral", "actors": []},
    ]
    featurize = make_feature_fn(tokenizer, registry, max_tokens=32, stride=8, cue_pieces=True)
    columns = featurize({"paragraphs": [page]})
    features = [{k: v[0] for k, v in columns.items()}]
    plain = DocumentCollator(pad_token_id=tokenizer.pad_token_id)(features)
    masked = DocumentCollator(tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id, stance_cue_mask=1.0)(features)
    changed = masked["input_ids"] != plain["input_ids"]
    assert (masked["input_ids"][changed] == tokenizer.mask_token_id).all()
    paragraph_of = masked["chunk_paragraph"]
    assert changed[paragraph_of == 0].any() and not changed[paragraph_of == 1].any()
    # «الوزير» and «بالهجوم» stay: only the cue words' pieces are hidden
    assert (~changed[paragraph_of == 0] & plain["attention_mask"][paragraph_of == 0].bool()).sum() > 2
    assert plain["paragraph_features"][0, STANCE_CUE_SLICE].sum() > 0
    assert masked["paragraph_features"][0, STANCE_CUE_SLICE].sum() == 0
    assert torch.equal(masked["paragraph_features"][1], plain["paragraph_features"][1])
    assert torch.equal(masked["stance_labels"], plain["stance_labels"])
    off = DocumentCollator(tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id)(features)
    assert torch.equal(off["input_ids"], plain["input_ids"])
    # featurised without the cue pieces (the default), the mask has nothing to hide
    bare = make_feature_fn(tokenizer, registry, max_tokens=32, stride=8)({"paragraphs": [page]})
    unmasked = DocumentCollator(tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id, stance_cue_mask=1.0)(
        [{k: v[0] for k, v in bare.items()}]
    )
    assert torch.equal(unmasked["input_ids"], plain["input_ids"])


def test_factorized_stance_is_a_distribution_whose_mixed_value_needs_both_detectors():
    from models.labels import STANCES
    from models.modeling import stance_log_probs

    # support sure, criticism sure / support sure, no criticism / neither
    detectors = torch.tensor([[4.0, 4.0], [4.0, -4.0], [-4.0, -4.0]])
    probs = stance_log_probs(detectors, list(STANCES)).exp()
    assert torch.allclose(probs.sum(-1), torch.ones(3))
    named = [dict(zip(STANCES, row.tolist(), strict=True)) for row in probs]
    assert max(named[0], key=named[0].get) == "mixed"
    assert max(named[1], key=named[1].get) == "supportive"
    assert max(named[2], key=named[2].get) == "neutral"
    sigmoid = torch.sigmoid(torch.tensor(4.0)).item()
    assert abs(named[0]["mixed"] - sigmoid**2) < 1e-5


def test_factorized_stance_model_trains_and_reloads(tiny_model, pages, tokenizer, registry, tmp_path):
    from models.modeling import NewsPageConfig

    torch.manual_seed(0)
    model = NewsPageModel(NewsPageConfig(**{**tiny_model.config.to_dict(), "stance_factorized": True}))
    assert model.stance_head[-1].out_features == 2
    batch = _batch(pages, tokenizer, registry)
    out = model(**batch)
    assert out.stance_logits.shape[-1] == 4
    assert torch.allclose(out.stance_logits.exp().sum(-1), torch.ones(out.stance_logits.shape[0]), atol=1e-5)
    out.loss.backward()
    assert model.stance_head[-1].weight.grad.abs().sum() > 0
    model.eval().save_pretrained(tmp_path)
    loaded = NewsPageModel.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert torch.allclose(model(**batch).stance_logits, loaded(**batch).stance_logits, atol=1e-6)


def test_hide_matches_hides_each_registry_match_whole_or_not_at_all():
    import random

    from models.labels import BIO2ID
    from training.data import hide_matches

    b_pers, i_pers, b_loc = BIO2ID["B-PERS"], BIO2ID["I-PERS"], BIO2ID["B-LOC"]
    # a match cut by the chunk's start, a two-piece person name, a one-piece place
    row = [i_pers, 0, b_pers, i_pers, 0, b_loc, 0]
    assert hide_matches(row, 0.0) == row
    assert hide_matches(row, 1.0) == [0] * len(row)
    rng = random.Random(3)
    seen = {tuple(hide_matches(row, 0.5, rng)) for _ in range(200)}
    for out in seen:
        assert out[2] == out[3] == 0 or (out[2], out[3]) == (b_pers, i_pers)  # never half a name
        assert out[1] == out[4] == out[6] == 0
    assert len(seen) == 8  # the three matches are drawn independently


def test_gazetteer_match_dropout_hides_matches_and_leaves_the_words(tokenizer, registry):
    page = ["وقالت حركة حماس في بيان إنها تلقت دعوة من موسكو لزيارة روسيا الشهر المقبل", "وأضاف المتحدث أن الوفد سيعود بعد التشاور"]
    featurize = make_feature_fn(tokenizer, registry, max_tokens=32, stride=8)
    columns = featurize({"paragraphs": [[{"text": t, "kind": "text"} for t in page]]})
    features = [{k: v[0] for k, v in columns.items()}]
    plain = DocumentCollator(pad_token_id=tokenizer.pad_token_id)(features)
    assert plain["gazetteer_ids"].any()  # «حركة حماس», «موسكو» and «روسيا» are registry names
    hidden = DocumentCollator(tokenizer.pad_token_id, gazetteer_match_dropout=1.0)(features)
    assert not hidden["gazetteer_ids"].any()
    assert torch.equal(hidden["input_ids"], plain["input_ids"])
    assert torch.equal(hidden["tag_labels"], plain["tag_labels"])  # the names are still to be found


def test_article_only_actors_are_those_no_other_article_mentions():
    from training.data import article_only_actors

    def page(article, mentions):
        text = "وقال رئيس بلدية كفر سالم نادر عواد إن حركة حماس سلمت رسالة"
        actors = [{"start": text.index(s), "end": text.index(s) + len(s), "type": t, "actor": a} for s, t, a in mentions]
        return {"article": article, "paragraphs": [{"text": text, "kind": "text", "actors": actors}]}

    mayor, village, hamas = ("نادر عواد", "PERS", "NADER_AWAD"), ("كفر سالم", "LOC", "KAFR_SALEM"), ("حماس", "ORG", "HAMAS")
    pages = [page("a1", [mayor, village, hamas]), page("a1", [mayor, hamas]), page("a2", [village, hamas]), page(None, [mayor])]
    only = article_only_actors(pages)
    assert only == {"a1": frozenset({"NADER_AWAD"})}  # the village and Hamas are named in two articles


def test_the_leave_one_article_out_gazetteer_applies_to_its_article_pages_only(tokenizer, registry):
    from models.labels import BIO_TAGS

    paragraphs = [{"text": "استقبل لافروف وفد حماس في موسكو", "kind": "text"}]
    featurize = make_feature_fn(tokenizer, registry, max_tokens=32, stride=8, unknown_by_article={"a1": frozenset({"HAMAS"})})
    columns = featurize({"paragraphs": [paragraphs, paragraphs], "article": ["a1", "a2"]})
    own, other = ({BIO_TAGS[t] for row in doc for t in row} for doc in columns["gazetteer_ids"])
    assert "B-ORG" not in own and "B-PERS" in own
    assert "B-ORG" in other

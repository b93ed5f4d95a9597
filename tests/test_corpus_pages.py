import json
import random

import pytest

from models.labels import BODY_KINDS, KINDS
from models.text import split_paragraphs
from training.corpus import CorpusError, parse_article, split_of
from training.pages import PageAssembler, PageConfig
from training.render import render_text


def test_mention_offsets_are_computed_from_surface_strings(articles):
    paragraph = articles[0].paragraphs[2]
    assert [paragraph.text[m.start : m.end] for m in paragraph.actors] == ["حماس", "موسكو", "الخارجية الروسية"]
    assert paragraph.stances == [{"holder": "HAMAS", "target": "RUS", "polarity": "supportive"}]


def test_authoring_errors_name_file_line_and_field(registry):
    line = json.dumps(
        {"id": "x", "paragraphs": [{"kind": "title", "text": "عنوان عن روسيا", "mentions": [["موسكو", "LOC", "RUS"]]}]}, ensure_ascii=False
    )
    with pytest.raises(CorpusError, match=r"f.jsonl:3: paragraphs\[0\]: field 'mentions\[0\]'.*موسكو"):
        parse_article(line, "f.jsonl:3", registry)
    bad_id = line.replace("موسكو", "روسيا").replace('"RUS"', '"NOPE"')
    with pytest.raises(CorpusError, match="NOPE"):
        parse_article(bad_id, "f.jsonl:4", registry)
    glued = line.replace("عنوان عن روسيا", "دعوة لحماس").replace('["موسكو", "LOC", "RUS"]', '["لحماس", "ORG", "HAMAS"]')
    with pytest.raises(CorpusError, match="«لحماس» carries the clitic «ل»; tag «حماس»"):
        parse_article(glued, "f.jsonl:4", registry)
    wrong_stance = json.dumps(
        {"id": "y", "paragraphs": [{"kind": "text", "text": "رحبت روسيا", "stance": "critical", "stances": [["RUS", "UN", "supportive"]]}]},
        ensure_ascii=False,
    )
    with pytest.raises(CorpusError, match="'stance'"):
        parse_article(wrong_stance, "f.jsonl:5", registry)


def test_pages_are_deterministic_for_a_seed(articles, chrome):
    a = PageAssembler(chrome, articles).pages(seed=3)
    b = PageAssembler(chrome, articles).pages(seed=3)
    c = PageAssembler(chrome, articles).pages(seed=4)
    assert a == b
    assert a != c


def test_body_lines_come_from_the_main_article_with_their_annotations(articles, chrome):
    sources = {p.text: (a.id, p) for a in articles for p in a.paragraphs}
    unchanged = 0
    for page in PageAssembler(chrome, articles, PageConfig(pages_per_article=6)).pages(seed=1):
        main = next(a for a in articles if a.id == page["article"])
        main_text = " ".join(p.text for p in main.paragraphs)
        assert all(p["kind"] in KINDS for p in page["paragraphs"])
        for p in page["paragraphs"]:
            if p["kind"] not in BODY_KINDS:
                continue
            for actor in p["actors"]:  # every actor span still names an actor of the main article
                assert p["text"][actor["start"] : actor["end"]] in main_text
            if p["text"] in sources and sources[p["text"]][0] == page["article"]:
                unchanged += 1
                source = sources[p["text"]][1]
                assert p["kind"] == source.kind and p["stance"] == source.stance
                assert [p["text"][a["start"] : a["end"]] for a in p["actors"]] == [source.text[m.start : m.end] for m in source.actors]
            elif p["text"] in sources:  # another article's paragraph is never body
                pytest.fail(f"body line of another article on {page['id']}: {p['text']}")
    assert unchanged > 50


def test_the_same_sentence_is_text_on_its_page_and_related_on_another(articles, chrome):
    config = PageConfig(pages_per_article=6, p_pasted_articles=1.0, p_bare_page=0.0, p_cut_page=0.0)
    kinds: dict[str, set] = {}
    for page in PageAssembler(chrome, articles, config).pages(seed=2):
        for p in page["paragraphs"]:
            kinds.setdefault(p["text"], set()).add(p["kind"])
    assert any({"text", "related"} <= k for k in kinds.values())


def test_chrome_of_every_role_appears_around_articles(articles, chrome):
    pages = PageAssembler(chrome, articles, PageConfig(pages_per_article=20)).pages(seed=5)
    kinds = {p["kind"] for page in pages for p in page["paragraphs"]}
    assert kinds == set(KINDS)
    menus = [
        p for page in pages for p in page["paragraphs"] if p["kind"] == "ui" and p["text"] in {i.template for i in chrome.roles["nav"]}
    ]
    assert menus  # menu items printed one per line, as scraped menus are


def test_subheadings_captions_and_posts_sit_between_body_paragraphs_as_body(articles, chrome):
    config = PageConfig(
        pages_per_article=4,
        p_bare_page=0.0,
        p_cut_page=0.0,
        p_split=0.0,
        p_merge=0.0,
        p_subheadings=1.0,
        p_body_caption=1.0,
        p_embedded_post=1.0,
        p_body_label=1.0,
    )
    subheadings = {i.template for i in chrome.roles["subheading"]}
    posts = {i.template for i in chrome.roles["embedded_post"]}
    handles = {i.template for i in chrome.roles["embedded_post_handle"]}
    seen_caption_inside = False
    for page in PageAssembler(chrome, articles, config).pages(seed=7):
        main = next(a for a in articles if a.id == page["article"])
        body_texts = {p.text for p in main.body}
        paragraphs = page["paragraphs"]
        first = next(i for i, p in enumerate(paragraphs) if p["text"] in body_texts)
        found = [i for i, p in enumerate(paragraphs) if p["text"] in subheadings]
        assert found, page["id"]
        for i in found:  # after the article's first body line, text with no actor and neutral stance
            assert i > first and paragraphs[i]["kind"] == "text"
            assert paragraphs[i]["actors"] == [] and paragraphs[i]["stance"] == "neutral"
        assert all(p["kind"] == "text" for p in paragraphs if p["text"] in posts)
        assert all(p["kind"] == "metadata" for p in paragraphs if p["text"] in handles)  # «— name (@handle) date»
        last = max(i for i, p in enumerate(paragraphs) if p["text"] in body_texts)
        seen_caption_inside |= any(p["kind"] == "caption" for p in paragraphs[first + 1 : last])
    assert seen_caption_inside


def test_a_glued_run_joins_chrome_lines_into_one_boilerplate_line_and_leaves_the_body_alone(articles, chrome):
    plain = PageConfig(pages_per_article=4, p_bare_page=0.0, p_cut_page=0.0, p_glued_run=0.0)
    glued = PageConfig(pages_per_article=4, p_bare_page=0.0, p_cut_page=0.0, p_glued_run=1.0)
    pairs = [(article, seed) for article in articles for seed in range(4)]
    before = [PageAssembler(chrome, articles, plain).page(a, random.Random(seed), a.id) for a, seed in pairs]
    after = [PageAssembler(chrome, articles, glued).page(a, random.Random(seed), a.id) for a, seed in pairs]
    joined = 0
    for a, b in zip(before, after, strict=True):
        body_a = [p["text"] for p in a["paragraphs"] if p["kind"] in BODY_KINDS]
        body_b = [p["text"] for p in b["paragraphs"] if p["kind"] in BODY_KINDS]
        assert body_a == body_b, a["id"]  # nothing of the article is glued (same seed: same draws before the glue)
        new = [p for p in b["paragraphs"] if p["text"] not in {q["text"] for q in a["paragraphs"]}]
        for p in new:
            assert p["kind"] not in BODY_KINDS
            parts = [q["text"] for q in a["paragraphs"] if q["kind"] not in BODY_KINDS and q["text"] in p["text"]]
            assert len(parts) >= 2, p["text"]
            joined += 1
        assert len(new) <= 1
    assert joined > len(after) // 2


def test_a_name_caption_keeps_its_actor_span_inside_brackets_and_suffixes(articles, chrome):
    config = PageConfig(pages_per_article=30, p_name_caption=1.0, p_no_title=0.0, p_bare_page=0.0)
    captions = [p for page in PageAssembler(chrome, articles, config).pages(seed=3) for p in page["paragraphs"] if p["kind"] == "caption"]
    named = [p for p in captions if p["actors"]]
    assert any(p["text"].startswith("[ ") for p in named)
    names = {p.text[m.start : m.end] for a in articles for p in a.paragraphs for m in p.actors}
    for p in named:
        (actor,) = p["actors"]
        assert p["text"][actor["start"] : actor["end"]] in names


def test_splits_are_by_article_and_stable():
    assert split_of("gaza-001") == split_of("gaza-001")
    splits = [split_of(f"doc-{i}") for i in range(2000)]
    assert 0.05 < splits.count("test") / 2000 < 0.15
    assert 0.05 < splits.count("dev") / 2000 < 0.15


def test_pages_of_a_split_only_show_articles_of_that_split(data_dir, tmp_path):
    from training.build_data import build

    build(data_dir, tmp_path, seed=5, config=PageConfig(pages_per_article=2))
    texts_by_split = {}
    for split in ("train", "dev", "test"):
        lines = (tmp_path / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        texts_by_split[split] = {p["text"] for line in lines for p in json.loads(line)["paragraphs"] if len(p["text"]) > 40}
    assert not texts_by_split["train"] & texts_by_split["test"]
    assert not texts_by_split["train"] & texts_by_split["dev"]
    assert json.loads((tmp_path / "stats.json").read_text())["pages"]["train"] > 0


def test_rendered_page_splits_back_into_its_paragraphs(pages):
    for n, page in enumerate(pages):
        text = render_text(page, seed=n)
        assert [p.text for p in split_paragraphs(text)] == [p["text"] for p in page["paragraphs"]]


def test_an_authored_page_keeps_its_lines_and_lends_its_article(resources, registry):
    from training.corpus import parse_page

    line = (resources / "pages.jsonl").read_text(encoding="utf-8").splitlines()[0]
    page = parse_page(line, "pages.jsonl:1", registry)
    document = page.to_document()
    assert [p["kind"] for p in document["paragraphs"]][:4] == ["ui", "ui", "related", "title"]
    title = document["paragraphs"][3]
    assert [title["text"][a["start"] : a["end"]] for a in title["actors"]] == ["حماس", "موسكو"]
    article = page.article()
    assert article is not None and article.title is not None and article.title.text == title["text"]
    assert [p.kind for p in article.body] == ["caption", "text", "text", "text"]
    with pytest.raises(CorpusError, match=r"x:1: paragraphs\[0\]: field 'kind' is 'menu'"):
        parse_page(line.replace('"kind": "ui"', '"kind": "menu"', 1), "x:1", registry)


def test_a_mention_is_found_as_a_word_not_inside_a_longer_one():
    from training.corpus import find_mention

    text = "وزير الرياضة يزور الرياض، ولحماس وفد في القاهرة"
    assert find_mention(text, "الرياض", 0) == text.index("الرياض،")
    assert find_mention(text, "حماس", 0) == text.index("حماس")  # after the glued clitic ل
    assert find_mention("السفير الإسرائيلي", "إسرائيل", 0) == "السفير الإسرائيلي".index("إسرائيل")  # no whole-word use: the first one


def test_build_refuses_data_that_does_not_validate_and_names_the_line(data_dir, tmp_path):
    import shutil

    from training.build_data import CorpusError, build

    bad_root = tmp_path / "data"
    shutil.copytree(data_dir, bad_root)
    bad = {"id": "bad-1", "topic": "diplomacy", "paragraphs": [{"kind": "text", "text": "رحبت القاهرة بالاتفاق", "mentions": None}]}
    articles = bad_root / "articles" / "tiny.jsonl"
    articles.write_text(articles.read_text(encoding="utf-8") + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    line = len(articles.read_text(encoding="utf-8").splitlines())
    with pytest.raises(CorpusError, match=rf"tiny.jsonl:{line}: paragraphs\[0\]: field 'mentions'"):
        build(bad_root, tmp_path / "build", seed=5, config=PageConfig(pages_per_article=2))
    assert not (tmp_path / "build" / "train.jsonl").exists()


def test_an_article_without_annotated_stance_trains_actors_but_not_stance(resources, registry, chrome):
    from training.data import _paragraph_gold

    raw = json.loads((resources / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0])
    annotated = parse_article(json.dumps(raw, ensure_ascii=False), "f.jsonl:1", registry)
    raw["stance_annotated"] = False
    plain = parse_article(json.dumps(raw, ensure_ascii=False), "f.jsonl:1", registry)
    assert any(p.stances for p in annotated.paragraphs)
    assert all(p.stance is None and p.stances == [] for p in plain.paragraphs)
    assert [[(m.start, m.end, m.actor) for m in p.actors] for p in plain.paragraphs] == [
        [(m.start, m.end, m.actor) for m in p.actors] for p in annotated.paragraphs
    ]
    body = [p for page in PageAssembler(chrome, [plain], PageConfig(pages_per_article=4)).pages(seed=2) for p in page["paragraphs"]]
    texts = {p.text for p in plain.paragraphs}
    body = [p for p in body if p["kind"] in BODY_KINDS and p["text"] in texts]  # the article's own lines, not generated captions
    assert body and all("stance" not in p and "stances" not in p for p in body)
    assert all(_paragraph_gold(p)[1] == -100 and _paragraph_gold(p)[2] is not None for p in body)
    raw["stance_annotated"] = "no"
    with pytest.raises(CorpusError, match="'stance_annotated' must be true or false"):
        parse_article(json.dumps(raw, ensure_ascii=False), "f.jsonl:1", registry)

"""The chrome vocabulary (pools, filling, dates) and scraping noise on annotated paragraphs."""

import json
import random
from datetime import datetime

import pytest

from training.chrome import DATE_STYLES, ChromeError, ChromeLibrary, date_text, fill, pool_of, read_categories
from training.noise import merge_paragraphs, relocate, split_paragraph, title_variant, truncate_paragraph

PARAGRAPH = {
    "text": "رحبت حماس بقرار الأمم المتحدة، وقالت إن موسكو تدعم التهدئة في غزة.",
    "kind": "text",
    "stance": "supportive",
    "actors": [
        {"start": 5, "end": 9, "type": "ORG", "actor": "HAMAS"},
        {"start": 16, "end": 29, "type": "ORG", "actor": "UN"},
        {"start": 40, "end": 45, "type": "LOC", "actor": "RUS"},
        {"start": 62, "end": 65, "type": "LOC", "actor": "GAZA_STRIP"},
    ],
    "stances": [{"holder": "HAMAS", "target": "UN", "polarity": "supportive"}],
}


def _surfaces(paragraph):
    return [paragraph["text"][a["start"] : a["end"]] for a in paragraph["actors"]]


def test_the_test_paragraph_is_annotated_right():
    assert _surfaces(PARAGRAPH) == ["حماس", "الأمم المتحدة", "موسكو", "غزة"]


def test_held_out_pool_shares_no_item_with_the_training_pool(resources):
    categories = read_categories(resources / "chrome.json")
    train, heldout = ChromeLibrary.from_categories(categories, "train"), ChromeLibrary.from_categories(categories, "heldout")
    for role in ("nav", "share", "footer", "headline"):
        big_enough = {i.template for i in train.roles[role]} != {i.template for i in heldout.roles[role]}
        if big_enough:  # a category with items in both pools splits them
            assert not {i.template for i in train.roles[role]} & {i.template for i in heldout.roles[role]}
    assert pool_of("حجم الخط") == pool_of("حجم الخط")
    shares = [pool_of(f"عنصر {n}") for n in range(2000)]
    assert 0.15 < shares.count("heldout") / 2000 < 0.25


def _write(path, categories):
    path.write_text(json.dumps(categories, ensure_ascii=False), encoding="utf-8")


def test_a_train_only_category_feeds_training_pages_and_leaves_the_held_out_pool_as_it_was(tmp_path):
    shared = {"ad": {"kind": "ad", "items": [f"إعلان رقم {n}" for n in range(40)]}}
    _write(tmp_path / "a.json", shared)
    before = ChromeLibrary.load(tmp_path, "heldout").roles["ad"]
    _write(tmp_path / "b.json", {"ad": {"kind": "ad", "pool": "train", "items": ["محتوى برعاية شريك", "روابط ممولة"]}})
    train, heldout = ChromeLibrary.load(tmp_path, "train"), ChromeLibrary.load(tmp_path, "heldout")
    assert {"محتوى برعاية شريك", "روابط ممولة"} <= {i.template for i in train.roles["ad"]}
    assert heldout.roles["ad"] == before


def test_a_train_only_item_may_not_repeat_a_held_out_one(tmp_path):
    assert pool_of("لا يفوتك") == "heldout"
    _write(tmp_path / "a.json", {"inline_markers": {"kind": "related", "items": ["لا يفوتك", "اقرأ أيضاً:"]}})
    _write(tmp_path / "b.json", {"inline_markers": {"kind": "related", "pool": "train", "items": ["لا يفوتك", "طالع كذلك ←"]}})
    with pytest.raises(ChromeError, match="repeat held-out items: 'لا يفوتك'"):
        ChromeLibrary.load(tmp_path, "train")
    _write(tmp_path / "b.json", {"inline_markers": {"kind": "related", "pool": "heldout", "items": ["طالع كذلك ←"]}})
    with pytest.raises(ChromeError, match="'pool' may only be"):
        ChromeLibrary.load(tmp_path, "train")


def test_items_keep_their_own_kind_and_placeholders_are_filled(chrome):
    placeholders = {item.template: item.kind for item in chrome.roles["placeholder"]}
    assert placeholders["[ad_2]"] == "ad" and placeholders["{{ post.title }}"] == "ui"
    assert fill("© {year} {outlet} {unknown}", {"year": "2024", "outlet": "بوابة المساء"}) == "© 2024 بوابة المساء {unknown}"
    assert fill("{n} مشاهدة", {"n": "1520"}, arabic_digits=True) == "١٥٢٠ مشاهدة"


def test_a_malformed_chrome_file_names_file_and_category(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"nav": {"kind": "menu", "items": ["الرئيسية"]}}', encoding="utf-8")
    with pytest.raises(ChromeError, match=r"bad.json: category 'nav'"):
        read_categories(bad)
    bad.write_text('{"nav": {"kind": "ui", "items": [["الرئيسية", "sidebar"]]}}', encoding="utf-8")
    with pytest.raises(ChromeError, match=r"nav.items\[0\]"):
        read_categories(bad)
    with pytest.raises(ChromeError, match="no chrome files"):
        ChromeLibrary.load(tmp_path / "missing")


def test_every_date_style_writes_a_line_with_the_year_or_a_time():
    when = datetime(2025, 3, 9, 14, 5, 7)
    for style in DATE_STYLES:
        text = date_text(random.Random(1), when, style)
        assert text and "\n" not in text
        assert "2025" in text or "14:05" in text or "2:05" in text or "منذ" in text, style


@pytest.mark.parametrize("seed", range(6))
def test_split_keeps_every_actor_that_is_not_cut(seed):
    parts = split_paragraph(PARAGRAPH, random.Random(seed))
    assert len(parts) == 2
    assert " ".join(p["text"] for p in parts) == PARAGRAPH["text"]
    assert [s for p in parts for s in _surfaces(p)] == _surfaces(PARAGRAPH)
    assert all("stance" not in p for p in parts)  # a fragment's stance is unknown


def test_truncation_cuts_mid_line_and_keeps_the_actors_before_the_cut():
    for seed in range(10):
        cut = truncate_paragraph(PARAGRAPH, random.Random(seed))
        assert PARAGRAPH["text"].startswith(cut["text"]) and len(cut["text"]) < len(PARAGRAPH["text"])
        assert _surfaces(cut) == _surfaces(PARAGRAPH)[: len(cut["actors"])]
        assert all(cut["text"][a["start"] : a["end"]] in _surfaces(PARAGRAPH) for a in cut["actors"])


def test_merge_shifts_the_second_paragraphs_actors_and_combines_stance():
    second = {
        "text": "واحتجت إسرائيل على القرار.",
        "kind": "text",
        "stance": "critical",
        "actors": [{"start": 7, "end": 14, "type": "LOC", "actor": "ISR"}],
        "stances": [{"holder": "ISR", "target": "UN", "polarity": "critical"}],
    }
    merged = merge_paragraphs(PARAGRAPH, second)
    assert _surfaces(merged) == _surfaces(PARAGRAPH) + ["إسرائيل"]
    assert merged["stance"] == "mixed" and len(merged["stances"]) == 2


def test_a_re_rendered_title_finds_its_actors_again():
    text = "حماس ترحب بقرار «الأمم المتحدة».."
    un = text.index("الأمم")
    actors = [{"start": 0, "end": 4, "type": "ORG", "actor": "HAMAS"}, {"start": un, "end": un + 13, "type": "ORG", "actor": "UN"}]
    title = {**PARAGRAPH, "text": text, "actors": actors}
    moved = relocate(title, "حماس ترحب بقرار الأمم المتحدة")
    assert _surfaces(moved) == ["حماس", "الأمم المتحدة"] and moved["stance"] == "supportive"
    dropped = relocate(title, "ترحيب بقرار الأمم المتحدة")
    assert _surfaces(dropped) == ["الأمم المتحدة"] and "stance" not in dropped
    variants = {title_variant(title, random.Random(seed))["text"] for seed in range(40)}
    assert title["text"] in variants and len(variants) > 1

"""What a user would otherwise reach for, run on the same gold paragraphs.

* jusText with its Arabic stoplist (its defaults, and the settings trafilatura uses
  for its jusText fallback), and trafilatura itself: both are built for HTML, so
  each page is fed as one HTML document with one ``<p>`` per paragraph;
* a cue-phrase rule baseline (the cue lists of :mod:`models.cues`): a read-also marker cuts the rest of the page, known
  chrome phrases, date-only lines and short lines are boilerplate;
* actors: longest-match lookup of the registry's names;
* stance: a lexicon of supportive and critical verbs and nouns;
* triples: the rule the project used before its triple head (paragraph stance + linked actors).

Every peer returns, per document, one dict per paragraph with ``kind`` (and, where
it has them, ``actors``/``stance``), aligned with the input paragraphs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from models.cues import READ_ALSO, SENTENCE_END_RE, chrome_kind, folded, is_date_like, stance_cues, starts_with_any
from models.registry import ActorRegistry

PeerFn = Callable[[Sequence[str]], list[dict]]


def rule_baseline(paragraphs: Sequence[str]) -> list[dict]:
    """Cue phrases: a read-also marker after the body cuts the rest; chrome phrases; dates; short lines."""
    out: list[dict] = []
    cut = False
    seen_body = False
    for text in paragraphs:
        key = folded(text)
        words = key.split()
        if seen_body and starts_with_any(key, READ_ALSO):
            cut = True
        if cut:
            out.append({"kind": "related"})
            continue
        kind = chrome_kind(key)
        if kind is None and is_date_like(key):
            kind = "metadata"
        ends_sentence = bool(SENTENCE_END_RE.search(text.strip()))
        if kind is None and len(words) < 6 and not ends_sentence:
            kind = "title" if not seen_body and len(words) >= 4 else "ui"
        if kind is None:
            kind = "title" if not seen_body and len(words) <= 25 and not ends_sentence else "text"
            seen_body = seen_body or kind == "text"
        out.append({"kind": kind})
    return out


def _html_page(paragraphs: Sequence[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f'<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title></title></head><body>\n{body}\n</body></html>'


def _justext(paragraphs: Sequence[str], **settings) -> list[dict]:
    import justext

    stoplist = justext.get_stoplist("Arabic")
    found = justext.justext(_html_page(paragraphs).encode("utf-8"), stoplist, encoding="utf-8", **settings)
    kept = [not p.is_boilerplate for p in found]
    texts = [p.text for p in found]
    out = []
    j = 0
    for text in paragraphs:  # jusText keeps <p> blocks one for one; align by text to be safe
        while j < len(texts) and " ".join(texts[j].split()) != " ".join(html.unescape(html.escape(text)).split()):
            j += 1
        body = kept[j] if j < len(kept) else False
        out.append({"kind": "text" if body else "ui"})
        j = j + 1 if j < len(texts) else j
    return out


def justext_default(paragraphs: Sequence[str]) -> list[dict]:
    return _justext(paragraphs)


def justext_trafilatura_settings(paragraphs: Sequence[str]) -> list[dict]:
    """The settings trafilatura passes to jusText in its fallback (external.py)."""
    return _justext(
        paragraphs,
        length_low=50,
        length_high=200,
        stopwords_low=0.1,
        stopwords_high=0.2,
        max_link_density=0.25,
        max_heading_distance=150,
        no_headings=False,
    )


def trafilatura_peer(paragraphs: Sequence[str]) -> list[dict]:
    import trafilatura

    extracted = (
        trafilatura.extract(_html_page(paragraphs), output_format="txt", include_comments=False, include_tables=False, favor_recall=True)
        or ""
    )
    kept = {" ".join(line.split()) for line in extracted.splitlines() if line.strip()}
    return [{"kind": "text" if " ".join(t.split()) in kept else "ui"} for t in paragraphs]


def dictionary_actors(registry: ActorRegistry) -> PeerFn:
    """Registry longest-match as an actor tagger (type and id from the registry)."""

    def tag(paragraphs: Sequence[str]) -> list[dict]:
        return [
            {"actors": [{"start": m.start, "end": m.end, "type": m.actor.type, "actor": m.actor.id} for m in registry.find(t)]}
            for t in paragraphs
        ]

    return tag


def lexicon_stance(paragraphs: Sequence[str]) -> list[dict]:
    """Supportive/critical cue words anywhere in the paragraph; both → mixed; none → neutral."""
    out = []
    for text in paragraphs:
        supportive, critical = stance_cues(folded(text))
        stance = "mixed" if supportive and critical else "supportive" if supportive else "critical" if critical else "neutral"
        out.append({"stance": stance})
    return out


def _can_hold_stance(actor_id: str, registry: ActorRegistry) -> bool:
    """People, organisations and states hold and receive stances; cities and regions as places do not."""
    actor = registry.get(actor_id)
    return actor is not None and (actor.type in ("PERS", "ORG") or (len(actor_id) == 3 and actor_id.isalpha()))


def rule_triples(predicted: list[dict], registry: ActorRegistry) -> list[dict]:
    """Triples by rule from a document's predicted stance and linked actors (the model's own triples are replaced).

    The holder is the paragraph's first linked person or organisation (else its first
    linked state, else the previous body paragraph's holder); every other linked person,
    organisation or state that is not the holder's affiliation is a target, with the
    paragraph's polarity. Mixed paragraphs get none.
    """
    out, previous = [], None
    for p in predicted:
        if p.get("stance") is None:
            out.append(dict(p, stances=[]))
            continue
        ids = [a["actor"] for a in p.get("actors") or [] if a.get("actor") and _can_hold_stance(a["actor"], registry)]
        people = [a["actor"] for a in p.get("actors") or [] if a.get("actor") in ids and a["type"] in ("PERS", "ORG")]
        holder = (people or ids or [previous])[0]
        triples = []
        if p["stance"] in ("supportive", "critical") and holder:
            registered = registry.get(holder)
            affiliation = registered.affiliation if registered else None
            triples = [
                {"holder": holder, "target": t, "polarity": p["stance"]} for t in dict.fromkeys(ids) if t not in (holder, affiliation)
            ]
        out.append(dict(p, stances=triples))
        previous = holder or previous
    return out


PARAGRAPH_PEERS: dict[str, PeerFn] = {
    "rules (cue phrases)": rule_baseline,
    "jusText (Arabic, default)": justext_default,
    "jusText (trafilatura's settings)": justext_trafilatura_settings,
    "trafilatura (HTML-built)": trafilatura_peer,
}

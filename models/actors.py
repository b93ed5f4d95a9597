"""From word-piece tags to the actors of a document: spans, clitics trimmed, ids linked.

Spans come from the tagger (:func:`models.features.decode_tags`); the linker
(:mod:`models.linking`) trims a glued clitic and gives each span its registry id. Two
document-level steps follow, as a reader would resolve names:

* a span the linker cannot place but that is part of a name linked elsewhere in the
  same document takes that name's id («العريض» after «علي العريض»);
* a registry name that strictly contains a tagged span that is no name by itself, or
  that covers two or more tagged spans, replaces them («الدولية للطاقة الذرية» →
  «الوكالة الدولية للطاقة الذرية»; «جيش» + «الاحتلال» → «جيش الاحتلال»), keeping the
  tagger's type; a span that is a name already («حماس» in «حركة حماس») stays as tagged;
* a state body named without its state («مجلس الوزراء», «وزارة الخارجية», «البرلمان»: a
  surface whose training mentions are spread over several states, none holding most of
  them) is the body of the state the page names most (:func:`resolve_state_bodies`); the
  linker alone gives it the state most of the training pages meant, the same for every page;
* optionally, registry names the tagger missed are added where they overlap no tagged
  span (``registry_spans``), with the registry's type.

An actor the registry does not know keeps ``actor: None`` and its surface: never a guessed id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .bio import is_open_word, viterbi
from .features import EncodedDocument, decode_tags, word_spans
from .linking import ActorLinker
from .registry import ActorRegistry, is_state_id, key_of


@dataclass
class ActorPrediction:
    start: int
    end: int
    text: str
    type: str
    actor: str | None
    probability: float


@dataclass
class ActorDecoder:
    linker: ActorLinker
    registry_spans: bool = False
    registry_refine: bool = True
    open_words: bool = True  # a span that takes a word no name ends with goes on (models.bio)
    state_bodies: bool = True  # a state body named without its state takes the page's state

    @cached_property
    def _state_body_keys(self) -> set[str]:
        """Found once per decoder from the linker's training counts, not once per document."""
        return state_body_keys(self.linker.surface_counts)

    def paragraph_spans(self, doc: EncodedDocument, tag_probs: dict[int, list[list[float]]], texts: Sequence[str]) -> dict[int, list]:
        """Tagged (start, end, type, score) spans per paragraph, from the tag probabilities of the chunks that were tagged.

        A word's tag is read off its first piece (as in training); the other pieces are not decoded.
        The words' tags are the most probable valid BIO sequence (:func:`models.bio.viterbi`); with
        ``open_words`` on, a span does not end on a name particle or a construct head of the
        paragraphs' ``texts``.
        """
        spans: dict[int, list] = {}
        for chunk, paragraph in enumerate(doc.chunk_paragraph):
            if chunk not in tag_probs:
                continue
            pieces = word_spans(doc.token_spans[chunk], doc.word_starts[chunk])
            firsts = [i for i, span in enumerate(pieces) if span is not None]
            opens = None
            if self.open_words:
                opens = [is_open_word(texts[paragraph][pieces[i][0] : pieces[i][1]]) for i in firsts]  # type: ignore[index]
            ids, scores = viterbi([tag_probs[chunk][i] for i in firsts], opens)
            spans.setdefault(paragraph, []).extend(decode_tags([pieces[i] for i in firsts], ids, scores))
        return spans

    def refine(self, text: str, spans: Sequence[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
        """Tagged spans widened or merged to the registry names that contain them (see the module docstring)."""
        out = sorted(spans)
        for match in self.linker.registry.find(text):
            inside = [s for s in out if match.start <= s[0] and s[1] <= match.end]
            if not inside or (
                len(inside) == 1 and (inside[0][:2] == (match.start, match.end) or self.linker.known(text[inside[0][0] : inside[0][1]]))
            ):
                continue
            merged = (match.start, match.end, inside[0][2], sum(s[3] for s in inside) / len(inside))
            out = sorted([s for s in out if s not in inside] + [merged])
        return out

    def paragraph_actors(self, text: str, spans: Sequence[tuple[int, int, str, float]]) -> list[ActorPrediction]:
        actors: list[ActorPrediction] = []
        last_end = -1
        if self.registry_refine:
            spans = self.refine(text, spans)
        for start, end, entity_type, score in sorted(spans):
            if start < last_end:  # the same span seen again in an overlapping chunk
                continue
            start, end = without_quotes(text, start, end)
            start = self.linker.trim(text, start, end)
            actors.append(
                ActorPrediction(start, end, text[start:end], entity_type, self.linker.link(text, start, end, entity_type), round(score, 4))
            )
            last_end = end
        if self.registry_spans:
            for match in self.linker.registry.find(text):
                if all(match.end <= a.start or a.end <= match.start for a in actors):
                    actors.append(ActorPrediction(match.start, match.end, text[match.start : match.end], match.type, match.actor.id, 0.5))
            actors.sort(key=lambda a: a.start)
        return actors

    def document_actors(self, texts: Sequence[str], spans: dict[int, list]) -> dict[int, list[ActorPrediction]]:
        """Actors of every paragraph that has tagged spans, linked with the whole document in view."""
        actors = {index: self.paragraph_actors(texts[index], paragraph_spans) for index, paragraph_spans in sorted(spans.items())}
        resolve_partial_names(actors)
        if self.state_bodies:
            resolve_state_bodies(actors, self.linker.registry, self._state_body_keys)
        return actors


_QUOTES = '«»"“”„‟'


def without_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """A span cut to the name inside the quote marks it crosses.

    A name quoted in running text is annotated inside its quotes (SPEC.md offsets are the
    name's); the tagger sometimes runs on from the word before the quote (صحيفة "واشنطن بوست,
    ميليشيا «الدعم السريع). The part after the last quote mark is kept, or, when nothing
    follows it, the part before the first.
    """
    span = text[start:end]
    marks = [i for i, ch in enumerate(span) if ch in _QUOTES]
    if not marks:
        return start, end
    after = span[marks[-1] + 1 :]
    if after.strip():
        new_start = start + marks[-1] + 1 + (len(after) - len(after.lstrip()))
        return new_start, end
    before = span[: marks[0]].rstrip()
    return (start, start + len(before)) if before else (start, end)


def resolve_partial_names(actors: dict[int, list[ActorPrediction]]) -> None:
    """Give a short name the id of the longer name of the document that contains its words.

    An unlinked span takes the id of the one longer linked name of its type that holds its
    words. A person's partial name («عبد الله», «حسين») follows the person the document
    introduced by a longer name, linked or not, even where the linker gave it another
    person's id from the registry or from training: in news a person named by one word has
    been named in full earlier, so «الملك عبد الله» after «عبد الله الثاني» is the king,
    and «حسين» after a diplomat the registry lacks («سامي عادل حسين») comes back unlinked
    rather than as another Hussein. Where two longer names of the document hold the words, nothing changes.
    """
    mentions = [(key_of(a.text).split(), a.actor, a.type) for paragraph in actors.values() for a in paragraph]
    for paragraph in actors.values():
        for actor in paragraph:
            person = actor.type == "PERS"
            if actor.actor is not None and not person:
                continue
            words = key_of(actor.text).split()
            owners = {
                actor_id
                for name, actor_id, entity_type in mentions
                if entity_type == actor.type and (actor_id is not None or person) and len(name) > len(words) and _contains(name, words)
            }
            if len(owners) == 1:
                actor.actor = owners.pop()


def _contains(name: list[str], words: list[str]) -> bool:
    return any(name[i : i + len(words)] == words for i in range(len(name) - len(words) + 1))


STATE_BODY_MAX_SHARE = 0.6  # a surface whose commonest training state holds less than this share names no one state


def state_body_keys(surface_counts: dict[str, Counter]) -> set[str]:
    """Surfaces (keys) that training used for the bodies of several states, none of them most of the time."""
    keys = set()
    for key, counts in surface_counts.items():
        states = Counter({actor_id: n for actor_id, n in counts.items() if is_state_id(actor_id)})
        total = sum(counts.values())
        if len(states) >= 2 and sum(states.values()) >= 0.8 * total and states.most_common(1)[0][1] < STATE_BODY_MAX_SHARE * total:
            keys.add(key)
    return keys


def resolve_state_bodies(actors: dict[int, list[ActorPrediction]], registry: ActorRegistry, bodies: set[str]) -> None:
    """Give each state body named without its state the id of the state the document names most.

    The other mentions of the page vote: every mention linked to a state (an alpha-3 id the
    registry types as a place: not WHO, not a news agency) counts once (the state bodies
    themselves do not vote); a tie goes to the state named first. A page that names no state
    leaves the linker's id. ``bodies`` are the state bodies' keys (:func:`state_body_keys`).
    """

    def is_state(actor_id: str) -> bool:
        actor = registry.get(actor_id)
        return actor is not None and actor.is_state

    votes: Counter = Counter()
    first_seen: dict[str, int] = {}
    order = 0
    for index in sorted(actors):
        for actor in actors[index]:
            if actor.actor is not None and is_state(actor.actor) and key_of(actor.text) not in bodies:
                votes[actor.actor] += 1
                first_seen.setdefault(actor.actor, order)
                order += 1
    if not votes:
        return
    state = max(votes, key=lambda actor_id: (votes[actor_id], -first_seen[actor_id]))
    for paragraph in actors.values():
        for actor in paragraph:
            if actor.type != "PERS" and key_of(actor.text) in bodies:
                actor.actor = state

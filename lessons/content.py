"""What a lesson shows of a sense, read from the dictionary each time it is shown.

Where it sits: a lesson item holds only a public id (``hre-000123/1`` or ``hre-000123/1/2``);
``views`` resolves ids through ``dictionary.sense_ids.resolve`` (published entries only) and
returns frozen ``SenseView`` values that ``exercises`` turns into questions and ``grading``
checks answers against. Nothing is copied or cached: a linguist's correction is in the next
page a learner opens. Audio URLs come from ``recordings.approved_audio`` (approved, consented
recordings only).

An id that names an example gives the view of the example's *sense* whose ``examples`` hold
that one example (so ``exercises.build(…, CLOZE, …)`` on it uses exactly that sentence);
``example_views`` gives the ``ExampleView`` values themselves, for ``exercises.lesson_plan``.

``ExampleView.blank`` is where the taught word stands in the sentence, found with the
dictionary's text rules (exact key first, then toneless, then loose; headword or a listed
variant; a register mark such as ``.L`` after it is part of the word). No blank, no cloze.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import dictionary.sense_ids as sense_ids
from dictionary.models import PHONETIC, Entry, Example, Sense
from search_index import normalize
from search_index.chars import spans
from search_index.rules import Rules

from .keyboard import rules_for
from .recordings import approved_audio

__all__ = ["ExampleView", "SenseView", "example_views", "find_word", "views"]


@dataclass(frozen=True)
class ExampleView:
    ref: str  # hre-000123/1/2
    text: str
    translation_vi: str
    # (start, end) of the taught word in ``text``, or None when it cannot be found there.
    blank: tuple[int, int] | None = None

    @property
    def sense_ref(self) -> str:
        """The id of the sense the example belongs to (the card a cloze trains)."""
        return self.ref.rsplit("/", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "text": self.text, "translation_vi": self.translation_vi,
                "blank": list(self.blank) if self.blank else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExampleView:
        blank = data.get("blank")
        return cls(str(data["ref"]), str(data["text"]), str(data["translation_vi"]),
                   (int(blank[0]), int(blank[1])) if blank else None)


@dataclass(frozen=True)
class SenseView:
    ref: str  # hre-000123/1 (always the sense's id, even when looked up by an example's)
    public_id: str
    language: str  # lexicon language code: hre, cua
    headword: str
    phonetic: bool  # the headword is a linguist's phonetic transcription (a "phiên âm" pilot)
    glosses: tuple[str, ...]  # the Vietnamese glosses, "a; b" split
    gloss_vi: str  # as stored ("a; b")
    semantic_field: str | None
    variants: tuple[str, ...]  # other spellings / dialect forms of the entry
    examples: tuple[ExampleView, ...]
    audio_url: str | None

    @property
    def forms(self) -> tuple[str, ...]:
        """Every written form a learner may be asked to produce: headword, then variants."""
        return (self.headword, *self.variants)


# ---- finding the taught word in an example ---------------------------------------------------
def _register_re(rules: Rules | None) -> re.Pattern | None:
    # The same shape as the search keys' rule: a mark counts only at the end of a syllable.
    marks = sorted({m for m in (rules.tone_marks if rules else ()) if m},
                   key=lambda m: (-len(m), m))
    if not marks:
        return None
    return re.compile("(?:%s)(?!\\w)" % "|".join(map(re.escape, marks)), re.IGNORECASE)


def find_word(text: str, forms: Iterable[str], rules: Rules | None) -> tuple[int, int] | None:
    """(start, end) of the first occurrence in ``text`` of one of ``forms`` (one or more
    words), compared on the exact key, else the toneless key, else the loose key.

    >>> from lessons.keyboard import rules_for
    >>> text = "Zơ̆tok blɔ tanuh.L, ok"
    >>> found = find_word(text, ["zơtok"], None), find_word(text, ["tanuh.L"], rules_for("hre"))
    >>> [text[a:b] for a, b in found]
    ['Zơ̆tok', 'tanuh.L']
    >>> find_word(text, ["zuxo"], None) is None
    True
    """
    register = _register_re(rules)
    # Register marks become spaces of the same length, so offsets still point into ``text``.
    masked = register.sub(lambda m: " " * len(m.group()), text) if register else text
    tokens = spans(masked)
    keys = [normalize.keys(masked[a:b], rules) for a, b in tokens]
    targets = [[normalize.keys(w, rules) for w in normalize.words(form, rules)] for form in forms]
    targets = [t for t in targets if t]
    for tier in range(3):  # exact, toneless, loose
        for i in range(len(tokens)):
            for target in targets:
                n = len(target)
                if i + n > len(tokens):
                    continue
                if any(keys[i + k][tier] != target[k][tier] for k in range(n)):
                    continue
                # The words of a multi-word form must follow each other, spaces between.
                if any(masked[tokens[i + k][1]:tokens[i + k + 1][0]].strip() for k in range(n - 1)):
                    continue
                start, end = tokens[i][0], tokens[i + n - 1][1]
                while end < len(text) and masked[end] == " " and text[end] != " ":
                    end += 1  # the register mark written after the word belongs to it
                return start, end
    return None


# ---- reading views ---------------------------------------------------------------------------
def _example_view(entry: Entry, sense: Sense, example: Example, forms: tuple[str, ...],
                  rules: Rules | None) -> ExampleView:
    return ExampleView(sense_ids.example_id(entry.public_id, sense.position, example.position),
                       example.text, example.translation_vi, find_word(example.text, forms, rules))


def _load_entries(session: Session, refs: list[str]) -> list[Entry]:
    """The entries ``refs`` point into, with variants and language, in one round of queries.
    The caller keeps the list: the session holds objects weakly, and without a strong
    reference each ``sense.entry`` below would be read again, one query per entry."""
    public_ids = set()
    for ref in refs:
        try:
            public_ids.add(sense_ids.parse(ref).public_id)
        except ValueError:
            continue
    if not public_ids:
        return []
    return list(session.scalars(select(Entry).where(Entry.public_id.in_(public_ids))
                                .options(selectinload(Entry.variants),
                                         selectinload(Entry.language))))


def views(session: Session, refs: Iterable[str]) -> dict[str, SenseView]:
    """Ref → view of the sense it names (published entries only; refs that do not resolve
    are absent). A ref naming an example maps to its sense's view holding only that example."""
    refs = list(refs)
    loaded = {e.id: e for e in _load_entries(session, refs)}
    found = sense_ids.resolve(session, refs)
    senses = {ref: obj if isinstance(obj, Sense) else obj.sense for ref, obj in found.items()}
    entries = {s.entry_id: loaded.get(s.entry_id) or s.entry for s in senses.values()}
    audio = approved_audio(session, {e.public_id for e in entries.values()})
    out: dict[str, SenseView] = {}
    for ref, obj in found.items():
        sense = senses[ref]
        entry = entries[sense.entry_id]
        code = entry.language.code
        rules = rules_for(code)
        variants = tuple(v.form for v in entry.variants if v.form)
        forms = (entry.headword, *variants)
        chosen = [obj] if isinstance(obj, Example) else list(sense.examples)
        out[ref] = SenseView(
            ref=sense_ids.sense_id(entry.public_id, sense.position),
            public_id=entry.public_id,
            language=code,
            headword=entry.headword,
            phonetic=entry.form_kind == PHONETIC,
            glosses=tuple(sense.glosses_vi),
            gloss_vi=sense.gloss_vi,
            semantic_field=sense.semantic_field,
            variants=variants,
            examples=tuple(_example_view(entry, sense, x, forms, rules) for x in chosen),
            audio_url=audio.get(entry.public_id),
        )
    return out


def example_views(session: Session, refs: Iterable[str]) -> dict[str, ExampleView]:
    """Example ref → its ``ExampleView`` (published entries only); sense refs are ignored."""
    wanted = []
    for ref in refs:
        try:
            if sense_ids.parse(ref).example is not None:
                wanted.append(ref)
        except ValueError:
            continue
    return {ref: view.examples[0] for ref, view in views(session, wanted).items()}

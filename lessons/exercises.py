"""Exercises made from dictionary senses: what a lesson asks, in which order, and the options.

Where it sits: ``content.views`` (senses as the dictionary holds them now) → ``lesson_plan``
(the order of a lesson: intro cards, then interleaved questions) → ``build`` (one question
with its options, distractors read from the dictionary) → the study page, which signs
``Exercise.to_dict()`` into the form so a post cannot change the answer or the options →
``grading`` → the review log. ``for_review`` picks the question for a scheduled card.

Distractors come from the same language and the same semantic field first (then the rest of
the language), published, with a Vietnamese gloss; never another sense of the answer's entry,
never a sense sharing a gloss with it (a synonym would also be right: glosses compared one by
one on the exact key), never a form equal to one of its forms on the loose key (a variant or a
spelling of the same word), and never two options that clash with each other in those ways.
Choices are deterministic for a seed: the same lesson shows the same options on a reload.

Audio exercises are made only when the sense has an approved recording (``audio_url``); no
machine voice ever reads Hrê or Co.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from dictionary.models import PUBLISHED, Entry, Language, Sense
from search_index import normalize
from search_index.chars import is_word_char

from .content import ExampleView, SenseView
from .keyboard import letters, rules_for
from .models import LISTENING, PRODUCTION, RECOGNITION

__all__ = ["AUDIO_PICK_GLOSS", "CLOZE", "DICTATION", "Exercise", "INTRO", "KIND_OF",
           "PICK_FORM", "PICK_GLOSS", "TYPES", "TYPE_FORM", "WORD_BANK", "build", "can_build",
           "distractors", "for_review", "lesson_plan", "tiles"]

INTRO, PICK_GLOSS, PICK_FORM, TYPE_FORM = "intro", "pick_gloss", "pick_form", "type_form"
CLOZE, WORD_BANK = "cloze", "word_bank"
AUDIO_PICK_GLOSS, DICTATION = "audio_pick_gloss", "dictation"
TYPES = (INTRO, PICK_GLOSS, PICK_FORM, TYPE_FORM, CLOZE, WORD_BANK, AUDIO_PICK_GLOSS, DICTATION)
# The card each exercise trains ("" for the intro card: first exposure, nothing to answer).
KIND_OF = {INTRO: "", PICK_GLOSS: RECOGNITION, CLOZE: RECOGNITION, WORD_BANK: RECOGNITION,
           AUDIO_PICK_GLOSS: LISTENING, PICK_FORM: PRODUCTION, TYPE_FORM: PRODUCTION,
           DICTATION: PRODUCTION}
TYPED = frozenset({TYPE_FORM, DICTATION})  # graded by grading.grade_typed
AUDIO = frozenset({AUDIO_PICK_GLOSS, DICTATION})
# Questions per sense and per example item, in the order they are asked; when a lesson
# cannot interleave all of them, the last ones of the item that dominates are left out.
SENSE_TASKS = (PICK_GLOSS, PICK_FORM, TYPE_FORM)
AUDIO_TASKS = (AUDIO_PICK_GLOSS, DICTATION)
EXAMPLE_TASKS = (CLOZE, WORD_BANK)
OPTIONS = 4
BLANK = "＿＿＿"  # fullwidth low lines: one visible gap whatever the font


@dataclass
class Exercise:
    type: str
    ref: str  # the sense id of the card this trains (an example's sense for CLOZE/WORD_BANK)
    kind: str  # R | L | P, "" for INTRO
    prompt: str  # what is shown: a form, a gloss, a sentence with a gap, a translation
    options: list[str]  # choices, or the word bank's tiles; empty for typed answers
    answer: str
    audio_url: str | None = None
    example: ExampleView | None = None
    language: str = ""
    letters: list[str] = field(default_factory=list)  # on-screen keys for typed answers

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (strings, lists, None), for signing into the page."""
        return {"type": self.type, "ref": self.ref, "kind": self.kind, "prompt": self.prompt,
                "options": list(self.options), "answer": self.answer,
                "audio_url": self.audio_url,
                "example": self.example.to_dict() if self.example else None,
                "language": self.language, "letters": list(self.letters)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exercise:
        if data.get("type") not in TYPES or data.get("kind") != KIND_OF[data["type"]]:
            raise ValueError(f"not an exercise: {data.get('type')!r}/{data.get('kind')!r}")
        example = data.get("example")
        return cls(type=data["type"], ref=str(data["ref"]), kind=data["kind"],
                   prompt=str(data["prompt"]), options=[str(o) for o in data["options"]],
                   answer=str(data["answer"]), audio_url=data.get("audio_url"),
                   example=ExampleView.from_dict(example) if example else None,
                   language=str(data.get("language", "")),
                   letters=[str(x) for x in data.get("letters", [])])


# ---- tiles of a word bank --------------------------------------------------------------------
def _trim(chunk: str) -> str:
    start, end = 0, len(chunk)
    while start < end and not is_word_char(chunk[start]):
        start += 1
    while end > start and not is_word_char(chunk[end - 1]):
        end -= 1
    return chunk[start:end]


def tiles(text: str) -> list[str]:
    """The words of a sentence as word-bank tiles: split at spaces, punctuation at either
    end dropped (a register mark inside a word stays: ``tanuh.L``).

    >>> tiles("Zơ̆tok, blɔ tanuh.L — ʼbăh.")
    ['Zơ̆tok', 'blɔ', 'tanuh.L', 'ʼbăh']
    """
    return [t for t in map(_trim, normalize.clean(text).split()) if t]


def _word_bank_ok(example: ExampleView) -> bool:
    return len({normalize.exact_key(t) for t in tiles(example.text)}) >= 2


def _example_for(view: SenseView, exercise_type: str) -> ExampleView | None:
    for example in view.examples:
        if (example.blank is not None) if exercise_type == CLOZE else _word_bank_ok(example):
            return example
    return None


def can_build(view: SenseView, exercise_type: str) -> bool:
    """Whether ``build`` can make this exercise for ``view`` (audio, a usable example, a gloss)."""
    if exercise_type in AUDIO and not view.audio_url:
        return False
    if exercise_type in EXAMPLE_TASKS:
        return _example_for(view, exercise_type) is not None
    return exercise_type == INTRO or (exercise_type in TYPES and bool(view.glosses))


# ---- the order of a lesson -------------------------------------------------------------------
def _sense_tasks(view: SenseView) -> list[str]:
    if not view.glosses:
        return []
    return list(SENSE_TASKS) + (list(AUDIO_TASKS) if view.audio_url else [])


def _example_tasks(example: ExampleView) -> list[str]:
    return ([CLOZE] if example.blank is not None else []) + \
        ([WORD_BANK] if _word_bank_ok(example) else [])


def lesson_plan(views: Sequence[SenseView], examples: Sequence[ExampleView],
                seed: int | str) -> list[tuple[str, str]]:
    """(ref, exercise type) for a lesson: an intro card per sense (``views``: the lesson's
    sense items, in order), then the questions of every sense and example item, interleaved.

    The same ref never comes twice in a row (users asked for no back-to-back drilling): the
    next question is taken from the item with the most questions left other than the last one
    shown (ties drawn with ``seed``), which places every question whenever that is possible at
    all; questions that could only follow their own item are left out. A lesson of a single
    item cannot interleave and keeps them all.
    """
    rng = random.Random(f"plan|{seed}")
    plan: list[tuple[str, str]] = []
    queues: dict[str, list[str]] = {}
    for view in views:
        if view.ref not in queues:
            plan.append((view.ref, INTRO))
            queues[view.ref] = _sense_tasks(view)
    for example in examples:
        if example.ref not in queues:
            queues[example.ref] = _example_tasks(example)
    pending = {ref: list(tasks) for ref, tasks in queues.items() if tasks}
    single = len({ref for ref, _ in plan} | set(pending)) == 1
    previous = plan[-1][0] if plan else None
    while pending:
        choices = [ref for ref in pending if ref != previous] or (list(pending) if single else [])
        if not choices:
            break
        ref = max(choices, key=lambda r: (len(pending[r]), rng.random()))
        plan.append((ref, pending[ref].pop(0)))
        if not pending[ref]:
            del pending[ref]
        previous = ref
    return plan


def for_review(view: SenseView, kind: str) -> str:
    """The exercise for a scheduled card: R → form→gloss, L → audio→gloss (form→gloss if
    the recording has since been withdrawn), P → type the form."""
    if kind == LISTENING and view.audio_url:
        return AUDIO_PICK_GLOSS
    if kind == PRODUCTION:
        return TYPE_FORM
    return PICK_GLOSS


# ---- distractors -----------------------------------------------------------------------------
def _gloss_keys(glosses: Iterable[str]) -> set[str]:
    return {k for k in (normalize.exact_key(g) for g in glosses) if k}


def _candidates(view: SenseView):
    base = (select(Sense.id).join(Entry, Sense.entry_id == Entry.id)
            .join(Language, Entry.language_id == Language.id)
            .where(Language.code == view.language, Entry.status == PUBLISHED,
                   Entry.public_id != view.public_id, Sense.gloss_vi != "")
            .order_by(Sense.id))
    if not view.semantic_field:
        return [base]
    return [base.where(Sense.semantic_field == view.semantic_field),
            base.where(or_(Sense.semantic_field != view.semantic_field,
                           Sense.semantic_field.is_(None)))]


def distractors(session: Session, view: SenseView, rng: random.Random,
                n: int = OPTIONS - 1) -> list[tuple[str, str]]:
    """Up to ``n`` (headword, gloss_vi) pairs to set beside the answer (fewer only when the
    language has too few usable senses)."""
    rules = rules_for(view.language)
    # Every gloss of the answer's entry: another sense of the same word is no wrong answer.
    taken_glosses = _gloss_keys(view.glosses) | _gloss_keys(
        g for gloss in session.scalars(select(Sense.gloss_vi).join(Entry)
                                       .where(Entry.public_id == view.public_id))
        for g in gloss.split(";"))
    taken_forms = {normalize.loose_key(f, rules) for f in view.forms}
    picked: list[tuple[str, str]] = []
    for query in _candidates(view):
        ids = list(session.scalars(query))
        rng.shuffle(ids)
        for at in range(0, len(ids), 32):  # read a few at a time: a pool can be a whole lexicon
            chunk = ids[at:at + 32]
            rows = {s.id: s for s in session.scalars(
                select(Sense).where(Sense.id.in_(chunk))
                .options(selectinload(Sense.entry).selectinload(Entry.variants)))}
            for sense_id in chunk:
                sense = rows[sense_id]
                glosses = _gloss_keys(sense.glosses_vi)
                forms = {normalize.loose_key(f, rules)
                         for f in (sense.entry.headword, *(v.form for v in sense.entry.variants))}
                if not glosses or glosses & taken_glosses or forms & taken_forms:
                    continue
                picked.append((sense.entry.headword, sense.gloss_vi))
                taken_glosses |= glosses
                taken_forms |= forms
                if len(picked) == n:
                    return picked
    return picked


def _like(word: str, model: str) -> str:
    """``word`` capitalised as ``model`` is (a form at the start of a sentence)."""
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


# ---- building one exercise -------------------------------------------------------------------
def build(session: Session, view: SenseView, exercise_type: str, seed: int | str) -> Exercise:
    """One exercise for ``view``; ``ValueError`` if it cannot be made (``can_build``)."""
    if not can_build(view, exercise_type):
        raise ValueError(f"cannot make {exercise_type} for {view.ref}")
    example = _example_for(view, exercise_type) if exercise_type in EXAMPLE_TASKS else None
    rng = random.Random(f"{seed}|{view.ref}|{exercise_type}|{example.ref if example else ''}")
    base = dict(type=exercise_type, ref=view.ref, kind=KIND_OF[exercise_type],
                language=view.language, example=example,
                audio_url=view.audio_url if exercise_type in AUDIO or exercise_type == INTRO
                else None)
    if exercise_type == INTRO:
        base["example"] = view.examples[0] if view.examples else None
        return Exercise(**base, prompt=view.headword, options=[], answer=view.gloss_vi)
    if exercise_type in TYPED:
        prompt = view.gloss_vi if exercise_type == TYPE_FORM else ""
        return Exercise(**base, prompt=prompt, options=[], answer=view.headword,
                        letters=letters(view.language))
    if exercise_type == WORD_BANK:
        assert example is not None
        bank = tiles(example.text)
        keys = [normalize.exact_key(t) for t in bank]
        rng.shuffle(bank)
        if [normalize.exact_key(t) for t in bank] == keys:
            bank = bank[1:] + bank[:1]  # never already in order (two distinct words at least)
        return Exercise(**base, prompt=example.translation_vi, options=bank, answer=example.text)
    others = distractors(session, view, rng)
    if exercise_type in (PICK_GLOSS, AUDIO_PICK_GLOSS):
        prompt = view.headword if exercise_type == PICK_GLOSS else ""
        answer, options = view.gloss_vi, [view.gloss_vi] + [g for _, g in others]
    elif exercise_type == PICK_FORM:
        prompt, answer = view.gloss_vi, view.headword
        options = [view.headword] + [f for f, _ in others]
    else:  # CLOZE: the word as the sentence writes it, beside other forms written alike
        assert example is not None and example.blank is not None
        start, end = example.blank
        answer = example.text[start:end]
        prompt = example.text[:start] + BLANK + example.text[end:]
        options = [answer] + [_like(f, answer) for f, _ in others]
    rng.shuffle(options)
    return Exercise(**base, prompt=prompt, options=options, answer=answer)

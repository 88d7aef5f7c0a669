"""Exercises (``lessons.exercises``) on real data: distractors drawn from the bundled lexicons
follow the rules for every bundled sense (same language, same field first, never a synonym or
a variant of the answer), synthetic entries show each rule failing the way it should not,
every exercise type is built from a sense with examples and a (synthetic) recording, and the
lesson order never shows one item twice in a row, checked over many random lessons against
an exhaustive search of what is possible at all."""
from __future__ import annotations

import functools
import json
import random

import pytest
from flask import current_app
from sqlalchemy import select

from dictionary.db import get_db
from dictionary.models import Entry, Language, Sense
from lessons import exercises as ex
from lessons.content import ExampleView, SenseView, views
from lessons.keyboard import letters, rules_for
from lessons.models import LISTENING, PRODUCTION, RECOGNITION
from search_index import normalize

import make_recordings
from test_content import published


@pytest.fixture
def db(app, users):
    with app.app_context(), get_db().Session() as s:
        yield s


def gloss_keys(gloss_vi: str) -> set[str]:
    return {normalize.exact_key(g) for g in gloss_vi.split(";") if g.strip()}


# ---- distractors on the bundled lexicons -----------------------------------------------------
def test_bundled_distractors_follow_the_rules_for_every_sense(bundled_app):
    with bundled_app.app_context(), get_db().Session() as s:
        rows = s.execute(select(Entry.public_id, Sense.position, Sense.gloss_vi,
                                Sense.semantic_field, Entry.headword, Language.code)
                         .join(Sense, Sense.entry_id == Entry.id)
                         .join(Language, Entry.language_id == Language.id)).all()
        assert len(rows) == 403
        by_gloss: dict[tuple[str, str], set[str | None]] = {}
        by_form: dict[tuple[str, str], set[str | None]] = {}
        field_size: dict[tuple[str, str | None], int] = {}
        entry_glosses: dict[str, set[str]] = {}
        for pid, _, gloss, field, headword, code in rows:
            by_gloss.setdefault((code, gloss), set()).add(field)
            by_form.setdefault((code, headword), set()).add(field)
            field_size[code, field] = field_size.get((code, field), 0) + 1
            entry_glosses.setdefault(pid, set()).update(gloss_keys(gloss))
        got = views(s, [f"{pid}/{pos + 1}" for pid, pos, *_ in rows])
        assert len(got) == 403
        glossless = [v for v in got.values() if not v.glosses]
        assert 0 < len(glossless) < 20  # the source has no Vietnamese gloss for a few
        assert not any(ex.can_build(v, ex.PICK_GLOSS) for v in glossless)
        got = {r: v for r, v in got.items() if v.glosses}
        fell_back = 0
        for i, view in enumerate(got.values()):
            kind = (ex.PICK_GLOSS, ex.PICK_FORM)[i % 2]
            exercise = ex.build(s, view, kind, seed=7)
            rules = rules_for(view.language)
            assert len(exercise.options) == 4 and exercise.options.count(exercise.answer) == 1
            others = [o for o in exercise.options if o != exercise.answer]
            if kind == ex.PICK_GLOSS:
                assert exercise.prompt == view.headword and exercise.answer == view.gloss_vi
                fields = [by_gloss[view.language, o] for o in others]  # same language, or KeyError
                taken = set(entry_glosses[view.public_id])
                for o in others:  # never a synonym, and no two options that are one
                    assert not gloss_keys(o) & taken, (view.ref, o)
                    taken |= gloss_keys(o)
            else:
                assert exercise.prompt == view.gloss_vi and exercise.answer == view.headword
                fields = [by_form[view.language, o] for o in others]
                forms = {normalize.loose_key(f, rules) for f in view.forms}
                for o in others:  # never the same word spelt otherwise
                    assert normalize.loose_key(o, rules) not in forms, (view.ref, o)
                    forms.add(normalize.loose_key(o, rules))
            same = [view.semantic_field in f for f in fields]
            if field_size[view.language, view.semantic_field] >= 12:
                assert all(same), (view.ref, view.semantic_field, others)  # a big field suffices
            fell_back += not all(same)
        assert fell_back > 10  # small fields ("Possession", "Law") take from the rest


def test_choices_are_deterministic_for_a_seed(bundled_app):
    with bundled_app.app_context(), get_db().Session() as s:
        view = views(s, ["cua-000010/1"])["cua-000010/1"]
        first = [ex.build(s, view, ex.PICK_GLOSS, seed).to_dict() for seed in range(12)]
        again = [ex.build(s, view, ex.PICK_GLOSS, seed).to_dict() for seed in range(12)]
        assert first == again
        assert len({tuple(d["options"]) for d in first}) > 3  # and a new seed, new choices
        assert len({d["options"].index(d["answer"]) for d in first}) > 1  # answer not fixed


# ---- distractors on synthetic entries --------------------------------------------------------
def test_synonyms_variants_drafts_and_other_languages_are_never_distractors(db):
    field = {"semantic_field": "Trường-thử"}
    answer = published(db, "zuxo", [{"gloss_vi": "nhà-thử; chòi-thử", **field},
                                    {"gloss_vi": "lều-thử", **field}], variants=["zuxoh"])
    published(db, "zabok", [{"gloss_vi": "Chòi-thử", **field}])  # a synonym
    published(db, "zuxô", [{"gloss_vi": "cây-thử", **field}])  # the same letters
    published(db, "zimlu", [{"gloss_vi": "đá-thử", **field}], variants=["zuxoh"])  # a variant
    published(db, "zekka", [{"gloss_vi": "sông-thử", **field}], publish=False)  # a draft
    published(db, "zotta", [{"gloss_vi": "núi-thử", **field}], code="cua")  # Co
    published(db, "zenna", [{"gloss_vi": "", **field}])  # no gloss
    published(db, "zippe", [{"gloss_vi": "lều-thử", **field}])  # the answer's other sense
    good = {published(db, w, [{"gloss_vi": g, **field}]).headword
            for w, g in [("zupra", "mưa-thử"), ("zoŋat", "gió-thử"), ("zʼbơ̆k", "lửa-thử")]}
    elsewhere = published(db, "zagga", [{"gloss_vi": "muối-thử", "semantic_field": "Khác-thử"}])
    view = views(db, [f"{answer.public_id}/1"])[f"{answer.public_id}/1"]
    for seed in range(25):
        forms = ex.build(db, view, ex.PICK_FORM, seed)
        assert set(forms.options) == good | {"zuxo"}
        glosses = ex.build(db, view, ex.PICK_GLOSS, seed)
        assert set(glosses.options) == {"nhà-thử; chòi-thử", "mưa-thử", "gió-thử", "lửa-thử"}
    # A sense of a field with one other member falls back to the rest of the language.
    lone = views(db, [f"{elsewhere.public_id}/1"])[f"{elsewhere.public_id}/1"]
    picked = {o for seed in range(25) for o in ex.build(db, lone, ex.PICK_FORM, seed).options}
    assert picked == good | {"zuxo", "zagga", "zuxô", "zimlu", "zabok", "zippe"}


# ---- every exercise type ---------------------------------------------------------------------
def sample(db):
    entry = published(db, "zơ̆tok", [{"gloss_vi": "gậy-thử", "semantic_field": "F", "examples": [
        ("Zơ̆tok bơ̆nxa zimla.", "gậy dài-thử"), ("ʼbăh ʼbăh", "không-thử")]}])
    for word, gloss in [("zupra", "mưa-thử"), ("zoŋat", "gió-thử"), ("zekka", "lửa-thử")]:
        published(db, word, [{"gloss_vi": gloss, "semantic_field": "F"}])
    # A real recording (a synthetic tone through upload, worker and review).
    make_recordings.published(current_app._get_current_object(), entry.public_id)
    return views(db, [f"{entry.public_id}/1"])[f"{entry.public_id}/1"]


def test_every_type_is_built_from_a_sense_with_examples_and_audio(db):
    view = sample(db)
    assert view.audio_url and len(view.examples) == 2
    built = {t: ex.build(db, view, t, seed=3) for t in ex.TYPES}
    for t, exercise in built.items():
        assert exercise.type == t and exercise.ref == view.ref and exercise.kind == ex.KIND_OF[t]
        assert ex.Exercise.from_dict(json.loads(json.dumps(exercise.to_dict()))) == exercise
        assert (exercise.audio_url is not None) == (t in (ex.INTRO, ex.AUDIO_PICK_GLOSS,
                                                           ex.DICTATION))
    intro = built[ex.INTRO]
    assert (intro.prompt, intro.answer, intro.example) == (view.headword, view.gloss_vi,
                                                           view.examples[0])
    listening = built[ex.AUDIO_PICK_GLOSS]
    assert listening.prompt == "" and listening.answer == "gậy-thử" and len(listening.options) == 4
    for t in (ex.TYPE_FORM, ex.DICTATION):
        assert built[t].answer == "zơ̆tok" and built[t].options == []
        assert built[t].letters == letters("hre") and "ơ̆" in built[t].letters
    assert built[ex.TYPE_FORM].prompt == "gậy-thử" and built[ex.DICTATION].prompt == ""
    cloze = built[ex.CLOZE]
    assert cloze.prompt == f"{ex.BLANK} bơ̆nxa zimla." and cloze.answer == "Zơ̆tok"
    assert sorted(cloze.options) == ["Zekka", "Zoŋat", "Zupra", "Zơ̆tok"]  # written alike
    assert cloze.example == view.examples[0]
    bank = built[ex.WORD_BANK]
    assert bank.prompt == "gậy dài-thử" and bank.answer == "Zơ̆tok bơ̆nxa zimla."
    assert sorted(bank.options) == sorted(["Zơ̆tok", "bơ̆nxa", "zimla"])
    assert bank.options != ["Zơ̆tok", "bơ̆nxa", "zimla"]
    # A word bank never starts in the answer's order, whatever the seed.
    assert all(ex.build(db, view, ex.WORD_BANK, seed).options != ["Zơ̆tok", "bơ̆nxa", "zimla"]
               for seed in range(40))


def test_what_cannot_be_built_is_refused(db):
    view = sample(db)
    silent = SenseView(**{**view.__dict__, "audio_url": None, "examples": (
        ExampleView(view.ref + "/2", "ʼbăh ʼbăh", "không-thử", None),)})
    for t in (ex.AUDIO_PICK_GLOSS, ex.DICTATION, ex.CLOZE, ex.WORD_BANK):
        assert not ex.can_build(silent, t)
        with pytest.raises(ValueError):
            ex.build(db, silent, t, 1)
    assert ex.can_build(silent, ex.PICK_GLOSS) and not ex.can_build(silent, "speak")
    with pytest.raises(ValueError):
        ex.Exercise.from_dict({**ex.build(db, view, ex.PICK_FORM, 1).to_dict(), "kind": "R"})


def test_cards_and_review_exercises(db):
    assert ex.KIND_OF == {ex.INTRO: "", ex.PICK_GLOSS: RECOGNITION, ex.CLOZE: RECOGNITION,
                          ex.WORD_BANK: RECOGNITION, ex.AUDIO_PICK_GLOSS: LISTENING,
                          ex.PICK_FORM: PRODUCTION, ex.TYPE_FORM: PRODUCTION,
                          ex.DICTATION: PRODUCTION}
    view = sample(db)
    assert [ex.for_review(view, k) for k in "RLP"] == [ex.PICK_GLOSS, ex.AUDIO_PICK_GLOSS,
                                                       ex.TYPE_FORM]
    silent = SenseView(**{**view.__dict__, "audio_url": None})
    assert ex.for_review(silent, LISTENING) == ex.PICK_GLOSS  # recording withdrawn since


# ---- the order of a lesson -------------------------------------------------------------------
def fake_view(i: int, audio: bool) -> SenseView:
    return SenseView(f"zz-{i:06d}/1", f"zz-{i:06d}", "hre", f"zu{i}", False, ("g",), "g", None,
                     (), (), "/lessons/recording/1" if audio else None)


def fake_example(i: int, blank: bool, words: int) -> ExampleView:
    text = " ".join(f"zo{i}x{k}" for k in range(words))
    return ExampleView(f"zz-{i:06d}/1/1", text, "t", (0, 3) if blank else None)


def most_placeable(counts: list[int], previous: int | None) -> int:
    """How many questions an order without repeats can hold at best: an exhaustive search
    (items are alike but for their counts, so the state is the sorted counts of the items
    that may come next and the count of the one just shown)."""
    @functools.cache
    def best(others: tuple[int, ...], last: int) -> int:
        found = 0
        for i, c in enumerate(others):
            if c and (i == 0 or others[i - 1] != c):  # equal counts: one branch suffices
                rest = tuple(sorted(others[:i] + others[i + 1:] + (last,)))
                found = max(found, 1 + best(rest, c - 1))
        return found
    last = counts[previous] if previous is not None else 0
    others = [c for i, c in enumerate(counts) if i != previous]
    return best(tuple(sorted(others)), last)


def test_no_item_twice_in_a_row_over_many_random_lessons():
    rng = random.Random(12)
    for trial in range(600):
        senses = [fake_view(i, rng.random() < 0.3) for i in range(rng.randint(1, 8))]
        examples = [fake_example(100 + i, rng.random() < 0.6, rng.randint(1, 4))
                    for i in range(rng.randint(0, 3))]
        plan = ex.lesson_plan(senses, examples, seed=trial)
        assert plan == ex.lesson_plan(senses, examples, seed=trial)  # deterministic
        n = len(senses)
        assert plan[:n] == [(v.ref, ex.INTRO) for v in senses]
        assert ex.INTRO not in [t for _, t in plan[n:]]
        refs = [r for r, _ in plan]
        if len(set(refs)) > 1:
            assert all(a != b for a, b in zip(refs, refs[1:])), (trial, plan)
        wanted: dict[str, list[str]] = {v.ref: [ex.PICK_GLOSS, ex.PICK_FORM, ex.TYPE_FORM] +
                                        ([ex.AUDIO_PICK_GLOSS, ex.DICTATION] if v.audio_url else [])
                                        for v in senses}
        for x in examples:
            wanted[x.ref] = ([ex.CLOZE] if x.blank else []) + \
                ([ex.WORD_BANK] if len(x.text.split()) > 1 else [])
        got: dict[str, list[str]] = {}
        for ref, t in plan[n:]:
            got.setdefault(ref, []).append(t)
        for ref, types in got.items():  # each in its order, none invented, none twice
            assert types == wanted[ref][:len(types)], (ref, types)
        # Nothing is left out that any order without repeats could have placed.
        order = list(wanted)
        counts = [len(wanted[r]) for r in order]
        if len({r for r in wanted if wanted[r]} | {v.ref for v in senses}) == 1:
            assert len(plan) - n == sum(counts)  # one item: nothing to interleave with
        else:
            assert len(plan) - n == most_placeable(counts, order.index(senses[-1].ref)), plan
    # Many seeds give many orders.
    senses = [fake_view(i, False) for i in range(6)]
    assert len({tuple(ex.lesson_plan(senses, [], seed)) for seed in range(20)}) > 10


def test_a_one_item_lesson_keeps_its_questions():
    view = fake_view(1, True)
    assert ex.lesson_plan([view], [], 1) == [(view.ref, ex.INTRO)] + [
        (view.ref, t) for t in (ex.PICK_GLOSS, ex.PICK_FORM, ex.TYPE_FORM, ex.AUDIO_PICK_GLOSS,
                                ex.DICTATION)]
    assert ex.lesson_plan([], [], 1) == []

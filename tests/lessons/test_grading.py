"""Answer checking (``lessons.grading``) with the dictionary's real text rules
(``data/orthography/*.toml``) on entries made through the curation workflow: exact = Good,
other tones / loose letters / a listed variant = Hard with the difference shown on whole
letters (``ơ̆`` is one unit), anything else = Again. Vernacular tokens are synthetic."""
from __future__ import annotations

import unicodedata

import pytest

from dictionary.db import get_db
from lessons import exercises as ex
from lessons.content import views
from lessons.grading import clusters, diff, grade_choice, grade_typed, rules_for

from test_content import published


@pytest.fixture
def db(app, users):
    with app.app_context(), get_db().Session() as s:
        yield s


def view_of(db, headword, variants=(), code="hre"):
    entry = published(db, headword, [{"gloss_vi": "nhà-thử", "semantic_field": "F"}],
                      variants=variants, code=code)
    return views(db, [f"{entry.public_id}/1"])[f"{entry.public_id}/1"]


def grade(typed, view):
    g = grade_typed(typed, view, rules_for(view.language))
    return g.match, g.rating


def test_typed_forms_by_the_hre_rules(db):
    view = view_of(db, "zơ̆ng", variants=["zrơ̆ng"])
    hre = rules_for("hre")
    # exact: the storage form, whatever the input's normalisation, spacing or case
    for typed in ("zơ̆ng", " Zơ̆ng\t", unicodedata.normalize("NFD", "zơ̆ng"), "ZƠ̆NG"):
        assert grade(typed, view) == ("exact", 3), typed
    # almost: the same letters with a tone, a breve left out (loose), ŏ for ơ̆ (loose),
    # ŋ for ng (the Hrê file's equivalence), a listed variant
    for typed in ("zơ̆́ng", "zơng", "zớng", "zŏng", "zong", "zơ̆ŋ", "zrơ̆ng", "zrơng"):
        assert grade(typed, view) == ("almost", 2), typed
    # wrong: other letters, a letter too many, nothing at all
    for typed in ("zang", "zơ̆ngg", "zuxo", "", "   ", None):
        assert grade(typed, view) == ("wrong", 1), typed
    # The breve is a difference in letters, not in tone: toneless keys differ, loose agree.
    g = grade_typed("zơng", view, hre)
    assert g.diff == [("equal", "z"), ("replace", "ơ̆"), ("equal", "ng")]
    assert g.expected == "zơ̆ng" and g.correct
    assert grade_typed("zơ̆́ng", view, hre).diff == [("equal", "z"), ("replace", "ơ̆"),
                                                      ("equal", "ng")]
    assert grade_typed("zrơ̆ng", view, hre).diff == [("equal", "z"), ("delete", "r"),
                                                      ("equal", "ơ̆ng")]
    assert grade_typed(" Zơ̆ng", view, hre).diff == [("equal", "zơ̆ng")]
    assert grade_typed("", view, hre).diff == [("insert", "zơ̆ng")]
    assert not grade_typed("zang", view, hre).correct


def test_vietnamese_tones_register_marks_and_the_co_rules(db):
    toned = view_of(db, "zám")
    assert grade("zám", toned) == ("exact", 3)
    assert grade("zam", toned) == grade("zàm", toned) == ("almost", 2)  # other tones
    assert grade_typed("zam", toned, rules_for("hre")).diff == [("equal", "z"),
                                                                 ("replace", "á"),
                                                                 ("equal", "m")]
    # Peiros's register mark .L: left out = same letters, other "tone"
    register = view_of(db, "zatan.L")
    assert grade("zatan.l", register) == ("exact", 3)
    assert grade("zatan", register) == ("almost", 2)
    assert grade_typed("zatan", register, rules_for("hre")).diff == [("equal", "zatan"),
                                                                      ("insert", ".L")]
    # Co: ŋ is searched as ng, ɨ as ư, ʔ is ignorable (loose)
    co = view_of(db, "zŋɨʔ", code="cua")
    assert grade("zngư", co) == ("almost", 2)
    assert grade("zŋɨʔ", co) == ("exact", 3)
    assert grade("zngo", co) == ("wrong", 1)
    # Without the language's rules ŋ and ng are different letters.
    assert grade_typed("zngư", co, None).match == "wrong"


def test_the_diff_keeps_letters_with_their_marks():
    assert clusters("ơ̆ŏ̀ê̆") == ["ơ̆", "ŏ̀", "ê̆"]
    assert clusters(unicodedata.normalize("NFD", "mớng")) == ["m", "ớ", "n", "g"]
    segments = diff("mơng", "mơ̆ng")
    assert segments == [("equal", "m"), ("replace", "ơ̆"), ("equal", "ng")]
    # Every segment but "delete" spells the expected form; equal + delete spell what was typed.
    for typed, expected in [("zơ̆ngg", "zơ̆ng"), ("ʼbăk", "ʼbơ̆k"), ("abc", "xbyz"), ("", "zo")]:
        segments = diff(typed, expected)
        assert "".join(t for op, t in segments if op != "delete") == expected
        assert all(op in ("equal", "insert", "delete", "replace") for op, _ in segments)
        assert all(not unicodedata.combining(t[0]) for _, t in segments)  # no stray mark
    assert diff("ZO", "zo") == [("equal", "zo")]  # case is no difference


def test_choices(db):
    view = view_of(db, "zơ̆tok")
    for word, gloss in [("zupra", "mưa-thử"), ("zoŋat", "gió-thử"), ("zekka", "lửa-thử")]:
        published(db, word, [{"gloss_vi": gloss, "semantic_field": "F"}])
    pick = ex.build(db, view, ex.PICK_FORM, 5)
    wrong = next(o for o in pick.options if o != pick.answer)
    assert (grade_choice(pick.answer, pick).match, grade_choice(pick.answer, pick).rating) == \
        ("exact", 3)
    assert grade_choice(unicodedata.normalize("NFD", pick.answer), pick).rating == 3
    assert (grade_choice(wrong, pick).match, grade_choice(wrong, pick).rating) == ("wrong", 1)
    assert grade_choice("", pick).rating == grade_choice(None, pick).rating == 1
    # A word bank: the tiles in the sentence's order (punctuation is not asked for).
    bank = ex.Exercise(type=ex.WORD_BANK, ref=view.ref, kind="R", prompt="câu-thử",
                       options=["bơ̆nxa", "Zơ̆tok", "zimla"], answer="Zơ̆tok bơ̆nxa, zimla.")
    assert grade_choice("Zơ̆tok bơ̆nxa zimla", bank).rating == 3
    assert grade_choice("bơ̆nxa Zơ̆tok zimla", bank).rating == 1
    assert grade_choice("Zơ̆tok bơ̆nxa", bank).rating == 1

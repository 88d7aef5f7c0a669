"""What a lesson shows of a sense (``lessons.content``) and the recordings it may play
(``lessons.recordings``), on real SQLite files: views are read from the dictionary each time
(a correction shows at once), and only published entries and reviewed recordings whose
consent covers lessons reach a learner. Vernacular tokens are synthetic (``zơ̆tok``); the
audio is a synthetic sine tone, not speech."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dictionary.curation import workflow
from dictionary.db import get_db
from dictionary.audio.consent import withdraw
from dictionary.audio.models import Recording
from dictionary.models import DRAFT, Entry, Language, Sense, User
from lessons import content
from lessons.content import ExampleView, example_views, find_word, views
from lessons.keyboard import letters, rules_for
from lessons.recordings import approved_audio

import make_recordings


# ---- helpers shared with test_exercises / test_grading ----------------------------------------
@pytest.fixture
def db(app, users):
    with app.app_context(), get_db().Session() as s:
        yield s


def person(s, role: str = "admin") -> User:
    return s.scalar(select(User).where(User.email == f"{role}@example.test"))


def published(s, headword: str, senses: list[dict], variants=(), code: str = "hre",
              publish: bool = True) -> Entry:
    """An entry made through the curation workflow (and published by an admin). ``senses``:
    ``{"gloss_vi", "semantic_field", "examples": [(text, translation)]}``."""
    admin = person(s)
    language = s.scalar(select(Language).where(Language.code == code))
    entry = workflow.create_entry(s, admin, language, {
        "headword": headword,
        "senses": [{"gloss_vi": x["gloss_vi"], "semantic_field": x.get("semantic_field"),
                    "examples": [{"text": t, "translation_vi": tr}
                                 for t, tr in x.get("examples", ())]} for x in senses],
        "variants": [{"form": v, "kind": "spelling", "label": ""} for v in variants]})
    if publish and all(x["gloss_vi"] for x in senses):
        workflow.submit(s, admin, entry)
        workflow.publish(s, admin, entry)
    elif publish:  # the workflow publishes no sense without a gloss; the starter lists do
        entry.status = "published"
    s.commit()
    return entry


# ---- views -----------------------------------------------------------------------------------
def test_a_bundled_sense_is_read_as_the_dictionary_holds_it(bundled_app):
    with bundled_app.app_context(), get_db().Session() as s:
        got = views(s, ["hre-000001/1", "cua-000002/1", "hre-999999/1", "nonsense"])
        assert set(got) == {"hre-000001/1", "cua-000002/1"}
        for ref, view in got.items():
            entry = s.scalar(select(Entry).where(Entry.public_id == view.public_id))
            sense = entry.senses[0]
            assert view.ref == ref and view.language == entry.language.code
            assert (view.headword, view.gloss_vi) == (entry.headword, sense.gloss_vi)
            assert view.glosses == tuple(sense.glosses_vi) and view.glosses
            assert view.semantic_field == sense.semantic_field
            assert view.phonetic is True  # the bundled data is a phonetic transcription
            assert view.examples == () and view.audio_url is None  # none bundled
        assert got["hre-000001/1"].glosses == ("toàn bộ", "tất cả")


def test_a_correction_shows_in_the_next_view(bundled_copy):
    with bundled_copy.app_context(), get_db().Session() as s:
        before = views(s, ["hre-000004/1"])["hre-000004/1"]
        sense = s.scalar(select(Sense).join(Entry).where(Entry.public_id == "hre-000004"))
        sense.gloss_vi = "bụng-thử; dạ-thử"
        s.commit()
        after = views(s, ["hre-000004/1"])["hre-000004/1"]
        assert before.gloss_vi != after.gloss_vi
        assert after.glosses == ("bụng-thử", "dạ-thử")


def test_only_published_entries_are_shown(db):
    draft = published(db, "zuxo", [{"gloss_vi": "nhà-thử"}], publish=False)
    live = published(db, "zabok", [{"gloss_vi": "cây-thử"}])
    assert draft.status == DRAFT
    got = views(db, [f"{draft.public_id}/1", f"{live.public_id}/1", f"{live.public_id}/2"])
    assert list(got) == [f"{live.public_id}/1"]


def test_examples_variants_and_an_example_ref(db):
    entry = published(db, "zơ̆tok", [
        {"gloss_vi": "gậy-thử", "semantic_field": "The house",
         "examples": [("Zơ̆tok bơ̆nxa.", "gậy dài-thử"), ("ʼbăh zimlu", "không có từ")]},
        {"gloss_vi": "que-thử"}], variants=["zơ̆tôk"])
    pid = entry.public_id
    got = views(db, [f"{pid}/1", f"{pid}/1/2", f"{pid}/2"])
    sense = got[f"{pid}/1"]
    assert sense.variants == ("zơ̆tôk",) and sense.forms == ("zơ̆tok", "zơ̆tôk")
    assert sense.phonetic is False and sense.semantic_field == "The house"
    assert [x.ref for x in sense.examples] == [f"{pid}/1/1", f"{pid}/1/2"]
    first, second = sense.examples
    assert first.text[slice(*first.blank)] == "Zơ̆tok" and first.sense_ref == f"{pid}/1"
    assert second.blank is None  # the word is not in that sentence: no cloze from it
    # An example's id gives its sense's view with that one example.
    by_example = got[f"{pid}/1/2"]
    assert by_example.ref == f"{pid}/1" and by_example.examples == (second,)
    assert got[f"{pid}/2"].examples == () and got[f"{pid}/2"].glosses == ("que-thử",)
    assert example_views(db, [f"{pid}/1/1", f"{pid}/1", f"{pid}/1/9"]) == {f"{pid}/1/1": first}
    assert ExampleView.from_dict(first.to_dict()) == first


def test_the_taught_word_is_found_by_the_text_rules():
    hre = rules_for("hre")
    # exact beats loose even when the loose match comes first
    text = "zơtok zơ̆tok"
    assert find_word(text, ["zơ̆tok"], hre) == (6, len(text))
    text = "bơ̆nxa zơtok"
    assert find_word(text, ["zơ̆tok"], hre) == (text.index("zơtok"), len(text))  # loose
    text = "ʼbăh zimluh."
    assert find_word(text, ["zimlu", "zimluh"], hre) == (5, len(text) - 1)  # a listed variant
    # a register mark after the word is part of it; several words must follow each other
    text = "ʼbăh blɔ zatan.L, ok"
    start, end = find_word(text, ["blɔ zatan.L"], hre)
    assert text[start:end] == "blɔ zatan.L"
    assert find_word("blɔ, zatan ok", ["blɔ zatan.L"], hre) is None
    assert find_word("zŋit ok", ["zngit"], hre) == (0, 4)  # ŋ = ng, the language's rule
    assert find_word("zŋit ok", ["zngit"], None) is None  # without the rules it is not


def test_keyboard_letters_come_from_the_orthography_files(app):
    with app.app_context():
        hre = letters("hre")
        assert hre[:5] == ["ʼ", "ŏ", "ơ̆", "ĕ", "ê̆"] and "ŋ" in hre
        assert "ɨ" in letters("cua") and letters("vi") == ["ă", "â", "đ", "ê", "ô", "ơ", "ư"]
        assert letters("xx") == []
        assert content.rules_for("hre") is rules_for("hre")


# ---- recordings ------------------------------------------------------------------------------
def test_only_published_clips_whose_consent_covers_lessons_are_heard(app, users):
    """Real recordings (a synthetic tone through intake, the worker and a reviewer)."""
    with app.app_context(), get_db().Session() as s:
        entries = [published(s, f"zuxo{c}", [{"gloss_vi": f"nhà-thử {c}"}]) for c in "abcde"]
        ids = [e.public_id for e in entries]
    a, b, c, d, e = ids
    first = make_recordings.published(app, a)
    make_recordings.published(app, a, make_recordings.tone_wav(hz=660))  # a second take
    make_recordings.published(app, b, scopes=("web",))  # not for lessons
    make_recordings.published(app, d)
    make_recordings.published(app, e)
    with app.app_context(), get_db().Session() as s:
        make_recordings.pending(s, c)  # uploaded, not reviewed
        workflow.delete(s, person(s), s.scalar(select(Entry).where(Entry.public_id == e)))
        s.commit()
        withdrawn = s.scalar(select(Recording).where(Recording.target == d))
        withdraw(s, withdrawn.consent, "asked to", None)
        s.commit()
        assert approved_audio(s, ids) == {a: f"/audio/lessons/{first}.mp3"}
        got = views(s, [f"{x}/1" for x in ids])
        assert got[f"{a}/1"].audio_url == f"/audio/lessons/{first}.mp3"
        assert all(v.audio_url is None for r, v in got.items() if r != f"{a}/1")
        assert approved_audio(s, []) == {}

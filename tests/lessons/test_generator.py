"""The course generator (``lessons.generator``): deterministic, 6–8 senses a lesson, every
teachable sense once, and never two senses that would be each other's distractor (a shared
Vietnamese gloss, a shared form or a variant) in one lesson when that can be avoided."""
from __future__ import annotations

import math
import random
from itertools import combinations

import pytest
from sqlalchemy import func, select

from dictionary import sense_ids
from dictionary.db import get_db
from dictionary.models import PUBLISHED, Entry, Language, Sense, Variant
from lessons import generator
from lessons.generator import MAX, MIN, Candidate, build, generate, layout, sizes, splittable
from search_index.normalize import exact_key


def teachable(s, code: str) -> set[str]:
    """Sense ids of published senses with a Vietnamese gloss, counted here on their own."""
    rows = s.execute(select(Entry.public_id, Sense.position, Sense.gloss_vi)
                     .join(Sense, Sense.entry_id == Entry.id).join(Language)
                     .where(Language.code == code, Entry.status == PUBLISHED))
    return {sense_ids.sense_id(pid, pos) for pid, pos, gloss in rows if gloss.strip()}


def lessons(spec) -> list[list[str]]:
    return [[i.ref for i in lesson.items] for unit in spec.units for lesson in unit.lessons]


def clashing_pairs(s, refs: list[str]) -> list[tuple[str, str]]:
    """Pairs of ``refs`` that share a gloss or a form (headword or variant), by exact key."""
    found = sense_ids.resolve(s, refs)
    keys = {}
    for ref, sense in found.items():
        entry = sense.entry
        keys[ref] = {("g", exact_key(g)) for g in sense.glosses_vi} | \
            {("f", exact_key(f)) for f in [entry.headword, *(v.form for v in entry.variants)]}
    return [(a, b) for a, b in combinations(refs, 2) if keys[a] & keys[b]]


@pytest.fixture
def db(bundled_app):
    with bundled_app.app_context(), get_db().Session() as s:
        yield s


@pytest.mark.parametrize("code", ["hre", "cua"])
def test_bundled_lessons_have_6_to_8_senses_and_teach_every_teachable_sense_once(db, code):
    result = build(db, code, key="thu", title="Khoá thử")
    refs = [ref for lesson in lessons(result.spec) for ref in lesson]
    assert sorted(refs) == sorted(teachable(db, code))  # each once, none missing
    assert all(MIN <= len(lesson) <= MAX for lesson in lessons(result.spec))
    assert result.notes == []
    assert result.spec.phonetic is True and result.spec.license == "CC-BY-4.0"
    fields = [u.semantic_field for u in result.spec.units]
    assert fields[-1] is None and result.spec.units[-1].key == "more-words"
    sizes_of = [sum(len(lesson.items) for lesson in u.lessons) for u in result.spec.units[:-1]]
    # Field units are ordered by the field's size in the lexicon (largest first).
    field_size = {field: n for field, n in db.execute(
        select(Sense.semantic_field, func.count()).join(Entry).join(Language)
        .where(Language.code == code).group_by(Sense.semantic_field))}
    assert [field_size[f] for f in fields[:-1]] == sorted(
        (field_size[f] for f in fields[:-1]), reverse=True)
    assert len(sizes_of) >= 5


def test_the_same_lexicon_gives_the_same_bytes(db):
    first = generate(db, "cua", key="thu", title="Khoá thử", field_titles={"The body": "Cơ thể"})
    again = generate(db, "cua", key="thu", title="Khoá thử", field_titles={"The body": "Cơ thể"})
    assert first == again
    assert 'title = "Cơ thể"' in first["unit-01.toml"]
    assert 'title = "Cơ thể 1"' in first["unit-01.toml"]
    assert 'title = "Thêm từ"' in first[f"unit-{len(first) - 1:02d}.toml"]


def test_senses_that_share_a_gloss_in_the_co_data_never_share_a_lesson(db):
    result = build(db, "cua", key="thu", title="Khoá thử")
    # Not vacuous: the Co data has many pairs of senses with one gloss in one field.
    by_field: dict[str | None, list[str]] = {}
    for ref, sense in sense_ids.resolve(db, teachable(db, "cua")).items():
        by_field.setdefault(sense.semantic_field, []).append(ref)
    assert sum(len(clashing_pairs(db, sorted(refs))) for refs in by_field.values()) >= 20
    assert [pair for lesson in lessons(result.spec)
            for pair in clashing_pairs(db, lesson)] == []


def add(s, headword: str, gloss: str, field: str, variants=()) -> str:
    hre = s.scalar(select(Language).where(Language.code == "hre"))
    entry = Entry(language=hre, headword=headword, status=PUBLISHED)
    entry.senses.append(Sense(position=0, gloss_vi=gloss, semantic_field=field))
    entry.variants.extend(Variant(form=v) for v in variants)
    s.add(entry)
    s.flush()
    return f"{entry.public_id}/1"


def test_synonyms_and_variants_go_in_different_lessons_and_the_unavoidable_is_noted(
        bundled_copy):
    with bundled_copy.app_context(), get_db().transaction() as s:
        # A variant of one is the headword of the other; three share a gloss; one shares
        # its gloss with a bundled sense of the same field.
        variant_pair = [add(s, "zuxo", "nhà-thử-một", "The body", variants=["zuxa"]),
                        add(s, "zuxa", "nhà-thử-hai", "The body")]
        synonyms = [add(s, hw, "nhà-thử; cây-thử", "The body") for hw in ("zuxe", "zuxi", "zuxu")]
        body = sense_ids.resolve(s, teachable(s, "hre"))
        gloss = next(sense.gloss_vi for sense in body.values()
                     if sense.semantic_field == "The body")
        echo = add(s, "zuxy", gloss, "The body")
        # Seven senses with one gloss in a field of their own: no lesson plan keeps them apart.
        crowd = [add(s, f"zoqa{i}", "nhà-thử-chung", "Trường thử") for i in range(7)]
    with bundled_copy.app_context(), get_db().Session() as s:
        result = build(s, "hre", key="thu", title="Khoá thử")
        assert all(MIN <= len(lesson) <= MAX for lesson in lessons(result.spec))
        together = [pair for lesson in lessons(result.spec) for pair in clashing_pairs(s, lesson)]
        watched = set(variant_pair + synonyms + [echo])
        assert [p for p in together if set(p) & watched] == []
        # The crowd went to "more words" (6 lessons): one pair of it must share a lesson,
        # and the notes name exactly that pair.
        assert len(together) == 1 and set(together[0]) <= set(crowd)
        assert result.notes == [f"unit more-words: {together[0][0]} and {together[0][1]} "
                                "share a gloss or a form but could not go in different lessons"]
        more_words = result.spec.units[-1]
        assert {i.ref for lesson in more_words.lessons for i in lesson.items} >= set(crowd)


def cands(**fields: int) -> list[Candidate]:
    """Synthetic candidates: ``field=count`` each, every sense with its own gloss."""
    out, n = [], 0
    for name, count in fields.items():
        for _ in range(count):
            n += 1
            out.append(Candidate(f"zzz-{n:06d}/1", name, frozenset({f"g:{n}"})))
    return out


def shape(plan) -> list[tuple[str | None, list[int]]]:
    return [(name, [len(lesson) for lesson in parts]) for name, parts, _ in plan]


def test_small_fields_are_merged_and_more_words_borrows_to_be_splittable():
    # 9 left over (5 + 4) cannot be split: the 21-sense field gives its last 3.
    assert shape(layout(cands(a=21, b=5, c=4))) == [("a", [6, 6, 6]), (None, [6, 6])]
    # 17 → 16 and 1 left over, with 4 more: 5 cannot fill a lesson; the largest unit (16)
    # gives 1.
    assert shape(layout(cands(a=17, b=15, c=4))) == [
        ("a", [8, 7]), ("b", [8, 7]), (None, [6])]


def test_any_mix_of_fields_with_one_large_field_gives_lessons_of_6_to_8():
    rng = random.Random(12)  # a fixed seed: the same mixes every run
    for _ in range(300):
        fields = {f"f{i}": rng.randint(1, 40) for i in range(rng.randint(1, 8))}
        fields["big"] = rng.randint(30, 80)
        candidates = cands(**fields)
        plan = layout(candidates)
        placed = [c.ref for _, parts, _ in plan for lesson in parts for c in lesson]
        assert sorted(placed) == sorted(c.ref for c in candidates), fields
        for name, parts, forced in plan:
            assert all(MIN <= len(lesson) <= MAX for lesson in parts), (fields, shape(plan))
            assert len(parts) == math.ceil(sum(map(len, parts)) / MAX) and forced == []


def test_splittable_sizes_are_even_and_within_bounds():
    for n in range(1, 200):
        parts = sizes(n)
        assert sum(parts) == n and max(parts) - min(parts) <= 1 and max(parts) <= MAX
        assert splittable(n) == (min(parts) >= MIN)
    assert [n for n in range(1, 40) if not splittable(n)] == [1, 2, 3, 4, 5, 9, 10, 11, 17]


def test_conflicts_are_kept_apart_inside_one_unit():
    # 14 senses in one field, 2 lessons; five pairs share a gloss (as in the Co kinship field).
    base = cands(k=14)
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    shared = {i: f"g:shared-{p}" for p, pair in enumerate(pairs) for i in pair}
    senses = [Candidate(c.ref, c.field, c.keys | {shared[i]} if i in shared else c.keys)
              for i, c in enumerate(base)]
    parts, forced = generator.lessons_of(senses)
    assert forced == [] and [len(p) for p in parts] == [7, 7]
    where = {c.ref: n for n, part in enumerate(parts) for c in part}
    assert all(where[senses[a].ref] != where[senses[b].ref] for a, b in pairs)

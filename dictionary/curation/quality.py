"""Quality lists for curators, and the merge of duplicate entries.

Where it sits in the data flow: plain queries over the database (``models``), no Flask;
the admin pages (``dictionary.admin.quality``) page through the results and call
``merge_entries``. Deleted entries (``DELETED``, a soft delete) are left out of every list.

* ``alphabet_problems``: headwords and variants with letters outside the language's alphabet
  (``dictionary.alphabet``). The alphabet check is Python, so this list streams the
  headwords and variant forms (``yield_per``) and keeps only the flagged ones in memory.
* ``duplicate_groups``: entries of one language with the same loose headword key *and* the
  same loose key of their first Vietnamese gloss. SQL finds the (language, headword key)
  pairs that occur more than once; only those candidates' glosses are read and keyed.
* ``entries_without_gloss``: no sense at all, or a sense with an empty Vietnamese gloss.
* ``zero_result_queries``: the searches that found nothing, most frequent first.

The derived keys and the search index follow any change by themselves (``derive`` and
``indexing`` hooks); ``merge_entries`` only moves rows and records revisions.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from search_index import normalize
from search_index.rules import Rules

from .. import sense_ids, signals
from ..alphabet import outside_alphabet
from ..models import DELETED, Entry, Language, Sense, Source, Variant, ZeroResultQuery
from ..revisions import record

PER_PAGE = 50
T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def page_of(items: Sequence[T], page: int, per_page: int = PER_PAGE) -> Page[T]:
    """One page of a list computed in Python (pages past the end show the last one)."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return Page(list(items[start:start + per_page]), len(items), page, per_page)


def _page_query(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)))
    return Page(items, total, page, per_page)


def _live(lang: str | None):
    """Conditions for the entries a list looks at: not deleted, optionally one language."""
    where = [Entry.status != DELETED]
    if lang:
        where.append(Entry.language_id == select(Language.id).where(Language.code == lang)
                     .scalar_subquery())
    return where


_ORDER = (Language.code, Entry.sort_key, Entry.homograph, Entry.id)


# ---- (a) letters outside the alphabet ---------------------------------------------------
@dataclass
class AlphabetProblem:
    public_id: str
    lang: str
    headword: str
    status: str
    headword_chars: list[str] = field(default_factory=list)
    variants: list[tuple[str, list[str]]] = field(default_factory=list)  # (form, letters)

    @property
    def chars(self) -> list[str]:
        """Every flagged letter of the entry, in order, each once."""
        seen = dict.fromkeys(self.headword_chars)
        for _form, letters in self.variants:
            seen.update(dict.fromkeys(letters))
        return list(seen)


def alphabet_problems(session: Session, rules: Mapping[str, Rules],
                      lang: str | None = None, chunk: int = 2000) -> list[AlphabetProblem]:
    """Entries whose headword or variants contain letters outside their language's alphabet,
    in dictionary order. About 2 µs per form: the 403 bundled entries take 5 ms (30 ms for
    the first call in a process), 100,000 forms about 0.2 s plus reading them."""
    flagged_variants: dict[int, list[tuple[str, list[str]]]] = {}
    variants = (select(Variant.entry_id, Language.code, Variant.form)
                .join(Variant.entry).join(Entry.language).where(*_live(lang))
                .order_by(Variant.entry_id, Variant.id)
                .execution_options(yield_per=chunk))
    for entry_id, code, form in session.execute(variants):
        letters = outside_alphabet(form, rules.get(code), is_clean=True)
        if letters:
            flagged_variants.setdefault(entry_id, []).append((form, letters))
    entries = (select(Entry.id, Entry.public_id, Language.code, Entry.headword, Entry.status)
               .join(Entry.language).where(*_live(lang)).order_by(*_ORDER)
               .execution_options(yield_per=chunk))
    found = []
    for entry_id, public_id, code, headword, status in session.execute(entries):
        letters = outside_alphabet(headword, rules.get(code), is_clean=True)
        if letters or entry_id in flagged_variants:
            found.append(AlphabetProblem(public_id, code, headword, status, letters,
                                         flagged_variants.get(entry_id, [])))
    return found


# ---- (b) likely duplicates --------------------------------------------------------------
@dataclass
class DuplicateMember:
    public_id: str
    headword: str
    homograph: int | None
    status: str
    gloss: str  # the first Vietnamese gloss
    source: str | None = None  # Source.key: the bundled data has one word from two sources
    variety: str | None = None


@dataclass
class DuplicateGroup:
    lang: str
    headword_key: str
    gloss_key: str
    members: list[DuplicateMember]


def first_gloss(glosses_vi: Iterable[str]) -> str:
    """The first Vietnamese gloss of an entry, from its senses' ``gloss_vi`` in order.

    >>> first_gloss(["", " ; mặt trời; trời", "nắng"])
    'mặt trời'
    """
    for text in glosses_vi:
        for gloss in (text or "").split(";"):
            if gloss.strip():
                return gloss.strip()
    return ""


def duplicate_groups(session: Session, lang: str | None = None) -> list[DuplicateGroup]:
    """Groups of two or more entries (same language) sharing the loose headword key and the
    loose key of the first Vietnamese gloss. Entries without any gloss are not grouped
    (they have no gloss to compare; ``entries_without_gloss`` lists them)."""
    pairs = (select(Entry.language_id, Entry.headword_key)
             .where(*_live(lang), Entry.headword_key != "")
             .group_by(Entry.language_id, Entry.headword_key)
             .having(func.count(Entry.id) > 1)).subquery()
    in_pair = and_(Entry.language_id == pairs.c.language_id,
                   Entry.headword_key == pairs.c.headword_key)
    glosses: dict[int, list[str]] = {}
    for entry_id, gloss in session.execute(
            select(Sense.entry_id, Sense.gloss_vi).join(Sense.entry).join(pairs, in_pair)
            .where(Entry.status != DELETED).order_by(Sense.entry_id, Sense.position, Sense.id)):
        glosses.setdefault(entry_id, []).append(gloss)
    groups: dict[tuple[str, str, str], DuplicateGroup] = {}
    for entry_id, public_id, code, headword, key, homograph, status, source, variety in \
            session.execute(
                select(Entry.id, Entry.public_id, Language.code, Entry.headword,
                       Entry.headword_key, Entry.homograph, Entry.status, Source.key,
                       Entry.variety)
                .join(Entry.language).join(pairs, in_pair).outerjoin(Entry.source)
                .where(Entry.status != DELETED).order_by(*_ORDER)):
        gloss = first_gloss(glosses.get(entry_id, []))
        gloss_key = normalize.loose_key(gloss)
        if not gloss_key:
            continue
        group = groups.setdefault((code, key, gloss_key), DuplicateGroup(code, key, gloss_key, []))
        group.members.append(DuplicateMember(public_id, headword, homograph, status, gloss,
                                             source, variety))
    return [g for g in groups.values() if len(g.members) > 1]


# ---- (c) entries without a Vietnamese gloss -------------------------------------------------
def _empty_gloss():
    return func.trim(func.replace(Sense.gloss_vi, ";", "")) == ""


def entries_without_gloss(session: Session, lang: str | None = None, page: int = 1,
                          per_page: int = PER_PAGE) -> Page[Entry]:
    """Entries with no sense, or with a sense whose Vietnamese gloss is empty (senses loaded,
    so a page can say which)."""
    no_sense = ~exists().where(Sense.entry_id == Entry.id)
    empty = exists().where(Sense.entry_id == Entry.id, _empty_gloss())
    stmt = (select(Entry).join(Entry.language).where(*_live(lang), or_(no_sense, empty))
            .options(selectinload(Entry.senses), selectinload(Entry.language))
            .order_by(*_ORDER))
    return _page_query(session, stmt, page, per_page)


def sense_has_gloss(sense: Sense) -> bool:
    return bool(sense.glosses_vi)


# ---- (d) searches that found nothing ----------------------------------------------------
def zero_result_queries(session: Session, lang: str | None = None, page: int = 1,
                        per_page: int = PER_PAGE) -> Page[ZeroResultQuery]:
    """The zero-result log, most frequent first, then most recent. ``lang`` filters on the
    language filter the searcher used (``all``, ``hre``, ``cua``)."""
    stmt = select(ZeroResultQuery).order_by(ZeroResultQuery.count.desc(),
                                            ZeroResultQuery.last_seen.desc(), ZeroResultQuery.id)
    if lang:
        stmt = stmt.where(ZeroResultQuery.lang == lang)
    return _page_query(session, stmt, page, per_page)


# ---- merging duplicates ---------------------------------------------------------------------
class MergeError(ValueError):
    """These entries cannot be merged; the message says why (for logs and the CLI)."""


@dataclass
class MergeReport:
    kept: str
    merged: list[str]
    senses: int = 0
    examples: int = 0
    variants: int = 0


def _sense_key(sense: Sense) -> tuple[str, ...]:
    glosses = tuple(normalize.exact_key(g) for g in sense.glosses_vi)
    if glosses:
        return glosses
    # No Vietnamese gloss: only an identical English gloss and definition make it "present".
    return ("", normalize.exact_key(sense.gloss_en or ""),
            normalize.exact_key(sense.definition or ""))


def merge_entries(session: Session, keep: Entry, others: Sequence[Entry], *,
                  user=None) -> MergeReport:
    """Merge ``others`` into ``keep`` (the caller commits, so it is one transaction).

    Senses of the others whose glosses ``keep`` lacks move to it with their examples;
    for a sense ``keep`` already has (the same glosses, compared by exact key), only the
    examples it lacks move to that sense. Variants move unless ``keep`` has the form (as
    headword or variant). What does not move stays with the other entry, which is then
    soft-deleted with the note "merged into <id>". Every entry gets a revision.
    """
    others = list(dict.fromkeys(others))
    if not others:
        raise MergeError("nothing to merge")
    for entry in [keep, *others]:
        if entry.status == DELETED:
            raise MergeError(f"{entry.public_id} is deleted")
    for other in others:
        if other is keep:
            raise MergeError(f"{keep.public_id} cannot be merged into itself")
        if other.language_id != keep.language_id:
            raise MergeError(f"{other.public_id} and {keep.public_id} are not the same language")
    report = MergeReport(keep.public_id, [o.public_id for o in others])
    senses = {_sense_key(s): s for s in keep.senses}
    forms = {normalize.exact_key(keep.headword)} | {normalize.exact_key(v.form)
                                                    for v in keep.variants}
    position = max((s.position for s in keep.senses), default=-1) + 1
    sense_map: dict[int, int] = {}
    refs: dict[str, str] = {}  # old public sense/example id → where it now is (sense_ids)
    for other in others:
        for sense in list(other.senses):
            old_ref = sense_ids.sense_id(other.public_id, sense.position)
            target = senses.get(_sense_key(sense))
            if target is None:
                sense_map[sense.id] = sense.id
                for example in sense.examples:
                    refs[sense_ids.example_id(other.public_id, sense.position, example.position)] \
                        = sense_ids.example_id(keep.public_id, position, example.position)
                sense.entry = keep
                sense.position = position
                refs[old_ref] = sense_ids.sense_id(keep.public_id, position)
                position += 1
                senses[_sense_key(sense)] = sense
                report.senses += 1
                continue
            sense_map[sense.id] = target.id  # the same meaning: the kept sense stands for it
            refs[old_ref] = sense_ids.sense_id(keep.public_id, target.position)
            texts = {normalize.exact_key(x.text) for x in target.examples}
            next_example = max((x.position for x in target.examples), default=-1) + 1
            for example in list(sense.examples):
                if normalize.exact_key(example.text) not in texts:
                    texts.add(normalize.exact_key(example.text))
                    refs[sense_ids.example_id(other.public_id, sense.position, example.position)] \
                        = sense_ids.example_id(keep.public_id, target.position, next_example)
                    example.sense = target
                    example.position = next_example
                    next_example += 1
                    report.examples += 1
        for variant in list(other.variants):
            if normalize.exact_key(variant.form) not in forms:
                forms.add(normalize.exact_key(variant.form))
                variant.entry = keep
                report.variants += 1
        note = f"merged into {keep.public_id}"
        other.note = f"{other.note}\n{note}" if other.note else note
        other.status = DELETED
    for other in others:
        record(session, other, DELETED, user=user, comment=f"merged into {keep.public_id}")
    record(session, keep, "updated", user=user,
           comment=f"merged {', '.join(report.merged)} into this entry")
    signals.entries_merged.send(keep, session=session, merged=others, senses=sense_map, refs=refs,
                               user=user)
    return report

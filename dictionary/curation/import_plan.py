"""The plan of an import and its writing: what each parsed entry does to the database.

Where it sits: ``importer.import_lexicon`` parses a file (``formats``), then builds a
``Plan`` here: the stored entries the file names (by language and ``source_key``), each row's
action (created / updated / unchanged) and the homograph numbers, without changing anything.
A confirmed import then ``apply_plan``s it, a ``STEP`` of entries at a time inside the
importer's one transaction (updates through the ORM, new entries as rows, ``import_bulk``),
writing each step's revisions as it goes; the importer then commits (or rolls all of it
back). ``progress(done, total)`` is called every ``STEP`` entries so a background job can
show how far it got.
"""
from __future__ import annotations

import re

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from search_index import normalize

from ..formats import CURATED
from ..formats.records import ImportFailed, ImportProblem, ParsedEntry, ParsedLexicon
from ..models import DELETED, PUBLISHED, Entry, Language, Sense, Source
from ..revisions import EntryState, assign_state, entry_state
from .import_bulk import Created, NewEntries
from .import_restore import new_status, reserve, restorable_ids
from .import_table import keep_stored, link_relations

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
PUBLIC_ID = re.compile(r"[a-z]{2,8}-\d{6}")  # hre-000123
STEP = 500  # entries between two progress calls (and per database query)
Progress = Callable[[int, int], None]


def _quiet(_done: int, _total: int) -> None:
    pass


def parsed_state(p: ParsedEntry) -> EntryState:
    """What the file says an entry is, in the shape of ``entry_state``."""
    return {
        "headword": p.headword, "part_of_speech": p.part_of_speech, "form_kind": p.form_kind,
        "pronunciation": p.pronunciation, "variety": p.variety, "note": p.note,
        "lexeme_form": p.lexeme_form, "dialects": p.dialects, "notes": p.notes,
        "relations": p.relations,
        "license": p.license, "source": p.source, "extra": p.extra,
        "senses": [{"gloss_vi": s.gloss_vi, "gloss_en": s.gloss_en, "definition": s.definition,
                    "semantic_field": s.semantic_field, "concept_id": s.concept_id,
                    "concept_gloss": s.concept_gloss, "gloss_note": s.gloss_note,
                    "level": s.level, "dialects": s.dialects, "notes": s.notes,
                    "relations": s.relations,
                    "pictures": s.pictures, "extra": s.extra,
                    "examples": [{"text": t, "translation_vi": v,
                                  "translations": (s.example_translations[i]
                                                   if i < len(s.example_translations) else [])}
                                 for i, (t, v) in enumerate(s.examples)]}
                   for s in p.senses],
        "variants": [{"form": f, "kind": k, "label": lb} for f, k, lb in p.variants],
    }


class Plan:
    """Compare the parsed file with the database; decide each row's action and the
    homograph numbers, without changing anything."""

    def __init__(self, session: Session, lang: str, parsed: ParsedLexicon,
                 progress: Progress = _quiet) -> None:
        self.language = session.scalar(select(Language).where(Language.code == lang))
        self.parsed = parsed
        total = len(parsed.entries)
        self.adopted = self._by_public_id(session, parsed.entries)
        if parsed.format == CURATED:  # (a table names relations' targets by public id)
            link_relations(session, self.language, parsed.entries, self.adopted)
        self.keys = {p.source_key for p in parsed.entries}
        self.existing = self._load_existing(session, [p.source_key for p in parsed.entries],
                                            progress)
        self.existing.update((key, e) for key, e in self.adopted.items()
                             if key not in self.existing)
        numbers, others = self._homographs(session)
        self.rows: list[tuple[ParsedEntry, Entry | None, str]] = []
        # (row, stored entry or None, homograph number, content changed)
        self.changes: list[tuple[ParsedEntry, Entry | None, int | None, bool]] = []
        for p in parsed.entries:
            entry = self.existing.get(p.source_key)
            if entry is not None and parsed.format == CURATED:
                keep_stored(p, entry, parsed.unsaid)  # what the table cannot say
            number = numbers.get(("file", p.source_key))
            if p.homograph is not None:
                number = p.homograph  # FieldWorks' (or our export's) own number is kept
            if entry is not None and entry.status == DELETED:
                number = entry.homograph  # deleted entries keep out of the numbering
            if entry is None:
                action, content = CREATED, True
            else:
                content = entry_state(entry) != parsed_state(p)
                action = UPDATED if content or entry.homograph != number else UNCHANGED
            self.rows.append((p, entry, action))
            if action != UNCHANGED:
                self.changes.append((p, entry, number, content))
            if len(self.rows) % STEP == 0:  # loading was the first half of the work
                progress((total + len(self.rows)) // 2, total)
        self.others: list[tuple[Entry, int | None]] = [
            (session.get(Entry, entry_id), number) for entry_id, number in others]
        progress(total, total)

    def versions(self) -> dict[str, int]:
        """public id → version of the stored entries the file names: what the dry run saw,
        so a confirmation can tell whether any of them was changed since."""
        return {e.public_id: e.version for e in self.existing.values()}

    def _by_public_id(self, session: Session, entries: list[ParsedEntry]) -> dict[str, Entry]:
        """Rows whose ``id`` is the public id of a stored entry of this language (our own
        CSV/XLSX export, re-imported) update that entry instead of making a copy: the row
        takes the entry's source key, or, for an entry made in the forms (none), the entry
        is found under the row's. Returns the latter, by the row's key."""
        wanted = {p.row_id: p for p in entries if p.row_id and PUBLIC_ID.fullmatch(p.row_id)}
        found: dict[str, Entry] = {}
        if not wanted or self.language is None:
            return found
        ids = list(wanted)
        for i in range(0, len(ids), STEP):
            for entry in session.scalars(select(Entry).where(
                    Entry.language_id == self.language.id,
                    Entry.public_id.in_(ids[i:i + STEP])).options(
                    selectinload(Entry.source), selectinload(Entry.variants),
                    selectinload(Entry.senses).selectinload(Sense.examples))):
                row = wanted[entry.public_id]
                if entry.source_key:
                    row.source_key = entry.source_key
                else:
                    found[row.source_key] = entry
        return found

    def _load_existing(self, session: Session, keys: list[str],
                       progress: Progress) -> dict[str, Entry]:
        if self.language is None:
            return {}
        found: dict[str, Entry] = {}
        for i in range(0, len(keys), STEP):
            q = (select(Entry)
                 .where(Entry.language_id == self.language.id,
                        Entry.source_key.in_(keys[i:i + STEP]))
                 .options(selectinload(Entry.source), selectinload(Entry.variants),
                          selectinload(Entry.senses).selectinload(Sense.examples)))
            found.update((e.source_key, e) for e in session.scalars(q))
            progress(min(i + STEP, len(keys)) // 2, len(keys))
        return found

    def _homographs(self, session: Session):
        """Number the entries sharing an exact headword key 1, 2, … by source_key when there
        are two or more, else None; only for headwords this file touches (including the old
        headword of an entry the file renames). Deleted entries take no number."""
        members: dict[tuple, tuple[str, str]] = {}  # member -> (exact key, source key)
        current: dict[tuple, int | None] = {}
        touched: set[str] = set()
        if self.language is not None:
            adopted = {e.id for e in self.adopted.values()}
            for entry_id, headword, source_key, homograph in session.execute(
                    select(Entry.id, Entry.headword, Entry.source_key, Entry.homograph)
                    .where(Entry.language_id == self.language.id, Entry.status != DELETED)):
                if entry_id in adopted:
                    continue  # the file's row stands for it
                member = ("file", source_key) if source_key in self.keys else ("db", entry_id)
                members[member] = (_exact(headword), source_key or "")
                current[member] = homograph
                if member[0] == "file":
                    touched.add(members[member][0])
        for p in self.parsed.entries:
            stored = self.existing.get(p.source_key)
            if stored is not None and stored.status == DELETED:
                continue
            members[("file", p.source_key)] = (_exact(p.headword), p.source_key)
            touched.add(members[("file", p.source_key)][0])
        groups: dict[str, list[tuple]] = {}
        for member, (key, _) in members.items():
            if key in touched:
                groups.setdefault(key, []).append(member)
        numbers: dict[tuple, int | None] = {}
        for group in groups.values():
            group.sort(key=lambda m: (members[m][1], str(m[1])))
            for n, member in enumerate(group, 1):
                numbers[member] = n if len(group) > 1 else None
        others = [(m[1], n) for m, n in numbers.items() if m[0] == "db" and current.get(m) != n]
        return numbers, others


def _exact(headword: str) -> str:
    """``normalize.exact_key`` of a headword already in storage form (stored ones are, and
    parsed ones: ``ParsedEntry``): ``clean`` again would change nothing, and costs 50 µs a
    headword once its cache has turned over (a 100,000-entry file)."""
    return normalize.keys(headword, None, is_clean=True).exact


# ---- writing ---------------------------------------------------------------------------------
# New entries are written as rows (``import_bulk``) when the caller records revisions as
# they go (``record``); False writes them as ORM objects, as updates are (tests compare both).
BULK = True
# (entry, summary, snapshot) of the entries one step wrote, in plan order: an ``Entry`` with
# None (its snapshot is ``revisions.entry_snapshot`` of it, flushed) or a bulk ``Created``
# with the snapshot of its rows.
Record = Callable[[list[tuple["Entry | Created", str, "dict | None"]]], None]


def apply_plan(session: Session, plan: Plan, status: str, progress: Progress = _quiet,
               record: Record | None = None) -> list[tuple[Entry | Created, str]]:
    """Create (as ``status``) and update the planned entries, a ``STEP`` of them at a time,
    inside the caller's transaction (which commits or rolls back all of them); return
    (entry, revision summary) pairs, in plan order, then the renumbered homographs.

    Updates go through the ORM, flushed every step, so each flush's work (derived fields,
    the index queue) is proportional to the step, not to all the objects in the session.
    With ``record``, new entries are written in bulk as rows (``import_bulk``: an
    ``import_bulk.Created`` stands for each) and ``record`` is called after each step with
    what it wrote (see ``Record``): the caller writes their revisions as it goes, so no
    step's rows are kept to the end."""
    language = plan.language
    assert language is not None  # ensure_catalog ran
    sources = {s.key: s for s in session.scalars(select(Source))}
    restored = restorable_ids(session, language.code,
                              [p for p, entry, _, _ in plan.changes if entry is None])
    reserve(session, language.code, list(restored.values()))
    bulk = NewEntries(session, language, sources) if record is not None and BULK else None
    written: list[tuple[Entry | Created, str]] = []
    step: list[tuple[Entry | None, str]] = []  # None: the next entry ``bulk`` writes

    def finish() -> None:
        session.flush()
        made = iter(bulk.write() if bulk is not None else ())
        done = [(*next(made), summary) if entry is None else (entry, None, summary)
                for entry, summary in step]
        if record is not None:
            record([(entry, summary, snapshot) for entry, snapshot, summary in done])
        written.extend((entry, summary) for entry, _, summary in done)
        step.clear()

    for p, entry, number, content in plan.changes:
        if entry is None:
            # Nothing without a Vietnamese gloss is shown: such entries wait as drafts.
            made = new_status(p, status, glossed(p))
            if bulk is not None and bulk.add(parsed_state(p), source_key=p.source_key,
                                             status=made, homograph=number,
                                             public_id=restored.get(p.source_key)):
                step.append((None, CREATED))
            else:
                entry = Entry(language=language, source_key=p.source_key, status=made,
                              public_id=restored.get(p.source_key),
                              reviewed=False, source=sources[p.source])
                session.add(entry)
                _update(entry, p, number, content, sources)
                step.append((entry, CREATED))
        else:
            _update(entry, p, number, content, sources)
            step.append((entry, UPDATED))
        if len(step) == STEP:
            finish()
            progress(len(written), len(plan.changes))
    finish()
    for entry, number in plan.others:
        entry.homograph = number
        step.append((entry, UPDATED))
    finish()
    progress(len(plan.changes), len(plan.changes))
    return written


def _update(entry: Entry, p: ParsedEntry, number: int | None, content: bool,
            sources: dict[str, Source]) -> None:
    if content:
        fill(entry, p, sources[p.source])
    if entry.homograph != number:
        entry.homograph = number


def glossed(p: ParsedEntry) -> bool:
    """Whether every sense has a Vietnamese gloss (or a note saying why not), and there is
    one: what a published entry needs."""
    return bool(p.senses) and all(s.gloss_vi or s.gloss_note for s in p.senses)


def refuse_unglossed_published(plan: Plan) -> None:
    """A file may not take the Vietnamese gloss away from a published entry (the public
    page would show a sense nobody can read): ``ImportFailed`` naming them."""
    problems = [ImportProblem(p.line, "gloss", (
        f"{entry.public_id} ({entry.headword}) is published; the file gives it a sense "
        "without a Vietnamese gloss. Add the gloss in the file (or unpublish the entry "
        "first)")) for p, entry, action in plan.rows
        if entry is not None and action == UPDATED and entry.status == PUBLISHED
        and not glossed(p)]
    if problems:
        raise ImportFailed(errors=problems)


def fill(entry: Entry, p: ParsedEntry, source: Source) -> None:
    """Copy the file's content onto the entry."""
    changed = entry.id is not None
    assign_state(entry, parsed_state(p), source)
    if changed:
        entry.reviewed = False  # new source content: a reviewer has not seen it yet

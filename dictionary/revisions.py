"""Entry history: every change leaves a ``Revision`` with a snapshot of the entry after it.

Where it sits: forms, the review workflow, imports and reverts all call ``record`` after they
change an entry (in the same transaction). A revision's snapshot is the whole entry as
JSON; the previous revision's snapshot is the state before the change, so a field diff
needs no more data, and "restore this version", an import and the revert of an import all
give an entry a state with ``assign_state``.
"""
from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy.orm import Session

from . import signals
from .models import DELETED, Entry, Example, Revision, Sense, Source, Variant

# The entry's own fields in ``entry_state`` (the source is a relation, assigned apart).
SCALARS = ("headword", "part_of_speech", "form_kind", "pronunciation", "variety", "note",
           "license", "extra", "lexeme_form", "dialects", "notes", "relations")
# Keys added to the state after revisions were first written: an older snapshot lacks them
# and restores as these (``assign_state``).
LATER: dict[str, Any] = {"lexeme_form": None, "dialects": None, "notes": [], "relations": [],
                         "level": 0, "pictures": [], "translations": []}


class NoteState(TypedDict):
    """One note in one language: ``type`` as FieldWorks names it (``anthropology``,
    ``bibliography``, ``encyclopedic``, ``grammar``, ``usage`` …, or a project's own)."""

    type: str
    lang: str
    text: str


class RelationState(TypedDict):
    """A link to another entry: ``type`` as the source names it (``synonym``, ``antonym``,
    ``compare``, ``_component-lexeme`` …), ``ref`` the target as written (a FieldWorks id or a
    public id), ``target`` the target's ``source_key`` when an import found it."""

    type: str
    ref: str
    target: str | None


class PictureState(TypedDict):
    href: str  # the picture's file name as the source gives it
    caption: str


class TranslationState(TypedDict):
    lang: str
    text: str


class ExampleState(TypedDict):
    text: str
    translation_vi: str | None
    translations: list[TranslationState]  # other languages than Vietnamese


class SenseState(TypedDict):
    gloss_vi: str | None
    gloss_en: str | None
    definition: str | None
    semantic_field: str | None
    concept_id: str | None
    concept_gloss: str | None
    gloss_note: str | None
    level: int  # 0 a sense, 1 a subsense of the sense before it, …
    dialects: str | None  # dialect labels, "a; b"
    notes: list[NoteState]
    relations: list[RelationState]
    pictures: list[PictureState]
    extra: dict[str, Any]
    examples: list[ExampleState]


class VariantState(TypedDict):
    form: str
    kind: str
    label: str | None


class EntryState(TypedDict):
    """The content of an entry, as forms, imports, restores and reverts give it
    (``assign_state``) and as revisions keep it: one shape everywhere."""

    headword: str
    part_of_speech: str | None
    form_kind: str | None
    pronunciation: str | None
    variety: str | None
    note: str | None
    lexeme_form: str | None
    dialects: str | None  # dialect labels, "a; b"
    notes: list[NoteState]
    relations: list[RelationState]
    license: str | None
    source: str | None  # the source's key
    extra: dict[str, Any]
    senses: list[SenseState]
    variants: list[VariantState]


class EntrySnapshot(EntryState):
    """``Revision.snapshot``: the state plus what the workflow and the index need (restoring
    a revision reads the state part). Older snapshots may carry a few more keys
    (``previous_status``, ``restored_from``)."""

    public_id: str
    lang: str
    homograph: int | None
    status: str
    reviewed: bool
    source_key: str | None


def entry_state(e: Entry) -> EntryState:
    """The imported content of a stored entry (not its id, status, review flag or dates)."""
    return {
        "headword": e.headword, "part_of_speech": e.part_of_speech, "form_kind": e.form_kind,
        "pronunciation": e.pronunciation, "variety": e.variety, "note": e.note,
        "lexeme_form": e.lexeme_form, "dialects": e.dialects, "notes": _items(e.notes),
        "relations": _items(e.relations),
        "license": e.license, "source": e.source.key if e.source else None,
        "extra": dict(e.extra or {}),
        "senses": [{"gloss_vi": s.gloss_vi, "gloss_en": s.gloss_en, "definition": s.definition,
                    "semantic_field": s.semantic_field, "concept_id": s.concept_id,
                    "concept_gloss": s.concept_gloss, "gloss_note": s.gloss_note,
                    "level": s.level or 0, "dialects": s.dialects, "notes": _items(s.notes),
                    "relations": _items(s.relations), "pictures": _items(s.pictures),
                    "extra": dict(s.extra or {}),
                    "examples": [{"text": x.text, "translation_vi": x.translation_vi,
                                  "translations": _items(x.translations)}
                                 for x in s.examples]}
                   for s in e.senses],
        "variants": [{"form": v.form, "kind": v.kind, "label": v.label} for v in e.variants],
    }


def _items(rows: list[dict] | None) -> list[dict]:
    """A copy of a JSON list column (never the column's own objects: a state is compared with
    and assigned from others)."""
    return [dict(r) for r in rows or []]


def _later(state: dict, name: str) -> Any:
    value = state.get(name, LATER.get(name))
    return _items(value) if isinstance(value, list) else value


def entry_snapshot(e: Entry) -> EntrySnapshot:
    """A JSON-able copy of an entry for its ``Revision`` (enough to restore it)."""
    return {
        "public_id": e.public_id, "lang": e.language.code, "homograph": e.homograph,
        "status": e.status, "reviewed": e.reviewed, "source_key": e.source_key,
        **entry_state(e),
    }


def record(session: Session, entry: Entry, summary: str, *, user=None, author: str | None = None,
           comment: str | None = None, batch_id: int | None = None) -> Revision:
    """Add the revision for a change just made to ``entry`` (flushes, so a new entry has its
    public id). ``user`` is the signed-in ``User``; ``author`` names anything else (an
    import file)."""
    session.flush()
    revision = Revision(entry_public_id=entry.public_id, summary=summary, comment=comment,
                        user_id=getattr(user, "id", None),
                        author=author if author is not None else getattr(user, "email", ""),
                        batch_id=batch_id, snapshot=entry_snapshot(entry))
    session.add(revision)
    announce(session, entry, summary, user)
    return revision


def announce(session: Session, entry: Entry, summary: str, user=None) -> None:
    """Send ``entry_deleted`` when the change left the entry deleted, else ``entry_saved``
    (``signals``): every change that leaves a revision is announced, in its transaction."""
    signal = signals.entry_deleted if entry.status == DELETED else signals.entry_saved
    signal.send(entry, session=session, summary=summary, user=user)


def assign_state(entry: Entry, want: EntryState, source: Source | None) -> None:
    """Give the entry the content ``want`` (the shape of ``entry_state``; ``source`` is the
    ``Source`` its "source" key names), assigning only what differs, so an unchanged field is
    never marked dirty (and an unchanged entry is not written). Senses with their examples,
    and variants, are replaced as a whole when they differ."""
    have = entry_state(entry) if entry.id is not None else None
    for name in SCALARS:
        value = dict(want[name] or {}) if name == "extra" else _later(want, name)
        if have is None or have[name] != value:
            setattr(entry, name, value)
    if entry.source is not source:
        entry.source = source
    senses = [{**s, **{k: _later(s, k) for k in ("level", "dialects", "notes", "relations",
                                                 "pictures")},
               "examples": [{**x, "translations": _later(x, "translations")}
                            for x in s["examples"]]}
              for s in want["senses"]]
    if have is None or have["senses"] != senses:
        entry.senses = [
            Sense(position=i, gloss_vi=s["gloss_vi"], gloss_en=s["gloss_en"],
                  definition=s["definition"], extra=dict(s["extra"] or {}),
                  semantic_field=s["semantic_field"], concept_id=s["concept_id"],
                  concept_gloss=s["concept_gloss"], gloss_note=s["gloss_note"],
                  level=s["level"], dialects=s["dialects"], notes=s["notes"],
                  relations=s["relations"], pictures=s["pictures"],
                  examples=[Example(position=j, text=x["text"], translation_vi=x["translation_vi"],
                                    translations=x["translations"])
                            for j, x in enumerate(s["examples"])])
            for i, s in enumerate(senses)]
    if have is None or have["variants"] != want["variants"]:
        entry.variants = [Variant(form=v["form"], kind=v["kind"], label=v["label"])
                          for v in want["variants"]]

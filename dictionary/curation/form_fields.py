"""The entry form's rows for what FieldWorks projects bring: notes by type, links to other
entries, pictures, example translations and a sense's level.

Where it sits: ``forms.EntryForm`` nests these row forms. ``stored_*`` fill them from a
stored entry (``forms.entry_data``), ``*_content`` read them back (``forms.form_content``),
and ``workflow.complete`` (``curation.content``) turns them into the entry's state: a link
row the form shows unchanged keeps the link as the import wrote it (``kept_relation``), a
new one names its target by public id, which ``link_problems`` checks against the
database; a picture row edits the caption of a stored picture, never its file. A type that
is not one of FieldWorks' standard ones is offered as written (``with_current``), so
opening and saving an imported entry changes nothing.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    Form,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError

from ..entry_display import NOTE_TYPES, PUBLIC_ID, RELATION_TYPES, note_label, relation_label
from ..limits import LENGTHS
from ..models import DELETED, Entry, Language
from ..web import lang_name
from .content import kept_relation

TOO_LONG = _l("At most %(max)d characters.")
OTHER = "other"  # the type choice that takes the name typed beside it
TYPE_LENGTH, LANG_LENGTH, REF_LENGTH = 64, 40, 300  # a FieldWorks ref: headword_guid
# A language tag as FieldWorks writes them: vi, en, hre-fonipa, qaa-x-hre, seh.
LANG_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,5}")
MAX_LEVEL = 9
# Translations of one example in other languages: a fixed bound (a project's languages).
MAX_TRANSLATIONS = 20
LEVELS = [("0", _l("meaning")), ("1", _l("subsense of the meaning above"))] + [
    (str(n), _l("subsense, level %(n)d", n=n)) for n in range(2, MAX_LEVEL + 1)]
NEW_NOTE_TYPE, NEW_RELATION_TYPE = "usage", "synonym"


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def note_types() -> list[tuple[str, Any]]:
    return [*NOTE_TYPES.items(), (OTHER, _l("another type (name it below)"))]


def relation_types() -> list[tuple[str, Any]]:
    return [*RELATION_TYPES.items(), (OTHER, _l("another kind (name it below)"))]


def with_current(field: SelectField, pairs: list[tuple[str, Any]], label) -> None:
    """Offer ``pairs`` and the field's own value when it is not one of them (a type the
    source named its own way, such as FieldWorks' "Synonyms"), as written (no type: as
    the pages label it)."""
    values = {value for value, _label in pairs}
    current = field.data if isinstance(field.data, str) else ""
    extra = [] if current in values else [(current, current or label(current))]
    field.choices = _choices(pairs[:-1] + extra + pairs[-1:])


def _short(name: str) -> Length:
    return Length(max=LENGTHS[name], message=TOO_LONG)


def _tag(form, field) -> None:
    """A language tag: needed once the row has text."""
    value = (field.data or "").strip()
    if value and not (len(value) <= LANG_LENGTH and LANG_TAG.fullmatch(value)):
        raise ValidationError(_l("A language code such as vi, en or hre."))
    if not value and (form.text.data or "").strip():
        raise ValidationError(_l("Enter the language code."))


def _type_length() -> Length:
    return Length(max=TYPE_LENGTH, message=TOO_LONG)


def _named_if_other(form, field) -> None:
    if form.type.data == OTHER and not (field.data or "").strip() and form.has_content():
        raise ValidationError(_l("Name the type."))


class NoteForm(Form):
    type = SelectField(_l("Type of note"), choices=_choices(note_types()),
                       default=NEW_NOTE_TYPE, validate_choice=False, validators=[_type_length()])
    other_type = StringField(_l("Name of the other type"), [_named_if_other,
                                                            Length(max=TYPE_LENGTH,
                                                                   message=TOO_LONG)])
    lang = StringField(_l("Language code"), [_tag], default="vi")
    text = TextAreaField(_l("Note"), [_short("note")])

    def has_content(self) -> bool:
        return bool((self.text.data or "").strip())


class RelationForm(Form):
    key = HiddenField()  # the stored link this row continues (its index)
    shown = HiddenField()  # what the entry field showed when the form was opened
    type = SelectField(_l("Kind of link"), choices=_choices(relation_types()),
                       default=NEW_RELATION_TYPE, validate_choice=False,
                       validators=[_type_length()])
    other_type = StringField(_l("Name of the other kind"), [_named_if_other,
                                                            Length(max=TYPE_LENGTH,
                                                                   message=TOO_LONG)])
    entry = StringField(_l("Linked entry"), [Length(max=REF_LENGTH, message=TOO_LONG)],
                        description=_l("Its id, such as hre-000123."))

    def has_content(self) -> bool:
        return bool((self.entry.data or "").strip())


class PictureForm(Form):
    key = HiddenField()  # the stored picture (its index): the file is never typed here
    href = HiddenField()  # shown beside the caption
    caption = StringField(_l("Caption"), [_short("caption")])


class TranslationForm(Form):
    lang = StringField(_l("Language"), [_tag])
    text = StringField(_l("Translation"), [_short("translation")])


def level_field() -> SelectField:
    return SelectField(_l("Level"), choices=_choices(LEVELS), default="0",
                       validate_choice=False, validators=[_level_listed])


def _level_listed(form, field) -> None:
    if field.data not in {value for value, _label in LEVELS}:
        raise ValidationError(_l("Choose one of the listed values."))


# ---- the entry form ↔ the entry's state ------------------------------------------------------
def blank_note() -> dict[str, str]:
    return {"type": NEW_NOTE_TYPE, "other_type": "", "lang": "vi", "text": ""}


def blank_relation() -> dict[str, str]:
    return {"key": "", "shown": "", "type": NEW_RELATION_TYPE, "other_type": "", "entry": ""}


def blank_translation() -> dict[str, str]:
    return {"lang": "", "text": ""}


def _typed(kind: str) -> dict[str, str]:
    # A source's own type called "other" stays itself: "other" named "other".
    return {"type": kind, "other_type": kind if kind == OTHER else ""}


def stored_notes(notes: list[dict] | None) -> list[dict[str, str]]:
    return [{**_typed(n.get("type") or ""), "lang": n.get("lang") or "",
             "text": n.get("text") or ""} for n in notes or []]


def stored_relations(relations: list[dict] | None, links: dict) -> list[dict[str, str]]:
    """Rows for stored links: the entry field shows the linked entry's public id when the
    link leads to one (``entry_display.find_links``), else the reference as written."""
    rows = []
    for i, r in enumerate(relations or []):
        ref, target = r.get("ref") or "", r.get("target")
        found = links.get((ref, target))
        shown = found.public_id if found else ref
        rows.append({"key": str(i), "shown": shown, **_typed(r.get("type") or ""),
                     "entry": shown})
    return rows


def linked_headwords(links: dict) -> dict[str, Any]:
    """Public id → the headword a link leads to, shown under the link's field."""
    return {found.public_id: found for found in links.values()}


def stored_pictures(pictures: list[dict] | None) -> list[dict[str, str]]:
    return [{"key": str(i), "href": p.get("href") or "", "caption": p.get("caption") or ""}
            for i, p in enumerate(pictures or [])]


def stored_translations(translations: list[dict] | None) -> list[dict[str, str]]:
    return [{"lang": t.get("lang") or "", "text": t.get("text") or ""}
            for t in translations or []]


def _type_of(row: dict[str, Any]) -> str:
    kind = (row.get("type") or "").strip()
    return (row.get("other_type") or "").strip() if kind == OTHER else kind


def notes_content(rows: list[dict] | None) -> list[dict[str, str]]:
    return [{"type": _type_of(n), "lang": n.get("lang") or "", "text": n.get("text") or ""}
            for n in rows or []]


def relations_content(rows: list[dict] | None) -> list[dict[str, str]]:
    """Form rows for ``content.relations``: ``ref`` is what the entry field holds (a typed
    public id in lower case, as ids are written)."""
    out = []
    for r in rows or []:
        ref = (r.get("entry") or "").strip()
        if PUBLIC_ID.fullmatch(ref.lower()) and ref != (r.get("shown") or "").strip():
            ref = ref.lower()
        out.append({"key": r.get("key") or "", "shown": r.get("shown") or "",
                    "type": _type_of(r), "ref": ref})
    return out


def pictures_content(rows: list[dict] | None) -> list[dict[str, str]]:
    return [{"key": p.get("key") or "", "caption": p.get("caption") or ""} for p in rows or []]


def set_type_choices(form) -> None:
    """Every note and link row offers the standard types and its own."""
    rows = [(n.form.type, note_types(), note_label) for n in form.notes]
    rows += [(r.form.type, relation_types(), relation_label) for r in form.relations]
    for s in form.senses:
        rows += [(n.form.type, note_types(), note_label) for n in s.form.notes]
        rows += [(r.form.type, relation_types(), relation_label) for r in s.form.relations]
    for field, pairs, label in rows:
        with_current(field, pairs, label)


# ---- checks against the database ------------------------------------------------------------
def level_errors(form) -> bool:
    """The first meaning is a meaning; a subsense is at most one level below the meaning
    before it. Marks the level fields; returns whether all are right."""
    ok, before = True, -1
    for s in form.senses:
        field = s.form.level
        try:
            level = int(field.data)
        except (TypeError, ValueError):
            continue  # the field's own check says so
        if level > before + 1:
            field.errors = [*field.errors, _("The first meaning cannot be a subsense.")
                            if before < 0 else _("A subsense can be at most one level "
                                                 "below the meaning before it.")]
            ok = False
        before = min(level, before + 1)
    return ok


def link_problems(session: Session, form, language: Language, entry: Entry | None) -> bool:
    """Check the links typed in the form (those not kept as stored): each must name an
    entry of the same language by its public id, not the entry itself. Marks the entry
    fields; returns whether all are right. One query for all of them."""
    stored = entry.relations if entry is not None else []
    by_sense = {str(s.id): s.relations for s in entry.senses} if entry is not None else {}
    rows = [(r, stored) for r in form.relations]
    rows += [(r, by_sense.get(s.form.key.data or "")) for s in form.senses
             for r in s.form.relations]
    typed: dict[str, list] = {}
    for row, old in rows:
        data = relations_content([row.data])[0]
        if data["ref"] and kept_relation(data, old) is None:
            typed.setdefault(data["ref"], []).append(row.form.entry)
    if not typed:
        return True
    found = set(session.scalars(select(Entry.public_id).where(
        Entry.public_id.in_(list(typed)), Entry.language_id == language.id,
        Entry.status != DELETED)))
    ok = True
    for ref, fields in typed.items():
        if entry is not None and ref == entry.public_id:
            message = _("An entry cannot link to itself.")
        elif ref not in found:
            message = _("No %(language)s entry has the id “%(id)s”. Type the id of an entry "
                        "of the same language, such as %(example)s.",
                        language=lang_name(language), id=ref[:40],
                        example=f"{language.code}-000123")
        else:
            continue
        ok = False
        for field in fields:
            field.errors = [*field.errors, message]
    return ok

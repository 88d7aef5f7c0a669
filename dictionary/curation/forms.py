"""The entry form (WTForms) and the checks shown next to it.

Where it sits in the data flow: ``admin.entries`` builds an ``EntryForm`` from the request,
turns it into plain content (``form_content``) for ``workflow``, and shows the warnings of
``content_warnings`` after a save or a "check". How many rows and how much text an entry
may hold comes from ``limits``, the same values the importer checks, so an imported entry
can always be saved here. Rows (senses → examples, variants, notes, links…) are
added, removed and moved by submit buttons named ``action`` (``form_rows``), so the form
works without JavaScript; ``static/entry-form.js`` does the same in the page. The rows for
notes, links, pictures, example translations and a sense's level are ``form_fields``.
Validation messages are English msgids translated by Flask-Babel; lexicon text never
passes through gettext.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from search_index import normalize
from search_index.rules import Rules

from .. import limits
from ..alphabet import outside_alphabet
from ..models import DELETED, ORTHOGRAPHIC, PHONETIC, Entry, Language
from ..revisions import entry_state
from . import form_fields as ff
from .form_rows import blank_sense

LENGTHS = limits.LENGTHS
TOO_LONG = _l("At most %(max)d characters.")
VARIANT_KINDS = [("spelling", _l("spelling variant")), ("dialect", _l("dialect form"))]
DIALECTS_HINT = _l("Where the word (or this meaning) is used; separate several with “;”.")
FORM_KINDS = [(ORTHOGRAPHIC, _l("practical spelling")), (PHONETIC, _l("phonetic transcription"))]


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _listed(form, field) -> None:
    if field.data not in {c.value if isinstance(c, SelectChoice) else c[0] for c in field.choices}:
        raise ValidationError(_l("Choose one of the listed values."))


def _at_most(what: str):
    """A validator for a list of rows: at most the configured number (``limits.current()``)."""
    messages = {"senses": _l("At most %(max)d meanings in one entry."),
                "examples": _l("At most %(max)d examples in one meaning."),
                "variants": _l("At most %(max)d spelling or dialect forms in one entry."),
                "notes": _l("At most %(max)d notes here."),
                "relations": _l("At most %(max)d links here.")}

    def check(form, field) -> None:
        maximum = getattr(limits.current(), what)
        if len(field.entries) > maximum:
            raise ValidationError(messages[what] % {"max": maximum})

    return check


def _short(name: str) -> Length:
    return Length(max=LENGTHS[name], message=TOO_LONG)


def _has_letters(form, field) -> None:
    if not normalize.clean(field.data or ""):
        raise ValidationError(_l("Enter the headword."))


def _at_most_translations(form, field) -> None:
    if len(field.entries) > ff.MAX_TRANSLATIONS:
        raise ValidationError(_("At most %(max)d translations of one example.",
                                max=ff.MAX_TRANSLATIONS))


class ExampleForm(Form):
    text = StringField(_l("Example"), [_short("example")])
    translation_vi = StringField(_l("Vietnamese translation"), [_short("example_vi")])
    translations = FieldList(FormField(ff.TranslationForm), validators=[_at_most_translations])


class VariantForm(Form):
    form = StringField(_l("Form"), [_short("variant_form")])
    kind = SelectField(_l("Kind"), choices=choices(VARIANT_KINDS), default="spelling",
                       validate_choice=False, validators=[_listed])
    label = StringField(_l("Dialect or place"), [_short("variant_label")])


class SenseForm(Form):
    key = HiddenField()  # the stored sense this row continues (its hidden fields follow it)
    level = ff.level_field()
    gloss_vi = StringField(
        _l("Vietnamese gloss"), [_short("gloss_vi")],
        description=_l("Several words with the same meaning: separate them with “;”."))
    gloss_en = StringField(_l("English gloss"), [_short("gloss_en")])
    definition = TextAreaField(_l("Definition"), [_short("definition")])
    semantic_field = StringField(_l("Semantic field"), [_short("semantic_field")])
    dialects = StringField(_l("Dialects"), [_short("dialects")], description=DIALECTS_HINT)
    concept_id = StringField(_l("Concepticon id"), [
        Optional(),
        Regexp(rf"^\s*{limits.CONCEPT_ID.pattern}\s*$",
               message=_l("A Concepticon id is a number, such as 646."))])
    examples = FieldList(FormField(ExampleForm), validators=[_at_most("examples")])
    notes = FieldList(FormField(ff.NoteForm), validators=[_at_most("notes")])
    relations = FieldList(FormField(ff.RelationForm), validators=[_at_most("relations")])
    pictures = FieldList(FormField(ff.PictureForm))


class EntryForm(FlaskForm):
    version = HiddenField()
    headword = StringField(_l("Headword"), [DataRequired(_l("Enter the headword.")), _has_letters,
                                            _short("headword")])
    form_kind = SelectField(_l("Written as"), choices=choices(FORM_KINDS), default=ORTHOGRAPHIC,
                            validate_choice=False, validators=[_listed])
    part_of_speech = SelectField(_l("Part of speech"), choices=[], validate_choice=False,
                                 validators=[_listed])
    lexeme_form = StringField(
        _l("Lexeme form"), [_short("lexeme_form")],
        description=_l("The root or stem as FieldWorks writes it, when the headword is its "
                       "citation form; search finds the entry by it too."))
    pronunciation = StringField(_l("Pronunciation"), [_short("pronunciation")])
    dialects = StringField(_l("Dialects"), [_short("dialects")], description=DIALECTS_HINT)
    note = TextAreaField(_l("Notes"), [_short("note")])
    notes = FieldList(FormField(ff.NoteForm), validators=[_at_most("notes")])
    relations = FieldList(FormField(ff.RelationForm), validators=[_at_most("relations")])
    source = SelectField(_l("Source"), choices=[], validate_choice=False, validators=[_listed])
    senses = FieldList(FormField(SenseForm), validators=[_at_most("senses")])
    variants = FieldList(FormField(VariantForm), validators=[_at_most("variants")])
    comment = TextAreaField(_l("Comment on this change"), [_short("comment")],
                            description=_l("Kept in the history; optional."))

    def validate(self, extra_validators=None) -> bool:
        """The fields, then what the whole entry may hold (``limits``): examples in all
        meanings together and characters of text."""
        valid = super().validate(extra_validators)
        maximum = limits.current()
        senses = self.senses.data or []
        examples = sum(len(s.get("examples") or []) for s in senses)
        if examples > maximum.entry_examples:
            self.form_errors.append(_("At most %(max)d examples in one entry (all meanings "
                                      "together); this one has %(n)d.",
                                      max=maximum.entry_examples, n=examples))
            valid = False
        size = form_text_size(self)
        if size > maximum.text:
            self.form_errors.append(_("At most %(max)d characters of text in one entry; this "
                                      "one has %(n)d.", max=maximum.text, n=size))
            valid = False
        return ff.level_errors(self) and valid


def form_text_size(form: EntryForm) -> int:
    """Characters of entry text in the form (the fields ``limits.entry_text_size`` counts)."""
    data = form.data
    size = sum(len(data.get(name) or "") for name in ("headword", "pronunciation", "note",
                                                      "lexeme_form"))
    size += sum(len(v.get("form") or "") + len(v.get("label") or "")
                for v in data.get("variants") or [])
    size += sum(len(n.get("text") or "") for n in data.get("notes") or [])
    for s in data.get("senses") or []:
        size += sum(len(s.get(name) or "") for name in ("gloss_vi", "gloss_en", "definition",
                                                         "semantic_field"))
        size += sum(len(x.get("text") or "") + len(x.get("translation_vi") or "")
                    + sum(len(t.get("text") or "") for t in x.get("translations") or [])
                    for x in s.get("examples") or [])
        size += sum(len(n.get("text") or "") for n in s.get("notes") or [])
        size += sum(len(p.get("caption") or "") for p in s.get("pictures") or [])
    return size


class EntryActionForm(FlaskForm):
    """Submit, publish, mark reviewed, delete, undelete: the version seen, an optional comment."""
    version = HiddenField()
    comment = TextAreaField(_l("Comment"), [Length(max=2000, message=TOO_LONG)])


class RejectForm(EntryActionForm):
    comment = TextAreaField(_l("What should change?"), [
        DataRequired(_l("Say what should change before the entry can be published.")),
        Length(max=2000, message=TOO_LONG)])


# ---- field names (forms, warnings and the history's diff tables) ------------------------------
FIELD_LABELS = {
    "status": _l("Status"), "reviewed": _l("Reviewed"), "headword": _l("Headword"),
    "homograph": _l("Homograph number"), "part_of_speech": _l("Part of speech"),
    "form_kind": _l("Written as"), "pronunciation": _l("Pronunciation"), "variety": _l("Variety"),
    "note": _l("Notes"), "license": _l("Licence"), "source": _l("Source"),
    "gloss_vi": _l("Vietnamese gloss"), "gloss_en": _l("English gloss"),
    "definition": _l("Definition"), "semantic_field": _l("Semantic field"),
    "concept_id": _l("Concepticon id"), "concept_gloss": _l("Concept"),
    "gloss_note": _l("Note on the Vietnamese gloss"), "text": _l("Example"),
    "translation_vi": _l("Vietnamese translation"), "form": _l("Form"), "kind": _l("Kind"),
    "label": _l("Dialect or place"), "lexeme_form": _l("Lexeme form"), "level": _l("Level"),
    "dialects": _l("Dialects"),
}
# Items of the lists of notes, links, pictures and translations (``history._line``).
ITEM_LABELS = {"notes": _l("Note %(n)d"), "relations": _l("Link %(n)d"),
               "pictures": _l("Picture %(n)d"), "translations": _l("Translation %(n)d")}


def form_field_label(path: tuple) -> str:
    """The interface name of a field path from ``workflow.flatten``."""
    def name(part: str, extra_key: str | None = None) -> str:
        if extra_key is not None:
            return _("Source field “%(name)s”", name=extra_key)
        return str(FIELD_LABELS.get(part, part))

    def item(kind: str, k: int) -> str:
        return str(ITEM_LABELS[kind] % {"n": k + 1})

    head = path[0]
    if head == "extra":
        return name("extra", path[1])
    if head in ITEM_LABELS:
        return item(head, path[1])
    if head == "variants":
        return _("Variant %(n)d: %(field)s", n=path[1] + 1, field=name(path[2]))
    if head == "senses":
        if path[2] == "examples":
            field = item(path[4], path[5]) if len(path) > 5 else name(path[4])
            return _("Sense %(n)d, example %(m)d: %(field)s", n=path[1] + 1, m=path[3] + 1,
                     field=field)
        if path[2] == "extra":
            field = name("extra", path[3])
        else:
            field = item(path[2], path[3]) if path[2] in ITEM_LABELS else name(path[2])
        return _("Sense %(n)d: %(field)s", n=path[1] + 1, field=field)
    return name(head)


# ---- building the form ----------------------------------------------------------------------
def make_form(pos_choices, source_choices, data: dict[str, Any] | None = None) -> EntryForm:
    """The form from the request (``data`` None) or from ``data`` (a new or stored entry, or
    a request's data after a row was added, removed or moved)."""
    form = EntryForm() if data is None else EntryForm(formdata=None, data=data)
    pos_choices = list(pos_choices)
    if data is not None and form.part_of_speech.data and \
            form.part_of_speech.data not in {k for k, _label in pos_choices}:
        pos_choices.append((form.part_of_speech.data, form.part_of_speech.data))  # list lost it
    form.part_of_speech.choices = choices(pos_choices)
    form.source.choices = choices(source_choices)
    ff.set_type_choices(form)
    return form


def entry_data(entry: Entry, links: dict | None = None) -> dict[str, Any]:
    """Form data for a stored entry (sense ``key`` = its id, ``version`` for locking);
    ``links`` (``entry_display.find_links``) shows a link's target by its public id."""
    state, links = entry_state(entry), links or {}
    texts = [k for k, v in blank_sense().items() if isinstance(v, str)]
    senses = [{**blank_sense(), **{k: s[k] or "" for k in texts if k in s},
               "key": str(sense.id), "level": str(s["level"] or 0),
               "notes": ff.stored_notes(s["notes"]),
               "relations": ff.stored_relations(s["relations"], links),
               "pictures": ff.stored_pictures(s["pictures"]),
               "examples": [{"text": x["text"], "translation_vi": x["translation_vi"] or "",
                             "translations": ff.stored_translations(x["translations"])}
                            for x in s["examples"]]}
              for s, sense in zip(state["senses"], entry.senses)]
    return {"version": str(entry.version), "headword": state["headword"],
            "form_kind": state["form_kind"] or ORTHOGRAPHIC,
            "part_of_speech": state["part_of_speech"] or "",
            "lexeme_form": state["lexeme_form"] or "", "dialects": state["dialects"] or "",
            "pronunciation": state["pronunciation"] or "", "note": state["note"] or "",
            "notes": ff.stored_notes(state["notes"]),
            "relations": ff.stored_relations(state["relations"], links),
            "source": state["source"] or "", "senses": senses,
            "variants": [{"form": v["form"], "kind": v["kind"], "label": v["label"] or ""}
                         for v in state["variants"]], "comment": ""}


def form_data(form: EntryForm) -> dict[str, Any]:
    data = dict(form.data)
    data.pop("csrf_token", None)
    return data


def form_content(form: EntryForm) -> dict[str, Any]:
    """What the form asks the entry to be, for ``workflow.complete``."""
    data = form_data(form)
    content = {name: data[name] for name in ("headword", "form_kind", "part_of_speech",
                                             "lexeme_form", "dialects", "pronunciation", "note",
                                             "source", "variants")}
    content["notes"] = ff.notes_content(data["notes"])
    content["relations"] = ff.relations_content(data["relations"])
    content["senses"] = [
        {**s, "notes": ff.notes_content(s["notes"]),
         "relations": ff.relations_content(s["relations"]),
         "pictures": ff.pictures_content(s["pictures"])}
        for s in data["senses"]]
    return content


def form_version(form: EntryForm) -> int | None:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None


# ---- warnings (the save still goes through) ---------------------------------------------------
# Letters are checked with ``dictionary.alphabet`` (the same rules as the quality lists):
# Vietnamese letters with their tone marks, ASCII letters, the breve letters and ʼ of the
# practical spellings, and every letter the language's data/orthography/<lang>.toml names
# (keyboard letters, search equivalences, ignorable letters: the phonetic transcriptions of
# the starter data). Vernacular fields use the language's rules, Vietnamese fields none.
@dataclass
class Notice:
    message: str
    link: str | None = None  # public id of the entry the notice is about


def _first_gloss(senses: list[dict[str, Any]]) -> str:
    for g in (senses[0]["gloss_vi"] or "").split(";") if senses else ():
        if g.strip():
            return normalize.loose_key(g)
    return ""


def content_warnings(session: Session, language: Language, state: dict[str, Any],
                     rules: dict[str, Rules], exclude_id: int | None = None) -> list[Notice]:
    """Warnings for a complete entry state (``workflow.complete``): letters outside the
    alphabet, a likely duplicate, empty Vietnamese glosses."""
    notices: list[Notice] = []
    own = rules.get(language.code)
    texts: list[tuple[tuple, str, Rules | None]] = [(("headword",), state["headword"], own),
                                                    (("lexeme_form",), state["lexeme_form"], own)]
    for i, v in enumerate(state["variants"]):
        texts.append((("variants", i, "form"), v["form"], own))
    for i, s in enumerate(state["senses"]):
        texts.append((("senses", i, "gloss_vi"), s["gloss_vi"], None))
        for j, x in enumerate(s["examples"]):
            texts.append((("senses", i, "examples", j, "text"), x["text"], own))
            texts.append((("senses", i, "examples", j, "translation_vi"), x["translation_vi"],
                          None))
    for path, text, letter_rules in texts:
        odd = outside_alphabet(text or "", letter_rules, is_clean=True)
        if odd:
            notices.append(Notice(_("%(field)s: letters outside the alphabet: %(letters)s",
                                    field=form_field_label(path), letters=" ".join(odd))))
    if not state["senses"]:
        notices.append(Notice(_("The entry has no meaning yet.")))
    for i, s in enumerate(state["senses"]):
        if not s["gloss_vi"]:
            notices.append(Notice(_("Sense %(n)d has no Vietnamese gloss.", n=i + 1)))
    key, gloss = normalize.loose_key(state["headword"], rules.get(language.code)), \
        _first_gloss(state["senses"])
    if key and gloss:
        q = (select(Entry).where(Entry.language_id == language.id, Entry.headword_key == key,
                                 Entry.status != DELETED)
             .options(selectinload(Entry.senses)).order_by(Entry.id))
        if exclude_id is not None:
            q = q.where(Entry.id != exclude_id)
        with session.no_autoflush:
            for other in session.scalars(q):
                if _first_gloss([{"gloss_vi": s.gloss_vi} for s in other.senses[:1]]) == gloss:
                    notices.append(Notice(_("Possible duplicate: %(headword)s (%(id)s) has the "
                                            "same headword and first meaning.",
                                            headword=other.headword, id=other.public_id),
                                          other.public_id))
    return notices

"""The entry form (WTForms) and the checks shown next to it.

Where it sits in the data flow: ``admin.entries`` builds an ``EntryForm`` from the request,
turns it into plain content (``form_content``) for ``workflow``, and shows the warnings of
``content_warnings`` after a save or a "check". How many rows and how much text an entry
may hold comes from ``limits``, the same values the importer checks, so an imported entry
can always be saved here. Rows (senses → examples, variants) are
added, removed and moved by submit buttons named ``action`` (``add_sense``,
``remove_example-1-0``, ``up_variant-2``…), so the form works without JavaScript;
``static/entry-form.js`` does the same in the page. Validation messages are English msgids
translated by Flask-Babel; lexicon text never passes through gettext.
"""
from __future__ import annotations

import re
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

LENGTHS = limits.LENGTHS
TOO_LONG = _l("At most %(max)d characters.")
VARIANT_KINDS = [("spelling", _l("spelling variant")), ("dialect", _l("dialect form"))]
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
                "variants": _l("At most %(max)d spelling or dialect forms in one entry.")}

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


class ExampleForm(Form):
    text = StringField(_l("Example"), [_short("example")])
    translation_vi = StringField(_l("Vietnamese translation"), [_short("example_vi")])


class VariantForm(Form):
    form = StringField(_l("Form"), [_short("variant_form")])
    kind = SelectField(_l("Kind"), choices=choices(VARIANT_KINDS), default="spelling",
                       validate_choice=False, validators=[_listed])
    label = StringField(_l("Dialect or place"), [_short("variant_label")])


class SenseForm(Form):
    key = HiddenField()  # the stored sense this row continues (its hidden fields follow it)
    gloss_vi = StringField(
        _l("Vietnamese gloss"), [_short("gloss_vi")],
        description=_l("Several words with the same meaning: separate them with “;”."))
    gloss_en = StringField(_l("English gloss"), [_short("gloss_en")])
    definition = TextAreaField(_l("Definition"), [_short("definition")])
    semantic_field = StringField(_l("Semantic field"), [_short("semantic_field")])
    concept_id = StringField(_l("Concepticon id"), [
        Optional(),
        Regexp(rf"^\s*{limits.CONCEPT_ID.pattern}\s*$",
               message=_l("A Concepticon id is a number, such as 646."))])
    examples = FieldList(FormField(ExampleForm), validators=[_at_most("examples")])


class EntryForm(FlaskForm):
    version = HiddenField()
    headword = StringField(_l("Headword"), [DataRequired(_l("Enter the headword.")), _has_letters,
                                            _short("headword")])
    form_kind = SelectField(_l("Written as"), choices=choices(FORM_KINDS), default=ORTHOGRAPHIC,
                            validate_choice=False, validators=[_listed])
    part_of_speech = SelectField(_l("Part of speech"), choices=[], validate_choice=False,
                                 validators=[_listed])
    pronunciation = StringField(_l("Pronunciation"), [_short("pronunciation")])
    note = TextAreaField(_l("Notes"), [_short("note")])
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
        return valid


def form_text_size(form: EntryForm) -> int:
    """Characters of entry text in the form (the fields ``limits.entry_text_size`` counts)."""
    data = form.data
    size = sum(len(data.get(name) or "") for name in ("headword", "pronunciation", "note"))
    size += sum(len(v.get("form") or "") + len(v.get("label") or "")
                for v in data.get("variants") or [])
    for s in data.get("senses") or []:
        size += sum(len(s.get(name) or "") for name in ("gloss_vi", "gloss_en", "definition",
                                                         "semantic_field"))
        size += sum(len(x.get("text") or "") + len(x.get("translation_vi") or "")
                    for x in s.get("examples") or [])
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
    "label": _l("Dialect or place"),
}


def form_field_label(path: tuple) -> str:
    """The interface name of a field path from ``workflow.flatten``."""
    def name(part: str, extra_key: str | None = None) -> str:
        if extra_key is not None:
            return _("Source field “%(name)s”", name=extra_key)
        return str(FIELD_LABELS.get(part, part))

    head = path[0]
    if head == "extra":
        return name("extra", path[1])
    if head == "variants":
        return _("Variant %(n)d: %(field)s", n=path[1] + 1, field=name(path[2]))
    if head == "senses":
        if path[2] == "examples":
            return _("Sense %(n)d, example %(m)d: %(field)s", n=path[1] + 1, m=path[3] + 1,
                     field=name(path[4]))
        field = name("extra", path[3]) if path[2] == "extra" else name(path[2])
        return _("Sense %(n)d: %(field)s", n=path[1] + 1, field=field)
    return name(head)


# ---- building the form ----------------------------------------------------------------------
def blank_sense() -> dict[str, Any]:
    return {"key": "", "gloss_vi": "", "gloss_en": "", "definition": "", "semantic_field": "",
            "concept_id": "", "examples": []}


def blank_example() -> dict[str, str]:
    return {"text": "", "translation_vi": ""}


def blank_variant() -> dict[str, str]:
    return {"form": "", "kind": "spelling", "label": ""}


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
    return form


def entry_data(entry: Entry) -> dict[str, Any]:
    """Form data for a stored entry (sense ``key`` = its id, ``version`` for locking)."""
    state = entry_state(entry)
    senses = [{**blank_sense(), **{k: v or "" for k, v in s.items() if k in blank_sense()},
               "key": str(sense.id),
               "examples": [dict(x) for x in s["examples"]]}
              for s, sense in zip(state["senses"], entry.senses)]
    return {"version": str(entry.version), "headword": state["headword"],
            "form_kind": state["form_kind"] or ORTHOGRAPHIC,
            "part_of_speech": state["part_of_speech"] or "",
            "pronunciation": state["pronunciation"] or "", "note": state["note"] or "",
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
    return {name: data[name] for name in ("headword", "form_kind", "part_of_speech",
                                          "pronunciation", "note", "source", "senses",
                                          "variants")}


def form_version(form: EntryForm) -> int | None:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None


_ROW_ACTION = re.compile(r"(add|remove|up|down)_(sense|example|variant)((?:-\d{1,3}){0,2})\Z")


def row_action(data: dict[str, Any], action: str) -> str | None:
    """Apply a row button to form ``data`` in place; return the id of the field to focus
    next, or None when ``action`` is not a row button (or points at no row).

    >>> d = {"senses": [{"examples": []}, {"examples": [{"text": "a"}, {"text": "b"}]}],
    ...      "variants": []}
    >>> row_action(d, "up_example-1-1"), [x["text"] for x in d["senses"][1]["examples"]]
    ('senses-1-examples-0-text', ['b', 'a'])
    >>> row_action(d, "remove_sense-0"), len(d["senses"]), row_action(d, "add_variant")
    ('senses-0-gloss_vi', 1, 'variants-0-form')
    >>> row_action(d, "remove_sense-7") is None
    True
    """
    match = _ROW_ACTION.match(action or "")
    if not match:
        return None
    verb, kind = match.group(1), match.group(2)
    numbers = [int(n) for n in match.group(3).split("-")[1:]]
    try:
        if kind == "sense":
            rows, prefix, blank, first = data["senses"], "senses", blank_sense, "gloss_vi"
        elif kind == "variant":
            rows, prefix, blank, first = data["variants"], "variants", blank_variant, "form"
        else:
            s = numbers.pop(0)
            rows, prefix, blank, first = (data["senses"][s]["examples"], f"senses-{s}-examples",
                                          blank_example, "text")
        if verb == "add":
            maximum = {"sense": "senses", "variant": "variants", "example": "examples"}[kind]
            if len(rows) >= getattr(limits.current(), maximum):
                return None
            rows.append(blank())
            return f"{prefix}-{len(rows) - 1}-{first}"
        i = numbers[0]
        j = {"remove": i, "up": i - 1, "down": i + 1}[verb]
        if not (0 <= i < len(rows) and 0 <= j < len(rows)):
            return None
        if verb == "remove":
            rows.pop(i)
            return f"{prefix}-{min(i, len(rows) - 1)}-{first}" if rows else "headword"
        rows[i], rows[j] = rows[j], rows[i]
        return f"{prefix}-{j}-{first}"
    except (IndexError, KeyError):
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
    texts: list[tuple[tuple, str, Rules | None]] = [(("headword",), state["headword"], own)]
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

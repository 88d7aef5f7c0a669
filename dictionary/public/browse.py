"""Browse pages: a language's entries by first letter (ICU order) and by semantic field.

Where it sits in the data flow: reads the derived ``Entry.first_letter`` / ``Entry.sort_key``
columns straight from the database (ORDER BY sort_key: never code-point order) and orders the
letters with ``search_index.collation``. Semantic fields are stored as English Concepticon
categories; ``data/semantic_fields.toml`` is the interface label table that names them.
"""
from __future__ import annotations

import math

from flask import render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from search_index import collation

from ..db import session
from ..models import PUBLISHED, Entry, Language, Sense
from ..web import error_page, language_rules, semantic_field_label
from . import bp

PER_PAGE = 50


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def letter_counts(language: Language) -> list[tuple[str, int]]:
    rows = session().execute(
        select(Entry.first_letter, func.count(Entry.id))
        .where(Entry.language_id == language.id, Entry.status == PUBLISHED,
               Entry.first_letter != "")
        .group_by(Entry.first_letter)).all()
    counts = dict(rows)
    order = collation.sorted_letters(counts, language_rules(language.code))
    return [(letter, counts.get(letter, 0)) for letter in order]


def field_counts(language: Language) -> list[tuple[str, str, int]]:
    """(field, label, entries) sorted by the label in Vietnamese collation order."""
    rows = session().execute(
        select(Sense.semantic_field, func.count(func.distinct(Entry.id)))
        .join(Sense.entry)
        .where(Entry.language_id == language.id, Entry.status == PUBLISHED,
               Sense.semantic_field.is_not(None), Sense.semantic_field != "")
        .group_by(Sense.semantic_field)).all()
    key = collation.sort_key_func(None)
    items = [(name, semantic_field_label(name), count) for name, count in rows]
    return sorted(items, key=lambda item: (key(item[1]), item[1]))


@bp.get("/browse/<lang>")
def browse(lang: str):
    language = session().scalar(select(Language).where(Language.code == lang))
    if language is None:
        return error_page(NotFound(), message=_("This dictionary has no language “%(code)s”.",
                                                code=lang[:20]))
    letter = request.args.get("letter", "")[:8]
    field = request.args.get("field", "")[:80]
    listing = None
    if letter or field:
        listing = entry_page(language, letter, field, _page_number(request.args.get("page")))
    return render_template(
        "dictionary/browse.html", language=language, letters=letter_counts(language),
        fields=field_counts(language), letter=letter, field=field,
        field_name=semantic_field_label(field) if field else "", listing=listing)


def entry_page(language: Language, letter: str, field: str, page: int) -> dict:
    where = [Entry.language_id == language.id, Entry.status == PUBLISHED]
    if letter:
        where.append(Entry.first_letter == letter)
    if field:
        where.append(Entry.id.in_(select(Sense.entry_id).where(Sense.semantic_field == field)))
    s = session()
    total = s.scalar(select(func.count(Entry.id)).where(*where)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    entries = list(s.scalars(
        select(Entry).where(*where)
        .options(selectinload(Entry.senses))
        .order_by(Entry.sort_key, Entry.homograph, Entry.id)
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))

    def page_url(n: int) -> str:
        args = {k: v for k, v in (("letter", letter), ("field", field)) if v}
        return url_for("dictionary.browse", lang=language.code, page=n, **args)

    return {
        "entries": entries, "total": total, "page": page, "pages": pages,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
    }


@bp.app_context_processor
def _browse_globals() -> dict:
    return {"semantic_field_label": semantic_field_label}

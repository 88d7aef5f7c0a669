"""Quality lists under ``/admin/quality`` (editors and up) and the merge of duplicates
(reviewers and up).

Where it sits: the HTTP side of ``dictionary.quality`` (which holds the queries and the
merge itself). Lists are paged; each row links to the entry's admin page, and the
zero-result log links to a new-entry form prefilled with the query. Those entry pages
belong to the entry forms (endpoints ``admin.entry``/``admin.entry_view`` and
``admin.entry_new``); while one is not registered its link is the plain path
(``/admin/entries/<id>``, ``/admin/entries/new?lang=…&gloss=…``).
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, RadioField, SelectChoice
from wtforms.validators import InputRequired

from ... import zero_results
from ...alphabet import code_points
from ...auth import role_required
from ...db import session
from ...indexing import index_service
from ...models import DELETED, EDITOR, REVIEWER, Entry, Sense
from ...search import ALL
from ...web import languages
from .. import quality
from .. import bp

ZERO_RESULT_FILTERS = (ALL,)  # the search's "all languages" filter, besides the codes

TABS = [
    ("admin.quality_alphabet", _l("Letters outside the alphabet")),
    ("admin.quality_duplicates", _l("Likely duplicates")),
    ("admin.quality_glosses", _l("Without a Vietnamese gloss")),
    ("admin.quality_zero_results", _l("Searches without results")),
]


# ---- links to the entry forms ---------------------------------------------------------------
def entry_admin_url(public_id: str) -> str:
    return url_for("admin.entry_view", public_id=public_id)


def new_entry_url(lang: str | None, **prefill: str) -> str:
    """The new-entry form, prefilled with the word people looked for."""
    return url_for("admin.entry_new", **{k: v for k, v in {"lang": lang, **prefill}.items() if v})


@bp.context_processor
def _quality_helpers() -> dict:
    # Feature packages add their own lists (``app.extensions["quality_tabs"]``: the lessons'
    # most-failed senses), shown with the same tabs.
    tabs = TABS + list(current_app.extensions.get("quality_tabs", ()))
    return {"entry_admin_url": entry_admin_url, "new_entry_url": new_entry_url,
            "code_points": code_points, "quality_tabs": tabs}


# ---- request arguments ----------------------------------------------------------------------
def _codes() -> list[str]:
    return [language.code for language in languages()]


def _lang_arg(extra: tuple[str, ...] = ()) -> str | None:
    value = request.args.get("lang", "")
    return value if value in (*_codes(), *extra) else None


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _listing(page: quality.Page, endpoint: str, lang: str | None) -> dict:
    """What ``_pager.html`` needs."""
    def page_url(n: int) -> str:
        return url_for(endpoint, page=n, **({"lang": lang} if lang else {}))

    return {"page": page.page, "pages": page.pages, "total": page.total,
            "prev_url": page_url(page.page - 1) if page.page > 1 else None,
            "next_url": page_url(page.page + 1) if page.page < page.pages else None}


def _render_list(template: str, page: quality.Page, lang: str | None, **context):
    return render_template(template, page=page, lang=lang, lang_codes=_codes(),
                           listing=_listing(page, request.endpoint, lang), **context)


# ---- the lists ------------------------------------------------------------------------------
@bp.get("/quality", endpoint="quality")  # the endpoint the menu in admin/__init__.py names
@role_required(EDITOR)
def overview():
    zero_results.flush()
    s = session()
    counts = {
        "admin.quality_alphabet": len(quality.alphabet_problems(s, index_service().rules)),
        "admin.quality_duplicates": len(quality.duplicate_groups(s)),
        "admin.quality_glosses": quality.entries_without_gloss(s, per_page=1).total,
        "admin.quality_zero_results": quality.zero_result_queries(s, per_page=1).total,
    }
    return render_template("admin/quality.html", counts=counts)


@bp.get("/quality/alphabet")
@role_required(EDITOR)
def quality_alphabet():
    lang = _lang_arg()
    found = quality.alphabet_problems(session(), index_service().rules, lang)
    return _render_list("admin/quality_alphabet.html", quality.page_of(found, _page_arg()), lang)


@bp.get("/quality/duplicates")
@role_required(EDITOR)
def quality_duplicates():
    lang = _lang_arg()
    groups = quality.duplicate_groups(session(), lang)
    return _render_list("admin/quality_duplicates.html", quality.page_of(groups, _page_arg()),
                        lang)


@bp.get("/quality/no-gloss")
@role_required(EDITOR)
def quality_glosses():
    lang = _lang_arg()
    page = quality.entries_without_gloss(session(), lang, _page_arg())
    return _render_list("admin/quality_glosses.html", page, lang,
                        has_gloss=quality.sense_has_gloss)


@bp.get("/quality/zero-results")
@role_required(EDITOR)
def quality_zero_results():
    lang = _lang_arg(ZERO_RESULT_FILTERS)
    zero_results.flush()  # this process's latest counts first
    page = quality.zero_result_queries(session(), lang, _page_arg())
    return _render_list("admin/quality_zero_results.html", page, lang,
                        filters=[*ZERO_RESULT_FILTERS, *_codes()])


# ---- merging --------------------------------------------------------------------------------
class MergeForm(FlaskForm):
    ids = HiddenField()
    versions = HiddenField()  # "id:version,…" as shown: refuse if an entry changed since
    keep = RadioField(_l("Entry to keep"), choices=[],
                      validators=[InputRequired(_l("Choose the entry to keep."))])


def _merge_candidates(ids: list[str]) -> tuple[list[Entry], str | None]:
    """The entries to merge, in the order asked, or an error message."""
    ids = list(dict.fromkeys(i.strip() for raw in ids for i in raw.split(",") if i.strip()))[:20]
    entries = {e.public_id: e for e in session().scalars(
        select(Entry).where(Entry.public_id.in_(ids))
        .options(selectinload(Entry.language), selectinload(Entry.variants),
                 selectinload(Entry.senses).selectinload(Sense.examples)))}
    found = [entries[i] for i in ids if i in entries]
    if len(found) < 2:
        return found, _("Choose at least two existing entries to merge.")
    if any(e.status == DELETED for e in found):
        return found, _("A deleted entry cannot be merged.")
    if len({e.language_id for e in found}) > 1:
        return found, _("Only entries of the same language can be merged.")
    return found, None


def _versions(entries: list[Entry]) -> str:
    return ",".join(f"{e.public_id}:{e.version}" for e in entries)


@bp.route("/quality/merge", methods=["GET", "POST"])
@role_required(REVIEWER)
def quality_merge():
    """GET: the confirm page (choose the entry to keep); POST: merge, in one transaction."""
    form = MergeForm()
    raw = [form.ids.data or ""] if request.method == "POST" else request.args.getlist("ids")
    entries, problem = _merge_candidates(raw)
    if problem:
        flash(problem)
        return redirect(url_for("admin.quality_duplicates"))
    form.keep.choices = [SelectChoice(e.public_id) for e in entries]
    status = 200
    if request.method == "GET":
        form.ids.data = ",".join(e.public_id for e in entries)
        form.versions.data = _versions(entries)
    elif form.validate_on_submit():
        if form.versions.data != _versions(entries):
            form.form_errors.append(_("An entry changed while you were looking at it. "
                                      "Check the entries again before merging."))
            form.versions.data = _versions(entries)
            status = 409
        else:
            keep = next(e for e in entries if e.public_id == form.keep.data)
            others = [e for e in entries if e is not keep]
            s = session()
            try:
                report = quality.merge_entries(s, keep, others, user=current_user)
                s.commit()
            except StaleDataError:
                s.rollback()
                flash(_("An entry changed while you were looking at it. "
                        "Check the entries again before merging."))
                return redirect(url_for("admin.quality_duplicates"))
            flash(_("Merged %(others)s into %(kept)s. Moved senses: %(senses)d, examples: "
                    "%(examples)d, variants: %(variants)d.", others=", ".join(report.merged),
                    kept=report.kept, senses=report.senses, examples=report.examples,
                    variants=report.variants))
            return redirect(url_for("admin.quality_duplicates"))
    else:
        status = 400
    language = entries[0].language if entries else None
    return render_template("admin/quality_merge.html", form=form, entries=entries,
                           language=language), status

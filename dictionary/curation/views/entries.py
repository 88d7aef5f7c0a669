"""Admin pages for entries: the list, the create/edit form, one entry's page, its history.

Where it sits in the data flow: request → ``entry_forms.EntryForm`` → one ``workflow`` action
→ commit → the session hooks apply the text rules, hand out the public id and queue the
index update (the index only ever holds PUBLISHED entries) → redirect to the entry's page,
which shows the warnings (odd letters, likely duplicate, empty gloss). The edit form
carries ``Entry.version``: a save based on an older version renders the conflict page
instead of overwriting. Status changes (submit, publish, …) live in ``admin.review``.
"""
from __future__ import annotations

import math

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import selectinload

from search_index import normalize

from ...auth import role_required
from ...db import session
from ...entry_display import entry_fields, find_links
from ...indexing import index_service
from ...models import (
    CONTRIBUTOR,
    DELETED,
    EDITOR,
    STATUSES,
    Entry,
    Language,
    Revision,
    Sense,
    Source,
)
from ...parts_of_speech import load_parts_of_speech
from ...revisions import entry_state
from ...web import semantic_fields, ui_lang
from .. import history, workflow
from .. import STATUS_LABELS, bp
from ..forms import (
    FORM_KINDS,
    VARIANT_KINDS,
    EntryActionForm,
    RejectForm,
    content_warnings,
    entry_data,
    form_field_label,
    form_content,
    form_data,
    form_version,
    make_form,
)
from ..form_fields import link_problems, linked_headwords
from ..form_rows import row_action

PER_PAGE = 50


def user():
    return current_user._get_current_object()


def load_entry(public_id: str) -> Entry:
    entry = session().scalar(
        select(Entry).where(Entry.public_id == public_id)
        .options(selectinload(Entry.language), selectinload(Entry.source),
                 selectinload(Entry.variants),
                 selectinload(Entry.senses).selectinload(Sense.examples)))
    if entry is None:
        abort(404)
    return entry


def rules() -> dict:
    return index_service().rules


def pos_choices() -> list[tuple[str, str]]:
    items = load_parts_of_speech(current_app.config["DATA_DIR"])
    return [("", "—")] + [(p.key, p.en if ui_lang() == "en" else p.vi) for p in items]


def source_choices() -> list[tuple[str, str]]:
    keys = session().scalars(select(Source.key).order_by(Source.key))
    return [("", _("none: the curators' own entry"))] + [(k, k) for k in keys]


def curated_license() -> str:
    # The licence of the curators' own entries: a project decision, so a setting (empty
    # until the project chooses one), never guessed here.
    return current_app.config.get("CURATED_LICENSE", "")


@bp.context_processor
def _entry_helpers() -> dict:
    return {"form_field_label": form_field_label, "shown_value": shown_value,
            "summary_label": summary_label, "can": lambda actions, a: a in actions}


def shown_value(path: tuple, value) -> str:
    """A value of the diff table as people read it."""
    if value is None:
        return "—"
    labels = {"status": dict(STATUS_LABELS), "form_kind": dict(FORM_KINDS),
              "kind": dict(VARIANT_KINDS)}.get(path[-1] if path[0] != "extra" else "", {})
    if path[0] == "reviewed":
        return _("yes") if value else _("no")
    return str(labels.get(value, value))


def summary_label(revision: Revision) -> str:
    s = revision.summary
    labels = {"created": _("created"), "updated": _("changed"),
              "submitted": _("submitted for review"), "published": _("published"),
              "rejected": _("sent back to draft"), "reviewed": _("marked as reviewed"),
              "deleted": _("deleted"), "restored": _("restored")}
    if s == workflow.RESTORED and revision.snapshot.get("restored_from"):
        return _("restored from revision %(n)d", n=revision.snapshot["restored_from"])
    return labels.get(s, s)


# ---- the list -------------------------------------------------------------------------------
@bp.get("/entries", endpoint="entries")
@role_required(CONTRIBUTOR)
def entry_list():
    s = session()
    languages = list(s.scalars(select(Language).order_by(Language.id)))
    codes = {lang.code: lang for lang in languages}
    lang = request.args.get("lang", "")
    lang = lang if lang in codes else ""
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    q = normalize.clean(request.args.get("q", "")[:200])
    where = [Entry.status == status] if status else [Entry.status != DELETED]
    if lang:
        where.append(Entry.language_id == codes[lang].id)
    if q:
        keys = {normalize.loose_key(q, rules().get(code)) for code in ([lang] if lang else codes)}
        keys.discard("")
        where.append(or_(*(Entry.headword_key.contains(k, autoescape=True) for k in keys))
                     if keys else false())
    total = s.scalar(select(func.count(Entry.id)).where(*where)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    try:
        page = min(max(1, int(request.args.get("page", 1))), pages)
    except ValueError:
        page = 1
    entries = list(s.scalars(
        select(Entry).where(*where)
        .options(selectinload(Entry.language), selectinload(Entry.senses))
        .order_by(Entry.sort_key, Entry.homograph, Entry.id)
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))

    def page_url(n: int) -> str:
        args = {k: v for k, v in (("lang", lang), ("status", status), ("q", q)) if v}
        return url_for("admin.entries", page=n, **args)

    listing = {"page": page, "pages": pages, "total": total,
               "prev_url": page_url(page - 1) if page > 1 else None,
               "next_url": page_url(page + 1) if page < pages else None}
    return render_template("admin/entries.html", entries=entries, languages=languages,
                           lang=lang, status=status, q=q, listing=listing, statuses=STATUSES)


# ---- create and edit --------------------------------------------------------------------------
def _render_form(form, language: Language, entry: Entry | None, *, focus: str | None = None,
                 notices=None, status: int = 200):
    blank = _blank_rows()
    return render_template(
        "admin/entry_form.html", form=form, language=language, entry=entry, blank=blank,
        letters=_letters(language), focus=focus, notices=notices,
        fields=_semantic_fields(), linked=_linked(entry)), status


def _blank_rows():
    """A form with one blank row of each kind, for the page script's row templates."""
    return make_form(pos_choices(), source_choices(), {
        "notes": [{}], "relations": [{}], "variants": [{}],
        "senses": [{"examples": []},
                   {"examples": [{}, {"translations": [{}]}], "notes": [{}], "relations": [{}]}]})


def _linked(entry: Entry | None) -> dict:
    """The entries the stored links lead to, by public id (drafts too: curators look)."""
    return linked_headwords(find_links(session(), entry, public_only=False)) if entry else {}


def _letters(language: Language) -> list[str]:
    found = rules().get(language.code)
    return list(found.letters) if found else []


def _semantic_fields() -> list[str]:
    return sorted(semantic_fields())


def _form_step(form, language: Language, entry: Entry | None):
    """A row button or a failed check: the page to show again (None: go on and save)."""
    action = request.form.get("action", "save")
    if action not in ("save", "check"):
        data = form_data(form)
        focus = row_action(data, action)
        return _render_form(make_form(pos_choices(), source_choices(), data), language, entry,
                            focus=focus)
    valid = form.validate()
    if not link_problems(session(), form, language, entry) or not valid:
        return _render_form(form, language, entry, status=400)
    if action == "check":
        state = workflow.complete(entry, form_content(form), curated_license())
        notices = content_warnings(session(), language, state, rules(),
                                   exclude_id=entry.id if entry else None)
        return _render_form(form, language, entry, notices=notices or [])
    return None


@bp.route("/entries/new", methods=["GET", "POST"])
@role_required(CONTRIBUTOR)
def entry_new():
    s = session()
    language = s.scalar(select(Language).where(Language.code == request.args.get("lang", "")))
    if language is None:
        return render_template("admin/entry_form.html", form=None, language=None,
                               languages=list(s.scalars(select(Language).order_by(Language.id))))
    if request.method == "GET":
        # The quality lists link here with the word people searched for prefilled.
        form = make_form(pos_choices(), source_choices(), {
            "headword": request.args.get("headword", "")[:200],
            "senses": [{"gloss_vi": request.args.get("gloss", "")[:500], "examples": []}],
            "variants": []})
        return _render_form(form, language, None)
    form = make_form(pos_choices(), source_choices())
    page = _form_step(form, language, None)
    if page is not None:
        return page
    entry = workflow.create_entry(s, user(), language, form_content(form),
                                  comment=form.comment.data, curated_license=curated_license())
    s.commit()
    flash(_("Saved as a draft."))
    return redirect(url_for("admin.entry_view", public_id=entry.public_id))


@bp.route("/entries/<public_id>/edit", methods=["GET", "POST"])
@role_required(CONTRIBUTOR)
def entry_edit(public_id: str):
    s = session()
    entry = load_entry(public_id)
    problem = workflow.refusal(s, user(), entry, workflow.EDIT)
    if problem is workflow.NotAllowed:
        abort(403)
    if problem is not None:
        flash(_("A deleted entry cannot be edited; restore it first."))
        return redirect(url_for("admin.entry_view", public_id=public_id))
    if request.method == "GET":
        links = find_links(s, entry, public_only=False)
        return _render_form(make_form(pos_choices(), source_choices(), entry_data(entry, links)),
                            entry.language, entry)
    form = make_form(pos_choices(), source_choices())
    page = _form_step(form, entry.language, entry)
    if page is not None:
        return page
    try:
        # No version (a hand-made request) counts as stale: 0 never matches a stored one.
        changed = workflow.save_entry(s, user(), entry, form_content(form),
                                      form_version(form) or 0, comment=form.comment.data,
                                      curated_license=curated_license())
        s.commit()
    except workflow.VersionConflict:
        s.rollback()
        return _conflict(public_id, form)
    flash(_("Saved.") if changed else _("Nothing was changed."))
    return redirect(url_for("admin.entry_view", public_id=public_id))


def _conflict(public_id: str, form):
    """Someone saved first: show what is stored now beside the user's own input, which stays
    in a form carrying the new version, so it can be sent again after reconciling."""
    entry = load_entry(public_id)
    form.version.data = str(entry.version)
    form.version.raw_data = [form.version.data]
    mine = workflow.complete(entry, form_content(form))
    changes = history.diff(entry_state(entry), mine)
    return render_template("admin/conflict.html", entry=entry, form=form, changes=changes,
                           language=entry.language, blank=_blank_rows(),
                           letters=_letters(entry.language), focus=None, notices=None,
                           fields=_semantic_fields(), shown=_shown(entry),
                           linked=_linked(entry)), 409


# ---- one entry and its history ------------------------------------------------------------------
def _shown(entry: Entry) -> dict:
    """Notes, links (resolved for curators: drafts too), numbered senses (``entry_display``)."""
    return entry_fields(entry, find_links(session(), entry, public_only=False))


def render_entry(entry: Entry, *, reject_form=None, status: int = 200):
    s = session()
    actions = workflow.allowed_actions(s, user(), entry)
    revisions = list(s.scalars(select(Revision).where(Revision.entry_public_id == entry.public_id)
                               .order_by(Revision.id.desc()).limit(5)))
    notices = content_warnings(s, entry.language, entry_state(entry), rules(), exclude_id=entry.id)
    version = {"version": str(entry.version)}
    return render_template(
        "admin/entry_view.html", e=entry, actions=actions, revisions=revisions, notices=notices,
        shown=_shown(entry),
        action_form=EntryActionForm(formdata=None, data=version),
        reject_form=reject_form or RejectForm(formdata=None, data=version)), status


@bp.get("/entries/<public_id>")
@role_required(CONTRIBUTOR)
def entry_view(public_id: str):
    return render_entry(load_entry(public_id))


@bp.get("/entries/<public_id>/history")
@role_required(CONTRIBUTOR)
def entry_history(public_id: str):
    s = session()
    entry = load_entry(public_id)
    revisions = list(s.scalars(select(Revision).where(Revision.entry_public_id == public_id)
                               .order_by(Revision.id)))
    items, before = [], None
    for revision in revisions:
        items.append((revision, history.diff(before, revision.snapshot)))
        before = revision.snapshot
    items.reverse()
    can_restore = workflow.refusal(s, user(), entry, workflow.RESTORE) is None
    return render_template("admin/history.html", e=entry, items=items, can_restore=can_restore,
                           form=EntryActionForm(formdata=None, data={"version": str(entry.version)}),
                           latest=revisions[-1].id if revisions else None)


@bp.post("/entries/<public_id>/restore/<int:revision_id>")
@role_required(EDITOR)
def entry_restore(public_id: str, revision_id: int):
    s = session()
    entry = load_entry(public_id)
    revision = s.get(Revision, revision_id)
    if revision is None or revision.entry_public_id != public_id:
        abort(404)
    form = EntryActionForm()
    try:
        # No version counts as stale, as for a save and every status change.
        changed = workflow.restore(s, user(), entry, revision, form_version(form) or 0,
                                   comment=form.comment.data)
        s.commit()
    except workflow.NotAllowed:
        abort(403)
    except workflow.InvalidTransition:
        flash(_("A deleted entry cannot be edited; restore it first."))
    except workflow.VersionConflict:
        s.rollback()
        flash(_("The entry was changed by someone else in the meantime. Look at it again "
                "before you decide."))
        return redirect(url_for("admin.entry_history", public_id=public_id))
    else:
        flash(_("Restored the content of revision %(n)d.", n=revision_id) if changed
              else _("That revision has the same content as the entry now."))
    return redirect(url_for("admin.entry_view", public_id=public_id))

"""Curation workflow: who may do what to an entry, and the actions that change it.

Where it sits in the data flow: the admin views (``dictionary.admin.entries`` and
``dictionary.admin.review``) turn a request into one call here; each action checks the
permission and the status transition, changes the ORM objects, and leaves a ``Revision``
through ``revisions.record`` in the same transaction. The caller commits. The session hooks
(``indexing``/``derive``) then apply the text rules, hand out public ids and queue the search
index update: only PUBLISHED entries reach the index, so a draft is never searchable.

Statuses: DRAFT → IN_REVIEW → PUBLISHED; IN_REVIEW → DRAFT when a reviewer rejects (with a
comment); any → DELETED (soft) and back to the status it had. Editing a published entry
keeps it live; when the editor could not have published it (below reviewer), the entry is
flagged ``reviewed = False`` and shows up in the review queue as "changes not reviewed".
No Flask request code here: the user is passed in.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..auth import has_role
from ..models import (
    CONTRIBUTOR,
    DELETED,
    DRAFT,
    EDITOR,
    IN_REVIEW,
    ORTHOGRAPHIC,
    PUBLISHED,
    REVIEWER,
    Entry,
    Language,
    Revision,
    Source,
)
from ..revisions import EntryState, assign_state, entry_state, record
from .content import clean_text as _text
from .content import example, level, notes, pictures, plain_text, relations

# Revision summaries (Revision.summary): one word each; pages translate them.
CREATED, UPDATED, SUBMITTED, PUBLISHED_, REJECTED = (
    "created", "updated", "submitted", "published", "rejected")
REVIEWED, DELETED_, RESTORED = "reviewed", "deleted", "restored"

EDIT, SUBMIT, PUBLISH, REJECT = "edit", "submit", "publish", "reject"
MARK_REVIEWED = "mark_reviewed"
DELETE, UNDELETE, RESTORE = "delete", "undelete", "restore"
ACTIONS = (EDIT, SUBMIT, PUBLISH, REJECT, MARK_REVIEWED, DELETE, UNDELETE, RESTORE)

_LIVE = frozenset({DRAFT, IN_REVIEW, PUBLISHED})
# action → (weakest role, statuses it starts from)
_RULES = {
    EDIT: (CONTRIBUTOR, _LIVE),
    SUBMIT: (CONTRIBUTOR, {DRAFT}),
    PUBLISH: (REVIEWER, {IN_REVIEW}),
    REJECT: (REVIEWER, {IN_REVIEW}),
    MARK_REVIEWED: (REVIEWER, {PUBLISHED}),
    DELETE: (EDITOR, _LIVE),
    UNDELETE: (EDITOR, {DELETED}),
    RESTORE: (EDITOR, _LIVE),
}

SCALARS = ("headword", "part_of_speech", "form_kind", "pronunciation", "variety", "note",
           "license", "source", "extra", "lexeme_form", "dialects", "notes", "relations")
SENSE_FIELDS = ("gloss_vi", "gloss_en", "definition", "semantic_field", "concept_id",
                "concept_gloss", "gloss_note", "dialects", "extra")
# Sense fields a form row carries apart from SENSE_FIELDS (lists, and the level).
SENSE_LISTS = ("notes", "relations", "pictures")


class WorkflowError(Exception):
    """An action that cannot be done; the views turn it into a page or a message."""


class NotAllowed(WorkflowError):
    """The user's role (or, for a contributor, the entry's owner or status) forbids it."""


class InvalidTransition(WorkflowError):
    """The entry's status does not allow the action (e.g. publishing a draft)."""


class CommentRequired(WorkflowError):
    """Rejecting needs a comment that says what to change."""


class NotGlossed(WorkflowError):
    """Publishing needs a Vietnamese gloss on every sense (imports may bring senses
    without one: they wait as drafts until a linguist glosses them)."""


class VersionConflict(WorkflowError):
    """Someone else saved the entry since the form was loaded."""

    def __init__(self, public_id: str) -> None:
        super().__init__(f"{public_id} changed since it was loaded")
        self.public_id = public_id


# ---- permissions ----------------------------------------------------------------------------
def creator_id(session: Session, entry: Entry) -> int | None:
    """The user who created the entry through the forms (None for imported entries)."""
    if not entry.public_id:
        return None
    first = session.execute(select(Revision.user_id, Revision.summary)
                            .where(Revision.entry_public_id == entry.public_id)
                            .order_by(Revision.id).limit(1)).first()
    return first.user_id if first is not None and first.summary == CREATED else None


def refusal(session: Session, user, entry: Entry, action: str) -> type[WorkflowError] | None:
    """Why ``user`` may not do ``action`` on ``entry`` now (None: allowed)."""
    role, statuses = _RULES[action]
    if not has_role(user, role):
        return NotAllowed
    if action in (EDIT, SUBMIT) and not has_role(user, EDITOR):
        # Contributors suggest: they edit and submit their own drafts, nothing else.
        if entry.status != DRAFT or creator_id(session, entry) != user.id:
            return NotAllowed
    if entry.status not in statuses or (action == MARK_REVIEWED and entry.reviewed):
        return InvalidTransition
    return None


def allowed_actions(session: Session, user, entry: Entry) -> set[str]:
    return {a for a in ACTIONS if refusal(session, user, entry, a) is None}


def check(session: Session, user, entry: Entry, action: str, version: int | None = None) -> None:
    problem = refusal(session, user, entry, action)
    if problem is not None:
        raise problem(f"{action} is not possible on {entry.public_id} ({entry.status})")
    if version is not None and version != entry.version:
        raise VersionConflict(entry.public_id)


# ---- content ----------------------------------------------------------------------------------
def complete(entry: Entry | None, content: dict[str, Any], curated_license: str = "") -> EntryState:
    """The full state (shape of ``revisions.entry_state``) that ``content`` asks for: text in
    storage form, empty rows dropped, and what a form does not show (variety, source fields,
    a sense's concept gloss and note) kept from the stored entry. A sense may name the stored
    sense it continues with ``key`` (its id), so its hidden fields follow it when rows move."""
    have = entry_state(entry) if entry is not None and entry.id is not None else {}
    stored = {str(s.id): s for s in entry.senses} if have else {}
    out: dict[str, Any] = {name: content.get(name, have.get(name)) for name in SCALARS}
    out["headword"] = _text(out["headword"], "")
    for name in ("part_of_speech", "pronunciation", "variety", "note", "lexeme_form"):
        out[name] = _text(out[name])
    out["dialects"] = plain_text(out["dialects"])
    out["notes"] = notes(out["notes"])
    out["relations"] = relations(out["relations"], have.get("relations"))
    out["form_kind"] = out["form_kind"] or ORTHOGRAPHIC
    out["source"] = out["source"] or None
    out["extra"] = dict(out["extra"] or {})
    if "license" not in content:
        out["license"] = have.get("license", curated_license) if have else curated_license
    senses: list[dict[str, Any]] = []
    for raw in content.get("senses", have.get("senses", [])):
        old = stored.get(str(raw.get("key") or ""))
        sense = {name: raw.get(name, getattr(old, name, None) if old else None)
                 for name in SENSE_FIELDS + SENSE_LISTS + ("level",)}
        for name in ("gloss_en", "definition", "semantic_field", "concept_id", "concept_gloss",
                     "gloss_note"):
            sense[name] = _text(sense[name])
        sense["dialects"] = plain_text(sense["dialects"])
        sense["gloss_vi"] = _text(sense["gloss_vi"], "")
        if old is not None and "concept_gloss" not in raw and sense["concept_id"] != old.concept_id:
            sense["concept_gloss"] = None  # the gloss named the old concept
        sense["extra"] = dict(sense["extra"] or {})
        sense["notes"] = notes(sense["notes"])
        sense["relations"] = relations(sense["relations"], old.relations if old else None)
        sense["pictures"] = pictures(sense["pictures"], old.pictures if old else None)
        sense["examples"] = [x for x in map(example, raw.get("examples", []))
                             if x["text"] or x["translation_vi"] or x["translations"]]
        if any(sense[n] for n in SENSE_FIELDS + SENSE_LISTS) or sense["examples"]:
            sense["level"] = level(sense["level"], senses[-1]["level"] if senses else -1)
            senses.append(sense)
    out["senses"] = senses
    out["variants"] = [{"form": _text(v.get("form"), ""), "kind": v.get("kind") or "spelling",
                        "label": _text(v.get("label"))}
                       for v in content.get("variants", have.get("variants", []))
                       if _text(v.get("form"))]
    return cast(EntryState, out)


def apply_state(session: Session, entry: Entry, want: EntryState) -> bool:
    """Make the entry hold ``want`` (a complete state); assign only what differs, so an
    unchanged entry is not written. Returns whether anything changed."""
    have = entry_state(entry) if entry.id is not None else None
    if have == want:
        return False
    with session.no_autoflush:  # a half-filled new entry must not be flushed by the lookup
        source = session.scalar(select(Source).where(Source.key == want["source"])) \
            if want["source"] else None
        assign_state(entry, want, source)
    return True


def _license(session: Session, want: EntryState, content: dict[str, Any],
             old_source: str | None, curated_license: str) -> None:
    """An entry from a source carries the source's licence; the curators' own entries carry
    the project's licence for curated data (empty until the project chooses one)."""
    if "license" in content or want["source"] == old_source:
        return
    source = session.scalar(select(Source).where(Source.key == want["source"])) \
        if want["source"] else None
    want["license"] = source.license if source is not None else curated_license


def _record(session: Session, entry: Entry, summary: str, user, comment: str | None,
            **extra: Any) -> Revision:
    public_id = entry.public_id  # read now: after a failed flush the entry cannot be loaded
    try:
        revision = record(session, entry, summary, user=user, comment=_text(comment))
    except StaleDataError as exc:  # another save committed between our read and our write
        raise VersionConflict(public_id) from exc
    if extra:
        revision.snapshot = {**revision.snapshot, **extra}
    return revision


def _touch_review(user, entry: Entry) -> None:
    # A live change by someone who could not have published it needs a reviewer's look.
    if entry.status == PUBLISHED and not has_role(user, REVIEWER):
        entry.reviewed = False


# ---- actions (the caller commits) -----------------------------------------------------------
def create_entry(session: Session, user, language: Language, content: dict[str, Any], *,
                 comment: str | None = None, curated_license: str = "") -> Entry:
    """A new entry, always a DRAFT: nothing reaches the public pages without review."""
    if not has_role(user, CONTRIBUTOR):
        raise NotAllowed("creating entries needs an account with a role")
    want = complete(None, content, curated_license)
    _license(session, want, content, None, curated_license)
    entry = Entry(language=language, status=DRAFT, reviewed=False, headword="")
    session.add(entry)
    apply_state(session, entry, want)
    _record(session, entry, CREATED, user, comment)
    return entry


def save_entry(session: Session, user, entry: Entry, content: dict[str, Any], version: int | None,
               *, comment: str | None = None, curated_license: str = "") -> bool:
    """Save a form's content; False when nothing changed (no revision then)."""
    check(session, user, entry, EDIT, version)
    want = complete(entry, content)
    _license(session, want, content, entry.source.key if entry.source else None, curated_license)
    if not apply_state(session, entry, want):
        return False
    _touch_review(user, entry)
    _record(session, entry, UPDATED, user, comment)
    return True


def submit(session: Session, user, entry: Entry, version: int | None = None,
           comment: str | None = None) -> None:
    check(session, user, entry, SUBMIT, version)
    entry.status = IN_REVIEW
    _record(session, entry, SUBMITTED, user, comment)


def publish(session: Session, user, entry: Entry, version: int | None = None,
            comment: str | None = None) -> None:
    check(session, user, entry, PUBLISH, version)
    if not entry.senses or any(not (s.gloss_vi or s.gloss_note) for s in entry.senses):
        raise NotGlossed(f"{entry.public_id} has a sense without a Vietnamese gloss")
    entry.status, entry.reviewed, entry.review_comment = PUBLISHED, True, None
    _record(session, entry, PUBLISHED_, user, comment)


def reject(session: Session, user, entry: Entry, comment: str | None,
           version: int | None = None) -> None:
    check(session, user, entry, REJECT, version)
    comment = _text(comment)
    if not comment:
        raise CommentRequired("say what should change before the entry can be published")
    entry.status, entry.review_comment = DRAFT, comment
    _record(session, entry, REJECTED, user, comment)


def mark_reviewed(session: Session, user, entry: Entry, version: int | None = None,
                  comment: str | None = None) -> None:
    check(session, user, entry, MARK_REVIEWED, version)
    entry.reviewed = True
    _record(session, entry, REVIEWED, user, comment)


def delete(session: Session, user, entry: Entry, version: int | None = None,
           comment: str | None = None) -> None:
    """Soft delete: the row stays (with its history); the status it had is kept in the
    revision snapshot (``previous_status``) for ``undelete``."""
    check(session, user, entry, DELETE, version)
    previous, entry.status = entry.status, DELETED
    _record(session, entry, DELETED_, user, comment, previous_status=previous)


def status_before_deletion(session: Session, entry: Entry) -> str:
    revisions = list(session.scalars(select(Revision)
                                     .where(Revision.entry_public_id == entry.public_id)
                                     .order_by(Revision.id.desc())))
    for i, revision in enumerate(revisions):
        if revision.summary == DELETED_:
            previous = revision.snapshot.get("previous_status")
            if previous is None and i + 1 < len(revisions):
                previous = revisions[i + 1].snapshot.get("status")
            return previous if previous in _LIVE else DRAFT
    return DRAFT


def undelete(session: Session, user, entry: Entry, version: int | None = None,
             comment: str | None = None) -> None:
    check(session, user, entry, UNDELETE, version)
    entry.status = status_before_deletion(session, entry)
    _record(session, entry, RESTORED, user, comment)


def restore(session: Session, user, entry: Entry, revision: Revision, version: int | None = None,
            comment: str | None = None) -> bool:
    """Put a revision's content back (status rules as for an edit); False if it is the
    current content already."""
    check(session, user, entry, RESTORE, version)
    if revision.entry_public_id != entry.public_id:
        raise InvalidTransition("that revision belongs to another entry")
    state = {k: revision.snapshot.get(k) for k in SCALARS}
    state["senses"] = revision.snapshot.get("senses", [])
    state["variants"] = revision.snapshot.get("variants", [])
    if not apply_state(session, entry, complete(entry, state)):
        return False
    _touch_review(user, entry)
    _record(session, entry, RESTORED, user, comment, restored_from=revision.id)
    return True

"""The reviewers' decisions on a recording: approve (publish), reject with a reason, or ask
for a new recording.

Where it sits: between the review queue (``audio.admin.queue``, HTTP) and the ``Recording``
rows; no HTTP here, so the command line and tests decide the same way. Each decision is one
conditional UPDATE on a recording that is still ``pending_review``: two reviewers clicking
at once, or one double submit, give one decision and one refusal, never two. The caller
commits.

Rules that never bend (issue 13): nothing is public without a named reviewer's approval and
the speaker's active consent for that use; nobody approves their own recording. Consent is
checked again at approval, because it may have been withdrawn while the clip waited in the
queue; a clip whose consent covers no use at all (website, lessons, open exports) cannot be
approved, and each use is checked again where the clip is heard (``consent.public``).

>>> AudioReviewError("own", "You cannot approve your own recording.").reason
'own'
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..auth import has_role
from ..models import REVIEWER, User, utcnow
from .models import (
    EXPORTS,
    LESSONS,
    PENDING,
    PUBLISHED,
    REJECTED,
    RERECORD,
    WEB,
    Consent,
    Recording,
)

# The longest reason kept; the column is Text, the bound keeps a pasted essay out.
MAX_REASON = 2000


class AudioReviewError(Exception):
    """A decision that may not be taken. ``reason`` is a stable code for programs and tests
    (role, own, status, consent, scope, no_playback, reason); ``message`` is for people (a
    lazy translation: it is shown in the interface language of the request)."""

    def __init__(self, reason: str, message) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def governing_consent(session: Session, recording: Recording) -> Consent | None:
    """The speaker's newest consent: it governs every clip of theirs, so withdrawing a
    newer consent keeps older takes from being published too."""
    return session.scalar(select(Consent).where(Consent.speaker_id == recording.speaker_id)
                          .order_by(Consent.obtained_at.desc(), Consent.id.desc()).limit(1))


def publish_refusal(session: Session, recording: Recording) -> AudioReviewError | None:
    """Why ``recording`` may not be published now as far as consent and files go (None: it
    may). Shared by ``approve`` and the queue, which shows the reason before anyone clicks."""
    consent = recording.consent
    if consent is None or not consent.active:
        return AudioReviewError("consent", _l("The speaker's consent for this recording has been "
                                "withdrawn: it cannot be published."))
    newest = governing_consent(session, recording)
    if newest is not None and not newest.active:
        return AudioReviewError("consent", _l("The speaker's newest consent has been withdrawn: "
                                "none of their recordings can be published."))
    # Publishing makes the clip available for the uses its consent covers, each checked
    # again where the clip is heard (``consent.public``): a consent for lessons only
    # publishes to lessons only. One that covers no use cannot publish anything.
    if not any(consent.allows(scope) for scope in (WEB, LESSONS, EXPORTS)):
        return AudioReviewError("scope", _l("The speaker's consent covers no use of the recording "
                                "(website, lessons or open exports): it cannot be published."))
    if not recording.playback_path:
        return AudioReviewError("no_playback", _l("This recording has no playback copy: it "
                                "cannot be published."))
    return None


def _check_reviewer(user: User | None) -> None:
    if user is None or not has_role(user, REVIEWER):
        raise AudioReviewError("role", _l("Only reviewers can decide on recordings."))


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AudioReviewError("reason", _l("Give a reason: the person who recorded it reads it."))
    return reason[:MAX_REASON]


def _decide(session: Session, user: User, recording: Recording, status: str,
            comment: str | None) -> Recording:
    """Move ``recording`` from pending to ``status`` in one conditional UPDATE, so a decision
    already taken by someone else (or by a double submit) is refused, not repeated."""
    now = utcnow()
    done = session.execute(
        update(Recording)
        .where(Recording.id == recording.id, Recording.status == PENDING)
        .values(status=status, reviewer_id=user.id, reviewed_at=now, review_comment=comment)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        session.refresh(recording)
        raise AudioReviewError("status", _l("This recording is no longer waiting for review "
                               "(someone decided on it already)."))
    session.refresh(recording)
    return recording


def approve(session: Session, user: User, recording: Recording) -> Recording:
    """Publish ``recording``: a reviewer (not its uploader), a pending recording, a playback
    copy, and the speaker's consent active for at least one use, checked now."""
    _check_reviewer(user)
    if recording.uploaded_by_id is not None and recording.uploaded_by_id == user.id:
        raise AudioReviewError("own", _l("You cannot approve your own recording: another "
                               "reviewer must listen to it."))
    if recording.status != PENDING:
        raise AudioReviewError("status", _l("Only a recording waiting for review can be approved."))
    session.refresh(recording.consent)  # a withdrawal committed meanwhile must count
    refusal = publish_refusal(session, recording)
    if refusal is not None:
        raise refusal
    return _decide(session, user, recording, PUBLISHED, None)


def reject(session: Session, user: User, recording: Recording, reason: str) -> Recording:
    """Refuse ``recording`` for good (wrong word, noise, clipping…), saying why."""
    _check_reviewer(user)
    reason = _clean_reason(reason)
    if recording.status != PENDING:
        raise AudioReviewError("status", _l("Only a recording waiting for review can be rejected."))
    return _decide(session, user, recording, REJECTED, reason)


def ask_rerecord(session: Session, user: User, recording: Recording, reason: str) -> Recording:
    """Send ``recording`` back: the word is wanted, this take is not (cut off, too quiet…)."""
    _check_reviewer(user)
    reason = _clean_reason(reason)
    if recording.status != PENDING:
        raise AudioReviewError("status", _l("Only a recording waiting for review can be sent "
                               "back for a new recording."))
    return _decide(session, user, recording, RERECORD, reason)

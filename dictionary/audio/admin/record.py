"""Recording and uploading clips: one entry's upload page, the "missing audio" walk through a
semantic field, and a recording's status page.

Where it sits: the HTTP side of ``intake.accept``. The page works as a plain multipart form
(file input, no JavaScript needed); ``static/recorder.js`` adds recording in the browser and
posts the same form with ``fetch`` (asking for JSON, retrying on a slow connection). The
chosen speaker is kept in the login session, so a curator recording a list with one speaker
chooses them once. Only speakers of the entry's language whose newest consent is active are
offered. A refused file (not audio, empty, too large…) is shown beside the field with a
400 and nothing is kept; an accepted one is processed by the worker (never in this request,
unless ``AUDIO_SYNC``) and the curator lands on its status page, or on the next entry of the
walk.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask import session as login_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import and_, distinct, exists, func, select, tuple_
from sqlalchemy.orm import selectinload
from wtforms import HiddenField, SelectChoice, SelectField

from ...auth import role_required
from ...db import session
from ...models import CONTRIBUTOR, DELETED, Entry, Language, Sense
from ...models import PUBLISHED as ENTRY_PUBLISHED
from ...sense_ids import example_id
from ...web import lang_name, languages, safe_next, semantic_field_label, semantic_fields
from .. import intake, jobs
from ..models import PENDING, PROCESSING, WEB, Recording, Speaker
from ..models import PUBLISHED as CLIP_PUBLISHED
from . import admin_bp, load_recording, render, user, wants_json

SPEAKER_KEY = "audio_speaker"  # login-session key: the speaker chosen for the next clip
WORD_SECONDS, SENTENCE_SECONDS = 10, 30  # the recorder's auto-stop (issue 13 §1)
LIVE = (PENDING, CLIP_PUBLISHED, PROCESSING)  # statuses that mean "this has audio (coming)"
REFUSALS = {
    "not_audio": _l("This file is not a sound recording in a format we can read."),
    "video": _l("This file is a video. Upload the sound only."),
    "too_short": _l("The recording is too short (under 0.3 seconds)."),
    "too_long": _l("The recording is too long (over 60 seconds)."),
    "no_speech": _l("Nothing can be heard in this recording."),
    "undecodable": _l("The file could not be read as audio; it may be damaged or cut off."),
    "timeout": _l("The file took too long to read. Try a shorter or simpler file."),
    "check_failed": _l("The playback copy did not come out right (length or loudness); try "
                       "another take."),
    "too_large": _l("The file is larger than the upload limit."),
    "empty": _l("The file is empty."),
    "speaker": _l("The speaker does not speak the language of this entry."),
    "consent": _l("The speaker has no active consent. Record their consent first."),
    "target": _l("Choose the headword or one of the examples."),
}


def refusal_message(exc: intake.Refused) -> str:
    """The refusal in the interface language (the worker's English text as a last resort)."""
    known = REFUSALS.get(exc.reason)
    return str(known) if known is not None else \
        _("This file cannot be used as a recording (%(why)s).", why=exc.message)


# ---- the form -------------------------------------------------------------------------------
class UploadForm(FlaskForm):
    speaker = SelectField(_l("Speaker"))
    target = SelectField(_l("What is recorded"))
    file = FileField(_l("Audio file"), validators=[
        FileRequired(_l("Choose a sound file, or record in the browser."))])
    source = HiddenField(default="upload")
    next = HiddenField()


def eligible_speakers(language: str) -> list[tuple[Speaker, bool]]:
    """Speakers of ``language`` whose newest consent is active, with whether that consent
    lets the clip be published on the web (a reviewer cannot publish it otherwise)."""
    rows = session().scalars(select(Speaker).where(Speaker.language_code == language)
                             .options(selectinload(Speaker.consents))
                             .order_by(Speaker.display_name, Speaker.public_id))
    found = []
    for speaker in rows:
        newest = intake.active_consent(speaker)
        if newest is not None:
            found.append((speaker, newest.allows(WEB)))
    return found


def fill_choices(form: UploadForm, entry: Entry, speakers) -> None:
    form.speaker.choices = [SelectChoice(
        sp.public_id, " · ".join(p for p in (sp.display_name, sp.public_id, sp.dialect,
                                             sp.village) if p)
        + ("" if web else " " + _("(consent does not cover the website)")))
        for sp, web in speakers]
    word = SelectChoice(entry.public_id, _("Headword: %(text)s", text=entry.headword),
                        render_kw={"data-max": str(WORD_SECONDS)})
    examples = [SelectChoice(example_id(entry.public_id, sense.position, ex.position),
                             _("Example %(n)s: %(text)s", n=f"{sense.position + 1}."
                               f"{ex.position + 1}", text=ex.text),
                             render_kw={"data-max": str(SENTENCE_SECONDS)})
                for sense in entry.senses for ex in sense.examples]
    form.target.choices = [word] + examples


def load_entry(public_id: str) -> Entry:
    entry = session().scalar(
        select(Entry).where(Entry.public_id == public_id, Entry.status != DELETED)
        .options(selectinload(Entry.language),
                 selectinload(Entry.senses).selectinload(Sense.examples)))
    if entry is None:
        abort(404)
    return entry


def _walk_url(target: str | None) -> str | None:
    """``target`` when it is a page of the missing-audio walk (never an open redirect)."""
    if target and safe_next(target).startswith(url_for("audio_admin.missing")):
        return safe_next(target)
    return None


def upload_page(entry: Entry, form: UploadForm | None = None, *, status: int = 200,
                walk: dict | None = None):
    speakers = eligible_speakers(entry.language.code)
    if form is None:
        form = UploadForm(formdata=None, target=entry.public_id,
                          next=walk["next_url"] if walk else "")
        kept = login_session.get(SPEAKER_KEY)
        if kept in {sp.public_id for sp, _web in speakers}:
            form.speaker.data = kept
    fill_choices(form, entry, speakers)
    recordings = list(session().scalars(
        select(Recording).where(Recording.entry_id == entry.id)
        .order_by(Recording.uploaded_at.desc()).limit(50)))
    return render("admin/audio/upload.html", status, entry=entry, form=form,
                  speakers=speakers, recordings=recordings, walk=walk,
                  skip_url=_walk_url(form.next.data))


# ---- pages ----------------------------------------------------------------------------------
@admin_bp.route("/entry/<public_id>/new", methods=["GET", "POST"])
@role_required(CONTRIBUTOR)
def upload(public_id: str):
    entry = load_entry(public_id)
    if request.method == "GET":
        return upload_page(entry)
    form = UploadForm()
    fill_choices(form, entry, eligible_speakers(entry.language.code))
    if not form.validate_on_submit():
        return _refused(entry, form)
    s = session()
    speaker = s.scalar(select(Speaker).where(Speaker.public_id == form.speaker.data))
    login_session[SPEAKER_KEY] = speaker.public_id  # kept for the next clip, even if refused
    source = form.source.data if form.source.data in ("upload", "browser") else "upload"
    try:
        recording = intake.accept(s, user(), target=form.target.data, speaker=speaker,
                                  file=form.file.data, source=source)
        s.commit()
    except intake.Refused as exc:
        s.rollback()
        form.file.errors = list(form.file.errors) + [refusal_message(exc)]
        return _refused(entry, form)
    uuid = recording.uuid
    jobs.kick()  # runs the processing now under AUDIO_SYNC; otherwise the worker does
    status_url = url_for("audio_admin.recording", uuid=uuid)
    next_url = _walk_url(form.next.data)
    if wants_json():
        s.expire_all()
        fresh = load_recording(uuid)
        return jsonify(uuid=uuid, status=fresh.status, status_url=status_url,
                       next_url=next_url), 202
    flash(_("Recording saved for %(headword)s. It is processed, then waits for review.",
            headword=entry.headword))
    return redirect(next_url or status_url, 303)


def _refused(entry: Entry, form: UploadForm):
    if wants_json():
        errors = [str(e) for f in form for e in f.errors]
        return jsonify(error=errors[0] if errors else _("The form is not complete."),
                       errors={f.name: [str(e) for e in f.errors] for f in form if f.errors}), 400
    return upload_page(entry, form, status=400)


def _missing_where(lang: str | None, field: str | None):
    """Published entries (of ``lang``, in ``field``) whose headword has no recording that is
    published, waiting for review or being processed. Over ``Entry`` joined to ``Language``."""
    live = exists().where(Recording.target == Entry.public_id, Recording.status.in_(LIVE))
    conditions = [Entry.status == ENTRY_PUBLISHED, ~live]
    if lang is not None:
        conditions.append(Language.code == lang)
    if field is not None:
        conditions.append(exists().where(Sense.entry_id == Entry.id,
                                         Sense.semantic_field == field))
    return and_(*conditions)


@admin_bp.get("/missing")
@role_required(CONTRIBUTOR)
def missing():
    """One entry after another, of a semantic field, whose headword nobody has recorded."""
    s = session()
    codes = [lang.code for lang in languages()]
    lang = request.args.get("lang", "")
    field = request.args.get("field", "")[:80]
    if lang not in codes or not field:
        return _choose_field()
    where = _missing_where(lang, field)
    base = select(Entry).join(Language, Entry.language_id == Language.id).where(where)
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    after = s.scalar(select(Entry).where(Entry.public_id == request.args.get("after", "")))
    query = base
    if after is not None:
        query = query.where(tuple_(Entry.sort_key, Entry.id) > tuple_(after.sort_key, after.id))
    entry = s.scalar(query.order_by(Entry.sort_key, Entry.id).limit(1))
    walk = {"lang": lang, "field": field, "label": semantic_field_label(field), "total": total,
            "restart_url": url_for("audio_admin.missing", lang=lang, field=field),
            "choose_url": url_for("audio_admin.missing", lang=lang)}
    if entry is None:
        return render("admin/audio/missing_done.html", walk=walk)
    walk["next_url"] = url_for("audio_admin.missing", lang=lang, field=field,
                               after=entry.public_id)
    return upload_page(load_entry(entry.public_id), walk=walk)


def _choose_field():
    """Every semantic field with, per language, how many of its entries still lack audio."""
    s = session()
    counts: dict[str, dict[str, int]] = {}
    for field, code, n in s.execute(
            select(Sense.semantic_field, Language.code, func.count(distinct(Entry.id)))
            .join(Entry, Sense.entry_id == Entry.id)
            .join(Language, Entry.language_id == Language.id)
            .where(_missing_where(None, None), Sense.semantic_field.is_not(None),
                   Sense.semantic_field != "")
            .group_by(Sense.semantic_field, Language.code)):
        counts.setdefault(field, {})[code] = n
    names = sorted(set(semantic_fields()) | set(counts), key=semantic_field_label)
    fields = [(name, semantic_field_label(name), counts.get(name, {})) for name in names]
    return render("admin/audio/missing.html", fields=fields,
                  languages=[(lang.code, lang_name(lang)) for lang in languages()])


@admin_bp.get("/recordings/<uuid>")
@role_required(CONTRIBUTOR)
def recording(uuid: str):
    """Where a recording stands (processing, waiting, published, refused and why)."""
    rec = load_recording(uuid)
    if wants_json():
        return jsonify(uuid=rec.uuid, status=rec.status, error=rec.error)
    from .queue import review_context

    return render("admin/audio/recording.html", rec=rec, **review_context([rec]))

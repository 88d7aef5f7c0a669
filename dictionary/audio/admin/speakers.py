"""Speakers and their consent (``/admin/audio/speakers``): list, new speaker, a speaker's
page with consents and recordings, a new consent with its evidence, withdrawal.

Where it sits: HTTP over ``models.Speaker``/``Consent`` and ``consent.withdraw``. Editors
record speakers and consents; withdrawing is a reviewer's act because it takes clips off
every page at once. Every consent scope starts unticked: a scope is given, never assumed
(machine-learning use least of all). Evidence (a photo or scan of the signed form, or a
recording of oral consent) is kept under ``media/consent/<speaker>/<uuid>.<ext>`` only when
its first bytes are one of six known types; the client's file name and declared type are
never trusted, and the file is only ever served to editors as an attachment.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid as uuidlib

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ...auth import role_required
from ...db import session
from ...models import EDITOR, REVIEWER, utcnow
from ...web import lang_name, languages
from .. import consent as consent_ops
from .. import storage
from ..models import CONSENT_METHODS, LICENSES, SCOPES, Consent, Recording, Speaker
from . import admin_bp, load_speaker, render, user

# What an evidence file may be, by its first bytes → (extension, MIME type it is served as).
EVIDENCE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf",
                  "mp3": "audio/mpeg", "m4a": "audio/mp4", "wav": "audio/wav"}
# ISO base media brands of audio-only files from phones' voice recorders.
M4A_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"3gp4", b"3gp5"}
SNIFF_BYTES = 16
_SPEAKER_ID = re.compile(r"spk-(\d{4,9})")
METHOD_LABELS = {"signed_form": _l("signed form"), "recorded_oral": _l("recorded oral consent"),
                 "witnessed_oral": _l("oral consent before a witness")}
SCOPE_LABELS = {"web": _l("play on the website"), "lessons": _l("use in lessons"),
                "exports": _l("include in open data exports"),
                "ml": _l("use to train speech technology (machine learning)")}
LICENSE_LABELS = {"display-only": _l("display only (no reuse)")}


def sniff_evidence(head: bytes) -> str | None:
    """The evidence type of a file from its first bytes, or None (refused).

    >>> sniff_evidence(b"%PDF-1.7"), sniff_evidence(b"\\x89PNG\\r\\n\\x1a\\n")
    ('pdf', 'png')
    >>> sniff_evidence(b"\\xff\\xfb\\x90\\x00"), sniff_evidence(b"ID3\\x04")
    ('mp3', 'mp3')
    >>> sniff_evidence(b"\\xff\\xf1\\x50\\x80"), sniff_evidence(b"PK\\x03\\x04")  # AAC, zip
    (None, None)
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp" and head[8:12] in M4A_BRANDS:
        return "m4a"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 3 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # An MPEG audio frame header: layer III, no reserved version, bitrate or rate.
        layer3 = head[1] & 0x06 == 0x02
        if layer3 and head[1] & 0x18 != 0x08 and head[2] & 0xF0 != 0xF0 \
                and head[2] & 0x0C != 0x0C:
            return "mp3"
    return None


# ---- forms ----------------------------------------------------------------------------------
def _language_choices() -> list[SelectChoice]:
    return [SelectChoice(lang.code, lang_name(lang)) for lang in languages()]


class SpeakerForm(FlaskForm):
    display_name = StringField(_l("Name shown on pages"), validators=[
        DataRequired(_l("Enter the name pages show (initials are fine).")),
        Length(max=120, message=_l("Too long."))],
        description=_l("What listeners see next to the recording; initials are fine."))
    full_name = StringField(_l("Full name (curators only)"), validators=[
        Length(max=200, message=_l("Too long."))])
    village = StringField(_l("Village"), validators=[Length(max=120, message=_l("Too long."))])
    dialect = StringField(_l("Dialect"), validators=[Length(max=120, message=_l("Too long."))])
    language = SelectField(_l("Language"), choices=_language_choices)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000, message=_l("Too long."))])


class ConsentForm(FlaskForm):
    obtained_at = DateField(_l("Date consent was given"), default=lambda: dt.date.today(),
                            validators=[DataRequired(_l("Enter the date."))])
    obtained_by = StringField(_l("Asked by"), validators=[
        DataRequired(_l("Enter who asked for the consent.")),
        Length(max=200, message=_l("Too long."))])
    method = SelectField(_l("How consent was given"), choices=[
        SelectChoice(m, METHOD_LABELS[m]) for m in CONSENT_METHODS])
    witness = StringField(_l("Witness"), validators=[Length(max=200, message=_l("Too long."))])
    evidence = FileField(_l("Evidence (optional)"), description=_l(
        "A photo or scan of the signed form (JPEG, PNG, PDF) or a recording of the oral "
        "consent (MP3, M4A, WAV)."))
    scope_web = BooleanField(SCOPE_LABELS["web"], default=False)
    scope_lessons = BooleanField(SCOPE_LABELS["lessons"], default=False)
    scope_exports = BooleanField(SCOPE_LABELS["exports"], default=False)
    scope_ml = BooleanField(SCOPE_LABELS["ml"], default=False)
    license = SelectField(_l("Licence"), choices=[
        SelectChoice(code, LICENSE_LABELS.get(code, code)) for code in LICENSES])
    attribution = StringField(_l("Attribution"), validators=[
        Length(max=300, message=_l("Too long."))],
        description=_l("How the speaker wants to be credited, e.g. “Đinh Văn A, Ba Tơ”."))

    def validate_obtained_at(self, field) -> None:
        if field.data and field.data > dt.date.today():
            raise ValidationError(_("The date is in the future."))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why is the consent withdrawn?"), validators=[
        DataRequired(_l("Give the reason.")), Length(max=2000, message=_l("Too long."))])


# ---- helpers --------------------------------------------------------------------------------
def next_public_id() -> str:
    """``spk-0001``, ``spk-0002``…: one more than the highest number handed out."""
    numbers = [int(m[1]) for pid in session().scalars(select(Speaker.public_id))
               if (m := _SPEAKER_ID.fullmatch(pid))]
    return f"spk-{max(numbers, default=0) + 1:04d}"


def newest_consent(speaker: Speaker) -> Consent | None:
    return max(speaker.consents, key=lambda c: (c.obtained_at, c.id), default=None)


def store_evidence(speaker: Speaker, upload) -> str | None:
    """Keep an evidence file; its path under the media folder, or None when it is not one
    of the accepted types (nothing is kept then). The type comes from the bytes only."""
    stream = upload.stream
    head = stream.read(SNIFF_BYTES)
    ext = sniff_evidence(head)
    if ext is None:
        return None
    relative = f"consent/{speaker.public_id}/{uuidlib.uuid4()}.{ext}"
    scratch = storage.scratch(f"evidence-{uuidlib.uuid4()}")
    try:
        part = scratch / "evidence"
        with open(part, "wb") as out:
            out.write(head)
            while chunk := stream.read(1 << 16):
                out.write(chunk)
        storage.put(part, relative, mode=0o440)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return relative


def _speaker_page(speaker: Speaker, *, withdraw_form=None, withdraw_id=None, status=200):
    s = session()
    recordings = list(s.scalars(select(Recording).where(Recording.speaker_id == speaker.id)
                                .order_by(Recording.uploaded_at.desc()).limit(200)))
    consents = sorted(speaker.consents, key=lambda c: (c.obtained_at, c.id), reverse=True)
    return render("admin/audio/speaker.html", status, speaker=speaker, consents=consents,
                  newest=newest_consent(speaker), recordings=recordings,
                  withdraw_form=withdraw_form, withdraw_id=withdraw_id,
                  method_label=lambda m: METHOD_LABELS.get(m, m), scope_labels=SCOPE_LABELS,
                  scopes=SCOPES, lang_label=_lang_label)


def _lang_label(code: str) -> str:
    return next((lang_name(lang) for lang in languages() if lang.code == code), code)


# ---- pages ----------------------------------------------------------------------------------
@admin_bp.get("/speakers")
@role_required(EDITOR)
def speakers():
    s = session()
    rows = list(s.scalars(select(Speaker).order_by(Speaker.public_id)))
    counts = dict(s.execute(select(Recording.speaker_id, func.count())
                            .group_by(Recording.speaker_id)).all())
    return render("admin/audio/speakers.html", speakers=rows, counts=counts,
                  newest=newest_consent, lang_label=_lang_label)


@admin_bp.route("/speakers/new", methods=["GET", "POST"])
@role_required(EDITOR)
def speaker_new():
    form = SpeakerForm()
    if form.validate_on_submit():
        s = session()
        for _attempt in range(3):  # two editors at once may take the same number
            speaker = Speaker(public_id=next_public_id(), language_code=form.language.data,
                              display_name=form.display_name.data.strip(),
                              full_name=(form.full_name.data or "").strip(),
                              village=(form.village.data or "").strip(),
                              dialect=(form.dialect.data or "").strip(),
                              notes=(form.notes.data or "").strip())
            s.add(speaker)
            try:
                s.commit()
                break
            except IntegrityError:
                s.rollback()
        else:
            abort(409)
        flash(_("Speaker %(id)s added. Record their consent before any recording.",
                id=speaker.public_id))
        return redirect(url_for("audio_admin.consent_new", public_id=speaker.public_id), 303)
    return render("admin/audio/speaker_new.html", 400 if form.is_submitted() else 200, form=form)


@admin_bp.get("/speakers/<public_id>")
@role_required(EDITOR)
def speaker(public_id: str):
    return _speaker_page(load_speaker(public_id))


@admin_bp.route("/speakers/<public_id>/consent/new", methods=["GET", "POST"])
@role_required(EDITOR)
def consent_new(public_id: str):
    speaker = load_speaker(public_id)
    form = ConsentForm()
    if form.validate_on_submit():
        evidence = None
        upload = form.evidence.data
        if upload is not None and getattr(upload, "filename", None):
            evidence = store_evidence(speaker, upload)
            if evidence is None:
                form.evidence.errors = list(form.evidence.errors) + [_(
                    "This file is not a JPEG, PNG or PDF document or an MP3, M4A or WAV "
                    "recording. Nothing was saved.")]
                return render("admin/audio/consent_new.html", 400, form=form, speaker=speaker)
        s = session()
        consent = Consent(
            speaker=speaker, obtained_at=dt.datetime.combine(form.obtained_at.data, dt.time()),
            obtained_by=form.obtained_by.data.strip(), method=form.method.data,
            evidence_path=evidence, witness=(form.witness.data or "").strip(),
            license=form.license.data, attribution=(form.attribution.data or "").strip(),
            recorded_by_id=user().id, created_at=utcnow(),
            **{f"scope_{scope}": bool(getattr(form, f"scope_{scope}").data) for scope in SCOPES})
        s.add(consent)
        try:
            s.commit()
        except Exception:
            s.rollback()
            storage.remove(evidence)  # no row points at it: do not keep it
            raise
        flash(_("Consent recorded."))
        return redirect(url_for("audio_admin.speaker", public_id=speaker.public_id), 303)
    return render("admin/audio/consent_new.html", 400 if form.is_submitted() else 200,
                  form=form, speaker=speaker)


def _load_consent(consent_id: int) -> Consent:
    consent = session().get(Consent, consent_id)
    if consent is None:
        abort(404)
    return consent


@admin_bp.get("/consents/<int:consent_id>/evidence")
@role_required(EDITOR)
def consent_evidence(consent_id: int):
    consent = _load_consent(consent_id)
    if not consent.evidence_path:
        abort(404)
    ext = consent.evidence_path.rsplit(".", 1)[-1]
    try:
        path = storage.absolute(consent.evidence_path)
    except ValueError:
        abort(404)
    if ext not in EVIDENCE_TYPES or not path.is_file():
        abort(404)
    return send_file(path, mimetype=EVIDENCE_TYPES[ext], as_attachment=True,
                     download_name=f"{consent.speaker.public_id}-consent-{consent.id}.{ext}",
                     max_age=0)


@admin_bp.post("/consents/<int:consent_id>/withdraw")
@role_required(REVIEWER)
def consent_withdraw(consent_id: int):
    consent = _load_consent(consent_id)
    speaker = consent.speaker
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _speaker_page(speaker, withdraw_form=form, withdraw_id=consent.id, status=400)
    if not consent.active:
        flash(_("This consent was already withdrawn."))
        return redirect(url_for("audio_admin.speaker", public_id=speaker.public_id), 303)
    s = session()
    taken = consent_ops.withdraw(s, consent, form.reason.data, user())
    s.commit()
    current_app.logger.info("consent %s of %s withdrawn by user %s; %d clips taken off",
                            consent.id, speaker.public_id, user().id, taken)
    flash(_("Consent withdrawn. %(n)d recordings were taken off the site.", n=taken))
    return redirect(url_for("audio_admin.speaker", public_id=speaker.public_id), 303)

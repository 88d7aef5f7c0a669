"""The curators' audio pages (``/admin/audio``, blueprint ``audio_admin``): every route guarded
by a role and by CSRF; speakers, consent and its evidence (typed by its bytes); uploads through
the real intake and worker (``AUDIO_SYNC``) with the speaker kept between clips and the
"missing audio" walk; the review queue, where nobody approves their own recording and consent
is checked again at approval; withdrawal taking clips off at once. The audio is a synthetic
tone (``make_recordings.tone_wav``), never anyone's voice."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

import make_recordings
from conftest import PASSWORD, csrf_token, login
from dictionary.audio import consent as consent_ops
from dictionary.audio import review
from dictionary.audio.models import (
    PENDING,
    PUBLISHED,
    REJECTED,
    RERECORD,
    WITHDRAWN,
    Consent,
    Recording,
    Speaker,
)
from dictionary.auth import create_user
from dictionary.db import get_db
from dictionary.models import ROLES, Entry, Example, Sense, User

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40


@pytest.fixture
def app(bundled_copy):
    app = bundled_copy
    app.config["AUDIO_SYNC"] = True  # the worker's jobs run right after the upload commits
    return app


@pytest.fixture
def users(app):
    """One account per role, plus a second reviewer (``reviewer2``)."""
    with app.app_context(), get_db().transaction() as s:
        emails = {role: create_user(s, f"{role}@example.test", PASSWORD, role).email
                  for role in ROLES}
        emails["reviewer2"] = create_user(s, "reviewer2@example.test", PASSWORD, "reviewer").email
    return emails


@pytest.fixture
def as_role(app, users):
    def client_for(who: str):
        client = app.test_client()
        client.set_cookie("ui_lang", "en")  # the pages are read in English
        assert login(client, users[who]).status_code == 302
        return client

    return client_for


def status_of(client, url: str) -> int:
    with client.get(url) as response:  # closes the file a served clip streams from
        return response.status_code


def token(client) -> str:
    return csrf_token(client, "/admin/audio/")


def one(app, model, *where):
    with app.app_context(), get_db().Session() as s:
        found = s.scalar(select(model).where(*where))
        if found is not None:
            s.expunge(found)
        return found


def user_id(app, email: str) -> int:
    return one(app, User, User.email == email).id


def add_speaker(app, language="hre", scopes=("web", "lessons")) -> str:
    with app.app_context(), get_db().Session() as s:
        person = make_recordings.speaker(s, language, scopes=scopes)
        s.commit()
        return person.public_id


def upload(client, public_id: str, speaker: str, *, target: str | None = None,
           data: bytes | None = None, filename="take.wav", json=False, **extra):
    form = {"csrf_token": token(client), "speaker": speaker, "target": target or public_id,
            "file": (io.BytesIO(data if data is not None else make_recordings.tone_wav()),
                     filename), **extra}
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/admin/audio/entry/{public_id}/new", data=form, headers=headers,
                       content_type="multipart/form-data")


def uploaded_uuid(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.search(r"/admin/audio/recordings/([0-9a-f-]{36})$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match[1]


# ---- guards ---------------------------------------------------------------------------------
def audio_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audio_admin.")]
    assert len(rules) >= 15
    return rules


def sample_url(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters.get(name)).__name__
        values[name] = 1 if converter == "IntegerConverter" else "hre-000001"
    return rule.build(values, append_unknown=False)[1]


def methods(rule) -> list[str]:
    return sorted(m for m in rule.methods if m in {"GET", "POST"})


def test_every_route_has_a_role_anonymous_users_log_in_and_weaker_roles_get_403(app, users):
    for rule in audio_rules(app):
        assert getattr(app.view_functions[rule.endpoint], "required_role", None) in ROLES, \
            f"{rule.endpoint} ({rule.rule}) has no @role_required"
    anonymous = app.test_client()
    clients = {role: app.test_client() for role in ROLES}
    for role, client in clients.items():
        assert login(client, users[role]).status_code == 302
    checked = 0
    for rule in audio_rules(app):
        for method in methods(rule):
            response = anonymous.open(sample_url(rule), method=method)
            assert response.status_code == 302 and "/login" in response.headers["Location"], \
                (rule.rule, method, response.status_code)
        required = app.view_functions[rule.endpoint].required_role
        for role in ROLES[:ROLES.index(required)]:
            client = clients[role]
            for method in methods(rule):
                data = {"csrf_token": csrf_token(client, "/admin/")} if method == "POST" else None
                response = client.open(sample_url(rule), method=method, data=data)
                assert response.status_code == 403, (rule.rule, role, method)
                checked += 1
    assert checked >= 15
    # The strongest role gets an answer, never a server error, on placeholder addresses.
    for rule in audio_rules(app):
        if "GET" in rule.methods:
            assert status_of(clients["admin"], sample_url(rule)) in (200, 302, 404), rule.rule


def test_post_routes_refuse_a_request_without_csrf_token(app, as_role):
    client = as_role("admin")
    posts = [r for r in audio_rules(app) if "POST" in r.methods]
    assert len(posts) >= 7
    for rule in posts:
        response = client.post(sample_url(rule), data={})
        assert response.status_code == 400, (rule.rule, response.status_code)


def test_roles_of_the_pages(app):
    role = {r.endpoint: app.view_functions[r.endpoint].required_role for r in audio_rules(app)}
    assert role["audio_admin.upload"] == role["audio_admin.missing"] == "contributor"
    assert role["audio_admin.speakers"] == role["audio_admin.consent_new"] == "editor"
    assert role["audio_admin.consent_withdraw"] == role["audio_admin.review_queue"] == "reviewer"
    assert role["audio_admin.recording_approve"] == "reviewer"


# ---- speakers and consent -------------------------------------------------------------------
def consent_form(client, **extra):
    return {"csrf_token": token(client), "obtained_at": "2026-11-02", "obtained_by": "Cán bộ A",
            "method": "signed_form", "witness": "", "license": "CC-BY-4.0",
            "attribution": "Đinh Văn A", **extra}


def test_speakers_are_numbered_and_consent_scopes_start_unticked(app, as_role):
    editor = as_role("editor")
    for n, name in enumerate(("Bà A", "Ông B"), start=1):
        response = editor.post("/admin/audio/speakers/new", data={
            "csrf_token": token(editor), "display_name": name, "full_name": f"{name} đầy đủ",
            "language": "hre", "dialect": "Ba Tơ", "village": "Làng Mới"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/admin/audio/speakers/spk-{n:04d}/consent/new")
    assert editor.post("/admin/audio/speakers/new", data={
        "csrf_token": token(editor), "display_name": "", "language": "hre"}).status_code == 400
    page = editor.get("/admin/audio/speakers/spk-0001/consent/new").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)
    assert len(boxes) == 4 and not any("checked" in box for box in boxes)
    # Only what was ticked is given.
    response = editor.post("/admin/audio/speakers/spk-0001/consent/new",
                           data=consent_form(editor, scope_web="y"))
    assert response.status_code == 303
    given = one(app, Consent, Consent.obtained_by == "Cán bộ A")
    assert (given.scope_web, given.scope_lessons, given.scope_exports, given.scope_ml) == \
        (True, False, False, False)
    assert given.evidence_path is None and given.active
    listing = editor.get("/admin/audio/speakers").get_data(as_text=True)
    assert "spk-0001" in listing and "spk-0002" in listing


@pytest.mark.parametrize("content, name, ext", [(PDF, "form.pdf", "pdf"), (PNG, "form.pdf", "png"),
                                               (make_recordings.tone_wav(0.3), "x.txt", "wav")])
def test_evidence_is_typed_by_its_bytes_and_served_to_editors_only(app, as_role, content, name,
                                                                    ext):
    speaker = add_speaker(app)
    editor = as_role("editor")
    response = editor.post(f"/admin/audio/speakers/{speaker}/consent/new",
                           data=consent_form(editor, evidence=(io.BytesIO(content), name)),
                           content_type="multipart/form-data")
    assert response.status_code == 303
    given = one(app, Consent, Consent.obtained_by == "Cán bộ A")
    assert re.fullmatch(rf"consent/{speaker}/[0-9a-f-]{{36}}\.{ext}", given.evidence_path)
    assert make_recordings.media_file(app, given.evidence_path).read_bytes() == content
    with editor.get(f"/admin/audio/consents/{given.id}/evidence") as served:
        assert served.status_code == 200 and served.get_data() == content
        assert served.headers["Content-Disposition"].startswith("attachment")
        assert served.headers["Cache-Control"] == "no-store"
    assert as_role("contributor").get(f"/admin/audio/consents/{given.id}/evidence").status_code == 403


@pytest.mark.parametrize("content", [b"PK\x03\x04" + b"\0" * 30, b"just text, not a form",
                                     b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""])
def test_evidence_of_another_type_is_refused_and_nothing_is_kept(app, as_role, content):
    speaker = add_speaker(app)
    editor = as_role("editor")
    response = editor.post(f"/admin/audio/speakers/{speaker}/consent/new",
                           data=consent_form(editor, evidence=(io.BytesIO(content), "scan.jpg")),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert one(app, Consent, Consent.obtained_by == "Cán bộ A") is None
    folder = make_recordings.media_file(app, f"consent/{speaker}")
    assert not folder.exists() or not any(folder.iterdir())


# ---- uploads --------------------------------------------------------------------------------
def test_an_upload_is_processed_and_the_speaker_is_kept_for_the_next_clip(app, as_role):
    first, second = add_speaker(app), add_speaker(app)
    add_speaker(app, "cua")  # another language: never offered for a Hrê entry
    client = as_role("contributor")
    page = client.get("/admin/audio/entry/hre-000001/new").get_data(as_text=True)
    assert 'accept="audio/*"' in page and "recorder.js" in page
    assert re.search(r"<div class=\"recorder\" data-recorder hidden", page)  # shown by JS only
    assert f'value="{first}"' in page and f'value="{second}"' in page and "spk-0003" not in page
    uuid = uploaded_uuid(upload(client, "hre-000001", second, filename="../../evil name.mp3"))
    rec = one(app, Recording, Recording.uuid == uuid)
    assert rec.status == PENDING and rec.source == "upload" and rec.duration_ms > 0
    assert rec.original_path.startswith("audio/orig/") and "evil" not in rec.original_path
    status = client.get(f"/admin/audio/recordings/{uuid}").get_data(as_text=True)
    assert "waiting for review" in status
    assert f"/admin/audio/recordings/{uuid}/playback.mp3" in status
    # The next entry's page has the same speaker chosen.
    page = client.get("/admin/audio/entry/hre-000002/new").get_data(as_text=True)
    assert re.search(rf'<option selected value="{second}"|<option value="{second}" selected', page)
    # The recorder posts with fetch and gets JSON (source "browser").
    answer = upload(client, "hre-000002", second, data=make_recordings.tone_wav(hz=660),
                    json=True, source="browser")
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["status_url"] == f"/admin/audio/recordings/{body['uuid']}"
    assert one(app, Recording, Recording.uuid == body["uuid"]).source == "browser"


def test_a_refused_file_is_shown_beside_the_field_and_nothing_is_stored(app, as_role):
    speaker = add_speaker(app)
    client = as_role("contributor")
    response = upload(client, "hre-000001", speaker, data=b"not audio at all " * 50,
                      filename="word.mp3")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page and "not a sound recording" in page
    answer = upload(client, "hre-000001", speaker, data=b"", json=True)
    assert answer.status_code == 400 and answer.get_json()["error"]
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(Recording.id)) is None
    orig = make_recordings.media_file(app, "audio/orig")
    assert not orig.exists() or not any(p.is_file() for p in orig.rglob("*"))


def test_only_speakers_whose_newest_consent_is_active_are_offered(app, as_role):
    ok, withdrawn, none = add_speaker(app), add_speaker(app), None
    with app.app_context(), get_db().Session() as s:
        person = s.scalar(select(Speaker).where(Speaker.public_id == withdrawn))
        consent_ops.withdraw(s, person.consents[0], "asked", None)
        nobody = Speaker(public_id="spk-0099", language_code="hre", display_name="Không")
        s.add(nobody)
        s.commit()
        none = nobody.public_id
    client = as_role("contributor")
    page = client.get("/admin/audio/entry/hre-000001/new").get_data(as_text=True)
    assert f'value="{ok}"' in page
    assert f'value="{withdrawn}"' not in page and f'value="{none}"' not in page
    assert upload(client, "hre-000001", withdrawn).status_code == 400


def test_an_example_can_be_recorded_with_the_sentence_limit(app, as_role):
    with app.app_context(), get_db().Session() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == "hre-000003"))
        sense = s.scalar(select(Sense).where(Sense.entry_id == entry.id))
        s.add(Example(sense_id=sense.id, position=0, text="câu thử", translation_vi="câu thử"))
        s.commit()
        target = f"hre-000003/{sense.position + 1}/1"
    speaker = add_speaker(app)
    client = as_role("contributor")
    page = client.get("/admin/audio/entry/hre-000003/new").get_data(as_text=True)
    # The recorder stops by itself at 10 s for the headword, 30 s for a sentence.
    assert '<option data-max="10" selected value="hre-000003">' in page
    assert f'<option data-max="30" value="{target}">' in page
    uuid = uploaded_uuid(upload(client, "hre-000003", speaker, target=target))
    rec = one(app, Recording, Recording.uuid == uuid)
    assert rec.target == target and rec.text_snapshot == "câu thử"


def test_missing_audio_walks_a_field_keeping_the_speaker(app, as_role):
    with app.app_context(), get_db().Session() as s:
        field, lang = s.execute(select(Sense.semantic_field, Entry.language_id)
                                .join(Entry).where(Sense.semantic_field.is_not(None))
                                .limit(1)).one()
    speaker = add_speaker(app)
    client = as_role("contributor")
    chooser = client.get("/admin/audio/missing").get_data(as_text=True)
    assert "lang=hre" in chooser
    start = f"/admin/audio/missing?field={field}&lang=hre"
    page = client.get(start).get_data(as_text=True)
    first = re.search(r"<code>(hre-\d{6})</code>", page)[1]
    next_url = re.search(r'name="next" type="hidden" value="([^"]+)"', page)[1].replace("&amp;", "&")
    # Record it: back to the walk, at the next entry, with the same speaker.
    response = upload(client, first, speaker, next=next_url)
    assert response.status_code == 303 and response.headers["Location"] == next_url
    page = client.get(next_url).get_data(as_text=True)
    second = re.search(r"<code>(hre-\d{6})</code>", page)[1]
    assert second != first
    assert re.search(rf'<option selected value="{speaker}"|<option value="{speaker}" selected', page)
    # Back at the start, the recorded entry is no longer asked for.
    again = client.get(start).get_data(as_text=True)
    assert re.search(r"<code>(hre-\d{6})</code>", again)[1] != first
    # An outside address in "next" is never followed.
    response = upload(client, second, speaker, next="https://evil.example/",
                      data=make_recordings.tone_wav(hz=700))
    assert "/admin/audio/recordings/" in response.headers["Location"]


# ---- review ---------------------------------------------------------------------------------
def pending_clip(app, client, speaker: str, public_id: str = "hre-000001", hz: int = 440) -> str:
    return uploaded_uuid(upload(client, public_id, speaker, data=make_recordings.tone_wav(hz=hz)))


def decide(client, uuid: str, action: str, reason: str = ""):
    return client.post(f"/admin/audio/recordings/{uuid}/{action}",
                       data={"csrf_token": token(client), "reason": reason})


def test_nobody_approves_their_own_recording(app, as_role, users):
    speaker = add_speaker(app)
    me = as_role("reviewer")
    uuid = pending_clip(app, me, speaker)
    queue = me.get("/admin/audio/review").get_data(as_text=True)
    assert "hre-000001" in queue and f"/recordings/{uuid}/original" in queue
    assert f"/recordings/{uuid}/approve" not in queue  # no button for one's own
    assert "another reviewer must approve it" in queue
    response = decide(me, uuid, "approve")
    assert response.status_code == 403
    assert one(app, Recording, Recording.uuid == uuid).status == PENDING
    # Another reviewer sees the button and publishes it; the decision names them.
    other = as_role("reviewer2")
    assert f"/recordings/{uuid}/approve" in other.get("/admin/audio/review").get_data(as_text=True)
    assert decide(other, uuid, "approve").status_code == 303
    rec = one(app, Recording, Recording.uuid == uuid)
    assert rec.status == PUBLISHED and rec.reviewer_id == user_id(app, users["reviewer2"])
    assert rec.reviewed_at is not None
    assert status_of(app.test_client(), f"/audio/{uuid}.mp3") == 200
    # A second approval (double submit) changes nothing.
    assert decide(other, uuid, "approve").status_code == 303
    assert one(app, Recording, Recording.uuid == uuid).reviewer_id == user_id(app, users["reviewer2"])


def test_approval_is_refused_when_consent_covers_no_use(app, as_role):
    speaker = add_speaker(app, scopes=("ml",))  # machine learning only: nothing to publish
    uuid = pending_clip(app, as_role("contributor"), speaker)
    reviewer = as_role("reviewer")
    queue = reviewer.get("/admin/audio/review").get_data(as_text=True)
    assert f"/recordings/{uuid}/approve" not in queue and "covers no use" in queue
    decide(reviewer, uuid, "approve")
    assert one(app, Recording, Recording.uuid == uuid).status == PENDING
    with app.app_context(), get_db().Session() as s:
        rec = s.scalar(select(Recording).where(Recording.uuid == uuid))
        who = s.scalar(select(User).where(User.email == "reviewer@example.test"))
        with pytest.raises(review.AudioReviewError) as refused:
            review.approve(s, who, rec)
        assert refused.value.reason == "scope"


def test_a_clip_for_lessons_only_is_approved_but_never_played_on_the_website(app, as_role):
    speaker = add_speaker(app, scopes=("lessons",))
    uuid = pending_clip(app, as_role("contributor"), speaker)
    reviewer = as_role("reviewer")
    queue = reviewer.get("/admin/audio/review").get_data(as_text=True)
    assert "not on the website" in queue  # the reviewer knows before deciding
    # Both decisions that need a written reason have their form, each posting to its own URL.
    for decision in ("reject", "rerecord"):
        assert f'id="{decision}-{uuid}" name="reason"' in queue
        assert f"/recordings/{uuid}/{decision}" in queue
    assert decide(reviewer, uuid, "approve").status_code == 303
    assert one(app, Recording, Recording.uuid == uuid).status == PUBLISHED
    assert status_of(app.test_client(), f"/audio/{uuid}.mp3") in (404, 410)


def test_approval_is_refused_once_consent_is_withdrawn(app, as_role):
    speaker = add_speaker(app)
    uuid = pending_clip(app, as_role("contributor"), speaker)
    with app.app_context(), get_db().Session() as s:
        rec = s.scalar(select(Recording).where(Recording.uuid == uuid))
        who = s.scalar(select(User).where(User.email == "reviewer@example.test"))
        # A newer consent, then withdrawn: the older take must not go public either.
        person = rec.speaker
        newer = Consent(speaker=person, obtained_at=rec.consent.obtained_at.replace(year=2027),
                        obtained_by="Cán bộ B", method="recorded_oral", license="CC-BY-4.0",
                        scope_web=True)
        s.add(newer)
        s.flush()
        consent_ops.withdraw(s, newer, "changed their mind", who)
        s.commit()
        with pytest.raises(review.AudioReviewError) as refused:
            review.approve(s, who, rec)
        assert refused.value.reason == "consent" and rec.status == PENDING
        # The consent of the take itself withdrawn: refused too (and the take is withdrawn).
        consent_ops.withdraw(s, rec.consent, "asked", who)
        s.commit()
        s.refresh(rec)
        with pytest.raises(review.AudioReviewError) as refused:
            review.approve(s, who, rec)
        assert refused.value.reason in ("consent", "status") and rec.status == WITHDRAWN


def test_reject_and_ask_for_a_new_recording_need_a_reason(app, as_role):
    speaker = add_speaker(app)
    contributor = as_role("contributor")
    bad, cut = pending_clip(app, contributor, speaker), pending_clip(app, contributor, speaker,
                                                                      "hre-000002", hz=520)
    reviewer = as_role("reviewer")
    decide(reviewer, bad, "reject", "  ")
    assert one(app, Recording, Recording.uuid == bad).status == PENDING
    decide(reviewer, bad, "reject", "wrong word")
    decide(reviewer, cut, "rerecord", "cut off at the end")
    rejected, again = one(app, Recording, Recording.uuid == bad), one(app, Recording, Recording.uuid == cut)
    assert (rejected.status, rejected.review_comment) == (REJECTED, "wrong word")
    assert (again.status, again.review_comment) == (RERECORD, "cut off at the end")
    status = contributor.get(f"/admin/audio/recordings/{cut}").get_data(as_text=True)
    assert "cut off at the end" in status
    assert decide(as_role("editor"), bad, "reject", "x").status_code == 403


def test_admin_players_are_private_and_typed_by_the_probe(app, as_role):
    speaker = add_speaker(app)
    contributor = as_role("contributor")
    response = upload(contributor, "hre-000001", speaker, filename="claims.mp3")
    uuid = uploaded_uuid(response)
    reviewer = as_role("reviewer")
    with reviewer.get(f"/admin/audio/recordings/{uuid}/original",
                      headers={"Range": "bytes=0-3"}) as original:
        assert original.status_code == 206 and original.get_data() == b"RIFF"
        assert original.headers["Content-Type"] == "audio/wav"  # the probe's, not ".mp3"
        assert original.headers["Content-Disposition"].startswith("attachment")
        assert original.headers["Cache-Control"] == "no-store"
    with contributor.get(f"/admin/audio/recordings/{uuid}/playback.mp3") as playback:
        assert playback.status_code == 200 and playback.headers["Content-Type"] == "audio/mpeg"
        assert playback.headers["Cache-Control"] == "no-store"
    assert status_of(contributor, f"/admin/audio/recordings/{uuid}/original") == 403
    # Not public before approval.
    assert status_of(app.test_client(), f"/audio/{uuid}.mp3") == 404


def test_withdrawing_consent_takes_the_clips_off_at_once(app, as_role):
    speaker = add_speaker(app)
    uuid = pending_clip(app, as_role("contributor"), speaker)
    assert decide(as_role("reviewer2"), uuid, "approve").status_code == 303
    rec = one(app, Recording, Recording.uuid == uuid)
    playback = make_recordings.media_file(app, rec.playback_path)
    assert playback.is_file() and status_of(app.test_client(), f"/audio/{uuid}.mp3") == 200
    consent_id = rec.consent_id
    editor, reviewer = as_role("editor"), as_role("reviewer")
    url = f"/admin/audio/consents/{consent_id}/withdraw"
    assert editor.post(url, data={"csrf_token": token(editor), "reason": "x"}).status_code == 403
    assert reviewer.post(url, data={"csrf_token": token(reviewer), "reason": ""}).status_code == 400
    response = reviewer.post(url, data={"csrf_token": token(reviewer),
                                        "reason": "The speaker asked by phone."})
    assert response.status_code == 303
    assert one(app, Recording, Recording.uuid == uuid).status == WITHDRAWN
    assert one(app, Consent, Consent.id == consent_id).withdrawal_reason == \
        "The speaker asked by phone."
    assert not playback.exists()
    assert status_of(app.test_client(), f"/audio/{uuid}.mp3") == 410
    assert status_of(reviewer, f"/admin/audio/recordings/{uuid}/original") == 410
    page = reviewer.get(f"/admin/audio/speakers/{speaker}").get_data(as_text=True)
    assert "withdrawn" in page and "The speaker asked by phone." in page
    # The speaker is no longer offered for new clips.
    assert f'value="{speaker}"' not in as_role("contributor").get(
        "/admin/audio/entry/hre-000002/new").get_data(as_text=True)

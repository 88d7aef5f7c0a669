"""Large imports off the request thread (``dictionary.import_jobs``, ``admin.import_status``)
and an import racing an editor's save (issue 10, items 5 and 7).

Real SQLite file, real Whoosh index, the real worker thread and real files; the other
"process" of the restart test is a real ``flock`` held on its lock file. Headwords are
synthetic tokens (``tok0001``), not Hrê or Co words.
"""
from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dictionary.db import get_db
from dictionary.curation.import_jobs import ImportJob, worker
from dictionary.models import Entry, ImportBatch, User

from conftest import csrf_token, get_state_close, make_app
from test_admin_entries import browser_fields
from test_admin_import import (BASE, CHANGED, client_for, confirm, curation_app, snapshot,
                               text, token_of, upload)


@pytest.fixture
def capp(tmp_path):
    app = curation_app(tmp_path)
    yield app
    get_state_close(app)


def rows_csv(n: int) -> str:
    return "id,headword,vietnamese,source\n" + "".join(
        f"t{i:04d},tok{i:04d},nghĩa {i},nhomthu\n" for i in range(1, n + 1))


def job_url(response) -> str:
    assert response.status_code == 303, text(response)
    location = response.headers["Location"]
    assert re.fullmatch(r"/admin/import/jobs/\d+", location), location
    return location


def follow(client, url: str, timeout: float = 180.0) -> tuple[dict, list[dict], list[float]]:
    """Poll the job's JSON until it ends; also time /healthz meanwhile. Returns the last
    state, every state seen, and the /healthz answer times of polls made while it ran."""
    seen, health = [], []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = client.get(url + ".json").get_json()
        seen.append(state)
        if state["state"] in ("done", "failed"):
            return state, seen, health
        started = time.monotonic()
        answer = client.get("/healthz")
        health.append(time.monotonic() - started)
        assert answer.status_code == 200
        time.sleep(0.05)
    raise AssertionError(f"the job did not end: {seen[-3:]}")


# ---- a large import in the background -----------------------------------------------------------
def test_a_large_import_is_checked_and_written_in_the_background(tmp_path):
    app = curation_app(tmp_path, IMPORT_BACKGROUND_ROWS=500)
    try:
        editor = client_for(app, "editor")
        small = upload(editor, BASE)  # under the threshold: checked in the request, as before
        assert small.status_code == 200 and "Confirm import" in text(small)
        url = job_url(upload(editor, rows_csv(1500), "lon.csv"))
        page = text(editor.get(url))
        assert "lon.csv" in page  # the progress page (or already the report)
        final, seen, _ = follow(editor, url)
        assert (final["state"], final["kind"], final["done"], final["total"]) == (
            "done", "dry_run", 1500, 1500)
        report = editor.get(url)
        assert "Dry run: nothing has been changed yet" in text(report)
        assert re.search(r"<td>1500</td><td>0</td><td>0</td><td>0</td>", text(report))
        assert snapshot(app)["Entry"] == 0
        importing = job_url(confirm(editor, token_of(report)))
        final, seen, health = follow(editor, importing)
        assert final["state"] == "done" and final["kind"] == "confirm"
        assert final["done"] == final["total"] == 1500  # progress, visible after the end too
        for state in seen:  # and while it ran, whenever a poll caught it running
            assert 0 <= state["done"] <= max(state["total"], 0) or state["total"] == 0
            assert state["phase"] in ("", "checking", "saving")
        assert all(seconds < 5 for seconds in health), health  # /healthz kept answering
        assert final["result_url"] == f"/admin/import/batches/{final['batch_id']}"
        done_page = text(editor.get(importing))
        assert f"Import {final['batch_id']} done: 1500 new, 0 updated, 0 unchanged." in done_page
        with app.app_context(), get_db().Session() as s:
            assert s.scalar(select(func.count(Entry.id))) == 1500
            batch = s.get(ImportBatch, final["batch_id"])
            assert (batch.counts["created"], batch.file_name) == (1500, "lon.csv")
            jobs = s.scalars(select(ImportJob).order_by(ImportJob.id)).all()
            assert [(j.kind, j.state) for j in jobs] == [("dry_run", "done"), ("confirm", "done")]
        assert worker(app).wait(30)  # the thread's last steps after the commit
        assert not any((Path(app.instance_path) / "uploads").glob("*importing"))
        # Its pages are the uploader's only.
        other = client_for(app, "reviewer")
        assert other.get(importing).status_code == 403
        assert other.get(importing + ".json").status_code == 403
        assert app.test_client().get(importing + ".json").status_code in (302, 401)
    finally:
        get_state_close(app)


def test_a_large_file_that_cannot_be_imported_fails_in_the_background(tmp_path):
    app = curation_app(tmp_path, IMPORT_BACKGROUND_ROWS=10, IMPORT_MAX_ROWS=20)
    try:
        editor = client_for(app, "editor")
        before = snapshot(app)
        url = job_url(upload(editor, rows_csv(30), "qua-lon.csv"))
        final, _, _ = follow(editor, url)
        assert (final["state"], final["error"]) == ("failed", "invalid")
        page = editor.get(url)
        assert "The file cannot be imported" in text(page)
        assert "more than 20 data rows" in text(page) and "<td>22</td>" in text(page)
        assert "Confirm import" not in text(page)
        after = snapshot(app)
        assert after == before  # nothing imported, the upload discarded
    finally:
        get_state_close(app)


# ---- a job whose process died -----------------------------------------------------------------
def _job(app, **values) -> int:
    with app.app_context(), get_db().Session() as s:
        user = s.scalars(select(User).where(User.email == "editor@example.test")).one()
        job = ImportJob(user_id=user.id, file_name="tu.csv", lang="hre", **values)
        s.add(job)
        s.commit()
        return job.id


def _states(app) -> dict[int, tuple[str, str | None]]:
    with app.app_context(), get_db().Session() as s:
        return {j.id: (j.state, (j.error or {}).get("kind")) for j in s.scalars(select(ImportJob))}


def test_a_job_left_running_by_a_dead_process_is_marked_failed_at_the_next_start(tmp_path):
    app = curation_app(tmp_path)
    instance = Path(app.instance_path)
    editor = client_for(app, "editor")
    token = token_of(upload(editor, BASE))
    # The dead process had claimed the upload for its import, as "Confirm import" does.
    (instance / "uploads" / token).rename(instance / "uploads" / f"{token}.importing")
    dead = _job(app, kind="confirm", state="running", worker="0" * 32, upload_token=token,
                phase="saving", done=10, total=20)
    queued = _job(app, kind="dry_run", state="queued", worker="0" * 32, upload_token="x" * 32)
    alive = _job(app, kind="dry_run", state="running", worker="f" * 32, upload_token="y" * 32)
    # Another process that still runs holds its worker lock.
    lock = instance / "import-workers" / ("f" * 32 + ".lock")
    lock.parent.mkdir(exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    get_state_close(app)
    restarted = make_app(instance, DATA_DIR=str(tmp_path / "data"))
    restarted.config["test_users"] = app.config["test_users"]
    try:
        assert _states(restarted) == {dead: ("failed", "interrupted"),
                                      queued: ("failed", "interrupted"),
                                      alive: ("running", None)}
        # Nothing of it was imported, and its file can be checked and confirmed again.
        assert (instance / "uploads" / token).is_dir()
        assert not (instance / "uploads" / f"{token}.importing").exists()
        editor = client_for(restarted, "editor")
        state = editor.get(f"/admin/import/jobs/{dead}.json").get_json()
        assert state["state"] == "failed" and "interrupted" in state["message"]
        assert state["result_url"] == f"/admin/import/{token}"
        page = text(editor.get(f"/admin/import/jobs/{dead}"))
        assert "The import was interrupted: the server stopped while it ran." in page
        assert confirm(editor, token).status_code == 302
        # When that other process dies too, the next look at its job says so.
        os.close(fd)
        assert editor.get(f"/admin/import/jobs/{alive}.json").get_json()["state"] == "failed"
        assert _states(restarted)[alive] == ("failed", "interrupted")
    finally:
        get_state_close(restarted)


# ---- an import confirm racing an editor's save -------------------------------------------------
def _edit_form(client, public_id: str, gloss: str) -> dict[str, str]:
    fields = browser_fields(text(client.get(f"/admin/entries/{public_id}/edit")))
    fields.update({"senses-0-gloss_vi": gloss, "action": "save"})
    return fields


def test_an_entry_saved_after_the_dry_run_makes_the_confirm_refuse_cleanly(capp):
    reviewer, editor = client_for(capp, "reviewer"), client_for(capp, "editor")
    assert confirm(reviewer, token_of(upload(reviewer, BASE))).status_code == 302
    token = token_of(upload(reviewer, CHANGED))  # would update hre-000001 (zatok)
    saved = editor.post("/admin/entries/hre-000001/edit",
                        data=_edit_form(editor, "hre-000001", "nhà của biên tập viên"))
    assert saved.status_code == 302
    before = snapshot(capp)
    response = confirm(reviewer, token)
    assert response.status_code == 409
    page = text(response)
    assert "changed by someone else after the dry run. Nothing was imported." in page
    assert "entry hre-000001 (zatok) was changed by someone else after the dry run" in page
    assert f'href="/admin/import/{token}"' in page  # check it again
    assert snapshot(capp) == before  # nothing changed; the upload is kept
    # A new dry run shows the entry as it is now; confirming it then goes through.
    assert "Confirm import" in text(reviewer.get(f"/admin/import/{token}"))
    assert confirm(reviewer, token).status_code == 302
    with capp.app_context(), get_db().Session() as s:
        assert sorted(s.scalars(select(Entry.headword))) == ["bơ̆nxa", "kelop", "zatok"]


def test_confirm_and_save_at_the_same_moment_never_answer_500(capp):
    """Five rounds of an import confirm and an editor's save of the same entry, in real
    threads started together: one of them wins, the other is refused with 409 (it used to
    be an HTTP 500 StaleDataError in 2 of 5 rounds), and the database holds the winner."""
    reviewer, editor = client_for(capp, "reviewer"), client_for(capp, "editor")
    assert confirm(reviewer, token_of(upload(reviewer, BASE))).status_code == 302
    outcomes = []
    for round_ in range(5):
        gloss_file, gloss_form = f"nhà lần {round_}", f"nhà sửa tay {round_}"
        token = token_of(upload(reviewer, BASE.replace(",nhà,", f",{gloss_file},")))
        form = _edit_form(editor, "hre-000001", gloss_form)
        confirm_data = {"csrf_token": csrf_token(reviewer, "/admin/import")}
        start = threading.Barrier(2)
        answers: dict[str, int] = {}

        def run(name, send):
            start.wait()
            answers[name] = send().status_code

        threads = [
            threading.Thread(target=run, args=("import", lambda: reviewer.post(
                f"/admin/import/{token}/confirm", data=confirm_data))),
            threading.Thread(target=run, args=("save", lambda: editor.post(
                "/admin/entries/hre-000001/edit", data=form))),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(answers.values()) == [302, 409], answers
        winner = "import" if answers["import"] == 302 else "save"
        with capp.app_context(), get_db().Session() as s:
            e = s.scalars(select(Entry).where(Entry.public_id == "hre-000001")).one()
            assert e.senses[0].gloss_vi == (gloss_file if winner == "import" else gloss_form)
        outcomes.append(winner)
        if winner == "save":  # the refused upload is kept; discard it for the next round
            reviewer.post(f"/admin/import/{token}/discard", data=confirm_data)
    assert len(outcomes) == 5


def test_an_upload_whose_background_check_has_not_passed_cannot_be_confirmed(capp):
    editor = client_for(capp, "editor")
    token = token_of(upload(editor, BASE))
    meta = Path(capp.instance_path) / "uploads" / token / "meta.json"
    meta.write_text(meta.read_text().replace('"checked": true', '"checked": false'))
    before = snapshot(capp)
    response = confirm(editor, token)
    assert response.status_code == 409
    assert "This file has not passed its dry run yet; nothing was imported." in text(response)
    assert snapshot(capp) == before

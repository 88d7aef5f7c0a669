"""``backup`` and ``restore`` through the real commands, on real files and databases (SQLite,
or PostgreSQL under ``tests/with_postgres.sh``: ``pg_dump``/``pg_restore``).

A source instance holds the bundled lexicons, an edited entry (revisions), an account of
every role and a learner with a lesson's answers, a recording through the real intake,
worker and review (a synthetic tone), a consent evidence file, and Vietnamese speech made by
espeak-ng. Its backup is restored into an empty instance: every row of every table, every
account's password, every file's bytes and the search come back; the cached speech, which
backups do not carry, is queued again. A restore refuses, changing nothing, an instance that
holds data (without --force), and a truncated, tampered, foreign or non-backup file. The
nightly rotation and its systemd units and cron line are checked too.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import re
import shlex
import shutil
import subprocess
import tarfile
import threading
import time
import uuid as uuidlib
from pathlib import Path

import pytest
from sqlalchemy import inspect, make_url, select, text
from werkzeug.datastructures import FileStorage

import make_recordings
from conftest import PASSWORD, add_users, get_state_close, login, make_app
from dictionary import REPO_ROOT, backup_db, backups
from dictionary.audio import jobs
from dictionary.audio.admin.speakers import store_evidence
from dictionary.audio.cli import drift as audio_drift
from dictionary.audio.models import AudioJob, Speaker, TtsClip
from dictionary.auth import create_user
from dictionary.curation import workflow
from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import LEARNER, Entry, Revision, User, ZeroResultQuery
from lessons import review
from lessons.models import LESSON, Learner

#: Rows the restore itself changes: the speech it queues again, the search outbox it rebuilds.
CHANGED_BY_RESTORE = {"tts_clip", "audio_job", "index_queue", "index_node"}
EVIDENCE = b"%PDF-1.4\n% consent form, signed (test file)\n%%EOF\n"


@pytest.fixture(scope="module")
def source(_bundled_pristine, tmp_path_factory):
    """The instance that is backed up (module-wide: it is only read after it is made)."""
    instance = tmp_path_factory.mktemp("backup-source") / "instance"
    shutil.copytree(_bundled_pristine, instance)
    app = make_app(instance, TTS_ENGINES=["espeak-ng"])
    users = add_users(app)
    uuid = make_recordings.published(app, "hre-000001")
    users |= {"recorder": "ghi-am@example.test", "audio reviewer": "duyet-am@example.test"}
    with app.app_context(), get_db().Session() as s:
        phone = create_user(s, "+84905123456", PASSWORD, LEARNER)
        users["learner"] = phone.email
        s.flush()
        learner = Learner(user_id=phone.id, language_code="hre")
        s.add(learner)
        s.flush()
        for kind in ("R", "P"):  # a learner's progress: the first lesson of one sense
            review.record_answer(s, learner, log_id=str(uuidlib.uuid4()), sense_ref="hre-000003/1",
                                 kind=kind, rating=3, purpose=LESSON, exercise="pick_gloss",
                                 answer="x", match=None, at=dt.datetime(2026, 11, 2, 2, 0))
        admin = s.scalar(select(User).where(User.email == users["admin"]))
        entry = s.scalar(select(Entry).where(Entry.public_id == "hre-000002"))
        assert workflow.save_entry(s, admin, entry, {"note": "đã kiểm tra lại"}, entry.version)
        person = s.scalar(select(Speaker))
        evidence = store_evidence(person, FileStorage(io.BytesIO(EVIDENCE), "form.pdf"))
        person.consents[0].evidence_path = evidence
        s.commit()
    jobs.run_pending(app)  # Vietnamese speech of the edited entry's glosses (espeak-ng)
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(TtsClip.path).where(TtsClip.status == "ready"))
    yield app, users, uuid
    get_state_close(app)


@pytest.fixture(scope="module")
def backup_file(source, tmp_path_factory) -> Path:
    app, _, _ = source
    out = tmp_path_factory.mktemp("backups") / "full.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Backup written: {out}" in result.output
    return out


@pytest.fixture
def empty(tmp_path):
    app = make_app(tmp_path / "restored")
    yield app
    get_state_close(app)


def restore(app, path: Path, *extra: str):
    return app.test_cli_runner().invoke(args=["restore", str(path), *extra])


def rows(app) -> dict[str, list]:
    """Every row of every table, in a stable order."""
    with app.app_context(), get_db().engine.connect() as conn:
        return {t: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
                for t in sorted(inspect(conn).get_table_names())}


def files(app) -> dict[str, str]:
    """sha256 of every file (None: a folder) under the instance folder, but the index."""
    root = Path(app.instance_path)
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else None for p in sorted(root.rglob("*"))
            if "index" not in p.relative_to(root).parts}


def state(app) -> tuple:
    """What a refused restore must leave exactly as it was: rows, files, database files."""
    database = {}
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        database = {p.name for p in path.parent.iterdir() if p.name.startswith(path.name)}
    return rows(app), files(app), database


def media(app) -> dict[str, bytes]:
    """The files under the media folder (not what a forced restore kept aside there)."""
    root = Path(app.instance_path) / "media"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).parts[0].startswith("pre-restore-")}


# ---- the round trip ---------------------------------------------------------------------------
def test_a_backup_restored_into_an_empty_instance_has_everything(source, backup_file, empty):
    app, users, uuid = source
    manifest = json.loads(tarfile.open(backup_file).extractfile("manifest.json").read())
    assert manifest["format_version"] == 1 and manifest["schema_revision"] == \
        backups.schema_heads()[0]
    assert manifest["counts"]["accounts"] == len(users)
    assert manifest["counts"]["media_files"] == 3  # original, playback copy, consent evidence
    assert manifest["tables"]["review_log"] == 2 and manifest["tables"]["review_state"] == 2

    result = restore(empty, backup_file)
    assert result.exit_code == 0, result.output
    assert f"accounts: {len(users)}" in result.output and "media files: 3" in result.output

    before, after = rows(app), rows(empty)
    assert {t: r for t, r in after.items() if t not in CHANGED_BY_RESTORE} == \
        {t: r for t, r in before.items() if t not in CHANGED_BY_RESTORE}
    with empty.app_context(), get_db().Session() as s:
        edited = s.scalars(select(Revision.summary).where(Revision.entry_public_id == "hre-000002"))
        assert "updated" in list(edited)
    # Every file people gave, byte for byte; the cached speech is not carried but queued.
    source_media, restored_media = media(app), media(empty)
    assert {k: v for k, v in source_media.items() if not k.startswith("tts/")} == restored_media
    assert any(k.startswith("tts/") for k in source_media)
    with empty.app_context(), get_db().Session() as s:
        clips = list(s.scalars(select(TtsClip)))
        assert clips and {c.status for c in clips} == {"queued"}
        assert {j.ref for j in s.scalars(select(AudioJob).where(AudioJob.kind == "tts"))} == \
            {c.key for c in clips}
        assert audio_drift() == []
        assert index_service().compare().clean
    # Every account logs in with its password; the search finds entries; the clip plays.
    for email in users.values():
        assert login(empty.test_client(), email).status_code == 302, email
    hits = empty.test_client().get("/api/v1/search?q=" + _headword(app, "hre-000002")).get_json()
    assert "hre-000002" in [r["id"] for r in hits["results"]]
    with empty.test_client().get(f"/audio/{uuid}.mp3") as response:
        assert response.status_code == 200
        assert response.get_data() == source_media[
            next(k for k in source_media if k.startswith("audio/play/"))]


def _headword(app, public_id: str) -> str:
    with app.app_context(), get_db().Session() as s:
        return s.scalar(select(Entry.headword).where(Entry.public_id == public_id))


def test_a_backup_of_an_older_schema_is_migrated_when_restored(app, tmp_path, empty):
    assert app.test_cli_runner().invoke(args=["db", "downgrade", "0007"]).exit_code == 0
    out = tmp_path / "old.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    result = restore(empty, out)
    assert result.exit_code == 0, result.output
    assert "schema revision 0007" in result.output
    with empty.app_context():
        assert empty.test_cli_runner().invoke(args=["db", "current"]).output.strip() == \
            backups.schema_heads()[0]


def test_a_backup_taken_while_another_connection_writes_is_one_moment(app, tmp_path, empty):
    """The server goes on writing during a backup: its commits are not held up, and the
    copy holds the rows of one moment, the ones the manifest counts (SQLite: one step of the
    online backup API; PostgreSQL: the dump runs on the counting transaction's snapshot)."""
    stop, during = threading.Event(), []

    def writer():
        with app.app_context():
            n = 0
            while not stop.is_set():
                with get_db().transaction() as s:
                    s.add(ZeroResultQuery(query=f"viết-{n}", lang="hre", first_seen=None))
                n += 1
                during.append(time.monotonic())

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not during:
            time.sleep(0.01)
        started = time.monotonic()
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.tar.gz")])
        ended = time.monotonic()
    finally:
        stop.set()
        thread.join(30)
    assert result.exit_code == 0, result.output
    assert any(started < t < ended for t in during)  # the writer went on meanwhile
    counted = json.loads(tarfile.open(tmp_path / "b.tar.gz").extractfile("manifest.json")
                         .read())["tables"]["zero_result_query"]
    assert 0 < counted < len(during)
    assert restore(empty, tmp_path / "b.tar.gz").exit_code == 0
    assert len(rows(empty)["zero_result_query"]) == counted


# ---- refusals ---------------------------------------------------------------------------------
def test_a_restore_over_an_instance_with_data_is_refused_without_force(backup_file, bundled_copy):
    add_users(bundled_copy)
    before = state(bundled_copy)
    result = restore(bundled_copy, backup_file)
    assert result.exit_code == 1
    assert "already holds 403 entries, 4 accounts" in result.output
    assert "Nothing was changed" in result.output
    assert state(bundled_copy) == before


def test_force_replaces_an_instance_and_keeps_what_it_replaced(source, backup_file, bundled_copy):
    app, users, _ = source
    add_users(bundled_copy)
    make_recordings.published(bundled_copy, "cua-000001")
    replaced = media(bundled_copy)
    result = restore(bundled_copy, backup_file, "--force")
    assert result.exit_code == 0, result.output
    assert rows(bundled_copy)["user_account"] == rows(app)["user_account"]
    assert {k for k in media(bundled_copy) if not k.startswith("tts/")} == \
        {k for k in media(app) if not k.startswith("tts/")}
    kept = sorted((Path(bundled_copy.instance_path) / "media").glob("pre-restore-*"))
    assert len(kept) == 1 and f"kept at {kept[0]}" in result.output
    assert {p.relative_to(kept[0]).as_posix() for p in kept[0].rglob("*") if p.is_file()} == \
        {k for k in replaced if not k.startswith("tts/")}
    assert not list(Path(bundled_copy.instance_path).rglob(".restore-*"))  # staging removed
    if bundled_copy.config["DATABASE_URL"].startswith("sqlite"):
        assert list(Path(bundled_copy.instance_path).glob("test.sqlite.pre-restore-*"))


def _rewrite(source: Path, target: Path, change, drop: str = "") -> None:
    """A copy of the backup whose members went through ``change(name, data) -> data``."""
    with tarfile.open(source) as tar_in, tarfile.open(target, "w:gz") as tar_out:
        for member in tar_in:
            if member.name == drop:
                continue
            data = change(member.name, tar_in.extractfile(member).read())
            member.size = len(data)
            tar_out.addfile(member, io.BytesIO(data))


def _flip_media_byte(name: str, data: bytes) -> bytes:
    return data[:100] + bytes([data[100] ^ 1]) + data[101:] if name.startswith("media/audio/orig") \
        else data


def _foreign_backend(name: str, data: bytes) -> bytes:
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["backend"] = "postgresql" if manifest["backend"] == "sqlite" else "sqlite"
    return json.dumps(manifest).encode()


def _unopenable_database():
    """The database replaced by garbage, and the manifest told its checksum: only opening
    the copy finds it out."""
    garbage = b"SQLite format 3\x00" + b"\x07" * 5000
    seen: dict[str, dict] = {}

    def change(name: str, data: bytes) -> bytes:
        if name.startswith("database."):
            data = garbage if name.endswith(".sqlite") else b"PGDMP" + b"\x07" * 5000
            seen[name] = {"name": name, "size": len(data),
                          "sha256": hashlib.sha256(data).hexdigest()}
        elif name == "manifest.json":
            manifest = json.loads(data)
            manifest["members"] = [seen.get(m["name"], m) for m in manifest["members"]]
            data = json.dumps(manifest).encode()
        return data
    return change


def _newer_schema(name: str, data: bytes) -> bytes:
    if name != "manifest.json":
        return data
    return json.dumps({**json.loads(data), "schema_revision": "9999"}).encode()


@pytest.mark.parametrize("damage, message", [
    ("truncated", "is truncated or damaged"),
    ("tampered member", "does not match its checksum"),
    ("flipped byte", "damaged"),  # zlib's error, a header, or a checksum: each says so
    ("not a tar", "is not a backup of this dictionary (not a tar.gz file)"),
    ("tar without manifest", "is not a backup of this dictionary (unexpected member"),
    ("ours without manifest", "is truncated or damaged (it ends before its manifest.json)"),
    ("other database kind", "restore it into an instance with the same kind of database"),
    ("newer schema", "was made by a newer version of the software"),
    ("database does not open", "The database"),
])
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(
        backup_file, empty, tmp_path, damage, message):
    bad = tmp_path / "bad.tar.gz"
    data = backup_file.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[:len(data) // 2])
    elif damage == "tampered member":
        _rewrite(backup_file, bad, _flip_media_byte)
    elif damage == "flipped byte":
        middle = len(data) // 2
        bad.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    elif damage == "not a tar":
        bad.write_bytes(b"headword,gloss\nzatok,nha\n")
    elif damage == "tar without manifest":
        with tarfile.open(bad, "w:gz") as tar:
            info = tarfile.TarInfo("notes.txt")
            info.size = 5
            tar.addfile(info, io.BytesIO(b"hello"))
    elif damage == "ours without manifest":
        _rewrite(backup_file, bad, lambda name, data: data, drop="manifest.json")
    elif damage == "other database kind":
        _rewrite(backup_file, bad, _foreign_backend)
    elif damage == "newer schema":
        _rewrite(backup_file, bad, _newer_schema)
    else:
        _rewrite(backup_file, bad, _unopenable_database())
    before = state(empty)
    for args in ((), ("--force",), ("--check",)):
        result = restore(empty, bad, *args)
        said = result.output.replace(str(bad), "FILE")  # the path says "damaged" too
        assert result.exit_code == 1, (args, said)
        assert message in said and "Nothing was changed" in said, said
    assert state(empty) == before


def test_check_reads_a_good_backup_whole_and_changes_nothing(backup_file, empty):
    before = state(empty)
    result = restore(empty, backup_file, "--check")
    assert result.exit_code == 0, result.output
    assert "is a complete backup of" in result.output
    assert state(empty) == before


# ---- writing and rotation ---------------------------------------------------------------------
def test_a_backup_never_replaces_a_file_unless_forced(app, tmp_path):
    out = tmp_path / "b.tar.gz"
    out.write_bytes(b"precious")
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir() if p.name != "instance"] == ["b.tar.gz"]
    assert app.test_cli_runner().invoke(args=["backup", str(out), "--force"]).exit_code == 0
    assert gzip.open(out).read(1)  # a real gzip file now
    assert out.stat().st_mode & 0o077 == 0  # password hashes inside: the owner only


def test_rotation_keeps_the_newest_of_each_day_and_week():
    start = dt.datetime(2026, 10, 1, 2, 30, tzinfo=dt.timezone.utc)  # a Thursday
    times = [start + dt.timedelta(days=d) for d in range(60)]
    times.append(start + dt.timedelta(days=59, hours=12))  # a second backup on the last day
    kept = backups.to_keep(times, daily=14, weekly=8)
    newest = times[-1]
    daily = {t for t in kept if (newest - t).days < 14}
    assert len(daily) == 14 and times[-2] not in kept  # the day's newest only
    weekly = kept - daily
    assert len({t.isocalendar()[:2] for t in kept}) == 8
    assert all(t.weekday() == 6 for t in weekly)  # the newest of an older week is its Sunday
    assert backups.to_keep(times, 0, 0) == set()


def test_a_nightly_backup_into_a_folder_rotates_only_its_own_files(app, tmp_path):
    folder = tmp_path / "nightly"
    folder.mkdir()
    now = dt.datetime.now(dt.timezone.utc)
    for days in range(1, 30):
        (folder / backups.file_name(now - dt.timedelta(days=days))).write_bytes(b"old")
    (folder / "notes.txt").write_text("not a backup")
    result = app.test_cli_runner().invoke(
        args=["backup", str(folder), "--keep-daily", "3", "--keep-weekly", "2"])
    assert result.exit_code == 0, result.output
    left = sorted(p.name for p in folder.iterdir() if backups.FILE_NAME.match(p.name))
    assert len(left) <= 4 and left[-1] == next(
        line.split()[2] for line in result.output.splitlines() if line.startswith("Backup written")
    ).rsplit("/", 1)[-1]
    assert (folder / "notes.txt").exists() and "Deleted old backup" in result.output
    usage = app.test_cli_runner().invoke(args=["backup", str(folder / "x.tar.gz"),
                                               "--keep-daily", "3"])
    assert usage.exit_code == 2


def test_the_postgresql_password_goes_in_the_environment_never_on_a_command_line():
    conninfo, env = backup_db.libpq(make_url(
        "postgresql+psycopg://tudien:p%40ss%20w'0rd@db.example.vn:5433/tu_dien?sslmode=require"))
    assert env == {"PGPASSWORD": "p@ss w'0rd"} and "0rd" not in conninfo
    assert set(conninfo.split(" ")) == {"sslmode='require'", "host='db.example.vn'",
                                        "port='5433'", "user='tudien'", "dbname='tu_dien'"}
    socket, env = backup_db.libpq(make_url("postgresql+psycopg://postgres@/t?host=/tmp/a b"))
    assert env == {} and "host='/tmp/a b'" in socket


# ---- the nightly units ------------------------------------------------------------------------
NIGHTLY = ("tudien-backup.service", "tudien-backup.timer")


def test_the_nightly_units_pass_systemd_and_match_the_cron_line(tmp_path):
    for name in NIGHTLY:  # the checkout at its real place: systemd checks the program exists
        text = (REPO_ROOT / "deploy" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/srv/tudien", str(REPO_ROOT)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", *NIGHTLY], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                           str(tmp_path / NIGHTLY[0])], capture_output=True, text=True, timeout=60)
    level = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
    assert level and float(level.group(1)) <= 2.0, done.stdout + done.stderr
    # The README's cron line runs the same command as the service, as the same user.
    service = (REPO_ROOT / "deploy" / NIGHTLY[0]).read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.+)$", service, re.M).group(1)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    cron = re.search(r"^30 2 \* \* \* tudien (.+)$", readme, re.M).group(1)
    command = shlex.split(cron.rsplit("&& ", 1)[1])
    assert command[1:] == shlex.split(exec_start.replace("/srv/tudien/", ""))
    assert "User=tudien" in service.splitlines()

"""The backup file: one gzip-compressed tar holding the database copy, the files people
gave (recordings, consent evidence) and a manifest; written atomically, checked whole before
anything is restored from it, rotated.

Where it sits: ``backup_db`` makes and checks the database copy, ``backup_restore`` puts a
checked backup in place; ``cli.backup`` is the thin command over both. Layout::

    database.sqlite | database.pgdump   the database (SQLite online backup | pg_dump -Fc)
    instance/bundled.sha256             which bundled lexicons the database holds (``setup``)
    media/audio/orig/…, media/audio/play/…, media/consent/…
    manifest.json                       last: format, versions, counts, sha256 of each member

Not in it, and why: the search index (rebuilt from the database by ``restore``), cached
Vietnamese speech under ``media/tts`` (re-fetched by the audio worker), scratch space
(``media/tmp``), uploads waiting for "Confirm import" (``uploads/``: hours old at most),
the instance's ``secret_key`` (a new one only ends sessions; a copied backup must not let
anyone sign them) and ``config.py`` (settings belong to the machine, not to the data).
A plain tar.gz so that ``tar -xzf`` and ``sha256sum`` can check and unpack it by hand.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import tarfile
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from . import backup_db
from .schema import MIGRATIONS

FORMAT = "tu-dien-backup"
FORMAT_VERSION = 1
READABLE_VERSIONS = {1}
MANIFEST = "manifest.json"
STAMP = "instance/bundled.sha256"
#: Folders under ``media/`` a backup carries: what speakers and curators gave.
MEDIA_FOLDERS = ("audio", "consent")
#: gzip level 1: the recordings are already compressed; a database still shrinks ~5×.
COMPRESSLEVEL = 1
FILE_NAME = re.compile(r"^tu-dien-backup-(\d{8}T\d{6}Z)\.tar\.gz$")
_MEMBER = re.compile(r"^(manifest\.json|database\.(sqlite|pgdump)|instance/bundled\.sha256|"
                     r"media/(audio|consent)/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)$")
MANIFEST_MAX = 64 * 1024 * 1024


class BackupError(Exception):
    """The backup could not be written, or the file cannot be restored (nothing changed)."""


@dataclass
class Written:
    path: Path
    manifest: dict
    pruned: list[Path] = field(default_factory=list)


# ---- writing ----------------------------------------------------------------------------------
def file_name(now: dt.datetime) -> str:
    return f"tu-dien-backup-{now.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}.tar.gz"


def write(instance: Path, url: str, out: Path, *, force: bool = False,
          busy_timeout: float = 10.0, now: dt.datetime | None = None) -> Written:
    """Back up the database at ``url`` and the media of ``instance`` into ``out`` (a file,
    or an existing folder: a dated file in it). Refuses an existing file unless ``force``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    target = out / file_name(now) if out.is_dir() else out
    if target.exists() and not force:
        raise BackupError(f"{target} already exists: choose another name, or --force to "
                          f"replace it.")
    if not target.parent.is_dir():
        raise BackupError(f"No folder {target.parent} to write the backup in.")
    kind = _backend(url)
    work = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    work.mkdir(mode=0o700)
    try:
        database = work / backup_db.DUMP_NAMES[kind]
        try:
            snapshot = backup_db.dump(url, database, busy_timeout)
        except backup_db.DumpError as exc:
            raise BackupError(str(exc)) from exc
        part = work / "backup.tar.gz"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=COMPRESSLEVEL,
                              format=tarfile.PAX_FORMAT) as tar:
                members = [_add(tar, database.name, database)]
                stamp = instance / "bundled.sha256"
                if stamp.is_file():
                    members.append(_add(tar, STAMP, stamp))
                media = 0
                for relative, path in media_files(instance):
                    try:
                        members.append(_add(tar, f"media/{relative}", path))
                        media += 1
                    except FileNotFoundError:
                        continue  # deleted since listed (a withdrawn clip): not backed up
                manifest = _manifest(now, kind, snapshot, media, members)
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False)
                           .encode(), now)
            raw.flush()
            os.fsync(raw.fileno())
        _publish(part, target, force)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Written(target, manifest)


def media_files(instance: Path) -> list[tuple[str, Path]]:
    """(path under ``media/``, file) of every file a backup carries, in a stable order."""
    root = instance / "media"
    found = []
    for folder in MEDIA_FOLDERS:
        base = root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(root).as_posix(), path))
    return found


def schema_heads() -> list[str]:
    return list(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _manifest(now: dt.datetime, kind: str, snapshot: backup_db.Snapshot, media: int,
              members: list[dict]) -> dict:
    try:
        version = metadata.version("tu-dien-hre-co")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "software": {"name": "tu-dien-hre-co", "version": version,
                     "schema_heads": schema_heads()},
        "backend": kind,
        "schema_revision": snapshot.revision,
        "database": backup_db.DUMP_NAMES[kind],
        "counts": {**snapshot.summary(), "media_files": media},
        "tables": snapshot.tables,
        "members": members,
    }


class _Hashing:
    """A file read through by ``tarfile`` while its sha256 is taken."""

    def __init__(self, f) -> None:
        self.f, self.sha = f, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.sha.update(data)
        return data


def _add(tar: tarfile.TarFile, name: str, path: Path) -> dict:
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), st.st_mode & 0o644
        reader = _Hashing(f)
        tar.addfile(info, reader)
    return {"name": name, "size": info.size, "sha256": reader.sha.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, now: dt.datetime) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _publish(part: Path, target: Path, force: bool) -> None:
    """``part`` becomes ``target`` at once; without ``force`` never over an existing file
    (a hard link fails if the name is taken, even when another process just took it)."""
    if force:
        os.replace(part, target)
    else:
        try:
            os.link(part, target)
        except FileExistsError as exc:
            raise BackupError(f"{target} already exists: choose another name, or --force "
                              f"to replace it.") from exc
        except OSError:  # a file system without hard links
            if target.exists():
                raise BackupError(f"{target} already exists.") from None
            os.replace(part, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _backend(url: str) -> str:
    try:
        return backup_db.backend(url)
    except backup_db.DumpError as exc:
        raise BackupError(str(exc)) from exc


# ---- reading ----------------------------------------------------------------------------------
@dataclass
class Unpacked:
    """A backup checked whole and unpacked: the database copy, the media folder, the stamp."""

    manifest: dict
    database: Path
    media: Path
    stamp: Path | None


def unpack(source: Path, staging: Path, database: Path, media: Path, url: str) -> Unpacked:
    """Check the backup ``source`` whole and unpack it: the database copy to ``database``,
    the media files under ``media`` (a folder on the media folder's file system, so that they
    can be renamed into place), the rest under ``staging``. ``BackupError`` (the caller
    removes all three) when it is not a readable backup of this format, a member does not
    match its checksum, its database is of another kind than ``url``'s or made by a newer
    version, or its copy does not open."""
    if not source.is_file():
        raise BackupError(f"No file at {source}. Nothing was changed.")
    try:
        tar = tarfile.open(source, mode="r|gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        raise BackupError(f"{source} is not a backup of this dictionary (not a tar.gz file). "
                          f"Nothing was changed.") from None
    found: dict[str, dict] = {}
    manifest_bytes = None
    try:
        with tar:
            for member in tar:
                name = member.name
                if not member.isreg() or not _MEMBER.match(name) or ".." in name.split("/") \
                        or name in found:
                    raise BackupError(f"{source} is not a backup of this dictionary "
                                      f"(unexpected member {name!r}). Nothing was changed.")
                stream = tar.extractfile(member)
                assert stream is not None
                if name == MANIFEST:
                    manifest_bytes = stream.read(MANIFEST_MAX + 1)
                    found[name] = {}
                    continue
                target = database if name.startswith("database.") else \
                    media / name.removeprefix("media/") if name.startswith("media/") else \
                    staging / name
                found[name] = _extract(stream, target, member.mode)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{source} is truncated or damaged ({exc}). Nothing was changed.") \
            from None
    manifest = _check_manifest(source, manifest_bytes, found, url)
    kind = manifest["backend"]
    try:
        snapshot = backup_db.check(kind, database)
    except backup_db.DumpError as exc:
        raise BackupError(f"{exc}. Nothing was changed.") from exc
    if snapshot is not None and (snapshot.revision != manifest["schema_revision"]
                                 or snapshot.tables != manifest["tables"]):
        raise BackupError(f"{source}: the database does not hold what the manifest says. "
                          f"Nothing was changed.")
    return Unpacked(manifest, database, media,
                    staging / STAMP if STAMP in found else None)


def _extract(stream, target: Path, mode: int) -> dict:
    """Copy one member to ``target``, hashing it; a full disk is said as such (reading
    errors are the archive's: the caller reports them)."""
    sha, size = hashlib.sha256(), 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BackupError(f"Cannot unpack into {target.parent}: {exc}. Nothing was changed.") \
            from None
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
            try:
                out.write(chunk)
            except OSError as exc:
                raise BackupError(f"Cannot unpack into {target.parent}: {exc}. Nothing was "
                                  f"changed.") from None
    os.chmod(target, (mode & 0o644) or 0o600)
    return {"size": size, "sha256": sha.hexdigest()}


def _check_manifest(source: Path, data: bytes | None, found: dict[str, dict], url: str) -> dict:
    nothing = "Nothing was changed."
    if data is None and any(name.startswith("database.") for name in found):
        # tarfile ends a stream quietly at a damaged header: what came before was ours
        raise BackupError(f"{source} is truncated or damaged (it ends before its {MANIFEST}). "
                          f"{nothing}")
    if data is None:
        raise BackupError(f"{source} is not a backup of this dictionary (no {MANIFEST}). "
                          f"{nothing}")
    try:
        manifest = json.loads(data) if len(data) <= MANIFEST_MAX else None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(MANIFEST)
    except ValueError:
        raise BackupError(f"{source} is not a backup of this dictionary ({MANIFEST} is not "
                          f"ours). {nothing}") from None
    version = manifest.get("format_version")
    if version not in READABLE_VERSIONS:
        raise BackupError(f"{source} has backup format {version!r}; this version reads "
                          f"{sorted(READABLE_VERSIONS)}: update the software first. {nothing}")
    try:
        listed = {m["name"]: (int(m["size"]), str(m["sha256"])) for m in manifest["members"]}
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"{source} is damaged: its {MANIFEST} lists no members. {nothing}") \
            from None
    for name, got in found.items():
        if name == MANIFEST:
            continue
        if name not in listed:
            raise BackupError(f"{source} is damaged: {name} is not in its manifest. {nothing}")
        if (got["size"], got["sha256"]) != listed[name]:
            raise BackupError(f"{source} is damaged: {name} does not match its checksum. "
                              f"{nothing}")
    if missing := sorted(set(listed) - set(found)):
        raise BackupError(f"{source} is incomplete: {missing[0]} is missing "
                          f"({len(missing)} member(s) in all). {nothing}")
    kind = _backend(url)
    if manifest.get("backend") != kind or manifest.get("database") not in found:
        raise BackupError(f"{source} holds a {manifest.get('backend')} database and this "
                          f"instance uses {kind} (DATABASE_URL): restore it into an instance "
                          f"with the same kind of database. {nothing}")
    revision = manifest.get("schema_revision")
    try:
        known = revision is not None and \
            ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(f"{source} was made by a newer version of the software (schema "
                          f"revision {revision!r} is unknown here; newest here: "
                          f"{', '.join(schema_heads())}): update this installation first. "
                          f"{nothing}")
    return manifest


# ---- rotation ---------------------------------------------------------------------------------
def to_keep(times: list[dt.datetime], daily: int, weekly: int) -> set[dt.datetime]:
    """Which backups a rotation keeps: the newest of each of the ``daily`` newest days that
    have one, and the newest of each of the ``weekly`` newest ISO weeks that have one."""
    kept: set[dt.datetime] = set()
    days: set[dt.date] = set()
    weeks: set[tuple[int, int]] = set()
    for t in sorted(times, reverse=True):
        day, week = t.date(), tuple(t.isocalendar())[:2]
        if day not in days and len(days) < daily:
            days.add(day)
            kept.add(t)
        if week not in weeks and len(weeks) < weekly:
            weeks.add(week)
            kept.add(t)
    return kept


def prune(folder: Path, daily: int, weekly: int) -> list[Path]:
    """Delete the backups in ``folder`` (named as ``write`` names them; no other file is
    touched) that ``to_keep`` does not keep; returns those deleted."""
    dated: dict[dt.datetime, Path] = {}
    for path in folder.iterdir():
        if match := FILE_NAME.match(path.name):
            when = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")
            dated[when.replace(tzinfo=dt.timezone.utc)] = path
    kept = to_keep(list(dated), daily, weekly)
    gone = [path for when, path in sorted(dated.items()) if when not in kept]
    for path in gone:
        path.unlink()
    return gone

"""The import pages: upload → dry run → confirm → batch → revert, and hostile uploads.

Real SQLite file, a real Whoosh index in tmp_path, the real importer on real bytes posted
as a browser would (multipart with the form's CSRF token). Hrê/Co tokens are made up
(``zatok``, ``bơ̆nxa``); they are not real words.
"""
from __future__ import annotations

import io
import json
import re
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import Entry, ImportBatch, IndexQueue, Revision

from conftest import add_users, csrf_token, get_state_close, login, make_app, make_data_dir

FIXTURES = REPO_ROOT / "tests" / "fixtures"
BASE = ("id,headword,vietnamese,english,source,comment\n"
        "z1,zatok,nhà,house,nhomthu,ghi chú\n"
        "z2,bơ̆nxa,đi,to go,nhomthu,\n")
CHANGED = BASE.replace("z1,zatok,nhà,", "z1,zatok,ngôi nhà,") + "z3,kelop,đẹp,,nhomthu,\n"


def curation_app(tmp_path, **config):
    app = make_app(tmp_path / "instance", DATA_DIR=str(make_data_dir(tmp_path)), **config)
    with app.app_context():
        index_service().rebuild()  # an (empty) index, so commits reach search
    app.config["test_users"] = add_users(app)
    return app


@pytest.fixture
def capp(tmp_path):
    app = curation_app(tmp_path)
    yield app
    get_state_close(app)


def client_for(app, role: str):
    client = app.test_client()
    client.set_cookie("ui_lang", "en")
    assert login(client, app.config["test_users"][role]).status_code == 302
    return client


def upload(client, data: bytes | str, name: str = "moi.csv", *, lang="hre", source="",
           status="draft"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/import"), "file": (io.BytesIO(data), name),
        "lang": lang, "source": source, "status": status})


def token_of(response) -> str:
    match = re.search(r'action="/admin/import/([A-Za-z0-9_-]{32})/confirm"',
                      response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def confirm(client, token: str):
    return client.post(f"/admin/import/{token}/confirm",
                       data={"csrf_token": csrf_token(client, "/admin/import")})


def snapshot(app) -> dict:
    """Everything an import could change: rows, the outbox, the index, stored uploads."""
    with app.app_context(), get_db().Session() as s:
        rows = {m.__name__: s.scalar(select(func.count(m.id)))
                for m in (Entry, Revision, ImportBatch, IndexQueue)}
        rows["versions"] = sorted(s.execute(select(Entry.public_id, Entry.version)).all())
        rows["indexed"] = index_service().index.doc_count()
    uploads = Path(app.instance_path) / "uploads"
    rows["uploads"] = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
    return rows


def searched(app, q: str) -> list[str]:
    response = app.test_client().get("/api/v1/search", query_string={"q": q, "lang": "hre"})
    return [r["id"] for r in response.get_json()["results"]]


def text(response) -> str:
    return response.get_data(as_text=True)


# ---- the form -------------------------------------------------------------------------------
def test_publishing_is_offered_to_reviewers_only(capp):
    editor, reviewer = client_for(capp, "editor"), client_for(capp, "reviewer")
    form = text(editor.get("/admin/import"))
    assert 'value="published"' not in form and "at most 20 MB" in form
    assert 'value="published"' in text(reviewer.get("/admin/import"))
    before = snapshot(capp)
    response = upload(editor, BASE, status="published")
    assert response.status_code == 400 and "Not a valid choice" in text(response)
    assert snapshot(capp) == before
    assert client_for(capp, "contributor").get("/admin/import").status_code == 403


# ---- dry run and confirm --------------------------------------------------------------------
def test_the_dry_run_changes_nothing(capp):
    editor = client_for(capp, "editor")
    assert confirm(editor, token_of(upload(editor, BASE))).status_code == 302  # zatok, bơ̆nxa
    before = snapshot(capp)
    response = upload(editor, CHANGED)
    assert response.status_code == 200
    page = text(response)
    assert "Dry run: nothing has been changed yet" in page
    assert re.search(r"<td>1</td><td>1</td><td>1</td><td>0</td>", page)  # new, upd., unch., rej.
    assert "<td>2</td><td>updated</td><td>hre-000001</td><td>zatok</td>" in page
    assert "<td>4</td><td>new</td><td>–</td><td>kelop</td>" in page
    assert "These columns are not imported: comment</p>" in page
    assert "Vietnamese gloss" in page and "utf-8" in page and "curated" in page
    token = token_of(response)
    after = snapshot(capp)
    assert after.pop("uploads") == before.pop("uploads") + [token]
    assert after == before  # no entry, revision, batch, queue row or index document
    meta = json.loads((Path(capp.instance_path) / "uploads" / token / "meta.json").read_text())
    assert (meta["file_name"], meta["lang"], meta["status"], meta["size"]) == (
        "moi.csv", "hre", "draft", len(CHANGED.encode()))
    assert len(meta["sha256"]) == 64
    # Looking at the stored upload again is a dry run too.
    assert "Confirm import" in text(editor.get(f"/admin/import/{token}"))
    assert snapshot(capp)["Revision"] == before["Revision"]


def test_confirm_imports_the_checked_bytes_as_one_batch(capp):
    reviewer = client_for(capp, "reviewer")
    token = token_of(upload(reviewer, BASE, status="published"))
    response = confirm(reviewer, token)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/import/batches/1")
    page = text(reviewer.get("/admin/import/batches/1"))
    assert "Import 1 done: 2 new, 0 updated, 0 unchanged." in page
    assert "Revert this import" in page and "moi.csv" in page
    with capp.app_context(), get_db().Session() as s:
        batch = s.get(ImportBatch, 1)
        assert (batch.author, batch.counts["created"], batch.counts["new_status"]) == (
            "reviewer@example.test", 2, "published")
        assert s.scalars(select(Revision.batch_id)).all() == [1, 1]
    assert searched(capp, "zatok") == ["hre-000001"]
    assert not (Path(capp.instance_path) / "uploads" / token).exists()
    again = confirm(reviewer, token)  # a second click
    assert again.status_code == 404 and "does not exist or has expired" in text(again)
    assert snapshot(capp)["ImportBatch"] == 1
    listing = text(reviewer.get("/admin/import/batches"))
    assert "moi.csv" in listing and "/admin/import/batches/1/revert" in listing


def test_the_upload_can_be_discarded(capp):
    editor = client_for(capp, "editor")
    token = token_of(upload(editor, BASE))
    response = editor.post(f"/admin/import/{token}/discard",
                           data={"csrf_token": csrf_token(editor, "/admin/import")})
    assert response.status_code == 302
    assert snapshot(capp)["uploads"] == []
    assert confirm(editor, token).status_code == 404


def test_confirm_of_another_persons_upload_is_refused(capp):
    editor, other = client_for(capp, "editor"), client_for(capp, "admin")
    token = token_of(upload(editor, BASE))
    before = snapshot(capp)
    response = confirm(other, token)
    assert response.status_code == 403
    assert "belongs to another person" in text(response)
    assert other.get(f"/admin/import/{token}").status_code == 403
    assert snapshot(capp) == before  # the owner may still confirm it
    assert confirm(editor, token).status_code == 302


def test_missing_expired_and_altered_uploads_are_refused(capp):
    editor = client_for(capp, "editor")
    for token in ("x" * 32, "..%2F..%2Fsecret_key", "not-a-token"):
        response = confirm(editor, token)
        assert response.status_code in (404, 405), token
    token = token_of(upload(editor, BASE))
    folder = Path(capp.instance_path) / "uploads" / token
    (folder / "data").write_bytes(CHANGED.encode())  # not the bytes of the dry run
    before = snapshot(capp)
    response = confirm(editor, token)
    assert response.status_code == 409 and "not the file of the dry run" in text(response)
    assert snapshot(capp)["Entry"] == before["Entry"] == 0

    token = token_of(upload(editor, BASE))
    meta_path = Path(capp.instance_path) / "uploads" / token / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["created"] = time.time() - 7 * 3600
    meta_path.write_text(json.dumps(meta))
    response = confirm(editor, token)
    assert response.status_code == 404 and "does not exist or has expired" in text(response)
    assert snapshot(capp)["Entry"] == 0


# ---- files that cannot be imported ----------------------------------------------------------
def test_every_problem_is_shown_with_its_line_and_nothing_changes(capp):
    editor = client_for(capp, "editor")
    before = snapshot(capp)
    response = upload(editor, (FIXTURES / "bad_rows.csv").read_bytes(), "bad_rows.csv")
    assert response.status_code == 422
    page = text(response)
    assert "The file cannot be imported" in page and "Nothing was changed." in page
    assert "Rejected rows: 6" in page
    cells = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td lang=\"en\">", page)
    assert cells == [("2", "headword"), ("3", "part_of_speech"), ("4", "vietnamese"),
                     ("5", "id"), ("6", "source"), ("7", "–")]
    assert "unknown part of speech &#34;dtx&#34;" in page
    assert "Confirm import" not in page
    assert snapshot(capp) == before


def test_a_binary_file_named_csv_is_refused_clearly(capp):
    editor = client_for(capp, "editor")
    before = snapshot(capp)
    response = upload(editor, b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40, "tu.csv")
    assert response.status_code == 422
    assert ("the file contains NUL bytes: this is a binary file, not a CSV/TSV table"
            in text(response))
    assert snapshot(capp) == before


def test_legacy_encoded_lines_are_shown_converted(capp):
    editor = client_for(capp, "editor")
    legacy = ("headword,vietnamese,source\nzatok,Céng ®ång d©n téc,nhomthu\n"
              "bimlu,ng«i nhµ,nhomthu\n").encode("cp1252")
    page = text(upload(editor, legacy, "tcvn3.csv"))
    assert "Converted from tcvn3" in page
    assert "<td>2</td><td>zatok,Céng ®ång d©n téc,nhomthu</td>" \
           "<td>zatok,Cộng đồng dân tộc,nhomthu</td>" in page


# ---- too large ------------------------------------------------------------------------------
class LazyBody(io.RawIOBase):
    """A multipart body of ``size`` bytes, made only when read; ``consumed`` counts the
    bytes read. Seekable, as the test client measures the stream."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.head, self.tail, self.length = head, tail, size
        self.pos = self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: 0, 1: self.pos, 2: self.length}[whence] + offset
        return self.pos

    def readinto(self, buffer) -> int:
        start = self.pos
        end = min(self.length, start + len(buffer))
        out = bytearray(b"a" * (end - start))
        if start < len(self.head):
            piece = self.head[start:end]
            out[:len(piece)] = piece
        tail_start = self.length - len(self.tail)
        if end > tail_start:
            first = max(start, tail_start)
            out[first - start:] = self.tail[first - tail_start:end - tail_start]
        buffer[:len(out)] = out
        self.pos = end
        self.consumed += len(out)
        return len(out)


def test_a_body_over_the_default_limit_is_refused_unread(capp):
    assert capp.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    editor = client_for(capp, "editor")
    token = csrf_token(editor, "/admin/import")
    boundary = "----tudien"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="lang"\r\n\r\nhre\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\nheadword,vietnamese,source\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = LazyBody(head, 21 * 1024 * 1024, tail)
    before = snapshot(capp)
    response = editor.post("/admin/import", input_stream=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "larger than 20 MB" in text(response)
    assert body.consumed == 0  # refused from the Content-Length, before reading
    assert snapshot(capp) == before


def test_an_upload_over_a_small_limit_is_refused(tmp_path):
    app = curation_app(tmp_path, MAX_CONTENT_LENGTH=4096)
    try:
        editor = client_for(app, "editor")
        before = snapshot(app)
        big = BASE + "".join(f"z{i},zatok{i},nhà {i},,nhomthu,\n" for i in range(10, 400))
        response = upload(editor, big)
        assert response.status_code == 413
        assert "File too large" in text(response) and "0.00390625 MB" in text(response)
        assert snapshot(app) == before
        assert upload(editor, BASE).status_code == 200  # a small file still goes through
    finally:
        get_state_close(app)


# ---- hostile files the format parsers refuse ------------------------------------------------
def zip_bomb() -> bytes:
    """An .xlsx-shaped zip whose sheet inflates to 64 MB of zeros (about 64 kB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            block = bytes(1024 * 1024)
            for _ in range(64):
                sheet.write(block)
    return out.getvalue()


def test_a_zip_bomb_disguised_as_xlsx_is_refused(capp):
    editor = client_for(capp, "editor")
    data = zip_bomb()
    assert len(data) < 200_000
    before = snapshot(capp)
    started = time.monotonic()
    response = upload(editor, data, "tu.xlsx")
    assert time.monotonic() - started < 10
    assert response.status_code == 422
    assert "zip bomb" in text(response)
    assert snapshot(capp) == before


def test_an_xxe_and_billion_laughs_lift_file_is_refused(capp, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    lift = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lift [
  <!ENTITY xxe SYSTEM "file://{secret}">
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lift version="0.13">
  <entry id="z1"><lexical-unit><form lang="hre"><text>&xxe;&lol9;</text></form></lexical-unit>
    <sense><gloss lang="vi"><text>nhà</text></gloss></sense></entry>
</lift>
"""
    editor = client_for(capp, "editor")
    before = snapshot(capp)
    started = time.monotonic()
    response = upload(editor, lift, "tu.lift", source="nhomthu")
    assert time.monotonic() - started < 10
    assert response.status_code == 422
    page = text(response)
    assert "DTD" in page and "TOP-SECRET-CONTENT" not in page
    assert snapshot(capp) == before


# ---- revert ---------------------------------------------------------------------------------
def revert(client, batch_id: int):
    return client.post(f"/admin/import/batches/{batch_id}/revert",
                       data={"csrf_token": csrf_token(client, "/admin/import")})


def test_revert_through_the_pages(capp):
    editor, reviewer = client_for(capp, "editor"), client_for(capp, "reviewer")
    published = token_of(upload(reviewer, BASE, status="published"))
    assert confirm(reviewer, published).status_code == 302
    assert confirm(editor, token_of(upload(editor, CHANGED))).status_code == 302
    assert searched(capp, "ngoi nha") == ["hre-000001"]  # the update of a published entry

    # An editor may not revert someone else's import; nothing changes.
    assert "/admin/import/batches/1/revert" not in text(editor.get("/admin/import/batches"))
    assert revert(editor, 1).status_code == 403
    # Import 1 is blocked by import 2, which changed zatok since.
    response = revert(reviewer, 1)
    assert response.status_code == 409
    page = text(response)
    assert "The import was not reverted; nothing was changed." in page
    assert "hre-000001</a> zatok" in page and "changed after the import" in page
    with capp.app_context(), get_db().Session() as s:
        assert s.scalars(select(ImportBatch.reverted_at)).all() == [None, None]

    # The editor reverts their own import: the new entry goes, zatok gets its gloss back.
    response = revert(editor, 2)
    assert response.status_code == 302
    page = text(editor.get(response.headers["Location"]))
    assert "Import 2 reverted: 1 new entries deleted, 1 entries restored." in page
    assert "Reverted on" in page and "Revert this import" not in page
    assert searched(capp, "ngoi nha") == [] and searched(capp, "zatok") == ["hre-000001"]
    with capp.app_context(), get_db().Session() as s:
        statuses = dict(s.execute(select(Entry.public_id, Entry.status)).all())
    assert statuses == {"hre-000001": "published", "hre-000002": "published",
                        "hre-000003": "deleted"}
    again = revert(editor, 2)
    assert again.status_code == 409 and "already reverted" in text(again)
    assert revert(reviewer, 99).status_code == 404

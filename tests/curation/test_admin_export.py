"""The export page and the ``export`` command: streamed downloads in four formats, one
language or all, published entries only or every entry that is not deleted.

Real SQLite file and the real importer on real files; the exporters are the real ones.
Hrê/Co tokens are made up (``zatok``, ``bơ̆nxa``); they are not real words.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.curation.importer import import_lexicon
from dictionary.models import Entry

from conftest import add_users, csrf_token, get_state_close, login, make_app

DATA = REPO_ROOT / "data"
PUBLISHED = ("id,headword,vietnamese,english,example,example_vi,source\n"
             "z1,zatok,nhà,house,zatok bơ̆nxa,nhà của tôi,nhomthu\n"
             "z2,bơ̆nxa,đi,to go,,,nhomthu\n")
DRAFT = "id,headword,vietnamese,source\nz3,kelop,đẹp,nhomthu\n"
CO = "id,headword,vietnamese,source\nc1,tơmul,đá,nhomthu\n"


@pytest.fixture
def eapp(tmp_path):
    """Hrê: two published entries, one draft, one deleted; Co: one published entry."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "parts_of_speech.toml", data)
    (data / "languages.toml").write_text(
        (DATA / "languages.toml").read_text(encoding="utf-8")
        + '\n[[source]]\nkey = "nhomthu"\nlicense = "CC-BY-4.0"\n'
          'citation = "Synthetic test source."\n', encoding="utf-8")
    app = make_app(tmp_path / "instance", DATA_DIR=str(data))
    files = [("published.csv", PUBLISHED, "hre", "published"), ("draft.csv", DRAFT, "hre", "draft"),
             ("gone.csv", "id,headword,vietnamese,source\nz9,tozab,đêm,nhomthu\n", "hre",
              "published"), ("co.csv", CO, "cua", "published")]
    with app.app_context():
        for name, text, lang, status in files:
            (tmp_path / name).write_text(text, encoding="utf-8")
            with get_db().Session() as s:
                import_lexicon(s, tmp_path / name, lang, status=status, data_dir=data)
        with get_db().Session() as s:
            s.scalars(select(Entry).where(Entry.headword == "tozab")).one().status = "deleted"
            s.commit()
    app.config["test_users"] = add_users(app)
    yield app
    get_state_close(app)


def editor_client(app):
    client = app.test_client()
    client.set_cookie("ui_lang", "en")
    assert login(client, app.config["test_users"]["editor"]).status_code == 302
    return client


def export(client, fmt: str, lang: str = "hre", scope: str = "published"):
    return client.post("/admin/export", data={
        "csrf_token": csrf_token(client, "/admin/export"), "format": fmt, "lang": lang,
        "scope": scope})


def csv_headwords(body: bytes) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    return [r["headword"] for r in rows if r["headword"]]


def test_the_form(eapp):
    client = editor_client(eapp)
    page = client.get("/admin/export").get_data(as_text=True)
    for value in ("csv", "xlsx", "lift", "cldf", "hre", "cua", "all", "published"):
        assert f'value="{value}"' in page
    assert 'name="csrf_token"' in page
    response = export(client, "pdf")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)


def test_csv_is_streamed_and_published_only_by_default(eapp):
    client = editor_client(eapp)
    response = export(client, "csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = dt.date.today().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tudien-hre-published-{today}.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert csv_headwords(body) == ["bơ̆nxa", "zatok"]  # dictionary order, no draft
    assert "nhà của tôi" in body.decode("utf-8-sig")


def test_all_entries_include_drafts_but_never_deleted_ones(eapp):
    client = editor_client(eapp)
    everything = export(client, "csv", scope="all")
    assert "tudien-hre-all-" in everything.headers["Content-Disposition"]
    assert sorted(csv_headwords(everything.get_data())) == ["bơ̆nxa", "kelop", "zatok"]
    both = csv_headwords(export(client, "csv", lang="all", scope="all").get_data())
    assert sorted(both) == ["bơ̆nxa", "kelop", "tơmul", "zatok"]
    assert csv_headwords(export(client, "csv", lang="cua").get_data()) == ["tơmul"]


def test_xlsx(eapp):
    response = export(editor_client(eapp), "xlsx", scope="all")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    column = rows[0].index("headword")
    assert sorted(r[column] for r in rows[1:] if r[column]) == ["bơ̆nxa", "kelop", "zatok"]
    book.close()


def test_lift(eapp):
    client = editor_client(eapp)
    response = export(client, "lift")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith('.lift"')
    body = response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>') and "<lift" in body
    assert "zatok" in body and "kelop" not in body
    assert "kelop" in export(client, "lift", scope="all").get_data(as_text=True)


def test_cldf(eapp):
    client = editor_client(eapp)
    response = export(client, "cldf", lang="all")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].endswith('.zip"')
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as z:
        names = z.namelist()
        entries = [n for n in names if n.endswith("entries.csv")]
        assert entries, names
        table = z.read(entries[0]).decode("utf-8")
        metadata = [n for n in names if n.endswith("-metadata.json")]
        title = json.loads(z.read(metadata[0]))["dc:title"]
    assert title == "Từ điển Việt–Hrê · Việt–Co"
    assert "zatok" in table and "tơmul" in table and "kelop" not in table


def test_weaker_roles_cannot_export(eapp):
    client = eapp.test_client()
    assert login(client, eapp.config["test_users"]["contributor"]).status_code == 302
    assert client.get("/admin/export").status_code == 403


# ---- the command line -----------------------------------------------------------------------
def cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_cli_export(eapp, tmp_path):
    out = tmp_path / "hre.csv"
    result = cli(eapp, "export", "--format", "csv", "--lang", "hre", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(csv_headwords(out.read_bytes())) == ["bơ̆nxa", "zatok"]
    assert cli(eapp, "export", "--format", "csv", "--lang", "hre", "--all",
               str(out)).exit_code == 0
    assert sorted(csv_headwords(out.read_bytes())) == ["bơ̆nxa", "kelop", "zatok"]
    assert list(tmp_path.glob(".hre.csv.*")) == []  # the temporary file was renamed
    lift = cli(eapp, "export", "--format", "lift", "--lang", "all", "-")
    assert lift.exit_code == 0 and "tơmul" in lift.stdout
    bad = cli(eapp, "export", "--format", "csv", "--lang", "xyz", str(out))
    assert bad.exit_code == 2 and "Unknown language 'xyz'" in bad.output
    assert cli(eapp, "export", "--format", "pdf", str(out)).exit_code == 2

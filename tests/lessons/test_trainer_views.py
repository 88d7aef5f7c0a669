"""The trainer pages and the join page through the real app: a trainer sees only the cohorts
they run (someone else's is 404, a learner gets 403, nobody goes to the login page), every
form needs its CSRF token, the CSV and XLSX say what the page says, names are escaped, and
joining with a code makes a logged-in learner (wrong codes are throttled)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import csrf_token, login
from dictionary.auth import create_user
from dictionary.db import get_db
from dictionary.models import Entry, User, utcnow
from lessons import accounts, clock
from lessons.models import Cohort, CohortMember, CohortTrainer, Learner
from test_dashboard import NOW, PASSWORD, add_learner, answer, build, day, make_cohort

LEARNER_LOGIN = "hoc.vien@example.test"


class Cells(HTMLParser):
    """The text of each cell of the table with ``id``, row by row (header row first)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table_cells(html: str, table_id: str) -> list[list[str]]:
    parser = Cells(table_id)
    parser.feed(html)
    return parser.rows


@pytest.fixture
def world(bundled_copy):
    """The constructed cohort of ``test_dashboard`` in the bundled dictionary, an admin, an
    editor, a learner with a known login, and the app's clock at ``NOW``."""
    app = bundled_copy
    with app.app_context(), get_db().Session() as s:
        cohort, people = build(s)
        other = s.scalar(select(Cohort).where(Cohort.name == "Nhóm khác"))
        # A real sense fails too: its form and gloss come from the dictionary when shown.
        answer(s, people["an"], 0, 1, NOW - dt.timedelta(days=1), before=5.0, times=40,
               sense="hre-000001/1")
        entry = s.scalar(select(Entry).where(Entry.public_id == "hre-000001"))
        create_user(s, "admin@example.test", PASSWORD, "admin")
        create_user(s, "editor@example.test", PASSWORD, "editor")
        user = accounts.register_learner(s, login=LEARNER_LOGIN, password=PASSWORD,
                                         name="Học viên", code=cohort.join_code)
        s.commit()
        ids = {"cohort": cohort.id, "other": other.id, "outsider": people["outsider"].id,
               "an": people["an"].id, "learner": accounts.learner_of(s, user).id,
               "headword": entry.headword, "gloss": entry.senses[0].gloss_vi,
               "code": cohort.join_code, "other_code": other.join_code}
    clock.shift(app, seconds=(NOW - utcnow()).total_seconds())
    return app, ids


def client_as(app, login_name: str | None):
    client = app.test_client()
    client.set_cookie("ui_lang", "en")  # the pages are read in English
    if login_name:
        assert login(client, login_name).status_code == 302
    return client


def test_a_trainer_sees_only_their_cohorts(world):
    app, ids = world
    mine, theirs = ids["cohort"], ids["other"]
    t1 = client_as(app, "t1@example.test")
    listing = t1.get("/lessons/cohorts").get_data(as_text=True)
    assert "Nhóm thử" in listing and "Nhóm khác" not in listing
    for path in (f"/lessons/cohorts/{theirs}", f"/lessons/cohorts/{theirs}/export.csv",
                 f"/lessons/cohorts/{theirs}/export.xlsx",
                 f"/lessons/cohorts/{theirs}/learners/{ids['outsider']}",
                 f"/lessons/cohorts/{theirs}/learners/{ids['outsider']}/certificate",
                 f"/lessons/cohorts/{theirs}/learners/new",
                 f"/lessons/cohorts/{mine}/learners/{ids['outsider']}",
                 f"/lessons/cohorts/{mine}/learners/{ids['outsider']}/certificate",
                 "/lessons/cohorts/999999"):
        assert t1.get(path).status_code == 404, path
    for path in (f"/lessons/cohorts/{mine}", f"/lessons/cohorts/{mine}/learners/{ids['an']}",
                 f"/lessons/cohorts/{mine}/learners/{ids['an']}/certificate"):
        assert t1.get(path).status_code == 200, path
    admin = client_as(app, "admin@example.test")
    assert admin.get(f"/lessons/cohorts/{theirs}").status_code == 200
    assert "Nhóm khác" in admin.get("/lessons/cohorts").get_data(as_text=True)
    for who in (LEARNER_LOGIN, "editor@example.test"):
        c = client_as(app, who)
        for path in ("/lessons/cohorts", f"/lessons/cohorts/{mine}", "/lessons/cohorts/new",
                     f"/lessons/cohorts/{mine}/export.csv"):
            assert c.get(path).status_code == 403, (who, path)
    anonymous = app.test_client()
    response = anonymous.get(f"/lessons/cohorts/{mine}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_dashboard_and_its_exports_agree(world):
    app, ids = world
    t1 = client_as(app, "t1@example.test")
    page = t1.get(f"/lessons/cohorts/{ids['cohort']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert accounts.format_code(ids["code"]) in html
    assert html.count('role="img"') == 3 and "<svg" in html
    for fmt in ("csv", "xlsx"):
        assert f'href="/lessons/cohorts/{ids["cohort"]}/export.{fmt}"' in html
    shown = table_cells(html, "learners")
    assert [row[0] for row in shown[1:]] == ["An", "Binh", "Chi", "Dung", "Học viên"]
    assert shown[1][:10] == ["An", "Sở thử", "4", "96", "100", "20", "4", "96%", "25", "1"]
    exported = t1.get(f"/lessons/cohorts/{ids['cohort']}/export.csv")
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    assert exported.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert rows == shown
    book = load_workbook(io.BytesIO(t1.get(
        f"/lessons/cohorts/{ids['cohort']}/export.xlsx").get_data()))
    sheet = [["" if c is None else str(c) for c in row] for row in book.worksheets[0].values]
    assert sheet == shown
    # Difficult words: the real sense is shown with the dictionary's form and gloss.
    difficult = table_cells(html, "difficult")
    assert difficult[1][:3] == [ids["headword"], ids["gloss"], "40"]
    # At risk: Binh (inactive) and Chi (backlog, retention); the new learner joined today.
    risks = html.split('class="risks"')[1].split("</ul>")[0]
    assert "Binh" in risks and "Chi" in risks and "An" not in risks


def test_learner_page_and_certificate(world):
    app, ids = world
    t1 = client_as(app, "t1@example.test")
    html = t1.get(f"/lessons/cohorts/{ids['cohort']}/learners/{ids['an']}").get_data(
        as_text=True)
    history = table_cells(html, "history")
    assert [r[0] for r in history[1:]] == ["2026-03-20", "2026-03-19", "2026-03-18",
                                          "2026-03-15", "2026-03-10"]
    assert html.count('role="img"') == 2
    cert = t1.get(f"/lessons/cohorts/{ids['cohort']}/learners/{ids['an']}/certificate")
    text = cert.get_data(as_text=True)
    assert re.search(r'id="cert-known">4 ', text) and 'id="cert-reviews">150<' in text
    assert 'id="cert-days">5<' in text and 'id="cert-retention">96% ' in text
    assert "lessons.css" in text


def test_names_are_escaped_everywhere(world):
    app, ids = world
    with app.app_context(), get_db().Session() as s:
        cohort = s.get(Cohort, ids["cohort"])
        evil = add_learner(s, cohort, '<script>alert("x")</script>', office="<b>o</b>")
        day(s, evil, NOW.date())
        s.commit()
        evil_id = evil.id
    t1 = client_as(app, "t1@example.test")
    for path in (f"/lessons/cohorts/{ids['cohort']}",
                 f"/lessons/cohorts/{ids['cohort']}/learners/{evil_id}",
                 f"/lessons/cohorts/{ids['cohort']}/learners/{evil_id}/certificate"):
        html = t1.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>o</b>" not in html, path
        assert "&lt;script&gt;alert(" in html, path


def post_forms(app, ids):
    """Every POST form of the join and trainer pages, with a client allowed to use it."""
    cohort = ids["cohort"]
    with app.app_context(), get_db().Session() as s:
        t1 = s.scalar(select(User).where(User.email == "t1@example.test")).id
    trainer = lambda: client_as(app, "t1@example.test")  # noqa: E731
    return [
        (lambda: app.test_client(), "/lessons/join",
         {"code": ids["code"], "name": "N", "login": "n@example.test", "office": "",
          "password": PASSWORD, "confirm": PASSWORD}),
        (lambda: client_as(app, LEARNER_LOGIN), "/lessons/join", {"code": ids["other_code"]}),
        (trainer, "/lessons/cohorts/new",
         {"name": "Mới", "course": "1", "starts_on": "2026-03-23", "target_known": "300",
          "target_weeks": "8", "new_per_day": "8", "reviews_per_day": "120",
          "desired_retention": "0.9"}),
        (trainer, f"/lessons/cohorts/{cohort}/learners/new",
         {"name": "N", "login": "m@example.test", "office": "", "password": PASSWORD,
          "confirm": PASSWORD}),
        (trainer, f"/lessons/cohorts/{cohort}/trainers", {"login": "admin@example.test"}),
        (trainer, f"/lessons/cohorts/{cohort}/trainers/{t1}/remove", {}),
    ]


def test_every_form_needs_its_csrf_token(world):
    app, ids = world
    for make_client, path, data in post_forms(app, ids):
        assert make_client().post(path, data=data).status_code == 400, path
        assert make_client().post(path, data=data | {"csrf_token": "forged"}
                                  ).status_code == 400, path
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(User).where(User.email.in_(
            ["n@example.test", "m@example.test"]))) is None
        assert s.scalar(select(Cohort).where(Cohort.name == "Mới")) is None
        assert len(s.scalars(select(CohortTrainer).where(
            CohortTrainer.cohort_id == ids["cohort"])).all()) == 1


def test_joining_with_a_code_logs_the_new_learner_in(world):
    app, ids = world
    c = app.test_client()
    data = {"code": ids["code"].lower(), "name": "Người thử", "login": "0905 111 222",
            "office": "UBND thử", "password": PASSWORD, "confirm": PASSWORD,
            "csrf_token": csrf_token(c, "/lessons/join")}
    response = c.post("/lessons/join", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/lessons/"
    with app.app_context(), get_db().Session() as s:
        user = s.scalar(select(User).where(User.email == "+84905111222"))
        learner = s.scalar(select(Learner).where(Learner.user_id == user.id))
        assert (user.role, user.name, learner.office) == ("learner", "Người thử", "UBND thử")
        assert s.get(CohortMember, (ids["cohort"], learner.id)) is not None
    # Logged in: the page now offers to join another cohort, and that works too.
    page = c.get("/lessons/join").get_data(as_text=True)
    assert 'name="login"' not in page and 'name="code"' in page
    joined = c.post("/lessons/join", data={"code": ids["other_code"],
                                           "csrf_token": csrf_token(c, "/lessons/join")})
    assert joined.status_code == 302
    with app.app_context(), get_db().Session() as s:
        assert s.get(CohortMember, (ids["other"], learner.id)) is not None


def test_join_page_refuses_bad_codes_and_throttles_guessing(world):
    app, ids = world
    c = app.test_client()
    base = {"name": "X", "login": "x@example.test", "office": "", "password": PASSWORD,
            "confirm": PASSWORD}
    closed = c.post("/lessons/join?lang=en", data=base | {"code": "ABCD-EFGH",
                                                  "csrf_token": csrf_token(c, "/lessons/join")})
    assert closed.status_code == 400
    assert "No cohort has this join code" in closed.get_data(as_text=True)
    weak = c.post("/lessons/join?lang=en", data=base | {"code": ids["code"], "password": "short",
                                                "confirm": "short",
                                                "csrf_token": csrf_token(c, "/lessons/join")})
    assert weak.status_code == 400 and "at least 12 characters" in weak.get_data(as_text=True)
    statuses = [c.post("/lessons/join", data=base | {
        "code": f"ABCDEFG{n}", "csrf_token": csrf_token(c, "/lessons/join")}).status_code
        for n in range(2, 8)]
    assert statuses[:4] == [400] * 4 and statuses[-1] == 429
    # Even the right code waits now: the address is throttled, not the code.
    right = c.post("/lessons/join", data=base | {"code": ids["code"],
                                                 "csrf_token": csrf_token(c, "/lessons/join")})
    assert right.status_code == 429 and right.headers["Retry-After"]
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(User).where(User.email == "x@example.test")) is None


def test_trainer_forms_create_cohorts_learners_and_co_trainers(world):
    app, ids = world
    t1 = client_as(app, "t1@example.test")
    with app.app_context(), get_db().Session() as s:
        course_id = s.get(Cohort, ids["cohort"]).course_id
    made = t1.post("/lessons/cohorts/new", data={
        "name": "Nhóm mới", "course": str(course_id), "starts_on": "2026-03-23",
        "target_known": "200", "target_weeks": "6", "new_per_day": "6",
        "reviews_per_day": "90", "desired_retention": "0.88",
        "csrf_token": csrf_token(t1, "/lessons/cohorts/new")})
    assert made.status_code == 302
    new_id = int(made.headers["Location"].rsplit("/", 1)[1])
    with app.app_context(), get_db().Session() as s:
        cohort = s.get(Cohort, new_id)
        assert (cohort.target_known, cohort.target_weeks, cohort.reviews_per_day) == \
            (200, 6, 90)
        assert [t.user.email for t in cohort.trainers] == ["t1@example.test"]
        code = cohort.join_code
    assert accounts.format_code(code) in t1.get(made.headers["Location"]).get_data(
        as_text=True)
    path = f"/lessons/cohorts/{new_id}/learners/new"
    weak = t1.post(path, data={"name": "A", "login": "a@example.test", "password": "short",
                               "confirm": "short", "csrf_token": csrf_token(t1, path)})
    assert weak.status_code == 400
    added = t1.post(path, data={"name": "Anh Thử", "login": "0911 222 333",
                                "office": "Phòng thử", "password": PASSWORD,
                                "confirm": PASSWORD, "csrf_token": csrf_token(t1, path)})
    assert added.status_code == 302
    assert "Anh Thử" in t1.get(f"/lessons/cohorts/{new_id}").get_data(as_text=True)
    # A co-trainer: only trainer (or admin) accounts can be added.
    page = f"/lessons/cohorts/{new_id}"
    t1.post(f"{page}/trainers", data={"login": "editor@example.test",
                                      "csrf_token": csrf_token(t1, page)})
    t1.post(f"{page}/trainers", data={"login": "t2@example.test",
                                      "csrf_token": csrf_token(t1, page)})
    with app.app_context(), get_db().Session() as s:
        emails = {t.user.email for t in s.get(Cohort, new_id).trainers}
        assert emails == {"t1@example.test", "t2@example.test"}
        learner_user = s.scalar(select(User).where(User.email == "+84911222333"))
        assert learner_user.role == "learner"
    t2 = client_as(app, "t2@example.test")
    assert t2.get(page).status_code == 200
    assert t2.get(f"/lessons/cohorts/{ids['cohort']}").status_code == 404


def test_a_cohort_without_learners_renders(world):
    app, _ids = world
    with app.app_context(), get_db().Session() as s:
        empty = make_cohort(s, name="Trống")
        s.commit()
        empty_id = empty.id
    page = client_as(app, "t1@example.test").get(f"/lessons/cohorts/{empty_id}")
    assert page.status_code == 200 and "No learner has joined yet" in page.get_data(as_text=True)

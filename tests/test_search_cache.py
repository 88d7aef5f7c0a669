"""The request path's caches (``dictionary.search``): a search reads no database once its rows
are cached, and an edit, an unpublication or a deletion shows at once — in the process that
made it and, through the shared index, in another process — on a real app, a real SQLite
or PostgreSQL database and a real Whoosh index."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import contextmanager

from sqlalchemy import event, select

from dictionary import REPO_ROOT, search
from dictionary.db import get_db
from dictionary.models import DELETED, DRAFT, Entry, Language, Sense


@contextmanager
def statements(app):
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    engine = app.extensions["dictionary.db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def egg(app) -> tuple[str, int]:
    """(public id, sense id) of the Hrê entry glossed "trứng" (egg)."""
    with app.app_context(), get_db().Session() as s:
        sense = s.scalar(select(Sense).join(Entry).join(Language)
                         .where(Sense.gloss_vi == "trứng", Language.code == "hre"))
        return sense.entry.public_id, sense.id


def api_glosses(client, q: str) -> dict[str, list[str]]:
    body = client.get("/api/v1/search", query_string={"q": q}).get_json()
    return {r["id"]: [s["vi"] for s in r["senses"]] for r in body["results"]}


def test_a_repeated_search_reads_no_database(bundled_copy):
    client = bundled_copy.test_client()
    client.get("/api/v1/search?q=trứng")
    client.get("/search?q=trứng")
    with statements(bundled_copy) as api:
        assert client.get("/api/v1/search?q=trứng").status_code == 200
    assert api == []
    with statements(bundled_copy) as page:
        assert client.get("/search?q=trứng").status_code == 200
    # The page asks only which recordings may be played (consent can be withdrawn at
    # any time, so that is never cached).
    assert len(page) == 1 and "recording" in page[0]


def test_an_edit_shows_at_once_in_the_editing_process(bundled_copy):
    client = bundled_copy.test_client()
    pid, sense_id = egg(bundled_copy)
    assert api_glosses(client, "trứng")[pid] == ["trứng"]  # cached now
    assert "trứng gà lộn" not in client.get("/search?q=trứng").get_data(as_text=True)
    with bundled_copy.app_context(), get_db().transaction() as s:
        s.get(Sense, sense_id).gloss_vi = "trứng gà lộn"
        s.get(Sense, sense_id).entry.headword = "katapzz"
    assert api_glosses(client, "trứng")[pid] == ["trứng gà lộn"]
    page = client.get("/search?q=trứng").get_data(as_text=True)
    assert "trứng gà lộn" in page.replace("<mark>", "").replace("</mark>", "")
    assert "katapzz" in page
    assert pid in api_glosses(client, "katapzz")


def test_unpublished_and_deleted_entries_leave_the_results_at_once(bundled_copy):
    client = bundled_copy.test_client()
    pid, _ = egg(bundled_copy)
    assert pid in api_glosses(client, "trứng")
    assert pid in client.get("/search?q=trứng").get_data(as_text=True)
    with bundled_copy.app_context(), get_db().transaction() as s:
        s.scalar(select(Entry).where(Entry.public_id == pid)).status = DRAFT
    assert pid not in api_glosses(client, "trứng")
    assert pid not in client.get("/search?q=trứng").get_data(as_text=True)
    with bundled_copy.app_context(), get_db().transaction() as s:
        s.scalar(select(Entry).where(Entry.public_id == pid)).status = "published"
    assert pid in api_glosses(client, "trứng")
    with bundled_copy.app_context(), get_db().transaction() as s:
        s.scalar(select(Entry).where(Entry.public_id == pid)).status = DELETED
    assert pid not in api_glosses(client, "trứng")
    assert pid not in client.get("/search?q=trứng").get_data(as_text=True)


EDIT_ELSEWHERE = """
import json, sys
from dictionary import create_app
from dictionary.db import get_db
from dictionary.models import Sense
config = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context(), get_db().transaction() as s:
    s.get(Sense, config["SENSE"]).gloss_vi = "trứng vịt"
    s.get(Sense, config["SENSE"]).gloss_en = "duck egg"  # shown, not searched
"""


def test_another_process_edit_is_seen_within_a_second(bundled_copy):
    client = bundled_copy.test_client()
    pid, sense_id = egg(bundled_copy)
    assert api_glosses(client, "trứng")[pid] == ["trứng"]
    config = {key: bundled_copy.config[key] for key in
              ("INSTANCE_PATH", "DATABASE_URL", "INDEX_DIR", "SECRET_KEY", "TESTING")
              if key in bundled_copy.config}
    config.update(INSTANCE_PATH=bundled_copy.instance_path, INDEX_WARM_UP=False,
                  INDEX_DRAIN_AT_START=False, SENSE=sense_id)
    subprocess.run([sys.executable, "-c", EDIT_ELSEWHERE, json.dumps(config)], cwd=REPO_ROOT,
                   check=True, timeout=120)
    deadline = time.monotonic() + 1.0
    while True:
        glosses = api_glosses(client, "trứng").get(pid)
        if glosses == ["trứng vịt"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert glosses == ["trứng vịt"]
    body = client.get("/api/v1/search", query_string={"q": "trứng vịt"}).get_json()
    assert [s["en"] for r in body["results"] if r["id"] == pid for s in r["senses"]] == ["duck egg"]


def test_the_row_cache_is_bounded(bundled_copy):
    bundled_copy.config["SEARCH_CACHE_ENTRIES"] = 5
    client = bundled_copy.test_client()
    for q in ("trứng", "chó", "nước", "tro", "cây", "đen"):
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200
    rows = bundled_copy.extensions["dictionary.search_cache"].entries
    assert 0 < len(rows) <= 5
    assert rows.misses > 5


def test_a_renamed_language_shows_at_once(bundled_copy):
    client = bundled_copy.test_client()
    assert "Hrê" in client.get("/search?q=trứng").get_data(as_text=True)
    with bundled_copy.app_context(), get_db().transaction() as s:
        s.scalar(select(Language).where(Language.code == "hre")).name_vi = "Tiếng Hrêzz"
    assert "Tiếng Hrêzz" in client.get("/search?q=trứng").get_data(as_text=True)
    with bundled_copy.app_context():
        assert [lang.code for lang in search.languages()] == ["hre", "cua"]


def test_a_flood_of_new_misses_after_the_days_budget_reads_no_database(bundled_copy):
    """Each distinct miss used to wait for a batch, and each batch of 50 read the table
    even when the day's budget of new queries was spent."""
    from dictionary import create_app
    from dictionary.models import ZeroResultQuery

    app = create_app({**bundled_copy.config, "ZERO_RESULTS_FLUSH_SIZE": 10,
                      "ZERO_RESULTS_FLUSH_SECONDS": 3600, "ZERO_RESULTS_MAX_NEW_PER_DAY": 20})
    client = app.test_client()
    words = ["qz" + "".join(chr(ord("a") + (i // 26 ** k) % 26) for k in range(4))
             for i in range(200)]
    for word in words[:30]:  # 20 new queries written, then the budget is found spent
        client.get("/api/v1/search", query_string={"q": word})
    with statements(app) as flood:
        for word in words[30:]:
            assert client.get("/api/v1/search", query_string={"q": word}).status_code == 200
        for _ in range(3):  # a query already in the table keeps counting
            client.get("/api/v1/search", query_string={"q": words[0]})
    assert flood == []
    zero_log = app.extensions["dictionary.zero_results"]
    assert zero_log.dropped == 200 - 20
    with app.app_context():
        zero_log.flush()
        with get_db().Session() as s:
            counts = dict(s.execute(select(ZeroResultQuery.query, ZeroResultQuery.count)).all())
    assert len(counts) == 20 and counts[words[0]] == 4
    from conftest import get_state_close
    get_state_close(app)

"""Two-way lookup end to end: the golden query table over the bundled data and a synthetic
fixture, hostile queries, suggestions, the zero-result log."""
from __future__ import annotations

import codecs
import csv
import shutil
from itertools import takewhile
from pathlib import Path

import pytest
from sqlalchemy import event, select

from dictionary import zero_results
from dictionary.db import get_db
from dictionary.curation.importer import import_lexicon
from dictionary.indexing import index_service
from dictionary.models import ZeroResultQuery
from dictionary.search import lookup

from conftest import DATA, get_state_close, make_app

HERE = Path(__file__).parent
GOLDEN = HERE / "golden_queries.tsv"


def golden_rows(which: str) -> list[dict]:
    lines = [ln for ln in GOLDEN.read_text(encoding="utf-8").splitlines()
             if ln and not ln.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["query"] = codecs.decode(row["query"], "unicode_escape") if "\\u" in row["query"] \
            else row["query"]
    return [r for r in rows if r["set"] == which]


@pytest.fixture(scope="module")
def synthetic_app(tmp_path_factory):
    """An empty dictionary plus tests/fixtures/golden_synthetic.csv, imported for real."""
    root = tmp_path_factory.mktemp("golden")
    data = root / "data"
    shutil.copytree(DATA, data)
    with open(data / "languages.toml", "a", encoding="utf-8") as f:
        f.write('\n[[source]]\nkey = "golden"\nlicense = "CC0-1.0"\n'
                'citation = "Synthetic test entries."\n')
    app = make_app(root / "instance", DATA_DIR=str(data))
    with app.app_context():
        with get_db().Session() as s:
            import_lexicon(s, HERE / "fixtures" / "golden_synthetic.csv", "hre", data_dir=data,
                           status="published")
        index_service().rebuild()
    yield app
    get_state_close(app)


def check_golden(app, row: dict) -> None:
    expect = row["expect"].split("|")
    with app.test_request_context():
        found = lookup(row["query"], row["lang"], 20)
    got = [f"{f.entry.language.code}:{f.entry.headword}" for f in found.results]
    leading = list(takewhile(lambda g: g in expect, got))
    assert set(leading) == set(expect), f"{row['rule']}: {row['query']!r} → {got[:6]}"
    first = found.results[0].hit
    assert row["tier"] == "*" or first.tier == row["tier"], f"{row['rule']}: tier {first.tier}"
    assert row["side"] == "*" or first.side == row["side"], f"{row['rule']}: side {first.side}"
    typed = None if row["typed"] == "-" else row["typed"]
    assert first.typed_as == typed, f"{row['rule']}: typed_as {first.typed_as!r}"


@pytest.mark.parametrize("row", golden_rows("bundled"), ids=lambda r: r["rule"])
def test_golden_bundled(bundled_app, row):
    check_golden(bundled_app, row)


@pytest.mark.parametrize("row", golden_rows("synthetic"), ids=lambda r: r["rule"])
def test_golden_synthetic(synthetic_app, row):
    check_golden(synthetic_app, row)


def test_a_phrase_prefix_keeps_its_words_together(synthetic_app):
    """"con ch" completes to "con chó", "con chim" (the last word a prefix of the word right
    after the others), not to "con mèo chạy", where "ch…" only occurs further on."""
    with synthetic_app.test_request_context():
        found = lookup("con ch", "all", 20).results
    assert sorted(f.entry.headword for f in found) == ["zabrak", "zabrê̆k"]
    assert {f.hit.tier for f in found} == {"prefix"}


def test_golden_table_covers_every_rule():
    rules = " ".join(r["rule"].lower() for r in golden_rows("bundled") + golden_rows("synthetic"))
    for rule in ("tone-less", "partial accents", "nfd", "old tone placement",
                 "new tone placement", "telex", "vni", "ipa", "apostrophe", "uppercase",
                 "multi-word gloss", "prefix", "one typo"):
        assert rule in rules, rule


HOSTILE = [
    'AND OR ( ) * ? " : ^ ~',
    "nước AND (lửa OR \"đất\")~2 ^3 *:*",
    "a" * 2000,
    "tro " * 500,
    "\x00\x01\x1b[31m\x7f tro",
    "\u0301",
    "\u0301\u0300\u0303 tro",
    "ơ̆ ê̆ ŏ̀",
    "' ’ ʼ ‘",
    "🙂🙂",
    "*",
    "tr*",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_text(bundled_app, query):
    with bundled_app.test_request_context():
        found = lookup(query, "all", 20)
    assert isinstance(found.results, list)
    assert len(found.results) <= 20


def test_operators_match_as_plain_words(bundled_app):
    with bundled_app.test_request_context():
        plain = [f.entry.public_id for f in lookup("tro", "all", 5).results]
        quoted = [f.entry.public_id for f in lookup('"tro"*', "all", 5).results]
    assert plain == quoted and plain


def test_limit_and_more(bundled_app):
    with bundled_app.test_request_context():
        few = lookup("k", "all", 3)
        many = lookup("k", "all", 50)
    assert len(few.results) == 3 and few.more
    assert [f.entry.public_id for f in many.results[:3]] == [f.entry.public_id for f in few.results]


def test_suggestions_when_nothing_matches(bundled_app):
    with bundled_app.test_request_context():
        found = lookup("xuonggg", "all", 20)  # three edits from "xương": too far to match
    assert found.results == []
    assert "xương" in found.suggestions


def zero_rows(app) -> list[tuple]:
    with app.app_context():
        zero_results.flush()
        with get_db().Session() as s:
            return s.execute(select(ZeroResultQuery.query, ZeroResultQuery.lang,
                                    ZeroResultQuery.count).order_by(ZeroResultQuery.id)).all()


def test_zero_result_queries_are_logged_without_personal_data(bundled_copy):
    with bundled_copy.test_request_context():
        lookup("Qqzzxx", "hre", 20)
        lookup("qqzzxx", "hre", 20)
        lookup("tro", "all", 20)  # found: not logged
        lookup("   ", "all", 20)  # nothing typed: not logged
    assert zero_rows(bundled_copy) == [("qqzzxx", "hre", 2)]
    assert [c.name for c in ZeroResultQuery.__table__.columns] == [
        "id", "query", "lang", "count", "last_seen", "first_seen"]


def test_junk_queries_are_not_logged(bundled_copy):
    with bundled_copy.test_request_context():
        for junk in ("12345", "!!! ???", "q" * 200, "qqzzxx " * 12, "zz" + "q" * 40):
            lookup(junk, "all", 20)
        lookup("qqzzxx", "all", 20)
    assert zero_rows(bundled_copy) == [("qqzzxx", "all", 1)]


def _nonsense(i: int) -> str:
    """A unique letters-only word that no lexicon has (``qzaaa``, ``qzaab``, ...)."""
    letters = ""
    for _ in range(4):
        i, r = divmod(i, 26)
        letters = chr(ord("a") + r) + letters
    return "qz" + letters


def test_unique_nonsense_is_counted_in_batches_and_capped(bundled_copy):
    """300 unique nonsense queries were 300 rows and 300 write transactions."""
    from dictionary import create_app

    app = create_app({**bundled_copy.config, "ZERO_RESULTS_FLUSH_SIZE": 50,
                      "ZERO_RESULTS_FLUSH_SECONDS": 3600, "ZERO_RESULTS_MAX_NEW_PER_DAY": 120})
    commits = []
    with app.app_context():
        event.listen(get_db().engine, "commit", lambda conn: commits.append(1))
    client = app.test_client()
    for i in range(300):
        assert client.get("/api/v1/search", query_string={"q": _nonsense(i)}).status_code == 200
    assert len(commits) <= 300 // 50  # one transaction per batch, none per search
    for _ in range(3):  # a query already logged keeps counting after the cap
        client.get("/api/v1/search", query_string={"q": _nonsense(0)})
    rows = zero_rows(app)
    assert len(rows) == 120
    assert rows[0] == (_nonsense(0), "all", 4)
    assert zero_results_log(app).dropped == 300 - 120
    get_state_close(app)


def zero_results_log(app):
    return app.extensions["dictionary.zero_results"]


def test_zero_results_command(bundled_copy):
    with bundled_copy.test_request_context():
        lookup("qqzzxx", "hre", 20)
    result = bundled_copy.test_cli_runner().invoke(args=["zero-results"])
    assert result.exit_code == 0 and "qqzzxx" in result.output

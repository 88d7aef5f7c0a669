"""The engine each app gets (dictionary.db), on whichever database the run uses: SQLite files,
or the throw-away PostgreSQL server of ``tests/with_postgres.sh`` (whose time zone is
Vietnam's, as a production server's may be)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from dictionary.db import engine_options, get_db, waited_too_long
from dictionary.models import ZeroResultQuery, utcnow


def test_a_database_default_time_is_utc_like_the_apps_own(app):
    """Times are naive UTC in every table; a row whose time the database fills in
    (``server_default=now()``) must agree, whatever time zone the server is set to."""
    with app.app_context(), get_db().transaction() as s:
        s.execute(text("INSERT INTO zero_result_query (query, lang, count) "
                       "VALUES ('khongco', 'hre', 1)"))
    with app.app_context(), get_db().Session() as s:
        stored = s.scalar(select(ZeroResultQuery.last_seen))
    assert abs(stored - utcnow()) < dt.timedelta(minutes=5), (stored, utcnow())


def test_postgresql_connections_are_checked_and_wait_no_longer_than_the_busy_timeout():
    options = engine_options("postgresql+psycopg://tudien@/tudien?host=/run/postgresql", 2.5)
    assert options["pool_pre_ping"] is True
    assert options["connect_args"] == {"options": "-c lock_timeout=2500 -c timezone=UTC"}
    kept = engine_options("postgresql+psycopg://u@h/d?options=-c%20work_mem%3D64MB", 1)
    assert kept["connect_args"]["options"] == \
        "-c work_mem=64MB -c lock_timeout=1000 -c timezone=UTC"
    assert engine_options("sqlite:///x.sqlite") == {}


def test_a_lock_wait_that_ran_out_is_told_from_other_errors(app):
    """The 503 "busy" answer (``api``) is for a wait that ran out, never another failure."""
    with app.app_context():
        engine = get_db().engine
        with engine.connect() as conn:
            try:
                conn.execute(text("SELECT * FROM no_such_table"))
            except Exception as exc:  # noqa: BLE001 (the real error of either database)
                assert not waited_too_long(exc)
            else:
                raise AssertionError("no error")

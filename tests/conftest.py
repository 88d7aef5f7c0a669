"""Shared fixtures: real SQLite files and real Whoosh indexes under tmp_path.

``app`` is an empty dictionary (tables and languages only); ``bundled_app`` holds the two
bundled starter lexicons and a built index, made once per test session and shared by the
read-only tests (tests that change data use ``app`` or ``bundled_copy``). The files behind
them are made once per session: under pytest-xdist once per worker, in that worker's own
temporary directory. Apps here are TESTING apps: passwords are hashed with argon2's cheapest
parameters (dictionary.auth), so ``users`` costs nothing.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import waitress
from waitress import wasyncore

from dictionary import REPO_ROOT, create_app
from dictionary.schema import init_db
from dictionary.db import get_db
from dictionary.indexing import index_service
import pg_databases

DATA = REPO_ROOT / "data"


def make_app(instance: Path, **extra):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "INDEX_DIR": str(instance / "index"),
        "SECRET_KEY": "test-secret-not-for-production",
        # tests open and delete many indexes: no background threads
        "INDEX_WARM_UP": False,
        "INDEX_DRAIN_AT_START": False,
        "INDEX_FOLLOW_SECONDS": 0,  # the outbox tests start followers themselves
    }
    config.update(extra)
    if "DATABASE_URL" not in config:  # a SQLite file, or PostgreSQL under with_postgres.sh
        config["DATABASE_URL"] = pg_databases.database_url(instance) if pg_databases.ENABLED \
            else f"sqlite:///{instance / 'test.sqlite'}"
    app = create_app(config)
    with app.app_context():
        init_db()
    return app


def empty_database_url(folder: Path) -> str:
    """A new, empty database (no tables) for ``folder``: a SQLite file in it, or under
    ``tests/with_postgres.sh`` a PostgreSQL database (dropped after the test)."""
    if pg_databases.ENABLED:
        return pg_databases.database_url(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'test.sqlite'}"


def load_bundled(app) -> None:
    from dictionary.curation.importer import import_lexicon

    with app.app_context():
        for lang, name in app.config["BUNDLED_LEXICONS"]:
            with get_db().Session() as s:
                import_lexicon(s, DATA / name, lang, data_dir=DATA)
        index_service().rebuild()


def load_courses(app) -> None:
    """The bundled courses (``data/lessons/``), as ``make run`` imports them."""
    result = app.test_cli_runner().invoke(args=["lessons", "import"])
    assert result.exit_code == 0, result.output


def make_data_dir(tmp_path: Path) -> Path:
    """The real data/ catalog plus one synthetic source, ``nhomthu``, under ``tmp_path``."""
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(DATA / "parts_of_speech.toml", d)
    catalog = (DATA / "languages.toml").read_text(encoding="utf-8")
    (d / "languages.toml").write_text(
        catalog + '\n[[source]]\nkey = "nhomthu"\nlicense = "CC-BY-4.0"\n'
        'citation = "Synthetic test source."\n', encoding="utf-8")
    return d


@pytest.fixture
def data_dir(tmp_path):
    return make_data_dir(tmp_path)


@pytest.fixture(scope="session")
def _empty_pristine(tmp_path_factory) -> Path:
    """An empty dictionary made once (tables and languages); only ever copied."""
    instance = tmp_path_factory.mktemp("empty") / "instance"
    get_state_close(make_app(instance))
    pg_databases.keep(instance)
    return instance


@pytest.fixture
def app(_empty_pristine, tmp_path):
    # A copy of files made once costs half of creating the tables again, and is the same.
    instance = tmp_path / "instance"
    shutil.copytree(_empty_pristine, instance)
    app = make_app(instance)
    yield app
    get_state_close(app)


def get_state_close(app) -> None:
    with app.app_context():
        index_service().stop_following()
        index_service().index.close()
        get_db().engine.dispose()


@pytest.fixture(scope="session")
def _bundled_pristine(tmp_path_factory) -> Path:
    """The bundled lexicons imported and indexed once; only ever copied, never served."""
    instance = tmp_path_factory.mktemp("bundled") / "instance"
    app = make_app(instance)
    load_bundled(app)
    get_state_close(app)
    pg_databases.keep(instance)
    return instance


@pytest.fixture(scope="session")
def _bundled_shared(_bundled_pristine, tmp_path_factory) -> Path:
    instance = tmp_path_factory.mktemp("shared") / "instance"
    shutil.copytree(_bundled_pristine, instance)
    if pg_databases.ENABLED:  # its database outlives each module's app, as its file does
        pg_databases.database_url(instance)
        pg_databases.keep(instance)
    return instance


@pytest.fixture(scope="module")
def bundled_app(_bundled_shared):
    """The bundled data, shared between tests that only read (searches may still add to
    the zero-result log: tests that count anything use ``bundled_copy``). One app per test
    module: nothing a read-only test does changes it, and its searchers stay warm."""
    app = make_app(_bundled_shared)
    yield app
    get_state_close(app)


@pytest.fixture
def bundled_copy(_bundled_pristine, tmp_path):
    """A private copy of the freshly loaded bundled data that a test may change."""
    instance = tmp_path / "instance"
    shutil.copytree(_bundled_pristine, instance)
    app = make_app(instance)
    yield app
    get_state_close(app)


@pytest.fixture
def client(bundled_app):
    return bundled_app.test_client()


# ---- the database backend ------------------------------------------------------------------
@pytest.fixture(autouse=True, scope="module")
def _module_databases():
    """PostgreSQL run: drop the databases a module-scoped fixture made, dispose its engines
    (pg_databases)."""
    position = pg_databases.mark()
    yield
    pg_databases.release(position)


@pytest.fixture(autouse=True)
def _test_databases():
    """PostgreSQL run: drop the databases this test made, dispose its engines (pg_databases)."""
    position = pg_databases.mark()
    yield
    pg_databases.release(position)


#: A test about one backend's own behaviour is marked with it and deselected in the other's
#: run (never skipped: a skip would count as missing); its counterpart covers the other.
BACKEND_MARKS = {"sqlite_only": "sqlite", "postgresql_only": "postgresql"}


def pytest_collection_modifyitems(config, items):
    backend = "postgresql" if pg_databases.ENABLED else "sqlite"
    other = [item for item in items
             if any(item.get_closest_marker(m) for m, b in BACKEND_MARKS.items() if b != backend)]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]
    config.stash[_DESELECTED] = len(other)
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker: tell the controller
        config.workeroutput["deselected_for_backend"] = len(other)


_DESELECTED = pytest.StashKey[int]()


def _backend_name() -> str:
    return "PostgreSQL (TEST_DATABASE_URL)" if pg_databases.ENABLED else "SQLite"


def pytest_report_header(config):
    return f"database backend: {_backend_name()}"


class BackendCountFromWorkers:
    @staticmethod
    def pytest_testnodedown(node, error):
        count = getattr(node, "workeroutput", {}).get("deselected_for_backend")
        if count is not None:
            node.config.stash[_DESELECTED] = count


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _DESELECTED in config.stash:
        terminalreporter.write_line(
            f"database backend: {_backend_name()}; {config.stash[_DESELECTED]} tests for the "
            f"other backend only deselected")


# ---- curators -------------------------------------------------------------------------------
PASSWORD = "correct horse battery"  # test accounts only


def add_users(app) -> dict[str, str]:
    """One account per role (``<role>@example.test``); returns role → e-mail."""
    from dictionary.auth import create_user
    from dictionary.models import ROLES

    with app.app_context(), get_db().transaction() as s:
        return {role: create_user(s, f"{role}@example.test", PASSWORD, role).email
                for role in ROLES}


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the form on ``path`` (as a browser would read it)."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


@pytest.fixture
def users(app) -> dict[str, str]:
    return add_users(app)


@pytest.fixture
def bundled_users(bundled_copy) -> dict[str, str]:
    return add_users(bundled_copy)


@pytest.fixture
def as_role(app, users):
    """``as_role("editor")`` → a test client logged in with that role (empty database)."""
    def client_for(role: str):
        client = app.test_client()
        response = login(client, users[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return client_for


# ---- the real browser -----------------------------------------------------------------------
class BrowserTestsTogether:
    """Under pytest-xdist with ``--dist loadgroup`` (``make test``), the browser tests
    (``test_browser*.py``) are one group: one worker runs them one after another, so two
    Chromiums never fight for the cores (turning page timeouts into failures) and each
    module starts Chromium once. Every other test is its own unit of work.

    A scheduler rather than ``xdist_group`` marks: pytest-xdist 3.8.0 adds the group to the
    node id, which pytest 9.2 no longer lets it change (pytest-xdist issue #1386)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") != "loadgroup":
            return None
        from xdist.scheduler import LoadGroupScheduling

        class Scheduling(LoadGroupScheduling):
            def _split_scope(self, nodeid: str) -> str:
                module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
                return "browser" if module.startswith("test_browser") else \
                    super()._split_scope(nodeid)

        return Scheduling(config, log)


def pytest_configure(config):
    for mark, backend in BACKEND_MARKS.items():
        config.addinivalue_line("markers", f"{mark}: runs only on {backend} (deselected otherwise)")
    # Registered only with pytest-xdist present: its hook is unknown without it.
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(BrowserTestsTogether(), "browser-tests-together")
        config.pluginmanager.register(BackendCountFromWorkers(), "backend-count-from-workers")


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (``make test`` installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs the Debian package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@contextmanager
def serving(app, **options) -> Iterator[str]:
    """``app`` served by waitress on a free port in a thread; yields its base URL.
    ``options`` go to waitress (``clear_untrusted_proxy_headers=False`` keeps the
    X-Forwarded-* headers a proxy sets, which waitress drops by default; gunicorn, the
    production server, passes them on)."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_server(server, thread)


def stop_server(server, thread: threading.Thread) -> None:
    """Close a waitress server from its own loop (closing its socket from another thread
    while the loop waits on it fails there with EBADF), then its request threads."""
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(10)
    server.task_dispatcher.shutdown()

"""Từ điển Việt–Hrê · Việt–Co: the Flask application.

Data flow: files in data/ → ``importer`` → database (``models``) → outbox (``indexing``) →
Whoosh index (``search_index``) → ``search`` service → pages (``public``) and JSON API (``api``).
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config

REPO_ROOT = config.REPO_ROOT


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "DICTIONARY_INSTANCE_PATH", str(REPO_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config.load(app, test_config)
    if hops := int(app.config["PROXY_HOPS"]):
        # Behind that many reverse proxies, the client's address (login throttling, the
        # security log) and scheme come from their X-Forwarded-For/-Proto headers. The host
        # never does: it is checked against TRUSTED_HOSTS as sent.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from . import auth, cli, db, i18n, indexing, responses, zero_results
    from .curation import import_jobs

    database = db.init_app(app)
    indexing.init_app(app, database)
    zero_results.init_app(app)
    responses.init_app(app)
    from . import rate_limit

    rate_limit.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    import_jobs.init_app(app)

    from . import api, auth_views, curation, public

    app.register_blueprint(public.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(curation.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api.health)
    api.register_error_handlers(app)

    from . import audio

    audio.init_app(app)

    import lessons

    lessons.init_app(app)
    return app


def import_models() -> None:
    """Import every module that declares tables on ``models.Base``: Alembic (``schema``)
    sees only those. The feature packages built on the dictionary are plugged in here, in the
    composition root, like their ``init_app``."""
    from . import models  # noqa: F401
    from .audio import models as audio_models  # noqa: F401
    from .curation import import_jobs  # noqa: F401  (ImportJob)
    import lessons.models  # noqa: F401

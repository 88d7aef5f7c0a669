"""The public side: search, entry and browse pages (blueprint ``dictionary``), the highlighting
of matched words, and the entry data the pages and the JSON API show.

Where it sits: requests → ``dictionary.search`` (the lookup service) and the database →
templates in ``templates/dictionary/``. This package owns the blueprint; ``views`` and
``browse`` add their routes to it, and the factory registers it.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dictionary", __name__)

from . import browse, views  # noqa: E402,F401  (register the routes on bp)

"""Public pages: search, entry, browse, about (server-rendered, light, readable without JS)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dictionary", __name__)

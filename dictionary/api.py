"""JSON API under /api/v1/: the same data the pages show, described by /api/v1/openapi.json.

Bad parameters get a 400 with a JSON error body; unknown entries a JSON 404. Lexicon text is
returned as stored (NFC); nothing here is translated.
"""
from __future__ import annotations

from flask import Blueprint, Flask, abort, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from . import search
from .db import session, waited_too_long
from .indexing import index_service
from .models import PUBLISHED, Entry, Language
from .openapi import spec
from .public.entries import PHONETIC_LABEL, entry_json, other_fields_of, related_by_concept
from .web import error_page

bp = Blueprint("api", __name__, url_prefix="/api/v1")
health = Blueprint("health", __name__)

MAX_QUERY_CHARS = 2000


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter, self.message = parameter, message


def search_params(args) -> tuple[str, str, int]:
    """Validated (q, lang, limit) from request args; raises BadParameter."""
    q = args.get("q", "")
    if not q.strip():
        raise BadParameter("q", "q is required: the word or phrase to look up")
    if len(q) > MAX_QUERY_CHARS:
        raise BadParameter("q", f"q is longer than {MAX_QUERY_CHARS} characters")
    lang = args.get("lang", search.ALL)
    codes = search.language_codes()
    if lang != search.ALL and lang not in codes:
        raise BadParameter("lang", f"lang must be one of: {', '.join([search.ALL, *codes])}")
    raw = args.get("limit", "20")
    limit_max = 100
    try:
        limit = int(raw)
    except ValueError:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {limit_max}") from None
    if not 1 <= limit <= limit_max:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {limit_max}")
    return q, lang, limit


@bp.errorhandler(BadParameter)
def _bad_parameter(exc: BadParameter):
    return jsonify(error={"status": 400, "parameter": exc.parameter, "message": exc.message}), 400


@bp.get("/search")
def api_search():
    q, lang, limit = search_params(request.args)
    found = search.lookup(q, lang, limit)
    if found.index_missing:
        abort(503, "the search index has not been built yet")
    entry_url = search.entry_url_maker(external=True)
    return jsonify(
        query=found.query,
        lang=lang,
        total=found.total,
        more=found.more,
        results=[
            {
                "id": f.entry.public_id,
                "lang": f.entry.language.code,
                "headword": f.entry.headword,
                "homograph": f.entry.homograph,
                "form_kind": f.entry.form_kind,
                "senses": [{"vi": s.gloss_vi, "en": s.gloss_en} for s in f.entry.senses],
                "match": {"tier": f.hit.tier, "side": f.hit.side, "typed_as": f.hit.typed_as},
                "url": entry_url(f.entry.public_id),
            }
            for f in found.results
        ],
        suggestions=found.suggestions,
    )


@bp.get("/entries/<public_id>")
def api_entry(public_id: str):
    entry = search.get_entry(public_id)
    if entry is None:
        abort(404, f"no published entry with id {public_id!r}")
    data = entry_json(entry)
    data["other_fields"] = other_fields_of(entry)
    data["url"] = url_for("dictionary.entry", public_id=public_id, _external=True)
    data["same_concept"] = [
        {"id": e.public_id, "lang": e.language.code, "headword": e.headword,
         "url": url_for("api.api_entry", public_id=e.public_id, _external=True)}
        for e in related_by_concept(entry)
    ]
    return jsonify(data)


@bp.get("/languages")
def api_languages():
    s = session()
    counts = dict(s.execute(select(Entry.language_id, func.count(Entry.id))
                            .where(Entry.status == PUBLISHED).group_by(Entry.language_id)).all())
    return jsonify(languages=[
        {"code": lang.code, "name_vi": lang.name_vi, "name_en": lang.name_en,
         "glottocode": lang.glottocode, "entries": counts.get(lang.id, 0),
         "headword_note": PHONETIC_LABEL}
        for lang in s.scalars(select(Language).order_by(Language.id))
    ])


@bp.get("/openapi.json")
def api_openapi():
    return jsonify(spec(request.host_url.rstrip("/")))


@health.get("/healthz")
def healthz():
    s = session()
    entries = s.scalar(select(func.count(Entry.id)).where(Entry.status == PUBLISHED)) or 0
    queued = index_service().pending()
    index = index_service().index
    try:
        indexed = index.doc_count() if index.exists() else None
    except Exception:  # a broken index is reported, not raised: this is the health probe
        indexed = None
    fresh = indexed == entries and queued == 0
    # 503 until this process can search at full speed, so that a load balancer (or the
    # deployment's check) sends nothing to a process still loading its lookup tables.
    ready = index_service().ready.is_set()
    state = ("missing" if indexed is None else "warming" if not ready
             else "fresh" if fresh else "stale")
    body = {"status": "ok" if fresh and ready else "degraded", "entries": entries,
            "index": {"documents": indexed, "queued": queued, "state": state}}
    if state in ("missing", "warming"):
        body["reason"] = ("the search index has not been built yet" if state == "missing" else
                          "this process is still loading its search tables")
        return jsonify(body), 503
    return jsonify(body), 200


def register_error_handlers(app: Flask) -> None:
    """API paths answer errors in JSON; pages keep their HTML error pages."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/") or request.path == "/healthz":
            return jsonify(error={"status": exc.code, "message": exc.description}), exc.code
        return error_page(exc)

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError):
        """SQLite lets one connection write at a time, and a large import holds the write
        lock for as long as its one transaction lasts (on PostgreSQL, the locks of the rows
        it writes). A save that waited ``busy_timeout`` for it is refused with 503 and a
        message (its transaction was rolled back, so nothing changed), not a 500. Any other
        database failure stays a 500."""
        if not waited_too_long(exc):
            raise exc
        session().rollback()
        busy = ServiceUnavailable(_("The dictionary is busy writing a large import. Nothing "
                                    "was changed: try again in a minute."), retry_after=60)
        if request.path.startswith("/api/"):
            return _http_error(busy)
        return error_page(busy, message=busy.description)

"""Helpers every HTML page uses, whichever blueprint renders it: the interface language, the
lexicon languages, links (static files, licences, the language switch, safe redirects) and
the HTML error page.

Where it sits: under the view modules (``views``, ``browse``, ``auth_views``, ``admin``) and
``api``'s error handlers, above the domain (``search``, ``indexing``, ``models``). It holds no
routes, so any view module can import it without importing another view module.
"""
from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import catalog, i18n, search
from .indexing import index_service
from .models import Language

LICENSE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-3.0-DE": "https://creativecommons.org/licenses/by/3.0/de/",
}

def ui_lang() -> str:
    return i18n.ui_code()


def languages() -> list[search.LanguageView]:
    """The dictionary's languages (cached per process by ``search``); empty if the database
    is unreachable, so that even the error page can render."""
    if "dictionary_languages" not in g:
        try:
            g.dictionary_languages = list(search.languages())
        except SQLAlchemyError:
            current_app.logger.exception("could not read the languages")
            g.dictionary_languages = []
    return g.dictionary_languages


def lang_name(language: Language | search.LanguageView | None) -> str:
    if language is None:
        return ""
    return language.name_en if ui_lang() == "en" else language.name_vi


def lexicon_lang(value: str | None) -> str:
    """The lexicon-language filter; anything unknown (including ``vi``/``en``) means all."""
    return value if value in {lang.code for lang in languages()} else search.ALL


def language_rules(code: str):
    """The search rules of one lexicon language, for highlighting (None: plain rules)."""
    try:
        return index_service().rules.get(code)
    except Exception:  # highlighting must never break a page: fall back to plain rules
        current_app.logger.exception("no orthography rules for %s", code)
        return None


def license_url(license_code: str | None) -> str | None:
    return LICENSE_URLS.get(license_code or "")


@functools.lru_cache(maxsize=16)
def _asset_version(path: str, mtime: float, size: int) -> str:
    return hashlib.sha1(f"{path}:{mtime}:{size}".encode()).hexdigest()[:10]


_asset_urls: dict[tuple[str, str, str], tuple[float, str]] = {}
ASSET_CHECK_SECONDS = 2.0  # how long a file's version tag is trusted before a new stat()


def asset_url(filename: str) -> str:
    """URL of a static file with a version tag, so it can be cached for a year. Every page
    links three: the tag is worked out again (stat + URL) at most every few seconds."""
    key = (current_app.static_folder or "", request.script_root, filename)
    known = _asset_urls.get(key)
    now = time.monotonic()
    if known is not None and now < known[0]:
        return known[1]
    path = Path(current_app.static_folder) / filename
    try:
        st = path.stat()
        version = _asset_version(str(path), st.st_mtime, st.st_size)
    except OSError:
        version = "0"
    url = url_for("static", filename=filename, v=version)
    _asset_urls[key] = (now + ASSET_CHECK_SECONDS, url)
    return url


def switch_url(code: str) -> str:
    """Link of the vi|en switch: the same page and query, in the other interface language."""
    args = [(k, v) for k, v in request.args.items(multi=True)
            if not (k == "lang" and v in current_app.config["LANGUAGES"])]
    here = request.path + ("?" + urlencode(args) if args else "")
    return url_for("dictionary.set_language", code=code, next=here)


def account_link() -> tuple[str, str] | None:
    """(url, label) of the signed-in user's own area for the menu: curation for curators,
    the page a feature package registered for the other roles (``app.extensions["role_home"]``:
    role → (endpoint, label), e.g. the learner's lessons), None when logged out."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return None
    home = current_app.extensions.get("role_home", {}).get(current_user.role)
    if home:
        return url_for(home[0]), str(home[1])
    return url_for("admin.dashboard"), _("Curation")


def extra_menu() -> list[tuple[str, str, str]]:
    """(url, label, blueprint) of the pages feature packages add to the main menu for
    everyone (``app.extensions["menu"]``: (endpoint, label) pairs)."""
    return [(url_for(endpoint), str(label), endpoint.partition(".")[0])
            for endpoint, label in current_app.extensions.get("menu", ())]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("dictionary.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("dictionary.index")
    return target


def semantic_fields() -> dict[str, dict[str, str]]:
    """The semantic fields of ``data/semantic_fields.toml``: name → labels per interface
    language; empty (and logged) when the file cannot be read, so no page breaks on it."""
    try:
        return catalog.semantic_fields(Path(current_app.config["DATA_DIR"]))
    except (OSError, ValueError):
        current_app.logger.exception("cannot read the semantic fields")
        return {}


def semantic_field_label(name: str) -> str:
    """The interface label of a semantic field; its English name when the table has none."""
    return semantic_fields().get(name, {}).get(ui_lang()) or name


# ---- errors ---------------------------------------------------------------------------------
ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    429: _l("Too many requests"),
    503: _l("Temporarily unavailable"),
}


def error_page(exc: HTTPException, message: str | None = None):
    """The HTML error page (called by ``api.register_error_handlers`` for non-API paths)."""
    code = exc.code or 500
    if code < 400:
        return exc
    title = ERROR_TITLES.get(code, _l("Something went wrong"))
    if message is None:
        message = (_("The address may be mistyped, or the page was removed.") if code == 404
                   else _("Please try again in a moment."))
    try:
        body = render_template("error.html", code=code, title=title, message=message)
    except Exception:  # the error page itself failed: never loop, answer in plain text
        current_app.logger.exception("error page failed")
        return f"{code} {InternalServerError.description}", code, {"Content-Type": "text/plain"}
    response = current_app.make_response((body, code))
    for name in ("Allow", "Retry-After"):
        value = exc.get_response().headers.get(name)
        if value:
            response.headers[name] = value
    return response

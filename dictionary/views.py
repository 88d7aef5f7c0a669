"""Public pages: search, entry, about, the interface-language switch and the HTML error page.

Where it sits in the data flow: requests → ``search.lookup`` / ``search.get_entry`` (the same
service the JSON API uses) → Jinja templates in ``templates/dictionary/``. Pages are
server-rendered and complete without JavaScript; ``static/search.js`` only adds
search-as-you-type over ``/api/v1/search``. Interface strings go through Flask-Babel;
lexicon text (headwords, glosses, examples, citations) is shown as stored, never translated.
The browse pages live in ``browse`` (same blueprint).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from search_index import normalize

from . import search
from .auth import has_role
from .db import session
from .entries import related_by_concept
from .highlight import highlight
from .i18n import COOKIE
from .indexing import get_state
from .models import CONTRIBUTOR, PHONETIC, PUBLISHED, Entry, Language, Sense

bp = Blueprint("dictionary", __name__)

MAX_QUERY_CHARS = 2000  # same bound as the API; longer input is cut, never an error
PAGE_RESULTS = 20
MORE_RESULTS = 100

LICENSE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-3.0-DE": "https://creativecommons.org/licenses/by/3.0/de/",
}

TIER_LABELS = {
    "exact": _l("exact match"),
    "tone": _l("different tone marks"),
    "loose": _l("without diacritics"),
    "fuzzy": _l("approximate match"),
}


# ---- helpers shared with browse -------------------------------------------------------------
def ui_lang() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def languages() -> list[Language]:
    """The dictionary's languages (once per request); empty if the database is unreachable,
    so that even the error page can render."""
    if "dictionary_languages" not in g:
        try:
            g.dictionary_languages = list(session().scalars(select(Language).order_by(Language.id)))
        except SQLAlchemyError:
            current_app.logger.exception("could not read the languages")
            g.dictionary_languages = []
    return g.dictionary_languages


def lang_name(language: Language | None) -> str:
    if language is None:
        return ""
    return language.name_en if ui_lang() == "en" else language.name_vi


def lexicon_lang(value: str | None) -> str:
    """The lexicon-language filter; anything unknown (including ``vi``/``en``) means all."""
    return value if value in {lang.code for lang in languages()} else search.ALL


def rules_for(code: str):
    try:
        return get_state().rules.get(code)
    except Exception:  # highlighting must never break a page: fall back to plain rules
        current_app.logger.exception("no orthography rules for %s", code)
        return None


def license_url(license_code: str | None) -> str | None:
    return LICENSE_URLS.get(license_code or "")


@functools.lru_cache(maxsize=16)
def _asset_version(path: str, mtime: float, size: int) -> str:
    return hashlib.sha1(f"{path}:{mtime}:{size}".encode()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """URL of a static file with a version tag, so it can be cached for a year."""
    path = Path(current_app.static_folder) / filename
    try:
        st = path.stat()
        version = _asset_version(str(path), st.st_mtime, st.st_size)
    except OSError:
        version = "0"
    return url_for("static", filename=filename, v=version)


def switch_url(code: str) -> str:
    """Link of the vi|en switch: the same page and query, in the other interface language."""
    args = [(k, v) for k, v in request.args.items(multi=True)
            if not (k == "lang" and v in current_app.config["LANGUAGES"])]
    here = request.path + ("?" + urlencode(args) if args else "")
    return url_for("dictionary.set_language", code=code, next=here)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("dictionary.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("dictionary.index")
    return target


@bp.app_context_processor
def _page_globals() -> dict:
    return {
        "ui_lang": ui_lang,
        "switch_url": switch_url,
        "nav_languages": languages,
        "lang_name": lang_name,
        "lang_names": lambda: {lang.code: lang_name(lang) for lang in languages()},
        "asset_url": asset_url,
        "license_url": license_url,
        "PHONETIC": PHONETIC,
    }


@bp.after_request
def _vary_on_cookie(response):
    response.vary.add("Cookie")  # the interface language may come from the cookie
    return response


# ---- pages ----------------------------------------------------------------------------------
@bp.get("/")
def index():
    return render_template("dictionary/index.html", lang=lexicon_lang(request.args.get("lang")))


def match_hint(tier: str, side: str, entry: Entry, query: str) -> str:
    if tier == "prefix":
        what = _("starts with «%(q)s»", q=query)
    else:
        what = str(TIER_LABELS.get(tier, tier))
    if side == "vi":
        where = _("by the Vietnamese meaning")
    else:
        where = _("by the %(language)s word", language=lang_name(entry.language))
    return f"{what} · {where}"


def result_row(found: search.Found, query: str) -> dict:
    e, hit = found.entry, found.hit
    words = query if not hit.typed_as else f"{hit.typed_as} {query}"
    on_headword = hit.side == "headword"
    return {
        "entry": e,
        "headword": highlight(e.headword, words, rules_for(e.language.code)) if on_headword
        else e.headword,
        "senses": [
            {"vi": highlight(s.gloss_vi, words) if not on_headword else s.gloss_vi,
             "en": s.gloss_en}
            for s in e.senses[:3]
        ],
        "more_senses": max(0, len(e.senses) - 3),
        "hint": match_hint(hit.tier, hit.side, e, query),
    }


def typing_method(query: str) -> str:
    return "VNI" if any(ch.isdigit() for ch in query) else "Telex"


@bp.get("/search")
def search_page():
    raw = request.args.get("q", "")[:MAX_QUERY_CHARS]
    lang = lexicon_lang(request.args.get("lang"))
    q = normalize.clean(raw)
    if not q:
        return render_template("dictionary/index.html", lang=lang)
    more = request.args.get("more") == "1"
    found = search.lookup(q, lang, MORE_RESULTS if more else PAGE_RESULTS)
    typed = next((f.hit.typed_as for f in found.results if f.hit.typed_as), None)
    page = render_template(
        "dictionary/search.html",
        q=q, lang=lang, found=found,
        rows=[result_row(f, q) for f in found.results],
        typed_as=typed, typing_method=typing_method(q),
        more_url=None if more or not found.more else url_for(
            "dictionary.search_page", q=q, lang=lang, more="1"),
    )
    return page, 503 if found.index_missing else 200


def _pivot_glosses(entry: Entry, concepts: set[str]) -> list[str]:
    return [s.gloss_vi for s in entry.senses if s.concept_id in concepts and s.gloss_vi]


def _entry_any_status(public_id: str) -> Entry | None:
    """An entry whatever its status: only for signed-in curators (draft, in review, deleted)."""
    return session().scalar(
        select(Entry).where(Entry.public_id == public_id)
        .options(selectinload(Entry.language), selectinload(Entry.source),
                 selectinload(Entry.variants),
                 selectinload(Entry.senses).selectinload(Sense.examples)))


@bp.get("/entry/<public_id>")
def entry(public_id: str):
    e = search.get_entry(public_id)
    curator = has_role(current_user, CONTRIBUTOR)
    if e is None and curator:
        e = _entry_any_status(public_id)
    if e is None:
        return error_page(NotFound(), message=_("There is no published entry with the id "
                                                "“%(id)s”.", id=public_id[:40]))
    concepts = {s.concept_id for s in e.senses if s.concept_id}
    groups: dict[str, dict] = {}
    for other in related_by_concept(e):
        group = groups.setdefault(other.language.code, {"language": other.language, "items": []})
        group["items"].append({"entry": other, "glosses": _pivot_glosses(other, concepts)})
    response = current_app.make_response(render_template(
        "dictionary/entry.html", e=e, related=list(groups.values()), curator=curator,
        licence_link=license_url(e.license or (e.source.license if e.source else None))))
    if curator:  # a curator's view (maybe of a draft) must not land in a shared cache
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/about")
def about():
    counts = dict(session().execute(
        select(Entry.language_id, func.count(Entry.id))
        .where(Entry.status == PUBLISHED).group_by(Entry.language_id)).all())
    stats = [(lang, counts.get(lang.id, 0)) for lang in languages()]
    path = Path(current_app.config["DATA_DIR"]) / "SOURCES.md"
    return render_template("dictionary/about.html", stats=stats,
                           attribution=attribution_html(str(path)))


@bp.get("/language/<code>")
def set_language(code: str):
    """The header switch: remember the interface language and go back to the same page."""
    target = _safe_next(request.args.get("next"))
    if code not in current_app.config["LANGUAGES"]:
        return redirect(target)
    parts = urlsplit(target)
    # Put the choice in the URL too (works without cookies), unless `lang` already holds
    # the lexicon filter of a search page; then the cookie carries it.
    if "lang=" not in parts.query:
        target = parts.path + "?" + (parts.query + "&" if parts.query else "") + f"lang={code}"
    response = redirect(target)
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


# ---- the attribution (data/SOURCES.md) ------------------------------------------------------
ATTRIBUTION_HEADING = "### Required attribution"


def attribution_section(markdown: str) -> str:
    """The body of the "### Required attribution" section (up to the next heading).

    >>> attribution_section("# A\\n### Required attribution (x)\\nbody\\n- c\\n## 3. Next\\nno")
    'body\\n- c'
    """
    lines, inside = [], False
    for line in markdown.splitlines():
        if line.startswith(ATTRIBUTION_HEADING):
            inside = True
            continue
        if inside and line.lstrip().startswith("#"):
            break
        if inside:
            lines.append(line)
    return "\n".join(lines).strip()


def render_markdown(text: str) -> Markup:
    """CommonMark to HTML with raw HTML escaped (the file is data, not trusted markup).

    >>> str(render_markdown("*a* <script>x</script> <https://example.org>"))
    '<p><em>a</em> &lt;script&gt;x&lt;/script&gt; <a href="https://example.org">https://example.org</a></p>\\n'
    """
    md = MarkdownIt("commonmark", {"html": False})
    return Markup(md.render(text))


@functools.lru_cache(maxsize=4)
def _attribution_cached(path: str, mtime: float) -> Markup:
    return render_markdown(attribution_section(Path(path).read_text(encoding="utf-8")))


def attribution_html(path: str) -> Markup:
    try:
        return _attribution_cached(path, Path(path).stat().st_mtime)
    except OSError:
        current_app.logger.exception("cannot read %s", path)
        return Markup("")


# ---- errors ---------------------------------------------------------------------------------
ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
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


from . import browse  # noqa: E402,F401  (registers the browse routes on bp)

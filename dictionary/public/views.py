"""Public pages: search, entry, about, the interface-language switch and the HTML error page.

Where it sits in the data flow: requests → ``search.lookup`` / ``search.get_entry`` (the same
service the JSON API uses) → Jinja templates in ``templates/dictionary/``. Pages are
server-rendered and complete without JavaScript; ``static/search.js`` only adds
search-as-you-type over ``/api/v1/search``. Interface strings go through Flask-Babel;
lexicon text (headwords, glosses, examples, citations) is shown as stored, never translated.
The browse pages live in ``browse`` (same blueprint, which it adds its routes to); the
helpers that every page uses live in ``web``.
"""
from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from search_index import normalize

from .. import search, sense_ids
from ..audio import consent as audio_consent
from ..audio import glosses as audio_glosses
from ..auth import has_role
from ..db import session
from ..entry_display import entry_fields, find_links
from ..i18n import COOKIE
from ..models import CONTRIBUTOR, PHONETIC, PUBLISHED, Entry, Sense
from ..web import (
    account_link,
    asset_url,
    error_page,
    extra_menu,
    lang_name,
    language_rules,
    languages,
    lexicon_lang,
    license_url,
    safe_next,
    switch_url,
    ui_lang,
)
from . import bp
from .entries import other_fields_of, related_by_concept
from .highlight import highlight, query_keys

MAX_QUERY_CHARS = 2000  # same bound as the API; longer input is cut, never an error
PAGE_RESULTS = 20
MORE_RESULTS = 100

TIER_LABELS = {
    "exact": _l("exact match"),
    "tone": _l("different tone marks"),
    "loose": _l("without diacritics"),
    "fuzzy": _l("approximate match"),
}


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
        "account_link": account_link,
        "extra_menu": extra_menu,
    }


@bp.after_request
def _vary_on_cookie(response):
    response.vary.add("Cookie")  # the interface language may come from the cookie
    return response


# ---- pages ----------------------------------------------------------------------------------
@bp.get("/")
def index():
    return render_template("dictionary/index.html", lang=lexicon_lang(request.args.get("lang")))


def match_hint(tier: str, side: str, language_name: str, query: str) -> str:
    if tier == "prefix":
        what = _("starts with «%(q)s»", q=query)
    else:
        what = str(TIER_LABELS.get(tier, tier))
    if side == "vi":
        where = _("by the Vietnamese meaning")
    else:
        where = _("by the %(language)s word", language=language_name)
    return f"{what} · {where}"


class ResultRows:
    """The rows of one results page. What is the same for every row (the interface
    language, the language names, the entry link, the query's highlight keys, the match
    hints) is worked out once per page, not once per row: a page has up to 100 rows."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.show_en = ui_lang() == "en"
        self.names = {lang.code: lang_name(lang) for lang in languages()}
        self._entry_url = search.entry_url_maker()  # one url_for per page, not per row
        self._keys: dict[tuple[str, str | None], tuple[object, list[str]]] = {}
        self._hints: dict[tuple[str, str, str], str] = {}

    def marked(self, text: str, words: str, code: str | None):
        """``text`` with the query's words marked (``highlight``), by the rules of ``code``
        (None: Vietnamese)."""
        found = self._keys.get((words, code))
        if found is None:
            rules = language_rules(code) if code else None
            found = self._keys[(words, code)] = (rules, query_keys(words, rules))
        return highlight(text, words, found[0], keys=found[1])

    def hint(self, tier: str, side: str, code: str) -> str:
        key = (tier, side, code if side != "vi" else "")
        found = self._hints.get(key)
        if found is None:
            found = self._hints[key] = match_hint(tier, side, self.names.get(code, code),
                                                  self.query)
        return found

    def row(self, found: search.Found) -> dict:
        e, hit = found.entry, found.hit
        code = e.language.code
        words = self.query if not hit.typed_as else f"{hit.typed_as} {self.query}"
        on_headword = hit.side == "headword"
        return {
            "entry": e,
            "url": self._entry_url(e.public_id),
            "lang_name": self.names.get(code) or lang_name(e.language),
            "headword": self.marked(e.headword, words, code) if on_headword else e.headword,
            "glosses": self.glosses(e.senses, None if on_headword else words),
            "hint": self.hint(hit.tier, hit.side, code),
        }

    def glosses(self, senses, words: str | None) -> Markup:
        """The first three senses' Vietnamese glosses (marked when the match was on them),
        each with its English gloss in the English interface, then "…" if there are more.
        Made here rather than in a template loop: it is the inner loop of the page."""
        parts = []
        for s in senses[:3]:
            vi = self.marked(s.gloss_vi, words, None) if words else escape(s.gloss_vi)
            if self.show_en and s.gloss_en:
                vi += Markup(' <span class="en" lang="en">(%s)</span>') % s.gloss_en
            parts.append(vi)
        out = Markup("; ").join(parts)
        return out + Markup(" …") if len(senses) > 3 else out


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
    rows = ResultRows(q)
    page = render_template(
        "dictionary/search.html",
        q=q, lang=lang, found=found,
        rows=[rows.row(f) for f in found.results],
        clips=audio_consent.playable(session(), [f.entry.public_id for f in found.results], "web"),
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
    targets = [e.public_id] + [sense_ids.example_id(e.public_id, s.position, x.position)
                               for s in e.senses for x in s.examples]
    clips = audio_consent.heard(session(), targets, "web")
    speech = audio_glosses.clips_for(session(), e)
    # Links to other entries: one query for all of them; a curator's links reach drafts.
    fields = entry_fields(e, find_links(session(), e, public_only=not curator))
    response = current_app.make_response(render_template(
        "dictionary/entry.html", e=e, related=list(groups.values()), curator=curator,
        clips=clips, speech=speech, other_fields=other_fields_of(e), fields=fields,
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
    target = safe_next(request.args.get("next"))
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

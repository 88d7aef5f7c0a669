"""Interface language: Vietnamese by default, English on request (Flask-Babel).

``?lang=vi|en`` (or the switch in the page header) picks the interface language and keeps it
in a cookie. The same ``lang`` parameter also names a lexicon language on the search pages
(``hre``, ``cua``, ``all``): the two sets of values never overlap. Lexicon text (headwords,
glosses) never passes through gettext.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, request
from flask_babel import Babel, get_locale, get_translations

COOKIE = "ui_lang"
TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        return asked
    saved = request.cookies.get(COOKIE)
    if saved in languages:
        return saved
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember_locale(response):
    asked = request.args.get("lang")
    if asked in current_app.config["LANGUAGES"] and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _request_locale():
    """(locale, its code, translations) of this request, worked out once per locale.

    A page makes dozens of gettext calls and asks the locale for every row; Flask-Babel's
    own path looks up the request context, the locale and its translations each time (about
    a tenth of a results page). The answer is kept beside Flask-Babel's locale, in its
    per-request namespace, and used while that locale is the same object (``force_locale``
    sets another one, so a forced locale is never answered with the request's)."""
    ctx = g.get("_flask_babel")
    if ctx is not None:
        known = getattr(ctx, "fast_locale", None)
        if known is not None and known[0] is getattr(ctx, "babel_locale", None):
            return known
    locale = get_locale()
    translations = get_translations()
    known = (locale, str(locale) if locale else current_app.config["BABEL_DEFAULT_LOCALE"],
             translations)
    ctx = g.get("_flask_babel")
    if ctx is not None:
        ctx.fast_locale = known
    return known


def ui_code() -> str:
    """The interface language of this request (``vi`` or ``en``)."""
    return _request_locale()[1]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    # Templates translate through the per-request translations (``_request_locale``).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_locale()[2].ugettext(s),
        ngettext=lambda s, p, n: _request_locale()[2].ungettext(s, p, n),
        pgettext=lambda c, s: _request_locale()[2].upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_locale()[2].unpgettext(c, s, p, n),
        newstyle=True)
    app.after_request(_remember_locale)

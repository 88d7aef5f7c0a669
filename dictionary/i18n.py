"""Interface language: Vietnamese by default, English on request (Flask-Babel).

``?lang=vi|en`` (or the switch in the page header) picks the interface language and keeps it
in a cookie. The same ``lang`` parameter also names a lexicon language on the search pages
(``hre``, ``cua``, ``all``): the two sets of values never overlap. Lexicon text (headwords,
glosses) never passes through gettext.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel

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


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember_locale)

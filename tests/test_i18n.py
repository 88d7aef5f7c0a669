"""Interface translations: every message in the sources is translated in the vi catalog, the
catalogs are well formed, lexicon text never goes through gettext, and locale selection."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from dictionary import REPO_ROOT
from dictionary.public.entries import PHONETIC_LABEL, UNREVIEWED_LABEL

TRANSLATIONS = REPO_ROOT / "dictionary" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
GETTEXT_NAMES = {"_", "gettext", "ngettext", "_l", "lazy_gettext", "lazy_ngettext", "pgettext",
                 "npgettext"}


def extracted() -> dict[str, tuple]:
    """msgid → (msgid, msgid_plural?) for every message in the sources, via babel.cfg."""
    with open(REPO_ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO_ROOT), method_map, options_map, keywords=KEYWORDS):
        ids = message if isinstance(message, tuple) else (message,)
        found[ids[0]] = ids
    return found


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def messages() -> dict[str, tuple]:
    found = extracted()
    assert len(found) > 50  # the pages really were scanned
    assert "Search" in found and "phonetic transcription" in found
    return found


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_message_is_translated(messages, locale):
    cat = catalog(locale)
    problems = []
    for msgid, ids in messages.items():
        m = cat.get(ids if len(ids) > 1 else msgid)
        if m is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {msgid!r}")
        if m.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if len(ids) > 1 and not isinstance(m.id, tuple):
            problems.append(f"not a plural entry: {msgid!r}")
    assert not problems, "\n".join(problems)
    assert not cat.fuzzy


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_catalogs_are_well_formed(locale):
    cat = catalog(locale)
    # placeholders (%(name)s) kept, plural forms complete
    errors = [(m.id, [str(e) for e in errs]) for m, errs in cat.check()]
    assert not errors
    assert cat.num_plurals == (1 if locale == "vi" else 2)


def test_template_and_catalogs_match_the_sources(messages):
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        pot = read_po(f)
    in_pot = {m.id[0] if isinstance(m.id, tuple) else m.id for m in pot if m.id}
    assert in_pot == set(messages), "run the extraction again (see babel.cfg)"
    for locale in ("vi", "en"):
        in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(locale) if m.id}
        assert in_catalog == set(messages), f"{locale} catalog has stale or missing messages"


def test_vietnamese_strings_are_the_ones_the_brief_asks_for():
    cat = catalog("vi")
    expected = {
        "Search": "Tìm", "Look up": "Tra từ", "About": "Giới thiệu", "All": "Tất cả",
        "Type a Vietnamese, Hre or Co word…": "Nhập từ tiếng Việt, Hrê hoặc Co…",
        "exact match": "khớp chính xác", "different tone marks": "khác dấu thanh",
        "without diacritics": "không dấu", "approximate match": "gần đúng",
        "by the Vietnamese meaning": "theo nghĩa tiếng Việt",
        "Did you mean …?": "Có phải bạn muốn tìm …?",
        "Results for «%(word)s» (typed with %(method)s)": "Kết quả cho «%(word)s» (gõ %(method)s)",
    }
    for msgid, vi in expected.items():
        assert cat.get(msgid).string == vi


def test_labels_match_the_api_labels():
    """The pages' labels are the same words the JSON API sends (entries.PHONETIC_LABEL …)."""
    vi = catalog("vi")
    for label in (PHONETIC_LABEL, UNREVIEWED_LABEL):
        assert vi.get(label["en"]).string == label["vi"]


# ---- lexicon text never passes through gettext -----------------------------------------------
def python_sources() -> list[Path]:
    return sorted(p for d in ("dictionary", "lessons") for p in (REPO_ROOT / d).rglob("*.py"))


def templates() -> list[Path]:
    return sorted((REPO_ROOT / "templates").rglob("*.html"))


def test_python_gettext_calls_take_literal_strings_only():
    bad = []
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in GETTEXT_NAMES:
                wanted = node.args[:2] if node.func.id == "ngettext" else node.args[:1]
                if not wanted or not all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                         for a in wanted):
                    bad.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert not bad, f"gettext on a non-literal (lexicon text must never be translated): {bad}"


def test_template_gettext_calls_take_literal_strings_only():
    env = Environment(extensions=["jinja2.ext.i18n"])
    bad = []
    for path in templates():
        source = path.read_text(encoding="utf-8")
        for call in env.parse(source).find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT_NAMES:
                wanted = 2 if call.node.name == "ngettext" else 1
                if not all(isinstance(a, nodes.Const) and isinstance(a.value, str)
                           for a in call.args[:wanted]):
                    bad.append(f"{path.relative_to(REPO_ROOT)}:{call.lineno}")
        # belt and braces for the obvious patterns
        for pattern in ("_(entry.", "_(e.", "_(sense.", "_(s.", "_(x.", "_(v.", "_(q)",
                        "gettext(entry", "|trans"):
            assert pattern not in source.replace(" ", ""), f"{path.name}: {pattern}"
    assert not bad, f"gettext on a non-literal in templates: {bad}"


def test_the_checks_catch_a_lexicon_gettext():
    env = Environment(extensions=["jinja2.ext.i18n"])
    calls = list(env.parse("{{ _(entry.headword) }}").find_all(nodes.Call))
    assert calls and not isinstance(calls[0].args[0], nodes.Const)


# ---- locale selection ------------------------------------------------------------------------
@pytest.mark.parametrize("query, cookie, expected", [
    ("", None, "vi"), ("?lang=en", None, "en"), ("?lang=vi", "en", "vi"), ("", "en", "en"),
    ("?lang=hre", "en", "en"), ("?lang=cua", None, "vi"), ("?lang=fr", None, "vi"),
    ("", "xx", "vi"),
])
def test_locale_selection(bundled_app, query, cookie, expected):
    client = bundled_app.test_client()
    if cookie:
        client.set_cookie("ui_lang", cookie)
    body = client.get("/about" + query).get_data(as_text=True)
    assert f'<html lang="{expected}">' in body
    assert ("Giới thiệu từ điển" if expected == "vi" else "About this dictionary") in body


def test_lexicon_language_filter_does_not_switch_the_interface(client):
    body = client.get("/search?q=tro&lang=hre").get_data(as_text=True)
    assert '<html lang="vi">' in body and "Kết quả cho «tro»" in body

"""Public pages on the real bundled data (SQLite + Whoosh index): search, entry, browse, about,
the interface-language switch and the HTML error pages."""
from __future__ import annotations

import doctest
import html
import re

import pytest
from sqlalchemy import func, select

import dictionary.public.highlight
import dictionary.public.views
from dictionary.db import get_db, session
from dictionary.public.entries import PHONETIC_LABEL, UNREVIEWED_LABEL
from dictionary.indexing import index_service
from dictionary.models import PUBLISHED, Entry, Example, Language, Sense, Variant
from search_index import collation

VI_LICENCE = "https://creativecommons.org/licenses/by/4.0/"


def page(client, url, **kw):
    r = client.get(url, **kw)
    return r, r.get_data(as_text=True)


def entry_id(app, lang: str, concept: str) -> str:
    with app.app_context():
        return session().scalar(
            select(Entry.public_id).join(Entry.senses).join(Entry.language)
            .where(Language.code == lang, Sense.concept_id == concept).order_by(Entry.id))


@pytest.fixture
def ash(bundled_app) -> dict[str, str]:
    """Concept 646 ASH 'tro': present in both bundled lexicons."""
    return {lang: entry_id(bundled_app, lang, "646") for lang in ("hre", "cua")}


def test_doctests_of_the_page_modules():
    for module in (dictionary.public.highlight, dictionary.public.views):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# ---- every page, in both interface languages --------------------------------------------------
PAGES = ["/", "/search?q=tro", "/entry/{hre}", "/browse/hre", "/browse/cua?letter=b",
         "/browse/hre?field=The+body", "/about"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("ui, search_word, about_word", [
    ("vi", "Tìm", "Giới thiệu"), ("en", "Search", "About")])
def test_every_page_in_both_languages(client, ash, url, ui, search_word, about_word):
    url = url.format(**ash)
    sep = "&" if "?" in url else "?"
    r, body = page(client, f"{url}{sep}lang={ui}" if ui == "en" else url)
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    assert f'<html lang="{ui}">' in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert f"{search_word}</button>" in body
    assert f'<a href="/about">{about_word}</a>' in body or \
        f'<a href="/about" aria-current="page">{about_word}</a>' in body
    # footer attribution + link to the full attribution
    assert "Peiros 2004, Sidwell 2015" in body and "CC BY 4.0" in body
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_vietnamese_is_the_default_and_english_is_remembered(client):
    _, body = page(client, "/")
    assert '<html lang="vi">' in body and "Nhập từ tiếng Việt, Hrê hoặc Co…" in body
    r, body = page(client, "/?lang=en")
    assert '<html lang="en">' in body and "Type a Vietnamese, Hre or Co word…" in body
    assert "ui_lang=en" in r.headers["Set-Cookie"]
    _, body = page(client, "/about")  # the cookie keeps English
    assert '<html lang="en">' in body and "About this dictionary" in body
    _, body = page(client, "/about?lang=vi")
    assert '<html lang="vi">' in body and "Giới thiệu từ điển" in body


def test_header_has_nav_and_language_switch(client):
    _, body = page(client, "/about")
    for href, label in (("/", "Tra từ"), ("/browse/hre", "Duyệt Hrê"), ("/browse/cua", "Duyệt Co")):
        assert f'<a href="{href}">{label}</a>' in body
    assert 'href="/language/en?next=/about"' in body


def test_language_switch_keeps_page_query_and_lexicon_filter(client):
    _, body = page(client, "/search?q=tro&lang=hre")
    m = re.search(r'<a href="(/language/en\?next=[^"]+)"', body)
    assert m, "no English switch link"
    r = client.get(html.unescape(m.group(1)))
    assert r.status_code == 302
    assert r.headers["Location"] == "/search?q=tro&lang=hre"  # `lang` stays the lexicon filter
    assert "ui_lang=en" in r.headers["Set-Cookie"]
    _, body = page(client, r.headers["Location"])
    assert '<html lang="en">' in body
    assert "Results for «tro»" in body
    assert 'lang="cua' not in body  # the Hrê filter still applies
    assert '<option value="hre" selected>' in body

    # without a lexicon filter the choice goes into the URL as well (works without cookies)
    r = client.get("/language/vi?next=/browse/cua%3Fletter%3Db")
    assert r.headers["Location"] == "/browse/cua?letter=b&lang=vi"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", ""])
def test_language_switch_is_not_an_open_redirect(client, target):
    r = client.get("/language/en", query_string={"next": target})
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/?lang=en") or r.headers["Location"] == "/"


# ---- search ----------------------------------------------------------------------------------
def result_items(body: str) -> list[str]:
    m = re.search(r'<ol class="results">(.*?)</ol>', body, re.S)
    return re.findall(r"<li>(.*?)</li>", m.group(1), re.S) if m else []


def test_results_are_in_the_html_without_javascript(client, ash):
    r, body = page(client, "/search?q=tro")
    assert r.status_code == 200
    items = result_items(body)
    hre = next(i for i in items if f'href="/entry/{ash["hre"]}"' in i)
    assert ">blɔ tanuh.L</a>" in hre
    assert '<span class="badge l-hre">Hrê</span>' in hre
    assert '<span class="tag">phiên âm ngữ âm</span>' in hre
    assert '<p class="gloss" lang="vi"><mark>tro</mark></p>' in hre
    assert '<p class="hint">khớp chính xác · theo nghĩa tiếng Việt</p>' in hre
    assert "<h1 class=\"rh\">Kết quả cho «tro»</h1>" in body
    # the prefix tier on the Hrê side: troaŋ 'road'
    road = next(i for i in items if ">troaŋ</mark>" in i)
    assert "bắt đầu bằng «tro» · theo từ Hrê" in road
    assert "<mark>troaŋ</mark>" in road


def test_match_hints_in_english(client):
    _, body = page(client, "/search?q=tro&lang=en")
    assert "exact match · by the Vietnamese meaning" in body
    assert "starts with «tro» · by the Hre word" in body
    assert '<span class="tag">phonetic transcription</span>' in body


@pytest.mark.parametrize("query, hint", [("tró", "khác dấu thanh"), ("trơ", "không dấu"),
                                         ("tronn", "gần đúng")])
def test_tier_hints(client, query, hint):
    _, body = page(client, "/search", query_string={"q": query})
    assert f'<p class="hint">{hint} · theo nghĩa tiếng Việt</p>' in body


def test_homograph_numbers_are_superscripts(client):
    _, body = page(client, "/search", query_string={"q": "bəri", "lang": "cua"})
    assert "<sup>1</sup>" in body and "<sup>2</sup>" in body


def test_telex_typing_is_announced(client):
    _, body = page(client, "/search?q=nuwowcs")
    assert "Kết quả cho «nước» (gõ Telex)" in body
    assert "<mark>nước</mark>" in body
    _, body = page(client, "/search?q=nu7o7c1&lang=en")
    assert "Results for «nước» (typed with VNI)" in body


def test_nothing_found_offers_suggestions(client):
    _, body = page(client, "/search?q=trooo&lang=hre")
    assert "Không tìm thấy «trooo»" in body
    assert "Có phải bạn muốn tìm …?" in body
    assert '<a href="/search?q=tro&amp;lang=hre">tro</a>' in body
    assert '<a href="/search?q=trooo&amp;lang=all">Tìm trong tất cả các ngôn ngữ</a>' in body
    assert not result_items(body)


@pytest.mark.parametrize("url", ["/search", "/search?q=", "/search?q=+++&lang=hre", "/search?q=%00"])
def test_empty_query_shows_the_home_page(client, url):
    r, body = page(client, url)
    assert r.status_code == 200
    assert "Cách tra từ" in body and 'name="lang" value="all"' in body
    assert not result_items(body)


@pytest.mark.parametrize("lang", ["xx", "vi", "en", "ALL", "<b>", "hre%00"])
def test_invalid_lexicon_language_means_all(client, lang):
    r, body = page(client, "/search", query_string={"q": "tro", "lang": lang})
    assert r.status_code == 200
    items = result_items(body)
    assert any("l-hre" in i for i in items) and any("l-cua" in i for i in items)
    assert '<option value="all" selected>' in body


def test_lexicon_filter(client):
    _, body = page(client, "/search?q=tro&lang=cua")
    items = result_items(body)
    assert items and all("l-cua" in i for i in items)


def test_xss_in_the_query_is_escaped(client):
    payload = '<script>alert(1)</script>"\'><img src=x onerror=alert(1)>'
    r, body = page(client, "/search", query_string={"q": payload})
    assert r.status_code == 200
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    r, body = page(client, "/search", query_string={"q": "tro " + payload})
    assert "<script>alert" not in body and "<img src=x" not in body


@pytest.mark.parametrize("query", [
    "AND", "OR NOT", "tro AND", "(((", ")", "*", "?", "tro*", '"', '"tro', "title:tro", "hw_x:tro",
    "tro~2", "tro^3", "[a TO z]", "{a TO z}", "-", "+tro -tro", "\\", "%", "%%s", "{{ 7*7 }}",
    "a" * 2000, "tro " * 500, "\x00\x01\x1f\x7f", "\ufeff\u200b", "\u0301\u0300", "😀🔥", "ŋ ɔ ʔ",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "x" * 5000,
])
def test_operator_and_junk_queries_render_a_page(client, query):
    r, body = page(client, "/search", query_string={"q": query})
    assert r.status_code == 200
    assert '<html lang="vi">' in body and "</html>" in body
    if query == "{{ 7*7 }}":
        assert "«{{ 7*7 }}»" in body  # shown as text, never evaluated


def test_a_20_hit_results_page_is_small(client):
    r, body = page(client, "/search?q=a")
    assert len(result_items(body)) == 20
    assert len(r.data) < 60_000
    assert "Xem thêm kết quả" in body
    r, body = page(client, "/search?q=a&more=1")
    assert len(result_items(body)) > 20


def test_static_assets_are_small_and_cached(client):
    _, body = page(client, "/")
    sizes = 0
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', body):
        with client.get(html.unescape(url)) as r:
            assert r.status_code == 200
            assert r.cache_control.max_age == 365 * 24 * 3600
            sizes += len(r.data)
    assert 0 < sizes < 20_000  # css + js + icon
    assert "search.js" in body and "site.css" in body
    assert "fonts.googleapis" not in body and "cdn" not in body.lower()


# ---- entry -----------------------------------------------------------------------------------
def test_entry_page(client, bundled_app, ash):
    r, body = page(client, f"/entry/{ash['hre']}")
    assert r.status_code == 200
    assert '<h1 class="hw" lang="hre-fonipa">blɔ tanuh.L</h1>' in body
    assert f'<span class="tag">{PHONETIC_LABEL["vi"]}</span>' in body
    assert f'<span class="tag warn">{UNREVIEWED_LABEL["vi"]}</span>' in body
    assert "[b l ɔ + t a n u h L/⁵⁵]" in body  # pronunciation (segments)
    assert "Hre (Peiros 2004)" in body  # variety
    assert '<p class="gloss" lang="vi">tro</p>' in body
    assert '<span lang="en">ashes</span>' in body
    assert '>Thế giới tự nhiên</a>' in body  # semantic field, Vietnamese label
    assert 'href="https://concepticon.clld.org/parameters/646"' in body and ">ASH</a>" in body
    # source + licence
    assert "Peiros, Ilia. 2004." in body
    assert f'<a rel="license" href="{VI_LICENCE}">CC-BY-4.0</a>' in body
    # the same concept in Co, with the Vietnamese pivot gloss
    related = body.split('id="related-h"')[1].split("</section>")[0]
    assert "Cùng khái niệm trong ngôn ngữ kia" in body
    assert "<h3>Co</h3>" in related
    assert f'<a href="/entry/{ash["cua"]}" lang="cua-fonipa">blɔ</a>' in related
    assert "«tro»" in related


def test_entry_page_in_english(client, ash):
    _, body = page(client, f"/entry/{ash['cua']}?lang=en")
    assert f'<span class="tag">{PHONETIC_LABEL["en"]}</span>' in body
    assert f'<span class="tag warn">{UNREVIEWED_LABEL["en"]}</span>' in body
    assert "The same concept in the other language" in body
    assert f'href="/entry/{ash["hre"]}"' in body
    assert ">The physical world</a>" in body


@pytest.mark.parametrize("ui, title", [("vi", "Không tìm thấy trang"), ("en", "Page not found")])
@pytest.mark.parametrize("url", ["/entry/hre-999999", "/entry/<script>", "/no-such-page",
                                 "/browse/xx", "/browse/en"])
def test_not_found_is_an_html_page(client, url, ui, title):
    r, body = page(client, url, query_string={"lang": ui})
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert f"<h1>{title}</h1>" in body and f'<html lang="{ui}">' in body
    assert "<script>" not in body.split("<main")[1]


def test_wrong_method_is_an_html_page(client):
    r = client.post("/search")
    assert r.status_code == 405 and r.mimetype == "text/html"
    assert "GET" in r.headers["Allow"]
    assert "Phương thức không được phép" in r.get_data(as_text=True)


def add_entry(app, **fields) -> str:
    """An entry written through the real session hooks (derived keys, outbox, index)."""
    with app.app_context():
        with get_db().transaction() as s:
            lang = s.scalar(select(Language).where(Language.code == "hre"))
            senses = fields.pop("senses")
            variants = fields.pop("variants", [])
            e = Entry(language=lang, status=PUBLISHED, **fields)
            e.senses = senses
            e.variants = variants
            s.add(e)
            s.flush()
            public_id = e.public_id
        index_service().rebuild()
    return public_id


def test_lexicon_text_is_shown_as_stored_never_translated_or_unescaped(app):
    pid = add_entry(
        app, headword="Search", reviewed=True, form_kind="orthographic",
        senses=[Sense(gloss_vi="About", gloss_en="Search", semantic_field="Unlisted field",
                      examples=[Example(text="<b>Search</b>", translation_vi="Tìm <i>x</i>")])],
        variants=[Variant(form="Sèarch", kind="dialect", label="Ba Tơ")])
    client = app.test_client()
    _, body = page(client, f"/entry/{pid}")
    assert '<h1 class="hw" lang="hre">Search</h1>' in body  # not "Tìm"
    assert '<p class="gloss" lang="vi">About</p>' in body  # not "Giới thiệu"
    assert "&lt;b&gt;Search&lt;/b&gt;" in body and "Tìm &lt;i&gt;x&lt;/i&gt;" in body
    assert "Sèarch" in body and "dạng phương ngữ: Ba Tơ" in body
    assert ">Unlisted field</a>" in body  # a field missing from the label table: English name
    assert f'<span class="tag">{PHONETIC_LABEL["vi"]}</span>' not in body
    assert f'<span class="tag warn">{UNREVIEWED_LABEL["vi"]}</span>' not in body
    _, body = page(client, "/search?q=search")
    assert '<mark>Search</mark>' in body


def test_headword_with_markup_is_escaped_in_results(app):
    add_entry(app, headword="<img src=x onerror=alert(1)>", reviewed=True,
              senses=[Sense(gloss_vi="ảnh")])
    _, body = page(app.test_client(), "/search?q=img")
    assert result_items(body)
    assert "<img src=x" not in body and "&lt;<mark>img</mark> src=x" in body


def test_index_missing_is_a_clear_page(app):
    r, body = page(app.test_client(), "/search?q=tro")
    assert r.status_code == 503
    assert "Chỉ mục tìm kiếm đang được xây dựng" in body


# ---- browse ----------------------------------------------------------------------------------
def letters_on(body: str) -> list[str]:
    block = body.split('<ul class="letters">')[1].split("</ul>")[0]
    return [html.unescape(x) for x in re.findall(r'lang="\w+"[^>]*>([^<]+)</a>', block)]


@pytest.mark.parametrize("lang", ["hre", "cua"])
def test_browse_letters_are_in_icu_order(client, bundled_app, lang):
    _, body = page(client, f"/browse/{lang}")
    letters = letters_on(body)
    with bundled_app.app_context():
        rules = index_service().rules.get(lang)
        stored = set(session().scalars(
            select(Entry.first_letter).join(Entry.language)
            .where(Language.code == lang, Entry.status == PUBLISHED)))
    assert set(letters) == stored - {""}
    key = collation.sort_key_func(rules)
    assert letters == sorted(letters, key=key)
    assert letters != sorted(letters)  # the data has IPA letters: code-point order would differ


def test_browse_cua_letter_order_is_not_code_point_order(client):
    letters = letters_on(page(client, "/browse/cua")[1])
    assert letters.index("b") < letters.index("ɓ") < letters.index("c")
    assert letters.index("d") < letters.index("ɗ") < letters.index("g")


def test_browse_a_letter_lists_entries_by_sort_key(client, bundled_app):
    _, body = page(client, "/browse/cua?letter=b")
    listing = body.split('id="listing-h"')[1].split("</section>")[0]
    shown = [html.unescape(h) for h in re.findall(r'lang="cua-fonipa">([^<]+)', listing)]
    with bundled_app.app_context():
        expected = list(session().scalars(
            select(Entry.headword).join(Entry.language)
            .where(Language.code == "cua", Entry.first_letter == "b", Entry.status == PUBLISHED)
            .order_by(Entry.sort_key, Entry.homograph)))
    assert shown == expected and len(shown) > 5
    assert shown == sorted(shown, key=collation.sort_key_func(get_rules(bundled_app, "cua")))
    assert f"({len(expected)} mục từ)" in listing
    assert '<sup>1</sup>' in listing  # bəri 1, bəri 2


def get_rules(app, lang):
    with app.app_context():
        return index_service().rules.get(lang)


def test_browse_is_paginated_by_50(client, bundled_app):
    with bundled_app.app_context():
        letter, count = session().execute(
            select(Entry.first_letter, func.count(Entry.id)).join(Entry.language)
            .where(Language.code == "cua").group_by(Entry.first_letter)
            .order_by(func.count(Entry.id).desc())).first()
    assert count > 50
    _, body = page(client, "/browse/cua", query_string={"letter": letter})
    first = re.findall(r'<li><a href="/entry/', body.split('id="listing-h"')[1])
    assert len(first) == 50
    assert "Trang 1 / 2" in body and 'rel="next"' in body
    _, body = page(client, "/browse/cua", query_string={"letter": letter, "page": "2"})
    assert len(re.findall(r'<li><a href="/entry/', body.split('id="listing-h"')[1])) == count - 50
    assert 'rel="prev"' in body
    for junk in ("0", "-3", "abc", "99999"):
        assert client.get("/browse/cua", query_string={"letter": letter, "page": junk}).status_code == 200


def test_browse_semantic_fields(client, bundled_app):
    _, body = page(client, "/browse/hre")
    fields = body.split('id="fields-h"')[1]
    with bundled_app.app_context():
        n = session().scalar(
            select(func.count(func.distinct(Entry.id))).join(Entry.senses).join(Entry.language)
            .where(Language.code == "hre", Sense.semantic_field == "The body"))
    assert f'<a href="/browse/hre?field=The+body">Cơ thể</a> <span class="n">{n}</span>' in fields
    _, body = page(client, "/browse/hre?field=The+body")
    listing = body.split('id="listing-h"')[1].split("</section>")[0]
    assert "Cơ thể" in listing and f"({n} mục từ)" in listing
    assert len(re.findall(r'<li><a href="/entry/hre-', listing)) == n
    _, body = page(client, "/browse/hre?field=The+body&lang=en")
    assert ">The body</a>" in body


def test_browse_unknown_letter_or_field_is_an_empty_listing(client):
    r, body = page(client, "/browse/hre", query_string={"letter": "<x>", "field": "Nope"})
    assert r.status_code == 200
    assert "Không có mục từ nào." in body and "<x>" not in body.split("<main")[1]


# ---- about -----------------------------------------------------------------------------------
def test_about_renders_the_full_attribution(client, bundled_app):
    r, body = page(client, "/about")
    assert r.status_code == 200
    text = (dictionary.REPO_ROOT / "data" / "SOURCES.md").read_text(encoding="utf-8")
    section = dictionary.public.views.attribution_section(text)
    citations = [line[2:] for line in section.splitlines() if line.startswith("- ")]
    assert len(citations) >= 6
    plain = html.unescape(re.sub(r"<[^>]+>", "", body))
    for citation in citations:
        assert citation.split("*")[0].strip() in plain
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in body
    assert 'href="https://creativecommons.org/licenses/by/3.0/de/"' in body
    assert "Changes made:" in plain
    assert "<em>Mon-Khmer Studies</em>" in body
    assert "phiên âm ngữ âm" in body


def test_markdown_rendering_escapes_raw_html():
    out = str(dictionary.public.views.render_markdown(
        "- a <script>alert(1)</script>\n\n<iframe src=x></iframe>\n[x](javascript:alert(1))"))
    assert "<script>" not in out and "<iframe" not in out and "href=\"javascript:" not in out
    assert "&lt;script&gt;" in out


def test_an_unexpected_error_is_an_html_500_page(app):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = app.test_client().get("/boom?lang=en")
    assert r.status_code == 500 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert "<h1>Something went wrong</h1>" in body and "RuntimeError" not in body

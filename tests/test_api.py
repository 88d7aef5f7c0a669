"""The JSON API under /api/v1/ on the bundled data: shapes, errors, the OpenAPI description."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from dictionary.db import session
from dictionary.models import PUBLISHED, Entry, Language, Sense


def entry_id(app, lang: str, concept: str) -> str:
    with app.app_context():
        return session().scalar(
            select(Entry.public_id).join(Entry.senses).join(Entry.language)
            .where(Language.code == lang, Sense.concept_id == concept).order_by(Entry.id))


def test_search_shape_and_values(client, bundled_app):
    r = client.get("/api/v1/search?q=tro")
    assert r.status_code == 200 and r.mimetype == "application/json"
    data = r.get_json()
    assert {"query", "lang", "total", "more", "results", "suggestions"} <= set(data)
    assert data["query"] == "tro" and data["lang"] == "all"
    assert data["total"] == len(data["results"]) > 0
    assert data["suggestions"] == []
    for hit in data["results"]:
        assert {"id", "lang", "headword", "senses", "match", "url"} <= set(hit)
        assert hit["lang"] in ("hre", "cua")
        assert hit["match"]["tier"] in ("exact", "tone", "loose", "prefix", "fuzzy")
        assert hit["match"]["side"] in ("headword", "vi")
        assert all(set(s) == {"vi", "en"} for s in hit["senses"])
        assert hit["url"].endswith(f"/entry/{hit['id']}")
    hre = entry_id(bundled_app, "hre", "646")
    ash = next(h for h in data["results"] if h["id"] == hre)
    assert ash["headword"] == "blɔ tanuh.L"
    assert ash["senses"] == [{"vi": "tro", "en": "ashes"}]
    assert ash["match"] == {"tier": "exact", "side": "vi", "typed_as": None}
    assert ash["url"] == f"http://localhost/entry/{hre}"
    assert data["results"][0]["match"]["tier"] == "exact"


def test_search_filter_limit_and_more(client):
    data = client.get("/api/v1/search?q=tro&lang=cua&limit=2").get_json()
    assert data["lang"] == "cua"
    assert len(data["results"]) == 2 and data["total"] == 2 and data["more"] is True
    assert {h["lang"] for h in data["results"]} == {"cua"}


def test_search_suggestions_and_typing(client):
    data = client.get("/api/v1/search?q=trooo").get_json()
    assert data["results"] == [] and "tro" in data["suggestions"]
    data = client.get("/api/v1/search?q=nuwowcs").get_json()
    assert data["results"] and data["results"][0]["match"]["typed_as"] == "nước"


@pytest.mark.parametrize("query, parameter", [
    ("", "q"), ("?q=", "q"), ("?q=%20%20", "q"), ("?q=tro&lang=xx", "lang"),
    ("?q=tro&lang=vi", "lang"), ("?q=tro&limit=0", "limit"), ("?q=tro&limit=101", "limit"),
    ("?q=tro&limit=abc", "limit"), ("?q=tro&limit=1.5", "limit"), ("?q=" + "a" * 2001, "q"),
])
def test_search_bad_parameters_are_400_json(client, query, parameter):
    r = client.get("/api/v1/search" + query)
    assert r.status_code == 400 and r.mimetype == "application/json"
    error = r.get_json()["error"]
    assert error["status"] == 400 and error["parameter"] == parameter and error["message"]


@pytest.mark.parametrize("q", ["AND OR NOT", "(((", "*", "title:x", "\x00\x7f", "a" * 2000, "😀"])
def test_search_junk_is_200_json(client, q):
    r = client.get("/api/v1/search", query_string={"q": q})
    assert r.status_code == 200 and isinstance(r.get_json()["results"], list)


def test_entry(client, bundled_app):
    hre, cua = entry_id(bundled_app, "hre", "646"), entry_id(bundled_app, "cua", "646")
    data = client.get(f"/api/v1/entries/{hre}").get_json()
    assert data["id"] == hre and data["lang"] == "hre" and data["headword"] == "blɔ tanuh.L"
    assert data["form_kind"] == "phonetic" and data["reviewed"] is False
    assert data["senses"][0]["vi"] == "tro" and data["senses"][0]["concept_id"] == "646"
    assert data["source"]["key"] == "peiros2004" and data["license"] == "CC-BY-4.0"
    assert [x["id"] for x in data["same_concept"]] == [cua]
    assert data["url"].endswith(f"/entry/{hre}")


@pytest.mark.parametrize("url", ["/api/v1/entries/hre-999999", "/api/v1/entries/%3Cx%3E",
                                 "/api/v1/no-such-thing"])
def test_unknown_is_404_json(client, url):
    r = client.get(url)
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert r.get_json()["error"]["status"] == 404


def test_pages_keep_html_errors_while_the_api_answers_json(client):
    page = client.get("/entry/hre-999999")
    api = client.get("/api/v1/entries/hre-999999")
    assert page.status_code == api.status_code == 404
    assert page.mimetype == "text/html" and "<h1>Không tìm thấy trang</h1>" in page.get_data(True)
    assert api.mimetype == "application/json"
    r = client.post("/api/v1/search?q=tro")
    assert r.status_code == 405 and r.mimetype == "application/json"


def test_languages(client, bundled_app):
    data = client.get("/api/v1/languages").get_json()
    with bundled_app.app_context():
        counts = dict(session().execute(
            select(Language.code, func.count(Entry.id)).join(Entry.language)
            .where(Entry.status == PUBLISHED).group_by(Language.code)).all())
    by_code = {x["code"]: x for x in data["languages"]}
    assert list(by_code) == ["hre", "cua"]
    assert by_code["hre"]["name_vi"] == "Hrê" and by_code["hre"]["glottocode"] == "hree1244"
    assert by_code["cua"]["name_vi"] == "Co" and by_code["cua"]["glottocode"] == "cuaa1241"
    assert {c: x["entries"] for c, x in by_code.items()} == counts
    assert counts["hre"] > 90 and counts["cua"] > 290


def test_healthz(client, bundled_app):
    r = client.get("/healthz")
    data = r.get_json()
    with bundled_app.app_context():
        n = session().scalar(select(func.count(Entry.id)).where(Entry.status == PUBLISHED))
    assert r.status_code == 200
    assert data == {"status": "ok", "entries": n,
                    "index": {"documents": n, "queued": 0, "state": "fresh"}}


def test_healthz_without_index(app):
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.get_json()["index"]["state"] == "missing"


def test_openapi_lists_every_api_route(client, bundled_app):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")

    def shape(path: str) -> str:
        return re.sub(r"<(?:[^:>]+:)?[^>]+>|\{[^}]+\}", "{}", path)

    documented = {shape(p) for p in spec["paths"]}
    routes = {shape(rule.rule) for rule in bundled_app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1")}
    assert routes and routes <= documented
    assert "/healthz" in spec["paths"]
    for schema in ("SearchResult", "Hit", "Entry", "Error"):
        assert schema in spec["components"]["schemas"]

"""Every response carries the security headers (walked over ``app.url_map``, signed in and
not), a forged ``Host`` header is refused before any view runs, and versioned static files
are cached for a year for real."""
from __future__ import annotations

import re

import pytest

from dictionary.responses import SECURITY_HEADERS

from conftest import login
from test_admin_guard import sample_url

NEEDED = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
          "Referrer-Policy")


def assert_secure(response, where: str) -> None:
    for name in NEEDED:
        assert response.headers.get(name) == SECURITY_HEADERS[name], (where, name)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def walk(app, client) -> int:
    seen = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"GET", "POST"}):
            url = "/static/site.css" if rule.endpoint == "static" else sample_url(rule)
            with client.open(url, method=method) as response:
                assert_secure(response, f"{method} {url} → {response.status_code}")
            seen += 1
    return seen


def test_every_route_answers_with_the_security_headers(app, users):
    anonymous = app.test_client()
    assert walk(app, anonymous) > 40
    admin = app.test_client()
    assert login(admin, users["admin"]).status_code == 302
    assert walk(app, admin) > 40


@pytest.mark.parametrize("path", ["/login", "/admin/", "/api/v1/search?q=tro", "/healthz",
                                  "/no-such-page", "/api/v1/no-such", "/api/v1/openapi.json"])
def test_login_admin_json_and_errors_cannot_be_framed(client, path):
    assert_secure(client.get(path), path)


def test_a_signed_in_admin_page_cannot_be_framed(app, users):
    client = app.test_client()
    login(client, users["admin"])
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_secure(response, "/admin/")


# ---- Host ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/search?q=tro", "/api/v1/openapi.json", "/search?q=tro",
                                  "/"])
def test_a_forged_host_header_is_refused(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert b"evil.example" not in response.data or b"not trusted" in response.data
    assert_secure(response, path)


def test_api_urls_name_the_trusted_host(client):
    body = client.get("/api/v1/search?q=tro", headers={"Host": "localhost:5000"}).get_json()
    assert body["results"], body
    assert all(r["url"].startswith("http://localhost:5000/") for r in body["results"])


def test_the_public_name_is_configured(bundled_app):
    from dictionary import create_app

    app = create_app({**bundled_app.config, "TRUSTED_HOSTS": ["tudien.example.vn"]})
    client = app.test_client()
    ok = client.get("/api/v1/search?q=tro", headers={"Host": "tudien.example.vn"})
    assert ok.status_code == 200
    assert ok.get_json()["results"][0]["url"].startswith("http://tudien.example.vn/")
    assert client.get("/api/v1/search?q=tro", headers={"Host": "localhost"}).status_code == 400


# ---- static files ---------------------------------------------------------------------------
def test_versioned_static_files_are_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'src="(/static/[^"]+\?v=[^"]+)"', page).group(1)
    with client.get(url) as response:
        assert response.status_code == 200
        cache = response.headers["Cache-Control"]
    directives = {d.strip() for d in cache.split(",")}
    assert "no-cache" not in directives, cache
    assert {"public", "max-age=31536000", "immutable"} <= directives, cache
    # an unversioned URL is revalidated as before
    with client.get(url.split("?")[0]) as plain:
        assert "immutable" not in plain.headers.get("Cache-Control", "")


# ---- client address behind a proxy ----------------------------------------------------------
def _throttle_keys(app) -> set[str]:
    from dictionary.db import get_db
    from dictionary.models import LoginThrottle

    with app.app_context(), get_db().Session() as s:
        return set(s.scalars(LoginThrottle.__table__.select().with_only_columns(
            LoginThrottle.key)))


def _wrong_login(client, **headers):
    from conftest import csrf_token

    return client.post("/login", data={"email": "nobody@example.test", "password": "x" * 12,
                                       "csrf_token": csrf_token(client)}, headers=headers)


def test_forwarded_for_is_ignored_unless_proxies_are_configured(app):
    assert _wrong_login(app.test_client(), **{"X-Forwarded-For": "203.0.113.5"}).status_code == 401
    assert "ip:127.0.0.1" in _throttle_keys(app)
    assert not any("203.0.113.5" in k for k in _throttle_keys(app))


def test_behind_one_proxy_the_client_address_counts(app):
    from dictionary import create_app

    proxied = create_app({**app.config, "PROXY_HOPS": 1})
    client = proxied.test_client()
    assert _wrong_login(client, **{"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
                        ).status_code == 401
    keys = _throttle_keys(proxied)
    assert "ip:203.0.113.5" in keys  # the address the proxy saw, not one the client wrote
    assert not any("198.51.100.7" in k for k in keys)

"""Every admin route refuses anonymous users (→ login) and weaker roles (→ 403), and every
POST route refuses a request without a CSRF token. The routes are read from ``app.url_map``,
so a new admin route that forgets its guard fails here."""
from __future__ import annotations

import pytest

from dictionary.models import ROLES

from conftest import login


def admin_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert len(rules) >= 1
    return rules


def sample_url(rule) -> str:
    """A URL for the rule with placeholder values (the guard runs before any lookup)."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        values[name] = 1 if type(converter).__name__ == "IntegerConverter" else "hre-000001"
    return rule.build(values, append_unknown=False)[1]


def methods(rule) -> list[str]:
    return sorted(m for m in rule.methods if m in {"GET", "POST"})


def test_every_admin_view_declares_its_role(app):
    for rule in admin_rules(app):
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "required_role", None) in ROLES, \
            f"{rule.endpoint} ({rule.rule}) has no @role_required"


def test_anonymous_users_are_sent_to_the_login_page(app):
    client = app.test_client()
    for rule in admin_rules(app):
        for method in methods(rule):
            response = client.open(sample_url(rule), method=method)
            assert response.status_code == 302, (rule.rule, method, response.status_code)
            assert "/login" in response.headers["Location"], rule.rule


def test_weaker_roles_get_403(app, users):
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        assert login(clients[role], users[role]).status_code == 302
    checked = 0
    for rule in admin_rules(app):
        required = app.view_functions[rule.endpoint].required_role
        for role in ROLES[:ROLES.index(required)]:
            for method in methods(rule):
                response = clients[role].open(sample_url(rule), method=method)
                # POST without a token would be refused by CSRF first (400); the role
                # check must hold for GET and for POST with a valid token alike.
                if method == "POST":
                    from conftest import csrf_token

                    response = clients[role].post(
                        sample_url(rule), data={"csrf_token": csrf_token(clients[role], "/admin/")})
                assert response.status_code == 403, (rule.rule, role, method, response.status_code)
                checked += 1
    weakest_guarded = [r for r in admin_rules(app)
                       if app.view_functions[r.endpoint].required_role != ROLES[0]]
    assert checked >= len(weakest_guarded)


@pytest.mark.parametrize("role", ["admin"])
def test_post_routes_refuse_requests_without_csrf_token(app, users, role):
    client = app.test_client()
    login(client, users[role])
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods
             and not r.endpoint.startswith("static")]
    assert any(r.endpoint.startswith("admin.") for r in posts) or posts
    for rule in posts:
        response = client.post(sample_url(rule), data={})
        assert response.status_code == 400, (rule.rule, response.status_code)

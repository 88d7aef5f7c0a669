"""The search rate limit (dictionary.rate_limit) on a real app with the bundled data: the
burst passes, the next search gets 429 (JSON on the API, the HTML page elsewhere) with
``Retry-After`` and the message in the interface language, other clients are not affected,
tokens come back with time (an injected clock, no sleeps), the table stays bounded, 0 turns
it off, curators' admin search and the machine itself are never limited."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from dictionary import rate_limit
from dictionary.rate_limit import TokenBuckets, buckets, client_key

from conftest import add_users, get_state_close, login, make_app, serving

# The msgid, and its Vietnamese text in dictionary/translations/vi (compiled by `make`).
MESSAGE_EN = ("Too many searches from your network in a short time. Please wait a moment "
              "and try again.")
MESSAGE_VI = ("Mạng của bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng đợi "
              "một lát rồi thử lại.")
BURST = 3


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def limited_app(_bundled_shared):
    """The bundled data with a small limit: 3 searches, then one more per second."""
    app = make_app(_bundled_shared, SEARCH_RATE_PER_MINUTE=60, SEARCH_RATE_BURST=BURST,
                   SEARCH_RATE_MAX_CLIENTS=50)
    yield app
    get_state_close(app)


@pytest.fixture
def clock(limited_app):
    table = buckets(limited_app)
    table._buckets.clear()
    table.clock = Clock()
    return table.clock


def client_at(app, address: str):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def test_burst_passes_then_the_api_answers_429_in_json(limited_app, clock):
    c = client_at(limited_app, "203.0.113.10")
    for _ in range(BURST):
        assert c.get("/api/v1/search?q=tro").status_code == 200
    r = c.get("/api/v1/search?q=tro")
    assert r.status_code == 429 and r.mimetype == "application/json"
    assert r.headers["Retry-After"] == "1"  # one token a second
    error = r.get_json()["error"]
    assert error["status"] == 429
    assert error["message"] == MESSAGE_VI  # Vietnamese: the default interface language
    assert r.headers["X-Content-Type-Options"] == "nosniff"  # the usual headers, still


def test_the_results_page_answers_429_with_the_html_error_page(limited_app, clock):
    c = client_at(limited_app, "203.0.113.11")
    for _ in range(BURST):
        assert c.get("/search?q=tro").status_code == 200
    r = c.get("/search?q=tro")
    assert r.status_code == 429 and r.mimetype == "text/html"
    assert r.headers["Retry-After"] == "1"
    page = r.get_data(as_text=True)
    assert MESSAGE_VI in page and "Quá nhiều yêu cầu" in page and "429" in page


def test_the_message_follows_the_interface_language(limited_app, clock):
    c = client_at(limited_app, "203.0.113.12")
    c.set_cookie("ui_lang", "en")
    for _ in range(BURST):
        c.get("/api/v1/search?q=tro")
    api = c.get("/api/v1/search?q=tro")
    assert api.status_code == 429 and api.get_json()["error"]["message"] == MESSAGE_EN
    page = c.get("/search?q=tro&lang=en")
    assert page.status_code == 429
    text = page.get_data(as_text=True)
    assert MESSAGE_EN in text and "Too many requests" in text


def test_page_and_api_share_one_bucket_and_other_clients_are_not_affected(limited_app, clock):
    me, other = client_at(limited_app, "198.51.100.1"), client_at(limited_app, "198.51.100.2")
    assert me.get("/search?q=tro").status_code == 200
    assert me.get("/api/v1/search?q=tro").status_code == 200
    assert me.get("/api/v1/search?q=tro&lang=hre").status_code == 200
    assert me.get("/search?q=nuoc").status_code == 429
    for _ in range(BURST):
        assert other.get("/api/v1/search?q=tro").status_code == 200
    # Pages that are not searches are never counted.
    assert me.get("/").status_code == 200
    assert me.get("/api/v1/languages").status_code == 200


def test_tokens_come_back_with_time(limited_app, clock):
    c = client_at(limited_app, "203.0.113.20")
    for _ in range(BURST):
        assert c.get("/api/v1/search?q=tro").status_code == 200
    assert c.get("/api/v1/search?q=tro").status_code == 429
    clock.now += 0.5
    r = c.get("/api/v1/search?q=tro")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"  # half a token: wait
    clock.now += 0.5
    assert c.get("/api/v1/search?q=tro").status_code == 200  # one token back
    assert c.get("/api/v1/search?q=tro").status_code == 429
    clock.now += 60  # a long pause fills the bucket, never past the burst
    codes = [c.get("/api/v1/search?q=tro").status_code for _ in range(BURST + 1)]
    assert codes == [200] * BURST + [429]


def test_a_refused_search_costs_no_token(limited_app, clock):
    c = client_at(limited_app, "203.0.113.21")
    for _ in range(BURST):
        c.get("/api/v1/search?q=tro")
    for _ in range(20):  # hammering while refused does not push the wait further out
        assert c.get("/api/v1/search?q=tro").status_code == 429
    clock.now += 1
    assert c.get("/api/v1/search?q=tro").status_code == 200


def test_an_ipv6_client_counts_by_its_64(limited_app, clock):
    one = client_at(limited_app, "2001:db8:7:8::1")
    same = client_at(limited_app, "2001:db8:7:8:ffff::2")
    elsewhere = client_at(limited_app, "2001:db8:7:9::1")
    for _ in range(BURST):
        assert one.get("/api/v1/search?q=tro").status_code == 200
    assert same.get("/api/v1/search?q=tro").status_code == 429
    assert elsewhere.get("/api/v1/search?q=tro").status_code == 200
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_a_flood_of_addresses_keeps_the_table_bounded(limited_app, clock):
    table = buckets(limited_app)
    for i in range(400):  # q missing: counted, then the cheap 400
        r = client_at(limited_app, f"10.{i // 250}.{i % 250}.1").get("/api/v1/search")
        assert r.status_code == 400
        assert len(table) <= 50
    assert len(table) == 50
    # The most recent clients are the ones kept; a dropped one starts with a full bucket.
    assert client_key("10.1.149.1") in table._buckets
    assert client_key("10.0.0.1") not in table._buckets


def test_buckets_alone_stay_bounded_and_grant_exactly_the_burst_across_threads():
    now = [0.0]
    table = TokenBuckets(per_minute=60, burst=300, max_keys=1000, clock=lambda: now[0])
    for i in range(100_000):
        table.take(f"k{i}")
    assert len(table) == 1000
    granted = []

    def hammer():
        mine = sum(1 for _ in range(200) if table.take("shared") == 0.0)
        granted.append(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 300  # 1,600 tries, the clock stopped: the burst and no more


def test_zero_turns_it_off(_bundled_shared):
    app = make_app(_bundled_shared, SEARCH_RATE_PER_MINUTE=0, SEARCH_RATE_BURST=1)
    try:
        assert buckets(app) is None
        c = client_at(app, "203.0.113.30")
        assert all(c.get("/api/v1/search?q=tro").status_code == 200 for _ in range(30))
    finally:
        get_state_close(app)


def test_the_machine_itself_is_exempt(limited_app, clock):
    for address in ("127.0.0.1", "::1"):
        c = client_at(limited_app, address)
        assert all(c.get("/api/v1/search?q=tro").status_code == 200 for _ in range(BURST + 5))
    assert len(buckets(limited_app)) == 0


def test_bad_exempt_setting_is_named(_bundled_shared):
    with pytest.raises(ValueError, match="SEARCH_RATE_EXEMPT"):
        make_app(_bundled_shared, SEARCH_RATE_EXEMPT=["not-an-address"])


def test_curators_admin_search_is_not_limited(app):
    users = add_users(app)
    app.extensions[rate_limit.EXTENSION] = TokenBuckets(per_minute=60, burst=1, max_keys=10)
    c = client_at(app, "203.0.113.40")
    login(c, users["editor"])
    assert all(c.get("/admin/entries?q=tro").status_code == 200 for _ in range(5))
    assert c.get("/search?q=tro").status_code in (200, 503)  # the one token (empty index)
    assert c.get("/search?q=tro").status_code == 429


def test_behind_a_proxy_each_forwarded_client_has_its_own_bucket(_bundled_shared):
    """Over real HTTP, with PROXY_HOPS = 1 as behind nginx: the client is the address nginx
    put in X-Forwarded-For, not the proxy's loopback (which is exempt)."""
    app = make_app(_bundled_shared, PROXY_HOPS=1, SEARCH_RATE_PER_MINUTE=60,
                   SEARCH_RATE_BURST=2)
    buckets(app).clock = Clock()

    def get(base: str, forwarded: str) -> tuple[int, dict, str]:
        req = urllib.request.Request(f"{base}/api/v1/search?q=tro",
                                     headers={"X-Forwarded-For": forwarded})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()

    try:
        with serving(app, clear_untrusted_proxy_headers=False) as base:
            assert [get(base, "192.0.2.50")[0] for _ in range(2)] == [200, 200]
            status, headers, body = get(base, "192.0.2.50")
            assert status == 429 and headers["Retry-After"] == "1"
            assert json.loads(body)["error"]["status"] == 429
            assert get(base, "192.0.2.51")[0] == 200
            # A client's own X-Forwarded-For is not believed: nginx appends the real address
            # (PROXY_HOPS = 1 takes the last one).
            assert get(base, "192.0.2.50, 192.0.2.52")[0] == 200
    finally:
        get_state_close(app)

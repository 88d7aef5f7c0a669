"""Search rate limit: one token bucket per client address, so no single client (a script, a
stuck page) can take the search away from everyone else.

Where it sits: ``init_app`` registers one ``before_request`` on the app that counts the
requests of the endpoints in ``SEARCH_ENDPOINTS`` (the results page and the JSON search that
``static/search.js`` calls as you type) and refuses one with **429**, a ``Retry-After`` header
and a message in the interface language: JSON on the API like its other errors, the HTML
error page elsewhere. Curators' search in ``/admin`` is not limited: it needs a login, so
every request there is someone the project knows.

The client is ``request.remote_addr``: behind nginx with ``PROXY_HOPS = 1`` ProxyFix has set
it from ``X-Forwarded-For``. An IPv6 client counts by its /64 network (one household or phone
gets a whole /64 and may pick any address in it). Addresses in ``SEARCH_RATE_EXEMPT`` (the
machine itself by default: monitoring, benchmarks) are never limited.

Each bucket holds up to ``SEARCH_RATE_BURST`` tokens and gains ``SEARCH_RATE_PER_MINUTE``
per minute; a search takes one. Memory is bounded: at most ``SEARCH_RATE_MAX_CLIENTS``
buckets, the least recently used dropped first (a bucket dropped is a full one again, as it
would be after a pause), so a flood of made-up addresses cannot grow the table. One lock
guards the table: a check is a few dictionary operations.

The buckets live in each process: with N gunicorn workers a client may get up to N times
the numbers. The shared limit is nginx's ``limit_req`` with the same numbers
(``deploy/nginx-tudien.conf``); this one guards a server without nginx and each worker.
"""
from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from .web import error_page

# The views whose requests are counted: the results page and the JSON search.
SEARCH_ENDPOINTS = frozenset({"dictionary.search_page", "api.api_search"})
EXTENSION = "search_rate_limit"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TokenBuckets:
    """Token buckets by key, at most ``max_keys`` of them (least recently used dropped).

    >>> now = [0.0]
    >>> buckets = TokenBuckets(per_minute=60, burst=2, max_keys=10, clock=lambda: now[0])
    >>> [buckets.take("a") for _ in range(3)]  # two pass, the third waits a second
    [0.0, 0.0, 1.0]
    >>> buckets.take("b")  # another client has its own bucket
    0.0
    >>> now[0] = 1.0; buckets.take("a")  # one token came back
    0.0
    """

    def __init__(self, per_minute: float, burst: int, max_keys: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("a rate, a burst and a table size above zero are needed")
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: (tokens, at)

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when there was one, else the seconds until there is
        one (nothing is taken then: a refused request costs nothing)."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
            if tokens >= 1.0:
                tokens, wait = tokens - 1.0, 0.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)  # (re)inserted last: the most recently used
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


class SearchRateLimited(TooManyRequests):
    """Too many searches from one client (a ``TooManyRequests`` with ``Retry-After``)."""


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, an IPv4-mapped IPv6 one (``::ffff:192.0.2.1``) as IPv4; None if not one."""
    try:
        ip = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def client_key(address: str | None) -> str:
    """The bucket of a client address: the address itself, or its /64 for IPv6.

    >>> client_key("203.0.113.7"), client_key("2001:db8:1:2:aaaa::1"), client_key(None)
    ('203.0.113.7', '2001:db8:1:2::/64', '?')
    """
    ip = _address(address)
    if ip is None:
        return address or "?"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``SEARCH_RATE_EXEMPT``: addresses or networks (``10.0.0.0/8``), a list or one string with
    commas; ValueError names a bad one."""
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)
    except ValueError as exc:
        raise ValueError(f"SEARCH_RATE_EXEMPT: {exc}") from None


def exempt(address: str | None, networks: tuple[Network, ...]) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in net for net in networks)


def buckets(app: Flask) -> TokenBuckets | None:
    """The app's buckets (tests set their ``clock``); None when the limit is off."""
    return app.extensions.get(EXTENSION)


def _check() -> None:
    if request.endpoint not in SEARCH_ENDPOINTS:
        return
    table = buckets(current_app)
    if table is None:
        return
    address = request.remote_addr
    if exempt(address, current_app.extensions[EXTENSION + ".exempt"]):
        return
    wait = table.take(client_key(address))
    if wait:
        raise SearchRateLimited(
            _("Too many searches from your network in a short time. Please wait a moment "
              "and try again."), retry_after=max(1, math.ceil(wait)))


def _refused(exc: SearchRateLimited):
    if request.path.startswith("/api/"):
        response = jsonify(error={"status": exc.code, "message": exc.description})
        response.status_code = exc.code
    else:
        response = error_page(exc, message=exc.description)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def init_app(app: Flask) -> None:
    """Read the settings and start counting (``SEARCH_RATE_PER_MINUTE = 0`` turns it off)."""
    cfg = app.config
    per_minute = float(cfg["SEARCH_RATE_PER_MINUTE"])
    app.extensions[EXTENSION + ".exempt"] = parse_networks(cfg["SEARCH_RATE_EXEMPT"])
    if per_minute <= 0:
        app.extensions[EXTENSION] = None
    else:
        app.extensions[EXTENSION] = TokenBuckets(per_minute, int(cfg["SEARCH_RATE_BURST"]),
                                                 int(cfg["SEARCH_RATE_MAX_CLIENTS"]))
    app.before_request(_check)
    app.register_error_handler(SearchRateLimited, _refused)

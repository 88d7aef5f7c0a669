"""What every response carries, whichever blueprint made it: security headers and caching.

Where it sits: ``init_app`` registers one ``after_request`` on the app, so the login page,
the admin pages, the JSON API, error pages and static files get the same headers as the
public pages (a header set per blueprint left ``/login`` and ``/admin`` frameable). The
``Host`` header is checked by Flask against ``TRUSTED_HOSTS`` (config) before any view
runs, so absolute URLs in the API never name a host a client made up.
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

# Pages load their own scripts, styles and images only; no page may be framed (clickjacking)
# and forms post only to this site.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
YEAR = 365 * 24 * 3600


def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        # A versioned URL (``asset_url``) changes whenever the file does: cache it for a
        # year. ``send_file`` has set ``no-cache`` for revalidation; that must go, or
        # browsers revalidate on every page anyway.
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the work for a request without a session
    cookie (most searches): Flask builds the cookie signer (a JSON round trip) before it
    looks whether there is a cookie to read. The signer is still built when a session is
    written."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    app.after_request(secure)

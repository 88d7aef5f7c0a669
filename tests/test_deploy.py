"""The files in deploy/ are real: the systemd units pass ``systemd-analyze verify``, the
environment file is read by the app as meant, and the nginx site passes ``nginx -t`` and,
started on loopback in front of the real app (waitress in a thread, as gunicorn would serve
it), does what the README says: HTTP → HTTPS, static files and audio sent by nginx (audio only
after the app's checks), searches proxied with the client's address and scheme, other host
names refused, too-large bodies refused with 413, the search limit answering 429.

Only the paths, ports and certificate of the site are rewritten for the test (each rewrite is
checked to hit); everything else runs as written."""
from __future__ import annotations

import gzip
import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import get_state_close, make_app, serving
from dictionary import REPO_ROOT
from dictionary.audio.models import Recording
from dictionary.db import get_db
from dictionary.responses import SECURITY_HEADERS

DEPLOY = REPO_ROOT / "deploy"
SITE = DEPLOY / "nginx-tudien.conf"
NGINX = "/usr/sbin/nginx"
NAME = "tudien.example.vn"
UNITS = ("tudien-web.service", "tudien-audio.service")


def _load_make_recordings():
    spec = importlib.util.spec_from_file_location(
        "make_recordings", Path(__file__).parent / "audio" / "make_recordings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rewrite(text: str, pairs: list[tuple[str, str]]) -> str:
    """``text`` with each (old, new) replaced; every old must occur (the rewrite is real)."""
    for old, new in pairs:
        assert old in text, f"{old!r} is not in the file any more: update the test"
        text = text.replace(old, new)
    return text


# ---- systemd ---------------------------------------------------------------------------------
@pytest.fixture
def units(tmp_path) -> Path:
    """The units with the checkout at its real place (systemd checks the programs exist)."""
    folder = tmp_path / "units"
    folder.mkdir()
    for name in UNITS:
        text = rewrite((DEPLOY / name).read_text(encoding="utf-8"),
                       [("/srv/tudien", str(REPO_ROOT))])
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_units_pass_systemd_analyze_verify(units):
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze not found (Debian's systemd package)")
    done = subprocess.run(["systemd-analyze", "verify", *(str(units / n) for n in UNITS)],
                          capture_output=True, text=True, cwd=units, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_units_are_hardened(units):
    for name in UNITS:
        done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(units / name)],
                              capture_output=True, text=True, timeout=60)
        level = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
        assert level, done.stdout + done.stderr
        assert float(level.group(1)) <= 2.0, done.stdout  # systemd: "OK" is below 2.0
    web = (DEPLOY / "tudien-web.service").read_text(encoding="utf-8")
    assert "ExecStart=/srv/tudien/.venv/bin/gunicorn -c deploy/gunicorn.conf.py " \
           "'dictionary:create_app()'" in web
    for line in ("User=tudien", "EnvironmentFile=/etc/tudien/env", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "ReadWritePaths=/srv/tudien/instance",
                 "Restart=on-failure"):
        assert line in web.splitlines()
    audio = (DEPLOY / "tudien-audio.service").read_text(encoding="utf-8")
    assert "ExecStart=/srv/tudien/.venv/bin/flask --app dictionary audio work" in audio


def test_the_environment_file_gives_the_settings_it_says(tmp_path):
    """Sourced as the shell does (``set -a``), the example sets what the README says; the
    quoting is the one systemd's EnvironmentFile reads the same way."""
    script = ("set -a; . \"$1\"; set +a; exec \"$2\" -c 'import json, sys\n"
              "from flask import Flask\nfrom dictionary import config\n"
              "app = Flask(\"x\", instance_path=sys.argv[1])\nconfig.load(app, None)\n"
              "print(json.dumps({k: app.config[k] for k in (\"TRUSTED_HOSTS\", \"PROXY_HOPS\","
              " \"SESSION_COOKIE_SECURE\", \"MEDIA_ACCEL_REDIRECT\", \"DATABASE_URL\","
              " \"SECRET_KEY\")}))' \"$3\"")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICTIONARY_")}
    done = subprocess.run(["bash", "-c", script, "bash", str(DEPLOY / "tudien.env.example"),
                           str(REPO_ROOT / ".venv" / "bin" / "python"), str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["TRUSTED_HOSTS"] == [NAME] and got["PROXY_HOPS"] == 1
    assert got["SESSION_COOKIE_SECURE"] is True and got["MEDIA_ACCEL_REDIRECT"] == "/_media/"
    assert got["DATABASE_URL"] == "sqlite:////srv/tudien/instance/dictionary.sqlite"
    assert len(got["SECRET_KEY"]) == 64  # empty in the file: the instance's random key


# ---- nginx: the numbers agree with the app ----------------------------------------------------
def test_the_site_uses_the_apps_numbers_and_headers(app):
    site = SITE.read_text(encoding="utf-8")
    cfg = app.config
    rate = re.search(r"limit_req_zone \$binary_remote_addr zone=tudien_search:\S+ "
                     r"rate=(\d+)r/s;", site)
    assert rate and int(rate.group(1)) * 60 == cfg["SEARCH_RATE_PER_MINUTE"]
    bursts = re.findall(r"limit_req zone=tudien_search burst=(\d+) nodelay;", site)
    assert bursts == [str(cfg["SEARCH_RATE_BURST"])] * 2  # the page and the API
    body = int(re.search(r"client_max_body_size (\d+);", site).group(1))
    assert cfg["MAX_CONTENT_LENGTH"] < body < cfg["MAX_CONTENT_LENGTH"] * 1.25
    headers = dict(re.findall(r'^add_header (\S+) "([^"]*)" always;$',
                              (DEPLOY / "nginx-headers.conf").read_text(encoding="utf-8"), re.M))
    assert headers.pop("Strict-Transport-Security") == "max-age=31536000"
    assert headers == SECURITY_HEADERS


# ---- nginx: nginx -t and a live run ------------------------------------------------------------
def nginx_binary() -> str:
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}: `make test` installs the Debian package")
    return NGINX


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={NAME}",
                    "-addext", f"subjectAltName=DNS:{NAME}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def main_conf(prefix: Path, site: str) -> Path:
    """What Debian's /etc/nginx/nginx.conf does around a site, in a temporary prefix."""
    (prefix / "site.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the tmp files
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
""", encoding="utf-8")
    return conf


def site_for(prefix: Path, *, media: Path | None = None, ports: tuple[int, int, int] | None = None,
             limit: tuple[str, str] | None = None) -> str:
    cert, key = certificate(prefix)
    acme = prefix / "acme"
    (acme / ".well-known" / "acme-challenge").mkdir(parents=True)
    pairs = [(f"/etc/letsencrypt/live/{NAME}/fullchain.pem", str(cert)),
             (f"/etc/letsencrypt/live/{NAME}/privkey.pem", str(key)),
             ("root /var/www/html;", f"root {acme};")]
    if media is not None:
        pairs.append(("/srv/tudien/instance/media/", f"{media}/"))
    pairs.append(("/srv/tudien/", f"{REPO_ROOT}/"))
    if ports is not None:
        http_port, https_port, app_port = ports
        pairs += [("    listen [::]:80 default_server;\n", ""),
                  ("    listen [::]:443 ssl http2 default_server;\n", ""),
                  ("    listen [::]:80;\n", ""), ("    listen [::]:443 ssl http2;\n", ""),
                  ("listen 80", f"listen 127.0.0.1:{http_port}"),
                  ("listen 443", f"listen 127.0.0.1:{https_port}"),
                  ("server 127.0.0.1:5000;", f"server 127.0.0.1:{app_port};")]
    if limit is not None:  # a small bucket, so a handful of requests reach the limit
        pairs += [("rate=20r/s", f"rate={limit[0]}"), ("burst=300", f"burst={limit[1]}")]
    return rewrite(SITE.read_text(encoding="utf-8"), pairs)


def test_nginx_accepts_the_site(tmp_path):
    nginx = nginx_binary()
    conf = main_conf(tmp_path, site_for(tmp_path))
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e",
                           str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Seen:
    """WSGI middleware: the requests that reached the app (path, client, scheme)."""

    def __init__(self, app) -> None:
        self.app, self.requests, self.lock = app, [], threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.requests.append((environ.get("PATH_INFO"), environ.get("HTTP_X_FORWARDED_FOR"),
                                  environ.get("HTTP_X_FORWARDED_PROTO")))
        return self.app(environ, start_response)

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _, _ in self.requests]


class Stack:
    def __init__(self, app, seen: Seen, http_port: int, https_port: int, uuid: str,
                 hidden: str, acme: Path, app_port: int) -> None:
        self.app, self.seen, self.http_port, self.https_port = app, seen, http_port, https_port
        self.uuid, self.hidden, self.acme, self.app_port = uuid, hidden, acme, app_port

    def https(self, path: str, *, host: str = NAME, sni: str = NAME, method: str = "GET",
              headers: dict | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        sock = socket.create_connection(("127.0.0.1", self.https_port), timeout=10)
        conn = http.client.HTTPConnection("127.0.0.1", self.https_port, timeout=10)
        conn.sock = ctx.wrap_socket(sock, server_hostname=sni)
        try:
            conn.request(method, path, headers={"Host": host, **(headers or {})})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def http(self, path: str, *, host: str = NAME) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": host})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()


@contextmanager
def running_nginx(prefix: Path, site: str, port: int) -> Iterator[None]:
    """nginx with ``site`` in ``prefix``, in the foreground, until the block ends."""
    conf = main_conf(prefix, site)
    with open(prefix / "stderr.log", "wb") as stderr:
        proc = subprocess.Popen([nginx_binary(), "-p", str(prefix), "-c", str(conf), "-e",
                                 str(prefix / "error.log")], stderr=stderr)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + (prefix / "stderr.log")
                                       .read_text() + (prefix / "error.log").read_text()) from None
                time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def stack(_bundled_pristine, tmp_path_factory):
    """nginx (the site as written) → waitress → the app with the bundled data, a published
    recording and an unpublished one, configured as /etc/tudien/env says. The app's own
    search limit is off: a 429 here can only come from nginx."""
    nginx_binary()
    root = tmp_path_factory.mktemp("deploy")
    instance = root / "instance"
    shutil.copytree(_bundled_pristine, instance)
    app = make_app(instance, TRUSTED_HOSTS=[NAME], PROXY_HOPS=1, SESSION_COOKIE_SECURE=True,
                   MEDIA_ACCEL_REDIRECT="/_media/", SEARCH_RATE_PER_MINUTE=0)
    recordings = _load_make_recordings()
    uuid = recordings.published(app, "hre-000001")
    with app.app_context(), get_db().Session() as s:
        hidden = recordings.pending(s, "hre-000002").uuid  # not reviewed: never public
        s.commit()
        assert s.scalar(select(Recording.status).where(Recording.uuid == hidden)) != "published"
    seen = Seen(app.wsgi_app)
    app.wsgi_app = seen
    prefix = root / "nginx"
    prefix.mkdir()
    http_port, https_port = free_port(), free_port()
    try:
        with serving(app, clear_untrusted_proxy_headers=False) as base:
            app_port = int(base.rsplit(":", 1)[1])
            site = site_for(prefix, media=instance / "media",
                            ports=(http_port, https_port, app_port))
            with running_nginx(prefix, site, https_port):
                yield Stack(app, seen, http_port, https_port, uuid, hidden, prefix / "acme",
                            app_port)
    finally:
        get_state_close(app)


def test_http_goes_to_https_and_certbot_is_answered(stack):
    before = len(stack.seen.paths())
    status, headers, _ = stack.http("/search?q=tro")
    assert status == 301 and headers["Location"] == f"https://{NAME}/search?q=tro"
    token = stack.acme / ".well-known" / "acme-challenge" / "tok3n"
    token.write_text("proof", encoding="utf-8")
    assert stack.http("/.well-known/acme-challenge/tok3n")[::2] == (200, b"proof")
    assert len(stack.seen.paths()) == before


def test_a_search_is_proxied_with_the_clients_address_and_scheme(stack):
    status, headers, body = stack.https("/api/v1/search?q=tro&limit=3",
                                        headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 200, body
    data = json.loads(body)
    assert data["results"] and data["results"][0]["url"].startswith(f"https://{NAME}/entry/")
    path, forwarded, proto = stack.seen.requests[-1]
    assert (path, forwarded, proto) == ("/api/v1/search", "127.0.0.1", "https")  # not spoofed
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers.get_all("X-Frame-Options") == ["DENY"]  # the app's, not twice
    assert headers.get_all("Content-Security-Policy") == [SECURITY_HEADERS["Content-Security-Policy"]]
    status, headers, body = stack.https("/search?q=tro", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "blɔ tanuh" in body.decode()
    assert "Content-Encoding" not in headers  # HTML is not compressed (BREACH)


def test_static_files_come_from_nginx(stack):
    before = len(stack.seen.paths())
    css = (REPO_ROOT / "dictionary" / "static" / "site.css").read_bytes()
    status, headers, body = stack.https("/static/site.css?v=0123456789")
    assert status == 200 and body == css and headers["Content-Type"].startswith("text/css")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for name, value in SECURITY_HEADERS.items():
        assert headers.get_all(name) == [value]
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    status, headers, body = stack.https("/static/search.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (REPO_ROOT / "dictionary" / "static" / "search.js").read_bytes()
    assert len(stack.seen.paths()) == before  # the app saw none of them
    # Outside the static folder nothing of the checkout is served (this one is the app's 404).
    assert stack.https("/static/../setup.cfg")[0] == 404


def test_audio_is_checked_by_the_app_and_sent_by_nginx(stack):
    mp3 = (Path(stack.app.instance_path) / "media" / "audio" / "play" / stack.uuid[:2]
           / f"{stack.uuid}.p1.mp3").read_bytes()
    status, headers, body = stack.https(f"/audio/{stack.uuid}.mp3")
    assert status == 200 and body == mp3 and headers["Content-Type"] == "audio/mpeg"
    assert "X-Accel-Redirect" not in headers
    assert headers["Cache-Control"] == "public, max-age=2592000"  # the app's, kept by nginx
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert stack.seen.paths()[-1] == f"/audio/{stack.uuid}.mp3"  # the app checked it
    status, headers, body = stack.https(f"/audio/{stack.uuid}.mp3", headers={"Range": "bytes=0-1"})
    assert (status, body) == (206, mp3[:2]) and headers["Content-Range"] == f"bytes 0-1/{len(mp3)}"
    etag = stack.https(f"/audio/{stack.uuid}.mp3")[1]["ETag"]
    assert stack.https(f"/audio/{stack.uuid}.mp3", headers={"If-None-Match": etag})[0] == 304
    # Not public: the app says no, and the files cannot be reached around it.
    assert stack.https(f"/audio/{stack.hidden}.mp3")[0] == 404
    relative = f"audio/play/{stack.uuid[:2]}/{stack.uuid}.p1.mp3"
    assert stack.https(f"/_media/{relative}")[0] == 404
    assert stack.https(f"/media/{relative}")[0] == 404


def test_other_host_names_are_refused(stack):
    with pytest.raises(ssl.SSLError):  # no certificate is shown for another name
        stack.https("/", host="evil.example", sni="evil.example")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        stack.http("/", host="evil.example")  # 444: closed without an answer
    before = len(stack.seen.paths())
    try:
        status = stack.https("/", host="evil.example")[0]
    except (http.client.RemoteDisconnected, ConnectionError):
        status = None  # closed without an answer
    assert status in (None, 400, 421)
    assert len(stack.seen.paths()) == before


def test_a_too_large_body_gets_413_before_the_app(stack):
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPConnection("127.0.0.1", stack.https_port, timeout=10)
    conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", stack.https_port)),
                                server_hostname=NAME)
    before = len(stack.seen.paths())
    try:
        conn.putrequest("POST", "/admin/import", skip_host=True)
        conn.putheader("Host", NAME)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(30_000_000))
        conn.endheaders()
        conn.send(b"x" * 65536)
        resp = conn.getresponse()
        assert resp.status == 413
    finally:
        conn.close()
    assert len(stack.seen.paths()) == before


def test_the_search_limit_answers_429(stack, tmp_path):
    """The site with a small bucket (1 a minute, burst 5), in its own nginx in front of the
    same app: the API and the results page share it; what is refused never reaches the app."""
    http_port, https_port = free_port(), free_port()
    site = site_for(tmp_path, media=Path(stack.app.instance_path) / "media",
                    ports=(http_port, https_port, stack.app_port), limit=("1r/m", "5"))
    small = Stack(stack.app, stack.seen, http_port, https_port, stack.uuid, stack.hidden,
                  tmp_path / "acme", stack.app_port)
    with running_nginx(tmp_path, site, https_port):
        codes = []
        for _ in range(12):
            status, headers, body = small.https("/api/v1/search?q=tro&limit=1")
            codes.append(status)
            if status == 429:
                break
        assert codes == [200] * 6 + [429]  # the one of the rate, then the burst of 5
        assert headers["Retry-After"] == "1" and headers["Content-Type"] == "application/json"
        error = json.loads(body)["error"]
        assert error["status"] == 429 and "Quá nhiều lượt tra cứu" in error["message"]
        before = len(small.seen.paths())
        status, headers, body = small.https("/search?q=tro")
        assert status == 429 and headers["Content-Type"].startswith("text/html")
        assert "Vui lòng đợi" in body.decode() and headers["Retry-After"] == "1"
        for name, value in SECURITY_HEADERS.items():
            assert headers.get_all(name) == [value]
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        assert len(small.seen.paths()) == before
        assert small.https("/api/v1/languages")[0] == 200  # only searches are limited

"""gunicorn settings: `make run`, the systemd unit beside this file, the HTTP benchmark.

    gunicorn -c deploy/gunicorn.conf.py 'dictionary:create_app()'

One worker process per core (each runs Python on its own core, where one process's threads
share one), each with THREADS threads (gthread: keep-alive connections, unlike gunicorn's
sync workers, which close every connection). The app is loaded once, in gunicorn's parent
process (``preload_app``), which also loads the search tables; the workers are forked from
it and share those tables copy-on-write (``dictionary/processes.py``), so N workers take
little more memory than one and are ready as soon as they are forked.

Environment: HOST (127.0.0.1), PORT (5000), WORKERS (the number of cores), THREADS (8),
ACCESS_LOG (unset: no access log; ``-`` for standard output, or a file). Command-line
options given after ``-c`` win over these.

Request sizes: gunicorn bounds the request line and headers (``limit_request_*``, its
defaults) but not bodies; the app refuses a body over MAX_CONTENT_LENGTH (20 MB) with 413
from its Content-Length, before reading it, and nginx in front (deploy/) refuses larger ones
at the edge (``client_max_body_size``).
"""
import gc
import logging
import os
import signal

# The app's own log lines (security events, start-up, the index: INFO and up; libraries:
# WARNING and up) on standard error beside gunicorn's; gunicorn configures only its own.
logging.basicConfig(level=logging.WARNING,
                    format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s")
for _package in ("dictionary", "lessons", "search_index"):
    logging.getLogger(_package).setLevel(logging.INFO)
# Off in the parent while it loads the app and the tables, frozen before each fork and on
# again in each worker (dictionary/processes.py).
gc.disable()

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WORKERS") or os.cpu_count() or 1)
worker_class = "gthread"
threads = int(os.environ.get("THREADS") or 8)
preload_app = True
# A worker whose main loop has not answered gunicorn for this long is killed and replaced.
# Requests run in the worker's threads and do not stall that loop; large imports run in the
# background import worker, not in a request.
timeout = 60
graceful_timeout = 30  # on stop or reload: requests in progress may finish for this long
keepalive = 5
accesslog = os.environ.get("ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
proc_name = "tu-dien"
# gunicorn 25+ opens a control socket under ~/.gunicorn; nothing here uses it, and two
# servers on one machine (tests, the benchmark) would share its path.
control_socket_disable = True


def pre_fork(server, worker):
    from dictionary import processes

    if server.cfg.preload_app:  # (without it each worker loads the app itself, after the fork)
        processes.before_fork(server.app.wsgi())  # the app the parent loaded


def post_fork(server, worker):
    from dictionary import processes

    if server.cfg.preload_app:
        # SIGTERM is a worker's graceful stop; the parent forks a replacement.
        processes.after_fork(server.app.wsgi(),
                             recycle=lambda: os.kill(os.getpid(), signal.SIGTERM))
    else:
        gc.enable()

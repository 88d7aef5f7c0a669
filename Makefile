# The two commands of the README: `make run` and `make test`.
# Both work on a fresh Debian machine as root: they install the system packages they need
# (only when missing), create .venv/, install the project into it and do the rest.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app dictionary
HOST ?= 127.0.0.1
PORT ?= 5000
THREADS ?= 8
# gunicorn worker processes (deploy/gunicorn.conf.py), each with THREADS threads: one per core.
# Request bodies: the app refuses one over MAX_CONTENT_LENGTH (20 MB) from its length, before
# reading it; nginx in front (deploy/) bounds them at the edge.
WORKERS ?= $(shell nproc)

# PyICU has no wheels: it compiles against ICU. ffmpeg processes recordings; espeak-ng is the
# offline voice for Vietnamese (never Hrê or Co). Chromium drives the browser tests.
APT_RUN := libicu-dev pkg-config g++ ffmpeg espeak-ng
APT_TEST := chromium nginx postgresql  # postgresql: make test's second run; nginx: the deploy/ site runs in front of the app (tests/test_deploy.py)

PO_FILES := $(wildcard dictionary/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test test-sqlite test-postgres setup translations sysdeps-run sysdeps-test bench bench-http clean

# The audio worker never searches: it does not load the search tables (hundreds of MB at
# 100,000 entries), as the systemd unit in deploy/ says too.
run: $(VENV)/.installed translations
	$(FLASK) setup
	$(FLASK) lessons import --quiet
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C to stop), with the audio worker beside it"
	trap 'kill 0' EXIT; DICTIONARY_INDEX_WARM_UP=false $(FLASK) audio work & \
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) \
	  $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py 'dictionary:create_app()'

# One pytest worker per core (pytest-xdist); the browser tests share one worker, one after
# another (tests/conftest.py). The 10 slowest tests are listed at the end.
# One file without workers: make test PYTEST_ARGS="-n 0 tests/test_api.py"
# The whole suite runs twice: on SQLite files, then on a throw-away PostgreSQL server
# (tests/with_postgres.sh: initdb in a temporary folder, removed at the end); both always run,
# and either failing fails the target. One backend only: make test-sqlite / make test-postgres.
PYTEST := $(PY) -m pytest -n auto --dist loadgroup --durations=10 $(PYTEST_ARGS)
test: $(VENV)/.installed-test translations
	@status=0; \
	echo "== the test suite on SQLite"; $(PYTEST) || status=1; \
	echo "== the test suite on PostgreSQL"; tests/with_postgres.sh $(PYTEST) || status=1; \
	exit $$status

test-sqlite: $(VENV)/.installed-test translations
	$(PYTEST)

test-postgres: $(VENV)/.installed-test translations
	tests/with_postgres.sh $(PYTEST)

bench: $(VENV)/.installed
	$(PY) bench/search_bench.py

# Our search over HTTP against Datasette on the same data (bench/README.md); installs wrk
# (Debian) and Datasette (bench/.venv-datasette, pip) when missing. BENCH_ARGS="--sizes bundled"
bench-http: $(VENV)/.installed translations
	$(PY) bench/http_bench.py $(BENCH_ARGS)

translations: $(MO_FILES)

%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d dictionary/translations -D messages -i $< -o $@

sysdeps-run:
	@missing=$$(for p in $(APT_RUN); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

sysdeps-test: sysdeps-run
	@missing=$$(for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt | sysdeps-run
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed | sysdeps-test
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) instance build *.egg-info

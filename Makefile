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
# Waitress spools a request body to disk before the app sees it: cut bodies a little above
# the app's MAX_CONTENT_LENGTH (20 MB), so a huge upload never reaches the disk while a
# slightly-too-large one still gets the app's own "file too large" page. Raise both together.
MAX_REQUEST_BODY ?= 25000000

# PyICU has no wheels: it compiles against ICU. ffmpeg processes recordings; espeak-ng is the
# offline voice for Vietnamese (never Hrê or Co). Chromium drives the browser tests.
APT_RUN := libicu-dev pkg-config g++ ffmpeg espeak-ng
APT_TEST := chromium

PO_FILES := $(wildcard dictionary/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test setup translations sysdeps-run sysdeps-test bench clean

run: $(VENV)/.installed translations
	$(FLASK) setup
	$(FLASK) lessons import --quiet
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C to stop), with the audio worker beside it"
	trap 'kill 0' EXIT; $(FLASK) audio work & \
	$(VENV)/bin/waitress-serve --listen=$(HOST):$(PORT) --threads=$(THREADS) --max-request-body-size=$(MAX_REQUEST_BODY) --call dictionary:create_app

# One pytest worker per core (pytest-xdist); the browser tests share one worker, one after
# another (tests/conftest.py). The 10 slowest tests are listed at the end.
# One file without workers: make test PYTEST_ARGS="-n 0 tests/test_api.py"
test: $(VENV)/.installed-test translations
	$(PY) -m pytest -n auto --dist loadgroup --durations=10 $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(PY) bench/search_bench.py

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

# NELLM: `make demo` serves the site on the embedded default; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint install-base install-dev browser serve migrate clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install-base: $(PY)
	$(PIP) install --quiet -r requirements/base.txt

# torch first, from the CPU wheel on this machine's disk, so the ML extras reuse it.
install-dev: $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -r requirements/dev.txt

# Debian's chromium for the browser tests, and a Korean font so screenshots are readable.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi nanum || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum) >/dev/null 2>&1 \
	    || echo "browser: could not install chromium; browser tests will be skipped"; }

migrate: install-base
	$(PY) manage.py migrate --noinput

# The demo runs with DEBUG off (error pages never show code or data) over plain HTTP on
# localhost, with a secret key made once for this checkout. Clients connect directly: no
# --proxy-headers and no NELLM_TRUSTED_PROXIES, so a forwarding header counts for nothing.
DEMO_ENV = DEBUG=0 SECRET_KEY="$$(cat .demo-secret)" SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 \
	CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0

.demo-secret: | $(PY)
	$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

demo: migrate .demo-secret
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_chats
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "낼름 demo: http://$(HOST):$(PORT)/"
	$(DEMO_ENV) $(VENV)/bin/daphne -b $(HOST) -p $(PORT) nellm_site.asgi:application

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-dev browser lint
	$(VENV)/bin/pytest

# The rules path at scale (issue 13; figures in benchmarks/RESULTS.md): 200 buyers for 60 s, then
# 1,000 sockets with 100 of them haggling, through daphne + channels_redis + Celery + PostgreSQL +
# Redis. Needs PostgreSQL (user postgres, no password) and Redis on 127.0.0.1, e.g.
# `docker compose up -d postgres redis` with their ports published; each run makes and drops its
# own database and keeps to its own Redis prefixes on db 11.
# Each prints its CPU milliseconds per reply and per handshake (daphne, the worker, PostgreSQL,
# Redis); `make bench BENCH_SECONDS=10` is a quick check that the stack runs.
BENCH_SECONDS ?= 60
bench: install-base
	$(PY) benchmarks/bench_scale.py --buyers 200 --seconds $(BENCH_SECONDS)
	$(PY) benchmarks/bench_scale.py --sockets 1000 --buyers 100 --seconds $(BENCH_SECONDS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache .demo-secret

# CodeAhead: `make run` serves the site, `make test` checks everything. See README.md.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check db db-stop migrate demo serve worker check-deploy clean

# The development server and one task worker (mail), together; Ctrl-C stops both (bin/run).
run: db migrate demo
	@echo "CodeAhead is serving on http://$(HOST):$(PORT)/ with a task worker (Ctrl-C stops both)"
	$(PY) bin/run $(HOST):$(PORT)

test: db lint node_modules/.installed
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

# The checkers the tests run on every page (axe-core, vnu-jar): pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# The virtualenv is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || "$$(bin/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

# Starts the project-local PostgreSQL unless DATABASE_URL points elsewhere.
db: $(VENV)/.installed
	@if [ -z "$$DATABASE_URL" ]; then bin/localdb start; fi

db-stop:
	bin/localdb stop

migrate: db
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

# Demo rows (codes, and CareerCenter's employers and jobs), then the complete public-domain
# code sets the first time (skipped once loaded).
demo: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py load_demo_jobs
	$(PY) manage.py import_codes hcpcs --if-not-loaded
	$(PY) manage.py import_codes icd10cm --if-not-loaded
	$(PY) manage.py import_codes icd10pcs --if-not-loaded

# Production server: gunicorn with DEBUG off. Needs SECRET_KEY and ALLOWED_HOSTS (see README);
# HTTPS=false to try it over plain HTTP on this machine.
serve: migrate
	DEBUG=false $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=false $(VENV)/bin/gunicorn --config codeahead/gunicorn.conf.py

# Production task worker, beside `make serve`: sends the mail and runs the other background
# tasks. Run one or more under systemd with Restart=always (see README, Deploying).
worker: migrate
	$(PY) manage.py tasks_recover
	DEBUG=false $(PY) manage.py db_worker --queue-name '*' --no-reload

# Django's deployment checklist against the production settings; warnings fail it.
check-deploy: $(VENV)/.installed
	DEBUG=false SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-codeahead.example}" \
	$(PY) manage.py check --deploy --fail-level WARNING

# Everything make run, make serve and make test created: the database cluster (stopped first),
# the virtualenv, collected static files, the package metadata pip writes and the tool caches.
clean:
	bin/localdb destroy
	rm -rf $(VENV) node_modules staticfiles codeahead.egg-info .hypothesis .mypy_cache .pytest_cache .ruff_cache test-results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Fault injection on a throwaway PostgreSQL (never .pg): two gunicorn servers sharing it, the
# scale-out promises, a database restart while idle and one under 60 s of load at 64 connections.
# Writes ops/results/faults.json; exits 1 when a promise fails or a request fails outside the
# restart. FAULTS_REDIS=1 also runs the promises with REDIS_URL (installs redis-server if missing).
.PHONY: faults
faults: $(VENV)/.installed
	$(PY) -m ops.faults

# Load test: gunicorn with the production settings against the database codeahead_bench of the
# project-local PostgreSQL (public code sets plus generated volume, built on first use and kept),
# loaded by wrk from Debian's packages; prints a table and writes bench/results/latest.json.
# BENCH_FRESH=1 rebuilds codeahead_bench; BENCH_ARGS passes options (bench/run.py --help).
.PHONY: bench
bench: $(VENV)/.installed
	bin/localdb start
	$(PY) bench/run.py $(if $(filter 1 true yes,$(BENCH_FRESH)),--fresh) $(BENCH_ARGS)

# CasePilot's judged set (bench/casepilot_judged.toml) against the project-local database: the
# share of answers citing their expected sources, the default engine's p50/p95 answer time and
# the memory answering adds to a worker. Load the public code sets first (make demo).
.PHONY: bench-casepilot
bench-casepilot: db
	$(PY) manage.py casepilot_judge

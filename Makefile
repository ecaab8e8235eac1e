# CodeAhead: `make run` serves the site, `make test` checks everything. See README.md.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check db db-stop migrate demo serve-dev clean

run: db migrate demo
	@echo "CodeAhead is serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: db lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

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

demo: migrate
	$(PY) manage.py load_demo

clean: db-stop
	rm -rf $(VENV) .pg

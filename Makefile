# TOS: the two commands of the README are `make run` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate seed serve worker beat clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

## make run: install on first use, migrate, load the demo terminal once, serve everything.
run: $(STAMP)
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## make test: ruff, then the full pytest suite.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: $(STAMP)
	$(PY) manage.py seed_demo

## Server mode pieces (DATABASE_URL and REDIS_URL set): web, worker and beat as separate processes.
serve: $(STAMP)
	$(PY) manage.py serve --host $(HOST) --port $(PORT) --no-worker

worker: $(STAMP)
	$(VENV)/bin/celery -A tos worker -Q default,solvers -O fair --loglevel INFO

beat: $(STAMP)
	$(VENV)/bin/celery -A tos beat --loglevel INFO

clean:
	rm -rf $(VENV) var

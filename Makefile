# The two commands: `make run` serves the portal with a worker; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
MINUTES ?= 30
# The suite's parallel processes (each with its own test database, broker and media folder).
TEST_PROCESSES ?= 2

.PHONY: run test lint typecheck migrate seed worker bench soak clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_sandbox
	$(PY) manage.py runportal $(HOST):$(PORT)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest --numprocesses $(TEST_PROCESSES) --dist loadfile

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy portal activities learners uploads webservices emails sandbox

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_sandbox

worker: $(VENV)/.installed
	REMAP_SIGTERM=SIGQUIT $(VENV)/bin/celery -A portal worker --beat --loglevel INFO

# `make run`'s stack (embedded default, fresh var/soak/) under load for MINUTES; prints figures.
soak: $(VENV)/.installed
	rm -rf var/soak
	env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL -u SITE_URL VAR_DIR=var/soak \
		$(PY) manage.py soak --minutes $(MINUTES)

bench: $(VENV)/.installed
	$(PY) manage.py bench_engine --rows 2500

clean:
	rm -rf var/

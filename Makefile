# The two commands a new user needs: `make run` and `make test`.
# Defaults need nothing installed (SQLite, tasks in-process); set DATABASE_URL / REDIS_URL to use
# PostgreSQL and Redis with a real Celery worker.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrations messages worker beat periods reminders bench clean help

help:
	@echo "make run    set up, migrate, seed the demo once, serve on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (browser tests included when chromium is there)"
	@echo "make lint   ruff check and format check"
	@echo "make bench  the cockpit's benchmark at group scale in PostgreSQL (bench/README.md)"

# The virtual environment, with exactly the locked dependencies.
$(BIN)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# uv is in the lock itself, so after the first sync the venv has it (and no pip).
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	VIRTUAL_ENV=$(VENV) $(BIN)/uv sync --locked --active --quiet
	touch $@

venv: $(BIN)/.installed

run: $(BIN)/.installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py open_periods
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py rollup
	@echo ""
	@echo "  Portal: http://$(HOST):$(PORT)/   API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "  Demo logins (password portal-demo): leader, officer, admin, manager, reporter, reporter2"
	@echo ""
ifdef REDIS_URL
	DEBUG=$${DEBUG:-true} $(BIN)/celery -A portal worker --beat --loglevel=INFO --concurrency=2 & \
	  trap 'kill %1' EXIT INT TERM; \
	  DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)
else
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)
endif

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations: $(BIN)/.installed
	$(BIN)/python manage.py makemigrations

# Extract and compile translations (needs GNU gettext: apt-get install gettext), then list any
# string still without a Chinese translation. Translate with scripts/po_set.py or by hand.
messages: $(BIN)/.installed
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=static/vendor --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv
	$(BIN)/python scripts/po_set.py locale/zh_Hans/LC_MESSAGES/django.po

worker: $(BIN)/.installed
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: $(BIN)/.installed
	$(BIN)/celery -A portal beat --loglevel=INFO

# The reporting jobs without Celery, e.g. make reminders TODAY=2026-11-20
periods: $(BIN)/.installed
	$(BIN)/python manage.py open_periods $(if $(TODAY),--today $(TODAY))

reminders: $(BIN)/.installed
	$(BIN)/python manage.py send_reminders $(if $(TODAY),--today $(TODAY))

# The cockpit at group scale (10,000 projects, a million reports) in PostgreSQL: DATABASE_URL, or
# postgres://postgres@127.0.0.1:5432/pmc_bench. Prints a table, writes bench/results.json.
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

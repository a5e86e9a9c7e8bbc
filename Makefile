# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test lint typecheck pytest install install-dev lock migrate seed clean bench bench-notifications bench-front-desk bench-audit-chain bench-read-audit messages assets screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files make the install step re-run only when the lock file changes.
$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/base.txt
	@touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	@touch $@ $(VENV)/.base-installed

# axe-core for the accessibility tests, from the npm registry, pinned by package-lock.json.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed node_modules/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

# Fresh machine to a served app: venv, locked deps, migrations, demo data, server.
run: seed
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@echo ""
	@echo "  Hospital platform: http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo ""
	$(BIN)/uvicorn hospital.asgi:application --host $(HOST) --port $(PORT) --no-access-log

# Screenshots of the main pages (every role, 1280 and 390 px, light and dark) in
# docs/screenshots/, on the demo data, in Chromium.
screenshots: install-dev
	$(BIN)/pytest -p no:cacheprovider tests/e2e/screenshots.py

# static/js/site.js from static/js/parts/ (tests/web/test_assets.py says when it is due).
assets: install
	$(BIN)/python manage.py build_assets

# The Spanish and Arabic catalogues from the marked strings (then translate the new entries
# in locale/es and locale/ar), and the English one that puts allauth's Title Case in
# sentence case; tests/web/test_translations.py and test_wording.py say when it is due.
messages: install
	$(BIN)/python manage.py catalogues
	$(BIN)/python locale/sentence_case.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy .

pytest: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Benchmarks (PostgreSQL, Redis db 8 and RabbitMQ on 127.0.0.1): rebuilds the hospital_bench
# database, measures against granian with a ceiling view, writes docs/benchmarks.md. About
# 25 minutes; `make bench BENCH_QUICK=1` runs everything shortened in about 5.
BENCH_QUICK ?=
bench: install-dev
	command -v wrk >/dev/null || apt-get install -y wrk
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python bench/run.py

# The notification pipeline (PostgreSQL, Redis db 9, RabbitMQ): 10,000 events to a real SMTP
# server through a 2-process worker, and one change fanned out to 1,000 WebSockets; writes its
# part of docs/benchmarks.md. About 5 minutes.
bench-notifications: install-dev
	$(BIN)/python -m bench.notifications

# The reception's patient finder on a register of 100,000 patients (BENCH_DESK_PATIENTS):
# its query by date of birth, name and phone, the indexes it is planned on, and the CPU of
# the finder's page and the patient's home page (PostgreSQL, Redis db 10); writes its part of
# docs/benchmarks.md. `make bench-front-desk BENCH_QUICK=1` makes 50 calls of each, not 200.
bench-front-desk: install-dev
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python -m bench.front_desk

# The audit chain (bench/audit_chain.py): 32 writers with and without the sealer, then a trail
# of 10,000,000 rows sealed and verified; its own database. About 25 minutes;
# `make bench-audit-chain BENCH_AUDIT_ROWS=1000000` for a shorter trail.
BENCH_AUDIT_ROWS ?= 10000000
bench-audit-chain: install-dev
	BENCH_AUDIT_ROWS=$(BENCH_AUDIT_ROWS) $(BIN)/python -m bench.audit_chain

# Read auditing's cost on the appointments list and my-appointments page (bench/read_audit.py),
# audited and not, on the bench database (built first when missing).
bench-read-audit: install-dev
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python -m bench.read_audit

# Regenerate the lock files from pyproject.toml (needs network access to the package index).
lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --quiet -o requirements/dev.txt

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache node_modules

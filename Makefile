# ClinicDesk: `make run` starts the app, `make test` runs every check. Both create .venv and
# install what they need on a fresh machine (python3 with venv, and make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m clinicdesk.ui.shell.qt_check
	$(BIN)/clinicdesk $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check clinicdesk tests
	$(BIN)/ruff format --check clinicdesk tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# The tests spread over the cores (pytest-xdist), each worker its own process; those that
# load APSW (the sync engine's own SQLite) run after the rest, in processes of their own.
PYTEST_WORKERS ?= auto

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not apsw"
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m apsw

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

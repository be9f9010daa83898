# ClinicDesk: `make run` starts the app, `make test` runs every check. Both create .venv and
# install what they need on a fresh machine (python3 with venv, and make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench installer installer-test installer-bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m clinicdesk.ui.shell.qt_check
	$(BIN)/clinicdesk $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check clinicdesk tests installer
	$(BIN)/ruff format --check clinicdesk tests installer
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

# The frozen app (PyInstaller, build_installer.spec) in dist/ClinicDesk, and on Linux the
# per-user archive dist/ClinicDesk-<version>-linux-<machine>.tar.gz; sizes are printed.
INSTALLER_STAMP := $(VENV)/.installer-tools

$(INSTALLER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[installer]'
	touch $(INSTALLER_STAMP)

installer: $(INSTALLER_STAMP)
	$(BIN)/python installer/build.py

# Builds it, installs it into a temporary home away from the checkout and runs its smoke test.
installer-test: installer
	$(BIN)/python installer/check.py

# The frozen app's start-up against a frozen bare PySide6 window (both built for the run).
installer-bench: $(INSTALLER_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench frozen-startup

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist

# Two commands work on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit install install-test bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[viz,neo4j,match]'
	touch $@

# The ftm extra (followthemoney -> PyICU) needs libicu-dev pkg-config g++: always in CI (.ci/run
# installs them, and the FtM validation tests fail without it there), elsewhere when PyICU builds.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	case "$$(echo "$${CI:-}" | tr A-Z a-z)" in ""|0|false|no|off) \
	  $(BIN)/pip install -q -e '.[test,ftm]' >/dev/null 2>&1 || echo "note: the ftm extra did not install" \
	    "(PyICU needs libicu-dev pkg-config g++); the FtM validation tests will skip";; \
	  *) $(BIN)/pip install -q -e '.[test,ftm]';; esac
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/ownergraph demo

lint: install-test
	$(BIN)/ruff check ownergraph tests bench

typecheck: install-test
	$(BIN)/mypy ownergraph

unit: install-test
	$(BIN)/pytest -q

test: lint typecheck unit

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) ownergraph-demo ownergraph-data .pytest_cache .mypy_cache .ruff_cache

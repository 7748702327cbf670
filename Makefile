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

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
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

# `make demo` and `make test` each build .venv from pyproject.toml on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS := test,examples,notebooks,progress

.PHONY: test demo lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
	  || { echo "PYTHON=$(PYTHON) does not run or is older than 3.11; pass e.g. make test PYTHON=python3.12"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check dynax tests benchmarks
	$(BIN)/ruff format --check dynax tests benchmarks

# The suite and the notebooks (executed by nbmake, their committed outputs left as they are).
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -ra -n 2 --durations=10 tests --nbmake notebooks
	@echo "dynax: lint clean, all tests and notebooks passed."

demo: $(STAMP)
	$(BIN)/python -m dynax.demo

format: $(STAMP)
	$(BIN)/ruff check --fix dynax tests benchmarks
	$(BIN)/ruff format dynax tests benchmarks

clean:
	rm -rf $(VENV) demo-output

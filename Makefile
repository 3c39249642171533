# One command per task: `make demo`, `make test`, `make bench`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WORKSPACE := build/demo-workspace

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[examples,dev]"
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_WORKSPACE)
	$(BIN)/python examples/digits/run_demo.py --workspace $(DEMO_WORKSPACE)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/orchestration.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

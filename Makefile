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
	# Bytecode is compiled at install, as pip does: with PYTHONDONTWRITEBYTECODE set, nothing would ever
	# compile it, and every command would pay for compiling its imports again.
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[examples,dev,dask,server]"
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_WORKSPACE)
	$(BIN)/python examples/digits/run_demo.py --workspace $(DEMO_WORKSPACE)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# tests/server/test_curl_from_docs.py runs the docs' `curl` trigger with real curl: install it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

test: lint
	command -v curl >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq curl; }
	$(BIN)/pytest -q

# The benchmark against DVC needs dvc, kept out of .venv (and so out of `make test`) in a venv of its own.
BENCH_VENV := .bench-venv
BENCH_BIN := $(BENCH_VENV)/bin
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: bench-venv

$(BENCH_STAMP):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_BIN)/pip install --quiet --disable-pip-version-check uv
	$(BENCH_BIN)/uv pip install --quiet --compile-bytecode --python $(BENCH_BIN)/python dvc
	touch $(BENCH_STAMP)

bench-venv: $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python bench/orchestration.py
	$(BIN)/python bench/reuse_vs_dvc.py --dvc $(BENCH_BIN)/dvc
	$(BIN)/python bench/targets.py
	$(BIN)/python bench/leases.py
	$(BIN)/python bench/server.py
	$(BIN)/python bench/schedules.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) build .pytest_cache .mypy_cache .ruff_cache

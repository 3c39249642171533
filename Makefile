# One command per task: `make demo`, `make test`, `make bench`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WORKSPACE := build/demo-workspace

.PHONY: demo test lint bench clean portal api-client

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml | $(BIN)/python
	# Bytecode is compiled at install, as pip does: with PYTHONDONTWRITEBYTECODE set, nothing would ever
	# compile it, and every command would pay for compiling its imports again.
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[examples,dev,dask,server,s3,data]"
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

# The portal (ui/) built into src/duto/server/portal/, with the machine's Node.js or one from PyPI (see the script).
portal: $(STAMP)
	$(BIN)/python tools/portal_build.py

# The API client the portal is typed against, regenerated from the server's OpenAPI document; it must match the
# committed one, so the portal and the API cannot drift apart unnoticed.
api-client: $(STAMP)
	$(BIN)/python -m duto.server.openapi_document ui/openapi.json
	$(BIN)/python tools/portal_build.py npm run gen:api --silent
	@git diff --quiet --exit-code -- ui/openapi.json ui/src/api/schema.d.ts || { \
	  git diff --stat -- ui/openapi.json ui/src/api/schema.d.ts; \
	  echo "The API changed but the portal's client did not: commit the regenerated ui/openapi.json and"; \
	  echo "ui/src/api/schema.d.ts (written just now by 'make api-client'), and fix the portal where they broke it."; \
	  exit 1; }

# Ends with the workspace served in the background: open the sign-in URL it prints to see the run in the portal.
demo: portal
	-[ -d $(DEMO_WORKSPACE)/.duto ] && $(BIN)/duto server stop --workspace $(DEMO_WORKSPACE) >/dev/null 2>&1
	rm -rf $(DEMO_WORKSPACE)
	$(BIN)/python examples/digits/run_demo.py --workspace $(DEMO_WORKSPACE)
	$(BIN)/duto server --detach --workspace $(DEMO_WORKSPACE)
	@echo "The portal: open the sign-in URL above. Stop the server with: $(BIN)/duto server stop --workspace $(DEMO_WORKSPACE)"

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench tools hatch_build.py
	$(BIN)/ruff format --check src tests examples bench tools hatch_build.py
	$(BIN)/mypy
	$(BIN)/lint-imports

# tests/server/test_curl_from_docs.py runs the docs' `curl` trigger with real curl: install it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# tests/portal drives the machine's Chromium (Debian's package; playwright's own browser downloads are not used).
test: lint portal api-client
	command -v curl >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq curl; }
	command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	$(BIN)/python tools/portal_build.py npm test --silent
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
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/batch_scoring.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .build-venv build .pytest_cache .mypy_cache .ruff_cache src/duto/server/portal ui/node_modules

# rcgrad: every target builds .venv itself when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPEC   ?= ../shared/ringcentral/rc-public-openapi.yml
PLAN   ?= plans/example.yaml
ARGS   ?=

.PHONY: install test lint bench graduate warmup status check sandbox catalog conformance reliability clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check runner tests bench
	$(BIN)/ruff format --check runner tests bench
	$(BIN)/mypy

# The fault matrix on its own, with its table (make test runs it too).
reliability: $(STAMP)
	$(BIN)/python -m pytest -q -m reliability

bench: $(STAMP)
	$(BIN)/python -m bench

graduate: $(STAMP)
	$(BIN)/rcgrad graduate $(PLAN) $(ARGS)

warmup: $(STAMP)
	$(BIN)/rcgrad warmup $(PLAN) $(ARGS)

status: $(STAMP)
	$(BIN)/rcgrad status $(PLAN) $(ARGS)

check: $(STAMP)
	$(BIN)/rcgrad check $(PLAN) $(ARGS)

sandbox: $(STAMP)
	$(BIN)/rcgrad sandbox $(ARGS)

# Regenerate runner/rc/data/catalog.json and requests.json, and the sandbox's responses.json,
# from RingCentral's public OpenAPI spec (SPEC=path).
catalog: $(STAMP)
	@test -f "$(SPEC)" || { echo "make catalog: no spec at $(SPEC); get rc-public-openapi.yml (RingCentral's public OpenAPI spec, see docs/ringcentral.md) and run: make catalog SPEC=path/to/rc-public-openapi.yml" >&2; exit 2; }
	$(BIN)/python -m runner.rc.catalog_build $(SPEC) runner/rc/data/catalog.json
	$(BIN)/python -m runner.rc.requests_build $(SPEC) runner/rc/data/requests.json
	$(BIN)/python -m runner.sandbox.responses_build $(SPEC) runner/sandbox/data/responses.json
	$(BIN)/python -m runner.sandbox.status_gaps $(SPEC) docs/sandbox-status-codes.md

# Schemathesis against the local sandbox with RingCentral's spec: operations failing each check.
CONFORMANCE_TIME ?= 900
conformance: $(STAMP)
	$(BIN)/python -m tests.conformance $(SPEC) --max-time $(CONFORMANCE_TIME) $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

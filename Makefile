# rcgrad: every target builds .venv itself when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPEC   ?=
# RingCentral's spec: SPEC=path, else $$RCGRAD_SPEC, ../shared/ringcentral/ or the cache `make spec` fills.
FIND_SPEC = $(if $(SPEC),$(SPEC),$$($(BIN)/python -m runner.rc.spec_source))
PLAN   ?= plans/example.yaml
ARGS   ?=
UNIT   := not (loopback or postgres or subprocess or reliability)

.PHONY: install test unit lint bench graduate warmup status check sandbox spec catalog conformance reliability clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	@# setuptools warns (a UserWarning) on every editable install of a flat layout, which rcgrad is by design.
	@echo "installing rcgrad and its development tools into $(VENV)"
	@PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install -q -e '.[dev]'
	@# An editable install leaves rcgrad uncompiled; where PYTHONDONTWRITEBYTECODE is set (CI images)
	@# every run would compile it again, a third of check's start-up.
	@$(BIN)/python -m compileall -q runner
	@touch $(STAMP)

install: $(STAMP)

# Both layers. The integration tests mostly wait (on a sandbox, a subprocess, PostgreSQL), so six
# workers share two cores well; `make unit` is the unit layer alone, in one process, in seconds.
test: $(STAMP)
	$(BIN)/python -m pytest -n 6 --dist loadgroup

unit: $(STAMP)
	$(BIN)/python -m pytest -m "$(UNIT)"

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
	$(BIN)/rcgrad graduate $(PLAN)$(if $(ARGS), $(ARGS))

warmup: $(STAMP)
	$(BIN)/rcgrad warmup $(PLAN)$(if $(ARGS), $(ARGS))

status: $(STAMP)
	$(BIN)/rcgrad status $(PLAN)$(if $(ARGS), $(ARGS))

check: $(STAMP)
	$(BIN)/rcgrad check $(PLAN)$(if $(ARGS), $(ARGS))

sandbox: $(STAMP)
	$(BIN)/rcgrad sandbox$(if $(ARGS), $(ARGS))

# RingCentral's spec is RingCentral's document and stays out of the repository: this fetches it from
# its public address at the pinned commit into .cache/ (sha256 checked), for the targets and tests
# that need it.
spec: $(STAMP)
	@$(BIN)/python -m runner.rc.spec_source fetch

# Regenerate runner/rc/data/catalog.json and requests.json, the sandbox's responses.json and
# docs/sandbox-status-codes.md from RingCentral's public OpenAPI spec (SPEC=path, or `make spec`).
catalog: $(STAMP)
	@spec="$(FIND_SPEC)" && test -f "$$spec" || { echo "make catalog: no spec at '$$spec': run make spec, or make catalog SPEC=path/to/rc-public-openapi.yml" >&2; exit 2; }; \
	$(BIN)/python -m runner.rc.catalog_build "$$spec" runner/rc/data/catalog.json && \
	$(BIN)/python -m runner.rc.requests_build "$$spec" runner/rc/data/requests.json && \
	$(BIN)/python -m runner.sandbox.responses_build "$$spec" runner/sandbox/data/responses.json && \
	$(BIN)/python -m runner.sandbox.status_gaps "$$spec" docs/sandbox-status-codes.md

# Schemathesis against the local sandbox with RingCentral's spec: operations failing each check.
CONFORMANCE_TIME ?= 900
conformance: $(STAMP)
	@spec="$(FIND_SPEC)" && test -f "$$spec" || { echo "make conformance: no spec: run make spec, or pass SPEC=path" >&2; exit 2; }; \
	$(BIN)/python -m tests.conformance "$$spec" --max-time $(CONFORMANCE_TIME)$(if $(ARGS), $(ARGS))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

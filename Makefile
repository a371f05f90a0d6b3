# Two commands do all set-up: `make run` (serve the product) and `make test` (run the suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
STAMP  := $(VENV)/.installed

.PHONY: run test install lint format check clean bench i18n

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency declarations change: a second `make run` is quick.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt $(PLUGINS)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,redis]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tenantry db upgrade
	$(BIN)/tenantry demo
	$(BIN)/python run.py

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(STAMP)
	$(BIN)/tenantry db check

# After adding or changing words (core or bundled plugins): extract them into each
# language's messages.po (new ones come in empty), then compile the .mo files the app
# reads. Translate the empty entries and run it again; `tenantry i18n check` must pass.
i18n: $(STAMP)
	$(BIN)/tenantry i18n update
	$(BIN)/tenantry i18n compile
	-$(BIN)/tenantry i18n check

bench: $(STAMP)
	$(BIN)/python -m bench.throughput

clean:
	rm -rf $(VENV) instance .pytest_cache

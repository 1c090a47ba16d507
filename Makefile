# Dadras — `make run` serves the demos on http://127.0.0.1:5000 (PORT=… for another); `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DADRAS_ENV ?= development
HOST ?= 127.0.0.1
PORT ?= 5000
# `make run` serves at HOST:PORT, and its notices link there unless BASE_URL says otherwise.
RUN_ENV = BASE_URL="$${BASE_URL:-http://$(HOST):$(PORT)}"

.PHONY: run test lint translations translations-extract bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -d web/translations

# After adding or changing user-facing text: refresh the template and the fa/kk/ru catalogs, then translate.
translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project Dadras -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching

run: $(STAMP) translations
	$(BIN)/dadras db upgrade
	$(RUN_ENV) $(BIN)/dadras seed-demo
	$(RUN_ENV) $(BIN)/dadras run --host $(HOST) --port $(PORT)

# vulture finds dead code; its settings are in pyproject.toml, the false positives in vulture_whitelist.py.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/vulture

# Two processes (the machines have two cores), each test file on one of them: a file's tests share what they set up.
TEST_PROCESSES ?= 2

test: $(STAMP) translations lint
	DADRAS_ENV=testing $(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

bench: $(STAMP) translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache test-artifacts

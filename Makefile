# Thin wrappers: every target creates .venv and installs the pinned dependencies first (once).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RESULTS ?= results
PROCESSES ?= 2
# pabot starts its workers as plain `robot`: the venv's must come first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv test acceptance acceptance-slow lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## test: pytest unit and component tests (starts real moto servers and proxies on 127.0.0.1)
test: venv
	$(BIN)/pytest

# No PabotLib: the suites use none of it, and its server, in a session of its own, would outlive
# a pabot killed with SIGKILL.
PABOT := $(BIN)/pabot --processes $(PROCESSES) --no-pabotlib --outputdir $(RESULTS) --xunit xunit.xml
# Longest suites first (measured), so no process is left running one long suite alone at the end;
# a suite the file does not list runs after those it lists.
ORDERING := --ordering pabot_ordering.txt

## acceptance: the Robot Framework suites on the embedded lab, in parallel with pabot (all but `slow`)
acceptance: venv
	$(PABOT) $(ORDERING) --exclude slow suites

## acceptance-slow: the `slow` tier (TPC-H at scale factor 0.1, query spec cases tagged slow)
acceptance-slow: venv
	$(PABOT) --include slow suites

## lint: ruff, mypy and robocop
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/robocop check suites resources

## docs: keyword documentation (libdoc HTML) into docs/
docs: venv
	$(BIN)/libdoc --name Lakeproof keywords/Lakeproof/ docs/Lakeproof.html

## bench: the figures the issues name, measured side by side in one run
bench: venv
	$(BIN)/python -m lakeproof.bench

clean:
	rm -rf $(RESULTS) out .pytest_cache .mypy_cache .ruff_cache

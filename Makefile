# Two entry points for users: `make demo` and `make test`.
# Everything is installed into ./.venv from constraints.txt, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test crash fuzz fuzz-parity lint bench bench-targets docs install clean airbyte-reference airbyte-diff

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/restsync demo

# The suite in TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs it in this one.
# loadgroup: tests marked xdist_group (the parity run, tests/parity) stay on one worker.
TEST_WORKERS ?= 2
test: $(STAMP) .venv-airbyte/.installed
	$(BIN)/ruff check src tests scripts examples
	$(BIN)/mypy src
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# SIGKILL `restsync run` at 30 seeded random moments (CRASH_KILLS=N for more) and at the three
# fixed ones `make test` covers; every rerun must give the tables of a run never killed
CRASH_KILLS ?= 30
crash: $(STAMP)
	$(BIN)/python -m pytest tests/cli/crash_random.py tests/cli/test_crash_resume.py \
		--crash-kills $(CRASH_KILLS)

# Property-based config fuzzing: 3 properties x 7,000 examples (FUZZ_EXAMPLES, FUZZ_SEED to vary).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz -p no:cacheprovider \
		--hypothesis-seed=$${FUZZ_SEED:-0} --hypothesis-show-statistics

# Differential fuzzing against dlt: PARITY_EXAMPLES generated rest_api configs (200 by default)
# run through both (tests/parity/grammar.py); new examples each run, PARITY_SEED repeats one.
PARITY_EXAMPLES ?= 200
fuzz-parity: $(STAMP)
	PARITY_EXAMPLES=$(PARITY_EXAMPLES) $(BIN)/python -m pytest -n 0 -p no:cacheprovider \
		tests/parity/test_parity_generated.py $(if $(PARITY_SEED),--hypothesis-seed=$(PARITY_SEED)) \
		--hypothesis-show-statistics

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench examples
	$(BIN)/mypy src

bench: $(STAMP)
	$(BIN)/python -m bench

# Issue 11's targets: whole `restsync run` processes against dlt parallelized, 3 rounds (bench/targets.py)
bench-targets: $(STAMP)
	$(BIN)/python -m bench.targets

clean:
	rm -rf $(VENV) .venv-airbyte restsync.duckdb

# Airbyte's declarative CDK, for differential tests only: an isolated environment, never a
# dependency of restsync. make test builds it too (its versions pinned in constraints-airbyte.txt):
# a few tests in the suite run the same manifest through it and through restsync.
AIRBYTE_CDK ?= airbyte-cdk==7.39.1
.venv-airbyte/.installed: constraints-airbyte.txt
	$(PYTHON) -m venv .venv-airbyte
	.venv-airbyte/bin/python -m pip install --quiet --upgrade pip
	.venv-airbyte/bin/python -m pip install --quiet -c constraints-airbyte.txt '$(AIRBYTE_CDK)'
	touch .venv-airbyte/.installed

airbyte-reference: .venv-airbyte/.installed

airbyte-diff: $(STAMP) .venv-airbyte/.installed
	$(BIN)/python scripts/airbyte_diff.py

docs: $(STAMP)
	$(BIN)/python scripts/gen_connector_docs.py

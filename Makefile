# Two entry points for users: `make demo` and `make test`.
# Everything is installed into ./.venv from constraints.txt, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test crash lint bench docs install clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/restsync demo

test: $(STAMP)
	$(BIN)/ruff check src tests scripts examples
	$(BIN)/mypy src
	$(BIN)/python -m pytest

# SIGKILL `restsync run` at 30 seeded random moments (CRASH_KILLS=N for more) and at the three
# fixed ones `make test` covers; every rerun must give the tables of a run never killed
CRASH_KILLS ?= 30
crash: $(STAMP)
	$(BIN)/python -m pytest tests/cli/crash_random.py tests/cli/test_crash_resume.py \
		--crash-kills $(CRASH_KILLS)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench examples
	$(BIN)/mypy src

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) restsync.duckdb

docs: $(STAMP)
	$(BIN)/python scripts/gen_connector_docs.py

# Two commands on a fresh machine: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INPUT ?= seeds/*.txt
OUTPUT ?= out/

.PHONY: run test bench bench-extract soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/storywire run --input '$(INPUT)' --output $(OUTPUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

bench: $(STAMP)
	$(BIN)/python -m tests.bench.bench_cluster

bench-extract: $(STAMP)
	$(BIN)/python -m tests.bench.bench_extract

soak: $(STAMP)
	$(BIN)/python -m tests.bench.soak

clean:
	rm -rf out/ build/ *.egg-info

# Two commands on a fresh machine: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INPUT ?= seeds/*.txt
OUTPUT ?= out/

.PHONY: run test bench bench-quality bench-extract bench-history drill soak wheel flex-template clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,gcp]'
	touch $(STAMP)

# The report tests load pages in headless Chromium (Debian's package).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null

run: $(STAMP)
	$(BIN)/storywire run --input '$(INPUT)' --output $(OUTPUT)

# One test process per core (at most 4): most of the suite's time is whole pipeline runs, one core each.
test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 tests

bench: $(STAMP)
	$(BIN)/python -m tests.bench.bench_cluster

# Real pages (needs ../shared/data or STORYWIRE_DATA): clusters, events and the text-dump cleaner.
bench-quality: $(STAMP)
	$(BIN)/python -m tests.bench.bench_quality

bench-extract: $(STAMP)
	$(BIN)/python -m tests.bench.bench_extract

# A 200-document run against 0 / 50k / 1M past articles, and 100 scheduled runs + one compaction.
bench-history: $(STAMP)
	$(BIN)/python -m tests.bench.bench_history $(BENCH_ARGS)

# The kill drill at all ten commit steps (make test drills two of them).
drill: $(STAMP)
	STORYWIRE_DRILL_ALL=1 $(BIN)/python -m pytest -q tests/dataset/test_kill_drill.py

soak: $(STAMP)
	$(BIN)/python -m tests.bench.soak

# The same distribution Dataflow's --setup_file builds for its workers.
wheel: $(STAMP)
	rm -rf dist/
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist/ .
	$(BIN)/python -c "import sys, zipfile, glob; n = zipfile.ZipFile(glob.glob('dist/storywire-*.whl')[0]).namelist(); \
	missing = [p for p in ('pipeline/cli.py', 'transforms/dedup/cluster.py', 'schemas/__init__.py') if p not in n]; \
	sys.exit(f'wheel lacks {missing}' if missing else 0)"

# Needs docker and gcloud: IMAGE=REGION-docker.pkg.dev/PROJECT/REPO/storywire TEMPLATE=gs://BUCKET/storywire.json
flex-template:
	docker build -f .dataflow/Dockerfile -t $(IMAGE) .
	docker push $(IMAGE)
	gcloud dataflow flex-template build $(TEMPLATE) --image $(IMAGE) --sdk-language PYTHON \
	  --metadata-file .dataflow/metadata.json

clean:
	rm -rf out/ build/ *.egg-info

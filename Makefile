# Two entry points for a fresh machine with only python3:
#   make run   builds the network store from data/, validates the CBD facts, prints what it holds
#   make test  runs the test suite
# `make run` builds the store every `chmgraph` command opens by default ($CHMGRAPH_STORE, else
# $XDG_DATA_HOME/chmgraph/store), so the README's commands that follow it work as written.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# ckanext-dcat's parser, the DCAT consumer tests/test_dcat_consumer.py reads void.ttl with: a venv
# of its own, since CKAN pins versions of its own (tests/dcat_consumer/requirements.txt).
DCAT_VENV := $(VENV)/dcat-consumer
DCAT_STAMP := $(DCAT_VENV)/.installed

.PHONY: run test lint format docs reference bench soak clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DCAT_STAMP): tests/dcat_consumer/requirements.txt
	$(PYTHON) -m venv $(DCAT_VENV)
	$(DCAT_VENV)/bin/python -m pip install --quiet --no-deps -r tests/dcat_consumer/requirements.txt
	touch $(DCAT_STAMP)

run: $(STAMP)
	$(BIN)/chmgraph init --force
	$(BIN)/chmgraph validate data/cbd/*.ttl
	$(BIN)/chmgraph status

test: $(STAMP) $(DCAT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n auto --dist loadgroup -q
	@[ -x /usr/bin/chromium ] || echo '*** NOT RUN: the browser tests (tests/test_webui.py) need /usr/bin/chromium (apt-get install chromium) ***'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

reference: $(STAMP)
	$(BIN)/python scripts/build_reference.py

# make bench [SIZE=100k|1m|10m] [BENCH_ARGS="--only load --timeout 600"]: every benchmark beside
# its baseline (benchmarks/README.md).
SIZE ?= 100k
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --size $(SIZE) $(BENCH_ARGS)

# make soak [SOAK=--quick]: the reliability suite at length (32 clients x 5 min on a 1M network,
# 20 kills of the server and of the CLI...) and the figures of docs/reliability.md.
SOAK ?=
soak: $(STAMP)
	$(BIN)/python scripts/soak.py $(SOAK)

docs: $(STAMP)
	$(BIN)/python scripts/build_docs.py

clean:
	rm -rf $(VENV) var

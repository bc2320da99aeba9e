# Two commands for a newcomer:
#   make reproduce   install, then regenerate every figure at the scale params.yaml names
#   make test        install, then run the test suite (what CI runs)
# The virtual environment lives in .venv; torch >= 2.14 comes from the package registry.

VENV ?= .venv
PY := $(VENV)/bin/python
CORES ?= 2
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install reproduce test test-slow lint clean bench-env bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

reproduce: install
	snakemake --cores $(CORES)

test: install
	$(PY) -m pytest -m "not slow" -q

test-slow: install
	$(PY) -m pytest -m slow -q

lint: install
	snakemake --lint
	$(PY) -m ruff check src tests benchmarks

clean:
	rm -rf results logs .snakemake

# Benchmarks (never part of `make test`): speed, memory and accuracy against scikit-learn and bmi.
BENCH_VENV ?= .venv-bench
bench-env: $(BENCH_VENV)/.installed

$(BENCH_VENV)/.installed: benchmarks/requirements-peers.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r benchmarks/requirements-peers.txt
	touch $@

bench: install bench-env
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run.py --peer-python $(BENCH_VENV)/bin/python
	$(PY) benchmarks/run.py --n 10000 --d 5 --estimators ksg --repeats 7 \
		--peer-python $(BENCH_VENV)/bin/python --out benchmarks/results/ksg_10k_5x5.csv
	$(PY) benchmarks/analysis_epoch.py --epochs 3
	$(PY) benchmarks/knn_large.py --fraction 0.05
	$(PY) benchmarks/plot.py
	$(PY) benchmarks/ratios.py

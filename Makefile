# Two commands for a newcomer:
#   make reproduce   install, then regenerate every figure at the scale params.yaml names
#   make test        install, then run the test suite (what CI runs)
# The virtual environment lives in .venv; torch >= 2.14 comes from the package registry.

VENV ?= .venv
PY := $(VENV)/bin/python
CORES ?= 2
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install reproduce test test-slow lint clean

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

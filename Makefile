# Commands for a newcomer (each installs into .venv first):
#   make reproduce   fetch and check the raw data, then regenerate every figure and the report
#                    at the scale params.yaml names (DVC stage `reproduce` runs Snakemake)
#   make test        run the test suite (what CI runs)
#   make paper-scale remake the committed paper-scale tables (paper/paper_scale/; not in reproduce)
#   make plots       DVC's plots of the results as one page that opens offline (dvc_plots/offline.html)
#   make test-cluster the workflow through a real SLURM scheduler: starts a single-node SLURM on
#                    this machine (scripts/local-slurm.sh; root), runs tests/cluster, stops it
# and for versioned results (see docs/running.md):
#   make data        copy the raw datasets from the data root, check their checksums, `dvc add`
#   make pull        fetch results from the DVC remote, then tell Snakemake they are up to date
#   make push        send results (not activations or samples) to the DVC remote
# The virtual environment lives in .venv; torch >= 2.14 comes from the package registry.

VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install data reproduce paper-scale plots pull push test test-slow test-cluster lint clean bench-env bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

data: install
	infoplane data fetch
	dvc add --quiet data/raw

reproduce: install data
	dvc repro reproduce

# The paper-scale runs whose small tables are committed (paper/paper_scale/; minutes to hours).
paper-scale: install data
	dvc repro szt_binning_paper szt_binning_bins256_paper szt_training_size_paper szt_depth_paper lorenzen_quantized_paper saxe_kde_paper
	dvc repro saxe_teacher_student_paper
	dvc repro validation_gaussian_paper anti_pca_paper
	sh workflow/scripts/paper_scale.sh butakov_mnist
	dvc repro goldfeld_sp_paper
	dvc repro paper_scale_figures

# DVC restores files with fresh mtimes, in no particular order, so Snakemake would see outputs
# older than their inputs and redo finished work; and a fresh clone has no .snakemake/metadata,
# so Snakemake could not see a later params change for the pulled outputs. `--touch --forceall`
# runs no job: it marks every pulled output up to date in DAG order and records each job's
# params (files that were not pulled, e.g. activations, are left alone). It is right only after
# a pull, which restores one consistent state: the one dvc.lock and params.yaml describe.
pull: install
	dvc pull --allow-missing   # activations (push: false) are not on the remote
	snakemake --touch --forceall --cores 1 all

push: install
	dvc push

# DVC's plots as one page that opens offline (`dvc plots show` loads Vega from the network).
plots: install
	$(PY) workflow/scripts/plots_offline.py --out dvc_plots/offline.html

test: install
	$(PY) -m pytest -m "not slow and not cluster" -q

test-slow: install
	$(PY) -m pytest -m "slow and not cluster" -q

# Jobs run at nice 19 (the local slurmd's priority); the test stops the cluster it started.
test-cluster: install
	scripts/local-slurm.sh install
	nice -n 19 $(PY) -m pytest -m cluster -q -s tests/cluster

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

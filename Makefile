# Quick start: `make run` (install + full pipeline), `make test` (install + whole test suite).
# Only Python 3.11+ and make are needed: the first call bootstraps uv and the locked venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv

export KEDRO_DISABLE_TELEMETRY := true
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
# NumPy's SIMD level is pinned by the package itself (roadmap_pipelines/__init__.py), before
# NumPy loads, for every command below. Thread counts are fixed by ThreadLimitHooks.
# LightGBM's OpenMP threads spin-wait on shared cores and slow everything else down.
export OMP_WAIT_POLICY := passive

.PHONY: run test test-fast lint viz viz-build bench install clean-data repro serve

# Runs every pipeline, then records the outputs in the DVC cache and dvc.lock (`dvc commit`):
# afterwards `dvc status` is clean and `dvc repro` runs nothing. `git diff dvc.lock` then shows
# which outputs differ from the committed run (docs/dvc.md: what can differ between machines).
run: $(VENV)/.installed
	$(VENV)/bin/kedro run
	$(VENV)/bin/dvc commit --force --quiet

# The prediction service over the last run's artifacts: 127.0.0.1:8000 (HOST/PORT override).
serve: $(VENV)/.installed
	$(VENV)/bin/kedro serve

test: $(VENV)/.installed
	$(VENV)/bin/pytest

# Unit and pipeline tests only: no Kedro session on a project copy, no browser, nothing slow.
test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not e2e and not browser and not slow"

install: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/deptry src
	$(VENV)/bin/mypy

# bench_timeseries creates benchmarks/.venv-statsforecast on first use (needs PyPI once).
bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/bench_preprocessing.py
	$(VENV)/bin/python benchmarks/bench_modelling.py
	$(VENV)/bin/python benchmarks/bench_cli.py
	$(VENV)/bin/python benchmarks/bench_timeseries.py
	$(VENV)/bin/python benchmarks/bench_task_shapes.py
	$(VENV)/bin/python benchmarks/bench_serving.py

# DVC stages call `kedro`: the environment's tools go first on PATH.
repro: $(VENV)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/kedro dvc check
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/dvc repro

viz: $(VENV)/.installed
	$(VENV)/bin/kedro viz run --no-browser

# Static Kedro-Viz site in build/, with the dataset previews of the last run.
viz-build: $(VENV)/.installed
	$(VENV)/bin/kedro viz build --include-previews

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python $(PYTHON)
	touch $@

# Remove every pipeline output (data/02_intermediate … 08_reporting); raw data stays.
clean-data:
	find data -mindepth 2 -type f ! -path 'data/01_raw/*' ! -name .gitkeep ! -name .gitignore -delete

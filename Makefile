# The single entry point. Every target creates .venv and installs the project first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BANGFU := $(VENV)/bin/bangfu
STAMP := $(VENV)/.installed-stamp

.PHONY: site demo test lint bench check fmt clean

$(STAMP): pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; fi
	touch $(STAMP)

## make site: check data/ and build the public site and open data into public/
site: $(STAMP)
	$(BANGFU) check
	$(BANGFU) site --out public

## make demo: the same site from synthetic data, banner-marked, into build/demo-site/
demo: $(STAMP)
	$(BANGFU) demo --households 2000 --seed 1 --out build/demo
	$(BANGFU) site --data build/demo/data --out build/demo-site

## make test: every test (unit, golden, end-to-end, browser, frictionless, git) on one worker
## more than there are CPUs (pytest-xdist): browser and subprocess tests spend part of their time
## waiting, and a spare worker fills it. --dist loadgroup keeps the tests of a module marked
## xdist_group on one worker, so its in-memory fixtures are made once (pytest is pinned below 9.2,
## where this grouping silently stops: tests/test_suite_setup.py); the long tests (marked slow)
## are handed out first; the trees the tests share are built once per run (tests/conftest.py),
## and the commands run in the tests use one process each (BANGFU_WORKERS=1: the workers
## already keep every core busy). The run's temporary folders go to /dev/shm when it is a tmpfs
## with room and TMPDIR is not set (tests/conftest.py: temp_in_memory). The run keeps compiled
## bytecode (__pycache__/, ignored by git) even where PYTHONDONTWRITEBYTECODE is set: otherwise
## each of its processes (the workers, and the commands, MkDocs builds and benchmarks they start)
## compiles the package and rewrites the test modules again.
WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 )))
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(WORKERS) --dist loadgroup

## make lint: ruff (lint and format) and mypy (types, configured in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check scripts tests
	$(VENV)/bin/ruff format --check scripts tests
	$(VENV)/bin/mypy

check: $(STAMP)
	$(BANGFU) check

fmt: $(STAMP)
	$(BANGFU) fmt

bench: $(STAMP)
	$(BANGFU) bench

clean:
	rm -rf public build

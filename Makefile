# torchpeek: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv on a fresh machine and install everything they need.

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.torchpeek-installed

.PHONY: install demo test lint format bench check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned in the test extra (torch==2.13.0): pip takes the CPU wheel, never a CUDA build
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## install: create .venv with the package (editable) and its test extra
install: $(STAMP)

## demo: start the real server over stdio, type seed/ckpt/gpu/cv2, hover a tensor
demo: $(STAMP)
	$(PY) -m torchpeek demo

## test: lint and type-check, validate the snippet database, then every Python test
test: $(STAMP)
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/ruff format --check server tests bench
	$(VENV)/bin/mypy
	$(PY) -m torchpeek check
	$(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format server tests bench
	$(VENV)/bin/ruff check --fix server tests bench

check: $(STAMP)
	$(PY) -m torchpeek check

## bench: completion and hover benchmarks (tables with median and p99)
bench: $(STAMP)
	$(PY) bench/completion.py
	$(PY) bench/hover.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache

-include editors.mk

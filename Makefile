# Bundlecast — `make run` starts the app against the embedded demo store; `make test` runs every test.
# Both create .venv and install what is missing (system packages through scripts/install-system-deps.sh).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: run test setup system-deps lint bench bench-setup installer clean

run: setup
	bash scripts/run-app.sh $(ARGS)

# Two pytest workers by default (pytest-xdist), each test file on one worker (its module fixtures are made once):
# most tests wait on sockets, processes and decoders, so two workers take about half the time on two cores.
# TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
test: setup
	bash scripts/run-tests.sh -n $(TEST_WORKERS) --dist loadfile $(ARGS)

setup: system-deps $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Bundlecast needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check app storefront tests bench installer
	$(BIN)/mypy

bench: bench-setup
	bash scripts/run-benchmarks.sh

# The benchmarks' own tools (locust for bench/store_load.py, py-spy for its --profile): `make bench-setup` once.
BENCH_STAMP := $(VENV)/.bench-stamp
bench-setup: setup $(BENCH_STAMP)

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# dist/bundlecast/ (PyInstaller, one folder) and dist/bundlecast_<version>_<arch>.deb; see installer/README.md.
installer: setup
	$(BIN)/python -m pip install --quiet -e '.[installer]'
	$(BIN)/pyinstaller installer/bundlecast.spec --noconfirm --distpath dist --workpath build
	bash installer/linux/build-deb.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

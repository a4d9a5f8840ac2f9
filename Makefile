# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    start the server on embedded defaults (SQLite, in-process broker)
#   make test   install the test extras and run the whole suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
BENCH_INSTALLED := $(VENV)/.installed-bench
# axe-core from the npm registry, for the accessibility tests only: never served, never committed.
AXE := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: run test test-quick lint typecheck bench migrate admin clean conformance filter-eval

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(TEST_INSTALLED): pyproject.toml $(INSTALLED)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

run: $(INSTALLED)
	$(PY) -m chatserver serve

migrate: $(INSTALLED)
	$(PY) -m chatserver migrate

# The first admin account (asks for a password): make admin ADMIN=maija
ADMIN ?= admin
admin: $(INSTALLED)
	$(PY) -m chatserver users create-admin --username $(ADMIN)

$(AXE):
	@command -v npm >/dev/null || { echo "npm is needed to install axe-core for the tests (Debian: apt-get install npm)" >&2; exit 1; }
	npm install --prefix .cache/axe --no-save --no-audit --no-fund axe-core@4

# Test files run on TEST_WORKERS processes (pytest-xdist, a file's tests stay together): every
# test starts its own servers, Redis and databases on free ports, so files do not meet; on two
# cores the suite takes ~13 min instead of ~21. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadfile

# The whole suite, the long fault-injection runs (marked `slow`) included.
test: $(TEST_INSTALLED) $(AXE)
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# While working: everything but the long fault-injection runs (Redis lost for 10 s, a process
# killed mid-broadcast, the database stopped; see docs/operations.md).
test-quick: $(TEST_INSTALLED) $(AXE)
	$(PY) -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

lint: $(TEST_INSTALLED)
	$(VENV)/bin/ruff check chatserver moderation tests bench
	$(VENV)/bin/lint-imports

typecheck: $(TEST_INSTALLED)
	$(VENV)/bin/mypy

# The safety filters against the held-out corpus (tests/moderation/corpus/): precision,
# recall and F1 per category and language, and the ids they get wrong. The thresholds are
# tested in tests/moderation/test_corpus.py.
filter-eval: $(INSTALLED)
	$(PY) -m tests.moderation.corpus_eval

$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(PY) -m pip install --quiet -e '.[bench]'
	@touch $@

# BENCH_ARGS=--quick for a one-minute smoke test; see bench/README.md.
bench: $(BENCH_INSTALLED)
	$(PY) -m bench $(BENCH_ARGS)

# Autobahn|Testsuite against the production WebSocket stack; needs `wstest` on PATH
# (scripts/install-wstest.sh puts one in .wstest/bin). See docs/conformance.md.
conformance: $(TEST_INSTALLED)
	PATH="$(CURDIR)/.wstest/bin:$$PATH" $(PY) -m tests.conformance.run

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache

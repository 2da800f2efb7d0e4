# The project's habits, one target each. The venv is .venv (the README's set-up makes it).
PY ?= .venv/bin/python
BIN = $(dir $(PY))

.PHONY: test quick lint types fixtures readme fuzz bench

test: lint types  ## the README's test command: linters, mypy, every test
	$(BIN)pytest

quick:  ## the tests that need no subprocess and no framework, in about a minute
	$(BIN)pytest -q -x -m "not reference and not fuzz" --deselect tests/test_hostile.py --deselect tests/test_fuzz.py

lint:
	$(BIN)ruff check .
	$(BIN)ruff format --check .

types:  ## mypy on core/ and stats/ (pyproject.toml [tool.mypy]): clean, held so by the test command
	$(BIN)mypy

fixtures:  ## rewrite the reference fixtures from the real frameworks (needs: pip install --group reference)
	KERAS_BACKEND=torch $(PY) tests/references.py
	KERAS_BACKEND=torch $(PY) tests/references_like.py
	KERAS_BACKEND=torch $(PY) tests/references_tensors.py

readme:  ## the README's loss table and every example's output, from the code
	$(PY) scripts/update_readme.py

fuzz:  ## the long fuzz run before a release (about 15 minutes)
	$(BIN)pytest -m fuzz

bench:  ## losscli beside the plain NumPy way and the peers (see benchmarks/bench.py --help)
	$(PY) benchmarks/bench.py

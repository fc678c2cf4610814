# govsim — the two set-up commands in the README are `make demo` and `make test`.
# Both create .venv with a Python >= 3.12 found by tools/find-python.sh and install govsim into it.

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
OUT     ?= out/demo

.PHONY: demo test test-fast lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@PYTHON="$$(sh tools/find-python.sh)" || exit 1; \
	  if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/govsim demo --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(VENV)/bin/govsim bench

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache

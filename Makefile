# govsim — the two set-up commands in the README are `make demo` and `make test`.
# Both create .venv with a Python >= 3.12 found by tools/find-python.sh and install govsim into it.

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
OUT     ?= out/demo

.PHONY: demo test test-fast lint bench docs clean venv

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
	$(VENV)/bin/python benchmarks/docs_figures.py

# The documentation site (MkDocs + Material + mkdocstrings + mkdocs-jupyter), built offline into site/.
# Notebooks are rendered as stored (without outputs); serve with live reload: .venv/bin/mkdocs serve
docs: $(STAMP)
	$(PY) tools/gen_experiment_reference.py --check
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) out build site *.egg-info .pytest_cache

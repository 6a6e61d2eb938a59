# make book  - execute every notebook (profile ci) with papermill and build the HTML book
# make test  - run the test suite
# make bench - time the hot paths against their targets (_build/bench.json)
# Both create .venv and install the pinned requirements when missing.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX := node_modules/mathjax/es5/tex-chtml.js
PROFILE ?= ci
BOOK_ARGS ?=

.PHONY: book test bench install clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@echo "== creating $(VENV) and installing requirements.txt (log: $(VENV)/install.log)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q -r requirements.txt > $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@$(PY) -m pip install -q --no-build-isolation --no-deps -e . >> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

$(MATHJAX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(MATHJAX)

test: $(STAMP)
	$(PY) -m pytest

book: $(STAMP) $(MATHJAX)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m connectivity.book --profile $(PROFILE) $(BOOK_ARGS)

bench: $(STAMP)
	$(PY) -m connectivity.bench --profile $(PROFILE)

clean:
	rm -rf _build book/executed

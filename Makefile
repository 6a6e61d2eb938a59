# make book  - execute every notebook (profile ci) with papermill and build the HTML book
# make test  - run the test suite (TEST_WORKERS processes, default 2)
# make lint  - ruff format --check and ruff check on src, tests, notebooks; the library's
#              floors (lint-imports, contracts in pyproject.toml); actionlint
# make pdf   - the built book as one PDF (_build/pdf/book.pdf) through headless Chromium
# make models - train the shared classifiers missing from src/connectivity/trained_models
#               (or whose recipe changed) and write them with their manifest
# make bench - time the hot paths against their targets (_build/bench.json)
# make hooks - install the pre-commit hooks (local: the venv's ruff and actionlint)
# Every target creates .venv and installs the pinned requirements when missing.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the Jupyter kernel `connectivity`: the venv's Python on the book's portable kernels
KERNEL := $(VENV)/share/jupyter/kernels/connectivity/kernel.json
MATHJAX := node_modules/mathjax/es5/tex-chtml.js
PROFILE ?= ci
BOOK_ARGS ?=
TEST_ARGS ?=
MODELS_ARGS ?=
TEST_WORKERS ?= 2
LINT_PATHS := src tests notebooks .ci/check_pages.py .ci/book_pdf.py
WORKFLOWS := $(wildcard .github/workflows/*.yml)
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || echo chromium)
# MathJax: the local copy from npm where Node.js is (pages render offline); without Node.js
# the runner says so and the pages take MathJax from its CDN (connectivity.site)
NPM := $(shell command -v npm)
MATHJAX_IF_NODE := $(if $(NPM),$(MATHJAX))

.PHONY: book test bench lint pdf hooks install clean models

install: $(STAMP) $(KERNEL)

$(STAMP): requirements.txt pyproject.toml
	@echo "== creating $(VENV) and installing requirements.txt (log: $(VENV)/install.log)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q -r requirements.txt > $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@$(PY) -m pip install -q --no-build-isolation --no-deps -e . >> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

# a notebook opened in Jupyter with this kernel computes as the runner's notebooks do
$(KERNEL): $(STAMP) src/connectivity/kernels.py
	@$(PY) -m connectivity.kernels --install-kernel

$(MATHJAX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(MATHJAX)

test: $(STAMP) $(KERNEL)
	$(PY) -m pytest $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup) $(TEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/actionlint $(WORKFLOWS)

book: $(STAMP) $(KERNEL) $(MATHJAX_IF_NODE)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m connectivity.runner --profile $(PROFILE) $(BOOK_ARGS)

# One HTML page holding every chapter (sphinx's singlehtml builder on the executed
# notebooks of the last `make book`), printed by headless Chromium.
pdf: $(STAMP) $(MATHJAX_IF_NODE)
	@test -d book/executed || { echo "run make book first (book/executed is missing)"; exit 1; }
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) .ci/book_pdf.py --chromium "$(CHROMIUM)"

models: $(STAMP)
	$(PY) -m connectivity.model_store --profile $(PROFILE) $(MODELS_ARGS)

bench: $(STAMP)
	$(PY) -m connectivity.pages.performance --profile $(PROFILE)

hooks: $(STAMP)
	$(VENV)/bin/pre-commit install

clean:
	rm -rf _build book/executed

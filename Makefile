# Legwork: every target sets up what it needs. `make dev` and `make test` are the two
# commands a newcomer runs; the rest are steps of those or operator tools.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
LOCALSTACK_VENV := .venv-localstack
export PYTHONPATH := $(CURDIR)/scripts
export PIP_DISABLE_PIP_VERSION_CHECK := 1

STAGE ?= dev
REGION ?= us-east-1
PORT ?= 3000

.PHONY: dev dev-wait demo test lint merge build watch bench bench-build bench-local bench-ingest bench-web bench-ocr \
        deploy bootstrap pipeline versions logs destroy admin invoke clean venv chromium fonts

## Set-up ---------------------------------------------------------------------------
$(VENV)/.installed: requirements.txt layers/ocr/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q -r requirements-checkov.txt
	touch $@

$(LOCALSTACK_VENV)/.installed: requirements-localstack.txt
	test -x $(LOCALSTACK_VENV)/bin/python || $(PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCALSTACK_VENV)/bin/python -m pip install -q -r requirements-localstack.txt
	touch $@

venv: $(VENV)/.installed

# The web app's browser tests drive Debian's Chromium (Playwright cannot download its own
# here). Installed when we are root (CI is); otherwise the one command that installs it.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium. Install it with:  sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; \
	fi

## The two commands -----------------------------------------------------------------
dev: venv merge
	$(PY) -m legwork dev --port $(PORT) --static src/dashboard/site

# Exit 0 once a running `make dev` answers and its demo data is written (1 after WAIT
# seconds). Standard library only, so it can start beside a `make dev` still installing.
WAIT ?= 300
dev-wait:
	$(PYTHON) -m legwork wait-ready --port $(PORT) --timeout $(WAIT)

# Beside a running `make dev`: simulated couriers drive the demo tasks (MINUTES=5 at most; Ctrl-C stops).
MINUTES ?= 5
demo: venv
	$(PY) -m legwork demo --port $(PORT) --minutes $(MINUTES)

test: venv merge lint chromium fonts $(LOCALSTACK_VENV)/.installed
	$(PY) -m pytest -q -n 2 --dist loadgroup tests

# The receipt tests draw Chinese receipts: a CJK font (Debian's fonts-wqy-microhei).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@test -f $(CJK_FONT) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing fonts-wqy-microhei (the receipt tests draw Chinese receipts)"; \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1)) || \
	    { echo "could not install fonts-wqy-microhei; run: sudo apt-get install -y fonts-wqy-microhei"; exit 1; }; \
	  else echo "the receipt tests need a CJK font; run: sudo apt-get install -y fonts-wqy-microhei"; exit 1; fi; }

## Steps ------------------------------------------------------------------------------
merge: venv
	$(PY) -m legwork merge

lint: venv merge $(CHECKOV_VENV)/.installed
	$(PY) -m legwork lint --checkov $(CHECKOV_VENV)/bin/checkov

build: venv merge
	$(PY) -m legwork build

watch: venv
	$(PY) -m legwork watch

invoke: venv merge
	$(PY) -m legwork invoke $(FN) --port $(PORT) $(if $(EVENT),--event $(EVENT))

## Benchmarks (figures, never tests) ----------------------------------------------
bench: bench-build bench-local bench-ingest bench-web bench-ocr

bench-build: venv merge
	$(PY) -m legwork bench build

bench-local: venv merge
	$(PY) -m legwork bench local

bench-ingest: venv merge
	$(PY) -m legwork bench ingest

bench-web: venv merge chromium
	$(PY) -m legwork bench web

bench-ocr: venv merge fonts
	$(PY) -m legwork bench ocr

## Operators --------------------------------------------------------------------------
# COMMIT and ROLE_ARN: buildspec.yml passes the commit it built and the pipeline's DeployRole.
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
deploy: venv merge build
	$(PY) -m legwork deploy --region $(REGION) --stage $(STAGE) --commit "$(COMMIT)" $(if $(ROLE_ARN),--role-arn $(ROLE_ARN))

bootstrap: venv
	$(PY) -m legwork deploy --region $(REGION) --bootstrap

pipeline: venv
	$(PY) -m legwork pipeline --region $(REGION) --repo "$(REPO)" $(if $(SOURCE_TYPE),--source-type $(SOURCE_TYPE)) $(if $(PROJECT),--project $(PROJECT))

versions: venv
	$(PY) -m legwork versions $(FN) --region $(REGION) --stage $(STAGE) $(if $(KEEP),--keep $(KEEP))

logs: venv
	$(PY) -m legwork logs $(FN) --region $(REGION) --stage $(STAGE) $(if $(SINCE),--since "$(SINCE)")

destroy: venv
	$(PY) -m legwork destroy --region $(REGION) --stage $(STAGE) $(if $(CONFIRM),--confirm $(CONFIRM))

admin: venv
	$(PY) -m legwork admin --region $(REGION) --stage $(STAGE) --username $(USERNAME)

clean:
	rm -rf .aws-sam .legwork template.yaml openapi.yaml

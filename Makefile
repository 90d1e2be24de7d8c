# The two commands that matter: `make run` (local stack with demo data) and `make test` (everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
OMS_PORT ?= 3000
export PYTHONPATH := $(CURDIR):$(CURDIR)/shared
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help tools venv node run test lint typecheck unit synth deploy keys bench demo invoke clean lock

help:
	@echo "make run     - local stack with demo data on 127.0.0.1:$(OMS_PORT)"
	@echo "make test    - lint, type-check and every test"
	@echo "make synth   - write the CloudFormation template to cdk.out/"
	@echo "make deploy  - cdk deploy to the AWS account of your credentials"
	@echo "make keys STAGE=dev ROLE=admin|storefront [STOREFRONT=id] - issue an API key of a deployed stack"
	@echo "make keys STAGE=dev REVOKE=<key id> - revoke one"
	@echo "make invoke FN=api EVENT=events/api/health.json - run one function with a sample event"
	@echo "make bench   - benchmarks (cost, realistic cost, round trips, imports, routing, stock health, flash sale, channels)"

tools:
	@scripts/check-tools

$(STAMP): requirements.lock | tools
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

venv: $(STAMP)

$(NODE_STAMP): package.json package-lock.json | tools
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: $(NODE_STAMP)

run: venv
	$(PY) -m local run --port $(OMS_PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy shared/oms functions local

test: venv lint typecheck
	$(PY) -m pytest $(PYTEST_ARGS)

synth: venv node
	npx cdk synth --quiet $(CDK_ARGS)

deploy: venv node
	npx cdk deploy $(CDK_ARGS)

# Against a deployed stack with your AWS credentials; the local stack's keys come from OMS_LOCAL_*_KEY.
keys: venv
ifdef REVOKE
	$(PY) -m scripts.keys revoke $(REVOKE) --stage $(or $(STAGE),dev)
else
	$(PY) -m scripts.keys issue --stage $(or $(STAGE),dev) --role $(or $(ROLE),admin) $(if $(STOREFRONT),--storefront $(STOREFRONT))
endif

# A webhook sample is re-signed for now first: its OMS-Signature is only valid for 5 minutes.
invoke: venv
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=api EVENT=events/api/health.json" >&2; exit 2; }
ifeq ($(FN),webhooks)
	set -o pipefail; $(PY) -m scripts.sign_event $(EVENT) | $(PY) -m local invoke $(FN) /dev/stdin
else
	$(PY) -m local invoke $(FN) $(EVENT)
endif

# Every benchmark of bench/__main__.py, the realistic cost scenario (`python -m bench realistic`) included.
bench: venv
	$(PY) -m bench

demo: venv
	$(PY) -m scripts.demo

lock:
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf cdk.out .bench .pytest_cache .mypy_cache .ruff_cache

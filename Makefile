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

.PHONY: help tools venv node run test lint typecheck unit synth deploy bench demo invoke clean lock

help:
	@echo "make run     - local stack with demo data on 127.0.0.1:$(OMS_PORT)"
	@echo "make test    - lint, type-check and every test"
	@echo "make synth   - write the CloudFormation template to cdk.out/"
	@echo "make deploy  - cdk deploy to the AWS account of your credentials"
	@echo "make invoke FN=api EVENT=events/api/health.json - run one function with a sample event"
	@echo "make bench   - benchmarks (cost, round trips, imports, routing)"

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

invoke: venv
	$(PY) -m local invoke $(FN) $(EVENT)

bench: venv
	$(PY) -m bench

demo: venv
	$(PY) -m scripts.demo

lock:
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf cdk.out .bench .pytest_cache .mypy_cache .ruff_cache

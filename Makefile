# Developer shortcuts; CI runs .ci/run.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: dev test lint format types ci demo bench bench-sandbox bench-realbugs bench-llm

dev:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[test,dev]' --config-settings editable_mode=strict

test:
	$(VENV)/bin/pytest

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

types:
	cd /tmp && $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml -p selfmod

demo:
	$(VENV)/bin/selfmod demo

ci:
	bash .ci/run

bench:
	$(VENV)/bin/python bench/repair/run.py --json bench/results.json

bench-sandbox:
	$(VENV)/bin/python bench/sandbox/run.py --json bench/sandbox/results.json

# REPOS: the folder holding the projects' git repositories (owner+name/repo as fetched, or plain clones)
REPOS ?= /work/.mirror
bench-realbugs:
	cd /tmp && $(CURDIR)/$(PY) $(CURDIR)/bench/realbugs/run.py --repos $(REPOS) --json $(CURDIR)/bench/realbugs/results.json

# The LLM path against an OpenAI-compatible endpoint (e.g. ../shared/local-llm/serve.sh 8765); not part of CI.
# LLM_URL, LLM_MODEL: the endpoint and model; CANDIDATES, LLM_FLAGS (e.g. --offline-first, --set repair).
LLM_URL ?= http://127.0.0.1:8765/v1
LLM_MODEL ?= qwen2.5-coder-1.5b-instruct
CANDIDATES ?= 1
LLM_FLAGS ?=
bench-llm:
	cd /tmp && $(CURDIR)/$(PY) $(CURDIR)/bench/llm/run.py --base-url $(LLM_URL) --model $(LLM_MODEL) \
		--candidates $(CANDIDATES) --repos $(REPOS) $(LLM_FLAGS) \
		--json $(CURDIR)/bench/llm/results-c$(CANDIDATES)$(if $(findstring offline,$(LLM_FLAGS)),-offline-first,).json

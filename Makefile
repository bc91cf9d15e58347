# jomres_like: the two commands a newcomer runs are `make run` and `make test`.
#
# Every target passes the environment through untouched, so PORT, DATABASE_URL and the JOMRES_*
# variables (README, "Configuration") reach the application. `make run` alone defaults
# Development mode is a site setting: the demo data switches it on (so the demo's webhooks to loopback
# addresses work) and the administrator can switch it off; JOMRES_DEVELOPMENT=0 or 1 forces it.

PYTHON      ?= python3
VENV        := .venv
STAMP       := $(VENV)/.requirements.stamp
DEV_STAMP   := $(VENV)/.requirements-dev.stamp
FLASK       := $(VENV)/bin/flask --app app
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.PHONY: help venv .venv setup run test lint bench

help: ## List the targets
	@grep -E '^[a-z.][a-zA-Z_. -]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'

# Each stamp is rebuilt when its requirements file is newer, so repeated runs skip pip entirely.
# requirements.txt is the runtime (run, setup); requirements-dev.txt adds tests and tools (test, lint, bench).
$(STAMP): requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(VENV)/bin/pip install -r requirements-dev.txt
	@touch $@

venv .venv: $(STAMP) ## Create .venv if missing and install requirements.txt (the runtime only)

setup: $(STAMP) ## Create or upgrade the database; seed demo data on an empty one unless JOMRES_DEMO=0
	$(FLASK) setup

run: setup ## Set up, then serve with gunicorn on http://127.0.0.1:PORT (default 5000)
	@echo ""
	@echo "  jomres_like is starting on http://127.0.0.1:$${PORT:-5000}"
	@echo "  (demo data unless JOMRES_DEMO=0; the demo starts in development mode)"
	@echo ""
	@echo "  Demo logins (username / password):"
	@echo "    manager  / manager    manager of properties 1 and 2"
	@echo "    manager2 / manager2   manager of property 3"
	@echo "    super    / super      super manager"
	@echo "    admin    / admin      administrator"
	@echo ""
	export PORT="$${PORT:-5000}"; exec $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

test: $(DEV_STAMP) setup ## Install requirements-dev.txt, set up, then run the pytest suite on 2 workers (extra arguments: PYTEST_ARGS="-k webhooks -x")
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## Install requirements-dev.txt, then run ruff
	$(VENV)/bin/ruff check .

bench: $(DEV_STAMP) ## Run every bench/*.py in turn (files starting with _ are helpers)
	@set -e; for f in bench/*.py; do \
		case "$$(basename "$$f")" in _*|'*.py') continue ;; esac; \
		echo "==> $$f"; \
		$(VENV)/bin/python "$$f"; \
	done

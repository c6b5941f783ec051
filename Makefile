# Boussole — the two README commands are `make run` and `make test`; the rest are their steps.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
# The web gateway and console run apart from Rasa, with a current aiohttp (bot/web/README.md).
VENV_WEB := .venv-web
STAMP_WEB := $(VENV_WEB)/.installed
# No network at run time: Rasa must not phone home, TensorFlow must stay quiet.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: install browser nginx kb train run run-replicas test validate stories pytest eval bench lint format clean

install: $(STAMP) $(STAMP_WEB)

# Re-installs only when the lock changes; a venv built for another Python is rebuilt.
$(STAMP): requirements.txt scripts/find_python.sh
	@set -e; py=$$(scripts/find_python.sh); \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || { echo "Creating $(VENV) with $$py"; $$py -m venv $(VENV); }; \
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.2"; \
	echo "Installing pinned dependencies (about 2 minutes the first time)…"; \
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.txt; \
	$(PY) -m pip check; \
	touch $(STAMP)

$(STAMP_WEB): requirements-web.txt scripts/find_python.sh
	@set -e; py=$$(scripts/find_python.sh); \
	if [ -x $(VENV_WEB)/bin/python ] && ! $(VENV_WEB)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then rm -rf $(VENV_WEB); fi; \
	[ -x $(VENV_WEB)/bin/python ] || { echo "Creating $(VENV_WEB) with $$py"; $$py -m venv $(VENV_WEB); }; \
	$(VENV_WEB)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.2"; \
	$(VENV_WEB)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-web.txt; \
	$(VENV_WEB)/bin/python -m pip check; \
	touch $(STAMP_WEB)

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian's chromium…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "Could not install chromium: browser tests need /usr/bin/chromium." >&2; exit 1; }; }

# Debian's nginx, the one entry point of `make run-replicas` (and of the scale-out tests).
nginx:
	@command -v nginx >/dev/null 2>&1 || { echo "Installing Debian's nginx…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) \
	  || { echo "Could not install nginx: make run-replicas and the scale-out tests need it." >&2; exit 1; }; }

kb: install
	$(PY) -m bot kb load

train: install kb
	$(PY) -m bot train

run: install kb train
	$(PY) -m bot run

# N replicas of each service behind nginx, on this machine's PostgreSQL and Redis unless the
# *_DB_URL and REDIS_URL variables name others.
REPLICAS ?= 2
PG_SERVER ?= postgresql://root@127.0.0.1:5432
run-replicas: install nginx kb train
	TRACKER_DB_URL=$${TRACKER_DB_URL:-$(PG_SERVER)/boussole_tracker} \
	APP_DB_URL=$${APP_DB_URL:-$(PG_SERVER)/boussole_app} \
	KNOWLEDGE_DB_URL=$${KNOWLEDGE_DB_URL:-$(PG_SERVER)/boussole_knowledge} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(PY) -m bot run --replicas $(REPLICAS) --prepare-databases

validate: install
	$(PY) -m bot nlu sync
	$(RASA) data validate --domain domain --data data --fail-on-warnings

stories: train
	$(PY) -m bot test-stories

pytest: install browser nginx kb train
	$(PY) -m pytest

test: install browser nginx lint validate kb train stories pytest

eval: install kb
	$(PY) -m bot eval

bench: install kb train
	$(PY) -m benchmarks

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var results models .pytest_cache

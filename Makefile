# gridgov — every target installs what it needs; nothing is assumed to be on the machine but Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCALE  ?= 0.02
SEED   ?= 7
HOST   ?= 127.0.0.1
PORT   ?= 8000
CHROMIUM := /usr/bin/chromium
export PYTHONPATH := src

.PHONY: demo test test-sqlite test-pg lint bench install browser messages clean prod-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) messages
	@# The work report's charts (reports/workreport.py) need a CJK font.
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null)

# Translations are compiled at install time (.mo files are build output, not sources).
messages: $(STAMP)
	@command -v msgfmt >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null)
	@cd src/gridgov && ../../$(BIN)/django-admin compilemessages --settings=gridgov.settings -v 0

# Debian's Chromium drives the end-to-end tests (Playwright cannot download browsers here).
browser:
	@(test -x $(CHROMIUM) && dpkg -s fonts-noto-cjk >/dev/null 2>&1) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

demo: install
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py generate_city --scale $(SCALE) --seed $(SEED) --if-empty
	$(BIN)/python manage.py demo_logins --url http://$(HOST):$(PORT)/
	$(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# Before a deployment goes live, with its production environment loaded (docs/deploy.md): Django's and the
# platform's deployment checks (keys, secrets, services), unapplied migrations, and the services answering.
prod-check: install
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --check
	$(BIN)/python manage.py healthcheck

# Each benchmark measures ours and a peer in the same run and ends with `ratio: N`.
bench: install
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info

# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint format bench clean browser messages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(STAMP)

run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
	$(PY) manage.py serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Debian's chromium for the browser tests (tests/browser); quick when already installed.
browser:
	scripts/ensure-browser

test: lint browser
	$(PY) -m pytest $(if $(CI),--create-db -p no:cacheprovider,) $(PYTEST_ARGS)

# Regenerate the de/nl message catalogues from the code and templates, and compile them (the .mo
# files are committed, so running the platform needs no gettext).
messages: install
	scripts/ensure-apt gettext
	$(PY) manage.py makemessages --no-obsolete --no-location -l de -l nl \
		--ignore .venv --ignore var --ignore tests --ignore bench --ignore static --ignore artifacts
	$(PY) manage.py compilemessages --ignore .venv

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache

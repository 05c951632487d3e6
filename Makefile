# Werkplaats. Quick start: `make run`, `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export LOCAL_HTTP ?= 1

.PHONY: run test setup migrate demo lint messages bench prod-local clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes, so a second `make run` starts in seconds.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	$(BIN)/daphne -b $(HOST) -p $(PORT) community.asgi:application

test: setup
	@mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	PYTHONPATH=. $(BIN)/lint-imports

messages: setup
	$(BIN)/python manage.py makemessages -l nl -l en --no-obsolete --ignore=.venv --ignore=var --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: setup
	bash bench/run && bash bench/live && bash bench/notifications && bash bench/faults

prod-local: setup
	bash scripts/prod-local

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache

# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run serve test lint format bench bench-scale profile mutate clean

help:
	@echo "make run    install, migrate, import the bundled bank, serve http://127.0.0.1:$(PORT)/"
	@echo "make test   install test tools, run ruff, mypy, the migrations check and the whole test suite"
	@echo "make serve  production mode: collectstatic, migrate, gunicorn (needs DJANGO_SECRET_KEY)"
	@echo "make bench  load benchmark against gunicorn + PostgreSQL (see docs/performance.md)"
	@echo "make bench-scale  page times at 10, 100 and 1,000 interviews, gunicorn + PostgreSQL (docs/performance.md)"
	@echo "make profile  print a pyinstrument profile of one interview step served by gunicorn"
	@echo "make mutate mutation testing (mutmut) of the interview services, scoring and Markdown"
	@echo "make format apply ruff's fixes and formatting"

# Each stamp file records that the venv holds what pyproject.toml asks for.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres,bench]"
	@touch $@ $(VENV)/.installed-app

run: export DJANGO_DEBUG ?= true
run: $(VENV)/.installed-app
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py import_questions
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

$(VENV)/.installed-postgres: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[postgres]"
	@touch $@ $(VENV)/.installed-app

serve: $(VENV)/.installed-postgres
	@test -n "$$DJANGO_SECRET_KEY" || { echo "Set DJANGO_SECRET_KEY first, e.g." \
		"export DJANGO_SECRET_KEY=\$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"; exit 1; }
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/gunicorn --config gunicorn.conf.py

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[postgres,bench]"
	@touch $@ $(VENV)/.installed-app

# A benchmark, not a test: loopback only, bounded in requests and time.
CANDIDATES ?= 50
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run --candidates $(CANDIDATES) $(BENCH_ARGS)

profile: $(VENV)/.installed-bench
	$(BIN)/python -m bench.profile_step $(PROFILE_ARGS)

# Not part of `make test` either: plays 1,110 interviews through the services (about 2–3 min on
# 2 cores), then times each page sequentially. SCALE_ARGS: e.g. --reuse, --rounds 25.
bench-scale: $(VENV)/.installed-postgres
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The W3C Nu HTML validator for tests/test_html_validity.py, from the npm registry (32 MB, kept
# out of the repository); Java runs it.
VNU_VERSION := 26.9.27
.cache/vnu.jar:
	@mkdir -p .cache/vnu-pack
	cd .cache/vnu-pack && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null
	tar -xzf .cache/vnu-pack/vnu-jar-$(VNU_VERSION).tgz -C .cache/vnu-pack package/build/dist/vnu.jar
	mv .cache/vnu-pack/package/build/dist/vnu.jar $@
	rm -rf .cache/vnu-pack

test: export DJANGO_SECRET_KEY ?= insecure-key-for-tests-only
test: lint .cache/vnu.jar
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/.installed-mutate: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,mutate]"
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed-app

# Not part of `make test`: it reruns the covering tests once per mutant (a few minutes).
# One worker, because the SQLite test database is a single file every run shares.
mutate: export DJANGO_SECRET_KEY ?= insecure-key-for-tests-only
mutate: $(VENV)/.installed-mutate
	$(BIN)/mutmut run --max-children 1
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache artifacts mutants

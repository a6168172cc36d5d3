# Cartera: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test install messages makemessages static lint format clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@test -f .env || printf '# Local development only (git ignores this file).\nDEBUG=true\n' > .env
	@touch $@

# chart.js is vendored in static/vendor/chartjs/ (no Node.js toolchain: see the README).
install: $(VENV)/.installed

# Compile the .po files in locale/ (needs gettext's msgfmt).
messages: install
	DEBUG=1 $(MANAGE) compilemessages --ignore=$(VENV) -v0

# Refresh the .po files from the code and templates after changing user-facing strings.
makemessages: install
	DEBUG=1 $(MANAGE) makemessages -l es -l zh_Hans --ignore=$(VENV) --ignore=staticfiles --no-obsolete

static: install
	$(MANAGE) collectstatic --noinput -v0

# With no DATABASE_URL, an embedded PostgreSQL (scripts/embedded_db.py: the server of a pip
# wheel, its data kept in var/postgres/ from one run to the next) started here and stopped
# when runserver ends; with no REDIS_URL, Celery tasks run eagerly.
EMBEDDED_DB := $(BIN)/python scripts/embedded_db.py
run: export DEBUG ?= 1
# A crash in a C extension (weasyprint's Pango, calamine) prints every thread's Python stack.
run: export PYTHONFAULTHANDLER ?= 1
run: install messages static
	@trap 'kill $$(jobs -p) 2>/dev/null || true; $(EMBEDDED_DB) stop' EXIT; \
	trap 'exit 130' INT TERM; \
	set -e; \
	$(EMBEDDED_DB) start; \
	$(MANAGE) migrate --noinput; \
	$(MANAGE) seed_demo --if-empty --clients 200; \
	$(MANAGE) run_morning_jobs; \
	if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: starting a Celery worker and beat."; \
	  $(BIN)/celery -A brokerage worker --loglevel=INFO --concurrency=2 & \
	  $(BIN)/celery -A brokerage beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule & \
	fi; \
	echo "Cartera is at http://127.0.0.1:8000/ (demo password: cartera-demo)"; \
	$(MANAGE) runserver 127.0.0.1:8000

# The whole suite on PostgreSQL and Redis (override with DATABASE_URL / REDIS_URL).
test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cartera
test: export REDIS_URL ?= redis://127.0.0.1:6379/15
test: install messages
	@$(BIN)/python scripts/check_services.py
	$(BIN)/ruff check .
	$(BIN)/pytest --create-db --numprocesses=auto --maxprocesses=8

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
	find locale -name '*.mo' -delete

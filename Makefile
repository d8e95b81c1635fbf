# Cleanplane developer commands. Everything runs in ./.venv, created on first use.
#   make run        the whole stack on http://127.0.0.1:$(PORT) (Ctrl-C stops it)
#   make test       the suite (not slow) against real Postgres and Redis, 2 processes
#   make test-all   make test, then the slow drills
#   make lint       ruff check + ruff format --check + lint-imports (layering contracts)
#   make bench      the quick versions of the benchmarks in bench/
#   make screenshots  PNGs of every page at 1280x800 and 390x844 into docs/screenshots/
#   make chromium   the browser for tests/browser (Debian's chromium as root, else Playwright's)
#   make pdfdeps    WeasyPrint's system libraries (pango, harfbuzz, DejaVu fonts) for invoice PDFs:
#                   apt-get as root when missing, else a clear message; install/run/test run it
#   make promtool   install promtool (Debian package prometheus) when missing and root; make test
#                   runs it first, and the alerting tests fail with its message when it cannot
# Switches (make VAR=value or env): SERVICES=auto|local|embedded, PG_BINARIES=auto|system|wheel,
# PORT, DATABASE_URL, REDIS_URL, DATABASE_ADMIN_URL, TEST_REDIS_URL, PYTEST_ARGS.

PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
EXTRAS ?= dev,devstack
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow test-all lint bench promtool chromium screenshots pdfdeps

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Re-installs whenever pyproject.toml changes (its pins are the single source of versions).
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	@touch $@

install: $(STAMP)
	-@$(VPY) -m devstack.pdfdeps

run: $(STAMP)
	-@$(VPY) -m devstack.pdfdeps
	$(VPY) -m devstack.run

promtool: $(STAMP)
	$(VPY) -m devstack.promtool

pdfdeps: $(STAMP)
	$(VPY) -m devstack.pdfdeps

chromium: $(STAMP)
	$(VPY) -m devstack.browser

test: $(STAMP)
	-@$(VPY) -m devstack.pdfdeps
	-@$(VPY) -m devstack.promtool
	-@$(VPY) -m devstack.browser
	$(VPY) -m devstack.testrun -n 2 -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(VPY) -m devstack.testrun --no-tests-ok -m slow $(PYTEST_ARGS)

test-all: test test-slow

screenshots: $(STAMP)
	-@$(VPY) -m devstack.browser
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(VPY) -m devstack.testrun -n 0 -q \
		tests/browser/test_screenshots.py

lint: $(STAMP)
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

bench: $(STAMP)
	$(VPY) -m devstack.bench

# The two set-up paths of the README, plus the pieces they are made of.
# Everything a fresh Debian machine needs is installed from here: apt packages
# (fonts for Latin/Cyrillic/CJK, Chromium for browser tests, poppler for PDF
# text), Python packages (pyproject.toml) and axe-core (package.json).

PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := fonts-noto-core fonts-noto-cjk poppler-utils
TEST_APT_PACKAGES := chromium

.PHONY: edition test install install-test system-deps test-system-deps node-deps lint check-tests

## install and build the flagship edition into output/
edition: install
	teipress build

## install everything and run the whole test suite (what CI runs)
test: install-test lint check-tests

# pip byte-compiles the packages it installs, but not the sources of an editable install:
# where PYTHONDONTWRITEBYTECODE is set (CI machines) every command and every worker
# process would compile teipress again as it starts (0.08 s each). Stale files are
# harmless: Python compiles a module whose source is newer in memory.
install: system-deps
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e .
	$(PYTHON) -m compileall -q tools/teipress

install-test: system-deps test-system-deps node-deps
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PYTHON) -m compileall -q tools/teipress

system-deps:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); }

test-system-deps:
	@dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(TEST_APT_PACKAGES); }

node-deps:
	npm ci --no-audit --no-fund --loglevel=error

lint:
	ruff check tools tests benchmarks
	mypy

check-tests:
	$(PYTHON) -m pytest -n 2 -q

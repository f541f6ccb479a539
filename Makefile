# JSOLUCIONES ERP. Two commands: `make up` runs the whole ERP, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Debian packages: pango (weasyprint PDFs), zbar (QR decoding in tests), xmlsec1 (independent signature
# check in tests), chromium (headless browser tests of the pages the API serves).
SYSTEM_PKGS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core libzbar0 xmlsec1 chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps up test fuzz lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

system-deps:
	@missing=$$(for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

up: install system-deps
	$(BIN)/erp up

test: install system-deps
	$(BIN)/pytest -q

# The API fuzzer with many more examples and a fresh seed (make test runs a bounded, derandomized pass).
FUZZ_EXAMPLES ?= 200
FUZZ_SEED ?= random
fuzz: install system-deps
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/pytest -q -p no:cacheprovider tests/test_contrato_fuzz.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .erp

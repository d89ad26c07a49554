# Two commands do everything on a fresh machine: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint bench install install-dev system-deps clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# torch is taken from the CPU build on local disk before sentence-transformers asks for it.
$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,st]'
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

run: $(STAMP_RUN)
	$(BIN)/python -m bot ingest --all
	$(BIN)/python -m bot serve

# Debian packages some tests drive for real: headless Chromium (simulator, admin console) and
# nginx (the production site config). Without apt or root those tests are skipped, not failed.
SYSTEM_PKGS := chromium chromium-driver nginx-light
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
		|| ! { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PKGS) >/dev/null) \
			|| echo "could not install $(SYSTEM_PKGS): their tests will be skipped"; \
		else echo "no apt/root: browser and nginx tests will be skipped"; fi; \
	fi

test: $(STAMP_DEV) system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP_DEV)
	$(BIN)/ruff check .

bench: $(STAMP_DEV)
	$(BIN)/python -m benchmarks

clean:
	rm -rf data .pytest_cache

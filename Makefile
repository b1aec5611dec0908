# The two commands of the README's quick start: `make demo` and `make test`.
# Both create the virtual environment on first use and install the package into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[bench,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m asem.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q --run-slow

bench: $(STAMP)
	$(BIN)/asem bench locomo --data $(DATA)/locomo/locomo10.json --json bench-out/locomo.json

lint: $(STAMP)
	$(BIN)/ruff check asem tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info bench-out

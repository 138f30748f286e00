# Two commands on a fresh machine:  `make demo` (set up + run the examples)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# These machines carry the CPU build of PyTorch locally; pinning it avoids a multi-GB CUDA download.
TORCH_PIN ?= torch==2.13.0+cpu
EXTRAS ?= dev,llm,ray
PYTEST_ARGS ?=

.PHONY: install demo test test-all bench lint clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" PYTHON="$(CURDIR)/$(BIN)/python" bash examples/demo.sh

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not gpu" $(PYTEST_ARGS)

test-all: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS),bench]"

lint: $(STAMP)
	$(BIN)/ruff check multiaug tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache

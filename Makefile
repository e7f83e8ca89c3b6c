# Two commands on a fresh machine: `make lab` and `make test`. `make` alone lists the rest.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Two pytest workers, each notebook's cells kept on one worker, one thread each (2 cores here).
PARALLEL ?= -n 2 --dist loadfile
NB ?= notebooks/*.ipynb

.DEFAULT_GOAL := help
.PHONY: help setup lab test unit notebooks bench check-notebooks clean-notebooks refresh badges clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# Re-install only when the dependencies change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e ".[lab,test]"
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the course (done for you by lab and test)

lab: $(STAMP) ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/

test: $(STAMP) ## unit tests, then every notebook top to bottom under nbval
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest $(PARALLEL) tests notebooks $(NBVAL)

unit: $(STAMP) ## only the unit tests (fast)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP) ## only the notebooks under nbval (NB=notebooks/02_*.ipynb for one)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest $(PARALLEL) $(NB) $(NBVAL)

bench: $(STAMP) ## benchmarks into build/bench/ (BENCH=bench_notebooks for one)
	$(BIN)/python tests/bench/run_benchmarks.py $(BENCH)

check-notebooks: $(STAMP) ## check notebook conventions (names, clean outputs, badge, summary)
	$(BIN)/python -m course_utils.notebook_tools check

clean-notebooks: $(STAMP) ## strip outputs from notebooks (checked cells keep theirs)
	$(BIN)/python -m course_utils.notebook_tools clean

refresh: $(STAMP) ## run notebooks and store the outputs of their checked cells (NB=...)
	$(BIN)/python -m course_utils.notebook_tools refresh $(NB)

badges: $(STAMP) ## point every Colab badge at the repository named in pyproject.toml
	$(BIN)/python -m course_utils.notebook_tools badges

clean: ## remove .venv and build/ (never notebooks, data or saved models)
	rm -rf $(VENV) build .pytest_cache

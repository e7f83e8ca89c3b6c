# Two commands on a fresh machine: `make lab` and `make test`. `make` alone lists the rest.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# The examples in the helpers' and tools' docstrings run as tests too.
DOCTEST := --doctest-modules course_utils course_tools
# Two pytest workers, each notebook's cells kept on one worker, one thread each (2 cores here).
PARALLEL ?= -n 2 --dist loadfile
NB ?= notebooks/*.ipynb

# The photos of notebooks 05 and 06 (README, "Photos"): $CATS_DOGS_DIR if set; else, in a checkout
# with the maintainers' shared folders beside it (as in CI), the pinned photo set their stored outputs
# come from (05 uses both folders together, 06 trains on the first and tests on the second); else the
# sample that ships with the course, and `make test` lists the checked cells it could not compare.
SHARED_PHOTOS := $(abspath ../shared/datasets/oxford-pets-sample):$(abspath ../shared/datasets/kaggle-cats-dogs)
PHOTOS := $(if $(wildcard ../shared/datasets/kaggle-cats-dogs),CATS_DOGS_DIR=$${CATS_DOGS_DIR:-$(SHARED_PHOTOS)})

.DEFAULT_GOAL := help
.PHONY: help setup lab test lint format unit notebooks bench gpu-check check-notebooks clean-notebooks refresh badges clean \
        student homework grade merge slides teacher-slides slide-tags html teacher-html e2e fresh-clone

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# Re-install only when the dependencies change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e ".[lab,test,teach]"
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the course (done for you by lab and test)

# The student's JupyterLab installs the course and the lab extra only (on a fresh clone no teacher
# tools at all); student_lab/ turns off nbgrader's menu, buttons and server extensions, which
# `make test` and the teacher's targets install (the course uses nbgrader as a library).
LAB_STAMP := $(VENV)/.installed-lab
$(LAB_STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e ".[lab]"
	touch $(LAB_STAMP)

lab: $(LAB_STAMP) ## open the student's JupyterLab on the notebooks (no teacher tools)
	@$(BIN)/python -m course_utils.petimages
	JUPYTER_CONFIG_PATH="$(CURDIR)/student_lab$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

# The linter first (seconds), then two runs: the notebooks' kernels start in fresh pytest workers, so nothing a unit
# test did to its worker reaches them.
test: $(STAMP) lint ## the linter, unit tests and docstring examples, then every notebook top to bottom under nbval
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/python -m pytest $(PARALLEL) $(DOCTEST) tests
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/python -m pytest $(PARALLEL) notebooks $(NBVAL)

lint: $(STAMP) ## ruff: the code and notebooks formatted as `make format` writes them, and lint-free (settings in pyproject.toml)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP) ## rewrite the code and notebooks as the formatter wants them (then review the diff)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP) ## only the unit tests and docstring examples (fast)
	$(BIN)/python -m pytest $(DOCTEST) tests

notebooks: $(STAMP) ## only the notebooks under nbval (NB=notebooks/02_*.ipynb for one)
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/python -m pytest $(PARALLEL) $(NB) $(NBVAL)

bench: $(STAMP) ## benchmarks into build/bench/ (BENCH=bench_notebooks for one)
	$(PHOTOS) $(BIN)/python tests/bench/run_benchmarks.py $(BENCH)

gpu-check: $(STAMP) ## on a CUDA GPU (about 5 min): device tests, every notebook with COURSE_DEVICE=cuda, GPU bench rows; report in build/gpu-check/
	$(PHOTOS) $(BIN)/python scripts/gpu_check.py

check-notebooks: $(STAMP) ## check notebook conventions (names, clean outputs, badge, summary)
	$(BIN)/course check

clean-notebooks: $(STAMP) ## strip outputs from notebooks (checked cells keep theirs)
	$(BIN)/course clean

refresh: $(STAMP) ## run notebooks and store the outputs of their checked cells, and the photo set they came from (NB=...)
	$(PHOTOS) $(BIN)/course refresh $(NB)

badges: $(STAMP) ## point every Colab badge at the repository named in pyproject.toml
	$(BIN)/course badges

# Beyond `make test`: the notebooks in a real browser, and the README's commands on a fresh clone.
E2E_STAMP := $(VENV)/.installed-e2e
$(E2E_STAMP): $(STAMP)
	$(BIN)/python -m pip install -c constraints.txt -e ".[e2e]"
	touch $(E2E_STAMP)

e2e: $(E2E_STAMP) ## run the notebooks in JupyterLab in headless Chromium (/usr/bin/chromium), screenshots in build/e2e/ (NB=...)
	$(PHOTOS) OMP_NUM_THREADS=1 COURSE_E2E=1 E2E_NOTEBOOKS='$(NB)' $(BIN)/python -m pytest -v --durations=0 -n 2 --dist loadfile tests/e2e

fresh-clone: ## clone the committed HEAD into a temporary folder and run `make test` there (PYTHON=... for another Python)
	PYTHON='$(PYTHON)' bash scripts/fresh_clone.sh

# Teaching: student versions, homework packs, grading, slides, the rendered course (README, "For teachers").
TIMEOUT ?= 300
JOBS    ?= 2

student: $(STAMP) ## student versions (solutions stubbed, outputs cleared) into build/student/
	$(BIN)/course student

homework: $(STAMP) ## zip a homework pack for each notebook with a Homework section into build/homework/
	$(BIN)/course homework

# make grade runs as many submissions at once as there are cores, unless JOBS is given; SHARD=K/N grades one part.
grade: $(STAMP) ## run submitted notebooks, report passed checks: make grade SUBMISSIONS=folder [TIMEOUT=300] [JOBS=n] [SHARD=k/n] [GRADEBOOK=moodle|canvas]
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder/of/notebooks [TIMEOUT=300] [JOBS=n] [SHARD=k/n]"; exit 2; }
	$(BIN)/course grade "$(SUBMISSIONS)" --timeout $(TIMEOUT) $(if $(filter command line environment,$(origin JOBS)),--jobs $(JOBS)) $(if $(SHARD),--shard $(SHARD)) $(if $(GRADEBOOK),--gradebook $(GRADEBOOK))

# make merge combines the shards of one run; another run's reports in build/grades are kept (REPLACE=1 overwrites).
merge: $(STAMP) ## combine the reports of one run's shards (build/grades/shard-*) into build/grades/ [REPLACE=1]
	$(BIN)/course grade --merge $(if $(REPLACE),--replace) $(if $(GRADEBOOK),--gradebook $(GRADEBOOK))

# Decks and site come in two editions: the students' (from the student versions: no solutions, no
# teacher's guide) and the teacher's (solutions, guide, speaker notes) in build/teacher/. Both reuse
# the executed notebooks cached in build/executed/ (rm -rf build/executed runs them all again).
slides: $(STAMP) ## the students' reveal.js decks (no solutions, no notes) into build/slides/
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/course slides --jobs $(JOBS)

teacher-slides: $(STAMP) ## the teacher's decks (solutions, the guide as speaker notes) into build/teacher/slides/
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/course slides --teacher --jobs $(JOBS)

slide-tags: $(STAMP) ## store the slide metadata the course's rule gives each cell (NB=...)
	$(BIN)/course slide-tags $(NB)

html: $(STAMP) ## the students' course site (no solutions, no guide) into build/html/ (open index.html)
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/course html --jobs $(JOBS)

teacher-html: $(STAMP) ## the teacher's course site (solutions, guides, notes) into build/teacher/html/
	$(PHOTOS) OMP_NUM_THREADS=1 $(BIN)/course html --teacher --jobs $(JOBS)

clean: ## remove .venv and build/ (never notebooks, data or saved models)
	rm -rf $(VENV) build .pytest_cache

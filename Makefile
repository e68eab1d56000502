# Two commands do all the set-up:  `make lab` opens the course, `make test` runs every test.
# Both create .venv (an isolated environment) and install digitlab into it on first use.

# The first Python that runs and is one TensorFlow supports (3.10-3.12): your python3 if it
# fits, else a versioned one. Override with `make lab PYTHON=/path/to/python3.11`.
PYTHON ?= $(shell for p in python3 python3.12 python3.11 python3.10; do \
	$$p -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' \
	>/dev/null 2>&1 && { echo $$p; break; }; done)
ifeq ($(PYTHON),)
$(error No Python 3.10-3.12 found: install one, or run make with PYTHON=/path/to/python)
endif
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab solutions lab-sources test test-fast lint data doctor bench tflite docs results lessons constraints clean

# constraints.txt pins every package to the version the tests and the shipped weights were made
# with; pyproject.toml keeps the lower bounds that a plain `pip install` honours.
$(BIN)/digitlab: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $@

data: $(BIN)/digitlab
	$(BIN)/digitlab data

# Extra options for JupyterLab, e.g. `make lab LAB_FLAGS="--no-browser --port 8899"`.
LAB_FLAGS ?=
# The student's own copy of the course, in a folder git ignores: the lessons as students get them
# (hints, no answers), made on the first `make lab` and afterwards only added to, so autosave,
# outputs and drawings never touch the tracked notebooks and `git pull` brings new lessons.
COURSE := my-course
# JupyterLab as a student has it (jupyter/): no news pop-up, no nbgrader instructor tools.
STUDENT_LAB := JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter
# As root (a container, a cloud VM) Jupyter refuses to start without --allow-root.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: data
	$(BIN)/digitlab student notebooks $(COURSE) --add-new
	@[ -z "$(ALLOW_ROOT)" ] || echo "make lab: you are root, so JupyterLab runs with\
	 --allow-root; an account of your own is safer"
	$(STUDENT_LAB) $(BIN)/jupyter lab $(COURSE) $(ALLOW_ROOT) $(LAB_FLAGS)

# Stuck? The lessons with their solutions, read-only, in $(COURSE)/solutions/.
solutions: $(BIN)/digitlab
	mkdir -p $(COURSE)/solutions
	chmod -f u+w $(COURSE)/solutions/*.ipynb || true
	cp notebooks/*.ipynb $(COURSE)/solutions/
	chmod a-w $(COURSE)/solutions/*.ipynb

# Instructors: the lesson sources themselves, with nbgrader's tools (edits here are the course's).
lab-sources: data
	$(BIN)/jupyter lab notebooks $(ALLOW_ROOT) $(LAB_FLAGS)

# Two workers, each taking whole files: a notebook's cells stay in one kernel, in order.
PARALLEL := --numprocesses=2 --dist=loadfile
test: $(BIN)/digitlab
	$(BIN)/python -m pytest $(PARALLEL)

# The maintainer's inner loop: everything but the browser, the hub and the slow tests.
test-fast: $(BIN)/digitlab
	$(BIN)/python -m pytest $(PARALLEL) -m "not browser and not hub and not slow" tests

lint: $(BIN)/digitlab
	$(BIN)/ruff check digitlab tools tests notebooks classroom conftest.py

doctor: $(BIN)/digitlab
	$(BIN)/digitlab doctor

bench: $(BIN)/digitlab
	$(BIN)/python -m tools.bench

# The reader's .tflite files, generated from the shipped .keras ones (training does it too).
tflite: $(BIN)/digitlab
	$(BIN)/python -m tools.train_shipped --export

# The generated pages: README's lessons table (from the notebooks' titles and docs/lessons.json)
# and docs/results.md (from the measurements saved in docs/results/).
docs: $(BIN)/digitlab
	$(BIN)/python -m tools.docs

# Every measurement docs/results.md shows, taken again (about an hour on a 2-core CPU), then the
# page written from them. A measurement that misses its floors says so and the rest go on.
results: $(BIN)/digitlab
	$(BIN)/python -m tools.results | while read -r command; do \
		echo "$$command"; $(BIN)/$$command || echo "(exit $$?: see above)"; done
	$(BIN)/python -m tools.docs

# Every notebook in full mode, timed, with the figures each one reports, checked against each
# lesson's targets (the table in docs/measurements.md); the times and memory go into
# docs/lessons.json, and the tests then name every page that states them differently.
lessons: $(BIN)/digitlab
	$(BIN)/python -m tools.run_lessons --record

# After upgrading packages on purpose (and re-running the tests): pin what is installed now. The
# pins apply from Python 3.11 (where they were tested); 3.10 lacks some of these versions, so it
# gets pyproject's lower bounds alone.
constraints: $(BIN)/digitlab
	{ echo "# make constraints: the versions the tests last passed with (Python 3.11, Linux)"; \
	  $(BIN)/python -m pip freeze --exclude-editable \
	  | sed 's/$$/ ; python_version >= "3.11"/'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

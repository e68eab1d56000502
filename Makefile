# Two commands do all the set-up:  `make lab` opens the course, `make test` runs every test.
# Both create .venv (an isolated environment) and install digitlab into it on first use.

# The newest Python that TensorFlow supports here; override with `make lab PYTHON=python3.11`.
PYTHON ?= $(shell for p in python3.12 python3.11 python3.10 python3; do \
	command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test data doctor bench clean

$(BIN)/digitlab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@

data: $(BIN)/digitlab
	$(BIN)/digitlab data

lab: data
	$(BIN)/jupyter lab notebooks/

test: $(BIN)/digitlab
	$(BIN)/python -m pytest

doctor: $(BIN)/digitlab
	$(BIN)/digitlab doctor

bench: $(BIN)/digitlab
	$(BIN)/python -m digitlab.bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

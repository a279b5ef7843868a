# Two commands for everything:  make lab   |   make test
# Both create .venv on first use (Python 3.10-3.12 with venv), and are no-ops for setup afterwards.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-kit-installed
# Optional: a local PyTorch CPU wheel, installed with its dependencies when present. Only the
# comparison tests (torch reference, Keras torch backend) and the benchmarks use it; they skip without it.
TORCH_WHEEL ?= $(firstword $(wildcard /opt/wheels/torch-*cp3*.whl))
PYTEST_ARGS ?=

.PHONY: lab test test-fast venv assignments release benchmark clean-venv

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v=sys.version_info[:2]; assert (3,10)<=v<=(3,12), f"Python 3.10-3.12 needed, found {v[0]}.{v[1]}: set PYTHON=python3.X"' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@if [ -n "$(TORCH_WHEEL)" ]; then $(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH_WHEEL)" || echo "optional torch wheel not installed: torch comparisons will be skipped"; fi
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	COURSE_BUDGET=smoke $(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider $(PYTEST_ARGS)

assignments: $(STAMP)
	$(BIN)/python -m course_lib.grading build

# The student release (no masters, hidden tests or grader): make release DEST=../cnn-course-kit-student
release: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make release DEST=<empty folder>"; exit 2; }
	$(BIN)/python -m course_lib.grading release "$(DEST)"

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py --suite

clean-venv:
	rm -rf $(VENV)

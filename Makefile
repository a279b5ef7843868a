# Two commands for everything:  make lab   |   make test
# Both create .venv on first use (Python 3.10-3.13 with venv), and are no-ops for setup afterwards.
#   make lab PORT=8890 LAB_ARGS="--no-browser --ip=0.0.0.0"   (as root, --allow-root is added)
#   make test-fast PYTHON=python3.13 VENV=.venv313            (layers, models, data, notebook 02)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-kit-installed
# Optional: a local PyTorch CPU wheel, installed with its dependencies when present. Only the
# comparison tests (torch reference, Keras torch backend) and the benchmarks use it; they skip without it.
TORCH_WHEEL ?= $(firstword $(wildcard /opt/wheels/torch-*cp3*.whl))
PYTEST_ARGS ?=
# make test: pytest-xdist workers. Two on two cores: much of a smoke run is single-threaded
# (model building, tracing); each test file stays on one worker, the notebooks run in order on
# one worker (tests/conftest.py). PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
# make lab: the port JupyterLab must use (no silent fallback to another one) and extra arguments
PORT     ?= 8888
LAB_ARGS ?=
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root)
# make test-fast: a few minutes' subset, for a second Python version
FAST_TESTS ?= $(wildcard tests/test_layers_*.py tests/test_models_*.py tests/test_data_*.py) \
              notebooks/02_cnn_building_blocks.ipynb

.PHONY: lab test test-fast test-rehearsal venv assignments release benchmark book clean-venv

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v=sys.version_info[:2]; assert (3,10)<=v<=(3,13), f"Python 3.10-3.13 needed, found {v[0]}.{v[1]}: set PYTHON=python3.X"' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@if [ -n "$(TORCH_WHEEL)" ]; then $(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH_WHEEL)" || echo "optional torch wheel not installed: torch comparisons will be skipped"; fi
	@touch $(STAMP)

lab: $(STAMP)
	@echo "JupyterLab on port $(PORT): open http://localhost:$(PORT)/lab with the token from the URL printed below (Ctrl-C stops it)"
	$(BIN)/jupyter lab notebooks/ --port=$(PORT) --ServerApp.port_retries=0 $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	COURSE_BUDGET=smoke $(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider -m "not rehearsal" -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The GPU path (full widths, batch, schedule, mixed_float16, XLA) rehearsed on CPU: two training
# steps per experiment's heaviest model (tests/test_full_rehearsal.py; CI runs it). Mostly
# single-threaded XLA compiles, so two cases run at a time (-n 2): 11 cases, about 6 min on 2 cores.
test-rehearsal: $(STAMP)
	$(BIN)/python -m pytest tests/test_full_rehearsal.py -p no:cacheprovider -m rehearsal -n 2 $(PYTEST_ARGS)

test-fast: $(STAMP)
	COURSE_BUDGET=smoke $(BIN)/python -m pytest $(FAST_TESTS) --nbval-lax -p no:cacheprovider -m "not slow" $(PYTEST_ARGS)

assignments: $(STAMP)
	$(BIN)/python -m course_lib build

# The course site (README, notebooks with their stored outputs, assignments) -> build/book/.
# Nothing is executed; open build/book/index.html (works offline).
book: $(STAMP)
	$(BIN)/python tools/book.py --out build/book

# The student release (no masters, hidden tests or grader): make release DEST=../cnn-course-kit-student
release: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make release DEST=<empty folder>"; exit 2; }
	$(BIN)/python -m course_lib release "$(DEST)"

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py --suite

clean-venv:
	rm -rf $(VENV)

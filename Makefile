# The two entry points of the README: `make run` (the whole pipeline on the embedded default)
# and `make test` (the linter, then the test suite). Both create the pinned virtual environment first.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: run test bench clean-venv

$(VENV)/.installed: requirements.txt requirements-frost.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-frost.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

run: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" dvc repro
	@cat metrics/evaluate.md

test: $(VENV)/.installed
	$(BIN)/ruff check .
	PATH="$(CURDIR)/$(BIN):$$PATH" pytest -q -n auto --dist loadfile

bench: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/queue_timing.py --workers 2 -S 'data.aligned_ratio=0.95,0.98,0.99,0.995' -S 'seed=0,1,2' --out benchmarks/results/queue_bias_grid.md
	$(BIN)/python benchmarks/noise_detection.py
	PATH="$(CURDIR)/$(BIN):$$PATH" dvc repro synthesize && $(BIN)/python benchmarks/jtt_error_set.py --epochs 12 --seeds 0 1 2
	$(BIN)/python benchmarks/corruption_speed.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/compute.py
	$(BIN)/python benchmarks/pin_costs.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/full_size.py colored_fashion_mnist_cpu
	$(BIN)/python benchmarks/swapae_steps.py colored_fashion_mnist_cpu
	$(BIN)/python benchmarks/speed.py --skip-repro --preset colored_fashion_mnist_cpu --epochs 3
	$(BIN)/python benchmarks/preset_times.py

clean-venv:
	rm -rf $(VENV)

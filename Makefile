# The two entry points of the README: `make run` (the whole pipeline on the embedded default)
# and `make test` (the test suite). Both create the pinned virtual environment first.
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
	PATH="$(CURDIR)/$(BIN):$$PATH" pytest -q

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/dfa_ablation.py
	$(BIN)/python benchmarks/noisy_labels.py
	$(BIN)/python benchmarks/noise_detection.py
	$(BIN)/python benchmarks/corruption_speed.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/compute.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/full_size.py colored_fashion_mnist_cpu
	$(BIN)/python benchmarks/swapae_steps.py colored_fashion_mnist_cpu
	$(BIN)/python benchmarks/speed.py --skip-repro --preset colored_fashion_mnist_cpu --epochs 3
	$(BIN)/python benchmarks/preset_times.py

clean-venv:
	rm -rf $(VENV)

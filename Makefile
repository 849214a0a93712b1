# Everything a fresh machine needs: Python 3.11+ with venv. `make render` and `make test` set up .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= gke-h100-optimized-baseline
OUT ?= out/$(STACK)

.PHONY: setup render test lint typecheck check-all goldens bench crds clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

render: setup  ## render the flagship reference stack offline and print its summary
	$(BIN)/pulumi-llmd render $(STACK) --out $(OUT)

test: setup  ## the test suite (what CI runs)
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/python scripts/typecheck.py

check-all: lint typecheck test

goldens: setup  ## re-render every stack in stacks/ into goldens/<stack>/ (commit the result with the change)
	rm -rf goldens
	status=0; for f in stacks/Pulumi.*.yaml; do \
		s=$$(basename $$f .yaml); s=$${s#Pulumi.}; \
		$(BIN)/pulumi-llmd render $$s --out goldens/$$s --quiet || status=$$?; \
	done; exit $$status

bench: setup  ## render fleets of 1-64 models and compare with bare SDK resources (prints a Markdown table)
	$(BIN)/python scripts/bench.py

crds: setup  ## re-derive the carried CRD schemas from upstream CRD files (DIR=... to point elsewhere)
	$(BIN)/python scripts/vendor_crds.py $(if $(DIR),--src $(DIR),)

clean:
	rm -rf out build *.egg-info

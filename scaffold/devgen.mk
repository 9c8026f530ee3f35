# devgen.mk — the targets every devgen project shares (Compose, Terraform,
# Kubernetes, Helm, cloud catalogue, render/check). `devgen init` writes it
# next to the project's Makefile, which includes it; devgen's own repository
# includes the same file (scaffold/devgen.mk). Set variables (DEVGEN, HELM,
# PROFILE, ...) before the `include` or on the command line.
SHELL := /bin/bash
PROFILE ?= dev
ENV ?= $(PROFILE)
DEVGEN ?= devgen
# Docker Compose v2 (`docker compose`; override e.g. COMPOSE=docker-compose).
COMPOSE ?= docker compose
COMPOSE_DIR := deploy/compose
COMPOSE_CMD = $(COMPOSE) --env-file $(COMPOSE_DIR)/$(PROFILE).env -f $(COMPOSE_DIR)/docker-compose.yml
TERRAFORM ?= terraform
TF_CLOUDS := aws azure gcp
TF_DIR := deploy/terraform
CLOUD_PROVIDERS := aws azure gcp lambdalabs
# Helm: the project's chart (the one deploy/helm/*/Chart.yaml), whose values
# the custom target helm-values writes; the release is named after the chart.
HELM ?= helm
HELM_CHART ?= $(patsubst %/Chart.yaml,%,$(firstword $(wildcard deploy/helm/*/Chart.yaml)))
HELM_RELEASE ?= $(notdir $(HELM_CHART))
CLOUD ?= aws
KUBECTL ?= kubectl
K8S_DIR ?= deploy/kubernetes
K8S_OVERLAY = $(K8S_DIR)/overlays/$(ENV)
# A kdevops checkout for `make cloud-config KDEVOPS=…` (empty: deploy/kconfig/).
KDEVOPS ?=

.DEFAULT_GOAL := help
.PHONY: help render check helm-values helm-template
.PHONY: compose-render compose-up compose-up-gpu compose-down compose-logs compose-config
.PHONY: cloud-config cloud-cost
.PHONY: $(foreach c,$(TF_CLOUDS),tf-init-$(c) tf-plan-$(c) tf-apply-$(c) tf-destroy-$(c))
.PHONY: cloud-update $(addprefix cloud-update-,$(CLOUD_PROVIDERS))
.PHONY: k8s-render k8s-build k8s-apply k8s-delete

help: ## List targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'
	@printf '  %-22s %s\n' 'cloud-update-<prov>' 'Refresh one provider: $(CLOUD_PROVIDERS) (FORCE=1 ignores the cache)'
	@printf '  %-22s %s\n' 'tf-<action>-<cloud>' 'action: init, plan, apply, destroy; cloud: $(TF_CLOUDS); ENV=<profile> (default $(ENV))'

render: ## Render every profile and target (deletes generated files no config produces any more)
	$(DEVGEN) render

check: ## Validate config and check generated files for drift
	$(DEVGEN) check

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

helm-template: helm-values ## helm template the project's chart for PROFILE on CLOUD (default aws)
	@test -n "$(HELM_CHART)" || { echo "no chart: deploy/helm/*/Chart.yaml (set HELM_CHART)" >&2; exit 2; }
	$(HELM) template $(HELM_RELEASE) $(HELM_CHART) -f $(HELM_CHART)/$(PROFILE)/values-$(CLOUD).yaml

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

k8s-render: ## Render the Kustomize tree (base, components, ENV's overlay; ENV=profile, default PROFILE)
	$(DEVGEN) render --profile $(ENV) --target k8s >&2

k8s-build: k8s-render ## Print ENV's Kubernetes manifests (kubectl kustomize)
	$(KUBECTL) kustomize $(K8S_OVERLAY)

k8s-apply: k8s-render ## Apply ENV's overlay to the current cluster (create its Secret first: see base/*-deployment.yaml)
	$(KUBECTL) apply -k $(K8S_OVERLAY)

k8s-delete: k8s-render ## Delete ENV's objects from the current cluster
	$(KUBECTL) delete -k $(K8S_OVERLAY) --ignore-not-found

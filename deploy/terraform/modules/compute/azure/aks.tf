# GPU services on AKS: a small system pool plus one GPU node pool per GPU
# service (vm_size = instance_type). Pods reach the pool with the node selector
# `devgen.io/service=<service>` and tolerate the taint var.gpu_node_taint —
# the value devgen renders from the same constant as the toleration of its
# Kubernetes output (see the gpu_node_pools output); install the NVIDIA device
# plugin (or the GPU Operator) so that pods can request nvidia.com/gpu.
#
# Security: Cilium network policy (NetworkPolicies take effect), API server
# reachable only from api_authorized_cidrs (else allowed_cidrs), Entra ID RBAC
# with local accounts disabled, and pod/service CIDRs that overlap neither the
# VNet nor any allowed range.

locals {
  # Candidates for the overlay pod CIDR and the service CIDR: the first that
  # overlaps no VNet, allowed or API range is used (aks_pod_cidr /
  # aks_service_cidr override).
  pod_cidr_candidates     = ["100.64.0.0/16", "100.65.0.0/16", "172.30.0.0/16", "192.168.0.0/16"]
  service_cidr_candidates = ["100.127.0.0/16", "172.31.0.0/16", "10.255.0.0/16"]
  reserved_ranges         = [for c in concat([var.network_cidr], var.allowed_cidrs, local.api_cidrs) : c if !strcontains(c, ":")]

  # Two IPv4 CIDRs overlap when, at the shorter prefix, their networks are equal.
  pod_cidr_free = [for cand in local.pod_cidr_candidates : cand if alltrue([
    for r in local.reserved_ranges : cidrhost("${cidrhost(cand, 0)}/${min(16, tonumber(split("/", r)[1]))}", 0) != cidrhost("${cidrhost(r, 0)}/${min(16, tonumber(split("/", r)[1]))}", 0)
  ])]
  service_cidr_free = [for cand in local.service_cidr_candidates : cand if alltrue([
    for r in local.reserved_ranges : cidrhost("${cidrhost(cand, 0)}/${min(16, tonumber(split("/", r)[1]))}", 0) != cidrhost("${cidrhost(r, 0)}/${min(16, tonumber(split("/", r)[1]))}", 0)
  ])]
  pod_cidr     = var.aks_pod_cidr != "" ? var.aks_pod_cidr : try(local.pod_cidr_free[0], "")
  service_cidr = var.aks_service_cidr != "" ? var.aks_service_cidr : try(local.service_cidr_free[0], "")
  overlapping = [for r in local.reserved_ranges : r if anytrue([
    for c in [local.pod_cidr, local.service_cidr] : c != "" && cidrhost("${cidrhost(c, 0)}/${min(tonumber(split("/", c)[1]), tonumber(split("/", r)[1]))}", 0) == cidrhost("${cidrhost(r, 0)}/${min(tonumber(split("/", c)[1]), tonumber(split("/", r)[1]))}", 0)
  ])]

  api_cidrs = length(var.api_authorized_cidrs) > 0 ? var.api_authorized_cidrs : var.allowed_cidrs

  # "key=value:Effect" of the GPU pools (the same string the toleration uses).
  gpu_taint = var.gpu_node_taint
}

locals {
  create_aks = length(local.gpu_services) > 0
  # Linux node pool names: lower-case alphanumerics, at most 12 characters.
  gpu_pool_name = { for k in keys(local.gpu_services) : k => substr("gpu${replace(k, "-", "")}", 0, 12) }
}

resource "azurerm_kubernetes_cluster" "this" {
  #checkov:skip=CKV_AZURE_115:A private cluster needs a VPN/bastion into the VNet; the API server is instead limited to api_authorized_cidrs (CKV_AZURE_6).
  #checkov:skip=CKV_AZURE_116:Azure Policy add-on is an organisation-wide choice; Pod Security Admission labels come with the generated namespace.
  #checkov:skip=CKV_AZURE_117:Disk encryption set (customer-managed keys) is an organisation choice; platform-managed encryption is on.
  #checkov:skip=CKV_AZURE_170:Paid SKU (uptime SLA) is a cost choice; set sku_tier = "Standard" for production.
  #checkov:skip=CKV_AZURE_4:Azure Monitor (Log Analytics) costs per GB; attach oms_agent where it is wanted.
  #checkov:skip=CKV_AZURE_226:Ephemeral OS disks need VM sizes with a large enough cache; the system pool size is configurable.
  #checkov:skip=CKV_AZURE_227:Host encryption must be enabled per subscription (feature registration) first.
  #checkov:skip=CKV_AZURE_168:The system pool runs only critical add-ons; max_pods default of the overlay network applies.
  count = local.create_aks ? 1 : 0

  name                      = "${var.name}-aks"
  resource_group_name       = var.resource_group_name
  location                  = var.location
  dns_prefix                = var.name
  kubernetes_version        = var.kubernetes_version
  automatic_upgrade_channel = "patch"
  node_os_upgrade_channel   = "NodeImage"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true

  role_based_access_control_enabled = true
  local_account_disabled            = true

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
    tenant_id          = data.azurerm_client_config.current.tenant_id
  }

  api_server_access_profile {
    authorized_ip_ranges = local.api_cidrs
  }

  default_node_pool {
    name                         = "system"
    vm_size                      = var.aks_system_vm_size
    node_count                   = 1
    vnet_subnet_id               = var.aks_subnet_id
    only_critical_addons_enabled = true
    os_disk_size_gb              = 64
    temporary_name_for_rotation  = "systemtmp"

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.aks[0].id]
  }

  kubelet_identity {
    client_id                 = azurerm_user_assigned_identity.kubelet[0].client_id
    object_id                 = azurerm_user_assigned_identity.kubelet[0].principal_id
    user_assigned_identity_id = azurerm_user_assigned_identity.kubelet[0].id
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_data_plane  = "cilium"
    network_policy      = "cilium"
    pod_cidr            = local.pod_cidr
    service_cidr        = local.service_cidr
    dns_service_ip      = cidrhost(local.service_cidr, 10)
    load_balancer_sku   = "standard"
  }

  # Secrets Store CSI driver: GPU workloads mount the Key Vault secrets.
  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.pod_cidr != "" && local.service_cidr != "" && length(local.overlapping) == 0
      error_message = "The AKS pod/service CIDRs (${local.pod_cidr}, ${local.service_cidr}) overlap ${join(", ", local.overlapping)} (network_cidr, allowed_cidrs or api_authorized_cidrs): set aks_pod_cidr / aks_service_cidr to free ranges."
    }
    precondition {
      condition     = length(local.api_cidrs) > 0
      error_message = "The AKS API server needs authorised ranges: set network.api_authorized_cidrs (or network.allowed_cidrs) in the devgen config."
    }
  }

  depends_on = [
    azurerm_role_assignment.aks_network,
    azurerm_role_assignment.aks_kubelet_operator,
    azurerm_role_assignment.aks_acr_pull,
  ]
}

# Pre-created identities, so that every role assignment exists before the
# cluster does (no first image pull racing the AcrPull assignment):
#   aks      control plane: manages load balancers/IPs in the custom subnet and
#            assigns the kubelet identity to the nodes
#   kubelet  nodes: pull images from ACR
resource "azurerm_user_assigned_identity" "aks" {
  count = local.create_aks ? 1 : 0

  name                = "${var.name}-aks"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_user_assigned_identity" "kubelet" {
  count = local.create_aks ? 1 : 0

  name                = "${var.name}-aks-kubelet"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_role_assignment" "aks_network" {
  count = local.create_aks ? 1 : 0

  scope                = var.aks_subnet_id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_user_assigned_identity.aks[0].principal_id
}

resource "azurerm_role_assignment" "aks_kubelet_operator" {
  count = local.create_aks ? 1 : 0

  scope                = azurerm_user_assigned_identity.kubelet[0].id
  role_definition_name = "Managed Identity Operator"
  principal_id         = azurerm_user_assigned_identity.aks[0].principal_id
}

resource "azurerm_role_assignment" "aks_acr_pull" {
  count = local.create_aks ? 1 : 0

  scope                = var.registry_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.kubelet[0].principal_id
}

resource "azurerm_key_vault_access_policy" "aks_secrets_provider" {
  count = local.create_aks ? 1 : 0

  key_vault_id = azurerm_key_vault.this.id
  tenant_id    = data.azurerm_client_config.current.tenant_id
  object_id    = azurerm_kubernetes_cluster.this[0].key_vault_secrets_provider[0].secret_identity[0].object_id

  secret_permissions = ["Get"]
}

resource "azurerm_kubernetes_cluster_node_pool" "gpu" {
  #checkov:skip=CKV_AZURE_227:Host encryption must be enabled per subscription (feature registration) first.
  #checkov:skip=CKV_AZURE_168:GPU nodes run one inference pod each; the overlay network's default max_pods applies.
  for_each = local.gpu_services

  name                  = local.gpu_pool_name[each.key]
  kubernetes_cluster_id = azurerm_kubernetes_cluster.this[0].id
  vm_size               = each.value.instance_type
  vnet_subnet_id        = var.aks_subnet_id
  os_disk_size_gb       = 256

  auto_scaling_enabled = each.value.autoscaling != null
  node_count           = each.value.autoscaling == null ? each.value.replicas : null
  min_count            = each.value.autoscaling == null ? null : each.value.min_replicas
  max_count            = each.value.autoscaling == null ? null : max(each.value.max_replicas, 1)

  node_labels = {
    "devgen.io/service"   = each.key
    "devgen.io/gpu-model" = each.value.gpu.model
  }
  node_taints = [local.gpu_taint]

  tags = merge(var.tags, { service = each.key })
}

# GPU services on AKS: a small system pool plus one GPU node pool per GPU
# service (vm_size = instance_type). Pods reach the pool with the node selector
# `devgen.io/service=<service>` and tolerate the taint `nvidia.com/gpu=present:NoSchedule`
# (see the gpu_node_pools output); install the NVIDIA device plugin (or the
# GPU Operator) in the cluster so that pods can request nvidia.com/gpu.

locals {
  create_aks = length(local.gpu_services) > 0
  # Linux node pool names: lower-case alphanumerics, at most 12 characters.
  gpu_pool_name = { for k in keys(local.gpu_services) : k => substr("gpu${replace(k, "-", "")}", 0, 12) }
}

resource "azurerm_kubernetes_cluster" "this" {
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
    pod_cidr            = "192.168.0.0/16"
    service_cidr        = "172.16.0.0/16"
    dns_service_ip      = "172.16.0.10"
    load_balancer_sku   = "standard"
  }

  # Secrets Store CSI driver: GPU workloads mount the Key Vault secrets.
  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }

  tags = var.tags

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
  node_taints = ["nvidia.com/gpu=present:NoSchedule"] # = devgen catalogue::AKS_GPU_TAINT (the toleration)

  tags = merge(var.tags, { service = each.key })
}

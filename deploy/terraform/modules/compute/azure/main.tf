# Azure compute of the stack:
#   * CPU services: Azure Container Instances in the VNet, one container group
#     per replica (aci.tf);
#   * GPU services: an AKS cluster with one GPU node pool per GPU service,
#     vm_size = the service's instance_type (aks.tf); the workloads themselves
#     are deployed with the generated Kustomize overlay;
#   * the public services behind an Application Gateway v2 (appgw.tf);
#   * Key Vault holding the secrets (and the gateway's TLS certificate):
#     purge protection, firewall default deny (the stack's subnets, trusted
#     Azure services and admin_ip_ranges pass), values written write-only.

data "azurerm_client_config" "current" {}

locals {
  cpu_services = { for k, s in var.services : k => s if s.gpu == null }
  gpu_services = { for k, s in var.services : k => s if s.gpu != null }

  secret_names_with_value = toset([for n in var.secret_names : n if contains(nonsensitive(keys(var.secrets)), n)])
  # Key Vault secret names allow only letters, digits and hyphens.
  kv_secret_name = { for n in var.secret_names : n => replace(n, "_", "-") }
}

# Identity of the container groups and the Application Gateway: pulls from ACR,
# reads secrets and the TLS certificate from Key Vault.
resource "azurerm_user_assigned_identity" "workload" {
  name                = "${var.name}-workload"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_role_assignment" "workload_acr_pull" {
  scope                = var.registry_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.workload.principal_id
}

# --- Key Vault ----------------------------------------------------------------------

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_189:The public endpoint stays on so that Terraform (and admins) can write secrets without a private endpoint; network_acls deny everything but the stack's subnets, trusted Azure services and admin_ip_ranges.
  #checkov:skip=CKV2_AZURE_32:No private endpoint (see CKV_AZURE_189); access is limited by the Key Vault firewall.
  name                       = var.key_vault_name
  resource_group_name        = var.resource_group_name
  location                   = var.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  soft_delete_retention_days = 7
  purge_protection_enabled   = true
  tags                       = var.tags

  network_acls {
    default_action             = "Deny"
    bypass                     = "AzureServices"
    virtual_network_subnet_ids = var.subnet_ids
    ip_rules                   = var.admin_ip_ranges
  }
}

# Access policies (not RBAC) so the deploying principal can write secrets in
# the same apply, without waiting for role-assignment propagation.
resource "azurerm_key_vault_access_policy" "deployer" {
  key_vault_id = azurerm_key_vault.this.id
  tenant_id    = data.azurerm_client_config.current.tenant_id
  object_id    = data.azurerm_client_config.current.object_id

  secret_permissions      = ["Get", "List", "Set", "Delete", "Purge", "Recover"]
  certificate_permissions = ["Get", "List", "Create", "Update", "Import", "Delete", "Purge", "Recover"]
}

resource "azurerm_key_vault_access_policy" "workload" {
  key_vault_id = azurerm_key_vault.this.id
  tenant_id    = data.azurerm_client_config.current.tenant_id
  object_id    = azurerm_user_assigned_identity.workload.principal_id

  secret_permissions      = ["Get", "List"]
  certificate_permissions = ["Get", "List"]
}

resource "azurerm_key_vault_secret" "this" {
  #checkov:skip=CKV_AZURE_41:The values are third-party API keys whose expiry is set by their issuer; an expiry here would silently break the services.
  for_each = local.secret_names_with_value

  name = local.kv_secret_name[each.key]
  # Write-only: sent to Key Vault, never stored in the Terraform state.
  # Bump secrets_version to push changed values.
  value_wo         = var.secrets[each.key]
  value_wo_version = var.secrets_version
  key_vault_id     = azurerm_key_vault.this.id
  content_type     = "env:${each.key}"
  tags             = var.tags

  depends_on = [azurerm_key_vault_access_policy.deployer]
}

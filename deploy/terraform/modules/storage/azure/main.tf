# Azure Files for the Container Instances services with storage: one share
# per replica (per-replica storage) or one share per service (storage_shared),
# quota = the service's storage_size_gb. The account admits only the stack's
# subnets (firewall default deny, service endpoints). Container Instances can
# mount Azure Files only with the account key, so shared-key access is on
# only while some share exists; AKS workloads use their own PVCs.

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV2_AZURE_40:Azure Container Instances mount Azure Files only with the account key; shared-key access is enabled only while a Container Instances service has storage.
  #checkov:skip=CKV_AZURE_59:Public endpoint kept for the management of shares and for ACI's Azure Files mounts, but the firewall denies everything except the stack's subnets (network_rules default Deny).
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys; customer-managed keys are an organisation choice.
  #checkov:skip=CKV2_AZURE_33:No private endpoint: ACI's Azure Files mounts go through the service endpoint of its subnet.
  #checkov:skip=CKV_AZURE_206:LRS keeps a dev stack cheap; choose ZRS/GRS for production data.
  name                              = var.storage_account_name
  resource_group_name               = var.resource_group_name
  location                          = var.location
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = "LRS"
  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = length(var.volumes) > 0
  infrastructure_encryption_enabled = true
  large_file_share_enabled          = true # shares above 5 TiB
  tags                              = var.tags

  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices"]
    virtual_network_subnet_ids = var.subnet_ids
    ip_rules                   = var.admin_ip_ranges
  }

  share_properties {
    retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_share" "service" {
  for_each = var.volumes

  name               = each.key
  storage_account_id = azurerm_storage_account.this.id
  quota              = max(1, ceil(each.value))
}

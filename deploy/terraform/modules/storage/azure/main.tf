# Azure Files: one StorageV2 account, one SMB share per service with storage
# (quota = the service's storage_size_gb). Container Instances mount the share
# with the account key; AKS workloads use the Azure Files CSI driver.

resource "azurerm_storage_account" "this" {
  name                            = var.storage_account_name
  resource_group_name             = var.resource_group_name
  location                        = var.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  https_traffic_only_enabled      = true
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  large_file_share_enabled        = true # shares above 5 TiB
  tags                            = var.tags
}

resource "azurerm_storage_share" "service" {
  for_each = var.volumes

  name               = each.key
  storage_account_id = azurerm_storage_account.this.id
  quota              = max(1, ceil(each.value))
}

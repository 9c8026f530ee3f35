output "storage_account_name" {
  description = "Storage account holding the shares."
  value       = azurerm_storage_account.this.name
}

output "storage_account_id" {
  description = "Storage account resource ID."
  value       = azurerm_storage_account.this.id
}

output "storage_account_key" {
  description = "Primary access key (Container Instances mount shares with it)."
  value       = azurerm_storage_account.this.primary_access_key
  sensitive   = true
}

output "share_names" {
  description = "Share key => file share name."
  value       = { for k, s in azurerm_storage_share.service : k => s.name }
}

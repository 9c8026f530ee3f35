output "registry_url" {
  description = "Login server (docker login target), <name>.azurecr.io."
  value       = azurerm_container_registry.this.login_server
}

output "registry_id" {
  description = "Resource ID (scope of AcrPull role assignments)."
  value       = azurerm_container_registry.this.id
}

output "registry_name" {
  description = "Registry name."
  value       = azurerm_container_registry.this.name
}

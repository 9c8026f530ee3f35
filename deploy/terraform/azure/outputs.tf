output "registry_url" {
  description = "Container registry host (docker login target)."
  value       = module.registry.registry_url
}

output "repository_url" {
  description = "Where to push the project image; use it as image.registry/name in the devgen config."
  value       = "${module.registry.registry_url}/${var.project_name}"
}

output "endpoint_url" {
  description = "Public URL of the Application Gateway."
  value       = module.compute.endpoint_url
}

output "public_ip" {
  description = "Public IP of the Application Gateway (A record target for a custom domain)."
  value       = module.compute.public_ip
}

output "public_services" {
  description = "Public services behind the Application Gateway."
  value       = module.compute.public_services
}

output "aks_network" {
  description = "AKS pod/service CIDRs, API authorised ranges and GPU taint (null without GPU services)."
  value       = module.compute.aks_network
}

output "services" {
  description = "Service name => platform and private addresses."
  value       = module.compute.services
}

output "resource_group_name" {
  description = "Resource group of the stack."
  value       = azurerm_resource_group.this.name
}

output "aks_cluster_name" {
  description = "AKS cluster of the GPU services (az aks get-credentials)."
  value       = module.compute.aks_cluster_name
}

output "gpu_node_pools" {
  description = "GPU service => node pool, node selector and taint."
  value       = module.compute.gpu_node_pools
}

output "storage_account_name" {
  description = "Storage account of the Azure Files shares."
  value       = module.storage.storage_account_name
}

output "key_vault_uri" {
  description = "Key Vault holding the secrets."
  value       = module.compute.key_vault_uri
}

output "secret_ids" {
  description = "Secret name => Key Vault secret name."
  value       = module.compute.key_vault_secret_names
}

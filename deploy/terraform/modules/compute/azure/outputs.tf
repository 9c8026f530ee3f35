output "endpoint_url" {
  description = "Public URL of the Application Gateway (null when no Container Instances service is public)."
  value       = local.publish ? "${var.enable_https ? "https" : "http"}://${azurerm_public_ip.appgw[0].fqdn}" : null
}

output "public_ip" {
  description = "Public IP of the Application Gateway."
  value       = local.publish ? azurerm_public_ip.appgw[0].ip_address : null
}

output "services" {
  description = "Service name => platform (aci | aks-gpu) and private addresses of the ACI replicas."
  value = {
    for k, s in var.services : k => {
      platform    = s.gpu == null ? "aci" : "aks-gpu"
      private_ips = [for g, v in local.aci_groups : azurerm_container_group.this[g].ip_address if v.service == k]
    }
  }
}

output "aks_cluster_name" {
  description = "AKS cluster of the GPU services (null without GPU services); az aks get-credentials -g <rg> -n <name>."
  value       = local.create_aks ? azurerm_kubernetes_cluster.this[0].name : null
}

output "gpu_node_pools" {
  description = "GPU service => node pool name, vm size, node selector and taint for its pods."
  value = {
    for k, s in local.gpu_services : k => {
      name          = azurerm_kubernetes_cluster_node_pool.gpu[k].name
      vm_size       = s.instance_type
      node_selector = { "devgen.io/service" = k }
      taint         = local.gpu_taint
    }
  }
}

output "key_vault_uri" {
  description = "Key Vault holding the secrets."
  value       = azurerm_key_vault.this.vault_uri
}

output "key_vault_secret_names" {
  description = "Secret name => Key Vault secret name (underscores become hyphens)."
  value       = local.kv_secret_name
}

output "workload_identity_client_id" {
  description = "Client ID of the user-assigned identity of the container groups."
  value       = azurerm_user_assigned_identity.workload.client_id
}

output "public_services" {
  description = "Public services behind the Application Gateway (sorted)."
  value       = sort(keys(local.public_aci))
}

output "aks_network" {
  description = "Pod CIDR, service CIDR and API server authorised ranges of the AKS cluster (null without GPU services)."
  value = local.create_aks ? {
    pod_cidr             = local.pod_cidr
    service_cidr         = local.service_cidr
    authorized_ip_ranges = local.api_cidrs
    gpu_node_taint       = local.gpu_taint
  } : null
}

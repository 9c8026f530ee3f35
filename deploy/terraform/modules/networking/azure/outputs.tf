output "vnet_id" {
  description = "VNet ID."
  value       = azurerm_virtual_network.this.id
}

output "appgw_subnet_id" {
  description = "Subnet of the Application Gateway."
  value       = azurerm_subnet_network_security_group_association.appgw.subnet_id
}

output "aci_subnet_id" {
  description = "Delegated subnet of the Container Instances."
  value       = azurerm_subnet_network_security_group_association.aci.subnet_id
}

output "aks_subnet_id" {
  description = "Subnet of the AKS nodes."
  value       = azurerm_subnet_network_security_group_association.aks.subnet_id
}

# Azure Container Registry for the project's own images. Admin user stays off:
# Container Instances and AKS pull with managed identities (AcrPull, granted in
# the compute module).

resource "azurerm_container_registry" "this" {
  name                = var.name
  resource_group_name = var.resource_group_name
  location            = var.location
  sku                 = var.sku
  admin_enabled       = false
  tags                = var.tags
}

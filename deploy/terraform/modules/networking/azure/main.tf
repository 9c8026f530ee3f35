# VNet with three subnets and their NSGs:
#   appgw  Application Gateway v2 (public entry; allowed_cidrs on 80/443)
#   aci    Container Instances (delegated subnet; reachable from the VNet only)
#   aks    AKS nodes (Azure CNI overlay)

locals {
  appgw_prefix = cidrsubnet(var.address_space, 24 - tonumber(split("/", var.address_space)[1]), 0)
  aci_prefix   = cidrsubnet(var.address_space, 24 - tonumber(split("/", var.address_space)[1]), 1)
  aks_prefix   = cidrsubnet(var.address_space, 20 - tonumber(split("/", var.address_space)[1]), 1)
}

resource "azurerm_virtual_network" "this" {
  name                = "${var.name}-vnet"
  resource_group_name = var.resource_group_name
  location            = var.location
  address_space       = [var.address_space]
  tags                = var.tags
}

resource "azurerm_subnet" "appgw" {
  name                 = "appgw"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.appgw_prefix]
}

resource "azurerm_subnet" "aci" {
  name                 = "aci"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.aci_prefix]
  # Storage account and Key Vault admit this subnet through their firewalls.
  service_endpoints = ["Microsoft.Storage", "Microsoft.KeyVault"]

  delegation {
    name = "container-instances"

    service_delegation {
      name    = "Microsoft.ContainerInstance/containerGroups"
      actions = ["Microsoft.Network/virtualNetworks/subnets/action"]
    }
  }
}

resource "azurerm_subnet" "aks" {
  name                 = "aks"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.aks_prefix]
  service_endpoints    = ["Microsoft.Storage", "Microsoft.KeyVault"]
}

# --- NSGs -------------------------------------------------------------------------

resource "azurerm_network_security_group" "appgw" {
  name                = "${var.name}-appgw-nsg"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags

  # Required by Application Gateway v2 (health of the gateway instances).
  security_rule {
    name                       = "allow-gateway-manager"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "65200-65535"
    source_address_prefix      = "GatewayManager"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "allow-azure-load-balancer"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "AzureLoadBalancer"
    destination_address_prefix = "*"
  }

  dynamic "security_rule" {
    for_each = length(var.allowed_cidrs) > 0 ? [var.allowed_cidrs] : []
    content {
      name                       = "allow-http-https"
      priority                   = 200
      direction                  = "Inbound"
      access                     = "Allow"
      protocol                   = "Tcp"
      source_port_range          = "*"
      destination_port_ranges    = ["80", "443"]
      source_address_prefixes    = security_rule.value
      destination_address_prefix = "*"
    }
  }

  security_rule {
    name                       = "deny-internet"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_group" "aci" {
  name                = "${var.name}-aci-nsg"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags

  # The default rules already allow VNet-internal traffic (the gateway and the
  # AKS services) and deny the Internet; stated here for the reader.
  security_rule {
    name                       = "deny-internet"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_group" "aks" {
  name                = "${var.name}-aks-nsg"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_subnet_network_security_group_association" "appgw" {
  subnet_id                 = azurerm_subnet.appgw.id
  network_security_group_id = azurerm_network_security_group.appgw.id
}

resource "azurerm_subnet_network_security_group_association" "aci" {
  subnet_id                 = azurerm_subnet.aci.id
  network_security_group_id = azurerm_network_security_group.aci.id
}

resource "azurerm_subnet_network_security_group_association" "aks" {
  subnet_id                 = azurerm_subnet.aks.id
  network_security_group_id = azurerm_network_security_group.aks.id
}

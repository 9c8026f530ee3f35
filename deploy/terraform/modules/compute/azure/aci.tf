# CPU services on Azure Container Instances, private in the VNet. ACI has no
# replica count or autoscaler: each replica is its own container group (the
# Application Gateway balances over the primary service's groups); autoscaling
# services run `replicas` groups (clamped into [min, max]).

locals {
  aci_groups = merge([
    for k, s in local.cpu_services : {
      for i in range(s.replicas) : "${k}-${i}" => { service = k, index = i }
    }
  ]...)
}

resource "azurerm_container_group" "this" {
  for_each = local.aci_groups

  name                = "${var.name}-${each.key}"
  resource_group_name = var.resource_group_name
  location            = var.location
  os_type             = "Linux"
  ip_address_type     = "Private"
  subnet_ids          = [var.aci_subnet_id]
  restart_policy      = "Always"

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.workload.id]
  }

  dynamic "image_registry_credential" {
    for_each = startswith(var.services[each.value.service].image, "${var.registry_url}/") ? [var.registry_url] : []
    content {
      server                    = image_registry_credential.value
      user_assigned_identity_id = azurerm_user_assigned_identity.workload.id
    }
  }

  container {
    name   = each.value.service
    image  = var.services[each.value.service].image
    cpu    = var.services[each.value.service].cpu
    memory = ceil(var.services[each.value.service].memory / 1024 * 10) / 10 # GB, 0.1 steps

    environment_variables = var.services[each.value.service].env
    # ACI cannot reference Key Vault: the values are passed at deploy time
    # (TF_VAR_secrets); Key Vault keeps the same values for AKS workloads.
    secure_environment_variables = { for n in local.secret_names_with_value : n => var.secrets[n] }

    dynamic "ports" {
      for_each = var.services[each.value.service].ports
      content {
        port     = ports.value
        protocol = "TCP"
      }
    }

    dynamic "volume" {
      for_each = contains(keys(var.share_names), each.value.service) ? [var.share_names[each.value.service]] : []
      content {
        name                 = "data"
        mount_path           = var.storage_mount_path
        share_name           = volume.value
        storage_account_name = var.storage_account_name
        storage_account_key  = var.storage_account_key
      }
    }
  }

  tags = merge(var.tags, { service = each.value.service })

  depends_on = [azurerm_role_assignment.workload_acr_pull]
}

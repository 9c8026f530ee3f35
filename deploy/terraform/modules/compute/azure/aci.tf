# CPU services on Azure Container Instances, private in the VNet. ACI has no
# replica count or autoscaler: each replica is its own container group (the
# Application Gateway balances over a public service's groups); autoscaling
# services run `replicas` groups (clamped into [min, max]). Storage: each group
# mounts its own Azure Files share (per-replica), or the service's one share
# when storage_shared.

locals {
  aci_groups = merge([
    for k, s in local.cpu_services : {
      for i in range(s.replicas) : "${k}-${i}" => { service = k, index = i }
    }
  ]...)
}

resource "azurerm_container_group" "this" {
  #checkov:skip=CKV_AZURE_235:Secrets are passed as secure_environment_variables (not plain environment_variables); ACI cannot reference Key Vault.
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
    name     = each.value.service
    image    = var.services[each.value.service].image
    commands = var.services[each.value.service].entrypoint == null && var.services[each.value.service].args == null ? null : concat(coalesce(var.services[each.value.service].entrypoint, []), coalesce(var.services[each.value.service].args, []))
    cpu      = var.services[each.value.service].cpu
    memory   = ceil(var.services[each.value.service].memory / 1024 * 10) / 10 # GB, 0.1 steps

    environment_variables = var.services[each.value.service].env
    # Only the service's own secrets. ACI cannot reference Key Vault: the
    # values are passed at deploy time (TF_VAR_secrets); Key Vault keeps the
    # same values for AKS workloads.
    secure_environment_variables = { for n in var.services[each.value.service].secrets : n => var.secrets[n] if contains(local.secret_names_with_value, n) }

    dynamic "ports" {
      for_each = var.services[each.value.service].ports
      content {
        port     = ports.value
        protocol = "TCP"
      }
    }

    dynamic "readiness_probe" {
      for_each = var.services[each.value.service].health == null ? [] : [var.services[each.value.service].health]
      content {
        dynamic "http_get" {
          for_each = readiness_probe.value.path == null ? [] : [readiness_probe.value]
          content {
            path   = http_get.value.path
            port   = http_get.value.port
            scheme = "http"
          }
        }
        exec                  = readiness_probe.value.path == null ? ["/bin/sh", "-c", "nc -z 127.0.0.1 ${readiness_probe.value.port} || bash -c '</dev/tcp/127.0.0.1/${readiness_probe.value.port}'"] : null
        initial_delay_seconds = 10
        period_seconds        = 15
        failure_threshold     = 3
      }
    }

    dynamic "liveness_probe" {
      for_each = var.services[each.value.service].health == null ? [] : [var.services[each.value.service].health]
      content {
        dynamic "http_get" {
          for_each = liveness_probe.value.path == null ? [] : [liveness_probe.value]
          content {
            path   = http_get.value.path
            port   = http_get.value.port
            scheme = "http"
          }
        }
        exec                  = liveness_probe.value.path == null ? ["/bin/sh", "-c", "nc -z 127.0.0.1 ${liveness_probe.value.port} || bash -c '</dev/tcp/127.0.0.1/${liveness_probe.value.port}'"] : null
        initial_delay_seconds = 120
        period_seconds        = 30
        failure_threshold     = 5
      }
    }

    dynamic "volume" {
      for_each = contains(keys(var.group_shares), each.key) ? [var.group_shares[each.key]] : []
      content {
        name                 = "data"
        mount_path           = var.services[each.value.service].mount_path
        share_name           = volume.value
        storage_account_name = var.storage_account_name
        storage_account_key  = var.storage_account_key
      }
    }
  }

  tags = merge(var.tags, { service = each.value.service })

  lifecycle {
    precondition {
      condition     = var.services[each.value.service].args == null || var.services[each.value.service].entrypoint != null
      error_message = "Service ${each.value.service} sets `command` (arguments) without `entrypoint`: Azure Container Instances can only replace the whole command line, so add `entrypoint:` (the image's ENTRYPOINT) to services.${each.value.service} in the devgen config."
    }
  }

  depends_on = [azurerm_role_assignment.workload_acr_pull]
}

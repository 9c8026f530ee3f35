# CPU services on Cloud Run. Cloud Run has no source-IP allow-list of its own,
# so exposure fails closed: the primary service is public (allUsers may invoke
# it) only when allowed_cidrs opens it to everyone (0.0.0.0/0 or ::/0); with
# specific ranges or none it stays internal-only (the check below explains how
# to publish it to specific ranges: an external HTTPS load balancer with a
# Cloud Armor allow-list). Every other service only accepts traffic from
# inside the VPC.

locals {
  public = anytrue([for c in var.allowed_cidrs : contains(["0.0.0.0/0", "::/0"], c)])

  # Cloud Run CPU limits are 1, 2, 4, 6 or 8 vCPU, or fractions below 1.
  run_cpu = {
    for k, s in local.cpu_services : k => s.cpu < 1 ? "${floor(s.cpu * 1000)}m" : tostring([for c in [1, 2, 4, 6, 8] : c if c >= s.cpu][0])
  }
}

resource "google_cloud_run_v2_service" "this" {
  for_each = local.cpu_services

  name     = "${var.name}-${each.key}"
  location = var.region
  ingress  = each.key == var.primary_service && local.public ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"

  template {
    service_account       = google_service_account.run.email
    execution_environment = "EXECUTION_ENVIRONMENT_GEN2" # required for NFS volumes
    timeout               = "3600s"                      # notebook websockets, long generations

    scaling {
      min_instance_count = each.value.min_replicas
      max_instance_count = max(each.value.max_replicas, 1)
    }

    vpc_access {
      egress = "PRIVATE_RANGES_ONLY"

      network_interfaces {
        network    = var.network_name
        subnetwork = var.subnetwork_name
      }
    }

    containers {
      name  = each.key
      image = each.value.image

      # Cloud Run routes to exactly one port: the service's "http" port, else its first.
      dynamic "ports" {
        for_each = each.value.primary_port == null ? [] : [each.value.primary_port]
        content {
          container_port = ports.value
        }
      }

      resources {
        limits = {
          cpu    = local.run_cpu[each.key]
          memory = "${ceil(each.value.memory)}Mi"
        }
        cpu_idle          = false # CPU stays allocated between requests (kernels, background work)
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = each.value.env
        content {
          name  = env.key
          value = env.value
        }
      }

      # Only secrets that have a value (a version) in this apply: Cloud Run
      # refuses to deploy a revision that references a secret without one.
      dynamic "env" {
        for_each = local.secret_names_with_value
        content {
          name = env.value
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.this[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      dynamic "volume_mounts" {
        for_each = contains(var.storage_services, each.key) ? ["data"] : []
        content {
          name       = volume_mounts.value
          mount_path = var.storage_mount_path
        }
      }
    }

    dynamic "volumes" {
      for_each = contains(var.storage_services, each.key) ? ["data"] : []
      content {
        name = volumes.value
        nfs {
          server    = var.nfs_server
          path      = var.nfs_path
          read_only = false
        }
      }
    }
  }

  labels = local.gcp_labels[each.key]

  depends_on = [
    google_secret_manager_secret_version.this,
    google_secret_manager_secret_iam_member.run,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  count = local.public && contains(keys(local.cpu_services), var.primary_service) ? 1 : 0

  project  = google_cloud_run_v2_service.this[var.primary_service].project
  location = google_cloud_run_v2_service.this[var.primary_service].location
  name     = google_cloud_run_v2_service.this[var.primary_service].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

check "cloud_run_source_ranges" {
  assert {
    condition     = length(var.allowed_cidrs) == 0 || local.public
    error_message = "allowed_cidrs lists specific ranges, but Cloud Run cannot filter by source IP, so the primary service stays internal-only. To publish it to those ranges put an external HTTPS load balancer with a Cloud Armor allow-list in front of it; allowed_cidrs = [\"0.0.0.0/0\"] makes it public."
  }
}

# CPU HTTP services on Cloud Run (always HTTPS). Cloud Run has no source-IP
# allow-list of its own, so exposure fails closed: a public service
# (public = true) is reachable from outside (allUsers may invoke it) only when
# allowed_cidrs opens it to everyone (0.0.0.0/0 or ::/0), i.e. only when the
# config says so explicitly; with specific ranges or none it stays
# internal-only (the check below explains how to publish it to specific
# ranges: an external HTTPS load balancer with a Cloud Armor allow-list). Each
# public service has its own URL; every other service only accepts traffic
# from inside the VPC.

locals {
  public = anytrue([for c in var.allowed_cidrs : contains(["0.0.0.0/0", "::/0"], c)])

  published = { for k, s in local.cpu_services : k => s if s.public && s.primary_port != null && local.public }

  # Cloud Run CPU limits are 1, 2, 4, 6 or 8 vCPU, or fractions below 1.
  run_cpu = {
    for k, s in local.cpu_services : k => s.cpu < 1 ? "${floor(s.cpu * 1000)}m" : tostring([for c in [1, 2, 4, 6, 8] : c if c >= s.cpu][0])
  }
}

resource "google_cloud_run_v2_service" "this" {
  for_each = local.cpu_services

  name     = "${var.name}-${each.key}"
  location = var.region
  ingress  = contains(keys(local.published), each.key) ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"

  deletion_protection = var.deletion_protection

  template {
    service_account       = google_service_account.run.email
    execution_environment = "EXECUTION_ENVIRONMENT_GEN2" # required for NFS volumes
    timeout               = "3600s"                      # websockets, long-running requests

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
      name    = each.key
      image   = each.value.image
      command = each.value.entrypoint
      args    = each.value.args

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

      # Only the service's own secrets, and only those with a value (a
      # version) in this apply: Cloud Run refuses to deploy a revision that
      # references a secret without one.
      dynamic "env" {
        for_each = [for n in each.value.secrets : n if contains(local.secret_names_with_value, n)]
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
          mount_path = each.value.mount_path
        }
      }

      # Health (config `health`): HTTP GET of its path, else a TCP check.
      dynamic "startup_probe" {
        for_each = each.value.health == null ? [] : [each.value.health]
        content {
          initial_delay_seconds = 0
          period_seconds        = 10
          failure_threshold     = 30

          dynamic "http_get" {
            for_each = startup_probe.value.path == null ? [] : [startup_probe.value]
            content {
              path = http_get.value.path
              port = http_get.value.port
            }
          }

          dynamic "tcp_socket" {
            for_each = startup_probe.value.path == null ? [startup_probe.value] : []
            content {
              port = tcp_socket.value.port
            }
          }
        }
      }

      dynamic "liveness_probe" {
        for_each = each.value.health == null ? [] : [for h in [each.value.health] : h if h.path != null]
        content {
          period_seconds    = 30
          failure_threshold = 5

          http_get {
            path = liveness_probe.value.path
            port = liveness_probe.value.port
          }
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

  lifecycle {
    precondition {
      condition     = each.value.mount_path == null || each.value.storage_shared || each.value.max_replicas <= 1
      error_message = "Service ${each.key} has per-replica storage and several replicas, but Cloud Run has no per-instance disks: set storage_shared: true (Filestore, shared by the replicas) or replicas: 1 for it in the devgen config."
    }
  }

  depends_on = [
    google_secret_manager_secret_version.this,
    google_secret_manager_secret_iam_member.run,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = local.published

  project  = google_cloud_run_v2_service.this[each.key].project
  location = google_cloud_run_v2_service.this[each.key].location
  name     = google_cloud_run_v2_service.this[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

check "cloud_run_source_ranges" {
  assert {
    condition     = length(var.allowed_cidrs) == 0 || local.public
    error_message = "allowed_cidrs lists specific ranges, but Cloud Run cannot filter by source IP, so the public services stay internal-only. To publish it to those ranges put an external HTTPS load balancer with a Cloud Armor allow-list in front of it; allowed_cidrs = [\"0.0.0.0/0\"] makes it public."
  }
}

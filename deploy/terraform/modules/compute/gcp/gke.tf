# GKE cluster for the GPU services: regional control plane, VPC-native, Workload
# Identity, Filestore CSI driver; a small system pool and one GPU node pool per
# GPU service in `zones` (pick zones that have the GPU). GKE taints GPU nodes
# with nvidia.com/gpu=present:NoSchedule and installs the driver
# (gpu_driver_version = LATEST); pods select their pool with
# `devgen.io/service=<service>` (see the gpu_node_pools output).

locals {
  create_gke = length(local.gpu_services) > 0

  # Catalogue GPU model -> GCE accelerator type. A model already spelt as an
  # accelerator type ("nvidia-…") passes through.
  accelerator_types = {
    "t4"           = "nvidia-tesla-t4"
    "p4"           = "nvidia-tesla-p4"
    "p100"         = "nvidia-tesla-p100"
    "v100"         = "nvidia-tesla-v100"
    "a100"         = "nvidia-tesla-a100"
    "a100-80gb"    = "nvidia-a100-80gb"
    "l4"           = "nvidia-l4"
    "h100"         = "nvidia-h100-80gb"
    "h100-mega"    = "nvidia-h100-mega-80gb"
    "h200"         = "nvidia-h200-141gb"
    "b200"         = "nvidia-b200"
    "rtx-pro-6000" = "nvidia-rtx-pro-6000"
  }
  accelerator = {
    for k, s in local.gpu_services : k => (
      startswith(s.gpu.model, "nvidia-") ? s.gpu.model :
      s.gpu.model == "h100" && startswith(s.instance_type, "a3-mega") ? "nvidia-h100-mega-80gb" :
      lookup(local.accelerator_types, s.gpu.model, null)
    )
  }

  node_oauth_scopes = ["https://www.googleapis.com/auth/cloud-platform"]
}

resource "google_container_cluster" "this" {
  count = local.create_gke ? 1 : 0

  name     = "${var.name}-gke"
  location = var.region

  network         = var.network_self_link
  subnetwork      = var.subnetwork_self_link
  networking_mode = "VPC_NATIVE"

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  # Node pools are managed below.
  remove_default_node_pool = true
  initial_node_count       = 1
  node_locations           = var.zones

  release_channel {
    channel = "REGULAR"
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  addons_config {
    gcp_filestore_csi_driver_config {
      enabled = true
    }
  }

  deletion_protection = var.deletion_protection
}

resource "google_container_node_pool" "system" {
  count = local.create_gke ? 1 : 0

  name           = "system"
  cluster        = google_container_cluster.this[0].id
  location       = var.region
  node_locations = [var.zones[0]]
  node_count     = 1

  node_config {
    machine_type    = var.system_machine_type
    service_account = google_service_account.nodes.email
    oauth_scopes    = local.node_oauth_scopes

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot = true
    }
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }
}

resource "google_container_node_pool" "gpu" {
  for_each = local.gpu_services

  name     = substr("gpu-${each.key}", 0, 40)
  cluster  = google_container_cluster.this[0].id
  location = var.region
  # Attached GPUs exist only in some zones: use those of var.zones that sell
  # it (all of them when none of var.zones does).
  node_locations = try(
    coalescelist(
      [for z in var.zones : z if contains(var.accelerators[each.key].zones, z)],
      var.accelerators[each.key].zones
    ),
    var.zones
  )

  # Fixed size, or an autoscaled range (per zone) for autoscaling services.
  node_count = each.value.autoscaling == null ? each.value.replicas : null

  dynamic "autoscaling" {
    for_each = each.value.autoscaling == null ? [] : [each.value]
    content {
      min_node_count = autoscaling.value.min_replicas
      max_node_count = max(autoscaling.value.max_replicas, 1)
    }
  }

  node_config {
    machine_type    = each.value.instance_type
    disk_size_gb    = 200
    disk_type       = "pd-balanced"
    service_account = google_service_account.nodes.email
    oauth_scopes    = local.node_oauth_scopes

    guest_accelerator {
      type  = try(var.accelerators[each.key].type, local.accelerator[each.key])
      count = try(var.accelerators[each.key].count, each.value.gpu.count)

      gpu_driver_installation_config {
        gpu_driver_version = "LATEST"
      }
    }

    labels = {
      "devgen.io/service" = each.key
    }
    resource_labels = local.gcp_labels[each.key]

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot = true
    }
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  lifecycle {
    precondition {
      condition     = local.accelerator[each.key] != null
      error_message = "GPU model \"${each.value.gpu.model}\" of service ${each.key} has no known GCE accelerator type; use a catalogue model (l4, a100, a100-80gb, h100, ...) or an accelerator type such as \"nvidia-l4\"."
    }
  }
}

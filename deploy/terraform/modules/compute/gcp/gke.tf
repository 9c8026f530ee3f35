# GKE cluster for the GPU services: regional control plane, VPC-native, Workload
# Identity, Filestore CSI driver; a small system pool and one GPU node pool per
# GPU service in `zones` (pick zones that have the GPU). GKE taints GPU nodes
# with nvidia.com/gpu=present:NoSchedule and installs the driver
# (gpu_driver_version = LATEST); pods select their pool with
# `devgen.io/service=<service>` (see the gpu_node_pools output).

locals {
  create_gke = length(local.gpu_services) + length(local.tcp_services) > 0
  api_cidrs  = length(var.api_authorized_cidrs) > 0 ? var.api_authorized_cidrs : var.allowed_cidrs

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
  #checkov:skip=CKV_GCP_25:Private clusters need a bastion/VPN into the VPC; the control plane is limited to api_authorized_cidrs instead (master authorized networks).
  #checkov:skip=CKV_GCP_64:Private nodes need Cloud NAT for image pulls; nodes accept no inbound traffic beyond the VPC firewall rules.
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Workspace/Cloud Identity domain, an organisation choice.
  #checkov:skip=CKV_GCP_66:Binary Authorization needs an attestation pipeline, an organisation choice.
  #checkov:skip=CKV_GCP_61:Intranode visibility adds flow-log volume and cost; subnet flow logs are on.
  #checkov:skip=CKV_GCP_21:Labels are set on the node pools (resource_labels); cluster labels are optional.
  #checkov:skip=CKV_GCP_13:Client certificates are disabled by default on GKE >= 1.12 (issue_client_certificate defaults to false).
  #checkov:skip=CKV_GCP_69:The metadata server (GKE_METADATA) is enabled on every node pool (workload_metadata_config).
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

  # Dataplane V2 (eBPF) enforces NetworkPolicies; the legacy Calico add-on
  # stays explicitly off (it cannot be combined with Dataplane V2).
  datapath_provider = "ADVANCED_DATAPATH"

  network_policy {
    enabled = false
  }

  # The control plane accepts only api_authorized_cidrs (else allowed_cidrs).
  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = local.api_cidrs
      content {
        cidr_block   = cidr_blocks.value
        display_name = "authorized-${cidr_blocks.key}"
      }
    }
  }

  enable_shielded_nodes = true

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

  lifecycle {
    precondition {
      condition     = length(local.api_cidrs) > 0
      error_message = "The GKE control plane needs authorised ranges: set network.api_authorized_cidrs (or network.allowed_cidrs) in the devgen config."
    }
  }
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
      enable_secure_boot          = true
      enable_integrity_monitoring = true
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
      enable_secure_boot          = true
      enable_integrity_monitoring = true
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

# TCP services (databases, caches): Cloud Run serves only HTTP, so they run on
# GKE, on this CPU pool; the workloads come from the generated Kustomize
# overlay (StatefulSets with per-replica volumes).
resource "google_container_node_pool" "tcp" {
  count = length(local.tcp_services) > 0 ? 1 : 0

  name           = "tcp"
  cluster        = google_container_cluster.this[0].id
  location       = var.region
  node_locations = [var.zones[0]]

  autoscaling {
    min_node_count = 1
    max_node_count = max(1, sum([for s in values(local.tcp_services) : s.max_replicas]))
  }

  node_config {
    machine_type    = var.tcp_machine_type
    service_account = google_service_account.nodes.email
    oauth_scopes    = local.node_oauth_scopes
    labels          = { "devgen.io/pool" = "tcp" }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }
}

# Custom-mode VPC with one regional subnetwork (GKE nodes, Cloud Run Direct VPC
# egress, Filestore clients) and VPC-native secondary ranges for GKE, plus the
# firewall rules the stack needs. Public exposure is not a VPC firewall matter
# on GCP: Cloud Run's ingress setting governs the public endpoint (see the
# compute module).

locals {
  nodes_range = cidrsubnet(var.cidr_block, 2, 0)

  # GKE pod and service ranges: the first candidate (outside RFC 1918 first)
  # that overlaps neither the VPC nor any allowed / API range, so that a
  # NetworkPolicy admitting the allowed ranges never admits pods.
  pod_candidates     = ["100.64.0.0/14", "100.68.0.0/14", "172.28.0.0/14", cidrsubnet(var.cidr_block, 1, 1)]
  service_candidates = ["100.72.0.0/20", "100.72.16.0/20", "172.27.0.0/20", cidrsubnet(var.cidr_block, 2, 1)]
  reserved           = [for c in concat([var.cidr_block], var.reserved_cidrs) : c if !strcontains(c, ":")]
  pod_free = [for cand in local.pod_candidates : cand if alltrue([
    for r in local.reserved : cidrhost("${cidrhost(cand, 0)}/${min(tonumber(split("/", cand)[1]), tonumber(split("/", r)[1]))}", 0) != cidrhost("${cidrhost(r, 0)}/${min(tonumber(split("/", cand)[1]), tonumber(split("/", r)[1]))}", 0)
  ])]
  service_free = [for cand in local.service_candidates : cand if alltrue([
    for r in local.reserved : cidrhost("${cidrhost(cand, 0)}/${min(tonumber(split("/", cand)[1]), tonumber(split("/", r)[1]))}", 0) != cidrhost("${cidrhost(r, 0)}/${min(tonumber(split("/", cand)[1]), tonumber(split("/", r)[1]))}", 0)
  ])]
  pod_range     = try(local.pod_free[0], "")
  service_range = try(local.service_free[0], "")
}

resource "google_compute_network" "this" {
  name                    = var.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "this" {
  name                     = "${var.name}-${var.region}"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = local.nodes_range
  private_ip_google_access = true

  # VPC flow logs, sampled to stay cheap.
  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }

  lifecycle {
    precondition {
      condition     = local.pod_range != "" && local.service_range != ""
      error_message = "No free GKE pod/service range: every candidate overlaps network_cidr, allowed_cidrs or api_authorized_cidrs; choose other ranges."
    }
  }

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = local.pod_range
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = local.service_range
  }
}

# Everything inside the stack's address space talks to everything else
# (Cloud Run -> GKE internal load balancers, pods -> Filestore, ...).
resource "google_compute_firewall" "internal" {
  name          = "${var.name}-allow-internal"
  network       = google_compute_network.this.id
  direction     = "INGRESS"
  source_ranges = [var.cidr_block]

  allow {
    protocol = "tcp"
  }
  allow {
    protocol = "udp"
  }
  allow {
    protocol = "icmp"
  }
}

# Google front ends and health checkers (load balancers created by GKE).
resource "google_compute_firewall" "health_checks" {
  name          = "${var.name}-allow-health-checks"
  network       = google_compute_network.this.id
  direction     = "INGRESS"
  source_ranges = ["35.191.0.0/16", "130.211.0.0/22"]

  allow {
    protocol = "tcp"
  }
}

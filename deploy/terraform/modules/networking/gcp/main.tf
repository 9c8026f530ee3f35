# Custom-mode VPC with one regional subnetwork (GKE nodes, Cloud Run Direct VPC
# egress, Filestore clients) and VPC-native secondary ranges for GKE, plus the
# firewall rules the stack needs. Public exposure is not a VPC firewall matter
# on GCP: Cloud Run's ingress setting governs the public endpoint (see the
# compute module).

locals {
  nodes_range   = cidrsubnet(var.cidr_block, 2, 0)
  service_range = cidrsubnet(var.cidr_block, 2, 1)
  pod_range     = cidrsubnet(var.cidr_block, 1, 1)
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

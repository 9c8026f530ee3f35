output "network_id" {
  description = "VPC network ID."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "VPC network name (Filestore takes the name)."
  value       = google_compute_network.this.name
}

output "network_self_link" {
  description = "VPC network self link (GKE)."
  value       = google_compute_network.this.self_link
}

output "subnetwork_name" {
  description = "Regional subnetwork name (Cloud Run Direct VPC egress)."
  value       = google_compute_subnetwork.this.name
}

output "subnetwork_self_link" {
  description = "Regional subnetwork self link (GKE)."
  value       = google_compute_subnetwork.this.self_link
}

output "subnetwork_id" {
  description = "Regional subnetwork ID."
  value       = google_compute_subnetwork.this.id
}

output "pods_range_name" {
  description = "Secondary range of the GKE pods."
  value       = "pods"
}

output "services_range_name" {
  description = "Secondary range of the GKE services."
  value       = "services"
}

output "pod_range" {
  description = "CIDR of the GKE pods."
  value       = local.pod_range
}

output "service_range" {
  description = "CIDR of the GKE services."
  value       = local.service_range
}

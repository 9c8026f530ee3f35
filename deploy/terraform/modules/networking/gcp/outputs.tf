output "network_id" {
  description = "VPC network ID."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "VPC network name (Filestore takes the name)."
  value       = google_compute_network.this.name
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

output "nfs_server" {
  description = "IP address of the Filestore instance (null without storage)."
  value       = length(google_filestore_instance.this) > 0 ? google_filestore_instance.this[0].networks[0].ip_addresses[0] : null
}

output "nfs_path" {
  description = "Exported path of the file share."
  value       = "/data"
}

output "capacity_gb" {
  description = "Provisioned capacity in GiB."
  value       = length(google_filestore_instance.this) > 0 ? google_filestore_instance.this[0].file_shares[0].capacity_gb : 0
}

output "volumes" {
  description = "Services that mount the share."
  value       = keys(var.volumes)
}

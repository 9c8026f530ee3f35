output "name" {
  description = "Resource name prefix, \"<project_name>-<environment>\"."
  value       = local.name
}

output "services" {
  description = "Resolved services: merged env/labels, gpu (null = CPU platform), instance_type, replicas/min_replicas/max_replicas, primary_port, args/entrypoint, own secrets, public, protocol, mount_path/storage_shared, health, run_as_user."
  value       = local.services
}

output "cpu_service_names" {
  description = "Services that run on the serverless CPU platform, sorted."
  value       = local.cpu_names
}

output "gpu_service_names" {
  description = "Services that run on the GPU node pool, sorted."
  value       = local.gpu_names
}

output "public_services" {
  description = "The services published on the public endpoint (public = true and a port), sorted."
  value       = local.public_names
}

output "routes" {
  description = "Public service => { port, priority, host (null = any), path (null = every path) } of its load-balancer route."
  value       = local.routes
}

output "storage_service_names" {
  description = "Services with storage (mount_path set), sorted."
  value       = local.storage_names
}

output "shared_storage_service_names" {
  description = "Services whose storage is shared file storage (storage_shared), sorted."
  value       = local.shared_names
}

output "block_storage_service_names" {
  description = "Services whose storage is per-replica block storage, sorted."
  value       = local.unshared_names
}

output "service_secrets" {
  description = "Service => the declared secrets it receives."
  value       = local.secret_services
}

output "service_ports" {
  description = "Every distinct container port of every service."
  value       = distinct(flatten([for n in local.names : values(local.services[n].ports)]))
}

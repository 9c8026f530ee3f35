output "name" {
  description = "Resource name prefix, \"<project_name>-<environment>\"."
  value       = local.name
}

output "services" {
  description = "Resolved services: merged env/labels, gpu (null = CPU platform), instance_type, replicas/min_replicas/max_replicas, primary_port."
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

output "primary_service" {
  description = "The service published on the public endpoint."
  value       = local.primary_service
}

output "primary_port" {
  description = "Container port of the primary service that receives public traffic (null if it has none)."
  value       = local.primary_port
}

output "service_ports" {
  description = "Every distinct container port of every service."
  value       = distinct(flatten([for n in local.names : values(local.services[n].ports)]))
}

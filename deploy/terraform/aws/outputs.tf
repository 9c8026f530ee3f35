output "registry_url" {
  description = "Container registry host (docker login target)."
  value       = module.registry.registry_url
}

output "repository_url" {
  description = "Repository for the project image; use it as image.registry/name in the devgen config."
  value       = module.registry.repository_url
}

output "endpoint_url" {
  description = "Public URL of the load balancer (null when no service is public)."
  value       = module.compute.endpoint_url
}

output "load_balancer_dns_name" {
  description = "ALB DNS name (CNAME/alias target for a custom domain)."
  value       = module.compute.load_balancer_dns_name
}

output "public_services" {
  description = "Public service => its URL through the load balancer."
  value       = module.compute.public_urls
}

output "acm_validation_records" {
  description = "DNS records that validate the ACM certificate created for domain_name (create them when route53_zone_id is not set)."
  value       = module.compute.acm_validation_records
}

output "services" {
  description = "Service name => platform and in-cluster URL."
  value       = module.compute.services
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.compute.cluster_name
}

output "gpu_capacity_providers" {
  description = "GPU service => ECS capacity provider."
  value       = module.compute.gpu_capacity_providers
}

output "file_system_id" {
  description = "EFS file system holding the persistent volumes."
  value       = module.storage.file_system_id
}

output "secret_ids" {
  description = "Secret name => Secrets Manager ARN."
  value       = module.compute.secret_arns
}

output "vpc_id" {
  description = "VPC of the stack."
  value       = module.network.vpc_id
}

output "load_balancer_internal" {
  description = "Whether the load balancer is internal (all allowed_cidrs are private ranges)."
  value       = module.compute.load_balancer_internal
}

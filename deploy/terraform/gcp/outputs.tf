output "registry_url" {
  description = "Container registry host (gcloud auth configure-docker <host>)."
  value       = module.registry.registry_url
}

output "repository_url" {
  description = "Repository for the project image; use it as image.registry in the devgen config."
  value       = module.registry.repository_url
}

output "endpoint_url" {
  description = "Public (HTTPS) URL of the public Cloud Run service when exactly one is public."
  value       = module.compute.endpoint_url
}

output "public_urls" {
  description = "Public service => its Cloud Run URL (public only when allowed_cidrs is world-open)."
  value       = module.compute.public_urls
}

output "platforms" {
  description = "Service => cloud-run | gke-tcp | gke-gpu."
  value       = module.compute.platforms
}

output "services" {
  description = "Service name => platform and Cloud Run URL."
  value       = module.compute.services
}

output "project_id" {
  description = "Project the stack is deployed to."
  value       = local.project_id
}

output "gke_cluster_name" {
  description = "GKE cluster of the GPU services."
  value       = module.compute.gke_cluster_name
}

output "gpu_node_pools" {
  description = "GPU service => node pool, accelerator, node selector and taint."
  value       = module.compute.gpu_node_pools
}

output "filestore_ip" {
  description = "NFS server of the persistent volumes."
  value       = module.storage.nfs_server
}

output "secret_ids" {
  description = "Secret name => Secret Manager secret ID."
  value       = module.compute.secret_ids
}

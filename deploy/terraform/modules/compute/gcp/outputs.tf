output "endpoint_url" {
  description = "URL of the primary service on Cloud Run (null when it runs on GKE)."
  value       = contains(keys(local.cpu_services), var.primary_service) ? google_cloud_run_v2_service.this[var.primary_service].uri : null
}

output "services" {
  description = "Service name => platform (cloud-run | gke-gpu) and Cloud Run URL."
  value = {
    for k, s in var.services : k => {
      platform = s.gpu == null ? "cloud-run" : "gke-gpu"
      url      = s.gpu == null ? google_cloud_run_v2_service.this[k].uri : null
    }
  }
}

output "gke_cluster_name" {
  description = "GKE cluster of the GPU services (null without GPU services); gcloud container clusters get-credentials <name> --region <region>."
  value       = local.create_gke ? google_container_cluster.this[0].name : null
}

output "gpu_node_pools" {
  description = "GPU service => node pool, accelerator, node selector and taint for its pods."
  value = {
    for k, s in local.gpu_services : k => {
      name          = google_container_node_pool.gpu[k].name
      machine_type  = s.instance_type
      accelerator   = local.accelerator[k]
      node_selector = { "devgen.io/service" = k }
      taint         = "nvidia.com/gpu=present:NoSchedule"
    }
  }
}

output "secret_ids" {
  description = "Secret name => Secret Manager secret ID."
  value       = { for k, s in google_secret_manager_secret.this : k => s.id }
}

output "run_service_account" {
  description = "Service account of the Cloud Run services."
  value       = google_service_account.run.email
}

output "node_service_account" {
  description = "Service account of the GKE nodes (grant it access for Workload Identity setups)."
  value       = google_service_account.nodes.email
}

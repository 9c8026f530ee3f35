output "endpoint_url" {
  description = "URL of the public Cloud Run service when exactly one is public (null otherwise; see public_urls)."
  value       = length(local.published) == 1 ? google_cloud_run_v2_service.this[keys(local.published)[0]].uri : null
}

output "public_urls" {
  description = "Public service => its Cloud Run URL (only when allowed_cidrs is world-open; see cloudrun.tf)."
  value       = { for k in keys(local.published) : k => google_cloud_run_v2_service.this[k].uri }
}

output "platforms" {
  description = "Service => cloud-run | gke-tcp | gke-gpu."
  value       = { for k, s in var.services : k => s.gpu != null ? "gke-gpu" : (s.protocol == "http" ? "cloud-run" : "gke-tcp") }
}

output "cloud_run_services" {
  description = "Service => what its Cloud Run service runs: image, command, args, secrets, mount path, ingress."
  value = {
    for k, r in google_cloud_run_v2_service.this : k => {
      image      = r.template[0].containers[0].image
      command    = r.template[0].containers[0].command
      args       = r.template[0].containers[0].args
      secrets    = [for e in r.template[0].containers[0].env : e.name if length(e.value_source) > 0]
      mount_path = try(r.template[0].containers[0].volume_mounts[0].mount_path, null)
      ingress    = r.ingress
    }
  }
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

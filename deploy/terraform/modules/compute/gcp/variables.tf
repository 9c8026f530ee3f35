variable "services" {
  description = "Resolved services from the stack-model module (gpu = null runs on Fargate)."
  type = map(object({
    image           = string
    cpu             = number
    memory          = number
    replicas        = number
    min_replicas    = number
    max_replicas    = number
    ports           = map(number)
    env             = map(string)
    labels          = map(string)
    storage_size_gb = number
    gpu = object({
      model = string
      count = number
    })
    instance_type = string
    autoscaling = object({
      min         = number
      max         = number
      cpu_percent = number
    })
    primary_port   = number
    args           = list(string)
    entrypoint     = list(string)
    secrets        = list(string)
    public         = bool
    protocol       = string
    mount_path     = string
    storage_shared = bool
    health = object({
      path = string
      port = number
    })
    run_as_user = number
  }))
}

variable "accelerators" {
  description = "Per GPU service with GPUs attached to its machine (N1 + T4/V100/P100/P4): guest accelerator type, count and the zones that sell it. Services not listed use the accelerator of their bundled GPU model."
  type = map(object({
    type  = string
    count = number
    zones = list(string)
  }))
  default = {}
}

variable "api_authorized_cidrs" {
  description = "Ranges allowed to reach the GKE control plane; [] = allowed_cidrs."
  type        = list(string)
}

variable "secrets_version" {
  description = "Version of the write-only secret values."
  type        = number
}

variable "tcp_machine_type" {
  description = "Machine type of the GKE pool of the TCP services."
  type        = string
  default     = "e2-standard-4"
}

variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "project_id" {
  description = "GCP project ID (workload identity pool, IAM bindings)."
  type        = string
}

variable "region" {
  description = "Region of Cloud Run and the GKE cluster."
  type        = string
}

variable "zones" {
  description = "Zones of the GKE node pools (GPU availability differs per zone)."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "Sources allowed to reach the public endpoint; only 0.0.0.0/0 (or ::/0) makes the public Cloud Run services public, anything else keeps it internal-only."
  type        = list(string)
}

variable "network_name" {
  description = "VPC network name (Cloud Run Direct VPC egress)."
  type        = string
}

variable "subnetwork_name" {
  description = "Subnetwork name (Cloud Run Direct VPC egress)."
  type        = string
}

variable "network_self_link" {
  description = "VPC network self link (GKE)."
  type        = string
}

variable "subnetwork_self_link" {
  description = "Subnetwork self link (GKE nodes)."
  type        = string
}

variable "pods_range_name" {
  description = "Secondary range of the GKE pods."
  type        = string
}

variable "services_range_name" {
  description = "Secondary range of the GKE services."
  type        = string
}

variable "nfs_server" {
  description = "Filestore IP; null when no service has storage."
  type        = string
}

variable "nfs_path" {
  description = "Exported path of the Filestore share."
  type        = string
}

variable "storage_services" {
  description = "Services that mount the Filestore share."
  type        = list(string)
}

variable "secret_names" {
  description = "Declared secrets (one Secret Manager secret each); services receive the ones they list."
  type        = list(string)
}

variable "secrets" {
  description = "Secret values by name; names without a value get an empty Secret Manager secret."
  type        = map(string)
  sensitive   = true
}

variable "deletion_protection" {
  description = "Protect the GKE cluster from terraform destroy."
  type        = bool
  default     = false
}

variable "system_machine_type" {
  description = "Machine type of the GKE system node pool."
  type        = string
  default     = "e2-standard-4"
}

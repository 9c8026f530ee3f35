# Inputs mirror the root interface (see ../../aws/variables.tf for the
# documentation and validation); the roots pass their variables straight through.

variable "project_name" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "enable_gpu" {
  description = "Provision GPU capacity for services that request a GPU."
  type        = bool
}

variable "gpu_model" {
  description = "Default GPU model for GPU services whose gpu.model is \"\"."
  type        = string
}

variable "gpu_count" {
  description = "GPUs per node of the single-service fallback."
  type        = number
}

variable "instance_type" {
  description = "Default GPU instance type for GPU services whose instance_type is \"\"."
  type        = string
}

variable "cpu" {
  description = "vCPUs of the single-service fallback."
  type        = number
}

variable "memory" {
  description = "MiB of the single-service fallback."
  type        = number
}

variable "storage_size_gb" {
  description = "GiB of persistent storage of the single-service fallback."
  type        = number
}

variable "image" {
  description = "Image of the primary service."
  type        = string
}

variable "ports" {
  description = "Ports of the primary service."
  type        = map(number)
}

variable "labels" {
  description = "Global labels."
  type        = map(string)
}

variable "env" {
  description = "Global non-secret environment."
  type        = map(string)
}

variable "services" {
  # The same type as the roots' `services` (tests/it/terraform.rs keeps the
  # two equal: Terraform has no type aliases shared between modules).
  description = "Services as declared in the root interface."
  type = map(object({
    image           = string
    cpu             = number
    memory          = number
    replicas        = number
    ports           = map(number)
    env             = map(string)
    labels          = map(string)
    storage_size_gb = number
    gpu = optional(object({
      model = string
      count = number
    }))
    instance_type = string
    # GCP only (null elsewhere): GPUs attached to instance_type (N1 +
    # T4/V100/P100/P4): guest accelerator type/count and the zones of the
    # region that sell it; null for bundled GPUs.
    accelerator = optional(object({
      type  = string
      count = number
      zones = list(string)
    }))
    autoscaling = optional(object({
      min         = number
      max         = number
      cpu_percent = number
    }))
    args           = optional(list(string))
    entrypoint     = optional(list(string))
    secrets        = optional(list(string), [])
    public         = optional(bool, false)
    mount_path     = optional(string)
    storage_shared = optional(bool, false)
    protocol       = optional(string, "http")
    health = optional(object({
      path = optional(string)
      port = number
    }))
    run_as_user = optional(number)
  }))
}

variable "secret_names" {
  description = "Declared secrets; a service receives the ones its `secrets` lists (the single-service fallback receives all)."
  type        = list(string)
}

variable "storage_mount_path" {
  description = "Mount path of a service with storage whose mount_path is null."
  type        = string
}

variable "domain_name" {
  description = "Public DNS name of the endpoint (\"\" = none): hosts of the load-balancer routes."
  type        = string
}

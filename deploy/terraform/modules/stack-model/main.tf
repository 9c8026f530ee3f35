# Pure, provider-less normalisation of the common variable interface, shared by
# the aws/, azure/ and gcp/ roots so that the three clouds read the services map
# the same way:
#   * an empty `services` map becomes one service built from the top-level vars;
#   * env and labels are the global ones overlaid by the service's own;
#   * a service gets a GPU only if it asks for one (count > 0) and enable_gpu is
#     true; its model / instance type fall back to gpu_model / instance_type;
#   * replica bounds come from autoscaling when set;
#   * the primary service (published on the public endpoint) is the one whose
#     image equals var.image, else the first CPU service by name.

locals {
  name = "${var.project_name}-${var.environment}"

  fallback_service = {
    (var.project_name) = {
      image           = var.image
      cpu             = var.cpu
      memory          = var.memory
      replicas        = 1
      ports           = var.ports
      env             = {}
      labels          = {}
      storage_size_gb = var.storage_size_gb
      gpu             = var.gpu_count > 0 ? { model = var.gpu_model, count = var.gpu_count } : null
      instance_type   = var.instance_type
      autoscaling     = null
    }
  }

  declared = length(var.services) > 0 ? var.services : local.fallback_service

  services = {
    for name, s in local.declared : name => {
      image           = s.image
      cpu             = s.cpu
      memory          = s.memory
      ports           = s.ports
      env             = merge(var.env, s.env)
      labels          = merge(var.labels, s.labels)
      storage_size_gb = s.storage_size_gb
      autoscaling     = s.autoscaling

      # Replica bounds: fixed replicas, or the autoscaling range with the
      # desired count clamped into it.
      replicas     = s.autoscaling == null ? s.replicas : min(max(s.replicas, s.autoscaling.min), s.autoscaling.max)
      min_replicas = s.autoscaling == null ? s.replicas : s.autoscaling.min
      max_replicas = s.autoscaling == null ? s.replicas : s.autoscaling.max

      gpu = var.enable_gpu && (s.gpu == null ? false : s.gpu.count > 0) ? {
        model = s.gpu.model != "" ? s.gpu.model : var.gpu_model
        count = s.gpu.count
      } : null
      instance_type = s.instance_type != "" ? s.instance_type : var.instance_type

      # The port a load balancer / Cloud Run sends traffic to: "http", else the
      # first port by name, else none.
      primary_port = try(s.ports["http"], values(s.ports)[0], null)
    }
  }

  names     = sort(keys(local.services))
  cpu_names = [for n in local.names : n if local.services[n].gpu == null]
  gpu_names = [for n in local.names : n if local.services[n].gpu != null]

  image_matches   = [for n in local.names : n if local.services[n].image == var.image]
  primary_service = length(local.image_matches) > 0 ? local.image_matches[0] : (length(local.cpu_names) > 0 ? local.cpu_names[0] : local.names[0])
  primary_port    = try(var.ports["http"], values(var.ports)[0], local.services[local.primary_service].primary_port)
}

# Pure, provider-less normalisation of the common variable interface, shared by
# the aws/, azure/ and gcp/ roots so that the three clouds read the services map
# the same way:
#   * an empty `services` map becomes one service built from the top-level vars;
#   * env and labels are the global ones overlaid by the service's own;
#   * a service gets a GPU only if it asks for one (count > 0) and enable_gpu is
#     true; its model / instance type fall back to gpu_model / instance_type;
#   * replica bounds come from autoscaling when set;
#   * a service receives only the secrets it lists (and that are declared);
#   * exactly the services with `public = true` are published, each on its own
#     route (see `routes`); nothing depends on the order of the map.

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
      accelerator     = null
      autoscaling     = null
      args            = null
      entrypoint      = null
      secrets         = var.secret_names
      public          = contains(keys(var.ports), "http")
      mount_path      = null
      storage_shared  = false
      protocol        = contains(keys(var.ports), "http") ? "http" : "tcp"
      health          = null
      run_as_user     = null
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

      # The container's arguments (image CMD) and ENTRYPOINT override; null
      # keeps the image's.
      args       = s.args
      entrypoint = s.entrypoint

      # Only the secrets this service lists, and only declared ones.
      secrets = sort([for n in distinct(s.secrets) : n if contains(var.secret_names, n)])

      public   = s.public
      protocol = s.protocol

      # Storage: where it is mounted (null without storage) and whether it is
      # shared file storage (EFS / Azure Files / Filestore) or per-replica
      # block storage.
      mount_path     = s.storage_size_gb > 0 ? coalesce(s.mount_path, var.storage_mount_path) : null
      storage_shared = s.storage_size_gb > 0 && s.storage_shared

      run_as_user = s.run_as_user

      # The port a load balancer / Cloud Run sends traffic to: "http", else the
      # first port by name, else none.
      primary_port = try(s.ports["http"], values(s.ports)[0], null)

      # Health check: the declared one, else a TCP check of the traffic port
      # (null when the service has no port).
      health = s.health != null ? {
        path = s.health.path
        port = s.health.port
        } : (try(s.ports["http"], values(s.ports)[0], null) == null ? null : {
          path = null
          port = try(s.ports["http"], values(s.ports)[0])
      })
    }
  }

  names           = sort(keys(local.services))
  cpu_names       = [for n in local.names : n if local.services[n].gpu == null]
  gpu_names       = [for n in local.names : n if local.services[n].gpu != null]
  public_names    = [for n in local.names : n if local.services[n].public && local.services[n].primary_port != null]
  storage_names   = [for n in local.names : n if local.services[n].mount_path != null]
  shared_names    = [for n in local.names : n if local.services[n].storage_shared]
  unshared_names  = [for n in local.names : n if local.services[n].mount_path != null && !local.services[n].storage_shared]
  secret_services = { for n in local.names : n => local.services[n].secrets }

  # One route per public service: alone, it owns the endpoint ("/" on
  # domain_name); several each get the host "<service>.<domain_name>" when a
  # domain is set, else the path prefix "/<service>".
  routes = {
    for i, n in local.public_names : n => {
      port     = local.services[n].primary_port
      priority = 100 + i
      host     = length(local.public_names) == 1 ? (var.domain_name == "" ? null : var.domain_name) : (var.domain_name == "" ? null : "${n}.${var.domain_name}")
      path     = length(local.public_names) == 1 || var.domain_name != "" ? null : "/${n}"
    }
  }
}

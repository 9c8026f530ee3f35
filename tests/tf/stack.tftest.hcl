# Generic assertions for ANY generated aws/<profile>.tfvars (tests/terraform.rs
# copies this file into a scratch copy of deploy/terraform/aws/tests/ and runs
# `terraform test -var-file=<profile>.tfvars` against the real AWS provider
# schema with a mocked provider): what devgen wrote into `services` must be
# what the planned (mock-applied) ECS, ALB and EC2 resources carry. `var.*`
# here is the raw tfvars value, so optional fields are read with try() and
# the defaults of variables.tf. (A profile with HTTPS but no domain gets
# -var certificate_arn=... from the test.)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "generated_tfvars" {
  command = apply

  variables {
    # Every declared secret has a value, so every listed secret is injected.
    secrets = { for n in var.secret_names : n => "test-value-${n}" }
  }

  # Exactly the public services (with a port) are behind the load balancer.
  assert {
    condition     = jsonencode(module.compute.lb_services) == jsonencode(sort([for k, s in var.services : k if try(s.public, false) && length(s.ports) > 0]))
    error_message = "Load balancer services ${jsonencode(module.compute.lb_services)} are not the public services of the tfvars."
  }

  # Each task definition's container carries the service's image, args,
  # entrypoint, user, its own secrets and its mount path.
  assert {
    condition = alltrue([for k, s in var.services : (
      module.compute.task_definitions[k].containers[0].image == s.image &&
      jsonencode(try(module.compute.task_definitions[k].containers[0].command, null)) == jsonencode(try(s.args, null)) &&
      jsonencode(try(module.compute.task_definitions[k].containers[0].entryPoint, null)) == jsonencode(try(s.entrypoint, null)) &&
      try(module.compute.task_definitions[k].containers[0].user, null) == (try(s.run_as_user, null) == null ? null : tostring(s.run_as_user)) &&
      jsonencode(sort([for e in module.compute.task_definitions[k].containers[0].secrets : e.name])) == jsonencode(sort(distinct([for n in try(s.secrets, []) : n if contains(var.secret_names, n)]))) &&
      jsonencode([for m in module.compute.task_definitions[k].containers[0].mountPoints : m.containerPath]) == jsonencode(s.storage_size_gb > 0 ? [coalesce(try(s.mount_path, null), "/data")] : [])
    )])
    error_message = "A task definition does not carry its service's image/args/entrypoint/user/secrets/mount path."
  }

  # CPU and memory: the Fargate task or the GPU container is at least the request.
  assert {
    condition = alltrue([for k, s in var.services : (
      contains(module.compute.task_definitions[k].compatibilities, "EC2")
      ? module.compute.task_definitions[k].containers[0].cpu == floor(s.cpu * 1024) && module.compute.task_definitions[k].containers[0].memory == ceil(s.memory)
      : tonumber(module.compute.task_definitions[k].cpu) >= s.cpu * 1024 && tonumber(module.compute.task_definitions[k].memory) >= s.memory
    )])
    error_message = "A task definition is smaller than its service's cpu/memory."
  }

  # GPU services run on their instance type (enable_gpu only).
  assert {
    condition = jsonencode(module.compute.gpu_instance_types) == jsonencode({
      for k, s in var.services : k => (s.instance_type != "" ? s.instance_type : var.instance_type) if var.enable_gpu && try(s.gpu.count, 0) > 0
    })
    error_message = "GPU instance types ${jsonencode(module.compute.gpu_instance_types)} differ from the tfvars."
  }

  # Storage: EFS only for shared storage, per-task EBS otherwise.
  assert {
    condition = (
      jsonencode(sort(keys(module.storage.access_point_ids))) == jsonencode(sort([for k, s in var.services : k if s.storage_size_gb > 0 && try(s.storage_shared, false)])) &&
      jsonencode(module.compute.ebs_volumes) == jsonencode({ for k, s in var.services : k => s.storage_size_gb if s.storage_size_gb > 0 && !try(s.storage_shared, false) })
    )
    error_message = "Shared storage must be on EFS and per-replica storage on per-task EBS volumes."
  }

  # HTTPS on: port 80 only redirects; off: a plain HTTP listener.
  assert {
    condition = length(module.compute.lb_services) == 0 ? length(module.compute.listeners) == 0 : (var.enable_https
      ? try(module.compute.listeners["http_redirect"].action, "") == "redirect" && try(module.compute.listeners["https"].protocol, "") == "HTTPS" && !contains(keys(module.compute.listeners), "http")
    : jsonencode(keys(module.compute.listeners)) == jsonencode(["http"]))
    error_message = "Listeners do not follow enable_https."
  }

  # Internal load balancer exactly when every allowed range is private.
  assert {
    condition     = length(module.compute.lb_services) == 0 ? output.load_balancer_internal == null : output.load_balancer_internal == !anytrue([for c in var.allowed_cidrs : contains(["0.0.0.0/0", "::/0"], c) || !anytrue([for r in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"] : strcontains(c, ":") == strcontains(r, ":") && tonumber(split("/", c)[1]) >= tonumber(split("/", r)[1]) && cidrhost("${cidrhost(c, 0)}/${split("/", r)[1]}", 0) == cidrhost(r, 0)])])
    error_message = "The load balancer must be internal exactly when all allowed_cidrs are private ranges."
  }
}

# One task definition + ECS service per service; autoscaling where requested.

locals {
  # The container's health check (config `health`), run by the ECS agent in
  # the container: an HTTP GET of the path on the port (curl or wget), or a
  # TCP connect (bash /dev/tcp or nc) for a TCP check.
  health_commands = {
    for k, s in var.services : k => s.health == null ? null : (
      s.health.path != null
      ? "curl -fsS -o /dev/null http://127.0.0.1:${s.health.port}${s.health.path} || wget -q -O /dev/null http://127.0.0.1:${s.health.port}${s.health.path} || exit 1"
      : "bash -c '</dev/tcp/127.0.0.1/${s.health.port}' || nc -z 127.0.0.1 ${s.health.port} || exit 1"
    )
  }

  container_definitions = {
    for k, s in var.services : k => [merge(
      {
        name      = k
        image     = s.image
        essential = true

        portMappings = [for port_name, port in s.ports : merge({
          name          = port_name
          containerPort = port
          protocol      = "tcp"
        }, s.protocol == "http" ? { appProtocol = "http" } : {})]

        environment = [for key in sort(keys(s.env)) : { name = key, value = s.env[key] }]

        # Only the service's own secrets (config services.<s>.secrets), and
        # only those with a value (a Secrets Manager secret without a version
        # would stop the task from starting).
        secrets = [for n in s.secrets : { name = n, valueFrom = aws_secretsmanager_secret.this[n].arn } if contains(local.secret_names_with_value, n)]

        # Shared storage on EFS, per-task storage on an EBS volume attached at launch.
        mountPoints = s.mount_path == null ? [] : [{
          sourceVolume  = s.storage_shared ? "shared" : "data"
          containerPath = s.mount_path
          readOnly      = false
        }]

        logConfiguration = {
          logDriver = "awslogs"
          options = {
            awslogs-group         = aws_cloudwatch_log_group.this.name
            awslogs-region        = var.region
            awslogs-stream-prefix = k
          }
        }
      },
      s.args == null ? {} : { command = s.args },
      s.entrypoint == null ? {} : { entryPoint = s.entrypoint },
      s.run_as_user == null ? {} : { user = tostring(s.run_as_user) },
      local.health_commands[k] == null ? {} : {
        healthCheck = {
          command     = ["CMD-SHELL", local.health_commands[k]]
          interval    = 30
          timeout     = 10
          retries     = 3
          startPeriod = 120
        }
      },
      # On EC2 the container carries the size and the GPU reservation; on
      # Fargate the task does.
      [for g in [s.gpu] : {
        cpu                  = floor(s.cpu * 1024)
        memory               = ceil(s.memory)
        resourceRequirements = [{ type = "GPU", value = tostring(g.count) }]
      } if g != null]...
    )]
  }
}

resource "aws_ecs_task_definition" "this" {
  for_each = var.services

  family                   = "${var.name}-${each.key}"
  network_mode             = "awsvpc"
  requires_compatibilities = [each.value.gpu == null ? "FARGATE" : "EC2"]
  cpu                      = each.value.gpu == null ? try(tostring(local.fargate_size[each.key].cpu), null) : null
  memory                   = each.value.gpu == null ? try(tostring(local.fargate_size[each.key].memory), null) : null
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(local.container_definitions[each.key])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Per-task block storage: an EBS volume the service attaches at launch.
  dynamic "volume" {
    for_each = each.value.mount_path != null && !each.value.storage_shared ? [1] : []
    content {
      name                = "data"
      configure_at_launch = true
    }
  }

  # Shared storage: the service's EFS access point.
  dynamic "volume" {
    for_each = contains(keys(var.efs_access_point_ids), each.key) ? [var.efs_access_point_ids[each.key]] : []
    content {
      name = "shared"

      efs_volume_configuration {
        file_system_id     = var.efs_file_system_id
        transit_encryption = "ENABLED"

        authorization_config {
          access_point_id = volume.value
          iam             = "ENABLED"
        }
      }
    }
  }

  tags = merge(var.tags, each.value.labels, { service = each.key })

  lifecycle {
    precondition {
      condition     = each.value.gpu != null ? true : local.fargate_size[each.key] != null
      error_message = "Service ${each.key} (${each.value.cpu} vCPU, ${each.value.memory} MiB) is larger than the biggest Fargate task (16 vCPU, 120 GiB)."
    }
  }
}

resource "aws_ecs_service" "this" {
  for_each = var.services

  name                    = each.key
  cluster                 = aws_ecs_cluster.this.id
  task_definition         = aws_ecs_task_definition.this[each.key].arn
  desired_count           = each.value.replicas
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  # Fargate for CPU services, the service's own EC2 GPU capacity provider otherwise.
  capacity_provider_strategy {
    capacity_provider = each.value.gpu == null ? "FARGATE" : aws_ecs_capacity_provider.gpu[each.key].name
    weight            = 1
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.services_security_group_id]
    assign_public_ip = false
  }

  # Only public services are registered with the load balancer.
  dynamic "load_balancer" {
    for_each = contains(keys(var.routes), each.key) ? [var.routes[each.key].port] : []
    content {
      target_group_arn = aws_lb_target_group.public[each.key].arn
      container_name   = each.key
      container_port   = load_balancer.value
    }
  }

  health_check_grace_period_seconds = contains(keys(var.routes), each.key) ? 120 : null

  # Per-task block storage (storage_shared = false): a fresh encrypted gp3
  # volume per task, deleted with the task.
  dynamic "volume_configuration" {
    for_each = each.value.mount_path != null && !each.value.storage_shared ? [each.value.storage_size_gb] : []
    content {
      name = "data"

      managed_ebs_volume {
        role_arn         = aws_iam_role.ebs[0].arn
        size_in_gb       = volume_configuration.value
        volume_type      = "gp3"
        file_system_type = "xfs"
        encrypted        = true
      }
    }
  }

  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn

    dynamic "service" {
      for_each = each.value.ports
      content {
        port_name      = service.key
        discovery_name = "${each.key}-${service.key}"

        client_alias {
          dns_name = each.key
          port     = service.value
        }
      }
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # GPU instances hold one task each; let ECS stop the old task before it can
  # place the new one instead of waiting for a second instance.
  deployment_minimum_healthy_percent = each.value.gpu == null ? 100 : 0
  deployment_maximum_percent         = each.value.gpu == null ? 200 : 100

  tags = merge(var.tags, each.value.labels, { service = each.key })

  depends_on = [
    aws_ecs_cluster_capacity_providers.this,
    aws_lb_listener.http,
    aws_lb_listener.http_redirect,
    aws_lb_listener.https,
    aws_lb_listener_rule.public,
    aws_iam_role_policy.execution_secrets,
  ]
}

# --- autoscaling ----------------------------------------------------------------
# Note: an apply resets desired_count to the clamped `replicas`; the target
# tracking policy scales it again within [min, max].

resource "aws_appautoscaling_target" "this" {
  for_each = { for k, s in var.services : k => s if s.autoscaling != null }

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this[each.key].name}"
  min_capacity       = each.value.min_replicas
  max_capacity       = each.value.max_replicas
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = aws_appautoscaling_target.this

  name               = "${var.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  scalable_dimension = each.value.scalable_dimension
  resource_id        = each.value.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.services[each.key].autoscaling.cpu_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

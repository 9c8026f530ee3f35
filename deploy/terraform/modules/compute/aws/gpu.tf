# GPU capacity: per GPU service an Auto Scaling group of `instance_type`
# instances running the ECS GPU-optimised AMI, registered as an ECS capacity
# provider with managed scaling (instances follow the service's task count,
# down to zero).

data "aws_ssm_parameter" "ecs_gpu_ami" {
  count = length(local.gpu_services) > 0 ? 1 : 0

  name = "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "gpu_instance" {
  count = length(local.gpu_services) > 0 ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 26)}-gpu"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "gpu_instance" {
  for_each = length(local.gpu_services) > 0 ? toset([
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
  ]) : toset([])

  role       = aws_iam_role.gpu_instance[0].name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "gpu_instance" {
  count = length(local.gpu_services) > 0 ? 1 : 0

  name_prefix = "${substr(var.name, 0, 26)}-gpu"
  role        = aws_iam_role.gpu_instance[0].name
  tags        = var.tags
}

resource "aws_launch_template" "gpu" {
  for_each = local.gpu_services

  name_prefix            = "${var.name}-${each.key}-"
  image_id               = data.aws_ssm_parameter.ecs_gpu_ami[0].value
  instance_type          = each.value.instance_type
  vpc_security_group_ids = [var.services_security_group_id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.gpu_instance[0].arn
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >> /etc/ecs/ecs.config <<'CONFIG'
    ECS_CLUSTER=${aws_ecs_cluster.this.name}
    ECS_ENABLE_GPU_SUPPORT=true
    ECS_ENABLE_CONTAINER_METADATA=true
    ECS_CONTAINER_STOP_TIMEOUT=60s
    CONFIG
  EOT
  )

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.gpu_root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, each.value.labels, { Name = "${var.name}-${each.key}-gpu", service = each.key })
  }

  tags = merge(var.tags, { service = each.key })
}

resource "aws_autoscaling_group" "gpu" {
  for_each = local.gpu_services

  name_prefix           = "${var.name}-${each.key}-"
  vpc_zone_identifier   = var.private_subnet_ids
  min_size              = 0
  max_size              = max(each.value.max_replicas, 1)
  protect_from_scale_in = true # required by managed termination protection

  launch_template {
    id      = aws_launch_template.gpu[each.key].id
    version = aws_launch_template.gpu[each.key].latest_version
  }

  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 0
    }
  }

  # ECS managed scaling owns the desired capacity.
  lifecycle {
    ignore_changes = [desired_capacity]
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }
}

resource "aws_ecs_capacity_provider" "gpu" {
  for_each = local.gpu_services

  # Capacity provider names may not start with "aws", "ecs" or "fargate".
  name = "cp-${var.name}-${each.key}-gpu"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.gpu[each.key].arn
    managed_termination_protection = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 100
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = max(each.value.max_replicas, 1)
    }
  }

  tags = merge(var.tags, { service = each.key })
}

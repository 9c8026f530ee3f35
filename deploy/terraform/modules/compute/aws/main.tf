# ECS cluster running every service of the stack:
#   * CPU services on Fargate (task size rounded up to the nearest valid
#     Fargate CPU/memory combination);
#   * GPU services on an EC2 capacity provider per service (gpu.tf): a launch
#     template with the service's instance_type and the ECS GPU-optimised AMI;
#   * the public services behind an ALB (lb.tf), each on its own route;
#   * service discovery through ECS Service Connect: every service is reachable
#     as http://<service>:<port> from the others (e.g. API_URL=http://api:8000);
#   * secrets in Secrets Manager, written with the write-only argument (the
#     values never reach the Terraform state); each service receives only the
#     secrets it lists, as environment variables;
#   * storage: shared (storage_shared) on EFS access points, else a per-task
#     EBS volume attached at launch.

locals {
  cpu_services = { for k, s in var.services : k => s if s.gpu == null }
  gpu_services = { for k, s in var.services : k => s if s.gpu != null }

  # Every valid Fargate (cpu units, memory MiB) pair, ordered by cpu then memory,
  # so the first pair that fits is the cheapest.
  fargate_sizes = flatten([
    [for m in [512, 1024, 2048] : { cpu = 256, memory = m }],
    [for m in range(1024, 4097, 1024) : { cpu = 512, memory = m }],
    [for m in range(2048, 8193, 1024) : { cpu = 1024, memory = m }],
    [for m in range(4096, 16385, 1024) : { cpu = 2048, memory = m }],
    [for m in range(8192, 30721, 1024) : { cpu = 4096, memory = m }],
    [for m in range(16384, 61441, 4096) : { cpu = 8192, memory = m }],
    [for m in range(32768, 122881, 8192) : { cpu = 16384, memory = m }],
  ])
  fargate_size = {
    for k, s in local.cpu_services : k => try([for z in local.fargate_sizes : z if z.cpu >= s.cpu * 1024 && z.memory >= s.memory][0], null)
  }

  secret_names_with_value = toset([for n in var.secret_names : n if contains(nonsensitive(keys(var.secrets)), n)])
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:AWS-managed encryption of CloudWatch Logs; add a customer-managed KMS key where policy requires one.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30 days) to keep costs down; raise it where audits need a year.
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_service_discovery_http_namespace" "this" {
  name        = var.name
  description = "Service Connect namespace of ${var.name}"
  tags        = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.this.arn
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = concat(["FARGATE", "FARGATE_SPOT"], [for cp in aws_ecs_capacity_provider.gpu : cp.name])

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# --- secrets ------------------------------------------------------------------

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:The values are API keys issued by third parties (SaaS APIs, model hubs, ...); they are rotated at the issuer, not by a Lambda.
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS-managed key aws/secretsmanager; a customer-managed KMS key is an organisation choice.
  for_each = toset(var.secret_names)

  name                    = "${var.name}/${each.key}"
  description             = "${each.key} for ${var.name} (value from TF_VAR_secrets or set out of band)"
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  for_each = local.secret_names_with_value

  secret_id = aws_secretsmanager_secret.this[each.key].id

  # Write-only: sent to AWS, never stored in the Terraform state or plan.
  # Bump secrets_version to push changed values.
  secret_string_wo         = var.secrets[each.key]
  secret_string_wo_version = var.secrets_version
}

# --- IAM ------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Execution role: pulls images, writes logs, reads the secrets at task start.
resource "aws_iam_role" "execution" {
  name_prefix        = "${substr(var.name, 0, 26)}-exe"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  count = length(var.secret_names) > 0 ? 1 : 0

  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in aws_secretsmanager_secret.this : s.arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  count = length(var.secret_names) > 0 ? 1 : 0

  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets[0].json
}

# Task role: what the containers themselves may do (mount EFS with IAM auth).
resource "aws_iam_role" "task" {
  name_prefix        = "${substr(var.name, 0, 26)}-tsk"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [var.efs_file_system_arn]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "efs-access"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# Infrastructure role: lets ECS create and attach the per-task EBS volumes.
data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ebs" {
  count = length([for s in var.services : s if s.mount_path != null && !s.storage_shared]) > 0 ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 26)}-ebs"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "ebs" {
  count = length(aws_iam_role.ebs)

  role       = aws_iam_role.ebs[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes"
}

# One encrypted, elastic EFS file system for the stack; every service with
# storage_size_gb > 0 gets its own access point (its own root directory), so
# services never see each other's data. Tasks mount it with IAM authorisation
# and TLS (see the compute module's task definitions).

resource "aws_efs_file_system" "this" {
  creation_token   = var.name
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia == "" ? [] : [var.transition_to_ia]
    content {
      transition_to_ia = lifecycle_policy.value
    }
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_efs_backup_policy" "this" {
  file_system_id = aws_efs_file_system.this.id

  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_security_group" "efs" {
  name        = "${var.name}-efs"
  description = "EFS mount targets of ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-efs" })
}

resource "aws_vpc_security_group_ingress_rule" "nfs" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.efs.id
  description                  = "NFS from the services"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.client_security_group_ids[count.index]
}

resource "aws_efs_mount_target" "this" {
  count = length(var.subnet_ids)

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = var.subnet_ids[count.index]
  security_groups = [aws_security_group.efs.id]
}

resource "aws_efs_access_point" "service" {
  for_each = var.volumes

  file_system_id = aws_efs_file_system.this.id

  root_directory {
    path = "/${each.key}"

    # Created on first mount; group 100 ("users") is the group of many images'
    # non-root user; images that run as root can write regardless.
    creation_info {
      owner_uid   = 1000
      owner_gid   = 100
      permissions = "0775"
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", service = each.key, requested_size_gib = tostring(each.value) })
}

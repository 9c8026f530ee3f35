# VPC (with flow logs and a default security group that admits nothing) with public subnets (load balancer, NAT gateway) and private subnets
# (ECS tasks, GPU instances, EFS mount targets) in two availability zones, plus
# the security groups that tie the tiers together:
#   lb       <- allowed_cidrs on 80/443
#   services <- lb (any TCP port) and services (service-to-service, Service Connect)

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs = length(var.availability_zones) > 0 ? var.availability_zones : slice(data.aws_availability_zones.available.names, 0, 2)

  # One rule per (CIDR, port); IPv6 sources go to cidr_ipv6.
  lb_ingress = {
    for pair in setproduct(var.allowed_cidrs, [80, 443]) : "${pair[0]}:${pair[1]}" => {
      cidr = pair[0]
      port = pair[1]
    }
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 4, count.index)

  tags = merge(var.tags, { Name = "${var.name}-public-${local.azs[count.index]}", tier = "public" })
}

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 4, count.index + 8)

  tags = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}", tier = "private" })
}

# A single NAT gateway keeps a dev stack cheap; add one per zone for production HA.
resource "aws_eip" "nat" {
  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-nat" })
}

resource "aws_nat_gateway" "this" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  tags          = merge(var.tags, { Name = var.name })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this.id
  }

  tags = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table_association" "public" {
  count = length(local.azs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table_association" "private" {
  count = length(local.azs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# --- security groups --------------------------------------------------------

resource "aws_security_group" "lb" {
  name        = "${var.name}-lb"
  description = "Public load balancer of ${var.name}"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-lb" })
}

resource "aws_vpc_security_group_ingress_rule" "lb" {
  for_each = local.lb_ingress

  security_group_id = aws_security_group.lb.id
  description       = "HTTP(S) from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = strcontains(each.value.cidr, ":") ? null : each.value.cidr
  cidr_ipv6         = strcontains(each.value.cidr, ":") ? each.value.cidr : null
}

resource "aws_vpc_security_group_egress_rule" "lb_to_services" {
  security_group_id            = aws_security_group.lb.id
  description                  = "To the services"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.services.id
}

resource "aws_security_group" "services" {
  name        = "${var.name}-services"
  description = "ECS tasks and GPU container instances of ${var.name}"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-services" })
}

resource "aws_vpc_security_group_ingress_rule" "services_from_lb" {
  security_group_id            = aws_security_group.services.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.lb.id
}

resource "aws_vpc_security_group_ingress_rule" "services_from_services" {
  security_group_id            = aws_security_group.services.id
  description                  = "Service to service"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.services.id
}

# Egress to anywhere: image pulls (public registries), AWS APIs without VPC
# endpoints and model downloads need it (trivy AWS-0104: see .trivyignore.yaml).
resource "aws_vpc_security_group_egress_rule" "services_all" {
  security_group_id = aws_security_group.services.id
  description       = "Image pulls, AWS APIs, model downloads"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# The VPC's default security group admits nothing (nothing uses it).
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-default-deny" })
}

# --- VPC flow logs (CloudWatch Logs; cheap at a dev stack's traffic) ----------------

resource "aws_cloudwatch_log_group" "flow" {
  #checkov:skip=CKV_AWS_158:AWS-managed encryption of CloudWatch Logs; a customer-managed KMS key per stack costs more than a dev stack's logs are worth. Add kms_key_id here if policy requires CMKs.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30 days) to keep costs down; raise it where audits need a year.
  name              = "/vpc/${var.name}/flow-logs"
  retention_in_days = var.flow_log_retention
  tags              = var.tags
}

data "aws_iam_policy_document" "flow_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "flow_write" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow.arn}:*"]
  }
}

resource "aws_iam_role" "flow" {
  name_prefix        = "${substr(var.name, 0, 26)}-flw"
  assume_role_policy = data.aws_iam_policy_document.flow_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "flow" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow.id
  policy = data.aws_iam_policy_document.flow_write.json
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow.arn
  iam_role_arn         = aws_iam_role.flow.arn
  tags                 = var.tags
}

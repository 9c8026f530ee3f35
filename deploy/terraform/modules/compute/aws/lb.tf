# Application Load Balancer in front of the public services (public = true),
# each on its own route (the stack-model module's `routes`: the endpoint
# itself when only one service is public, else host <service>.<domain_name>
# or path /<service>). No service is reachable through it by YAML order or by
# default: with several public services an unmatched request gets a 404.
#
# * internal when every allowed CIDR is a private range (RFC 1918 / RFC 4193);
# * HTTPS (TLS 1.3/1.2) with the certificate from certificate_arn, else an ACM
#   certificate created for domain_name; port 80 only redirects to 443;
# * plain HTTP only when enable_https = false (a dev choice, see README).

locals {
  publish   = length(var.routes) > 0
  single    = length(var.routes) == 1 ? keys(var.routes)[0] : null
  serve_tls = local.publish && var.enable_https

  # ALB and target group names are limited to 32 characters.
  lb_name = trimsuffix(substr(var.name, 0, 32), "-")
  tg_name = { for k, r in var.routes : k => trimsuffix(substr("${var.name}-${k}", 0, 32), "-") }

  # A CIDR is private when it lies inside 10/8, 172.16/12, 192.168/16 or fc00::/7.
  private_ranges = [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["fc00::", 7]]
  cidr_is_private = [for c in var.allowed_cidrs : anytrue([
    for r in local.private_ranges : tonumber(split("/", c)[1]) >= r[1] && cidrhost("${cidrhost(c, 0)}/${r[1]}", 0) == r[0]
  ])]
  internal = alltrue(local.cidr_is_private)

  create_certificate = local.serve_tls && var.certificate_arn == "" && var.domain_name != ""
  certificate_arn = local.create_certificate ? (
    var.route53_zone_id == "" ? aws_acm_certificate.this[0].arn : aws_acm_certificate_validation.this[0].certificate_arn
  ) : var.certificate_arn
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:WAF is a paid add-on chosen per organisation; the ALB admits only allowed_cidrs (internal when they are private).
  #checkov:skip=CKV_AWS_150:Deletion protection is var.lb_deletion_protection (default off so that `terraform destroy` of a dev stack works).
  #checkov:skip=CKV2_AWS_20:Port 80 redirects to HTTPS (aws_lb_listener.http_redirect) in every profile with network.enable_https true; only a profile that turns HTTPS off (dev) forwards plain HTTP (aws_lb_listener.http). tests/tf/stack.tftest.hcl asserts this per generated tfvars.
  #checkov:skip=CKV_AWS_91:Access logs need an S3 bucket with the ELB delivery policy; enabled by setting lb_access_logs_bucket.
  count = local.publish ? 1 : 0

  name                       = local.lb_name
  load_balancer_type         = "application"
  internal                   = local.internal
  security_groups            = [var.lb_security_group_id]
  subnets                    = local.internal ? var.private_subnet_ids : var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.lb_deletion_lock
  idle_timeout               = 300 # websockets and long-running responses
  tags                       = var.tags

  access_logs {
    bucket  = var.lb_access_logs
    enabled = var.lb_access_logs != ""
    prefix  = var.name
  }
}

# --- certificate ------------------------------------------------------------------

resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name               = var.domain_name
  subject_alternative_names = ["*.${var.domain_name}"]
  validation_method         = "DNS"
  tags                      = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = local.create_certificate && var.route53_zone_id != "" ? {
    for o in aws_acm_certificate.this[0].domain_validation_options : o.domain_name => o
  } : {}

  zone_id         = var.route53_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create_certificate && var.route53_zone_id != "" ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_route53_record" "route" {
  for_each = local.publish && var.route53_zone_id != "" ? { for k, r in var.routes : k => r if r.host != null } : {}

  zone_id = var.route53_zone_id
  name    = each.value.host
  type    = "A"

  alias {
    name                   = aws_lb.this[0].dns_name
    zone_id                = aws_lb.this[0].zone_id
    evaluate_target_health = true
  }
}

# --- target groups: one per public service ----------------------------------------

resource "aws_lb_target_group" "public" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the tasks stays inside the VPC's private subnets.
  for_each = var.routes

  name                 = local.tg_name[each.key]
  vpc_id               = var.vpc_id
  target_type          = "ip"
  port                 = each.value.port
  protocol             = "HTTP"
  deregistration_delay = 30

  # The service's own health check (config `health`): its HTTP path on its
  # port, else a TCP-level check that any HTTP answer passes.
  health_check {
    path                = coalesce(try(var.services[each.key].health.path, null), "/")
    port                = try(tostring(var.services[each.key].health.port), "traffic-port")
    matcher             = try(var.services[each.key].health.path, null) != null ? "200-399" : "200-499"
    interval            = 30
    timeout             = 10
    healthy_threshold   = 2
    unhealthy_threshold = 5
  }

  # Interactive sessions (websockets, server-side state) stick to one replica.
  stickiness {
    type    = "lb_cookie"
    enabled = true
  }

  tags = merge(var.tags, { service = each.key })
}

# --- listeners ------------------------------------------------------------------------

# HTTPS on: port 80 only redirects (a static block, so scanners see it).
resource "aws_lb_listener" "http_redirect" {
  count = local.serve_tls ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.serve_tls ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.certificate_arn

  default_action {
    type             = local.single == null ? "fixed-response" : "forward"
    target_group_arn = local.single == null ? null : aws_lb_target_group.public[local.single].arn

    dynamic "fixed_response" {
      for_each = local.single == null ? [1] : []
      content {
        content_type = "text/plain"
        message_body = "Not found"
        status_code  = "404"
      }
    }
  }

  tags = var.tags
}

# HTTPS off (network.enable_https: false, dev only): plain HTTP on port 80.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Exists only when the config sets network.enable_https false (dev); every other profile gets http_redirect + https.
  #checkov:skip=CKV_AWS_103:Exists only when the config sets network.enable_https false (dev); the HTTPS listener enforces TLS 1.2+.
  count = local.publish && !var.enable_https ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.single == null ? "fixed-response" : "forward"
    target_group_arn = local.single == null ? null : aws_lb_target_group.public[local.single].arn

    dynamic "fixed_response" {
      for_each = local.single == null ? [1] : []
      content {
        content_type = "text/plain"
        message_body = "Not found"
        status_code  = "404"
      }
    }
  }

  tags = var.tags
}

# Several public services: one rule each, by host or by path prefix.
resource "aws_lb_listener_rule" "public" {
  for_each = local.single == null ? var.routes : {}

  listener_arn = local.serve_tls ? aws_lb_listener.https[0].arn : aws_lb_listener.http[0].arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.public[each.key].arn
  }

  dynamic "condition" {
    for_each = each.value.host == null ? [] : [each.value.host]
    content {
      host_header {
        values = [condition.value]
      }
    }
  }

  dynamic "condition" {
    for_each = each.value.path == null ? [] : [each.value.path]
    content {
      path_pattern {
        values = [condition.value, "${condition.value}/*"]
      }
    }
  }

  tags = var.tags
}

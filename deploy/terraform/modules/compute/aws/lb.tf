# Public Application Load Balancer in front of the primary service. With
# enable_https, port 80 redirects to 443 and the HTTPS listener uses
# certificate_arn (TLS 1.3/1.2 policy).

locals {
  publish = var.primary_port != null
  # ALB and target group names are limited to 32 characters.
  lb_name = trimsuffix(substr(var.name, 0, 32), "-")
  tg_name = trimsuffix(substr("${var.name}-${var.primary_service}", 0, 32), "-")
}

resource "aws_lb" "this" {
  count = local.publish ? 1 : 0

  name                       = local.lb_name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [var.lb_security_group_id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  idle_timeout               = 300 # notebooks' websockets and long model responses
  tags                       = var.tags

  lifecycle {
    precondition {
      condition     = !var.enable_https || var.certificate_arn != ""
      error_message = "enable_https = true needs an ACM certificate: set certificate_arn (e.g. TF_VAR_certificate_arn=arn:aws:acm:...), or set enable_https = false."
    }
  }
}

resource "aws_lb_target_group" "primary" {
  count = local.publish ? 1 : 0

  name                 = local.tg_name
  vpc_id               = var.vpc_id
  target_type          = "ip"
  port                 = var.primary_port
  protocol             = "HTTP"
  deregistration_delay = 30

  health_check {
    path                = "/"
    matcher             = "200-399"
    interval            = 30
    timeout             = 10
    healthy_threshold   = 2
    unhealthy_threshold = 5
  }

  # Notebook sessions stick to one replica.
  stickiness {
    type    = "lb_cookie"
    enabled = true
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  count = local.publish ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  dynamic "default_action" {
    for_each = var.enable_https ? [1] : []
    content {
      type = "redirect"
      redirect {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }

  dynamic "default_action" {
    for_each = var.enable_https ? [] : [1]
    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.primary[0].arn
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.publish && var.enable_https ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.primary[0].arn
  }

  tags = var.tags
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "endpoint_url" {
  description = "URL of the load balancer (domain_name when set); null when no service is public."
  value       = local.publish ? "${var.enable_https ? "https" : "http"}://${var.domain_name != "" ? var.domain_name : aws_lb.this[0].dns_name}" : null
}

output "public_urls" {
  description = "Public service => its URL through the load balancer."
  value = {
    for k, r in var.routes : k => "${var.enable_https ? "https" : "http"}://${coalesce(r.host, var.domain_name, try(aws_lb.this[0].dns_name, ""))}${r.path == null ? "/" : "${r.path}/"}"
  }
}

output "load_balancer_internal" {
  description = "Whether the load balancer is internal (every allowed CIDR is a private range); null without one."
  value       = local.publish ? aws_lb.this[0].internal : null
}

output "acm_validation_records" {
  description = "DNS records validating the ACM certificate created for domain_name (empty when none is created)."
  value = local.create_certificate ? [
    for o in aws_acm_certificate.this[0].domain_validation_options : {
      name  = o.resource_record_name
      type  = o.resource_record_type
      value = o.resource_record_value
    }
  ] : []
}

output "load_balancer_dns_name" {
  description = "DNS name of the ALB; point your domain's CNAME/alias here."
  value       = local.publish ? aws_lb.this[0].dns_name : null
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the ALB (for Route 53 alias records)."
  value       = local.publish ? aws_lb.this[0].zone_id : null
}

output "services" {
  description = "Service name => platform (fargate | ec2-gpu) and in-cluster URL through Service Connect."
  value = {
    for k, s in var.services : k => {
      platform     = s.gpu == null ? "fargate" : "ec2-gpu"
      internal_url = s.primary_port == null ? null : "${s.protocol == "http" ? "http" : "tcp"}://${k}:${s.primary_port}"
      public       = contains(keys(var.routes), k)
    }
  }
}

output "gpu_capacity_providers" {
  description = "GPU service => ECS capacity provider name."
  value       = { for k, cp in aws_ecs_capacity_provider.gpu : k => cp.name }
}

output "secret_arns" {
  description = "Secret name => Secrets Manager ARN (fill in values that were not in TF_VAR_secrets)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "log_group" {
  description = "CloudWatch log group of every container."
  value       = aws_cloudwatch_log_group.this.name
}

# --- what the plan decides, for `terraform test` (tests/*.tftest.hcl) -------------

output "lb_services" {
  description = "Services registered with the load balancer (sorted)."
  value       = sort([for k, s in aws_ecs_service.this : k if length(s.load_balancer) > 0])
}

output "target_groups" {
  description = "Public service => { port, health check path, health check port } of its target group."
  value = {
    for k, tg in aws_lb_target_group.public : k => {
      port         = tg.port
      health_path  = tg.health_check[0].path
      health_port  = tg.health_check[0].port
      health_codes = tg.health_check[0].matcher
    }
  }
}

output "listeners" {
  description = "Listener => protocol and default action type (http_redirect + https with HTTPS on, http without)."
  value = merge(
    { for l in aws_lb_listener.http_redirect : "http_redirect" => { port = l.port, protocol = l.protocol, action = l.default_action[0].type } },
    { for l in aws_lb_listener.https : "https" => { port = l.port, protocol = l.protocol, action = l.default_action[0].type } },
    { for l in aws_lb_listener.http : "http" => { port = l.port, protocol = l.protocol, action = l.default_action[0].type } },
  )
}

output "listener_rules" {
  description = "Public service => { hosts, paths } of its listener rule (several public services only)."
  value = {
    for k, r in aws_lb_listener_rule.public : k => {
      hosts = flatten([for c in r.condition : [for h in c.host_header : h.values]])
      paths = flatten([for c in r.condition : [for p in c.path_pattern : p.values]])
    }
  }
}

output "task_definitions" {
  description = "Service => { launch type, task cpu/memory, containers (decoded container definitions), volumes }."
  value = {
    for k, t in aws_ecs_task_definition.this : k => {
      compatibilities = t.requires_compatibilities
      cpu             = t.cpu
      memory          = t.memory
      containers      = jsondecode(t.container_definitions)
      volumes         = sort([for v in t.volume : v.name])
    }
  }
}

output "ebs_volumes" {
  description = "Service => size in GiB of its per-task EBS volume."
  value       = { for k, s in aws_ecs_service.this : k => s.volume_configuration[0].managed_ebs_volume[0].size_in_gb if length(s.volume_configuration) > 0 }
}

output "gpu_instance_types" {
  description = "GPU service => instance type of its launch template."
  value       = { for k, lt in aws_launch_template.gpu : k => lt.instance_type }
}

output "certificate_domain" {
  description = "Domain of the ACM certificate created for domain_name (null when none is created)."
  value       = try(aws_acm_certificate.this[0].domain_name, null)
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "endpoint_url" {
  description = "Public URL of the primary service (null when it publishes no port)."
  value       = local.publish ? "${var.enable_https ? "https" : "http"}://${aws_lb.this[0].dns_name}" : null
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
      internal_url = s.primary_port == null ? null : "http://${k}:${s.primary_port}"
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

variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "region" {
  description = "AWS region (for the awslogs driver)."
  type        = string
}

variable "services" {
  description = "Resolved services from the stack-model module (gpu = null runs on Fargate)."
  type = map(object({
    image           = string
    cpu             = number
    memory          = number
    replicas        = number
    min_replicas    = number
    max_replicas    = number
    ports           = map(number)
    env             = map(string)
    labels          = map(string)
    storage_size_gb = number
    gpu = object({
      model = string
      count = number
    })
    instance_type = string
    autoscaling = object({
      min         = number
      max         = number
      cpu_percent = number
    })
    primary_port   = number
    args           = list(string)
    entrypoint     = list(string)
    secrets        = list(string)
    public         = bool
    protocol       = string
    mount_path     = string
    storage_shared = bool
    health = object({
      path = string
      port = number
    })
    run_as_user = number
  }))
}

variable "routes" {
  description = "Public service => { port, priority, host, path } (stack-model `routes`); only these are behind the load balancer."
  type = map(object({
    port     = number
    priority = number
    host     = string
    path     = string
  }))
}

variable "allowed_cidrs" {
  description = "Sources allowed to reach the load balancer; all private ranges make it internal."
  type        = list(string)
}

variable "domain_name" {
  description = "DNS name of the endpoint; an ACM certificate is created for it when certificate_arn is \"\"."
  type        = string
}

variable "route53_zone_id" {
  description = "Hosted zone of domain_name for certificate validation and alias records; \"\" = none."
  type        = string
}

variable "lb_access_logs" {
  description = "S3 bucket for the ALB access logs; \"\" = off."
  type        = string
}

variable "lb_deletion_lock" {
  description = "Deletion protection of the ALB."
  type        = bool
}

variable "secrets_version" {
  description = "Version of the write-only secret values."
  type        = number
}

variable "vpc_id" {
  description = "VPC ID."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the tasks and GPU instances."
  type        = list(string)
}

variable "lb_security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "services_security_group_id" {
  description = "Security group of tasks and GPU instances."
  type        = string
}

variable "enable_https" {
  description = "Add an HTTPS listener and redirect HTTP to it."
  type        = bool
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener; required when enable_https."
  type        = string
}

variable "efs_file_system_id" {
  description = "EFS file system for persistent volumes."
  type        = string
}

variable "efs_access_point_ids" {
  description = "Service name => EFS access point; services listed here get a volume."
  type        = map(string)
}

variable "efs_file_system_arn" {
  description = "EFS file system ARN (task role permissions)."
  type        = string
}

variable "secret_names" {
  description = "Declared secrets (one Secrets Manager secret each); services receive the ones they list."
  type        = list(string)
}

variable "secrets" {
  description = "Secret values by name; names without a value get an empty Secrets Manager secret."
  type        = map(string)
  sensitive   = true
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention."
  type        = number
  default     = 30
}

variable "gpu_root_volume_gb" {
  description = "Root EBS volume of the GPU instances (container images of inference servers are large)."
  type        = number
  default     = 100
}

variable "tags" {
  description = "Extra tags (the provider's default_tags add the stack labels)."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "cidr_block" {
  description = "VPC CIDR; public subnets take /4-split indexes 0-1, private subnets 8-9."
  type        = string
}

variable "availability_zones" {
  description = "Zones for the subnets; [] picks the first two available zones of the region."
  type        = list(string)
  default     = []
}

variable "allowed_cidrs" {
  description = "Sources allowed to reach the load balancer on 80/443 (IPv4 or IPv6)."
  type        = list(string)
}

variable "tags" {
  description = "Extra tags (the provider's default_tags add the stack labels)."
  type        = map(string)
  default     = {}
}

variable "flow_log_retention" {
  description = "Days to keep the VPC flow logs (CloudWatch Logs)."
  type        = number
  default     = 30
}

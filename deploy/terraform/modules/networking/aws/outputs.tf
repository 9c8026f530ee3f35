output "vpc_id" {
  description = "VPC ID."
  value       = aws_vpc.this.id
}

output "availability_zones" {
  description = "Zones the subnets are in."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer, NAT)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, GPU instances, EFS mount targets)."
  value       = aws_subnet.private[*].id
}

output "lb_security_group_id" {
  description = "Security group of the public load balancer."
  value       = aws_security_group.lb.id
}

output "services_security_group_id" {
  description = "Security group of the ECS tasks and GPU instances."
  value       = aws_security_group.services.id
}

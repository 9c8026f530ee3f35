output "file_system_id" {
  description = "EFS file system ID."
  value       = aws_efs_file_system.this.id
}

output "file_system_arn" {
  description = "EFS file system ARN."
  value       = aws_efs_file_system.this.arn
}

output "access_point_ids" {
  description = "Service name => EFS access point ID."
  value       = { for k, ap in aws_efs_access_point.service : k => ap.id }
}

output "access_point_arns" {
  description = "Service name => EFS access point ARN."
  value       = { for k, ap in aws_efs_access_point.service : k => ap.arn }
}

output "mount_targets_ready" {
  description = "Mount target IDs; depend on this before starting tasks that mount the file system."
  value       = aws_efs_mount_target.this[*].id
}

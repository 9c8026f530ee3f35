output "registry_url" {
  description = "Registry host to `docker login` to (<account>.dkr.ecr.<region>.amazonaws.com)."
  value       = split("/", aws_ecr_repository.this.repository_url)[0]
}

output "repository_url" {
  description = "Repository to push the project image to (set image.registry in the devgen config accordingly)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.this.arn
}

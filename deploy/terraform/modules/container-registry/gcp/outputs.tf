output "registry_url" {
  description = "Registry host to `gcloud auth configure-docker` for."
  value       = "${var.region}-docker.pkg.dev"
}

output "repository_url" {
  description = "Repository to push the project image to (set image.registry in the devgen config accordingly)."
  value       = "${var.region}-docker.pkg.dev/${google_artifact_registry_repository.this.project}/${google_artifact_registry_repository.this.repository_id}"
}

output "repository_id" {
  description = "Full resource ID of the repository."
  value       = google_artifact_registry_repository.this.id
}

# Artifact Registry Docker repository for the project's own images. Cloud Run
# pulls with its service agent; the GKE node service account gets
# roles/artifactregistry.reader in the compute module. Labels come from the
# provider's default_labels.

resource "google_artifact_registry_repository" "this" {
  location      = var.region
  repository_id = var.name
  format        = "DOCKER"
  description   = "Container images of ${var.name}"
}

# GCP compute of the stack:
#   * CPU HTTP services on Cloud Run (v2), with Direct VPC egress into the
#     stack's subnetwork (Filestore NFS volume, GKE internal services)
#     (cloudrun.tf); Cloud Run serves only HTTP, so TCP services (databases,
#     caches) run on GKE, on a CPU node pool (gke.tf);
#   * GPU services on a GKE cluster with one GPU node pool per GPU service:
#     machine_type = instance_type, guest accelerator = gpu model/count, driver
#     installed by GKE (gke.tf); the workloads are deployed with the generated
#     Kustomize overlay;
#   * secrets in Secret Manager (values written write-only, never in the
#     state); each Cloud Run service gets only the secrets it lists.

locals {
  cpu_services = { for k, s in var.services : k => s if s.gpu == null && s.protocol == "http" }
  tcp_services = { for k, s in var.services : k => s if s.gpu == null && s.protocol != "http" }
  gpu_services = { for k, s in var.services : k => s if s.gpu != null }

  # GCP labels: lower-case letters, digits, "_" and "-", at most 63 characters,
  # keys start with a letter ("app.kubernetes.io/part-of" -> "app_kubernetes_io_part-of").
  gcp_labels = {
    for k, s in var.services : k => {
      for lk, lv in s.labels :
      "${can(regex("^[a-z]", lower(lk))) ? "" : "l_"}${substr(replace(lower(lk), "/[^a-z0-9_-]/", "_"), 0, 61)}" => substr(replace(lower(lv), "/[^a-z0-9_-]/", "_"), 0, 63)
    }
  }

  secret_names_with_value = toset([for n in var.secret_names : n if contains(nonsensitive(keys(var.secrets)), n)])
}

# --- service accounts ---------------------------------------------------------------

resource "google_service_account" "run" {
  account_id   = "${substr(var.name, 0, 26)}-run"
  display_name = "Cloud Run services of ${var.name}"
}

resource "google_service_account" "nodes" {
  account_id   = "${substr(var.name, 0, 26)}-gke"
  display_name = "GKE nodes of ${var.name}"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
  ])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

# --- secrets --------------------------------------------------------------------------

resource "google_secret_manager_secret" "this" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption keys; customer-supplied keys are an organisation choice.
  for_each = toset(var.secret_names)

  secret_id = "${var.name}-${each.key}"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "this" {
  for_each = local.secret_names_with_value

  secret = google_secret_manager_secret.this[each.key].id
  # Write-only: sent to Secret Manager, never stored in the Terraform state.
  # Bump secrets_version to push changed values.
  secret_data_wo         = var.secrets[each.key]
  secret_data_wo_version = var.secrets_version
}

resource "google_secret_manager_secret_iam_member" "run" {
  for_each = google_secret_manager_secret.this

  secret_id = each.value.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.run.email}"
}

# One Filestore (NFS) instance shared by the services with storage: Cloud Run
# mounts it as an NFS volume (Direct VPC egress), GKE pods through a
# PersistentVolume on its IP. Filestore has a large minimum size (1 TiB for
# BASIC_HDD), so services share one file share; give each service its own
# subdirectory (e.g. DATA_DIR=/data/<service>).

locals {
  requested_gb = length(var.volumes) > 0 ? ceil(sum(values(var.volumes))) : 0
  minimum_gb   = var.tier == "BASIC_SSD" ? 2560 : 1024
}

resource "google_filestore_instance" "this" {
  count = length(var.volumes) > 0 ? 1 : 0

  name     = var.name
  location = var.zone
  tier     = var.tier

  file_shares {
    name        = "data"
    capacity_gb = max(local.minimum_gb, local.requested_gb)
  }

  networks {
    network = var.network_name
    modes   = ["MODE_IPV4"]
  }
}

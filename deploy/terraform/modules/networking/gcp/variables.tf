variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "region" {
  description = "Region of the subnetwork."
  type        = string
}

variable "cidr_block" {
  description = "Address space: first quarter = nodes/Cloud Run egress subnet, second quarter = GKE services, second half = GKE pods."
  type        = string
}

variable "reserved_cidrs" {
  description = "Ranges the GKE pod/service ranges must not overlap (allowed_cidrs, api_authorized_cidrs)."
  type        = list(string)
  default     = []
}

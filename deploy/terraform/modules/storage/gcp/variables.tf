variable "name" {
  description = "Filestore instance name (\"<project>-<environment>\")."
  type        = string
}

variable "zone" {
  description = "Zone of the (zonal, BASIC tier) Filestore instance."
  type        = string
}

variable "network_name" {
  description = "VPC network the instance is reachable from."
  type        = string
}

variable "volumes" {
  description = "Service name => requested GiB, for every service with storage; the instance is sized to the sum (at least the tier minimum)."
  type        = map(number)
}

variable "tier" {
  description = "Filestore tier: BASIC_HDD (min 1 TiB) or BASIC_SSD (min 2.5 TiB)."
  type        = string
  default     = "BASIC_HDD"

  validation {
    condition     = contains(["BASIC_HDD", "BASIC_SSD"], var.tier)
    error_message = "tier must be BASIC_HDD or BASIC_SSD."
  }
}

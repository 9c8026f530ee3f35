variable "storage_account_name" {
  description = "Storage account name: 3-24 lower-case alphanumerics, globally unique (derived by the root)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.storage_account_name))
    error_message = "A storage account name is 3-24 lower-case letters and digits."
  }
}

variable "resource_group_name" {
  description = "Resource group of the storage account."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "volumes" {
  description = "Share name => quota in GiB (one per replica, or one per service with storage_shared)."
  type        = map(number)
}

variable "tags" {
  description = "Tags (sanitised stack labels)."
  type        = map(string)
  default     = {}
}

variable "subnet_ids" {
  description = "Subnets admitted by the storage firewall (they need the Microsoft.Storage service endpoint)."
  type        = list(string)
}

variable "admin_ip_ranges" {
  description = "Public IPs/ranges (no private ranges, no /31-/32 suffix rules of Azure apply) admitted by the storage firewall, e.g. the deploying machine."
  type        = list(string)
  default     = []
}

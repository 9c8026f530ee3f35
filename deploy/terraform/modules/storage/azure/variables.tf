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
  description = "Service name => share quota in GiB, for every service with storage."
  type        = map(number)
}

variable "tags" {
  description = "Tags (sanitised stack labels)."
  type        = map(string)
  default     = {}
}

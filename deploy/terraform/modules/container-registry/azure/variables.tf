variable "name" {
  description = "Registry name: 5-50 alphanumeric characters, globally unique (the root derives it from project, environment and a subscription hash)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9]{5,50}$", var.name))
    error_message = "An Azure Container Registry name is 5-50 alphanumeric characters."
  }
}

variable "resource_group_name" {
  description = "Resource group of the registry."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "sku" {
  description = "Basic, Standard or Premium (Premium for private endpoints and geo-replication)."
  type        = string
  default     = "Standard"
}

variable "tags" {
  description = "Tags (sanitised stack labels)."
  type        = map(string)
  default     = {}
}

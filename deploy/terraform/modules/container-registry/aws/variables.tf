variable "name" {
  description = "Repository name (\"<project>-<environment>\")."
  type        = string
}

variable "image_tag_mutability" {
  description = "MUTABLE lets CI re-push tags such as latest; IMMUTABLE forbids it."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["MUTABLE", "IMMUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be MUTABLE or IMMUTABLE."
  }
}

variable "untagged_image_expiry_days" {
  description = "Untagged images older than this many days are expired by the lifecycle policy."
  type        = number
  default     = 14
}

variable "force_delete" {
  description = "Allow terraform destroy to delete the repository while it still holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the repository (the provider's default_tags add the stack labels)."
  type        = map(string)
  default     = {}
}

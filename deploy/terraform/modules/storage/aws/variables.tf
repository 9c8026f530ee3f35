variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the mount targets."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets to place one mount target in each."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to mount the file system (NFS, 2049/tcp)."
  type        = list(string)
}

variable "volumes" {
  description = "Service name => requested size in GiB, for every service with storage. EFS is elastic: the size is informational (tag) only."
  type        = map(number)
}

variable "transition_to_ia" {
  description = "Move files not accessed for this long to Infrequent Access (AFTER_7_DAYS … AFTER_365_DAYS), or \"\" to keep everything in Standard."
  type        = string
  default     = "AFTER_30_DAYS"
}

variable "tags" {
  description = "Extra tags (the provider's default_tags add the stack labels)."
  type        = map(string)
  default     = {}
}

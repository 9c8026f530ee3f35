variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the network."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "address_space" {
  description = "VNet CIDR: /24 #0 Application Gateway, /24 #1 Container Instances, /20 #1 AKS nodes (pods use an overlay range)."
  type        = string
}

variable "allowed_cidrs" {
  description = "Sources allowed to reach the Application Gateway on 80/443."
  type        = list(string)
}

variable "tags" {
  description = "Tags (sanitised stack labels)."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Repository ID (\"<project>-<environment>\")."
  type        = string
}

variable "region" {
  description = "Region of the repository (images are served from <region>-docker.pkg.dev)."
  type        = string
}

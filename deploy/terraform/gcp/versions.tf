terraform {
  # Cross-variable validation in variables.tf needs Terraform >= 1.9.
  required_version = ">= 1.9.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 5.20"
    }
  }
}

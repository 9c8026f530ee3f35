terraform {
  # Cross-variable validation needs Terraform >= 1.9, write-only arguments
  # (secret values kept out of the state) >= 1.11 and hashicorp/aws >= 5.90.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90"
    }
  }
}

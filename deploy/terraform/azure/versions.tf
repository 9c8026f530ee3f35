terraform {
  # Cross-variable validation needs Terraform >= 1.9, write-only arguments
  # (secret values kept out of the state) >= 1.11.
  required_version = ">= 1.11.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.23"
    }
  }
}

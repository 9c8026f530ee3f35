terraform {
  # Cross-variable validation in variables.tf needs Terraform >= 1.9.
  required_version = ">= 1.9.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.9"
    }
  }
}

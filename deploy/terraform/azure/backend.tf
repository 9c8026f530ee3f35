# Partial backend configuration: the storage account, container and key come
# from `terraform init -backend-config=...`, so one root serves every profile:
#
#   terraform init \
#     -backend-config="resource_group_name=tfstate" \
#     -backend-config="storage_account_name=mytfstate" \
#     -backend-config="container_name=tfstate" \
#     -backend-config="key=my-project/dev/azure.tfstate"
#
# or keep those lines in a file: terraform init -backend-config=backend-dev.hcl
# To try the root without remote state, run `terraform init -backend=false`
# (plan/validate) or comment the block out (local state).
terraform {
  backend "azurerm" {
    use_azuread_auth = true
  }
}

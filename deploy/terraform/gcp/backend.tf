# Partial backend configuration: the bucket and prefix come from
# `terraform init -backend-config=...`, so one root serves every profile:
#
#   terraform init \
#     -backend-config="bucket=my-tf-state" \
#     -backend-config="prefix=my-project/dev/gcp"
#
# or keep those lines in a file: terraform init -backend-config=backend-dev.hcl
# To try the root without remote state, run `terraform init -backend=false`
# (plan/validate) or comment the block out (local state).
terraform {
  backend "gcs" {}
}

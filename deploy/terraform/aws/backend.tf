# Partial backend configuration: the bucket, key and region come from
# `terraform init -backend-config=...`, so one root serves every profile:
#
#   terraform init \
#     -backend-config="bucket=my-tf-state" \
#     -backend-config="key=my-project/dev/aws.tfstate" \
#     -backend-config="region=us-east-1" \
#     -backend-config="use_lockfile=true"      # S3-native locking (Terraform >= 1.10)
#
# or keep those lines in a file: terraform init -backend-config=backend-dev.hcl
# To try the root without remote state, run `terraform init -backend=false`
# (plan/validate) or comment the block out (local state).
terraform {
  backend "s3" {
    encrypt = true
  }
}

#!/usr/bin/env bash
# Checks the hand-written Terraform under deploy/terraform without cloud
# credentials or network access:
#
#   * `terraform fmt -check -recursive deploy/terraform` (and the
#     example.tfvars.sample files, which fmt does not pick up by name);
#   * the common variable interface (everything above the "cloud-specific"
#     marker in variables.tf) is byte-identical in aws/, azure/ and gcp/;
#   * per cloud: variables.tf alone in a temp dir, `terraform init`, then
#     `terraform plan -var-file=<sample>` exits 0, says "No changes" and prints
#     no warning and no "undeclared variable";
#   * per cloud: a few invalid inputs are rejected by the variable validations;
#   * per cloud, when its provider (hashicorp/aws, azurerm, google) is available
#     offline in TF_PLUGIN_DIR (default /opt/tf-plugins): `terraform validate`
#     and the mocked whole-stack plan `terraform test` of that root.
#
# Prints one line per cloud; exits non-zero on the first failure.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tf_dir="$repo_root/deploy/terraform"
clouds=(aws azure gcp)
marker='# cloud-specific (region validation and extras; every extra has a default)'

command -v terraform >/dev/null || { echo "terraform not found on PATH" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/tf-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A missing CLI config file named by TF_CLI_CONFIG_FILE makes every terraform
# command print a warning; use an empty one of our own. No telemetry, no prompts.
: >"$work/terraformrc"
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_plan TF_WORKSPACE TF_DATA_DIR

fail() {
  echo "FAIL: $1" >&2
  if [[ -n "${2:-}" && -f "$2" ]]; then
    sed 's/^/    /' "$2" >&2
  fi
  exit 1
}

# --- formatting -----------------------------------------------------------------

terraform fmt -check -recursive -diff "$tf_dir" >"$work/fmt.log" 2>&1 ||
  fail "terraform fmt -check -recursive deploy/terraform" "$work/fmt.log"

# --- the shared interface ----------------------------------------------------------

common_part() { # everything above the cloud-specific marker
  local file="$1"
  grep -qxF "$marker" "$file" || fail "$file has no cloud-specific marker line"
  sed "/^$(printf '%s' "$marker" | sed 's/[][\/.^$*]/\\&/g')\$/q" "$file"
}
common_part "$tf_dir/aws/variables.tf" >"$work/common.aws"

# --- per cloud ---------------------------------------------------------------------

plugin_dir="${TF_PLUGIN_DIR:-/opt/tf-plugins}"
declare -A providers=([aws]=aws [azure]=azurerm [gcp]=google)

invalid_inputs=(
  'allowed_cidrs=["10.0.0.0/33"]'
  'project_name=Dev_AI'
  'memory=0'
  'gpu_count=0'
  'services={bad_name={image="x",cpu=1,memory=1,replicas=1,ports={},env={},labels={},storage_size_gb=0,instance_type=""}}'
)

for cloud in "${clouds[@]}"; do
  dir="$tf_dir/$cloud"
  sample="$dir/example.tfvars.sample"
  [[ -f "$dir/variables.tf" && -f "$sample" ]] || fail "$cloud: variables.tf or example.tfvars.sample missing"
  for f in main.tf outputs.tf backend.tf; do
    [[ -f "$dir/$f" ]] || fail "$cloud: $f missing"
  done

  terraform fmt - <"$sample" >"$work/$cloud.sample.fmt" 2>"$work/$cloud.fmt.log" ||
    fail "$cloud: terraform fmt of example.tfvars.sample" "$work/$cloud.fmt.log"
  diff -u "$sample" "$work/$cloud.sample.fmt" >"$work/$cloud.fmt.diff" ||
    fail "$cloud: example.tfvars.sample is not terraform fmt clean" "$work/$cloud.fmt.diff"

  common_part "$dir/variables.tf" >"$work/common.$cloud"
  diff -u "$work/common.aws" "$work/common.$cloud" >"$work/$cloud.common.diff" ||
    fail "$cloud: common part of variables.tf differs from aws/variables.tf" "$work/$cloud.common.diff"

  tmp="$work/$cloud"
  mkdir -p "$tmp"
  cp "$dir/variables.tf" "$tmp/"

  terraform -chdir="$tmp" init -input=false -no-color >"$tmp/init.log" 2>&1 ||
    fail "$cloud: terraform init" "$tmp/init.log"

  set +e
  terraform -chdir="$tmp" plan -input=false -no-color -var-file="$sample" >"$tmp/plan.log" 2>&1
  rc=$?
  set -e
  [[ $rc -eq 0 ]] || fail "$cloud: terraform plan exited $rc" "$tmp/plan.log"
  if grep -qi 'warning' "$tmp/plan.log" || grep -qi 'undeclared variable' "$tmp/plan.log"; then
    fail "$cloud: terraform plan printed a warning" "$tmp/plan.log"
  fi
  grep -q 'No changes' "$tmp/plan.log" || fail "$cloud: terraform plan did not report \"No changes\"" "$tmp/plan.log"

  for bad in "${invalid_inputs[@]}"; do
    if terraform -chdir="$tmp" plan -input=false -no-color -var-file="$sample" -var "$bad" >"$tmp/bad.log" 2>&1; then
      fail "$cloud: invalid input was accepted: -var '$bad'" "$tmp/bad.log"
    fi
    grep -q 'Invalid value for variable' "$tmp/bad.log" ||
      fail "$cloud: -var '$bad' failed for another reason than validation" "$tmp/bad.log"
  done

  # Whole-root validate + mocked plan (tests/*.tftest.hcl) when the cloud's
  # provider is available offline.
  provider="${providers[$cloud]}"
  if [[ -d "$plugin_dir/registry.terraform.io/hashicorp/$provider" ]]; then
    rm -rf "$work/root" && cp -r "$tf_dir" "$work/root"
    root="$work/root/$cloud"
    terraform -chdir="$root" init -backend=false -input=false -no-color -plugin-dir="$plugin_dir" >"$work/$cloud-init.log" 2>&1 ||
      fail "$cloud: terraform init -plugin-dir=$plugin_dir" "$work/$cloud-init.log"
    terraform -chdir="$root" validate -no-color >"$work/$cloud-validate.log" 2>&1 ||
      fail "$cloud: terraform validate" "$work/$cloud-validate.log"
    terraform -chdir="$root" test -no-color >"$work/$cloud-test.log" 2>&1 ||
      fail "$cloud: terraform test (mocked plan)" "$work/$cloud-test.log"
    extra=", validate + mocked plan: ok"
  else
    extra=", validate + mocked plan: skipped (no hashicorp/$provider provider in $plugin_dir)"
  fi

  echo "$cloud: ok (fmt, shared interface, init, plan: no changes, no warnings, ${#invalid_inputs[@]} invalid inputs rejected$extra)"
done

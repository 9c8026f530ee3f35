//! The hand-written Terraform against real provider schemas (#15, #16 item 5):
//!
//! * `deploy/terraform/aws`: `terraform init` from the AWS provider's
//!   filesystem mirror (`/opt/tf-plugins`, or `TF_PLUGIN_DIR`), `terraform
//!   validate`, and `terraform test` (mock provider, real schema) of the
//!   committed `aws/tests/*.tftest.hcl`;
//! * every generated `aws/<profile>.tfvars` of the example and of every stack
//!   in `tests/stacks/` through `tests/tf/stack.tftest.hcl`: the planned
//!   (mock-applied) ECS/ALB/EC2 resources carry what the tfvars say (public
//!   services only behind the load balancer, image/args/entrypoint/user,
//!   own secrets, mount path, cpu/memory, GPU instance type, listeners);
//! * azurerm and google, whose providers are not available offline: every
//!   resource/data block, attribute and nested block name is checked against
//!   the provider schema shipped in the npm packages `@cdktf/provider-azurerm`
//!   and `@cdktf/provider-google` (their `.jsii` assembly; `make venv` puts
//!   them in `$VENV/tf-schemas/`), and the module inputs of each generated
//!   azure/gcp tfvars are evaluated with `terraform console`.
//!
//! Under `CI=true` a missing terraform, provider mirror or schema fails.
//! Runtime: about 1-2 minutes (one `terraform test` run per aws tfvars).

use crate::common;

use common::{devgen, example_copy, repo_root, stderr, stdout, terraform, venv};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn missing<T>(what: &str) -> Option<T> {
    assert!(!in_ci(), "required under CI: {what}");
    eprintln!("SKIP: {what} is missing");
    None
}

/// The provider mirror holding hashicorp/aws.
fn aws_mirror() -> Option<PathBuf> {
    let dir = std::env::var_os("TF_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"));
    if dir.join("registry.terraform.io/hashicorp/aws").is_dir() {
        Some(dir)
    } else {
        missing(&format!(
            "the hashicorp/aws provider mirror in {} (set TF_PLUGIN_DIR)",
            dir.display()
        ))
    }
}

/// terraform on PATH with a CLI config that installs hashicorp/aws from the
/// mirror only (None, or a failure under CI, when either is missing).
pub(crate) fn offline_terraform() -> Option<Tf> {
    let bin = terraform()?;
    let mirror = aws_mirror()?;
    Some(Tf::new(bin, Some(&mirror)))
}

/// Runs terraform with a CLI config that installs providers only from the
/// mirror (no network) and no telemetry.
pub(crate) struct Tf {
    bin: PathBuf,
    rc: tempfile::TempDir,
}

impl Tf {
    fn new(bin: PathBuf, mirror: Option<&Path>) -> Tf {
        let rc = tempfile::tempdir().unwrap();
        let text = match mirror {
            Some(m) => format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
                m.display()
            ),
            None => String::new(),
        };
        std::fs::write(rc.path().join("terraformrc"), text).unwrap();
        Tf { bin, rc }
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .current_dir(dir)
            .args(args)
            .env("TF_CLI_CONFIG_FILE", self.rc.path().join("terraformrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_CLI_ARGS")
            .env_remove("TF_DATA_DIR")
            .output()
            .expect("run terraform")
    }

    pub(crate) fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let o = self.run(dir, args);
        assert!(
            o.status.success(),
            "terraform {args:?} in {} failed:\n{}\n{}",
            dir.display(),
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    }
}

/// A scratch copy of the hand-written deploy/terraform (no generated tfvars,
/// no local state).
fn terraform_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let src = repo_root().join("deploy/terraform");
    for e in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let rel = e.path().strip_prefix(&src).unwrap();
        if rel.components().any(|c| c.as_os_str() == ".terraform") {
            continue;
        }
        let to = d.path().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else if e
            .path()
            .extension()
            .is_some_and(|x| x == "tf" || x == "hcl")
        {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    d
}

#[test]
fn aws_root_validates_and_passes_its_terraform_tests() {
    let Some(bin) = terraform() else { return };
    let Some(mirror) = aws_mirror() else { return };
    let tf = Tf::new(bin, Some(&mirror));
    let d = terraform_copy();
    let root = d.path().join("aws");
    tf.ok(&root, &["init", "-backend=false", "-no-color"]);
    let out = tf.ok(&root, &["validate", "-no-color"]);
    assert!(out.contains("The configuration is valid"), "{out}");
    let out = tf.ok(&root, &["test", "-no-color"]);
    assert!(out.contains("0 failed"), "{out}");
}

/// The example and every stack of tests/stacks/, rendered (tfvars only).
fn rendered_projects() -> Vec<(String, tempfile::TempDir)> {
    let mut out = vec![("example".to_string(), example_copy())];
    let mut stacks: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/stacks"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    stacks.sort();
    for stack in stacks {
        if !stack.join("config").is_dir() {
            continue;
        }
        let d = example_copy();
        std::fs::remove_dir_all(d.path().join("config")).unwrap();
        common::copy_dir(&stack.join("config"), &d.path().join("config"));
        out.push((stack.file_name().unwrap().to_string_lossy().into_owned(), d));
    }
    for (name, d) in &out {
        let o = devgen(d.path(), &["render", "--target", "tfvars"]);
        assert!(o.status.success(), "render {name}: {}", stderr(&o));
    }
    out
}

fn tfvars_of(project: &Path, cloud: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(project.join("deploy/terraform").join(cloud))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "tfvars"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn generated_aws_tfvars_plan_what_the_config_says() {
    let Some(bin) = terraform() else { return };
    let Some(mirror) = aws_mirror() else { return };
    let tf = Tf::new(bin, Some(&mirror));
    let d = terraform_copy();
    let root = d.path().join("aws");
    // Only the generic stack test runs here (with the root's shared mocks,
    // tests/mocks/*.tfmock.hcl).
    for e in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
        if e.file_name().to_string_lossy().ends_with(".tftest.hcl") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    std::fs::copy(
        repo_root().join("tests/tf/stack.tftest.hcl"),
        root.join("tests/stack.tftest.hcl"),
    )
    .unwrap();
    tf.ok(&root, &["init", "-backend=false", "-no-color"]);
    let mut checked = 0;
    for (name, project) in rendered_projects() {
        for tfvars in tfvars_of(project.path(), "aws") {
            let arg = format!("-var-file={}", tfvars.display());
            // Every generated tfvars plans as it is: HTTPS takes its
            // certificate from the config (network.domain or
            // clouds.aws.certificate_arn), nothing is supplied here.
            let args = vec!["test", "-no-color", arg.as_str()];
            let o = tf.run(&root, &args);
            assert!(
                o.status.success() && stdout(&o).contains("1 passed, 0 failed"),
                "{name} {}: terraform test failed:\n{}\n{}",
                tfvars.display(),
                stdout(&o),
                stderr(&o)
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "expected the example's aws tfvars at least");
}

// --- azurerm / google: schema names from the cdktf .jsii assemblies -------------

/// `$VENV/tf-schemas/<provider>.jsii` (see the Makefile's `tf-schemas`).
fn jsii(provider: &str) -> Option<Value> {
    let p = venv().join("tf-schemas").join(format!("{provider}.jsii"));
    match std::fs::read(&p) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("jsii JSON")),
        Err(_) => missing(&format!("{} (run `make venv`)", p.display())),
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn pascal(snake: &str) -> String {
    let c = camel(snake);
    let mut it = c.chars();
    it.next()
        .map(|f| f.to_uppercase().chain(it).collect())
        .unwrap_or_default()
}

/// The struct FQN a property refers to (a nested block), if any: a struct,
/// a list of structs, or a union of those with `cdktf.IResolvable`.
fn nested_fqn(prop: &Value) -> Option<String> {
    fn struct_of(t: &Value) -> Option<String> {
        if let Some(f) = t["fqn"].as_str() {
            return (!f.starts_with("cdktf.")).then(|| f.to_string());
        }
        if t["collection"].is_object() {
            return struct_of(&t["collection"]["elementtype"]);
        }
        t["union"]["types"].as_array()?.iter().find_map(struct_of)
    }
    struct_of(&prop["type"])
}

fn properties<'a>(types: &'a Value, fqn: &str) -> Option<Vec<&'a Value>> {
    let t = types.get(fqn)?;
    let mut props: Vec<&Value> = t["properties"].as_array().into_iter().flatten().collect();
    // Config structs extend cdktf's TerraformMetaArguments; nothing else.
    for base in t["interfaces"].as_array().into_iter().flatten() {
        if let Some(b) = base.as_str().and_then(|b| types.get(b)) {
            props.extend(b["properties"].as_array().into_iter().flatten());
        }
    }
    Some(props)
}

const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "provider",
    "provisioner",
    "connection",
];

/// Checks every attribute and block of `body` against struct `fqn`.
fn check_body(types: &Value, fqn: &str, body: &hcl::Body, at: &str, errors: &mut Vec<String>) {
    let Some(props) = properties(types, fqn) else {
        errors.push(format!("{at}: schema type {fqn} not found"));
        return;
    };
    let find = |name: &str| {
        let c = camel(name);
        props.iter().copied().find(|p| p["name"] == c.as_str())
    };
    for attr in body.attributes() {
        let name = attr.key.as_str();
        if META.contains(&name) {
            continue;
        }
        if find(name).is_none() {
            errors.push(format!("{at}: unknown argument `{name}`"));
        }
    }
    for block in body.blocks() {
        let ident = block.identifier.as_str();
        if META.contains(&ident) {
            continue;
        }
        let (name, inner) = if ident == "dynamic" {
            let label = block
                .labels
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default();
            let content = block
                .body
                .blocks()
                .find(|b| b.identifier.as_str() == "content")
                .map(|b| b.body.clone())
                .unwrap_or_default();
            (label, content)
        } else {
            (ident.to_string(), block.body.clone())
        };
        match find(&name) {
            None => errors.push(format!("{at}: unknown block `{name}`")),
            Some(p) => match nested_fqn(p) {
                Some(f) => check_body(types, &f, &inner, &format!("{at}.{name}"), errors),
                None => errors.push(format!("{at}: `{name}` is an argument, not a block")),
            },
        }
    }
}

/// Checks every `resource`/`data` of `provider` in the .tf files under `dirs`.
fn check_provider(provider: &str, prefix: &str, dirs: &[PathBuf]) -> (usize, Vec<String>) {
    let Some(assembly) = jsii(provider) else {
        return (usize::MAX, vec![]);
    };
    let types = &assembly["types"];
    let package = assembly["name"].as_str().unwrap().to_string();
    let mut errors = Vec::new();
    let mut checked = 0;
    for dir in dirs {
        for e in walkdir::WalkDir::new(dir)
            .max_depth(1)
            .into_iter()
            .flatten()
        {
            if e.path().extension().is_none_or(|x| x != "tf") {
                continue;
            }
            let text = std::fs::read_to_string(e.path()).unwrap();
            let body: hcl::Body =
                hcl::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
            for block in body.blocks() {
                let kind = block.identifier.as_str();
                if kind != "resource" && kind != "data" {
                    continue;
                }
                let Some(rtype) = block.labels.first().map(|l| l.as_str().to_string()) else {
                    continue;
                };
                let Some(rest) = rtype.strip_prefix(prefix) else {
                    continue;
                };
                let (ns, ty) = if kind == "data" {
                    (
                        camel(&format!("data_{}_{rest}", prefix.trim_end_matches('_'))),
                        pascal(&format!("data_{}_{rest}", prefix.trim_end_matches('_'))),
                    )
                } else {
                    (camel(rest), pascal(rest))
                };
                // cdktf renames a class that clashes with a nested type ("…A").
                let fqn = [
                    format!("{package}.{ns}.{ty}Config"),
                    format!("{package}.{ns}.{ty}AConfig"),
                ]
                .into_iter()
                .find(|f| types.get(f).is_some())
                .unwrap_or_else(|| format!("{package}.{ns}.{ty}Config"));
                let at = format!(
                    "{}: {kind} {rtype}.{}",
                    e.path()
                        .strip_prefix(repo_root())
                        .unwrap_or(e.path())
                        .display(),
                    block.labels.get(1).map(|l| l.as_str()).unwrap_or("")
                );
                check_body(types, &fqn, &block.body, &at, &mut errors);
                checked += 1;
            }
        }
    }
    (checked, errors)
}

fn cloud_dirs(cloud: &str) -> Vec<PathBuf> {
    let tf = repo_root().join("deploy/terraform");
    let mut dirs = vec![tf.join(cloud)];
    for m in ["compute", "networking", "storage", "container-registry"] {
        dirs.push(tf.join("modules").join(m).join(cloud));
    }
    dirs
}

#[test]
fn azure_and_gcp_terraform_match_the_provider_schemas() {
    for (provider, prefix, cloud) in [
        ("azurerm", "azurerm_", "azure"),
        ("google", "google_", "gcp"),
    ] {
        let (checked, errors) = check_provider(provider, prefix, &cloud_dirs(cloud));
        if checked == usize::MAX {
            return; // skipped (not under CI)
        }
        assert!(checked >= 10, "{provider}: only {checked} blocks checked");
        assert!(
            errors.is_empty(),
            "{provider}: names unknown to the provider schema:\n  {}",
            errors.join("\n  ")
        );
    }
}

#[test]
fn the_schema_check_catches_a_misspelt_argument_and_block() {
    let Some(assembly) = jsii("azurerm") else {
        return;
    };
    let body: hcl::Body = hcl::from_str(
        "resource \"azurerm_key_vault\" \"x\" {\n  purge_protection = true\n  network_acl {\n    default_action = \"Deny\"\n  }\n  network_acls {\n    default_actionn = \"Deny\"\n  }\n}\n",
    )
    .unwrap();
    let block = body.blocks().next().unwrap();
    let mut errors = Vec::new();
    check_body(
        &assembly["types"],
        "@cdktf/provider-azurerm.keyVault.KeyVaultConfig",
        &block.body,
        "t",
        &mut errors,
    );
    assert_eq!(
        errors,
        [
            "t: unknown argument `purge_protection`",
            "t: unknown block `network_acl`",
            "t.network_acls: unknown argument `default_actionn`"
        ]
    );
}

// --- module inputs of the azure/gcp tfvars (terraform console) -------------------

/// Evaluates the stack-model module (provider-less) of `cloud` over `tfvars`.
fn stack_model(tf: &Tf, cloud: &str, tfvars: &Path) -> Value {
    let d = tempfile::tempdir().unwrap();
    let tfdir = repo_root().join("deploy/terraform");
    std::fs::copy(
        tfdir.join(cloud).join("variables.tf"),
        d.path().join("variables.tf"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("main.tf"),
        format!(
            "module \"stack\" {{\n  source = \"{}\"\n  project_name = var.project_name\n  environment = var.environment\n  enable_gpu = var.enable_gpu\n  gpu_model = var.gpu_model\n  gpu_count = var.gpu_count\n  instance_type = var.instance_type\n  cpu = var.cpu\n  memory = var.memory\n  storage_size_gb = var.storage_size_gb\n  image = var.image\n  ports = var.ports\n  labels = var.labels\n  env = var.env\n  services = var.services\n  secret_names = var.secret_names\n  storage_mount_path = var.storage_mount_path\n  domain_name = var.domain_name\n}}\n",
            tfdir.join("modules/stack-model").display()
        ),
    )
    .unwrap();
    tf.ok(d.path(), &["init", "-backend=false", "-no-color"]);
    let arg = format!("-var-file={}", tfvars.display());
    let o = Command::new(&tf.bin)
        .current_dir(d.path())
        .args(["console", "-no-color", &arg])
        .env("TF_CLI_CONFIG_FILE", tf.rc.path().join("terraformrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"jsonencode({services = module.stack.services, public = module.stack.public_services, routes = module.stack.routes})\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        o.status.success(),
        "console {}: {}",
        tfvars.display(),
        stderr(&o)
    );
    let text = stdout(&o);
    let json: String = serde_json::from_str(text.trim()).expect("console prints a JSON string");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn azure_and_gcp_tfvars_give_the_modules_the_configured_services() {
    let Some(bin) = terraform() else { return };
    let tf = Tf::new(bin, None);
    let mut checked = 0;
    for (name, project) in rendered_projects() {
        for cloud in ["azure", "gcp"] {
            for tfvars in tfvars_of(project.path(), cloud) {
                let text = std::fs::read_to_string(&tfvars).unwrap();
                let all: Value = hcl::from_str(&text).unwrap();
                let declared = all["services"].clone();
                let model = stack_model(&tf, cloud, &tfvars);
                let at = format!("{name} {}", tfvars.display());
                let Some(declared) = declared.as_object() else {
                    continue;
                };
                // Public services: exactly those the tfvars mark public (with a port).
                let want: BTreeSet<&str> = declared
                    .iter()
                    .filter(|(_, s)| {
                        s["public"] == true && s["ports"].as_object().is_some_and(|p| !p.is_empty())
                    })
                    .map(|(k, _)| k.as_str())
                    .collect();
                let got: BTreeSet<&str> = model["public"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert_eq!(got, want, "{at}: public services");
                for (svc, s) in declared {
                    let m = &model["services"][svc];
                    assert_eq!(m["image"], s["image"], "{at}: {svc} image");
                    for field in ["args", "entrypoint", "protocol"] {
                        if s.get(field).is_some() {
                            assert_eq!(m[field], s[field], "{at}: {svc} {field}");
                        }
                    }
                    let mut secrets: Vec<&Value> =
                        s["secrets"].as_array().into_iter().flatten().collect();
                    secrets.sort_by_key(|v| v.as_str().unwrap_or("").to_string());
                    secrets.dedup();
                    let got: Vec<&Value> = m["secrets"].as_array().unwrap().iter().collect();
                    assert_eq!(got, secrets, "{at}: {svc} secrets");
                    if s["storage_size_gb"].as_f64().unwrap_or(0.0) > 0.0
                        && !s["mount_path"].is_null()
                    {
                        assert_eq!(m["mount_path"], s["mount_path"], "{at}: {svc} mount_path");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 6,
        "expected the example's azure and gcp tfvars at least"
    );
}

// --- the GPU taint and the Kubernetes toleration agree ---------------------------

/// Whether a Kubernetes toleration (JSON) tolerates the taint `key=value:Effect`.
fn tolerates(t: &Value, taint: &str) -> bool {
    let (kv, effect) = taint.rsplit_once(':').unwrap();
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    let effect_ok = t["effect"]
        .as_str()
        .is_none_or(|e| e.is_empty() || e == effect);
    let key_ok = t["key"].as_str().is_none_or(|k| k.is_empty() || k == key);
    let value_ok = match t["operator"].as_str().unwrap_or("Equal") {
        "Exists" => true,
        _ => t["value"].as_str().unwrap_or("") == value,
    };
    effect_ok && key_ok && value_ok
}

#[test]
fn gpu_pods_tolerate_the_taint_terraform_puts_on_the_gpu_pools() {
    let Some(kubectl) = common::kubectl() else {
        return;
    };
    let d = example_copy();
    let o = devgen(
        d.path(),
        &["render", "--target", "tfvars", "--target", "k8s"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The taint aks.tf applies: var.gpu_node_taint, from the generated tfvars.
    let aks =
        std::fs::read_to_string(repo_root().join("deploy/terraform/modules/compute/azure/aks.tf"))
            .unwrap();
    assert!(
        aks.contains("node_taints = [local.gpu_taint]")
            && aks.contains("gpu_taint = var.gpu_node_taint")
    );
    let mut gpu_pods = 0;
    for tfvars in tfvars_of(d.path(), "azure") {
        let vars: Value = hcl::from_str(&std::fs::read_to_string(&tfvars).unwrap()).unwrap();
        let taint = vars["gpu_node_taint"]
            .as_str()
            .expect("gpu_node_taint in every tfvars");
        let profile = tfvars.file_stem().unwrap().to_string_lossy().into_owned();
        let overlay = d.path().join("deploy/kubernetes/overlays").join(&profile);
        let o = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&overlay)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let yaml = stdout(&o);
        for doc in yaml.split("\n---\n") {
            let obj: Value = serde_yaml::from_str(doc).unwrap_or(Value::Null);
            let spec = &obj["spec"]["template"]["spec"];
            let wants_gpu = spec["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| !c["resources"]["limits"]["nvidia.com/gpu"].is_null());
            if !wants_gpu {
                continue;
            }
            gpu_pods += 1;
            let tolerations = spec["tolerations"].as_array().cloned().unwrap_or_default();
            assert!(
                tolerations.iter().any(|t| tolerates(t, taint)),
                "{profile}: {} does not tolerate the GPU pool taint {taint}: {tolerations:?}",
                obj["metadata"]["name"]
            );
            // The pre-#16 taint of aks.tf would have kept the pods off the pool.
            assert!(
                !tolerations
                    .iter()
                    .any(|t| tolerates(t, "sku=gpu:NoSchedule"))
            );
        }
    }
    assert!(gpu_pods >= 1, "the example's GPU profiles have GPU pods");
}

// --- one variable interface, samples that show it --------------------------------

/// The line that ends the common part of every root's variables.tf.
const CLOUD_SPECIFIC: &str =
    "# cloud-specific (region validation and extras; every extra has a default)";

/// Everything above the cloud-specific marker of `<cloud>/variables.tf`.
fn common_interface(cloud: &str) -> String {
    let path = repo_root()
        .join("deploy/terraform")
        .join(cloud)
        .join("variables.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text
        .find(CLOUD_SPECIFIC)
        .unwrap_or_else(|| panic!("{}: no cloud-specific marker", path.display()));
    text[..at].to_string()
}

/// The `type = map(object({ … }))` of `variable "services"` in `text`.
fn services_type(text: &str) -> &str {
    let start = text
        .find("variable \"services\" {")
        .expect("a services variable");
    let from = start
        + text[start..]
            .find("  type = map(object({")
            .expect("its type");
    let end = from + text[from..].find("\n  }))\n").expect("the end of its type");
    &text[from..end]
}

/// Terraform has no type aliases or declarations shared between root
/// modules, so the common variable interface (the `services` shape above
/// all) stands in aws/, azure/ and gcp/ and in the stack-model module: the
/// copies must stay byte-identical (a field added for one cloud is declared,
/// optional, for all).
#[test]
fn the_variable_interface_is_identical_in_every_root_and_the_stack_model() {
    let aws = common_interface("aws");
    for cloud in ["azure", "gcp"] {
        let other = common_interface(cloud);
        if other != aws {
            let first = aws
                .lines()
                .zip(other.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{cloud}/variables.tf: the common part differs from aws/ at line {}:\n  aws:   {}\n  {cloud}: {}",
                first + 1,
                aws.lines().nth(first).unwrap_or(""),
                other.lines().nth(first).unwrap_or("")
            );
        }
    }
    let module = std::fs::read_to_string(
        repo_root().join("deploy/terraform/modules/stack-model/variables.tf"),
    )
    .unwrap();
    assert_eq!(
        services_type(&module),
        services_type(&aws),
        "modules/stack-model: the services type differs from the roots'"
    );
}

/// Variable names (top level) and service attribute names of a tfvars file.
fn tfvars_shape(path: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let v: Value = hcl::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let top = v.as_object().unwrap().keys().cloned().collect();
    let fields = v["services"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .flat_map(|s| s.as_object().unwrap().keys().cloned())
        .collect();
    (top, fields)
}

/// Each root's `example.tfvars.sample` shows every variable and every
/// service attribute devgen writes into that root's tfvars (the example's
/// committed `<profile>.tfvars`, every profile), so the sample someone copies
/// to try a root by hand is the interface as it is.
#[test]
fn example_tfvars_samples_show_every_variable_devgen_writes() {
    for cloud in ["aws", "azure", "gcp"] {
        let dir = repo_root().join("deploy/terraform").join(cloud);
        let (sample_top, sample_fields) = tfvars_shape(&dir.join("example.tfvars.sample"));
        let written = tfvars_of(&repo_root(), cloud);
        assert!(!written.is_empty(), "{cloud}: no generated tfvars");
        for tfvars in written {
            let (top, fields) = tfvars_shape(&tfvars);
            let missing: Vec<&String> = top.difference(&sample_top).collect();
            assert!(
                missing.is_empty(),
                "{cloud}/example.tfvars.sample lacks the variables {missing:?} of {}",
                tfvars.display()
            );
            let missing: Vec<&String> = fields.difference(&sample_fields).collect();
            assert!(
                missing.is_empty(),
                "{cloud}/example.tfvars.sample lacks the service attributes {missing:?} of {}",
                tfvars.display()
            );
        }
    }
}

/// `tests/tf/check-hand-written.sh`: fmt, the shared interface, and per root
/// `variables.tf` + `example.tfvars.sample` planned with no change and no
/// warning, invalid inputs refused by the validations. (The whole-root
/// validate and mocked plan of aws run in
/// [`aws_root_validates_and_passes_its_terraform_tests`], so the script is
/// pointed at an empty plugin directory.)
#[test]
fn hand_written_terraform_checks_pass() {
    let Some(bin) = terraform() else { return };
    let no_plugins = tempfile::tempdir().unwrap();
    let mut path = std::ffi::OsString::from(bin.parent().unwrap());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let o = Command::new("bash")
        .arg(repo_root().join("tests/tf/check-hand-written.sh"))
        .env("TF_PLUGIN_DIR", no_plugins.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "check-hand-written.sh failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    assert_eq!(stdout(&o).matches(": ok (").count(), 3, "{}", stdout(&o));
}

//! The registry of built-in targets.
use super::Target;

/// A target's names and constructor.
pub struct TargetSpec {
    /// Canonical name.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// What it writes (for `--help` and errors).
    pub summary: &'static str,
    /// Directories of `devgen init`'s scaffold (hand-written files beside
    /// the generated ones) that belong to it: scaffolded only when it is
    /// one of the project's targets.
    pub scaffold: &'static [&'static str],
    /// Build the target.
    pub target: fn() -> Box<dyn Target>,
}

/// Every built-in target, in rendering order.
pub fn all_targets() -> &'static [TargetSpec] {
    &[
        TargetSpec {
            name: "compose",
            aliases: &[],
            summary: "deploy/compose/<profile>.env and <profile>.<service>.env",
            scaffold: &["deploy/compose/"],
            target: || Box::new(super::compose::Compose),
        },
        TargetSpec {
            name: "tfvars",
            aliases: &["terraform"],
            summary: "deploy/terraform/<cloud>/<profile>.tfvars for each cloud in `clouds:`",
            scaffold: &["deploy/terraform/"],
            target: || Box::new(super::tfvars::Tfvars),
        },
        TargetSpec {
            name: "k8s",
            aliases: &["kustomize", "kubernetes"],
            summary: "deploy/kubernetes/{base,components/*,overlays/<profile>}/ (Kustomize)",
            scaffold: &[],
            target: || Box::new(super::k8s::K8s),
        },
        TargetSpec {
            name: "kconfig",
            aliases: &[],
            summary: "deploy/kconfig/<provider>/: kdevops-style Kconfig menus of regions and instance types",
            scaffold: &[],
            target: || Box::new(super::kconfig::Kconfig),
        },
    ]
}

/// The built-in target whose scaffold holds `rel` (see [`TargetSpec::scaffold`]).
pub fn scaffold_owner(rel: &str) -> Option<&'static TargetSpec> {
    all_targets()
        .iter()
        .find(|t| t.scaffold.iter().any(|d| rel.starts_with(d)))
}

/// Find a target by name or alias.
pub fn find_target(name: &str) -> Option<&'static TargetSpec> {
    all_targets()
        .iter()
        .find(|t| t.name == name || t.aliases.contains(&name))
}

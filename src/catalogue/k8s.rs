//! Kubernetes scheduling hints for GPU instance types.

use super::gpu::{AcceleratorKind, accelerator_kind};
use super::{InstanceType, Provider};

/// GKE accelerator names by normalised model, for GCP families without a
/// family-specific name (see [`k8s_gpu_node_selector`]).
const GKE_ACCELERATORS: &[(&str, &str)] = &[
    ("a100", "nvidia-tesla-a100"),
    ("a100-80gb", "nvidia-a100-80gb"),
    ("b200", "nvidia-b200"),
    ("gb200", "nvidia-gb200"),
    ("h100", "nvidia-h100-80gb"),
    ("h200", "nvidia-h200-141gb"),
    ("k80", "nvidia-tesla-k80"),
    ("l4", "nvidia-l4"),
    ("p100", "nvidia-tesla-p100"),
    ("p4", "nvidia-tesla-p4"),
    ("rtx-pro-6000", "nvidia-rtx-pro-6000"),
    ("t4", "nvidia-tesla-t4"),
    ("v100", "nvidia-tesla-v100"),
];

/// The node-selector label (key, value) that schedules a pod onto nodes of
/// this GPU instance type, or `None` for CPU-only types and where no such
/// label exists:
///
/// - AWS (EKS): `node.kubernetes.io/instance-type` = the instance type (also
///   for non-GPU accelerators such as Inferentia);
/// - GCP (GKE): `cloud.google.com/gke-accelerator` = the GKE accelerator name,
///   e.g. `nvidia-tesla-a100`, `nvidia-a100-80gb`, `nvidia-h100-80gb`,
///   `nvidia-h100-mega-80gb` (a3-megagpu), `nvidia-l4`, `nvidia-rtx-pro-6000`;
/// - Azure (AKS): `kubernetes.azure.com/accelerator` = `nvidia`, or `amd` for
///   AMD GPUs; `None` for non-GPU accelerators;
/// - Lambda Labs: `None` (no managed Kubernetes).
pub fn k8s_gpu_node_selector(
    provider: Provider,
    instance: &InstanceType,
) -> Option<(String, String)> {
    let model = instance.gpu_model.as_deref()?;
    let kind = accelerator_kind(model);
    let (key, value) = match provider {
        Provider::Aws => ("node.kubernetes.io/instance-type", instance.name.as_str()),
        Provider::Gcp => {
            let value = if instance.family == "a3-megagpu" && model == "h100" {
                "nvidia-h100-mega-80gb"
            } else {
                GKE_ACCELERATORS
                    .iter()
                    .find(|(m, _)| *m == model)
                    .map(|(_, name)| *name)?
            };
            ("cloud.google.com/gke-accelerator", value)
        }
        Provider::Azure => {
            let vendor = match kind {
                AcceleratorKind::NvidiaGpu => "nvidia",
                AcceleratorKind::AmdGpu => "amd",
                AcceleratorKind::NonGpu => return None,
            };
            ("kubernetes.azure.com/accelerator", vendor)
        }
        Provider::Lambdalabs => return None,
    };
    Some((key.to_string(), value.to_string()))
}

/// The Kubernetes extended resource that a pod requests for this instance
/// type's accelerator: `nvidia.com/gpu`, `amd.com/gpu`,
/// `aws.amazon.com/neuron` (Inferentia, Trainium) or `habana.ai/gaudi`;
/// `None` for CPU-only types and accelerators without a device plugin name
/// here.
pub fn k8s_gpu_resource(instance: &InstanceType) -> Option<&'static str> {
    let model = instance.gpu_model.as_deref()?;
    match accelerator_kind(model) {
        AcceleratorKind::NvidiaGpu => Some("nvidia.com/gpu"),
        AcceleratorKind::AmdGpu => Some("amd.com/gpu"),
        AcceleratorKind::NonGpu => match model {
            "inferentia" | "inferentia2" | "trainium" | "trainium2" => {
                Some("aws.amazon.com/neuron")
            }
            "gaudi" => Some("habana.ai/gaudi"),
            _ => None,
        },
    }
}

/// A Kubernetes node taint (`key[=value]:effect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taint {
    /// Taint key.
    pub key: &'static str,
    /// Taint value; `None` = tolerate any value (`operator: Exists`).
    pub value: Option<&'static str>,
    /// Taint effect.
    pub effect: &'static str,
}

impl Taint {
    /// The taint as `kubectl taint` / `node_taints` spell it: `key=value:effect`
    /// (or `key:effect` without a value).
    pub fn spec(&self) -> String {
        match self.value {
            Some(v) => format!("{}={v}:{}", self.key, self.effect),
            None => format!("{}:{}", self.key, self.effect),
        }
    }

    /// The pod toleration that matches exactly this taint.
    pub fn toleration(&self) -> serde_json::Value {
        match self.value {
            Some(v) => serde_json::json!({
                "key": self.key, "operator": "Equal", "value": v, "effect": self.effect,
            }),
            None => serde_json::json!({
                "key": self.key, "operator": "Exists", "effect": self.effect,
            }),
        }
    }
}

/// The taint on AKS GPU node pools. THE one source of truth: the `aks.tf` pool
/// gets it through the Terraform variable `gpu_node_taint` (whose default is
/// the same value, and which devgen's tfvars set from this constant), and the
/// Kubernetes overlays and Helm values tolerate it. The same taint as GKE's,
/// so one toleration fits both clouds' GPU pools.
pub const AKS_GPU_TAINT: Taint = Taint {
    key: "nvidia.com/gpu",
    value: Some("present"),
    effect: "NoSchedule",
};

/// The taint GKE puts on GPU nodes itself (`nvidia.com/gpu=present:NoSchedule`).
pub const GKE_GPU_TAINT: Taint = Taint {
    key: "nvidia.com/gpu",
    value: Some("present"),
    effect: "NoSchedule",
};

/// The usual taint of EKS GPU node groups / Karpenter GPU node pools
/// (`nvidia.com/gpu:NoSchedule`, any value).
pub const EKS_GPU_TAINT: Taint = Taint {
    key: "nvidia.com/gpu",
    value: None,
    effect: "NoSchedule",
};

/// The taint of a cloud's GPU nodes (`aws`, `azure`, `gcp`), which GPU pods tolerate.
pub fn gpu_node_taint(cloud: &str) -> Option<Taint> {
    match cloud {
        "aws" => Some(EKS_GPU_TAINT),
        "azure" => Some(AKS_GPU_TAINT),
        "gcp" => Some(GKE_GPU_TAINT),
        _ => None,
    }
}

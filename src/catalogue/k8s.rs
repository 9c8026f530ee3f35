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

/// The taint of GPU nodes, as `key=value:Effect`: GKE applies it to GPU node
/// pools itself; the AKS GPU pool gets it from the tfvars (`gpu_node_taint`,
/// a common variable of every cloud), and the Kubernetes outputs tolerate it — one value for
/// both sides.
pub const GPU_NODE_TAINT: &str = "nvidia.com/gpu=present:NoSchedule";

/// [`GPU_NODE_TAINT`] split into (key, value, effect), for tolerations.
pub fn gpu_node_taint_parts() -> (&'static str, &'static str, &'static str) {
    let (key, rest) = GPU_NODE_TAINT.split_once('=').expect("key=value:Effect");
    let (value, effect) = rest.split_once(':').expect("value:Effect");
    (key, value, effect)
}

#[cfg(test)]
mod taint_tests {
    #[test]
    fn gpu_node_taint_splits_into_a_toleration() {
        assert_eq!(
            super::gpu_node_taint_parts(),
            ("nvidia.com/gpu", "present", "NoSchedule")
        );
    }
}

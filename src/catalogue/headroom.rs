//! Node headroom: what each platform reserves on a machine before pods or
//! tasks get any of it, so a service is placed on a machine whose
//! *allocatable* capacity (not its nominal size) covers the request.
//!
//! | cloud | platform(s) devgen deploys GPU services to | CPU reserved | memory reserved |
//! |---|---|---|---|
//! | gcp | GKE node pool | 6% of the 1st core, 1% of the 2nd, 0.5% of the 3rd–4th, 0.25% of every further core | 255 MiB below 1 GiB; else 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above 128 GiB; plus the 100 MiB eviction threshold |
//! | aws | ECS on EC2 (Terraform) and EKS (Kubernetes targets) — the larger of the two | as GKE (the EKS AMI's bootstrap uses the same percentages) | EKS: 11 MiB × max pods + 255 MiB, plus 100 MiB eviction, with max pods taken as 110 (the Kubernetes default; the ENI-based EKS value is lower on small types, so this errs on the safe side); ECS: the agent registers the memory the OS reports, ≈ 2.6% below the nominal size (AWS's example: an m4.large's 8 GiB registers as 7985 MiB) |
//! | azure | AKS | AKS's table: 60 m (1 core), 100 m (2), 140 m (4), 180 m (8), 260 m (16), 420 m (32), 740 m (64), linear in between, +10 m per core above 64 | AKS ≥ 1.29: the lesser of 20 MB × max pods + 50 MB and 25% of memory, plus the 100 MiB eviction threshold; max pods taken as 110 |
//! | lambdalabs | plain VMs | none | none |
//!
//! Sources: GKE "Plan node sizes / allocatable resources"
//! (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes);
//! amazon-eks-ami `bootstrap.sh` (kube-reserved CPU and memory, eviction
//! `memory.available<100Mi`); Amazon ECS developer guide "Container instance
//! memory management" (docs.aws.amazon.com/AmazonECS/latest/developerguide/memory-management.html);
//! AKS "Node resource reservations"
//! (learn.microsoft.com/azure/aks/node-resource-reservations).

use super::{InstanceType, Provider};

/// Pods per node assumed for the EKS and AKS memory reservations.
pub const MAX_PODS: f64 = 110.0;

/// The kubelet's hard eviction threshold (`memory.available<100Mi`) on GKE,
/// EKS and AKS ≥ 1.29, MiB.
const EVICTION_MIB: f64 = 100.0;

/// What a platform keeps of one machine: millicores and MiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reserved {
    /// CPU, millicores.
    pub cpu_millis: f64,
    /// Memory, MiB (eviction threshold included).
    pub memory_mib: f64,
}

/// GKE's and EKS's kube-reserved CPU for `vcpus` cores, millicores.
fn tiered_cpu(vcpus: f64) -> f64 {
    let tier = |from: f64, to: f64| (vcpus.min(to) - from).max(0.0);
    tier(0.0, 1.0) * 60.0
        + tier(1.0, 2.0) * 10.0
        + tier(2.0, 4.0) * 5.0
        + (vcpus - 4.0).max(0.0) * 2.5
}

/// AKS's kube-reserved CPU table, linear between its points.
fn aks_cpu(vcpus: f64) -> f64 {
    const TABLE: [(f64, f64); 7] = [
        (1.0, 60.0),
        (2.0, 100.0),
        (4.0, 140.0),
        (8.0, 180.0),
        (16.0, 260.0),
        (32.0, 420.0),
        (64.0, 740.0),
    ];
    if vcpus <= 1.0 {
        return 60.0;
    }
    if vcpus >= 64.0 {
        return 740.0 + (vcpus - 64.0) * 10.0;
    }
    TABLE
        .windows(2)
        .find(|w| vcpus <= w[1].0)
        .map(|w| w[0].1 + (vcpus - w[0].0) * (w[1].1 - w[0].1) / (w[1].0 - w[0].0))
        .unwrap_or(740.0)
}

/// GKE's regressive memory reservation, MiB (eviction threshold excluded).
fn gke_memory(memory_mib: f64) -> f64 {
    if memory_mib < 1024.0 {
        return 255.0;
    }
    let gib = 1024.0;
    let tier = |from: f64, to: f64| (memory_mib.min(to * gib) - from * gib).max(0.0);
    tier(0.0, 4.0) * 0.25
        + tier(4.0, 8.0) * 0.20
        + tier(8.0, 16.0) * 0.10
        + tier(16.0, 128.0) * 0.06
        + (memory_mib - 128.0 * gib).max(0.0) * 0.02
}

/// What `provider`'s platform reserves on a machine of `vcpus` and
/// `memory_gib`.
pub fn reserved(provider: Provider, vcpus: u32, memory_gib: f64) -> Reserved {
    let v = f64::from(vcpus);
    let mib = memory_gib * 1024.0;
    match provider {
        Provider::Gcp => Reserved {
            cpu_millis: tiered_cpu(v),
            memory_mib: gke_memory(mib) + EVICTION_MIB,
        },
        Provider::Aws => {
            let eks = 11.0 * MAX_PODS + 255.0 + EVICTION_MIB;
            let ecs = mib * 0.026;
            Reserved {
                cpu_millis: tiered_cpu(v),
                memory_mib: eks.max(ecs),
            }
        }
        Provider::Azure => {
            let mb = 1_000_000.0 / 1_048_576.0;
            let kube = (20.0 * MAX_PODS + 50.0) * mb;
            Reserved {
                cpu_millis: aks_cpu(v),
                memory_mib: kube.min(mib * 0.25) + EVICTION_MIB,
            }
        }
        Provider::Lambdalabs => Reserved {
            cpu_millis: 0.0,
            memory_mib: 0.0,
        },
    }
}

/// CPU left for workloads on `inst`, millicores.
pub fn allocatable_cpu_millis(inst: &InstanceType) -> f64 {
    let memory = inst.memory_gib.unwrap_or(0.0);
    f64::from(inst.vcpus) * 1000.0 - reserved(inst.provider, inst.vcpus, memory).cpu_millis
}

/// Memory left for workloads on `inst`, GiB; `None` when its memory is
/// unknown.
pub fn allocatable_memory_gib(inst: &InstanceType) -> Option<f64> {
    let memory = inst.memory_gib?;
    Some(memory - reserved(inst.provider, inst.vcpus, memory).memory_mib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        // GKE: 4 cores → 80 m; 16 GiB → 1 GiB + 0.8 GiB + 0.8 GiB = 2.6 GiB (+100 MiB).
        let g = reserved(Provider::Gcp, 4, 16.0);
        assert!((g.cpu_millis - 80.0).abs() < 1e-9);
        assert!((g.memory_mib - (1024.0 + 819.2 + 819.2 + 100.0)).abs() < 1e-6);
        // AKS table points.
        assert_eq!(reserved(Provider::Azure, 8, 64.0).cpu_millis, 180.0);
        assert_eq!(reserved(Provider::Azure, 64, 512.0).cpu_millis, 740.0);
        // EKS: 11 × 110 + 255 + 100 MiB, unless ECS's share is larger.
        assert_eq!(reserved(Provider::Aws, 4, 16.0).memory_mib, 1565.0);
        assert!(
            (reserved(Provider::Aws, 96, 768.0).memory_mib - 768.0 * 1024.0 * 0.026).abs() < 1e-6
        );
        assert_eq!(reserved(Provider::Lambdalabs, 8, 64.0).memory_mib, 0.0);
    }
}

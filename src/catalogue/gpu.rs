//! GPU model names: normalisation, aliases and what kind of device a model is.

/// Aliases accepted by [`normalize_gpu_model`], as (alias, catalogue model).
///
/// Only names that are not themselves catalogue models are aliased: `a10g`
/// and `a10`, `a100` and `a100-80gb`, `rtx6000` (Quadro RTX 6000) and
/// `rtx-pro-6000` stay distinct models. Keys are already normalised
/// (lowercase, `-`-separated, without the `nvidia-`/`tesla-`/`amd-` prefixes,
/// which are stripped first).
pub const GPU_MODEL_ALIASES: &[(&str, &str)] = &[
    // H100: GKE accelerator names and SKU variants all map to the one model.
    ("h100-80gb", "h100"),
    ("h100-mega", "h100"),
    ("h100-mega-80gb", "h100"),
    ("h100-80gb-mega", "h100"),
    ("h100-sxm", "h100"),
    ("h100-sxm5", "h100"),
    ("h100-pcie", "h100"),
    ("h100-nvl", "h100"),
    // A100 40 GB is the catalogue's plain `a100`.
    ("a100-40gb", "a100"),
    ("a100-sxm4", "a100"),
    ("a100-80gb-sxm4", "a100-80gb"),
    ("h200-141gb", "h200"),
    ("b200-180gb", "b200"),
    ("gh200-96gb", "gh200"),
    // RTX PRO 6000 Blackwell spellings (not `rtx6000`, which is Turing).
    ("rtx-pro6000", "rtx-pro-6000"),
    ("rtxpro6000", "rtx-pro-6000"),
    ("rtx-pro-6000-blackwell", "rtx-pro-6000"),
    ("mi300", "mi300x"),
    ("inferentia1", "inferentia"),
    ("trainium1", "trainium"),
];

/// Normalises a GPU model name to the catalogue's form: trims, lowercases,
/// turns `_` and whitespace into `-` (runs collapse to one), drops a leading
/// `nvidia-`, `tesla-` or `amd-` vendor prefix, then applies
/// [`GPU_MODEL_ALIASES`].
///
/// `A100-80GB`, `a100_80gb` and `A100 80GB` all give `a100-80gb`; `a100`
/// stays `a100` (the 40 GB model); `nvidia-h100-80gb` gives `h100`.
pub fn normalize_gpu_model(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        let c = if c == '_' || c.is_whitespace() {
            '-'
        } else {
            c.to_ascii_lowercase()
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    let mut s = out.as_str();
    for prefix in ["nvidia-", "amd-", "tesla-"] {
        if let Some(rest) = s.strip_prefix(prefix)
            && !rest.is_empty()
        {
            s = rest;
        }
    }
    GPU_MODEL_ALIASES
        .iter()
        .find(|(alias, _)| *alias == s)
        .map_or(s, |(_, model)| model)
        .to_string()
}

/// What kind of device a catalogue GPU / accelerator model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceleratorKind {
    /// An NVIDIA GPU (`nvidia.com/gpu` in Kubernetes).
    NvidiaGpu,
    /// An AMD GPU (`amd.com/gpu`).
    AmdGpu,
    /// A non-GPU accelerator (Inferentia, Trainium, Gaudi, Qualcomm AI 100,
    /// AMD MA35D media card).
    NonGpu,
}

/// The kind of a normalised model. The AMD and non-GPU models are the ones
/// listed in SOURCE.md; any other name counts as an NVIDIA GPU.
pub fn accelerator_kind(model: &str) -> AcceleratorKind {
    match model {
        "mi300x" | "mi25" | "v520" | "v620" | "v710" => AcceleratorKind::AmdGpu,
        "inferentia" | "inferentia2" | "trainium" | "trainium2" | "gaudi" | "qualcomm-ai100"
        | "ma35d" => AcceleratorKind::NonGpu,
        _ => AcceleratorKind::NvidiaGpu,
    }
}

/// The known model a misspelt `model` most likely means, for "did you mean":
/// the closest by edit distance (at most 2, or a third of its length), on a
/// tie the one that extends it or that it extends (`h10` → `h100`, not
/// `a10`), then by name.
pub fn nearest_gpu_model(known: &[&str], model: &str) -> Option<String> {
    known
        .iter()
        .map(|k| {
            let related = k.starts_with(model) || model.starts_with(k);
            (strsim::levenshtein(k, model), !related, *k)
        })
        .min()
        .filter(|(d, _, _)| *d <= 2.max(model.len() / 3))
        .map(|(_, _, k)| k.to_string())
}

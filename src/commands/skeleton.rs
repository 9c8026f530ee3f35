//! What `devgen init` writes for a new project: its config (one small
//! service, or the services given or imported), the profiles dev, staging
//! and prod, the secrets' names, and the Compose GPU file of its GPU
//! services. Values are written as JSON scalars (valid YAML), so any name or
//! value survives.
use indexmap::IndexMap;

/// An image reference split as the config holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageRef {
    /// Registry host (empty: Docker Hub).
    pub registry: String,
    /// Repository.
    pub name: String,
    /// Tag (empty: none given).
    pub tag: String,
}

impl ImageRef {
    /// Split `registry/name:tag` (a first component with `.` or `:`, or
    /// `localhost`, is a registry; a digest stays in the tag).
    pub fn parse(s: &str) -> ImageRef {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, p))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), p.to_string())
            }
            _ => (String::new(), rest.to_string()),
        };
        let (name, mut tag) = match path.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n.to_string(), t.to_string()),
            _ => (path.clone(), String::new()),
        };
        if let Some(d) = digest {
            tag = if tag.is_empty() {
                format!("@{d}")
            } else {
                format!("{tag}@{d}")
            };
        }
        ImageRef {
            registry,
            name,
            tag,
        }
    }
}

/// One service of the new project.
#[derive(Clone, Debug, Default)]
pub struct ServiceSpec {
    /// Service name.
    pub name: String,
    /// Its image.
    pub image: ImageRef,
    /// Ports by name.
    pub ports: IndexMap<String, u16>,
    /// Its own environment.
    pub env: IndexMap<String, String>,
    /// Secrets it receives.
    pub secrets: Vec<String>,
    /// Arguments (Compose `command`).
    pub command: Vec<String>,
    /// Entrypoint override.
    pub entrypoint: Vec<String>,
    /// CPU quantity.
    pub cpu: Option<String>,
    /// Memory quantity.
    pub memory: Option<String>,
    /// Persistent storage size and where it is mounted.
    pub storage: Option<(String, String)>,
    /// GPU model and count.
    pub gpu: Option<(String, u32)>,
    /// Replicas.
    pub replicas: Option<u32>,
    /// HTTP health check path on the `http` port, or a TCP check.
    pub health: Option<Health>,
}

/// A health check of an imported service.
#[derive(Clone, Debug)]
pub enum Health {
    /// HTTP GET of a path on a port (number).
    Http(String, u16),
}

/// The whole new project.
#[derive(Clone, Debug, Default)]
pub struct Skeleton {
    /// Project name.
    pub name: String,
    /// Clouds (first = `cloud:`).
    pub clouds: Vec<String>,
    /// `targets:` (empty: not written).
    pub targets: Vec<String>,
    /// Services.
    pub services: Vec<ServiceSpec>,
    /// Secret names and descriptions.
    pub secrets: Vec<(String, String)>,
    /// Whether the config keys of per-service secrets, command, entrypoint
    /// and health exist in this build's schema.
    pub rich_keys: bool,
    /// Imported from Compose: the profiles add nothing to the services'
    /// environment (so Compose sees exactly the original's).
    pub imported: bool,
}

const MODELINE: &str = "# yaml-language-server: $schema=../../schemas/config.schema.json\n";

/// A JSON (and so YAML) scalar.
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

fn list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// The default region of a cloud in the skeleton.
fn cloud_settings(cloud: &str) -> &'static str {
    match cloud {
        "azure" => "{region: eastus}",
        "gcp" => "{region: us-central1, project_id: my-project}",
        _ => "{region: us-east-1}",
    }
}

impl Skeleton {
    /// The default one-service skeleton.
    pub fn default_service() -> ServiceSpec {
        ServiceSpec {
            name: "web".into(),
            image: ImageRef::parse("nginxinc/nginx-unprivileged:1.27-alpine"),
            ports: IndexMap::from([("http".to_string(), 8080)]),
            cpu: Some("250m".into()),
            memory: Some("256Mi".into()),
            ..ServiceSpec::default()
        }
    }

    /// Every config file: (relative path, text).
    pub fn config_files(&self) -> Vec<(String, String)> {
        vec![
            ("config/common/project.yaml".into(), self.project_yaml()),
            ("config/common/services.yaml".into(), self.services_yaml()),
            ("config/profiles/dev.yaml".into(), self.profile_yaml("dev")),
            (
                "config/profiles/staging.yaml".into(),
                self.profile_yaml("staging"),
            ),
            (
                "config/profiles/prod.yaml".into(),
                self.profile_yaml("prod"),
            ),
            ("config/secrets.example.yaml".into(), self.secrets_yaml()),
        ]
    }

    fn project_yaml(&self) -> String {
        let mut s = String::from(MODELINE);
        s.push_str("# The project, its clouds and targets.\n");
        s.push_str(&format!("project:\n  name: {}\n\n", q(&self.name)));
        s.push_str(&format!(
            "image:\n  name: {}\n  tag: \"0.1.0\"\n\n",
            q(&self.name)
        ));
        if !self.secrets.is_empty() {
            let names: Vec<String> = self.secrets.iter().map(|(n, _)| n.clone()).collect();
            s.push_str(&format!(
                "# Names only; values come from the environment or config/secrets.yaml.\nsecrets: {}\n\n",
                list(&names)
            ));
        }
        let clouds = if self.clouds.is_empty() {
            vec!["aws".to_string()]
        } else {
            self.clouds.clone()
        };
        s.push_str(&format!("cloud: {}\nclouds:\n", clouds[0]));
        for c in &clouds {
            s.push_str(&format!("  {c}: {}\n", cloud_settings(c)));
        }
        if !self.targets.is_empty() {
            s.push_str(&format!(
                "\n# What `devgen render` / `devgen check` cover (default: every target).\ntargets: {}\n",
                list(&self.targets)
            ));
        }
        s
    }

    fn services_yaml(&self) -> String {
        let mut s = String::from(MODELINE);
        s.push_str("# The services: image, ports, environment and compute.\nservices:\n");
        for svc in &self.services {
            s.push_str(&format!("  {}:\n", q(&svc.name)));
            let img = &svc.image;
            let mut parts = Vec::new();
            if !img.registry.is_empty() {
                parts.push(format!("registry: {}", q(&img.registry)));
            }
            parts.push(format!("name: {}", q(&img.name)));
            if !img.tag.is_empty() {
                parts.push(format!("tag: {}", q(&img.tag)));
            }
            s.push_str(&format!("    image: {{{}}}\n", parts.join(", ")));
            if !svc.entrypoint.is_empty() && self.rich_keys {
                s.push_str(&format!("    entrypoint: {}\n", list(&svc.entrypoint)));
            }
            if !svc.command.is_empty() && self.rich_keys {
                s.push_str(&format!("    command: {}\n", list(&svc.command)));
            }
            if !svc.ports.is_empty() {
                let p: Vec<String> = svc
                    .ports
                    .iter()
                    .map(|(n, v)| format!("{}: {v}", q(n)))
                    .collect();
                s.push_str(&format!("    ports: {{{}}}\n", p.join(", ")));
            }
            if !svc.env.is_empty() {
                s.push_str("    env:\n");
                for (k, v) in &svc.env {
                    s.push_str(&format!("      {}: {}\n", q(k), q(v)));
                }
            }
            if !svc.secrets.is_empty() && self.rich_keys {
                s.push_str(&format!("    secrets: {}\n", list(&svc.secrets)));
            }
            if let Some(r) = svc.replicas {
                s.push_str(&format!("    replicas: {r}\n"));
            }
            let mut res = Vec::new();
            if let Some(c) = &svc.cpu {
                res.push(format!("cpu: {}", q(c)));
            }
            if let Some(m) = &svc.memory {
                res.push(format!("memory: {}", q(m)));
            }
            if let Some((size, _)) = &svc.storage {
                res.push(format!("storage: {}", q(size)));
            }
            if let Some((model, count)) = &svc.gpu {
                res.push(format!("gpu: {{model: {}, count: {count}}}", q(model)));
            }
            if !res.is_empty() {
                s.push_str(&format!("    resources: {{{}}}\n", res.join(", ")));
            }
            if let Some((_, mount)) = &svc.storage {
                s.push_str(&format!("    mount_path: {}\n", q(mount)));
            }
            if let (Some(Health::Http(path, port)), true) = (&svc.health, self.rich_keys) {
                s.push_str(&format!(
                    "    health: {{path: {}, port: {port}}}\n",
                    q(path)
                ));
            }
        }
        s
    }

    fn profile_yaml(&self, profile: &str) -> String {
        let mut s = String::from(MODELINE);
        if self.imported {
            let base = if profile == "prod" {
                "extends: staging\n"
            } else {
                ""
            };
            s.push_str(&format!(
                "# {profile}: what this environment changes (imported services: nothing yet).\n{base}project:\n  environment: {profile}\n"
            ));
            return s;
        }
        match profile {
            "dev" => s.push_str(
                "# dev: a laptop with docker compose.\nproject:\n  environment: dev\nenv:\n  LOG_LEVEL: debug\n",
            ),
            "staging" => s.push_str(
                "# staging: like prod, smaller.\nproject:\n  environment: staging\nenv:\n  LOG_LEVEL: info\n",
            ),
            _ => {
                s.push_str("# prod: staging's settings, and what production changes.\nextends: staging\nproject:\n  environment: prod\n");
            }
        }
        s
    }

    fn secrets_yaml(&self) -> String {
        let mut s = String::from(
            "# Secrets: names and what they are for — never values.\n# Values come from the environment or from config/secrets.yaml (git-ignored).\n",
        );
        if self.secrets.is_empty() {
            s.push_str("{}\n");
        }
        for (n, d) in &self.secrets {
            s.push_str(&format!("{}: {}\n", q(n), q(d)));
        }
        s
    }

    /// `deploy/compose/docker-compose.gpu.yml` when a service has GPUs:
    /// added with `-f` (`make compose-up-gpu`), it replaces each GPU
    /// service's reservation with `<SERVICE>_GPU_COUNT` of the env file.
    pub fn gpu_compose_file(&self) -> Option<(String, String)> {
        let mut gpu = String::new();
        for svc in self.services.iter().filter(|s| s.gpu.is_some()) {
            let p = crate::render::compose::var_prefix(&svc.name);
            gpu.push_str(&format!(
                "  {}:\n    deploy:\n      resources:\n        reservations:\n          devices: !override\n            - driver: nvidia\n              count: ${{{p}_GPU_COUNT}}\n              capabilities: [gpu]\n",
                svc.name
            ));
        }
        (!gpu.is_empty()).then(|| {
            (
                "deploy/compose/docker-compose.gpu.yml".into(),
                format!("# NVIDIA GPUs (hand-written): add with -f on a host with the NVIDIA Container Toolkit\n# (make compose-up-gpu). `!override` replaces the reservation of the generated services file.\nservices:\n{gpu}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs() {
        let i = ImageRef::parse("ghcr.io/org/app:1.2");
        assert_eq!(
            (i.registry.as_str(), i.name.as_str(), i.tag.as_str()),
            ("ghcr.io", "org/app", "1.2")
        );
        let i = ImageRef::parse("postgres:16");
        assert_eq!(
            (i.registry.as_str(), i.name.as_str(), i.tag.as_str()),
            ("", "postgres", "16")
        );
        let i = ImageRef::parse("localhost:5000/x");
        assert_eq!(
            (i.registry.as_str(), i.name.as_str(), i.tag.as_str()),
            ("localhost:5000", "x", "")
        );
    }
}

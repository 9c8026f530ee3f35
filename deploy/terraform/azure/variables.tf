# THE INTERFACE between devgen and this Terraform root.
#
# devgen renders `<profile>.tfvars` next to this file; the variables from here to
# the "cloud-specific" marker are byte-identical in aws/, azure/ and gcp/
# (tests/tf/check-hand-written.sh enforces that), so one generator template
# serves every cloud. Cloud-specific variables below the marker all have
# defaults: a tfvars that sets only the common variables plans everywhere.
#
# Secrets never appear in a tfvars file: only their names (`secret_names`); the
# values come from the environment, e.g.
#   export TF_VAR_secrets='{"API_KEY":"…"}'

# ---------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------

variable "project_name" {
  description = "Project name (config `project.name`). Lower-case letters, digits and hyphens, 3-24 characters; prefixes every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name (config `project.environment`, usually the profile: dev, staging, prod). Lower-case letters, digits and hyphens, 1-16 characters."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$", var.environment))
    error_message = "environment must be 1-16 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

# ---------------------------------------------------------------------------
# GPU capacity (describes the stack's GPU service(s); see also services[*].gpu)
# ---------------------------------------------------------------------------

variable "enable_gpu" {
  description = "Provision GPU capacity for the services that request a GPU. When false, every service runs on the CPU platform (Fargate / Container Instances / Cloud Run) without a GPU."
  type        = bool
  default     = false
  nullable    = false
}

variable "gpu_model" {
  description = "Normalised catalogue GPU model of the GPU node pool (e.g. \"a10g\", \"l4\", \"a100-80gb\"); \"\" when the stack has no GPU service. Used for services whose gpu.model is \"\"."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.gpu_model == "" || can(regex("^[a-z0-9][a-z0-9-]*$", var.gpu_model))
    error_message = "gpu_model must be a normalised catalogue model name (lower-case letters, digits, hyphens), e.g. \"a10g\", or \"\"."
  }

  validation {
    condition     = !var.enable_gpu || var.gpu_model != ""
    error_message = "gpu_model must be set when enable_gpu is true."
  }
}

variable "gpu_count" {
  description = "GPUs per GPU node (and per GPU task/pod); 0 when the stack has no GPU service."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.gpu_count >= 0 && floor(var.gpu_count) == var.gpu_count
    error_message = "gpu_count must be a whole number >= 0."
  }

  validation {
    condition     = !var.enable_gpu || var.gpu_count >= 1
    error_message = "gpu_count must be at least 1 when enable_gpu is true."
  }
}

variable "instance_type" {
  description = "Cloud instance type of the GPU node pool, resolved from the catalogue for this cloud (AWS \"g5.2xlarge\", Azure \"Standard_NV36ads_A10_v5\", GCP \"g2-standard-8\"); \"\" when the stack has no GPU service."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.instance_type == "" || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*$", var.instance_type))
    error_message = "instance_type must be a cloud instance type name (letters, digits, '.', '_', '-') or \"\"."
  }

  validation {
    condition     = !var.enable_gpu || var.instance_type != ""
    error_message = "instance_type must be set when enable_gpu is true."
  }
}

# ---------------------------------------------------------------------------
# Primary service sizing (the service behind the public endpoint)
# ---------------------------------------------------------------------------

variable "cpu" {
  description = "vCPUs of the primary service; may be fractional (0.5). Sizes the single service deployed when `services` is empty; otherwise the services entry wins."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.cpu > 0
    error_message = "cpu must be greater than 0."
  }
}

variable "memory" {
  description = "Memory of the primary service in MiB (4Gi = 4096). Sizes the single service deployed when `services` is empty; otherwise the services entry wins."
  type        = number
  default     = 2048
  nullable    = false

  validation {
    condition     = var.memory > 0
    error_message = "memory must be greater than 0 (MiB)."
  }
}

variable "storage_size_gb" {
  description = "Persistent storage of the primary service in GiB; 0 for none. Used for the single service deployed when `services` is empty; otherwise the services entry wins."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.storage_size_gb >= 0
    error_message = "storage_size_gb must be >= 0."
  }
}

# ---------------------------------------------------------------------------
# Network exposure
# ---------------------------------------------------------------------------

variable "enable_https" {
  description = "Serve the public endpoint over HTTPS (HTTP redirects to HTTPS)."
  type        = bool
  default     = true
  nullable    = false
}

variable "allowed_cidrs" {
  description = "Source CIDR blocks (IPv4 or IPv6) allowed to reach the public endpoint; [] closes it. No default: exposure is always an explicit choice."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "Every allowed_cidrs entry must be a valid CIDR block such as \"203.0.113.0/24\" or \"0.0.0.0/0\"."
  }
}

variable "domain_name" {
  description = "Public DNS name of the endpoint (config `network.domain`), \"\" for none. With HTTPS on AWS an ACM certificate for it (and *.domain_name) is created unless certificate_arn is set; several public services are routed by host <service>.domain_name (by path /<service> without a domain)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as \"app.example.com\", or \"\"."
  }
}

variable "api_authorized_cidrs" {
  description = "Source CIDR blocks allowed to reach the Kubernetes API server of AKS / GKE (config `network.api_authorized_cidrs`); [] = the allowed_cidrs. Never world-open unless a range says so."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.api_authorized_cidrs : can(cidrhost(c, 0))])
    error_message = "Every api_authorized_cidrs entry must be a valid CIDR block."
  }
}

# ---------------------------------------------------------------------------
# Primary service
# ---------------------------------------------------------------------------

variable "image" {
  description = "Full image reference of the single service deployed when `services` is empty. Which services are published is each entry's `public`; nothing depends on this image or on map order."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^\\s]+$", var.image))
    error_message = "image must be a non-empty image reference without whitespace."
  }
}

variable "ports" {
  description = "Ports of the single service deployed when `services` is empty, port name => port number (e.g. { http = 8080 }); it is public when it has an \"http\" port."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name, port in var.ports : can(regex("^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$", name)) && port >= 1 && port <= 65535 && floor(port) == port])
    error_message = "ports must map names (lower-case, 1-15 characters, like Kubernetes port names) to whole numbers 1-65535."
  }
}

# ---------------------------------------------------------------------------
# Metadata and environment
# ---------------------------------------------------------------------------

variable "labels" {
  description = "Labels applied to every resource: AWS tags, Azure tags, GCP labels. Keys may be Kubernetes-style (\"app.kubernetes.io/part-of\"); on Azure and GCP keys and values are sanitised to the cloud's character set."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.labels : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "labels keys must be 1-128 characters and values at most 256 characters."
  }
}

variable "env" {
  description = "Global non-secret environment of every service; a service's own env overrides it key by key."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.env) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "env keys must be environment variable names ([A-Za-z_][A-Za-z0-9_]*)."
  }
}

# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------

variable "services" {
  description = <<-EOT
    The stack's services, service name => settings:
      image           full image reference
      cpu             vCPUs (may be fractional)
      memory          MiB
      replicas        desired instances (>= 0)
      ports           port name => number
      env             the service's own environment (merged over `env`)
      labels          the service's own labels (merged over `labels`)
      storage_size_gb persistent storage in GiB, 0 for none
      gpu             optional: { model, count }; null (or count = 0) means no GPU.
                      model "" falls back to `gpu_model`.
      instance_type   GPU instance type for this service, "" = use `instance_type`
      autoscaling     optional: { min, max, cpu_percent }; null = fixed `replicas`
      args            container arguments (config `command`); null = the image CMD
      entrypoint      overrides the image ENTRYPOINT; null = the image's
      secrets         names of the only secrets this service receives
      public          reachable from outside (load balancer / public URL)
      mount_path      where its storage is mounted; null without storage
      storage_shared  shared file storage (true) or per-replica block storage
      protocol        "http" or "tcp" (tcp services need no HTTP platform)
      health          optional: { path (null = TCP check), port }
      run_as_user     uid to run as; null = the image's user (root opt-out)
    A service with a GPU (and enable_gpu = true) runs on the GPU node pool
    (ECS on EC2 / AKS / GKE); every other service runs on the cloud's serverless
    CPU platform (ECS Fargate / Container Instances / Cloud Run).
    An empty map deploys a single service named after project_name from the
    top-level image, cpu, memory, ports, storage_size_gb and GPU variables.
  EOT
  type = map(object({
    image           = string
    cpu             = number
    memory          = number
    replicas        = number
    ports           = map(number)
    env             = map(string)
    labels          = map(string)
    storage_size_gb = number
    gpu = optional(object({
      model = string
      count = number
    }))
    instance_type = string
    # GCP only (null elsewhere): GPUs attached to instance_type (N1 +
    # T4/V100/P100/P4): guest accelerator type/count and the zones of the
    # region that sell it; null for bundled GPUs.
    accelerator = optional(object({
      type  = string
      count = number
      zones = list(string)
    }))
    autoscaling = optional(object({
      min         = number
      max         = number
      cpu_percent = number
    }))
    args           = optional(list(string))
    entrypoint     = optional(list(string))
    secrets        = optional(list(string), [])
    public         = optional(bool, false)
    mount_path     = optional(string)
    storage_shared = optional(bool, false)
    protocol       = optional(string, "http")
    health = optional(object({
      path = optional(string)
      port = number
    }))
    run_as_user = optional(number)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$", name))])
    error_message = "services keys must be DNS labels of 1-24 characters (lower-case letters, digits, hyphens, starting with a letter)."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : can(regex("^[^\\s]+$", s.image)) && s.cpu > 0 && s.memory > 0 && s.storage_size_gb >= 0])
    error_message = "Every service needs a non-empty image, cpu > 0, memory > 0 (MiB) and storage_size_gb >= 0."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.replicas >= 0 && floor(s.replicas) == s.replicas])
    error_message = "services[*].replicas must be a whole number >= 0."
  }

  validation {
    condition = alltrue(flatten([for s in values(var.services) : [
      for name, port in s.ports : can(regex("^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$", name)) && port >= 1 && port <= 65535 && floor(port) == port
    ]]))
    error_message = "services[*].ports must map names (lower-case, 1-15 characters) to whole numbers 1-65535."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for k in keys(s.env) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))]]))
    error_message = "services[*].env keys must be environment variable names ([A-Za-z_][A-Za-z0-9_]*)."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for k, v in s.labels : length(k) >= 1 && length(k) <= 128 && length(v) <= 256]]))
    error_message = "services[*].labels keys must be 1-128 characters and values at most 256 characters."
  }

  validation {
    condition = alltrue([for s in values(var.services) : s.gpu == null ? true : (
      s.gpu.count >= 0 && floor(s.gpu.count) == s.gpu.count && (s.gpu.model == "" || can(regex("^[a-z0-9][a-z0-9-]*$", s.gpu.model)))
    )])
    error_message = "services[*].gpu must be null or { model = normalised catalogue name or \"\", count = whole number >= 0 }."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.instance_type == "" || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*$", s.instance_type))])
    error_message = "services[*].instance_type must be a cloud instance type name or \"\"."
  }

  validation {
    condition = alltrue([for s in values(var.services) : s.autoscaling == null ? true : (
      s.autoscaling.min >= 0 && s.autoscaling.max >= 1 && s.autoscaling.max >= s.autoscaling.min &&
      floor(s.autoscaling.min) == s.autoscaling.min && floor(s.autoscaling.max) == s.autoscaling.max &&
      s.autoscaling.cpu_percent >= 1 && s.autoscaling.cpu_percent <= 100
    )])
    error_message = "services[*].autoscaling must be null or { min >= 0, max >= max(min, 1) (whole numbers), cpu_percent 1-100 }."
  }
}

# ---------------------------------------------------------------------------
# GPU node scheduling
# ---------------------------------------------------------------------------

variable "gpu_node_taint" {
  description = "Taint of the Kubernetes GPU node pools (AKS, and the GKE pools' NoSchedule taint), \"key=value:Effect\" or \"key:Effect\". devgen renders it from the same constant as the GPU toleration of its Kubernetes output, so pods and pools agree."
  type        = string
  default     = "nvidia.com/gpu=present:NoSchedule"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9./-]+(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$", var.gpu_node_taint))
    error_message = "gpu_node_taint must look like \"nvidia.com/gpu=present:NoSchedule\"."
  }
}

# ---------------------------------------------------------------------------
# Secrets: names in tfvars, values only from the environment
# ---------------------------------------------------------------------------

variable "secret_names" {
  description = "Names of the declared secrets (config `secrets`); each service receives the ones its `secrets` lists, as environment variables. Names only; never values."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for n in var.secret_names : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", n))]) && length(distinct(var.secret_names)) == length(var.secret_names)
    error_message = "secret_names must be distinct environment variable names ([A-Za-z_][A-Za-z0-9_]*)."
  }
}

variable "secrets_version" {
  description = "Version of the secret values in TF_VAR_secrets: they are written with write-only arguments (never stored in Terraform state), so bump this number to push changed values."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.secrets_version >= 1 && floor(var.secrets_version) == var.secrets_version
    error_message = "secrets_version must be a whole number >= 1."
  }
}

variable "secrets" {
  description = "Secret values by name, sensitive. Set via TF_VAR_secrets='{\"API_KEY\":\"…\"}'; never put values in tfvars. Only names with a value are injected into the services; export TF_VAR_secrets on every plan/apply (a value missing from one apply removes that secret version and its injection). Keys not in secret_names are ignored."
  type        = map(string)
  default     = {}
  sensitive   = true
  nullable    = false
}

# ---------------------------------------------------------------------------
# Common extras (defaults suit every profile)
# ---------------------------------------------------------------------------

variable "network_cidr" {
  description = "Address space of the stack's private network (VPC / VNet / GKE subnetwork ranges are carved from it); /16 recommended, /18 at the smallest."
  type        = string
  default     = "10.40.0.0/16"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.network_cidr, 0)) && !strcontains(var.network_cidr, ":") && try(tonumber(split("/", var.network_cidr)[1]) <= 18, false)
    error_message = "network_cidr must be an IPv4 CIDR block of /18 or larger, e.g. \"10.40.0.0/16\"."
  }
}

variable "storage_mount_path" {
  description = "Where a service with storage_size_gb > 0 gets its persistent volume mounted (point the service's data directory, e.g. through an env var, below it)."
  type        = string
  default     = "/data"
  nullable    = false

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.storage_mount_path)) && !can(regex("^/(dev|proc|sys)(/|$)", var.storage_mount_path))
    error_message = "storage_mount_path must be an absolute path outside /dev, /proc and /sys."
  }
}

# ---------------------------------------------------------------------------
# cloud-specific (region validation and extras; every extra has a default)
# ---------------------------------------------------------------------------

variable "region" {
  description = "Azure region (location) name, e.g. \"eastus\" or \"westeurope\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]+[a-z0-9]*$", var.region))
    error_message = "region must be an Azure location name such as \"eastus\" (lower case, no spaces)."
  }
}

variable "resource_group_name" {
  description = "Azure only: resource group to create; \"\" derives \"<project_name>-<environment>-rg\"."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.resource_group_name == "" || can(regex("^[-\\w._()]{1,89}[-\\w_()]$", var.resource_group_name))
    error_message = "resource_group_name must be a valid Azure resource group name (1-90 characters, not ending with a period) or \"\"."
  }
}


variable "subscription_id" {
  description = "Azure only: subscription to deploy into; \"\" uses ARM_SUBSCRIPTION_ID from the environment."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.subscription_id == "" || can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID or \"\"."
  }
}

variable "certificate_key_vault_secret_id" {
  description = "Azure only: Key Vault secret ID of the TLS certificate for the Application Gateway HTTPS listener; \"\" generates a self-signed certificate in the stack's Key Vault (replace it for production)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.certificate_key_vault_secret_id == "" || can(regex("^https://[a-zA-Z0-9-]+\\.vault\\.[a-z.]+/secrets/.+$", var.certificate_key_vault_secret_id))
    error_message = "certificate_key_vault_secret_id must be a Key Vault secret URL (https://<vault>.vault.azure.net/secrets/<name>) or \"\"."
  }
}

variable "admin_ip_ranges" {
  description = "Azure only: public IPs/ranges admitted by the Key Vault and storage firewalls besides the stack's subnets, e.g. the machine running Terraform (it writes the secrets). [] = none."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "aks_pod_cidr" {
  description = "Azure only: AKS overlay pod CIDR; \"\" picks the first of 100.64.0.0/16, 100.65.0.0/16, 172.30.0.0/16, 192.168.0.0/16 that overlaps neither network_cidr nor allowed_cidrs / api_authorized_cidrs."
  type        = string
  default     = ""
  nullable    = false
}

variable "aks_service_cidr" {
  description = "Azure only: AKS service CIDR; \"\" picks a free one like aks_pod_cidr (100.127.0.0/16, 172.31.0.0/16, 10.255.0.0/16)."
  type        = string
  default     = ""
  nullable    = false
}

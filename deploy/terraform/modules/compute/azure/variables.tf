variable "services" {
  description = "Resolved services from the stack-model module (gpu = null runs on Fargate)."
  type = map(object({
    image           = string
    cpu             = number
    memory          = number
    replicas        = number
    min_replicas    = number
    max_replicas    = number
    ports           = map(number)
    env             = map(string)
    labels          = map(string)
    storage_size_gb = number
    gpu = object({
      model = string
      count = number
    })
    instance_type = string
    autoscaling = object({
      min         = number
      max         = number
      cpu_percent = number
    })
    primary_port   = number
    args           = list(string)
    entrypoint     = list(string)
    secrets        = list(string)
    public         = bool
    protocol       = string
    mount_path     = string
    storage_shared = bool
    health = object({
      path = string
      port = number
    })
    run_as_user = number
  }))
}

variable "routes" {
  description = "Public service => { port, priority, host, path } (stack-model `routes`)."
  type = map(object({
    port     = number
    priority = number
    host     = string
    path     = string
  }))
}

variable "group_shares" {
  description = "Container group key (\"<service>-<replica>\") => the Azure Files share it mounts."
  type        = map(string)
}

variable "subnet_ids" {
  description = "Subnets admitted by the Key Vault firewall."
  type        = list(string)
}

variable "admin_ip_ranges" {
  description = "Public IPs/ranges admitted by the Key Vault firewall (e.g. the deploying machine)."
  type        = list(string)
}

variable "network_cidr" {
  description = "VNet address space (the AKS pod/service CIDRs must not overlap it)."
  type        = string
}

variable "allowed_cidrs" {
  description = "Client ranges (the AKS pod/service CIDRs must not overlap them; default API ranges)."
  type        = list(string)
}

variable "api_authorized_cidrs" {
  description = "Ranges allowed to reach the AKS API server; [] = allowed_cidrs."
  type        = list(string)
}

variable "gpu_node_taint" {
  description = "Taint of the GPU node pools (\"key=value:Effect\")."
  type        = string
}

variable "aks_pod_cidr" {
  description = "AKS overlay pod CIDR; \"\" picks a free one."
  type        = string
  default     = ""
}

variable "aks_service_cidr" {
  description = "AKS service CIDR; \"\" picks a free one."
  type        = string
  default     = ""
}

variable "secrets_version" {
  description = "Version of the write-only secret values."
  type        = number
}

variable "name" {
  description = "Name prefix (\"<project>-<environment>\")."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of everything in this module."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "key_vault_name" {
  description = "Key Vault name: 3-24 characters, globally unique (derived by the root)."
  type        = string
}

variable "dns_label" {
  description = "DNS label of the gateway's public IP (<label>.<region>.cloudapp.azure.com); unique per region."
  type        = string
}

variable "aci_subnet_id" {
  description = "Delegated subnet for Container Instances."
  type        = string
}

variable "aks_subnet_id" {
  description = "Subnet of the AKS nodes."
  type        = string
}

variable "appgw_subnet_id" {
  description = "Subnet of the Application Gateway."
  type        = string
}

variable "registry_id" {
  description = "ACR resource ID (AcrPull scope)."
  type        = string
}

variable "registry_url" {
  description = "ACR login server; images starting with it are pulled with the managed identity."
  type        = string
}

variable "storage_account_name" {
  description = "Storage account of the file shares."
  type        = string
}

variable "storage_account_key" {
  description = "Access key of the storage account (ACI SMB mounts)."
  type        = string
  sensitive   = true
}

variable "enable_https" {
  description = "HTTPS listener on the Application Gateway, HTTP redirects to it."
  type        = bool
}

variable "certificate_key_vault_secret_id" {
  description = "Key Vault secret ID of the TLS certificate; \"\" generates a self-signed one."
  type        = string
}

variable "secret_names" {
  description = "Declared secrets (one Key Vault secret each); services receive the ones they list."
  type        = list(string)
}

variable "secrets" {
  description = "Secret values by name."
  type        = map(string)
  sensitive   = true
}

variable "aks_system_vm_size" {
  description = "VM size of the AKS system node pool."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "kubernetes_version" {
  description = "AKS Kubernetes version; null = the region's default."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags (sanitised stack labels)."
  type        = map(string)
  default     = {}
}

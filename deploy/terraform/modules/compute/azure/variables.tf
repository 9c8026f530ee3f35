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
    primary_port = number
  }))
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

variable "primary_service" {
  description = "Service published behind the Application Gateway."
  type        = string
}

variable "primary_port" {
  description = "Container port of the primary service; null publishes nothing."
  type        = number
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

variable "share_names" {
  description = "Service name => file share; services listed here get a volume."
  type        = map(string)
}

variable "storage_mount_path" {
  description = "Container path of the persistent volume."
  type        = string
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
  description = "Secrets injected into every service as environment variables."
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

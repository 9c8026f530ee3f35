# Offline plan of the whole Azure root against a mocked provider (needs only the
# hashicorp/azurerm provider binary, no credentials, no network):
#   terraform init -backend=false [-plugin-dir=...] && terraform test
# Exercises the module wiring with the example tfvars values.

mock_provider "azurerm" {
  mock_data "azurerm_client_config" {
    defaults = {
      subscription_id = "00000000-0000-0000-0000-000000000000"
      tenant_id       = "11111111-1111-1111-1111-111111111111"
      object_id       = "22222222-2222-2222-2222-222222222222"
    }
  }

  mock_resource "azurerm_container_registry" {
    defaults = {
      login_server = "devailabdev1a2b3c.azurecr.io"
    }
  }

  mock_resource "azurerm_user_assigned_identity" {
    defaults = {
      id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devai-lab-dev-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/devai-lab-dev-workload"
    }
  }

  mock_resource "azurerm_subnet" {
    defaults = {
      id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devai-lab-dev-rg/providers/Microsoft.Network/virtualNetworks/devai-lab-dev-vnet/subnets/x"
    }
  }

  mock_resource "azurerm_subnet_network_security_group_association" {
    defaults = {
      subnet_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devai-lab-dev-rg/providers/Microsoft.Network/virtualNetworks/devai-lab-dev-vnet/subnets/x"
    }
  }
}

# The secrets provider's identity is computed inside a configured block; give
# it a value (a real plan shows it as known after apply).
override_resource {
  target = module.compute.azurerm_kubernetes_cluster.this
  values = {
    key_vault_secrets_provider = { secret_identity = [{ client_id = "c", object_id = "44444444-4444-4444-4444-444444444444", user_assigned_identity_id = "/y" }] }
  }
}

variables {
  project_name    = "devai-lab"
  environment     = "dev"
  region          = "eastus"
  enable_gpu      = true
  gpu_model       = "a10"
  gpu_count       = 1
  instance_type   = "Standard_NV36ads_A10_v5"
  cpu             = 2
  memory          = 4096
  storage_size_gb = 50
  enable_https    = true
  allowed_cidrs   = ["0.0.0.0/0"]
  image           = "devailabdev1a2b3c.azurecr.io/devai-lab:latest"
  ports           = { http = 8888 }
  labels          = { "app.kubernetes.io/part-of" = "devai-lab", team = "ml-platform" }
  env             = { TZ = "UTC" }
  services = {
    devai = {
      image           = "devailabdev1a2b3c.azurecr.io/devai-lab:latest"
      cpu             = 2
      memory          = 4096
      replicas        = 1
      ports           = { http = 8888 }
      env             = { OLLAMA_HOST = "http://ollama:11434" }
      labels          = { tier = "frontend" }
      storage_size_gb = 50
      gpu             = null
      instance_type   = ""
      autoscaling     = { min = 1, max = 3, cpu_percent = 70 }
    }
    ollama = {
      image           = "ollama/ollama:latest"
      cpu             = 4
      memory          = 16384
      replicas        = 1
      ports           = { api = 11434 }
      env             = {}
      labels          = { tier = "inference" }
      storage_size_gb = 100
      gpu             = { model = "a10", count = 1 }
      instance_type   = "Standard_NV36ads_A10_v5"
      autoscaling     = null
    }
  }
  secret_names = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
  secrets      = { OPENAI_API_KEY = "sk-test" }
}

run "two_service_stack" {
  command = plan

  assert {
    condition     = output.primary_service == "devai"
    error_message = "devai (image == var.image) must be the primary service."
  }

  assert {
    condition     = module.compute.services["devai"].platform == "aci" && module.compute.services["ollama"].platform == "aks-gpu"
    error_message = "devai must run on Container Instances and ollama on the AKS GPU pool."
  }

  assert {
    condition     = module.compute.gpu_node_pools["ollama"].vm_size == "Standard_NV36ads_A10_v5"
    error_message = "The GPU pool must use the instance_type as vm_size."
  }

  assert {
    condition     = output.resource_group_name == "devai-lab-dev-rg"
    error_message = "The resource group name must default to <project>-<environment>-rg."
  }

  assert {
    condition     = length(module.compute.key_vault_secret_names) == 2 && module.compute.key_vault_secret_names["OPENAI_API_KEY"] == "OPENAI-API-KEY"
    error_message = "Key Vault secret names replace underscores with hyphens."
  }
}

run "gpu_disabled_runs_everything_on_aci" {
  command = plan

  variables {
    enable_gpu   = false
    enable_https = false
  }

  assert {
    condition     = module.compute.services["ollama"].platform == "aci" && module.compute.aks_cluster_name == null
    error_message = "With enable_gpu = false no AKS cluster may be created."
  }
}

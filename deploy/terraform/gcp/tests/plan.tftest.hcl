# Offline plan of the whole GCP root against a mocked provider (needs only the
# hashicorp/google provider binary, no credentials, no network):
#   terraform init -backend=false [-plugin-dir=...] && terraform test
# Exercises the module wiring with the example tfvars values.

mock_provider "google" {
  mock_data "google_client_config" {
    defaults = {
      project = "my-project"
    }
  }

  mock_data "google_compute_zones" {
    defaults = {
      names = ["us-central1-a", "us-central1-b", "us-central1-c"]
    }
  }

  mock_resource "google_filestore_instance" {
    defaults = {
      networks = [{ network = "devai-lab-dev", modes = ["MODE_IPV4"], ip_addresses = ["10.200.0.2"], reserved_ip_range = "10.200.0.0/29", connect_mode = "DIRECT_PEERING" }]
    }
  }

  mock_resource "google_cloud_run_v2_service" {
    defaults = {
      uri = "https://devai-lab-dev-devai-abc123-uc.a.run.app"
    }
  }
}

variables {
  project_name    = "devai-lab"
  environment     = "dev"
  region          = "us-central1"
  project_id      = "my-project"
  enable_gpu      = true
  gpu_model       = "l4"
  gpu_count       = 1
  instance_type   = "g2-standard-8"
  cpu             = 2
  memory          = 4096
  storage_size_gb = 50
  enable_https    = true
  allowed_cidrs   = ["0.0.0.0/0"]
  image           = "us-central1-docker.pkg.dev/my-project/devai-lab-dev/devai-lab:latest"
  ports           = { http = 8888 }
  labels          = { "app.kubernetes.io/part-of" = "devai-lab", team = "ml-platform" }
  env             = { TZ = "UTC" }
  services = {
    devai = {
      image           = "us-central1-docker.pkg.dev/my-project/devai-lab-dev/devai-lab:latest"
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
      gpu             = { model = "l4", count = 1 }
      instance_type   = "g2-standard-8"
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
    condition     = module.compute.services["devai"].platform == "cloud-run" && module.compute.services["ollama"].platform == "gke-gpu"
    error_message = "devai must run on Cloud Run and ollama on the GKE GPU pool."
  }

  assert {
    condition     = module.compute.gpu_node_pools["ollama"].accelerator == "nvidia-l4" && module.compute.gpu_node_pools["ollama"].machine_type == "g2-standard-8"
    error_message = "The GPU pool must use machine type g2-standard-8 with an nvidia-l4 accelerator."
  }

  assert {
    condition     = output.project_id == "my-project"
    error_message = "project_id must be used."
  }
}

run "gpu_disabled_runs_everything_on_cloud_run" {
  command = plan

  variables {
    enable_gpu = false
  }

  assert {
    condition     = module.compute.services["ollama"].platform == "cloud-run" && module.compute.gke_cluster_name == null
    error_message = "With enable_gpu = false no GKE cluster may be created."
  }
}

run "project_from_provider_environment" {
  command = plan

  variables {
    project_id = ""
  }

  assert {
    condition     = output.project_id == "my-project"
    error_message = "Without project_id the provider's project must be used."
  }
}

# Offline plan of the whole AWS root against a mocked provider (needs only the
# hashicorp/aws provider binary, no credentials, no network):
#   terraform init -backend=false [-plugin-dir=...] && terraform test
# Exercises the module wiring with the example tfvars values.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_ssm_parameter" {
    defaults = {
      value = "ami-0123456789abcdef0"
    }
  }

  mock_resource "aws_ecr_repository" {
    defaults = {
      repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/devai-lab-dev"
    }
  }
}

variables {
  project_name    = "devai-lab"
  environment     = "dev"
  region          = "us-east-1"
  enable_gpu      = true
  gpu_model       = "a10g"
  gpu_count       = 1
  instance_type   = "g5.2xlarge"
  cpu             = 2
  memory          = 4096
  storage_size_gb = 50
  enable_https    = true
  certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  allowed_cidrs   = ["0.0.0.0/0", "2001:db8::/32"]
  image           = "123456789012.dkr.ecr.us-east-1.amazonaws.com/devai-lab-dev:latest"
  ports           = { http = 8888 }
  labels          = { "app.kubernetes.io/part-of" = "devai-lab", team = "ml-platform" }
  env             = { TZ = "UTC" }
  services = {
    devai = {
      image           = "123456789012.dkr.ecr.us-east-1.amazonaws.com/devai-lab-dev:latest"
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
      gpu             = { model = "a10g", count = 1 }
      instance_type   = "g5.2xlarge"
      autoscaling     = null
    }
  }
  secret_names = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
  secrets      = { OPENAI_API_KEY = "sk-test" }
}

run "two_service_stack" {
  command = plan

  assert {
    condition     = module.stack.primary_service == "devai" && module.stack.primary_port == 8888
    error_message = "devai (image == var.image) must be the primary service on port 8888."
  }

  assert {
    condition     = module.compute.services["devai"].platform == "fargate" && module.compute.services["ollama"].platform == "ec2-gpu"
    error_message = "devai must run on Fargate and ollama on the GPU capacity provider."
  }

  assert {
    condition     = module.compute.services["ollama"].internal_url == "http://ollama:11434"
    error_message = "ollama must be reachable as http://ollama:11434 through Service Connect."
  }

  assert {
    condition     = length(module.storage.access_point_ids) == 2
    error_message = "Both services ask for storage and need an EFS access point."
  }
}

run "gpu_disabled_runs_everything_on_fargate" {
  command = plan

  variables {
    enable_gpu = false
  }

  assert {
    condition     = module.compute.services["ollama"].platform == "fargate" && length(module.compute.gpu_capacity_providers) == 0
    error_message = "With enable_gpu = false no GPU capacity may be created."
  }
}

run "single_service_fallback" {
  command = plan

  variables {
    services     = {}
    enable_gpu   = false
    enable_https = false
  }

  assert {
    condition     = module.stack.primary_service == "devai-lab" && keys(module.compute.services) == ["devai-lab"]
    error_message = "An empty services map deploys one service named after the project."
  }
}

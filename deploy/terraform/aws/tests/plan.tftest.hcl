# Offline plan + mocked apply of the whole AWS root against a mocked provider (needs only the
# hashicorp/aws provider binary, no credentials, no network):
#   terraform init -backend=false [-plugin-dir=...] && terraform test
# Exercises the module wiring on a stack other than the example (vLLM + Postgres
# + Redis + a web UI) and asserts what the plan decides: routing, task
# definitions, storage, secrets, GPU instance type, TLS and exposure.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  project_name    = "llm-stack"
  environment     = "staging"
  region          = "us-east-1"
  enable_gpu      = true
  gpu_model       = "a10g"
  gpu_count       = 1
  instance_type   = "g5.2xlarge"
  cpu             = 2
  memory          = 4096
  storage_size_gb = 0
  enable_https    = true
  domain_name     = "llm.example.com"
  allowed_cidrs   = ["10.0.0.0/8", "192.168.0.0/16"]
  image           = "ghcr.io/open-webui/open-webui:v0.6.5"
  ports           = {}
  labels          = { team = "ml" }
  env             = { TZ = "UTC" }
  services = {
    # First in the map on purpose: nothing may depend on order.
    vllm = {
      image           = "vllm/vllm-openai:v0.8.4"
      cpu             = 8
      memory          = 32768
      replicas        = 1
      ports           = { api = 8000 }
      env             = {}
      labels          = {}
      storage_size_gb = 200
      gpu             = { model = "a10g", count = 1 }
      instance_type   = "g5.4xlarge"
      autoscaling     = null
      args            = ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"]
      entrypoint      = null
      secrets         = ["HF_TOKEN"]
      public          = false
      mount_path      = "/root/.cache/huggingface"
      storage_shared  = false
      protocol        = "http"
      health          = { path = "/health", port = 8000 }
      run_as_user     = null
    }
    postgres = {
      image           = "postgres:16.4"
      cpu             = 1
      memory          = 2048
      replicas        = 1
      ports           = { pg = 5432 }
      env             = { PGDATA = "/var/lib/postgresql/data/pgdata" }
      labels          = {}
      storage_size_gb = 100
      gpu             = null
      instance_type   = ""
      autoscaling     = null
      args            = null
      entrypoint      = null
      secrets         = ["POSTGRES_PASSWORD"]
      public          = false
      mount_path      = "/var/lib/postgresql/data"
      storage_shared  = false
      protocol        = "tcp"
      health          = { port = 5432 }
      run_as_user     = 999
    }
    redis = {
      image           = "redis:7.4"
      cpu             = 0.5
      memory          = 1024
      replicas        = 1
      ports           = { redis = 6379 }
      env             = {}
      labels          = {}
      storage_size_gb = 0
      gpu             = null
      instance_type   = ""
      autoscaling     = null
      args            = ["--save", ""]
      entrypoint      = ["redis-server"]
      secrets         = []
      public          = false
      mount_path      = null
      storage_shared  = false
      protocol        = "tcp"
      health          = null
      run_as_user     = 999
    }
    webui = {
      image           = "ghcr.io/open-webui/open-webui:v0.6.5"
      cpu             = 2
      memory          = 4096
      replicas        = 2
      ports           = { http = 8080 }
      env             = { OPENAI_API_BASE_URL = "http://vllm:8000/v1" }
      labels          = { tier = "frontend" }
      storage_size_gb = 10
      gpu             = null
      instance_type   = ""
      autoscaling     = { min = 2, max = 4, cpu_percent = 70 }
      args            = null
      entrypoint      = null
      secrets         = ["OPENAI_API_KEY", "WEBUI_SECRET_KEY"]
      public          = true
      mount_path      = "/app/backend/data"
      storage_shared  = true
      protocol        = "http"
      health          = { path = "/health", port = 8080 }
      run_as_user     = 1000
    }
  }
  secret_names = ["HF_TOKEN", "POSTGRES_PASSWORD", "OPENAI_API_KEY", "WEBUI_SECRET_KEY"]
  secrets      = { HF_TOKEN = "hf-test", POSTGRES_PASSWORD = "pg-test", OPENAI_API_KEY = "sk-test", WEBUI_SECRET_KEY = "w-test" }
}

run "llm_stack" {
  command = apply

  assert {
    condition     = jsonencode(module.compute.lb_services) == jsonencode(["webui"]) && jsonencode(keys(module.compute.target_groups)) == jsonencode(["webui"])
    error_message = "Only the public web UI may be behind the load balancer (not vLLM, the first service in the map)."
  }

  assert {
    condition     = module.compute.target_groups["webui"].port == 8080 && module.compute.target_groups["webui"].health_path == "/health" && module.compute.target_groups["webui"].health_port == "8080"
    error_message = "The web UI's target group must forward to 8080 and check GET /health on 8080."
  }

  assert {
    condition     = module.compute.listeners["http_redirect"].action == "redirect" && module.compute.listeners["https"].protocol == "HTTPS" && module.compute.listeners["https"].action == "forward" && !contains(keys(module.compute.listeners), "http")
    error_message = "HTTPS on: port 80 must only redirect, 443 must forward to the one public service."
  }

  assert {
    condition     = module.compute.certificate_domain == "llm.example.com"
    error_message = "With domain_name and no certificate_arn an ACM certificate for the domain must be created."
  }

  assert {
    condition     = output.load_balancer_internal
    error_message = "Only private ranges are allowed: the load balancer must be internal."
  }

  assert {
    condition     = module.compute.gpu_instance_types == { vllm = "g5.4xlarge" }
    error_message = "vLLM's GPU capacity must use its own instance type g5.4xlarge."
  }

  assert {
    condition = (
      module.compute.task_definitions["vllm"].containers[0].image == "vllm/vllm-openai:v0.8.4" &&
      module.compute.task_definitions["vllm"].containers[0].command == ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"] &&
      !can(module.compute.task_definitions["vllm"].containers[0].entryPoint) &&
      module.compute.task_definitions["vllm"].containers[0].cpu == 8192 &&
      module.compute.task_definitions["vllm"].containers[0].memory == 32768 &&
      module.compute.task_definitions["vllm"].containers[0].resourceRequirements == [{ type = "GPU", value = "1" }] &&
      module.compute.task_definitions["vllm"].compatibilities == toset(["EC2"])
    )
    error_message = "vLLM's task definition must carry its image, its args as command, 8 vCPU / 32 GiB and one GPU on EC2."
  }

  assert {
    condition = (
      module.compute.task_definitions["redis"].containers[0].entryPoint == ["redis-server"] &&
      module.compute.task_definitions["redis"].containers[0].command == ["--save", ""] &&
      module.compute.task_definitions["redis"].containers[0].user == "999" &&
      module.compute.task_definitions["redis"].cpu == "512" && module.compute.task_definitions["redis"].memory == "1024"
    )
    error_message = "Redis must get its entrypoint, args, user and a 0.5 vCPU / 1 GiB Fargate task."
  }

  assert {
    condition = (
      [for s in module.compute.task_definitions["vllm"].containers[0].secrets : s.name] == ["HF_TOKEN"] &&
      [for s in module.compute.task_definitions["postgres"].containers[0].secrets : s.name] == ["POSTGRES_PASSWORD"] &&
      module.compute.task_definitions["redis"].containers[0].secrets == [] &&
      [for s in module.compute.task_definitions["webui"].containers[0].secrets : s.name] == ["OPENAI_API_KEY", "WEBUI_SECRET_KEY"]
    )
    error_message = "Each container must receive exactly its own secrets."
  }

  assert {
    condition = (
      jsonencode(module.compute.task_definitions["postgres"].containers[0].mountPoints) == jsonencode([{ sourceVolume = "data", containerPath = "/var/lib/postgresql/data", readOnly = false }]) &&
      jsonencode(module.compute.task_definitions["postgres"].volumes) == jsonencode(["data"]) &&
      jsonencode(module.compute.task_definitions["webui"].containers[0].mountPoints) == jsonencode([{ sourceVolume = "shared", containerPath = "/app/backend/data", readOnly = false }]) &&
      jsonencode(module.compute.task_definitions["webui"].volumes) == jsonencode(["shared"]) &&
      module.compute.task_definitions["redis"].containers[0].mountPoints == []
    )
    error_message = "Storage must be mounted at each service's mount_path: block storage per task, EFS only when shared."
  }

  assert {
    condition     = module.compute.ebs_volumes == { postgres = 100, vllm = 200 } && keys(module.storage.access_point_ids) == ["webui"]
    error_message = "Per-task EBS volumes for postgres (100 GiB) and vllm (200 GiB); an EFS access point only for the shared web UI data."
  }

  assert {
    condition = (
      module.compute.task_definitions["postgres"].containers[0].healthCheck.command[0] == "CMD-SHELL" &&
      strcontains(module.compute.task_definitions["postgres"].containers[0].healthCheck.command[1], "/dev/tcp/127.0.0.1/5432") &&
      strcontains(module.compute.task_definitions["webui"].containers[0].healthCheck.command[1], "http://127.0.0.1:8080/health") &&
      !can(module.compute.task_definitions["postgres"].containers[0].portMappings[0].appProtocol)
    )
    error_message = "Container health checks must follow config `health` (TCP for Postgres, HTTP GET /health for the UI); TCP ports carry no HTTP app protocol."
  }
}

run "several_public_services_each_get_their_own_host" {
  command = apply

  variables {
    services = merge(var.services, {
      vllm = merge(var.services["vllm"], { public = true })
    })
  }

  assert {
    condition = (
      jsonencode(module.compute.lb_services) == jsonencode(["vllm", "webui"]) &&
      jsonencode(module.compute.listener_rules["vllm"].hosts) == jsonencode(["vllm.llm.example.com"]) &&
      jsonencode(module.compute.listener_rules["webui"].hosts) == jsonencode(["webui.llm.example.com"]) &&
      module.compute.listeners["https"].action == "fixed-response"
    )
    error_message = "Two public services: one host each, and no default service (404 otherwise)."
  }
}

run "several_public_services_without_a_domain_get_paths" {
  command = apply

  variables {
    domain_name     = ""
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    services = merge(var.services, {
      vllm = merge(var.services["vllm"], { public = true })
    })
  }

  assert {
    condition     = jsonencode(module.compute.listener_rules["vllm"].paths) == jsonencode(["/vllm", "/vllm/*"]) && jsonencode(module.compute.listener_rules["webui"].paths) == jsonencode(["/webui", "/webui/*"]) && module.compute.certificate_domain == null
    error_message = "Without a domain each public service gets its own path prefix, and the given certificate is used."
  }
}

run "world_open_only_when_asked_and_internet_facing" {
  command = apply

  variables {
    allowed_cidrs = ["0.0.0.0/0"]
  }

  assert {
    condition     = !output.load_balancer_internal
    error_message = "An explicit 0.0.0.0/0 makes the load balancer internet-facing."
  }
}

run "https_needs_a_certificate_or_a_domain" {
  command = plan

  variables {
    domain_name = ""
  }

  expect_failures = [var.certificate_arn]
}

run "plain_http_only_when_https_is_off" {
  command = apply

  variables {
    enable_https = false
    domain_name  = ""
  }

  assert {
    condition     = jsonencode(keys(module.compute.listeners)) == jsonencode(["http"]) && module.compute.listeners["http"].action == "forward"
    error_message = "With enable_https = false only the plain HTTP listener exists."
  }
}

run "gpu_disabled_runs_everything_on_fargate" {
  command = apply

  variables {
    enable_gpu = false
  }

  assert {
    condition     = module.compute.services["vllm"].platform == "fargate" && length(module.compute.gpu_capacity_providers) == 0
    error_message = "With enable_gpu = false no GPU capacity may be created."
  }
}

run "single_service_fallback" {
  command = apply

  variables {
    services     = {}
    enable_gpu   = false
    enable_https = false
    ports        = { http = 8080 }
  }

  assert {
    condition     = jsonencode(keys(module.compute.services)) == jsonencode(["llm-stack"]) && jsonencode(module.compute.lb_services) == jsonencode(["llm-stack"])
    error_message = "An empty services map deploys one public service named after the project."
  }
}

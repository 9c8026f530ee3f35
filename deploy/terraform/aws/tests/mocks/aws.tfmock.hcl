# Mocked data sources and resources of the hashicorp/aws provider, shared by
# every terraform test of this root (tests/plan.tftest.hcl and the generic
# tests/tf/stack.tftest.hcl the integration tests run per generated tfvars):
#   mock_provider "aws" { source = "./tests/mocks" }
# The mocked provider keeps the real schema; these defaults only give computed
# attributes (ARNs, IDs) values that the AWS validations accept.

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

mock_resource "aws_lb" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/mock/0123456789abcdef"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/mock/0123456789abcdef"
  }
}

mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/mock/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
  }
}

mock_resource "aws_service_discovery_http_namespace" {
  defaults = {
    arn = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-mock"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/mock"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mock"
  }
}

mock_resource "aws_efs_file_system" {
  defaults = {
    arn = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-mock"
  }
}

mock_resource "aws_autoscaling_group" {
  defaults = {
    arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:mock"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/mock"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/mock:1"
  }
}

mock_resource "aws_ecs_capacity_provider" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:capacity-provider/mock"
  }
}

mock_resource "aws_ecs_service" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:service/mock/mock"
  }
}

mock_resource "aws_acm_certificate_validation" {
  defaults = {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
  }
}

mock_resource "aws_launch_template" {
  defaults = {
    id             = "lt-0123456789abcdef0"
    latest_version = 1
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/devai-lab-dev"
  }
}

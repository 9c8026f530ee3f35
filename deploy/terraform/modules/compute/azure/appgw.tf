# Application Gateway v2 in front of the primary service's container groups.
# With enable_https: HTTPS on 443 with the certificate from Key Vault (a
# self-signed one unless certificate_key_vault_secret_id is set) and a
# permanent redirect from HTTP.

locals {
  publish        = var.primary_port != null && contains(keys(local.cpu_services), var.primary_service)
  self_signed    = local.publish && var.enable_https && var.certificate_key_vault_secret_id == ""
  tls_secret_id  = local.self_signed ? azurerm_key_vault_certificate.self_signed[0].versionless_secret_id : var.certificate_key_vault_secret_id
  primary_groups = [for k, g in local.aci_groups : k if g.service == var.primary_service]
}

resource "azurerm_key_vault_certificate" "self_signed" {
  count = local.self_signed ? 1 : 0

  name         = "${var.name}-tls"
  key_vault_id = azurerm_key_vault.this.id

  certificate_policy {
    issuer_parameters {
      name = "Self"
    }

    key_properties {
      exportable = true
      key_type   = "RSA"
      key_size   = 2048
      reuse_key  = false
    }

    lifetime_action {
      action {
        action_type = "AutoRenew"
      }
      trigger {
        days_before_expiry = 30
      }
    }

    secret_properties {
      content_type = "application/x-pkcs12"
    }

    x509_certificate_properties {
      subject            = "CN=${var.name}"
      validity_in_months = 12
      key_usage          = ["digitalSignature", "keyEncipherment"]
      extended_key_usage = ["1.3.6.1.5.5.7.3.1"] # serverAuth
    }
  }

  tags = var.tags

  depends_on = [azurerm_key_vault_access_policy.deployer]
}

resource "azurerm_public_ip" "appgw" {
  count = local.publish ? 1 : 0

  name                = "${var.name}-appgw-ip"
  resource_group_name = var.resource_group_name
  location            = var.location
  allocation_method   = "Static"
  sku                 = "Standard"
  domain_name_label   = var.dns_label
  tags                = var.tags
}

resource "azurerm_application_gateway" "this" {
  count = local.publish ? 1 : 0

  name                = "${var.name}-appgw"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags

  sku {
    name = "Standard_v2"
    tier = "Standard_v2"
  }

  autoscale_configuration {
    min_capacity = 0
    max_capacity = 2
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.workload.id]
  }

  ssl_policy {
    policy_type = "Predefined"
    policy_name = "AppGwSslPolicy20220101"
  }

  gateway_ip_configuration {
    name      = "gateway"
    subnet_id = var.appgw_subnet_id
  }

  frontend_ip_configuration {
    name                 = "public"
    public_ip_address_id = azurerm_public_ip.appgw[0].id
  }

  frontend_port {
    name = "http"
    port = 80
  }

  dynamic "frontend_port" {
    for_each = var.enable_https ? [443] : []
    content {
      name = "https"
      port = frontend_port.value
    }
  }

  dynamic "ssl_certificate" {
    for_each = var.enable_https ? [local.tls_secret_id] : []
    content {
      name                = "tls"
      key_vault_secret_id = ssl_certificate.value
    }
  }

  backend_address_pool {
    name         = "primary"
    ip_addresses = [for k in local.primary_groups : azurerm_container_group.this[k].ip_address]
  }

  probe {
    name                = "primary"
    protocol            = "Http"
    host                = "127.0.0.1"
    path                = "/"
    interval            = 30
    timeout             = 30
    unhealthy_threshold = 3

    match {
      status_code = ["200-399"]
    }
  }

  backend_http_settings {
    name                  = "primary"
    cookie_based_affinity = "Enabled" # notebook sessions stick to one replica
    port                  = var.primary_port
    protocol              = "Http"
    request_timeout       = 300
    probe_name            = "primary"
  }

  http_listener {
    name                           = "http"
    frontend_ip_configuration_name = "public"
    frontend_port_name             = "http"
    protocol                       = "Http"
  }

  dynamic "http_listener" {
    for_each = var.enable_https ? ["https"] : []
    content {
      name                           = "https"
      frontend_ip_configuration_name = "public"
      frontend_port_name             = "https"
      protocol                       = "Https"
      ssl_certificate_name           = "tls"
    }
  }

  dynamic "redirect_configuration" {
    for_each = var.enable_https ? ["to-https"] : []
    content {
      name                 = redirect_configuration.value
      redirect_type        = "Permanent"
      target_listener_name = "https"
      include_path         = true
      include_query_string = true
    }
  }

  # HTTP: redirect (HTTPS enabled) or forward.
  dynamic "request_routing_rule" {
    for_each = var.enable_https ? [] : ["http"]
    content {
      name                       = "http"
      priority                   = 100
      rule_type                  = "Basic"
      http_listener_name         = "http"
      backend_address_pool_name  = "primary"
      backend_http_settings_name = "primary"
    }
  }

  dynamic "request_routing_rule" {
    for_each = var.enable_https ? ["http-redirect"] : []
    content {
      name                        = request_routing_rule.value
      priority                    = 100
      rule_type                   = "Basic"
      http_listener_name          = "http"
      redirect_configuration_name = "to-https"
    }
  }

  dynamic "request_routing_rule" {
    for_each = var.enable_https ? ["https"] : []
    content {
      name                       = request_routing_rule.value
      priority                   = 110
      rule_type                  = "Basic"
      http_listener_name         = "https"
      backend_address_pool_name  = "primary"
      backend_http_settings_name = "primary"
    }
  }

  depends_on = [azurerm_key_vault_access_policy.workload]
}

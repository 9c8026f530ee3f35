# Application Gateway v2 in front of the public services' container groups
# (public = true; GPU services on AKS are exposed by the Kubernetes ingress).
# One public service owns the endpoint; several each get the path /<service>
# (an unmatched path reaches an empty pool: 502). With enable_https: HTTPS on
# 443 with the certificate from Key Vault (a self-signed one unless
# certificate_key_vault_secret_id is set) and a permanent redirect from HTTP.
# The NSG of the gateway subnet admits only allowed_cidrs.

locals {
  public_aci    = { for k, r in var.routes : k => r if contains(keys(local.cpu_services), k) }
  publish       = length(local.public_aci) > 0
  single_public = length(local.public_aci) == 1 ? keys(local.public_aci)[0] : null
  self_signed   = local.publish && var.enable_https && var.certificate_key_vault_secret_id == ""
  tls_secret_id = local.self_signed ? azurerm_key_vault_certificate.self_signed[0].versionless_secret_id : var.certificate_key_vault_secret_id
  serve_on      = var.enable_https ? "https" : "http"
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
  #checkov:skip=CKV_AZURE_120:WAF_v2 is a paid tier chosen per organisation; the gateway's NSG admits only allowed_cidrs.
  #checkov:skip=CKV_AZURE_217:checkov reads only the first listener; port 80 only redirects to HTTPS unless the config sets network.enable_https false (dev).
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
    policy_name = "AppGwSslPolicy20220101S"
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

  dynamic "backend_address_pool" {
    for_each = local.public_aci
    content {
      name         = backend_address_pool.key
      ip_addresses = [for k, g in local.aci_groups : azurerm_container_group.this[k].ip_address if g.service == backend_address_pool.key]
    }
  }

  # Unmatched paths (several public services) go nowhere.
  backend_address_pool {
    name = "none"
  }

  dynamic "probe" {
    for_each = local.public_aci
    content {
      name                = probe.key
      protocol            = "Http"
      host                = "127.0.0.1"
      path                = coalesce(try(var.services[probe.key].health.path, null), "/")
      port                = try(var.services[probe.key].health.port, probe.value.port)
      interval            = 30
      timeout             = 30
      unhealthy_threshold = 3

      match {
        status_code = try(var.services[probe.key].health.path, null) != null ? ["200-399"] : ["200-499"]
      }
    }
  }

  dynamic "backend_http_settings" {
    for_each = local.public_aci
    content {
      name                  = backend_http_settings.key
      cookie_based_affinity = "Enabled" # interactive sessions stick to one replica
      port                  = backend_http_settings.value.port
      protocol              = "Http"
      request_timeout       = 300
      probe_name            = backend_http_settings.key
    }
  }

  dynamic "url_path_map" {
    for_each = local.single_public == null ? ["services"] : []
    content {
      name                               = url_path_map.value
      default_backend_address_pool_name  = "none"
      default_backend_http_settings_name = keys(local.public_aci)[0]

      dynamic "path_rule" {
        for_each = local.public_aci
        content {
          name                       = path_rule.key
          paths                      = ["/${path_rule.key}", "/${path_rule.key}/*"]
          backend_address_pool_name  = path_rule.key
          backend_http_settings_name = path_rule.key
        }
      }
    }
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

  # The serving listener (https, or http when HTTPS is off): the one public
  # service, or the path map of several.
  request_routing_rule {
    name                       = local.serve_on
    priority                   = 110
    rule_type                  = local.single_public == null ? "PathBasedRouting" : "Basic"
    http_listener_name         = local.serve_on
    backend_address_pool_name  = local.single_public
    backend_http_settings_name = local.single_public
    url_path_map_name          = local.single_public == null ? "services" : null
  }

  depends_on = [azurerm_key_vault_access_policy.workload]
}

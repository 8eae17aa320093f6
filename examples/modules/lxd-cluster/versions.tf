terraform {
  # optional() attribute defaults and preconditions need 1.3+; the provider
  # itself needs Terraform >= 1.11 (tfplugin6.9).
  required_version = ">= 1.11"

  required_providers {
    lxd = {
      source  = "lxdcapi/lxd"
      version = "~> 0.1"
    }
  }
}

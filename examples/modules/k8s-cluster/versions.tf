terraform {
  required_version = ">= 1.11"
  required_providers {
    k8s = {
      source = "lxdcapi/k8s"
    }
  }
}

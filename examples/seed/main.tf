# The seed architecture: an LXD cluster prepared by the lxd provider, and
# two Kubernetes clusters (prod and staging) built on it by Cluster API
# through the k8s provider. See README.md for what each part needs.

terraform {
  required_version = ">= 1.11"
  required_providers {
    lxd = {
      source  = "lxdcapi/lxd"
      version = "~> 0.1"
    }
    k8s = {
      source  = "lxdcapi/k8s"
      version = "~> 0.1"
    }
  }
}

provider "lxd" {
  address            = var.lxd_address
  client_certificate = var.lxd_client_certificate
  client_key         = var.lxd_client_key
  server_certificate = var.lxd_server_certificate
}

provider "k8s" {
  kubeconfig_path = var.management_kubeconfig
  namespace       = "clusters"
}

# ---- LXD half ---------------------------------------------------------------

# Members joined to the cluster, the storage pool of the VM disks with a
# source per member, and the prod OVN network: the module tested by
# tests/e2e/test_example_lxd_module.sh (see ../lxd-seed).
module "lxd" {
  source = "../modules/lxd-cluster"

  joining_members = var.joining_members
  join_secrets    = var.join_secrets
  storage_pool = {
    name        = "k8s-vms"
    description = "Kubernetes machine disks (managed by Terraform)"
    sources     = var.pool_sources
  }
  ovn = {
    network_name = "k8s-prod"
    uplink       = var.ovn_uplink
    description  = "prod cluster network"
    ipv4_address = "10.60.0.1/24"
  }
}

# One OVN network per Kubernetes cluster; its name is what the control-plane
# OVN load balancer of each k8s_cluster references.
resource "lxd_ovn_network" "staging" {
  name         = "k8s-staging"
  uplink       = var.ovn_uplink
  description  = "staging cluster network"
  ipv4_address = "10.61.0.1/24"
  ipv4_nat     = true
  ipv6_address = "none"
}

# ---- Kubernetes half --------------------------------------------------------

locals {
  lxd_identity = {
    server_url         = var.lxd_address
    server_certificate = var.lxd_server_certificate
    client_certificate = var.capn_client_certificate
    client_key         = var.capn_client_key
  }
}

module "prod" {
  source = "../modules/k8s-cluster"

  name               = "prod"
  kubernetes_version = var.prod_kubernetes_version
  control_plane = {
    replicas = 3
    flavor   = "c4-m8"
    target   = "@control-plane"
  }
  load_balancer         = "ovn"
  load_balancer_network = module.lxd.network_name
  lxd_identity          = local.lxd_identity

  pools = {
    web = {
      replicas = 3
      flavor   = "c4-m8"
      target   = "@workers"
      labels   = { "node.example.com/tier" = "web" }
    }
    batch = {
      autoscaler_min   = 1
      autoscaler_max   = 8
      flavor           = "c8-m16"
      target           = "@workers"
      rollout_strategy = "OnDelete"
      taints           = [{ key = "batch", value = "true", effect = "NoSchedule" }]
    }
  }

  timeouts = {
    create = "45m"
    update = "60m"
  }

  depends_on = [module.lxd]
}

module "staging" {
  source = "../modules/k8s-cluster"

  name               = "staging"
  kubernetes_version = var.staging_kubernetes_version
  control_plane = {
    replicas = 1
    flavor   = "c2-m4"
  }
  load_balancer         = "ovn"
  load_balancer_network = lxd_ovn_network.staging.name
  lxd_identity          = local.lxd_identity

  pools = {
    general = {
      replicas = 2
      flavor   = "c2-m4"
    }
  }

  depends_on = [module.lxd]
}

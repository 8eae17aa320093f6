# A small cluster against the k8s emulator (tests/k8s-emu): a SIMULATED
# management cluster, no LXD machines are created. `make demo` applies it:
#
#   terraform apply -var kubeconfig=WORKDIR/kubeconfig
#
# The LXD credentials below are placeholders the emulator never uses. The
# same lxd_identity points CAPN at an Incus server instead: CAPN's identity
# Secret has the same keys for both (server, server-crt, client-crt,
# client-key, project), e.g. server_url = "https://<incus>:8443", the
# certificate from /var/lib/incus/cluster.crt, and a client certificate
# trusted with `incus config trust add-certificate`
# (tests/e2e/test_k8s_cluster_server_identity.sh does this against a real
# Incus and a real LXD).

terraform {
  required_version = ">= 1.11"
  required_providers {
    k8s = {
      source  = "lxdcapi/k8s"
      version = "~> 0.1"
    }
  }
}

variable "kubeconfig" {
  description = "kubeconfig of the emulator (WORKDIR/kubeconfig)."
  type        = string
}

provider "k8s" {
  kubeconfig_path = var.kubeconfig
}

module "demo" {
  source = "../modules/k8s-cluster"

  name               = "demo"
  kubernetes_version = "v1.33.1"
  control_plane = {
    replicas = 1
    flavor   = "c2-m4"
  }

  lxd_identity = {
    server_url         = "https://192.0.2.10:8443"
    client_certificate = "placeholder-certificate"
    client_key         = "placeholder-key"
  }

  pools = {
    web = {
      replicas = 2
      flavor   = "c2-m4"
      labels   = { "node.example.com/tier" = "web" }
    }
    batch = {
      autoscaler_min   = 1
      autoscaler_max   = 3
      rollout_strategy = "OnDelete"
      taints           = [{ key = "batch", effect = "NoSchedule" }]
    }
  }

  timeouts = {
    create = "3m"
    update = "3m"
    delete = "3m"
  }
}

output "endpoint" {
  value = module.demo.endpoint
}

output "pools" {
  value = module.demo.pools
}

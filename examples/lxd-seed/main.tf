# lxd-seed: the LXD half of the seed architecture — cluster members, a
# storage pool with per-member sources, and an uplink-backed OVN network —
# built by the lxd-cluster module. See README.md.
#
#   terraform init
#   terraform apply -var-file=seed.tfvars     # one apply, joins included

terraform {
  required_version = ">= 1.11"

  required_providers {
    lxd = {
      source  = "lxdcapi/lxd"
      version = "~> 0.1"
    }
  }
}

# A member of the cluster: its unix socket (null: the provider's default,
# LXD_SOCKET, $LXD_DIR/unix.socket or the distribution's paths), or HTTPS.
provider "lxd" {
  socket             = var.lxd_socket
  address            = var.lxd_address
  client_certificate = var.lxd_client_certificate
  client_key         = var.lxd_client_key
  server_fingerprint = var.lxd_server_fingerprint
}

module "lxd" {
  source = "../modules/lxd-cluster"

  joining_members = var.joining_members
  join_secrets    = var.join_secrets
  storage_pool    = var.storage_pool
  ovn             = var.ovn
}

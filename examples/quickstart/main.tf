# Quickstart: two dir storage pools on an LXD server.
#
#   terraform init
#   terraform apply -var lxd_socket=/var/lib/lxd/unix.socket
#
# Leave lxd_socket unset (null) to use the provider's default resolution:
# LXD_SOCKET, then $LXD_DIR/unix.socket, then the distribution's paths.

terraform {
  required_version = ">= 1.11"

  required_providers {
    lxd = {
      source  = "lxdcapi/lxd"
      version = "~> 0.1"
    }
  }
}

provider "lxd" {
  socket = var.lxd_socket
}

# A plain dir pool: LXD picks the source directory.
resource "lxd_storage_pool" "scratch" {
  name        = "${var.prefix}-scratch"
  driver      = "dir"
  description = "Scratch space (managed by Terraform)"
}

# A dir pool with configuration keys. Only the keys listed here are managed;
# keys the server fills in itself are left alone.
resource "lxd_storage_pool" "data" {
  name        = "${var.prefix}-data"
  driver      = "dir"
  description = "Data pool with rsync limits (managed by Terraform)"

  config = {
    "rsync.bwlimit"     = "50MB"
    "rsync.compression" = "false"
  }
}

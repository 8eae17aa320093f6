variable "lxd_socket" {
  description = "Path of the LXD unix socket. null: the provider's default (LXD_SOCKET, LXD_DIR, distribution paths)."
  type        = string
  default     = null
}

variable "prefix" {
  description = "Prefix of the storage pool names."
  type        = string
  default     = "quickstart"
}

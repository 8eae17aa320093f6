# ---------------------------------------------------------------- provider

variable "lxd_socket" {
  description = "Unix socket of a cluster member's LXD. null: the provider's default resolution."
  type        = string
  default     = null
}

variable "lxd_address" {
  description = "HTTPS URL of a cluster member (instead of lxd_socket), e.g. https://203.0.113.1:8443."
  type        = string
  default     = null
}

variable "lxd_client_certificate" {
  description = "PEM client certificate trusted by the cluster (with lxd_address)."
  type        = string
  default     = null
}

variable "lxd_client_key" {
  description = "PEM key of lxd_client_certificate."
  type        = string
  default     = null
  sensitive   = true
}

variable "lxd_server_fingerprint" {
  description = "SHA-256 fingerprint of the cluster certificate (with lxd_address)."
  type        = string
  default     = null
}

# ---------------------------------------------------------------- module
# Passed to modules/lxd-cluster unchanged; see its variables.tf.

variable "joining_members" {
  description = "Standalone servers to join, keyed by member name (see modules/lxd-cluster)."
  type = map(object({
    server_address       = optional(string)
    socket               = optional(string)
    address              = optional(string)
    client_certificate   = optional(string)
    server_certificate   = optional(string)
    server_fingerprint   = optional(string)
    insecure_skip_verify = optional(bool)
    member_config        = optional(map(string), {})
    description          = optional(string)
    failure_domain       = optional(string)
    groups               = optional(set(string))
    config               = optional(map(string))
  }))
  default = {}
}

variable "join_secrets" {
  description = "client_key / password per joining member reached over HTTPS."
  type = map(object({
    client_key = optional(string)
    password   = optional(string)
  }))
  default   = {}
  sensitive = true
}

variable "storage_pool" {
  description = "The storage pool: name, driver, description, config, sources (member => source)."
  type = object({
    name        = string
    driver      = optional(string, "dir")
    description = optional(string, "")
    config      = optional(map(string), {})
    sources     = optional(map(string), {})
  })
  default = {
    name = "seed"
  }
}

variable "ovn" {
  description = "The OVN network (network_name, uplink, description, addresses), or null for none."
  type = object({
    network_name = string
    uplink       = string
    description  = optional(string, "")
    ipv4_address = optional(string, "auto")
    ipv4_nat     = optional(bool, true)
    ipv6_address = optional(string, "none")
    ipv6_nat     = optional(bool)
    dns_domain   = optional(string)
    config       = optional(map(string), {})
  })
  default = null
}

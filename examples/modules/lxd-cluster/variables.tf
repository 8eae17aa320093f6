variable "joining_members" {
  description = <<-EOT
    Standalone LXD servers to join to the provider's cluster, keyed by the
    new member name. Each is reached through `socket` (its unix socket) or
    `address` (its HTTPS URL, with `client_certificate` and a pin or
    `insecure_skip_verify`); secrets go in `join_secrets`. `member_config`
    holds extra member-specific keys (`ENTITY/NAME/KEY`) the cluster asks a
    joining server for; the storage pool's `source` for the member is added
    by the module. May be empty.
  EOT
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
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for m in values(var.joining_members) : (m.socket == null) != (m.address == null)
    ])
    error_message = "Each entry of joining_members needs exactly one of `socket` and `address`."
  }

  validation {
    condition = alltrue([
      for m in values(var.joining_members) : m.address == null || m.client_certificate != null
    ])
    error_message = "A joining member reached by `address` needs `client_certificate` (and its `client_key` in join_secrets)."
  }
}

variable "join_secrets" {
  description = "Secrets for joining members reached over HTTPS, keyed like joining_members: `client_key` (PEM) and `password` (trust password or token of the joining server)."
  type = map(object({
    client_key = optional(string)
    password   = optional(string)
  }))
  default   = {}
  nullable  = false
  sensitive = true
}

variable "storage_pool" {
  description = <<-EOT
    The storage pool created across the cluster: `name`, `driver` (default
    `dir`), `description`, `config` (global keys) and `sources`, a map
    member name => `source` for existing and joining members. Members
    without an entry get LXD's default source. On a standalone server leave
    `sources` empty and put `source` in `config`.
  EOT
  type = object({
    name        = string
    driver      = optional(string, "dir")
    description = optional(string, "")
    config      = optional(map(string), {})
    sources     = optional(map(string), {})
  })
  nullable = false
}

variable "ovn" {
  description = <<-EOT
    The OVN network, or null for none: `network_name`, `uplink` (an
    existing managed bridge or physical network in the `default` project
    with `ipv4.ovn.ranges` and/or `ipv6.ovn.ranges`), `description`,
    `ipv4_address` / `ipv6_address` (CIDR, `auto` or `none`; defaults
    `auto` and `none`), `ipv4_nat` (default true), `ipv6_nat`, `dns_domain`
    and other `config` keys.
  EOT
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

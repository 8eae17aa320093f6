output "members" {
  description = "Cluster members after the joins: name => URL (empty on a standalone server)."
  value       = { for m in data.lxd_cluster.after.members : m.name => m.url }
}

output "member_names" {
  description = "Names of all cluster members after the joins, sorted."
  value       = [for m in data.lxd_cluster.after.members : m.name]
}

output "joined_members" {
  description = "Members joined by this module: name => URL."
  value       = { for k, n in lxd_node.join : k => n.url }
}

output "server_version" {
  description = "LXD version of the provider's server."
  value       = data.lxd_server.this.server_version
}

output "storage_pool_name" {
  description = "Name of the storage pool."
  value       = lxd_storage_pool.this.name
}

output "storage_pool_locations" {
  description = "Members the pool exists on (empty on a standalone server)."
  value       = lxd_storage_pool.this.locations
}

output "network_name" {
  description = "Name of the OVN network, or null without one."
  value       = one(lxd_ovn_network.this[*].name)
}

output "network_addresses" {
  description = "Addresses of the OVN network, or null without one: its IPv4/IPv6 subnets (router address in CIDR form) and its router's addresses on the uplink."
  value = var.ovn == null ? null : {
    ipv4_subnet         = lxd_ovn_network.this[0].ipv4_subnet
    ipv6_subnet         = lxd_ovn_network.this[0].ipv6_subnet
    uplink_ipv4_address = lxd_ovn_network.this[0].uplink_ipv4_address
    uplink_ipv6_address = lxd_ovn_network.this[0].uplink_ipv6_address
  }
}

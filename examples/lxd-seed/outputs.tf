output "members" {
  description = "Cluster members after the joins: name => URL."
  value       = module.lxd.members
}

output "joined_members" {
  description = "Members joined by this configuration: name => URL."
  value       = module.lxd.joined_members
}

output "storage_pool" {
  description = "The storage pool's name and the members it exists on."
  value = {
    name      = module.lxd.storage_pool_name
    locations = module.lxd.storage_pool_locations
  }
}

output "network_name" {
  description = "The OVN network's name (null without one)."
  value       = module.lxd.network_name
}

output "network_addresses" {
  description = "The OVN network's subnets and uplink addresses (null without one)."
  value       = module.lxd.network_addresses
}

# lxd-cluster: the LXD half of the seed architecture on the cluster the
# provider is connected to —
#   1. joins `joining_members` (lxd_node),
#   2. creates a storage pool on every member, with per-member sources,
#   3. optionally creates an OVN network on an existing uplink.
#
# One `terraform apply` does all three, also when members join in the same
# run: the pool's member_config is derived from the joining members' URLs,
# which are unknown until they have joined, so the provider's plan-time
# member-name check is deferred to apply (see README.md, "One apply").

# ---------------------------------------------------------------- facts
# Read at plan time (no dependencies): the cluster as it is now.

data "lxd_server" "this" {}

data "lxd_cluster" "before" {}

data "lxd_network" "uplink" {
  count = var.ovn == null ? 0 : 1

  name    = var.ovn.uplink
  project = "default" # uplinks always live in the default project
}

locals {
  clustered        = data.lxd_cluster.before.enabled
  existing_members = [for m in data.lxd_cluster.before.members : m.name]
  members_after    = setunion(local.existing_members, keys(var.joining_members))

  pool_source_key = "storage-pool/${var.storage_pool.name}/source"
  unknown_sources = [for m in keys(var.storage_pool.sources) : m if !contains(local.members_after, m)]

  uplink_config = var.ovn == null ? {} : data.lxd_network.uplink[0].config
  uplink_ranges = compact([
    lookup(local.uplink_config, "ipv4.ovn.ranges", ""),
    lookup(local.uplink_config, "ipv6.ovn.ranges", ""),
  ])
}

# ---------------------------------------------------------------- members

resource "lxd_node" "join" {
  for_each = var.joining_members

  name           = each.key
  server_address = each.value.server_address
  description    = each.value.description
  failure_domain = each.value.failure_domain
  groups         = each.value.groups
  config         = each.value.config

  join_target {
    socket               = each.value.socket
    address              = each.value.address
    client_certificate   = each.value.client_certificate
    server_certificate   = each.value.server_certificate
    server_fingerprint   = each.value.server_fingerprint
    insecure_skip_verify = each.value.insecure_skip_verify
    client_key           = try(var.join_secrets[each.key].client_key, null)
    password             = try(var.join_secrets[each.key].password, null)
  }

  # The pool's source for this member, in case the pool already exists when
  # the member joins (adding a member later). In the first apply the pool is
  # created after the joins and the cluster does not ask for this key; extra
  # keys are ignored by lxd_node. Keys in the member's own member_config win.
  member_config = merge(
    { (local.pool_source_key) = lookup(var.storage_pool.sources, each.key, "") },
    each.value.member_config,
  )

  lifecycle {
    precondition {
      condition     = local.clustered
      error_message = "joining_members needs a cluster: the provider's LXD server is not clustered. Bootstrap it first (an lxd_node with bootstrap = true, or `lxd init`)."
    }
  }
}

locals {
  # Unknown while any member listed in storage_pool.sources is still to
  # join (its url is computed): the whole map is then unknown at plan time,
  # which defers lxd_storage_pool's "Unknown cluster member" check to apply,
  # when the member exists. Known (and stable) once every member has joined.
  joined_urls = { for k, n in lxd_node.join : k => n.url }
  pool_member_config = length(var.storage_pool.sources) == 0 ? null : {
    for m, src in var.storage_pool.sources : m => { source = src }
    if lookup(local.joined_urls, m, "existing member") != ""
  }
}

# ---------------------------------------------------------------- storage

resource "lxd_storage_pool" "this" {
  name          = var.storage_pool.name
  driver        = var.storage_pool.driver
  description   = var.storage_pool.description
  config        = length(var.storage_pool.config) == 0 ? null : var.storage_pool.config
  member_config = local.pool_member_config

  # Created after the joins so that LXD defines it on every member.
  depends_on = [lxd_node.join]

  lifecycle {
    precondition {
      condition     = contains(data.lxd_server.this.storage_drivers, var.storage_pool.driver)
      error_message = "storage_pool.driver \"${var.storage_pool.driver}\" is not supported by the LXD server (supported: ${join(", ", data.lxd_server.this.storage_drivers)})."
    }
    precondition {
      condition     = length(var.storage_pool.sources) == 0 || local.clustered
      error_message = "storage_pool.sources needs a cluster; on a standalone server put `source` in storage_pool.config instead."
    }
    precondition {
      condition     = length(local.unknown_sources) == 0
      error_message = "storage_pool.sources names ${join(", ", local.unknown_sources)}, neither a cluster member (${join(", ", local.existing_members)}) nor in joining_members."
    }
  }
}

# ---------------------------------------------------------------- network

resource "lxd_ovn_network" "this" {
  count = var.ovn == null ? 0 : 1

  name         = var.ovn.network_name
  uplink       = data.lxd_network.uplink[0].name
  description  = var.ovn.description
  ipv4_address = var.ovn.ipv4_address
  ipv4_nat     = var.ovn.ipv4_nat
  ipv6_address = var.ovn.ipv6_address
  ipv6_nat     = var.ovn.ipv6_nat
  dns_domain   = var.ovn.dns_domain
  config       = length(var.ovn.config) == 0 ? null : var.ovn.config

  # OVN networks exist on every member: create after the joins.
  depends_on = [lxd_node.join]

  lifecycle {
    precondition {
      condition     = data.lxd_network.uplink[0].managed && contains(["bridge", "physical"], data.lxd_network.uplink[0].type)
      error_message = "ovn.uplink \"${var.ovn.uplink}\" must be a managed bridge or physical network (it is ${data.lxd_network.uplink[0].managed ? "a managed" : "an unmanaged"} ${data.lxd_network.uplink[0].type} network)."
    }
    precondition {
      condition     = length(local.uplink_ranges) > 0
      error_message = "ovn.uplink \"${var.ovn.uplink}\" has neither ipv4.ovn.ranges nor ipv6.ovn.ranges: set one (e.g. `lxc network set ${var.ovn.uplink} ipv4.ovn.ranges=FIRST-LAST`) so the OVN router gets an uplink address."
    }
  }
}

# ---------------------------------------------------------------- results

# The cluster after the joins (read again at apply when members changed).
data "lxd_cluster" "after" {
  depends_on = [lxd_node.join]
}

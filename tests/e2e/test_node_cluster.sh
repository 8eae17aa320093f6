#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_node on a real cluster: 2 members started clustered by the rig plus a
# standalone daemon 3. The provider joins daemon 3 as node3 (after a plan
# that names the missing member_config keys), updates its failure domain,
# groups, description and config, evacuates and restores it (also after an
# out-of-band evacuation), creates a clustered storage pool across the three
# members, imports node2, reads the lxd_cluster and lxd_server data sources,
# removes node3, and finally bootstraps a new one-member cluster on the
# now-standalone daemon 3. Every step is followed by an empty plan.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin node_cluster
rig_start nodec 2
if ! "$RIG" standalone nodec 3; then
	fail "could not start standalone daemon 3 of rig nodec"
	e2e_end
fi
eval "$(rig_standalone_env nodec 3)"

# api3 PATH — GET metadata on daemon 3's own socket.
api3_get() {
	curl --silent --max-time 60 --unix-socket "$RIG_N3_SOCKET" "http://lxd$1" | jq -c '.metadata'
}
api3_eq() {
	local got
	got=$(api3_get "$1" | jq -r "$2") || return 1
	[[ $got == "$3" ]] || {
		echo "  (daemon 3) $1 | $2 = '$got', expected '$3'"
		return 1
	}
}
# out_has_joined REGEX — like out_has, on the output with its lines joined
# (Terraform wraps diagnostics at 78 columns).
out_has_joined() {
	tr '\n' ' ' <"$TF_LAST_LOG" | grep -qE -- "$1" || {
		echo "  '$1' not found in $TF_LAST_LOG (lines joined)"
		return 1
	}
}
member_absent() { [[ $(api_get "/1.0/cluster/members/$1") == null ]]; }

# Cluster prerequisites: a group to move node3 into, and a clustered dir
# pool, so that joining needs storage-pool/pre/source.
api_do POST /1.0/cluster/groups '{"name":"rack","description":"rack B"}'
mkdir -p "$RIG_N1_POOLS/pre" "$RIG_N2_POOLS/pre" "$RIG_N3_POOLS/pre"
api_do POST '/1.0/storage-pools?target=node1' "{\"name\":\"pre\",\"driver\":\"dir\",\"config\":{\"source\":\"$RIG_N1_POOLS/pre\"}}"
api_do POST '/1.0/storage-pools?target=node2' "{\"name\":\"pre\",\"driver\":\"dir\",\"config\":{\"source\":\"$RIG_N2_POOLS/pre\"}}"
api_do POST /1.0/storage-pools '{"name":"pre","driver":"dir"}'

# node_tf [MEMBER-CONFIG-HCL] [EXTRA-ATTRS-HCL] — node3 plus data sources.
node_tf() {
	{
		provider_hcl
		cat <<EOF
resource "lxd_node" "n3" {
  name           = "node3"
  server_address = "$RIG_N3_ADDRESS"
  join_target {
    socket = "$RIG_N3_SOCKET"
  }
$1
$2
}

data "lxd_cluster" "c" {
  depends_on = [lxd_node.n3]
}

data "lxd_server" "s" {}

output "member_names" {
  value = [for m in data.lxd_cluster.c.members : m.name]
}

output "n3_fd" {
  value = [for m in data.lxd_cluster.c.members : m.failure_domain if m.name == "node3"]
}

output "n3_groups" {
  value = [for m in data.lxd_cluster.c.members : m.groups if m.name == "node3"]
}

output "cluster" {
  value = {
    enabled     = data.lxd_cluster.c.enabled
    server_name = data.lxd_cluster.c.server_name
    groups      = [for g in data.lxd_cluster.c.groups : g.name]
  }
}

output "server" {
  value = {
    version     = data.lxd_server.s.server_version
    api         = data.lxd_server.s.api_version
    clustered   = data.lxd_server.s.clustered
    name        = data.lxd_server.s.server_name
    drivers     = data.lxd_server.s.storage_drivers
    fingerprint = data.lxd_server.s.certificate_fingerprint
    kernel      = data.lxd_server.s.kernel
    has_ext     = contains(data.lxd_server.s.api_extensions, "clustering_join")
  }
}

output "n3_url" {
  value = lxd_node.n3.url
}
EOF
	} | write_tf
}

MC="  member_config = {
    \"storage-pool/pre/source\" = \"$RIG_N3_POOLS/pre\"
  }"

# ------------------------------------------------------------ join
tf_workdir main
node_tf "" ""
require "init" tf_show_on_fail init -input=false -no-color
check "join: plan without member_config fails" expect_exit 1 plan_exit
check "join: the error names the missing key" out_has 'storage-pool/pre/source'
check "join: nothing joined" member_absent node3

# A join that fails on the joining server (its pool source is not empty):
# nothing recorded, the token is cancelled, the next apply succeeds.
echo busy >"$RIG_N3_POOLS/pre/busy"
node_tf "$MC" ""
check "failed join: apply fails" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "failed join: LXD's reason is shown" out_has_joined "Source path .* isn't empty"
check "failed join: no member node3" member_absent node3
check "failed join: no lxd_node in state" state_lacks lxd_node.n3
check "failed join: the join token was cancelled" \
	api_eq '/1.0/operations?recursion=1' '[.running[]? | select(.class == "token")] | length' 0
rm -f "$RIG_N3_POOLS/pre/busy"
check "join: apply joins daemon 3 as node3" apply_ok
check "join: plan is empty" expect_exit 0 plan_exit
check "join: node3 is a member" api_eq /1.0/cluster/members/node3 .url "https://$RIG_N3_ADDRESS"
check "join: node3 online" api_eq /1.0/cluster/members/node3 .status Online
check "join: daemon 3 reports clustered" api3_eq /1.0 .environment.server_clustered true
check "join: pool pre exists on node3 with the given source" \
	api_eq '/1.0/storage-pools/pre?target=node3' .config.source "$RIG_N3_POOLS/pre"
check "join: computed url" output_is n3_url . "https://$RIG_N3_ADDRESS"
check "data lxd_cluster: members" output_is member_names 'join(",")' node1,node2,node3
check "data lxd_cluster: enabled, server_name, groups" \
	output_is cluster '"\(.enabled) \(.server_name) \(.groups | join(","))"' "true node1 default,rack"
# The server's own version (lxd --version is LXD's client; on Incus it is
# not the server at all).
srv_version=$(api_get /1.0 | jq -r .environment.server_version)
check "data lxd_server: version $srv_version (GET /1.0)" output_is server .version "$srv_version"
check "data lxd_server: api, clustered, name, kernel" \
	output_is server '"\(.api) \(.clustered) \(.name) \(.kernel) \(.has_ext)"' "1.0 true node1 Linux true"
check "data lxd_server: storage drivers" output_is server '.drivers | index("dir") != null' true
check "data lxd_server: fingerprint" output_is server .fingerprint \
	"$(api_get /1.0 | jq -r .environment.certificate_fingerprint)"

# ------------------------------------------------------------ update
UPD='  description    = "third member"
  failure_domain = "rack-b"
  groups         = ["default", "rack"]
  config = {
    "user.rack" = "b"
  }'
node_tf "$MC" "$UPD"
check "update: apply" apply_ok
check "update: plan is empty" expect_exit 0 plan_exit
check "update: failure domain" api_eq /1.0/cluster/members/node3 .failure_domain rack-b
check "update: groups" api_eq /1.0/cluster/members/node3 '.groups | sort | join(",")' default,rack
check "update: description" api_eq /1.0/cluster/members/node3 .description "third member"
check "update: config key" api_eq /1.0/cluster/members/node3 '.config["user.rack"]' b
check "update: automatic roles untouched (database role kept)" \
	api_eq /1.0/cluster/members/node3 '.database' "$(api_get /1.0/cluster/members/node3 | jq -r .database)"
check "data lxd_cluster: node3 failure domain" output_is n3_fd '.[0]' rack-b
check "data lxd_cluster: node3 groups" output_is n3_groups '.[0] | sort | join(",")' default,rack

# ------------------------------------------------------------ evacuate / restore
node_tf "$MC" "$UPD
  evacuated = true"
check "evacuate: apply" apply_ok
check "evacuate: plan is empty" expect_exit 0 plan_exit
check "evacuate: status Evacuated" api_eq /1.0/cluster/members/node3 .status Evacuated

node_tf "$MC" "$UPD
  evacuated = false"
check "restore: apply" apply_ok
check "restore: plan is empty" expect_exit 0 plan_exit
check "restore: status Online" api_eq /1.0/cluster/members/node3 .status Online

# Out-of-band evacuation is drift: the plan restores it.
api_do POST /1.0/cluster/members/node3/state '{"action":"evacuate"}'
check "drift: plan after an out-of-band evacuation has changes" expect_exit 2 plan_exit
check "drift: the plan shows evacuated" out_has 'evacuated'
check "drift: apply restores" apply_ok
check "drift: plan is empty" expect_exit 0 plan_exit
check "drift: status Online" api_eq /1.0/cluster/members/node3 .status Online

# A member config key set by hand is drift: `config` is authoritative.
check "unmanaged key: lxc cluster set node3 user.other" lxc_n1 cluster set node3 user.other=x
check "unmanaged key: plan reports it (exit 2)" expect_exit 2 plan_exit
check "unmanaged key: ... as a removal" out_has '"user.other" = "x" -> null'
check "unmanaged key: apply removes it" apply_ok
check "unmanaged key: gone" api_eq /1.0/cluster/members/node3 '.config["user.other"] // "absent"' absent
check "unmanaged key: managed key kept" api_eq /1.0/cluster/members/node3 '.config["user.rack"]' b
check "unmanaged key: plan is empty" expect_exit 0 plan_exit

# Re-import with the original join settings: at most one in-place update
# that changes nothing on the server, never a replacement.
check "re-import: state rm lxd_node.n3" tf_show_on_fail state rm lxd_node.n3
check "re-import: terraform import lxd_node.n3 node3" \
	tf_show_on_fail import -input=false -no-color lxd_node.n3 node3
plan_exit >/dev/null || true
check "re-import: no replacement" out_lacks 'must be replaced'
check "re-import: nothing to add or destroy" out_has '(No changes|0 to add, [01] to change, 0 to destroy)'
etag_before=$(curl --silent --unix-socket "$RIG_N1_SOCKET" -D - -o /dev/null http://lxd/1.0/cluster/members/node3 | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
check "re-import: apply" apply_ok
check "re-import: the member is unchanged (same ETag)" bash -c "[[ -n '$etag_before' && \$(curl --silent --unix-socket '$RIG_N1_SOCKET' -D - -o /dev/null http://lxd/1.0/cluster/members/node3 | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p') == '$etag_before' ]]"
check "re-import: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ clustered pool
tf_workdir pool
mkdir -p "$RIG_N1_POOLS/tri" "$RIG_N2_POOLS/tri" "$RIG_N3_POOLS/tri"
{
	provider_hcl
	cat <<EOF
resource "lxd_storage_pool" "tri" {
  name   = "tri"
  driver = "dir"
  member_config = {
    node1 = { source = "$RIG_N1_POOLS/tri" }
    node2 = { source = "$RIG_N2_POOLS/tri" }
    node3 = { source = "$RIG_N3_POOLS/tri" }
  }
}
EOF
} | write_tf
require "pool: init" tf_show_on_fail init -input=false -no-color
check "pool: apply across the three members" apply_ok
check "pool: plan is empty" expect_exit 0 plan_exit
check "pool: locations" api_eq /1.0/storage-pools/tri '.locations | sort | join(",")' node1,node2,node3
check "pool: node3 source" api_eq '/1.0/storage-pools/tri?target=node3' .config.source "$RIG_N3_POOLS/tri"
check "pool: status Created" api_eq /1.0/storage-pools/tri .status Created
check "pool: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "pool: gone" pool_absent tri

# ------------------------------------------------------------ import / plan checks
tf_workdir imp
{
	provider_hcl
	cat <<EOF
resource "lxd_node" "n2" {
  name = "node2"
}
EOF
} | write_tf
require "import: init" tf_show_on_fail init -input=false -no-color
check "create of an existing member: plan fails" expect_exit 1 plan_exit
check "create of an existing member: error says to import" out_has 'already has a member named "node2"'
check "import: terraform import lxd_node.n2 node2" \
	tf_show_on_fail import -input=false -no-color lxd_node.n2 node2
check "import: plan is empty" expect_exit 0 plan_exit
check "import: state rm" tf_show_on_fail state rm lxd_node.n2
check "import: of a missing member fails" \
	expect_exit 1 tf import -input=false -no-color lxd_node.n2 node9
check "import: the error says it does not exist" out_has 'non-existent|node9'
{
	provider_hcl
	cat <<EOF
resource "lxd_node" "n2" {
  name  = "node2"
  roles = ["database"]
}
EOF
} | write_tf
check "roles: an automatic role is refused at plan time" expect_exit 1 plan_exit
check "roles: the error names it" out_has 'Automatic role'
check "node2 untouched" api_eq /1.0/cluster/members/node2 .status Online

# ------------------------------------------------------------ remove
tf_workdir main
# A custom volume on node3 blocks its removal: LXD's reason is reported and
# the member stays in state.
api_do POST '/1.0/storage-pools/pre/volumes/custom?target=node3' '{"name":"v1"}'
provider_hcl | write_tf
check "remove refused: apply fails" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "remove refused: the error is reported" out_has 'Cannot remove cluster member'
check "remove refused: LXD's reason names the volume" out_has_joined 'following custom volumes: v1'
check "remove refused: node3 still in state" state_has lxd_node.n3
check "remove refused: node3 still a member" api_eq /1.0/cluster/members/node3 .status Online
api_do DELETE '/1.0/storage-pools/pre/volumes/custom/v1?target=node3'
check "remove: apply without the lxd_node removes node3" apply_ok
check "remove: plan is empty" expect_exit 0 plan_exit
check "remove: node3 is no member" member_absent node3
check "remove: daemon 3 is standalone again" api3_eq /1.0 .environment.server_clustered false
check "remove: state is empty" state_empty
{
	provider_hcl
	cat <<EOF
data "lxd_cluster" "c" {}

output "member_names" {
  value = [for m in data.lxd_cluster.c.members : m.name]
}
EOF
} | write_tf
check "remove: apply reading lxd_cluster" apply_ok
check "remove: plan is empty" expect_exit 0 plan_exit
check "remove: data lxd_cluster lists node1,node2" output_is member_names 'join(",")' node1,node2

# ------------------------------------------------------------ bootstrap
tf_workdir boot
{
	provider_hcl "$RIG_N3_SOCKET"
	cat <<EOF
resource "lxd_node" "solo" {
  name           = "solo"
  bootstrap      = true
  server_address = "$RIG_N3_ADDRESS"
  description    = "first member"
}

data "lxd_cluster" "c" {
  depends_on = [lxd_node.solo]
}

output "boot" {
  value = "\${data.lxd_cluster.c.enabled} \${data.lxd_cluster.c.server_name} \${join(",", [for m in data.lxd_cluster.c.members : m.name])}"
}
EOF
} | write_tf
require "bootstrap: init" tf_show_on_fail init -input=false -no-color
check "bootstrap: apply enables clustering on daemon 3" apply_ok
check "bootstrap: plan is empty" expect_exit 0 plan_exit
check "bootstrap: daemon 3 is clustered as solo" api3_eq /1.0/cluster '"\(.enabled) \(.server_name)"' "true solo"
check "bootstrap: description set" api3_eq /1.0/cluster/members/solo .description "first member"
check "bootstrap: data source reads the new cluster" output_is boot . "true solo solo"

# wait_standalone3 — daemon 3 restarts after clustering is disabled.
wait_standalone3() {
	local i
	for ((i = 0; i < 60; i++)); do
		[[ $(api3_get /1.0 2>/dev/null | jq -r .environment.server_clustered 2>/dev/null) == false ]] && return 0
		sleep 0.5
	done
	echo "  daemon 3 still clustered (or not answering) after 30s"
	return 1
}
check "bootstrap: destroy the last member" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "bootstrap: daemon 3 is standalone again" wait_standalone3
check "bootstrap: state is empty" state_empty

e2e_end

#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2119,SC2317  # helpers run indirectly through check; backquotes are literal
# The worked example of docs/guides/migrate-from-terraform-provider-lxd.md,
# both paths, with Terraform 1.11 against a 1-member LXD cluster with OVN.
# terraform-provider-lxd cannot be downloaded here, so:
#   - its objects are made the way it makes them (pool: the member's
#     pending definition with `source`, then the pool; OVN network in its
#     project), through LXD's API;
#   - its states are the fixtures of tests/data/terraform-lxd/ (3.0.2 for
#     path A, 2.7.1 for path B) with the example's names and values, put
#     into terraform.tfstate;
#   - Terraform needs the provider a state names installed (it checks every
#     provider of the state before planning, internal/terraform/context.go
#     checkStateDependencies) although a cross-provider move only calls the
#     TARGET provider (internal/refactoring/cross_provider_move.go): this
#     binary stands in for terraform-lxd/lxd in the implied local mirror
#     (it serves the "lxd" type from its file name), and is never asked
#     about those states.
# Substitutions against the guide: the provider block's `socket` (the rig)
# and the pool's source directory (the rig's pools directory).
# Path A: `moved` blocks -> plan shows only the moves -> apply -> plan
# -detailed-exitcode 0; drift still detected afterwards; a non-OVN network
# refused; destroy. Path B: state rm of the 2.x member instance, state
# replace-provider, the network's type edited, plan 0 -> apply -> plan 0;
# forgetting the state rm is refused naming `target`.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin migrate_terraform_lxd
rig_start mig 1 --ovn

FIX=$REPO_ROOT/tests/data/terraform-lxd
SRC=$RIG_N1_POOLS/data
TF_LXD=registry.terraform.io/terraform-lxd/lxd
mkdir -p "$SRC"

# This binary as terraform-lxd/lxd 2.7.1 and 3.0.2.
for v in 2.7.1 3.0.2; do
	d=$HOME/.terraform.d/plugins/$TF_LXD/$v/linux_amd64
	mkdir -p "$d"
	install -m 0755 "${E2E_BIN:-$REPO_ROOT/build/terraform-provider-lxdcapi}" \
		"$d/terraform-provider-lxd_v$v"
done

require "setup: uplink UPLINK with ipv4.ovn.ranges" lxc_n1 network create UPLINK \
	ipv4.address=192.0.2.1/24 ipv6.address=none ipv4.nat=false \
	ipv4.dhcp.ranges=192.0.2.10-192.0.2.50 ipv4.ovn.ranges=192.0.2.100-192.0.2.150
require "setup: project tenant-a with features.networks" \
	lxc_n1 project create tenant-a -c features.networks=true

net_api() { printf '/1.0/networks/%s?project=%s' "$1" "${2:-default}"; }

# make_objects PROJECT — the pool and the network as terraform-lxd makes
# them: the member's pending pool with its source, the pool, its
# description; the OVN network with the example's keys.
make_objects() {
	api_do POST '/1.0/storage-pools?target=node1' \
		"{\"name\":\"data\",\"driver\":\"dir\",\"config\":{\"source\":\"$SRC\"}}" &&
		api_do POST /1.0/storage-pools '{"name":"data","driver":"dir","config":{}}' &&
		api_do PATCH /1.0/storage-pools/data '{"description":"Data pool"}' &&
		api_do POST "/1.0/networks?project=$1" '{"name":"tenant-net","type":"ovn",
		 "description":"Tenant A network","config":{"network":"UPLINK",
		 "ipv4.address":"198.51.100.1/24","ipv4.nat":"true","ipv6.address":"none"}}'
}

# state_file ENTRY-JSON... — terraform.tfstate (format 4) holding the entries.
state_file() {
	jq -n --arg lineage "$(cat /proc/sys/kernel/random/uuid)" \
		'{version: 4, terraform_version: "1.11.4", serial: 1,
		  lineage: $lineage, outputs: {}, resources: $ARGS.positional,
		  check_results: null}' --jsonargs "$@" >"$TF_DIR/terraform.tfstate"
}

# entry FILE [NAME] — one fixture entry (resource NAME of a multi-entry file).
entry() {
	jq -c --arg n "${2:-}" 'if .resources then (.resources[] | select(.name == $n))
		else del(.fixture) end' "$FIX/$1"
}

new_provider() {
	cat <<EOF
terraform {
  required_providers {
    lxd = {
      source = "lxdcapi/lxd"
    }
  }
}

provider "lxd" {
  socket = "$RIG_N1_SOCKET"
}
EOF
}

# new_pool ADDRESS-NAME — the pool in this provider's terms.
new_pool() {
	cat <<EOF

resource "lxd_storage_pool" "$1" {
  name        = "data"
  driver      = "dir"
  description = "Data pool"
  member_config = {
    node1 = { source = "$SRC" }
  }
}
EOF
}

# out_says TEXT — the last output holds TEXT once Terraform's wrapping of
# diagnostics (and its box-drawing margin) is undone.
out_says() {
	sed 's/^[│ ]*//' "$TF_LAST_LOG" | tr '\n' ' ' | tr -s ' ' | grep -qF -- "$1" || {
		echo "  '$1' not found in $TF_LAST_LOG"
		return 1
	}
}

state_json() { (cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json 2>/dev/null); }
# state_is JQ — the JSON of the current state satisfies JQ.
state_is() {
	local s
	s=$(state_json) || return 1
	jq -e "$1" <<<"$s" >/dev/null || {
		echo "  jq '$1' is false on the state"
		return 1
	}
}
raw_state_is() {
	jq -e "$1" "$TF_DIR/terraform.tfstate" >/dev/null || {
		echo "  jq '$1' is false on terraform.tfstate"
		return 1
	}
}

# ============================================================ path A: moved
require "A: terraform-lxd 3.x objects" make_objects tenant-a
tf_workdir a
state_file \
	"$(entry storage_pool_dir_cluster_3.0.2.json | jq -c --arg s "$SRC" '.name = "data"
	   | .instances[0].attributes |= (.name = "data" | .description = "Data pool"
	     | .config = {source: $s} | .member_overrides = null
	     | .members = {node1: {config: {source: $s}}})')" \
	"$(entry network_ovn_project_3.0.2.json | jq -c '.name = "tenant"
	   | .instances[0].attributes.name = "tenant-net"')"
{
	new_provider
	new_pool data_pool
	cat <<'EOF'

moved {
  from = lxd_storage_pool.data
  to   = lxd_storage_pool.data_pool
}

resource "lxd_ovn_network" "tenant" {
  name         = "tenant-net"
  project      = "tenant-a"
  description  = "Tenant A network"
  uplink       = "UPLINK"
  ipv4_address = "198.51.100.1/24"
  ipv4_nat     = true
  ipv6_address = "none"
}

moved {
  from = lxd_network.tenant
  to   = lxd_ovn_network.tenant
}
EOF
} | write_tf

require "A: init -upgrade installs both providers" tf_show_on_fail init -upgrade -input=false -no-color
check "A: the lock file names the old provider (needed by the state)" \
	grep -qF "\"$TF_LXD\"" "$TF_DIR/.terraform.lock.hcl"
plan_exit >/dev/null || true
check "A: plan shows the pool's move" out_has 'lxd_storage_pool.data has moved to lxd_storage_pool.data_pool'
check "A: plan shows the network's move" out_has 'lxd_network.tenant has moved to lxd_ovn_network.tenant'
check "A: plan: 0 to add, 0 to change, 0 to destroy" out_has 'Plan: 0 to add, 0 to change, 0 to destroy'
check "A: plan updates nothing" out_lacks 'will be updated|must be replaced|will be created|will be destroyed'
check "A: apply" apply_ok
check "A: apply changed nothing" out_has '0 added, 0 changed, 0 destroyed'
check "A: plan -detailed-exitcode exits 0" expect_exit 0 plan_exit
check "A: the state names only lxdcapi/lxd" \
	raw_state_is "[.resources[].provider] | unique == [\"provider[\\\"registry.terraform.io/lxdcapi/lxd\\\"]\"]"
check "A: schema version 1, private state written (server keys)" raw_state_is \
	'[.resources[].instances[0] | .schema_version == 1 and (.private | length > 0)] | all'
check "A: member_config and uplink as configured" state_is \
	".values.root_module.resources | map({(.address): .values}) | add
	 | .[\"lxd_storage_pool.data_pool\"].member_config.node1.source == \"$SRC\"
	 and .[\"lxd_ovn_network.tenant\"].uplink == \"UPLINK\"
	 and .[\"lxd_ovn_network.tenant\"].ipv4_nat == true
	 and (.[\"lxd_ovn_network.tenant\"].uplink_ipv4_address | startswith(\"192.0.2.\"))"
check "A: the pool was not recreated (member source)" \
	api_eq '/1.0/storage-pools/data?target=node1' .config.source "$SRC"
check "A: the network kept its subnet" api_eq "$(net_api tenant-net tenant-a)" '.config["ipv4.address"]' 198.51.100.1/24
check "A: drift: the description changed by hand" \
	api_do PATCH /1.0/storage-pools/data '{"description":"changed by hand"}'
check "A: drift: plan sees it" expect_exit 2 plan_exit
check "A: drift: plan sets the description back" out_has 'description += "changed by hand" -> "Data pool"'
check "A: drift: apply (an update of the migrated pool)" apply_ok
check "A: drift: description back on the server" api_eq /1.0/storage-pools/data .description 'Data pool'
check "A: drift: plan is empty again" expect_exit 0 plan_exit

# A network this provider cannot manage is refused, nothing is planned.
tf_workdir a-bridge
state_file "$(entry network_ovn_project_3.0.2.json | jq -c '.name = "br"
	| .instances[0].attributes |= (.name = "br0" | .type = "bridge" | .project = "default")')"
{
	new_provider
	cat <<'EOF'

resource "lxd_ovn_network" "br" {
  name   = "br0"
  uplink = "UPLINK"
}

moved {
  from = lxd_network.br
  to   = lxd_ovn_network.br
}
EOF
} | write_tf
require "A-bridge: init" tf_show_on_fail init -input=false -no-color
check "A-bridge: plan fails" expect_exit 1 plan_exit
check "A-bridge: the error names the attribute" out_says 'attribute `type` is "bridge"'
check "A-bridge: and says to keep it with terraform-provider-lxd" out_says 'Remove this `moved` block: the object stays with terraform-provider-lxd'

tf_workdir a
check "A: destroy the migrated objects" apply_ok -destroy
check "A: the pool is gone" pool_absent data
check "A: the network is gone" api_eq "$(net_api tenant-net tenant-a)" . null

# ============================================================ path B: replace-provider
require "B: terraform-lxd 2.x objects" make_objects default

# b_workdir DIR — the 2.x state and configuration, initialised.
b_workdir() {
	tf_workdir "$1"
	state_file \
		"$(entry storage_pool_dir_cluster_2.7.1.json shared_node1 | jq -c --arg s "$SRC" '
		   .name = "data_node1" | .instances[0].attributes |= (.name = "data" | .source = $s)')" \
		"$(entry storage_pool_dir_cluster_2.7.1.json shared | jq -c '.name = "data"
		   | .instances[0].attributes |= (.name = "data" | .description = "Data pool")')" \
		"$(entry network_ovn_project_2.7.1.json | jq -c '.name = "tenant"
		   | .instances[0].attributes |= (.name = "tenant-net" | .project = null)')"
	cat <<EOF | write_tf
terraform {
  required_providers {
    lxd = {
      source  = "terraform-lxd/lxd"
      version = "~> 2.7"
    }
  }
}

resource "lxd_storage_pool" "data_node1" {
  name   = "data"
  driver = "dir"
  target = "node1"
  source = "$SRC"
}

resource "lxd_storage_pool" "data" {
  depends_on  = [lxd_storage_pool.data_node1]
  name        = "data"
  driver      = "dir"
  description = "Data pool"
}

resource "lxd_network" "tenant" {
  name        = "tenant-net"
  type        = "ovn"
  description = "Tenant A network"
  config = {
    network        = "UPLINK"
    "ipv4.address" = "198.51.100.1/24"
    "ipv4.nat"     = "true"
    "ipv6.address" = "none"
  }
}
EOF
	tf_show_on_fail init -input=false -no-color
}

# b_hand_over — guide steps 2 to 4: replace-provider, the network's type
# edited in the state, this provider's configuration.
b_hand_over() {
	tf_show_on_fail state replace-provider -auto-approve -no-color "$TF_LXD" \
		registry.terraform.io/lxdcapi/lxd || return 1
	(cd "$TF_DIR" && "$TERRAFORM" state pull >before.tfstate &&
		jq '.serial += 1
		    | (.resources[] | select(.type == "lxd_network" and .name == "tenant")).type
		        = "lxd_ovn_network"' before.tfstate >after.tfstate &&
		"$TERRAFORM" state push after.tfstate) || return 1
	{
		new_provider
		new_pool data
		cat <<'EOF'

resource "lxd_ovn_network" "tenant" {
  name         = "tenant-net"
  description  = "Tenant A network"
  uplink       = "UPLINK"
  ipv4_address = "198.51.100.1/24"
  ipv4_nat     = true
  ipv6_address = "none"
}
EOF
	} | write_tf
	tf_show_on_fail init -upgrade -input=false -no-color
}

# Forgetting the state rm of the member instance is refused.
require "B-forget: 2.x state, init" b_workdir b-forget
require "B-forget: hand over without the state rm" b_hand_over
check "B-forget: plan fails" expect_exit 1 plan_exit
check "B-forget: the error names target and the member" out_says 'attribute `target` is "node1"'
check "B-forget: the pool is untouched" api_eq /1.0/storage-pools/data .description 'Data pool'

require "B: 2.x state, init" b_workdir b
check "B: state rm of the member instance" tf_show_on_fail state rm -no-color lxd_storage_pool.data_node1
require "B: replace-provider, network type, new configuration" b_hand_over
check "B: plan -detailed-exitcode exits 0" expect_exit 0 plan_exit
check "B: apply" apply_ok
check "B: apply changed nothing" out_has '0 added, 0 changed, 0 destroyed'
check "B: plan -detailed-exitcode exits 0 after apply" expect_exit 0 plan_exit
check "B: schema version 1, private state written" raw_state_is \
	'[.resources[].instances[0] | .schema_version == 1 and (.private | length > 0)] | all'
check "B: 2.x null project is the default project" state_is \
	'.values.root_module.resources[] | select(.address == "lxd_ovn_network.tenant") | .values.project == "default"'
check "B: member_config read from the member (2.x kept it in the member instance)" state_is \
	".values.root_module.resources[] | select(.address == \"lxd_storage_pool.data\")
	 | .values.member_config.node1.source == \"$SRC\""

e2e_end

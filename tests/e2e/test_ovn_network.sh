#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_ovn_network + data source lxd_network against a 1-member LXD cluster
# with real OVS/OVN: uplink bridges made with lxc, create (waits for an
# active chassis and a logical router), `auto` addresses stable across plans
# and updates, in-place update, key conflicts and uplink errors at plan time,
# drift (changed key, unmanaged key, deleted network), import by NAME and
# PROJECT/NAME, a project with features.networks, delete while in use, and
# destroy. Every step is followed by `plan -detailed-exitcode`.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin ovn_network
rig_start ovne2e 1 --ovn

[[ -n ${RIG_OVN_NB:-} ]] || {
	fail "the rig has no OVN northbound connection (RIG_OVN_NB)"
	e2e_end
}

# Uplinks (the test's own, in documentation ranges): one with OVN ranges,
# one without.
require "setup: uplink bridge with ipv4.ovn.ranges" lxc_n1 network create tfup \
	ipv4.address=198.51.100.1/24 ipv6.address=none ipv4.nat=false \
	ipv4.dhcp.ranges=198.51.100.10-198.51.100.50 \
	ipv4.ovn.ranges=198.51.100.100-198.51.100.150
require "setup: second uplink bridge with ipv4.ovn.ranges" lxc_n1 network create tfup2 \
	ipv4.address=203.0.113.129/25 ipv6.address=none ipv4.nat=false \
	ipv4.dhcp.ranges=203.0.113.140-203.0.113.160 \
	ipv4.ovn.ranges=203.0.113.200-203.0.113.220
require "setup: uplink bridge without OVN ranges" lxc_n1 network create tfbare \
	ipv4.address=192.0.2.129/25 ipv6.address=none ipv4.nat=false

net_api() { # net_api NAME [PROJECT] — API path of a network
	printf '/1.0/networks/%s?project=%s' "$1" "${2:-default}"
}
net_absent() { [[ $(api_get "$(net_api "$@")") == null ]]; }
net_exists() { ! net_absent "$@"; }

# OVN really set up: the server reports an active chassis and the northbound
# DB has the network's logical router (named lxd-net* or incus-net*).
chassis_active() {
	local c
	c=$(api_get "$(net_api "$1" "${2:-default}" | sed 's/?/\/state?/')" | jq -r '.ovn.chassis // empty')
	[[ -n $c ]] || {
		echo "  network $1 has no active OVN chassis"
		return 1
	}
}
router_count() {
	timeout 30 ovn-nbctl --timeout=20 --db="$RIG_OVN_NB" lr-list | grep -cE '(lxd|incus)-net' || true
}
routers_are() {
	local n
	n=$(router_count)
	[[ $n == "$1" ]] || {
		echo "  $n OVN logical routers, expected $1"
		return 1
	}
}

# in_ovn_range ADDR — inside 198.51.100.100-198.51.100.150.
in_ovn_range() {
	local last=${1##*.}
	[[ $1 == 198.51.100.* && $last -ge 100 && $last -le 150 ]] || {
		echo "  '$1' is not inside tfup's ipv4.ovn.ranges"
		return 1
	}
}

# main_tf DESCRIPTION DNS-DOMAIN TEAM [MTU-LINE] [EXTRA-HCL]
main_tf() {
	{
		provider_hcl
		cat <<EOF
data "lxd_network" "uplink" {
  name = "${UPLINK:-tfup}"
}

resource "lxd_ovn_network" "n" {
  name         = "tfovn-a"
  uplink       = data.lxd_network.uplink.name
  description  = "$1"
  ipv4_address = "${IPV4:-auto}"
  ipv6_address = "none"
  ipv4_nat     = true
  dns_domain   = "$2"
  ${4:-}
  config = {
    "user.team"   = "$3"
    "dns.search"  = "example.test"
  }
}

output "ipv4_subnet" {
  value = lxd_ovn_network.n.ipv4_subnet
}

output "uplink_ipv4" {
  value = lxd_ovn_network.n.uplink_ipv4_address
}

output "status" {
  value = lxd_ovn_network.n.status
}

output "project" {
  value = lxd_ovn_network.n.project
}

output "uplink_type" {
  value = data.lxd_network.uplink.type
}

output "uplink_ranges" {
  value = data.lxd_network.uplink.config["ipv4.ovn.ranges"]
}

output "uplink_managed" {
  value = data.lxd_network.uplink.managed
}

output "uplink_locations" {
  value = data.lxd_network.uplink.locations
}
EOF
		printf '%s\n' "${5:-}"
	} | write_tf
}

# state_shows ADDR REGEX — `terraform state show ADDR` matches REGEX.
state_shows() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" state show -no-color "$1") | grep -E -- "$2" >/dev/null || {
		echo "  state of $1 does not match '$2'"
		return 1
	}
}

tf_out() { (cd "$TF_DIR" && timeout 120 "$TERRAFORM" output -raw "$1"); }

# ------------------------------------------------------------ create
tf_workdir main
main_tf first a.example.test red
require "init" tf_show_on_fail init -input=false -no-color
check "create: plan shows one to add" expect_exit 2 plan_exit
check "create: apply" apply_ok
A=$(net_api tfovn-a)
check "create: type ovn on server" api_eq "$A" .type ovn
check "create: uplink is the network key" api_eq "$A" '.config.network' tfup
check "create: description" api_eq "$A" .description first
check "create: dns.domain" api_eq "$A" '.config["dns.domain"]' a.example.test
check "create: config key" api_eq "$A" '.config["user.team"]' red
check "create: status Created" api_eq "$A" .status Created
check "create: OVN chassis active" chassis_active tfovn-a
check "create: logical router in OVN northbound" routers_are 1
check "create: status output" output_is status . Created
check "create: project output defaults to provider project" output_is project . default
subnet=$(tf_out ipv4_subnet 2>/dev/null || true)
check "create: ipv4_subnet output is the server's subnet" api_eq "$A" '.config["ipv4.address"]' "$subnet"
check "create: ipv4_subnet is a CIDR" grep -qE '^[0-9.]+/[0-9]+$' <<<"$subnet"
check "create: uplink_ipv4_address from the OVN range" in_ovn_range "$(tf_out uplink_ipv4 2>/dev/null || true)"
check "create: uplink address equals volatile key" api_eq "$A" '.config["volatile.network.ipv4.address"]' "$(tf_out uplink_ipv4 2>/dev/null || true)"
check "create: derived bridge.mtu exists on server" api_eq "$A" '.config["bridge.mtu"] != null' true
check "data source: type" output_is uplink_type . bridge
check "data source: ovn ranges" output_is uplink_ranges . 198.51.100.100-198.51.100.150
check "data source: managed" output_is uplink_managed . true
check "data source: locations" output_is uplink_locations 'join(",")' node1
check "create: plan is empty" expect_exit 0 plan_exit
check "auto: state keeps ipv4_address = auto" state_shows lxd_ovn_network.n 'ipv4_address += "auto"'
check "auto: second plan is empty too" expect_exit 0 plan_exit
check "auto: subnet unchanged by plans" api_eq "$A" '.config["ipv4.address"]' "$subnet"

# ------------------------------------------------------------ in-place update
main_tf second b.example.test blue 'mtu = 1400'
check "update: plan shows changes" expect_exit 2 plan_exit
check "update: in place" out_has 'will be updated in-place'
check "update: not replaced" out_lacks 'must be replaced'
check "update: auto address not planned to change" out_lacks 'ipv4_address'
check "update: apply" apply_ok
check "update: description" api_eq "$A" .description second
check "update: dns.domain" api_eq "$A" '.config["dns.domain"]' b.example.test
check "update: user.team" api_eq "$A" '.config["user.team"]' blue
check "update: bridge.mtu from mtu attribute" api_eq "$A" '.config["bridge.mtu"]' 1400
check "update: auto subnet kept (auto not re-sent)" api_eq "$A" '.config["ipv4.address"]' "$subnet"
check "update: state still says auto" state_shows lxd_ovn_network.n 'ipv4_address += "auto"'
check "update: state has the mtu" state_shows lxd_ovn_network.n 'mtu += 1400'
check "update: still an active chassis" chassis_active tfovn-a
check "update: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ drift: changed key
check "drift: lxc network set dns.domain" lxc_n1 network set tfovn-a dns.domain=drift.example.test
check "drift: plan detects it (exit 2)" expect_exit 2 plan_exit
check "drift: plan wants b.example.test back" out_has 'b.example.test'
check "drift: apply restores it" apply_ok
check "drift: server dns.domain restored" api_eq "$A" '.config["dns.domain"]' b.example.test
check "drift: plan is empty" expect_exit 0 plan_exit
# `config` is authoritative: a key set by hand shows as a removal.
check "unmanaged: lxc network set user.other" lxc_n1 network set tfovn-a user.other=x
check "unmanaged: plan reports it (exit 2)" expect_exit 2 plan_exit
check "unmanaged: ... as a removal of user.other" out_has '"user.other" = "x" -> null'
check "drift: lxc network unset a config key" lxc_n1 network unset tfovn-a user.team
check "drift: plan detects the missing key" expect_exit 2 plan_exit
check "drift: apply puts it back" apply_ok
check "drift: user.team is back" api_eq "$A" '.config["user.team"]' blue
check "drift: the key set by hand is removed" api_eq "$A" '.config["user.other"] // "absent"' absent
check "drift: LXD's own keys are kept" api_eq "$A" '.config["volatile.network.ipv4.address"] | length > 0' true
check "drift: plan is empty again" expect_exit 0 plan_exit

# ------------------------------------------------------------ fixed address, then auto again
IPV4=192.0.2.1/26 main_tf second b.example.test blue 'mtu = 1400'
check "fixed address: plan exit 2" expect_exit 2 plan_exit
check "fixed address: subnet output known after apply" out_has 'ipv4_subnet += "'"$subnet"'" -> \(known after apply\)'
check "fixed address: apply" apply_ok
check "fixed address: server ipv4.address" api_eq "$A" '.config["ipv4.address"]' 192.0.2.1/26
check "fixed address: ipv4_subnet output" output_is ipv4_subnet . 192.0.2.1/26
check "fixed address: plan is empty" expect_exit 0 plan_exit
main_tf second b.example.test blue 'mtu = 1400'
check "auto again: plan exit 2" expect_exit 2 plan_exit
check "auto again: apply" apply_ok
check "auto again: LXD generated a new subnet" api_eq "$A" '.config["ipv4.address"] | test("^[0-9.]+/[0-9]+$") and . != "192.0.2.1/26"' true
check "auto again: state says auto" state_shows lxd_ovn_network.n 'ipv4_address += "auto"'
check "auto again: plan is empty" expect_exit 0 plan_exit
check "auto again: and stays empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ uplink change in place
UPLINK=tfup2 main_tf second b.example.test blue 'mtu = 1400'
check "uplink change: plan exit 2" expect_exit 2 plan_exit
check "uplink change: in place" out_has 'will be updated in-place'
check "uplink change: not replaced" out_lacks 'must be replaced'
check "uplink change: uplink address known after apply" out_has 'uplink_ipv4_address += "198\.51\.100\.[0-9]+" -> \(known after apply\)'
check "uplink change: apply" apply_ok
check "uplink change: server network key" api_eq "$A" .config.network tfup2
check "uplink change: router address from tfup2's range" api_eq "$A" \
	'.config["volatile.network.ipv4.address"] | test("^203\\.0\\.113\\.2[0-2][0-9]$")' true
check "uplink change: output follows" output_is uplink_ipv4 'test("^203\\.0\\.113\\.")' true
check "uplink change: chassis active" chassis_active tfovn-a
check "uplink change: plan is empty" expect_exit 0 plan_exit
main_tf second b.example.test blue 'mtu = 1400'
check "uplink back: apply" apply_ok
check "uplink back: network key" api_eq "$A" .config.network tfup
check "uplink back: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ drift: deleted
check "vanished: delete the network outside terraform" lxc_n1 network delete tfovn-a
check "vanished: plan detects it (exit 2)" expect_exit 2 plan_exit
check "vanished: plan will create it" out_has 'will be created'
check "vanished: apply re-creates it" apply_ok
check "vanished: network is back" api_eq "$A" .description second
check "vanished: chassis active" chassis_active tfovn-a
check "vanished: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ import by name
check "import: create an OVN network with lxc" lxc_n1 network create tfimp --type=ovn \
	network=tfup dns.domain=imp.example.test user.owner=ops
imp_hcl='
resource "lxd_ovn_network" "imp" {
  name       = "tfimp"
  uplink     = "tfup"
  dns_domain = "imp.example.test"
  config = {
    "user.owner" = "ops"
  }
}'
main_tf second b.example.test blue 'mtu = 1400' "$imp_hcl"
check "import: terraform import by name" tf_show_on_fail import -input=false -no-color lxd_ovn_network.imp tfimp
check "import: state has it" state_has lxd_ovn_network.imp
check "import: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ import with a minimal configuration
check "minimal import: lxc network create with keys" lxc_n1 network create tfmin --type=ovn \
	network=tfup dns.domain=min.example.test user.owner=ops ipv4.nat=true
min_hcl='
resource "lxd_ovn_network" "min" {
  name   = "tfmin"
  uplink = "tfup"
}'
main_tf second b.example.test blue 'mtu = 1400' "$imp_hcl
$min_hcl"
check "minimal import: terraform import" tf_show_on_fail import -input=false -no-color lxd_ovn_network.min tfmin
check "minimal import: plan is empty" expect_exit 0 plan_exit
check "minimal import: state rm (left alone)" tf_show_on_fail state rm lxd_ovn_network.min
check "minimal import: delete it" lxc_n1 network delete tfmin

# ------------------------------------------------------------ project with features.networks
check "project: create tfproj with features.networks" lxc_n1 project create tfproj -c features.networks=true
check "project: create a network in it with lxc" lxc_n1 network create tfpimp --project tfproj \
	--type=ovn network=tfup user.where=project
proj_hcl='
resource "lxd_ovn_network" "p" {
  name        = "tfovn-p"
  project     = "tfproj"
  uplink      = "tfup"
  description = "in a project"
}

resource "lxd_ovn_network" "pimp" {
  name    = "tfpimp"
  project = "tfproj"
  uplink  = "tfup"
  config = {
    "user.where" = "project"
  }
}'
main_tf second b.example.test blue 'mtu = 1400' "$imp_hcl
$proj_hcl"
check "import: terraform import PROJECT/NAME" tf_show_on_fail import -input=false -no-color lxd_ovn_network.pimp tfproj/tfpimp
check "import: project/name plan only adds the new network" expect_exit 2 plan_exit
check "import: ... 1 to add, 0 to change" out_has '1 to add, 0 to change, 0 to destroy'
check "project: apply" apply_ok
check "project: network in tfproj" api_eq "$(net_api tfovn-p tfproj)" .description 'in a project'
check "project: not in default" net_absent tfovn-p default
check "project: chassis active" chassis_active tfovn-p tfproj
check "project: plan is empty" expect_exit 0 plan_exit
check "project: change the description outside terraform" api_do PATCH "$(net_api tfovn-p tfproj)" '{"description":"changed"}'
check "project: server has the new description" api_eq "$(net_api tfovn-p tfproj)" .description changed
check "project: drift detected (exit 2)" expect_exit 2 plan_exit
check "project: apply" apply_ok
check "project: plan is empty after apply" expect_exit 0 plan_exit

# ------------------------------------------------------------ delete in use
check "in use: a profile uses the network" lxc_n1 profile device add default eth0 nic network=tfimp name=eth0
main_tf second b.example.test blue 'mtu = 1400' "$proj_hcl"
check "in use: plan wants to destroy tfimp" expect_exit 2 plan_exit
check "in use: apply fails" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "in use: error says it is in use" out_has 'OVN network is in use'
check "in use: error names the profile" out_has '/1.0/profiles/default'
check "in use: network still there" net_exists tfimp
check "in use: still in state" state_has lxd_ovn_network.imp
check "in use: free the network" lxc_n1 profile device remove default eth0
check "in use: apply now deletes it" apply_ok
check "in use: network gone" net_absent tfimp
check "in use: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ plan-time errors
tf_workdir errors
err_tf() { # err_tf UPLINK [EXTRA-ATTRS] [PROJECT]
	{
		provider_hcl
		cat <<EOF
resource "lxd_ovn_network" "bad" {
  name    = "tfbad"
  uplink  = "$1"
  project = "${3:-default}"
  ${2:-}
}
EOF
	} | write_tf
}
err_tf nosuch
require "errors: init" tf_show_on_fail init -input=false -no-color
check "missing uplink: plan fails (exit 1)" expect_exit 1 plan_exit
check "missing uplink: says not found" out_has 'Uplink network not found'
check "missing uplink: names it" out_has 'nosuch'
err_tf tfbare
check "uplink without ranges: plan fails (exit 1)" expect_exit 1 plan_exit
check "uplink without ranges: says what to set" out_has 'ipv4.ovn.ranges'
check "uplink without ranges: names the uplink" out_has 'tfbare'
err_tf tfup 'dns_domain = "x.test"
  config = { "dns.domain" = "y.test" }'
check "key set twice: plan fails (exit 1)" expect_exit 1 plan_exit
check "key set twice: error" out_has 'Config key set twice'
err_tf tfup 'config = { "network" = "tfup" }'
check "network in config: plan fails (exit 1)" expect_exit 1 plan_exit
check "network in config: points at uplink" out_has 'Uplink set in config'
check "setup: project without features.networks" lxc_n1 project create tfplain
err_tf tfup '' tfplain
check "project without networks: plan fails (exit 1)" expect_exit 1 plan_exit
check "project without networks: says features.networks" out_has 'features.networks'
check "errors: nothing created" net_absent tfbad
check "errors: state empty" state_empty

# ------------------------------------------------------------ data source: missing, project, unmanaged
{
	provider_hcl
	cat <<'EOF'
data "lxd_network" "missing" {
  name = "tfnosuch"
}
EOF
} | write_tf
check "data missing: plan fails (exit 1)" expect_exit 1 plan_exit
check "data missing: says not found" out_has 'Network not found'
{
	provider_hcl
	cat <<'EOF'
data "lxd_network" "p" {
  name    = "tfovn-p"
  project = "tfproj"
}

data "lxd_network" "lo" {
  name = "lo"
}

output "p_type" {
  value = data.lxd_network.p.type
}

output "p_uplink" {
  value = data.lxd_network.p.config["network"]
}

output "p_status" {
  value = data.lxd_network.p.status
}

output "lo_managed" {
  value = data.lxd_network.lo.managed
}
EOF
} | write_tf
check "data project: apply" apply_ok
check "data project: type ovn" output_is p_type . ovn
check "data project: config has the uplink" output_is p_uplink . tfup
check "data project: status" output_is p_status . Created
check "data unmanaged: lo is not managed" output_is lo_managed . false
check "data: plan is empty" expect_exit 0 plan_exit
check "data: destroy (data sources only)" tf_show_on_fail destroy -auto-approve -input=false -no-color

# ------------------------------------------------------------ import of a missing network
err_tf tfup
check "ghost: import of a missing network fails" expect_exit 1 tf import -input=false -no-color lxd_ovn_network.bad tfbad
check "ghost: Cannot import non-existent remote object" out_has 'Cannot import non-existent remote object'
check "ghost: state empty" state_empty

# ------------------------------------------------------------ name taken by a network made outside
check "exists: create tfbad outside terraform" lxc_n1 network create tfbad --type=ovn \
	network=tfup user.mine=yes
check "exists: apply fails" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "exists: says already exists" out_has 'Network already exists'
check "exists: suggests import" out_has 'terraform import'
check "exists: not adopted into state" state_empty
check "exists: network untouched" api_eq "$(net_api tfbad)" '.config["user.mine"]' yes
check "exists: plan still wants to create (exit 2)" expect_exit 2 plan_exit
check "exists: remove it again" lxc_n1 network delete tfbad

# ------------------------------------------------------------ destroy
tf_workdir main
check "destroy: terraform destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "destroy: state is empty" state_empty
check "destroy: tfovn-a gone" net_absent tfovn-a
check "destroy: tfovn-p gone" net_absent tfovn-p tfproj
check "destroy: tfpimp gone" net_absent tfpimp tfproj
check "destroy: no OVN logical routers left" routers_are 0
check "destroy: uplink untouched" net_exists tfup
check "destroy: plan would create again (exit 2)" expect_exit 2 plan_exit

e2e_end

#!/usr/bin/env bash
# shellcheck disable=SC2317  # helpers run indirectly through check
# List resources (ListResource, tfplugin6 6.10) of the real binary against a
# real LXD rig and the k8s emulator, through tests/tfclient (an independent
# Python client that starts the provider as go-plugin does, configures it
# and reads the stream as Terraform's GRPCProvider.ListResource does).
#
# Terraform 1.11 (the CLI installed here) cannot run `terraform query` or
# read `list` blocks (they arrived in 1.14), so this scenario drives the
# protocol directly; every check names the Terraform rule it mirrors
# (tests/tfclient/tfc/checker.py SOURCES):
#  - list-identity: every event carries identity data and a display name,
#    and no more than `limit` events come (Terraform stops reading there);
#  - list-object-read: with include_resource, each resource_object equals
#    what ImportResourceState by the event's identity then ReadResource
#    return, so `terraform query -generate-config-out` followed by the
#    import plans empty;
#  - list-unknown-type: a type without a list resource answers an error;
#  - list-stop: StopProvider ends a long list early.
# A few hundred storage pools (LXD) and Clusters (k8s emulator, more than
# one LIST page) are listed.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin list_protocol

TFC_DIR=$REPO_ROOT/tests/tfclient
BIN=${E2E_BIN:-$REPO_ROOT/build/terraform-provider-lxdcapi}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
OUT=$E2E_WORK/out
mkdir -p "$OUT"
NPOOLS=${E2E_LIST_POOLS:-300}
NCLUSTERS=${E2E_LIST_CLUSTERS:-620} # > one 500-object LIST page
NMDS=12

e2e_say "Terraform 1.11 cannot run 'terraform query' (list blocks need 1.14): the protocol is driven by tests/tfclient"

# tfc NAME ARGS... — run the client (JSON in $OUT/NAME.json, provider log in
# $OUT/NAME.log); fails when it did not start, answer or exit 0 after
# Shutdown, or the provider logged a sanitizer report.
tfc() {
	local name=$1
	shift
	if ! timeout 600 "$PY" -B "$TFC_DIR/tfclient.py" "$BIN" \
		--stderr "$OUT/$name.log" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"; then
		echo "  tfclient $* failed:"
		sed 's/^/  | /' "$OUT/$name.err" | tail -n 30
		return 1
	fi
	if grep -qE "$E2E_SANITIZER_PATTERN" "$OUT/$name.log"; then
		grep -E -A5 "$E2E_SANITIZER_PATTERN" "$OUT/$name.log" | head -n 20 | sed 's/^/  | /'
		return 1
	fi
}

# is NAME JQ-FILTER — the filter holds on NAME's JSON (printed if not).
is() {
	if ! jq -e "$2" "$OUT/$1.json" >/dev/null; then
		echo "  jq '$2' is false on $OUT/$1.json:"
		jq -c '. | del(.events) + {first_events: (.events // [])[:3]}' "$OUT/$1.json" | cut -c1-1500 | sed 's/^/  | /'
		return 1
	fi
}

NO_PROBLEMS='.status == "OK" and .problems == []'
ALL_IDENTIFIED='all(.events[]; .identity != null and .display_name != "" and .errors == [])'

# ---------------------------------------------------------------- LXD

rig_start e2e-lst 1
LXD_CFG=$(jq -cn --arg s "$RIG_N1_SOCKET" '{socket: $s}')

e2e_say "creating $NPOOLS storage pools"
# mk_pool I — one clustered dir pool (the member's step, then the global
# one), its description and rsync.bwlimit derived from I.
mk_pool() {
	local n
	n=$(printf 'lp%04d' "$1")
	api_do POST "/1.0/storage-pools?target=node1" "{\"name\":\"$n\",\"driver\":\"dir\"}" &&
		api_do POST /1.0/storage-pools "{\"name\":\"$n\",\"driver\":\"dir\",\"description\":\"pool $1\",\"config\":{\"rsync.bwlimit\":\"${1}MB\"}}"
}
export -f mk_pool api_do api rig_api rig_wait_op rig_fail
export RIG_N1_SOCKET
mk_pools() {
	seq 0 $((NPOOLS - 1)) | xargs -P 4 -I{} bash -c 'mk_pool {}'
}
require "LXD: $NPOOLS pools created through the API" mk_pools
mapfile -t POOLS < <(api_get /1.0/storage-pools | jq -r '.[] | sub(".*/"; "")' | sort)
TOTAL=${#POOLS[@]}
printf '%s\n' "${POOLS[@]}" >"$OUT/pools.want"

check "lxd_storage_pool: list of every pool" \
	tfc pools --configure "$LXD_CFG" list lxd_storage_pool --limit 100000
check "lxd_storage_pool: OK, no rule broken [list-identity]" is pools "$NO_PROBLEMS"
check "lxd_storage_pool: every event has identity and display name [list-identity]" \
	is pools "$ALL_IDENTIFIED"
check "lxd_storage_pool: exactly the server's $TOTAL pools, identity name = display name" \
	is pools "([.events[].identity.name] | sort) == $(jq -Rnc '[inputs]' "$OUT/pools.want")
	 and all(.events[]; .identity.name == .display_name)"
check "lxd_storage_pool: no resource_object without include_resource" \
	is pools 'all(.events[]; has("resource_object") | not)'
e2e_say "listed $TOTAL pools in $(jq .seconds "$OUT/pools.json") s"

check "lxd_storage_pool: limit 7" \
	tfc pools7 --configure "$LXD_CFG" list lxd_storage_pool --limit 7
check "lxd_storage_pool: exactly 7 events [list-identity: limit]" \
	is pools7 "$NO_PROBLEMS and (.events | length) == 7"

check "lxd_storage_pool: include_resource, each compared with import by identity + read" \
	tfc poolsfull --configure "$LXD_CFG" list lxd_storage_pool --limit 40 \
	--include-object --check-read
check "lxd_storage_pool: resource_object = ReadResource after import [list-object-read]" \
	is poolsfull "$NO_PROBLEMS and .reads_checked == 40 and (.events | length) == 40"
check "lxd_storage_pool: resource_object is the live pool (description, config)" \
	is poolsfull '[.events[] | select(.display_name == "lp0003")][0].resource_object
	 | .description == "pool 3" and .config["rsync.bwlimit"] == "3MB" and .driver == "dir"'

check "lxd_storage_pool: include_resource over every pool" \
	tfc poolsall --configure "$LXD_CFG" list lxd_storage_pool --limit 100000 --include-object
check "lxd_storage_pool: $TOTAL full objects, no rule broken" \
	is poolsall "$NO_PROBLEMS and (.events | length) == $TOTAL
	 and all(.events[]; .resource_object.name == .display_name)"
e2e_say "listed $TOTAL full pools in $(jq .seconds "$OUT/poolsall.json") s"

check "lxd_storage_pool: StopProvider after 5 of $TOTAL (include_resource)" \
	tfc poolstop --configure "$LXD_CFG" list-stop lxd_storage_pool --include-object \
	--limit 100000 --after 5 --total "$TOTAL"
check "lxd_storage_pool: the stream ended early [list-stop]" \
	is poolstop '.problems == [] and .stopped'
e2e_say "after StopProvider: $(jq -c '{status, events_after_stop, seconds_after_stop}' "$OUT/poolstop.json")"

check "lxd_storage_pool: unconfigured provider" tfc pools_unconf list lxd_storage_pool
check "lxd_storage_pool: unconfigured: one error event" \
	is pools_unconf '.status == "OK" and (.events | length) == 1
	 and .events[0].errors == ["Provider is not configured"]'

check "unknown type" tfc unknown --configure "$LXD_CFG" list lxd_no_such_thing
check "unknown type: an error event [list-unknown-type]" \
	is unknown '.problems == [] and .events[0].errors == ["Unsupported list resource type"]'

check "lxd_node: list with include_resource" \
	tfc nodes --configure "$LXD_CFG" list lxd_node --include-object --check-read
check "lxd_node: node1, read-equal [list-identity, list-object-read]" \
	is nodes "$NO_PROBLEMS and ([.events[].display_name]) == [\"node1\"] and .reads_checked == 1"

check "lxd_ovn_network: list in project default" \
	tfc ovn --configure "$LXD_CFG" list lxd_ovn_network --config '{"project": "default"}'
check "lxd_ovn_network: no OVN network on this rig: no event, no error (bridges skipped)" \
	is ovn "$NO_PROBLEMS and .events == []"

check "schema: list resource schemas of lxd" tfc lxdschema schema
check "schema: lxd lists pools, OVN networks (by project) and nodes" \
	is lxdschema '(.list_resources | keys) == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]
	 and (.list_resources.lxd_ovn_network.attributes | keys) == ["project"]'

# ---------------------------------------------------------------- k8s

emu_up emu
K8S_CFG=$(jq -cn --arg k "$EMU_DIR/kubeconfig" '{kubeconfig_path: $k}')
G_CAPI=/apis/cluster.x-k8s.io/v1beta2/namespaces/default

e2e_say "creating $NCLUSTERS paused Clusters and $NMDS MachineDeployments"
# mk_cluster I / mk_md I — one paused Cluster (label env=prod|test) /
# one MachineDeployment of Cluster c0000 (label tier=t0..t2).
mk_cluster() {
	local n env
	n=$(printf 'c%04d' "$1")
	env=$([[ $(($1 % 2)) == 0 ]] && echo prod || echo test)
	emu_curl POST "$G_CAPI/clusters" \
		"{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"$n\",\"labels\":{\"env\":\"$env\"}},\"spec\":{\"paused\":true}}" |
		jq -e '.metadata.uid' >/dev/null
}
mk_md() {
	local n
	n=$(printf 'md%02d' "$1")
	emu_curl POST "$G_CAPI/machinedeployments" \
		"{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"MachineDeployment\",\"metadata\":{\"name\":\"$n\",\"labels\":{\"tier\":\"t$(($1 % 3))\"}},\"spec\":{\"clusterName\":\"c0000\",\"replicas\":0,\"selector\":{\"matchLabels\":{\"pool\":\"$n\"}},\"template\":{\"metadata\":{\"labels\":{\"pool\":\"$n\"}},\"spec\":{\"clusterName\":\"c0000\",\"bootstrap\":{\"configRef\":{\"apiGroup\":\"bootstrap.cluster.x-k8s.io\",\"kind\":\"KubeadmConfigTemplate\",\"name\":\"$n\"}},\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\",\"kind\":\"LXCMachineTemplate\",\"name\":\"$n\"}}}}}" |
		jq -e '.metadata.uid' >/dev/null
}
export -f mk_cluster mk_md emu_curl
export G_CAPI EMU_DIR EMU_URL
mk_k8s() {
	seq 0 $((NCLUSTERS - 1)) | xargs -P 6 -I{} bash -c 'mk_cluster {}' &&
		seq 0 $((NMDS - 1)) | xargs -P 6 -I{} bash -c 'mk_md {}'
}
require "k8s: objects created in the emulator" mk_k8s

check "k8s_cluster: list of every Cluster" \
	tfc clusters --type k8s --configure "$K8S_CFG" list k8s_cluster --limit 100000
check "k8s_cluster: $NCLUSTERS events, identity {namespace, name} [list-identity]" \
	is clusters "$NO_PROBLEMS and $ALL_IDENTIFIED and (.events | length) == $NCLUSTERS
	 and all(.events[]; .identity.namespace == \"default\"
	 and .display_name == \"default/\" + .identity.name)"
check "k8s_cluster: more than one LIST page (limit/continue), each of at most 500" \
	bash -c "grep -c 'clusters?limit=500' '$EMU_DIR/emu.log' | grep -qx '[2-9]' &&
		grep -q 'clusters?limit=500&continue=' '$EMU_DIR/emu.log'"
e2e_say "listed $NCLUSTERS Clusters in $(jq .seconds "$OUT/clusters.json") s"

check "k8s_cluster: label_selector env=prod" \
	tfc prod --type k8s --configure "$K8S_CFG" list k8s_cluster --limit 100000 \
	--config '{"namespace": "default", "label_selector": "env=prod"}'
check "k8s_cluster: only the $((NCLUSTERS / 2)) prod Clusters" \
	is prod "$NO_PROBLEMS and (.events | length) == $((NCLUSTERS / 2))
	 and all(.events[]; (.identity.name[1:] | tonumber) % 2 == 0)"

check "k8s_cluster: limit 3 (one page of 3 asked)" \
	tfc c3 --type k8s --configure "$K8S_CFG" list k8s_cluster --limit 3
check "k8s_cluster: exactly 3 events [list-identity: limit]" \
	is c3 "$NO_PROBLEMS and (.events | length) == 3"
check "k8s_cluster: the page asked for was limit=3" \
	grep -q 'clusters?limit=3 ' "$EMU_DIR/emu.log"

check "k8s_cluster: include_resource compared with import + read" \
	tfc cfull --type k8s --configure "$K8S_CFG" list k8s_cluster --limit 15 \
	--include-object --check-read
check "k8s_cluster: resource_object = ReadResource after import [list-object-read]" \
	is cfull "$NO_PROBLEMS and .reads_checked == 15"

check "k8s_cluster: bad label selector" \
	tfc badsel --type k8s --configure "$K8S_CFG" list k8s_cluster \
	--config '{"label_selector": "env in (prod"}'
check "k8s_cluster: bad label selector: an error event naming the list" \
	is badsel '.status == "OK" and (.events | length) == 1
	 and (.events[0].errors[0] | startswith("Cannot list Cluster objects"))'

check "k8s_cluster: StopProvider after 3 (include_resource)" \
	tfc cstop --type k8s --configure "$K8S_CFG" list-stop k8s_cluster --include-object \
	--limit 100000 --after 3 --total "$NCLUSTERS"
check "k8s_cluster: the stream ended early [list-stop]" is cstop '.problems == [] and .stopped'

check "k8s_machine_pool: list with include_resource" \
	tfc mds --type k8s --configure "$K8S_CFG" list k8s_machine_pool --include-object --check-read
check "k8s_machine_pool: $NMDS MachineDeployments, read-equal [list-identity, list-object-read]" \
	is mds "$NO_PROBLEMS and (.events | length) == $NMDS and .reads_checked == $NMDS"
check "k8s_machine_pool: label_selector tier=t1" \
	tfc mdsel --type k8s --configure "$K8S_CFG" list k8s_machine_pool \
	--config '{"label_selector": "tier=t1"}'
check "k8s_machine_pool: $((NMDS / 3)) events" is mdsel "$NO_PROBLEMS and (.events | length) == $((NMDS / 3))"
check "k8s_machine_pool: another namespace is empty" \
	tfc mdns --type k8s --configure "$K8S_CFG" list k8s_machine_pool --config '{"namespace": "other"}'
check "k8s_machine_pool: no event, OK" is mdns "$NO_PROBLEMS and .events == []"

e2e_end

#!/usr/bin/env bash
# shellcheck disable=SC2317  # helpers run indirectly through check
# The provider binary through tests/tfclient, an independent tfplugin6
# client in Python that starts it exactly as Terraform (go-plugin) does:
# magic cookie, PLUGIN_PROTOCOL_VERSIONS, ports, a fresh AutoMTLS client
# certificate; the handshake line and the server certificate checked as
# go-plugin checks them; mutual TLS over the unix socket; Shutdown, then
# the process must exit 0 within go-plugin's 2 s and remove its socket.
# No LXD or Terraform run is needed. Runs the client's own tests first.
#
# What the provider answers is asserted as is: GetResourceIdentity-
# Schemas lists every resource; ListResource (a server stream) of a
# listable type answers, without a configured provider, one event
# carrying an error diagnostic, then OK, promptly; an unknown type the
# same; ValidateListResourceConfig validates the list block. Listing real
# objects: tests/e2e/test_list_protocol.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin protocol_client

TFC_DIR=$REPO_ROOT/tests/tfclient
BIN=${E2E_BIN:-$REPO_ROOT/build/terraform-provider-lxdcapi}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3 || true)
OUT=$E2E_WORK/out
mkdir -p "$OUT"

missing=()
[[ -n $PY ]] || missing+=("python3")
for c in jq protoc; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
if ((${#missing[@]} > 0)); then
	fail "required tools are missing: ${missing[*]} (run tests/deps.sh)"
	E2E_ENDED=1
	exit 1
fi

check "tfclient's own tests pass (codec, checker, mTLS, fake plugin)" \
	"$TFC_DIR/run-tests.sh"

# tfc NAME ARGS... — run the client, keep its JSON in $OUT/NAME.json and
# the provider's stderr in $OUT/NAME.log; fails when the provider did not
# start, answer or exit 0 after Shutdown, or logged a sanitizer report.
tfc() {
	local name=$1
	shift
	if ! timeout 120 "$PY" -B "$TFC_DIR/tfclient.py" "$BIN" \
		--stderr "$OUT/$name.log" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"; then
		echo "  tfclient $* failed:"
		sed 's/^/  | /' "$OUT/$name.err" | tail -n 30
		return 1
	fi
	if grep -qE "$E2E_SANITIZER_PATTERN" "$OUT/$name.log"; then
		echo "  sanitizer report in the provider's stderr ($OUT/$name.log):"
		grep -E -A5 "$E2E_SANITIZER_PATTERN" "$OUT/$name.log" | head -n 20 | sed 's/^/  | /'
		return 1
	fi
}

# is NAME JQ-FILTER — the filter holds on NAME's JSON (printed if not).
is() {
	if ! jq -e "$2" "$OUT/$1.json" >/dev/null; then
		echo "  jq '$2' is false on $OUT/$1.json:"
		jq -c . "$OUT/$1.json" | cut -c1-600 | sed 's/^/  | /'
		return 1
	fi
}

# Every run ended the way go-plugin expects.
EXITED='.exit_code == 0 and .shutdown_seconds < 2 and .socket_removed'

# ---------------------------------------------------------------- handshake

for i in 1 2 3 4 5; do
	check "handshake $i: started, mTLS, Shutdown, exit 0" tfc "hs$i" handshake
	check "handshake $i: 1|6|unix|<abs path>|grpc|<unpadded cert>" is "hs$i" \
		'.core == 1 and .app == 6 and .network == "unix" and .protocol == "grpc"
		 and (.address | startswith("/")) and .cert_chars > 50
		 and (.cert_padded | not) and .socket_exists'
	check "handshake $i: server cert for localhost, client cert P-521" is "hs$i" \
		'.server_cert.san_dns == ["localhost"] and .server_cert.ca
		 and .client_cert.curve == "secp521r1"
		 and .client_cert.san_dns == ["localhost"]'
	check "handshake $i: exit after Shutdown" is "hs$i" "$EXITED"
done

check "plaintext (no PLUGIN_CLIENT_CERT): empty cert field, calls work" \
	tfc plain --no-tls schema
check "plaintext: schema answered" is plain '.status == "OK" and (.resources | length) == 3'

# ---------------------------------------------------------------- schemas

check "lxd: GetProviderSchema" tfc lxd_schema --type lxd schema
check "lxd: resources, data sources, no diagnostics" is lxd_schema \
	'.status == "OK"
	 and (.resources | keys) == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]
	 and (.data_sources | keys) == ["lxd_cluster","lxd_network","lxd_server"]
	 and .diagnostics == [] and (.has_provider_meta | not)'
check "lxd: capabilities plan_destroy, get_provider_schema_optional, generate_resource_config, move_resource_state" \
	is lxd_schema '.server_capabilities.plan_destroy and
	 .server_capabilities.get_provider_schema_optional and
	 .server_capabilities.generate_resource_config and
	 .server_capabilities.move_resource_state'
check "lxd: lxd_storage_pool has name (required) and driver" is lxd_schema \
	'(.resources.lxd_storage_pool.attributes.name.flags | index("required"))
	 and .resources.lxd_storage_pool.attributes.driver.type == "string"'
check "lxd: list resource schemas for the three resources" is lxd_schema \
	'(.list_resources | keys) == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]'
check "lxd: exit after Shutdown" is lxd_schema "$EXITED"

# Write-only attributes (Terraform 1.11+): flagged in the schema, and a
# client that does not announce write_only_attributes_allowed (Terraform
# before 1.11, which sends client_capabilities without it, or none at
# all) is refused at validation with an error naming each one it sets.
check "lxd: join_target.client_key and password are write-only" is lxd_schema \
	'(.resources.lxd_node.attributes.join_target.attributes.client_key.flags | index("write_only"))
	 and (.resources.lxd_node.attributes.join_target.attributes.password.flags | index("write_only"))
	 and ([.provider[].flags[]? | select(. == "write_only")] == [])'
JOIN='{"name":"n2","join_target":{"address":"https://203.0.113.2:8443","client_certificate":"C","client_key":"K","password":"P"}}'
check "lxd: validate, old client, secrets set" tfc wo_old --type lxd validate lxd_node --config "$JOIN"
check "lxd: old client: one error per write-only attribute set, at its path" is wo_old \
	'.status == "OK" and ([.diagnostics[] | select(.severity == 1 and .summary == "Write-only attribute not supported") | .path]
	 == [["join_target","client_key"],["join_target","password"]])
	 and (.diagnostics[0].detail | test("Terraform 1.11"))'
check "lxd: validate, no capabilities at all" tfc wo_none --type lxd validate lxd_node --no-capabilities --config "$JOIN"
check "lxd: no capabilities: the same errors" is wo_none '(.diagnostics | length) == 2'
check "lxd: validate, Terraform 1.11 capabilities" tfc wo_new --type lxd validate lxd_node --write-only-allowed --config "$JOIN"
check "lxd: write_only_attributes_allowed: no diagnostics" is wo_new '.status == "OK" and .diagnostics == []'
check "lxd: validate, old client, no secret set" tfc wo_unset --type lxd validate lxd_node \
	--config '{"name":"n2","join_target":{"socket":"/run/lxd.socket"}}'
check "lxd: old client without write-only values: no diagnostics" is wo_unset '.diagnostics == []'

check "k8s: GetProviderSchema" tfc k8s_schema --type k8s schema
check "k8s: resources and the ephemeral kubeconfig" is k8s_schema \
	'.status == "OK"
	 and (.resources | keys) == ["k8s_cluster","k8s_machine_pool"]
	 and (.ephemeral_resources | keys) == ["k8s_cluster_kubeconfig"]
	 and .diagnostics == []'
check "k8s: exit after Shutdown" is k8s_schema "$EXITED"
check "k8s: lxd_client_key write-only, its digest computed" is k8s_schema \
	'(.resources.k8s_cluster.attributes.lxd_client_key.flags | index("write_only"))
	 and .resources.k8s_cluster.attributes.lxd_client_key_sha256.flags == ["computed"]
	 and .resources.k8s_cluster.version == 2'
check "k8s: k8s_machine_pool taints is a LIST nested attribute (schema version 1)" is k8s_schema \
	'.resources.k8s_machine_pool.version == 1
	 and .resources.k8s_machine_pool.attributes.taints.nesting == "LIST"
	 and .resources.k8s_machine_pool.attributes.taints.attributes.key.flags == ["required"]
	 and .resources.k8s_machine_pool.attributes.taints.attributes.value.type == "string"
	 and (.resources.k8s_machine_pool.attributes | has("taint") | not)'
check "k8s: validate, old client, key set" tfc wo_k8s --type k8s validate k8s_cluster \
	--config '{"name":"a","kubernetes_version":"v1.33.1","lxd_client_key":"K"}'
check "k8s: old client: the error names lxd_client_key" is wo_k8s \
	'[.diagnostics[] | select(.summary == "Write-only attribute not supported") | .path] == [["lxd_client_key"]]'

check "lxd: GetMetadata" tfc lxd_meta --type lxd metadata
check "lxd: GetMetadata names the schema's resource types" is lxd_meta \
	'.status == "OK" and ([.reply.resources[].type_name] | sort)
	 == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]'

# ---------------------------------------------------------------- moves and upgrades
# terraform-provider-lxd states (tests/data/terraform-lxd/) through
# MoveResourceState (a `moved` block, with the full address and with
# OpenTofu 1.10's local name) and UpgradeResourceState (after `terraform
# state replace-provider`); the answers checked by the checker's
# moved-state / upgraded-state rules (Terraform's own checks).
FIX=$REPO_ROOT/tests/data/terraform-lxd
OK_STATE='.status == "OK" and .errors == [] and .problems == [] and (.private // "") == ""'
# moved NAME ARGS... / refused NAME SUMMARY TEXT ARGS...
for f in storage_pool_dir_standalone_2.7.1 storage_pool_dir_standalone_3.0.2; do
	for how in move upgrade; do
		check "$f: $how into lxd_storage_pool" tfc "${how}_$f" "$how" lxd_storage_pool "$FIX/$f.json"
		check "$f: $how: a state Terraform accepts, source managed in config" is "${how}_$f" \
			"$OK_STATE and .state.config == {\"source\": \"/srv/lxd/data\"}
			 and .state.member_config == null and .state.name == \"data\""
	done
done
check "3.0.2 cluster pool: move, members become member_config" tfc mv_cl3 \
	move lxd_storage_pool "$FIX/storage_pool_dir_cluster_3.0.2.json" --source-address lxd
check "3.0.2 cluster pool: config without member keys" is mv_cl3 \
	"$OK_STATE and .state.config == {} and .state.member_config.node2.source == \"/srv/lxd/shared-n2\""
check "2.7.1 cluster pool: the cluster-wide instance moves" tfc mv_cl2 \
	move lxd_storage_pool "$FIX/storage_pool_dir_cluster_2.7.1.json" --name shared
check "2.7.1 cluster pool: member_config left to the first refresh" is mv_cl2 \
	"$OK_STATE and .state.member_config == null"
for how in move upgrade; do
	check "2.7.1 member instance: $how refused" tfc "${how}_member" "$how" lxd_storage_pool \
		"$FIX/storage_pool_dir_cluster_2.7.1.json" --name shared_node1
	check "2.7.1 member instance: $how error names target" is "${how}_member" \
		'.status == "OK" and .state == null and (.errors | length) == 1
		 and (.details[0] | contains("`target` is \"node1\""))'
done
for f in network_ovn_project_2.7.1 network_ovn_project_3.0.2; do
	check "$f: move lxd_network into lxd_ovn_network" tfc "mv_$f" \
		move lxd_ovn_network "$FIX/$f.json" --source-address lxd
	check "$f: uplink and first-class attributes" is "mv_$f" \
		"$OK_STATE and .state.uplink == \"UPLINK\" and .state.project == \"tenant-a\"
		 and .state.ipv4_nat == true and .state.ipv4_address == \"198.51.100.1/24\"
		 and .state.config == null"
	check "$f: upgrade as lxd_ovn_network (type edited in the state)" tfc "up_$f" \
		upgrade lxd_ovn_network "$FIX/$f.json"
	check "$f: upgrade gives the same state" is "up_$f" "$OK_STATE and .state.uplink == \"UPLINK\""
done
check "moves answer the target's identity (Terraform 1.12+)" is move_storage_pool_dir_standalone_3.0.2 \
	'.identity == {"name": "data"}'
check "an OVN move answers {project, name}" is mv_network_ovn_project_3.0.2 \
	'.identity == {"name": "ovn1", "project": "tenant-a"}'
check "bridge network: move refused" tfc mv_bridge move lxd_ovn_network \
	"$FIX/network_ovn_project_3.0.2.json" --set '{"type": "bridge"}'
check "bridge network: error names type" is mv_bridge \
	'.errors == ["Cannot move this resource"] and (.details[0] | contains("`type` is \"bridge\""))'
check "remote: upgrade refused" tfc up_remote upgrade lxd_storage_pool \
	"$FIX/storage_pool_dir_standalone_3.0.2.json" --set '{"remote": "site2"}'
check "remote: error names remote" is up_remote \
	'(.details[0] | contains("`remote` is \"site2\"")) and .state == null'
check "pool into lxd_ovn_network: move refused" tfc mv_cross move lxd_ovn_network \
	"$FIX/storage_pool_dir_standalone_3.0.2.json"
check "pool into lxd_ovn_network: Unsupported move" is mv_cross '.errors == ["Unsupported move"]'

# ---------------------------------------------------------------- identity

# (Identity itself, against a real LXD: test_identity_protocol.sh.)
check "lxd: GetResourceIdentitySchemas" tfc lxd_ids --type lxd identity-schemas
check "lxd: an identity schema for each resource" is lxd_ids \
	'.status == "OK" and (.reply.identity_schemas | keys)
	 == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]'
check "k8s: GetResourceIdentitySchemas" tfc k8s_ids --type k8s identity-schemas
check "k8s: an identity schema for each resource" is k8s_ids \
	'.status == "OK" and (.reply.identity_schemas | keys)
	 == ["k8s_cluster","k8s_machine_pool"]'


# ---------------------------------------------------------------- stop, unknown

for t in lxd k8s; do
	check "$t: StopProvider answered" tfc "${t}_stop" --type "$t" stop
	check "$t: StopProvider OK with an empty Error" is "${t}_stop" \
		'.status == "OK" and (.reply.Error // "") == ""'
	check "$t: process still serves after StopProvider, exits on Shutdown" \
		is "${t}_stop" "$EXITED"
done

for m in /tfplugin6.Provider/NoSuchMethod /plugin.GRPCStdio/StreamStdio \
	/tfplugin6.Provider/PlanAction /tfplugin6.Provider/GetStates; do
	n=unk_$(basename "$m")
	check "unknown method $m: UNIMPLEMENTED within 1 s" tfc "$n" raw "$m"
	check "unknown method $m: status" is "$n" \
		'.status == "UNIMPLEMENTED" and .seconds < 1'
done

# ---------------------------------------------------------------- listing

for t in lxd_storage_pool lxd_ovn_network lxd_no_such_type; do
	check "$t: ListResource stream call" tfc "list_$t" list "$t" --limit 5
	want="Provider is not configured"
	[[ $t == lxd_no_such_type ]] && want="Unsupported list resource type"
	check "$t: ListResource within 1 s: OK after one error event ($want)" \
		is "list_$t" '.status == "OK" and .seconds < 1
		 and (.events | length) == 1
		 and .events[0].errors == ["'"$want"'"]
		 and .events[0].warnings == [] and .events[0].identity == null
		 and .problems == []'
	check "$t: exit after the stream call" is "list_$t" "$EXITED"
done
check "ValidateListResourceConfig call" tfc vlist call \
	ValidateListResourceConfig '{"type_name": "lxd_storage_pool"}'
check "ValidateListResourceConfig: OK, no diagnostics (an absent config block)" is vlist \
	'.status == "OK" and (.reply.diagnostics // []) == []'
check "ValidateListResourceConfig of an unknown type" tfc vlist_bad call \
	ValidateListResourceConfig '{"type_name": "lxd_nope"}'
check "ValidateListResourceConfig of an unknown type: an error diagnostic" is vlist_bad \
	'.status == "OK" and .reply.diagnostics[0].summary == "Unsupported list resource type"'

e2e_end

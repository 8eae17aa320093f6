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
check "lxd: capabilities plan_destroy, get_provider_schema_optional and generate_resource_config" \
	is lxd_schema '.server_capabilities.plan_destroy and
	 .server_capabilities.get_provider_schema_optional and
	 .server_capabilities.generate_resource_config'
check "lxd: lxd_storage_pool has name (required) and driver" is lxd_schema \
	'(.resources.lxd_storage_pool.attributes.name.flags | index("required"))
	 and .resources.lxd_storage_pool.attributes.driver.type == "string"'
check "lxd: list resource schemas for the three resources" is lxd_schema \
	'(.list_resources | keys) == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]'
check "lxd: exit after Shutdown" is lxd_schema "$EXITED"

check "k8s: GetProviderSchema" tfc k8s_schema --type k8s schema
check "k8s: resources and the ephemeral kubeconfig" is k8s_schema \
	'.status == "OK"
	 and (.resources | keys) == ["k8s_cluster","k8s_machine_pool"]
	 and (.ephemeral_resources | keys) == ["k8s_cluster_kubeconfig"]
	 and .diagnostics == []'
check "k8s: exit after Shutdown" is k8s_schema "$EXITED"

check "lxd: GetMetadata" tfc lxd_meta --type lxd metadata
check "lxd: GetMetadata names the schema's resource types" is lxd_meta \
	'.status == "OK" and ([.reply.resources[].type_name] | sort)
	 == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]'

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

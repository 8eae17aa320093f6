#!/usr/bin/env bash
# shellcheck disable=SC2317  # helpers run indirectly through check
# Resource identity and GenerateResourceConfig against a real LXD, driven
# at the protocol level by tests/tfclient (an independent tfplugin6 client
# in Python: go-plugin handshake, AutoMTLS). Terraform 1.11, the only CLI
# here, cannot drive these: identity arrived in Terraform 1.12 (tfplugin6
# 6.9), GenerateResourceConfig in 1.14 (6.10); 1.11 sends no identity and
# never calls either RPC, so `import { identity = {...} }` cannot be run
# with the CLI on this machine.
#
# tfclient.py `lifecycle` plays Terraform's part for one resource type:
# plan and apply a create, read, plan a no-op, plan and apply an update,
# import by identity (full and with the optional attributes left out),
# by ID, refused identities, UpgradeResourceIdentity, GenerateResourceConfig
# (also with the null state Terraform 1.14.0 sends), plan and apply the
# destroy, read again. Every answer goes through tfc/checker.py, whose
# rules each cite the Terraform source they mirror:
#   identity-known     internal/terraform/node_resource_abstract_instance.go
#                      validateIdentityKnown (read, plan except create/replace,
#                      apply)
#   identity-conforms  the same file, validateIdentity
#   identity-stable    terraform-plugin-framework "Unexpected Identity Change"
#                      (core 1.14 does not compare identities; we enforce it)
#   import-identity    internal/terraform/node_resource_plan_instance.go
#                      importState: an import by identity must return one
#   genconfig-computed internal/genconfig/generate_config.go (computed-only
#                      attributes never written)
#   plan-valid         internal/plans/objchange/plan_valid.go
# The scenario asserts "no problems", and the answers themselves: the
# identity's values, its stability across Read/Plan/Apply, the ID an
# identity imports as, and a generated configuration free of server-filled
# keys (LXD's `source` of a dir pool, `volatile.*`) and computed attributes.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin identity_protocol

TFC_DIR=$REPO_ROOT/tests/tfclient
BIN=${E2E_BIN:-$REPO_ROOT/build/terraform-provider-lxdcapi}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3 || true)
OUT=$E2E_WORK/out
mkdir -p "$OUT"
if [[ -z $PY ]] || ! command -v jq >/dev/null 2>&1; then
	fail "python3 and jq are required (run tests/deps.sh)"
	E2E_ENDED=1
	exit 1
fi

rig_start id-proto 1

# tfc NAME ARGS... — run the client; JSON in $OUT/NAME.json, the
# provider's stderr in $OUT/NAME.log.
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
		echo "  sanitizer report in $OUT/$name.log"
		return 1
	fi
}

# is NAME JQ-FILTER — the filter holds on NAME's JSON (shown if not).
is() {
	if ! jq -e "$2" "$OUT/$1.json" >/dev/null; then
		echo "  jq '$2' is false on $OUT/$1.json:"
		jq -c '{problems, steps: [.steps[] | select(.errors != [] or .status != "OK")]}' \
			"$OUT/$1.json" | cut -c1-1500 | sed 's/^/  | /'
		return 1
	fi
}

# step NAME STEP — the JSON of one step of NAME's run.
step() { jq -c --arg s "$2" '.steps[] | select(.step == $s)' "$OUT/$1.json"; }

# ---------------------------------------------------------------- schemas

check "lxd: GetResourceIdentitySchemas" tfc ids --type lxd identity-schemas
check "lxd: identity schemas of the three resources, version 0" is ids \
	'.status == "OK" and (.reply.identity_schemas | keys)
	 == ["lxd_node","lxd_ovn_network","lxd_storage_pool"]
	 and ([.reply.identity_schemas[] | .version // 0] | all(. == 0))'
check "lxd: lxd_storage_pool identity {name}, required for import" is ids \
	'[.reply.identity_schemas.lxd_storage_pool.identity_attributes[]
	  | {name, r: (.required_for_import // false)}] == [{"name":"name","r":true}]'
check "lxd: lxd_ovn_network identity {project optional, name required}" is ids \
	'[.reply.identity_schemas.lxd_ovn_network.identity_attributes[]
	  | [.name, (.required_for_import // false), (.optional_for_import // false)]]
	 == [["project",false,true],["name",true,false]]'
check "k8s: GetResourceIdentitySchemas" tfc k8s_ids --type k8s identity-schemas
check "k8s: {namespace optional, name required} for both resources" is k8s_ids \
	'(.reply.identity_schemas | keys) == ["k8s_cluster","k8s_machine_pool"]
	 and ([.reply.identity_schemas[] | [.identity_attributes[]
	  | [.name, (.required_for_import // false), (.optional_for_import // false)]]]
	 | all(. == [["namespace",false,true],["name",true,false]]))'

# ---------------------------------------------------------------- lifecycle

pcfg=$(jq -cn --arg s "$RIG_N1_SOCKET" '{socket: $s}')
check "lxd_storage_pool: lifecycle through the protocol" tfc pool \
	--type lxd lifecycle lxd_storage_pool --provider-config "$pcfg" \
	--config '{"name":"id-pool","driver":"dir","description":"one","config":{"rsync.bwlimit":"1MB"}}' \
	--update '{"description":"two"}' --import-id id-pool
check "capabilities generate_resource_config and move_resource_state advertised" is pool \
	'.server_capabilities.generate_resource_config == true
	 and .server_capabilities.move_resource_state == true'
check "no problem found by the checker (rules cite Terraform's source)" \
	is pool '.problems == []'
check "every step answered OK without errors, except the refusals" is pool \
	'[.steps[] | select(.status != "OK" or (.errors != [] and
	  (.step | test("bad|missing|newer") | not)))] == []'
check "plan of the create: identity {name} already known" is pool \
	'(.steps[] | select(.step == "plan-create") | .identity) == {"name":"id-pool"}'
check "apply, read, update: the same identity" is pool \
	'.identity == {"name":"id-pool"} and .read_identity == .identity
	 and .update_identity == .identity
	 and ([.steps[] | select(.step | test("plan-noop|plan-update|apply-update|plan-destroy"))
	  | .identity] | all(. == {"name":"id-pool"}))'
check "the update reached LXD (read back after the import)" is pool \
	'."import-by-identity-state".description == "two"
	 and ."import-by-identity-state".config == {"rsync.bwlimit":"1MB"}'
check "import by identity: identity and state answered" is pool \
	'."import-by-identity" == {"name":"id-pool"}
	 and ."import-by-identity-read" == {"name":"id-pool"}
	 and ."import-by-identity-minimal" == {"name":"id-pool"}'
check "import by ID answers with the identity too" is pool \
	'."import-by-id" == {"name":"id-pool"}'
check "import by identity with '/' in the name refused" is pool \
	'[.steps[] | select(.step == "import-bad-slash") | .errors[]
	  | test("Invalid import identity")] == [true]'
check "import by identity without the required name refused" is pool \
	'[.steps[] | select(.step == "import-missing-required") | .errors[]
	  | test("Invalid import identity")] == [true]'
check "UpgradeResourceIdentity of version 0 answers the same identity" is pool \
	'."upgrade-v0" == {"name":"id-pool"}'
check "UpgradeResourceIdentity of a newer version refused" is pool \
	'[.steps[] | select(.step == "upgrade-identity-newer") | .errors[]
	  | test("newer provider")] == [true]'
check "generated configuration: what a user writes" is pool \
	'.generated.name == "id-pool" and .generated.driver == "dir"
	 and .generated.description == "two"
	 and .generated.config == {"rsync.bwlimit":"1MB"}'
check "generated configuration: no computed or server-filled values" is pool \
	'.generated.status == null and .generated.locations == null
	 and .generated.member_config == null
	 and (.generated.config | keys | map(select(. == "source" or startswith("volatile.")))) == []'
check "GenerateResourceConfig with the null state (Terraform 1.14.0): OK, null" is pool \
	'.generated_null == null and ([.steps[] | select(.step == "generate-config-null-state")
	  | .status == "OK" and .errors == []] == [true])'
check "destroy: gone from LXD and reads as gone, without identity" is pool \
	'.gone_after_destroy == true'
check "pool deleted on the server" pool_absent id-pool

# ---------------------------------------------------------------- k8s_cluster
# The same life for k8s_cluster against the Kubernetes API emulator
# (tests/k8s-emu): identity {namespace, name}, namespace optional for import.

EMU_DELAY=0.05 emu_up emu
kcfg=$(jq -cn --arg p "$EMU_DIR/kubeconfig" '{kubeconfig_path: $p}')
check "k8s_cluster: lifecycle through the protocol" tfc kc \
	--type k8s lifecycle k8s_cluster --provider-config "$kcfg" \
	--config '{"name":"idc","kubernetes_version":"v1.33.1","control_plane_replicas":1,
	  "flavor":"c2-m4","profiles":["default"],"load_balancer":"ovn",
	  "load_balancer_network":"k8s-net","lxd_server_url":"https://192.0.2.10:8443",
	  "lxd_client_certificate":"test-certificate","lxd_client_key":"test-key"}' \
	--update '{"control_plane_replicas":3}' --import-id default/idc
check "k8s_cluster: no problem found by the checker" is kc '.problems == []'
check "k8s_cluster: every step OK, except the refusals" is kc \
	'[.steps[] | select(.status != "OK" or (.errors != [] and
	  (.step | test("bad|missing|newer") | not)))] == []'
check "k8s_cluster: plan of the create: name known, namespace default or unknown" is kc \
	'(.steps[] | select(.step == "plan-create") | .identity)
	 | .name == "idc" and (.namespace == "default" or .namespace == "<unknown>")'
check "k8s_cluster: apply, read, update: {namespace: default, name: idc}" is kc \
	'.identity == {"namespace":"default","name":"idc"} and .read_identity == .identity
	 and .update_identity == .identity'
check "k8s_cluster: the update was applied (3 control-plane replicas)" is kc \
	'."import-by-identity-state".control_plane_replicas == 3'
check "k8s_cluster: import by identity without namespace uses default" is kc \
	'."import-by-identity-minimal" == {"namespace":"default","name":"idc"}
	 and ."import-by-identity-minimal-read" == ."import-by-identity-minimal"
	 and ."import-by-id" == {"namespace":"default","name":"idc"}'
check "k8s_cluster: generated configuration without computed or sensitive values" is kc \
	'.generated.name == "idc" and .generated.kubernetes_version == "v1.33.1"
	 and .generated.lxd_client_key == null and .generated.lxd_client_certificate == null
	 and .generated.control_plane_replicas == 3'
check "k8s_cluster: destroy: reads as gone" is kc '.gone_after_destroy == true'

e2e_end

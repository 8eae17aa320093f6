#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_node joining a server reached over HTTPS: a 1-member cluster plus a
# standalone daemon 2 that listens on 203.0.113.2:8443 with a trust
# password. Terraform (and so the provider) runs inside member 1's network
# namespace, the only place that address is reachable from. The provider
# pins daemon 2's certificate, gets a fresh client certificate trusted with
# the password, and joins it (Incus 6.0 has no trust password: there the
# secret is a trust token daemon 2 issued, which `password` carries); a
# wrong pin is refused before anything changes. The client key and
# password are write-only: absent from the saved plan (`terraform show
# -json`, the plan file) and the state, a changed one plans nothing, and a
# version-0 state holding them is upgraded without them. Then daemon 2
# dies: removal is refused until `force = true`.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin node_https
rig_start nodeh 1
if ! "$RIG" standalone nodeh 2; then
	fail "could not start standalone daemon 2 of rig nodeh"
	e2e_end
fi
eval "$(rig_standalone_env nodeh 2)"

rig_api "$RIG_N2_SOCKET" PATCH /1.0 \
	"{\"config\":{\"core.https_address\":\"$RIG_N2_ADDRESS\"}}" >/dev/null
if [[ $RIG_SERVER == incus ]]; then
	# A trust token (what `incus config trust add` prints): base64 JSON.
	secret=$(RIG_NOWAIT=1 rig_api "$RIG_N2_SOCKET" POST /1.0/certificates \
		'{"name":"e2e-node","type":"client","token":true}' |
		jq -cj '.metadata.metadata | {client_name: .request.name, fingerprint,
			addresses, secret, expires_at: (.expiresAt // "0001-01-01T00:00:00Z")}' |
		base64 -w0)
else
	secret=sekret-e2e
	rig_api "$RIG_N2_SOCKET" PATCH /1.0 "{\"config\":{\"core.trust_password\":\"$secret\"}}" >/dev/null
fi
fp2=$(curl --silent --max-time 30 --unix-socket "$RIG_N2_SOCKET" http://lxd/1.0 |
	jq -r .metadata.environment.certificate_fingerprint)

member_absent() { [[ $(api_get "/1.0/cluster/members/$1") == null ]]; }
member_present() { [[ $(api_get "/1.0/cluster/members/$1") != null ]]; }
n2_cert_count() {
	[[ $(curl -s --max-time 30 --unix-socket "$RIG_N2_SOCKET" http://lxd/1.0/certificates |
		jq '.metadata | length') == "$1" ]]
}
not_in_provider_logs() { ! grep -rqF -- "$1" "$TF_DIR"/logs/*.tflog; }

# Terraform in member 1's namespace: a wrapper used as $TERRAFORM.
wrapper=$E2E_WORK/terraform-in-netns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$RIG_N1_NETNS" "$TERRAFORM" >"$wrapper"
chmod +x "$wrapper"
TERRAFORM=$wrapper

# The trust password reaches the configuration as an ephemeral variable
# (and the key through file()), so neither the configuration text nor the
# variables a saved plan records hold them: what is checked below is what
# the provider and Terraform store.
export TF_VAR_join_password=$secret

tf_workdir main
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$TF_DIR/client.key" -out "$TF_DIR/client.crt" -days 1 -subj /CN=e2e-node \
	>/dev/null 2>&1

# https_tf FINGERPRINT [EXTRA-HCL]
https_tf() {
	{
		provider_hcl
		cat <<EOF
resource "lxd_node" "n2" {
  name = "node2"
  join_target {
    address            = "https://$RIG_N2_ADDRESS"
    client_certificate = file("\${path.module}/client.crt")
    client_key         = file("\${path.module}/client.key")
    server_fingerprint = "$1"
    password           = var.join_password
  }
  failure_domain = "remote"
  ${2:-}
}

output "n2_url" {
  value = lxd_node.n2.url
}

variable "join_password" {
  type      = string
  ephemeral = true
  sensitive = true
}
EOF
	} | write_tf
}

https_tf "$(printf '%064d' 0)"
require "init" tf_show_on_fail init -input=false -no-color
check "wrong pin: apply fails" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "wrong pin: the error names the certificate" out_has 'certificate|fingerprint'
check "wrong pin: daemon 2 did not join" member_absent node2
check "wrong pin: our certificate was not added to daemon 2" n2_cert_count 0

https_tf "$fp2"
# join_target.client_key and .password are write-only (Terraform 1.11+): the
# saved plan and the state never hold them, yet the join uses them.
key_line=$(sed -n 2p "$TF_DIR/client.key")
no_secret_in() {
	local f
	for f in "$@"; do
		if grep -qF -e "$secret" -e "$key_line" "$f"; then
			echo "  $f holds a join secret"
			return 1
		fi
	done
}
show_plan_clean() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json join.tfplan) >"$TF_DIR/plan.json" || return 1
	jq -e '.resource_changes[] | select(.address == "lxd_node.n2") | .change.after.join_target
		| (.password == null) and (.client_key == null) and (.address != null)' \
		"$TF_DIR/plan.json" >/dev/null || {
		echo "  the planned join_target is not as expected"
		return 1
	}
	python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.stdout.buffer.write(b"".join(z.read(n) for n in z.namelist()))' \
		"$TF_DIR/join.tfplan" >"$TF_DIR/plan.unzipped" || return 1
	no_secret_in "$TF_DIR/plan.json" "$TF_DIR/plan.unzipped"
}
check "join over HTTPS: saved plan" tf_show_on_fail plan -input=false -no-color -out=join.tfplan
check "join over HTTPS: the saved plan holds no secret (show -json, plan file)" show_plan_clean
check "join over HTTPS: apply the saved plan" tf_show_on_fail apply -input=false -no-color join.tfplan
check "join over HTTPS: plan is empty" expect_exit 0 plan_exit
check "join over HTTPS: terraform.tfstate holds no secret" no_secret_in "$TF_DIR/terraform.tfstate"
check "join over HTTPS: the state records them as null" \
	jq -e '.resources[0].instances[0] | .schema_version == 1
		and .attributes.join_target.password == null
		and .attributes.join_target.client_key == null' "$TF_DIR/terraform.tfstate"
check "join over HTTPS: node2 online" api_eq /1.0/cluster/members/node2 .status Online
check "join over HTTPS: url" output_is n2_url . "https://$RIG_N2_ADDRESS"
check "join over HTTPS: failure domain set after the join" \
	api_eq /1.0/cluster/members/node2 .failure_domain remote
check "join over HTTPS: the password is not in the provider logs" not_in_provider_logs "$secret"
# A changed secret plans nothing: it is only used when joining.
plan_other_password() { TF_VAR_join_password=changed-sekret plan_exit; }
check "write-only: a changed password plans nothing" expect_exit 0 plan_other_password

# A state written by schema version 0 held both secrets: crafted from the
# current one, it is upgraded (plan empty) and the secrets leave the state.
make_v0_state() {
	local st=$TF_DIR/terraform.tfstate
	jq --arg pw "$secret" --arg key "$(cat "$TF_DIR/client.key")" '.serial += 1
		| .resources[0].instances[0].schema_version = 0
		| .resources[0].instances[0].attributes.join_target.password = $pw
		| .resources[0].instances[0].attributes.join_target.client_key = $key' \
		"$st" >"$st.v0" && mv "$st.v0" "$st"
	rm -f "$st.backup"
	grep -qF -- "$secret" "$st"
}
check "version-0 state holding the join secrets" make_v0_state
check "version-0 state: plan is empty" expect_exit 0 plan_exit
check "version-0 state: apply rewrites the state" apply_ok
check "version-0 state: upgraded to schema_version 1" \
	jq -e '.resources[0].instances[0].schema_version == 1' "$TF_DIR/terraform.tfstate"
check "version-0 state: the secrets left terraform.tfstate" no_secret_in "$TF_DIR/terraform.tfstate"

# A dead member that still holds a custom volume: LXD refuses a plain
# removal; with force = true it is purged from the cluster database.
mkdir -p "$RIG_N1_POOLS/p" "$RIG_N2_POOLS/p"
api_do POST '/1.0/storage-pools?target=node1' "{\"name\":\"p\",\"driver\":\"dir\",\"config\":{\"source\":\"$RIG_N1_POOLS/p\"}}"
api_do POST '/1.0/storage-pools?target=node2' "{\"name\":\"p\",\"driver\":\"dir\",\"config\":{\"source\":\"$RIG_N2_POOLS/p\"}}"
api_do POST /1.0/storage-pools '{"name":"p","driver":"dir"}'
api_do POST '/1.0/storage-pools/p/volumes/custom?target=node2' '{"name":"v2"}'
kill -KILL "$(<"$RIG_STATE/n2/lxd.pid")"
check "dead member: destroy without force fails" \
	expect_exit 1 tf destroy -auto-approve -input=false -no-color
check "dead member: the error is reported" out_has 'Cannot remove cluster member'
check "dead member: still in state" state_has lxd_node.n2
check "dead member: still a member" member_present node2
https_tf "$fp2" "force = true"
check "dead member: apply force = true" apply_ok
check "dead member: plan is empty" expect_exit 0 plan_exit
check "dead member: destroy with force" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "dead member: node2 is gone" member_absent node2
check "dead member: state is empty" state_empty
check "dead member: the cluster is healthy" api_eq /1.0/cluster/members/node1 .status Online

e2e_end

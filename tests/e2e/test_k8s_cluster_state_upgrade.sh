#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # write_tf reads stdin; helpers run through check
# k8s_cluster schema version 0 kept the admin kubeconfig (credentials) in the
# state, versions 0 and 1 the LXD client key (write-only from version 2,
# which keeps its digest instead). A state written by version 0 — made here
# from a current one by setting schema_version 0 and adding the kubeconfig
# read from the cluster's Secret and the key, exactly what the old provider
# stored — is upgraded: plan shows no change, and after `terraform apply`
# the kubeconfig text and the key are gone from terraform.tfstate,
# `terraform show -json` and every log. Then the same from version 1 (the
# key only).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin k8s_cluster_state_upgrade
emu_up emu

tf_workdir main
write_tf <<EOF
terraform {
  required_providers {
    k8s = { source = "lxdcapi/k8s" }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

resource "k8s_cluster" "old" {
  name                   = "old"
  kubernetes_version     = "v1.33.1"
  lxd_server_url         = "https://192.0.2.10:8443"
  lxd_client_certificate = "test-certificate"
  lxd_client_key         = "upgrade-test-key-5d2e"
}

resource "k8s_machine_pool" "tainted" {
  name               = "tainted"
  cluster_name       = k8s_cluster.old.name
  kubernetes_version = "v1.33.1"
  taints             = [{ key = "gpu", value = "yes", effect = "NoSchedule" }]
}

resource "k8s_machine_pool" "plain" {
  name               = "plain"
  cluster_name       = k8s_cluster.old.name
  kubernetes_version = "v1.33.1"
}
EOF
require "init" tf_show_on_fail init -input=false -no-color
require "create the cluster" apply_ok
state=$TF_DIR/terraform.tfstate
check "current state has schema_version 2" \
	jq -e '.resources[0].instances[0].schema_version == 2 and .resources[0].type == "k8s_cluster"' "$state"
key=upgrade-test-key-5d2e
digest=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
check "current state: no client key, its digest" jq -e --arg d "$digest" \
	'.resources[0].instances[0].attributes | .lxd_client_key == null and .lxd_client_key_sha256 == $d' "$state"

# The kubeconfig the old provider kept in the state.
kc=$(emu_curl GET /api/v1/namespaces/default/secrets/old-kubeconfig | jq -r '.data.value | @base64d')
check "the cluster has a kubeconfig Secret" grep -q 'client-key-data' <<<"$kc"
key_line=$(grep 'client-key-data' <<<"$kc" | awk '{ print $2 }')
make_v0_state() {
	jq --arg kc "$kc" --arg key "$key" '.serial += 1
		| .resources[0].instances[0].schema_version = 0
		| .resources[0].instances[0].attributes.kubeconfig = $kc
		| .resources[0].instances[0].attributes.lxd_client_key = $key
		| del(.resources[0].instances[0].attributes.lxd_client_key_sha256)
		| .resources[0].instances[0].sensitive_attributes += [[{"type": "get_attr", "value": "kubeconfig"}]]' \
		"$state" >"$state.v0" && mv "$state.v0" "$state"
}
check "write a version-0 state holding the kubeconfig" make_v0_state
check "the crafted state holds it" grep -qF "$key_line" "$state"
check "the crafted state holds the client key" grep -qF "$key" "$state"
rm -f "$state.backup"

check "plan on the old state: no changes" expect_exit 0 plan_exit
check "apply upgrades and rewrites the state" apply_ok
check "upgraded state has schema_version 2" \
	jq -e '.resources[0].instances[0].schema_version == 2' "$state"
check "upgraded state has no kubeconfig attribute" \
	jq -e '.resources[0].instances[0].attributes | has("kubeconfig") | not' "$state"
no_kc_in() {
	local f
	for f in "$@"; do
		if grep -qF -e "$key_line" -e 'current-context' -e "$key" "$f"; then
			echo "  $f still holds the kubeconfig or the client key"
			return 1
		fi
	done
}
check "terraform.tfstate no longer holds the kubeconfig text" no_kc_in "$state"
show_clean() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json) >"$TF_DIR/show.json" || return 1
	no_kc_in "$TF_DIR/show.json"
}
check "terraform show -json holds no kubeconfig" show_clean
check "terraform and provider logs hold no kubeconfig" no_kc_in "$TF_DIR"/logs/*
check "plan after the upgrade: empty" expect_exit 0 plan_exit
check "upgraded state: the key's digest" jq -e --arg d "$digest" \
	'.resources[0].instances[0].attributes.lxd_client_key_sha256 == $d' "$state"

# Version 1: the client key, no kubeconfig.
make_v1_state() {
	jq --arg key "$key" '.serial += 1
		| .resources[0].instances[0].schema_version = 1
		| .resources[0].instances[0].attributes.lxd_client_key = $key
		| del(.resources[0].instances[0].attributes.lxd_client_key_sha256)' \
		"$state" >"$state.v1" && mv "$state.v1" "$state"
	rm -f "$state.backup"
	grep -qF "$key" "$state"
}
check "write a version-1 state holding the client key" make_v1_state
check "version 1: plan on the old state: no changes" expect_exit 0 plan_exit
check "version 1: apply upgrades and rewrites the state" apply_ok
check "version 1: schema_version 2, the key's digest" jq -e --arg d "$digest" \
	'.resources[0].instances[0] | .schema_version == 2 and .attributes.lxd_client_key == null
	 and .attributes.lxd_client_key_sha256 == $d' "$state"
check "version 1: terraform.tfstate no longer holds the key" no_kc_in "$state"

# k8s_machine_pool version 0 had `taint` blocks (a list, [] when none);
# version 1 the `taints` nested attribute (null when unset).
make_pool_v0_state() {
	jq '.serial += 1
		| (.resources[] | select(.type == "k8s_machine_pool") | .instances[0])
		  |= (.schema_version = 0
		      | .attributes.taint = (.attributes.taints // [])
		      | del(.attributes.taints))' \
		"$state" >"$state.p0" && mv "$state.p0" "$state"
	rm -f "$state.backup"
	jq -e '[.resources[] | select(.type == "k8s_machine_pool") | .instances[0].attributes.taint | length] == [0, 1]' "$state" >/dev/null
}
check "pools: write version-0 states with taint blocks" make_pool_v0_state
check "pools: plan on the old states: no changes" expect_exit 0 plan_exit
check "pools: apply upgrades them" apply_ok
check "pools: schema version 1, taints renamed, [] is null" jq -e \
	'[.resources[] | select(.type == "k8s_machine_pool") | .instances[0]
	  | [.schema_version, .attributes.taints, (.attributes | has("taint"))]]
	 == [[1, null, false], [1, [{"key":"gpu","value":"yes","effect":"NoSchedule"}], false]]' "$state"
check "pools: plan after the upgrade: empty" expect_exit 0 plan_exit
check "destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "state empty" state_empty

e2e_end

#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# k8s_cluster pointed at a real server of the rig (LXD or Incus, whichever
# RIG_SERVER runs): the identity Secret it writes for CAPN carries CAPN's
# documented keys (server, server-crt, client-crt, client-key, project:
# the same for Incus and LXD), and those values really connect: read back
# from the (emulated) management cluster, they reach the server over HTTPS
# with the pinned certificate as a trusted client, and the server is the
# kind the rig runs. One configuration also reads the server through
# data.lxd_server, so the lxd and k8s providers agree on the server.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin k8s_server_identity
rig_start k8sid 1
emu_up emu
SECRETS=/api/v1/namespaces/default/secrets

tf_workdir main
# A client certificate the server trusts (CAPN's client-crt/client-key).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$TF_DIR/client.key" -out "$TF_DIR/client.crt" -days 1 -subj /CN=capn \
	>/dev/null 2>&1
der=$(openssl x509 -in "$TF_DIR/client.crt" -outform DER | base64 -w0)
api_do POST /1.0/certificates "{\"name\":\"capn\",\"type\":\"client\",\"certificate\":\"$der\"}"
cp "$RIG_N1_LXD_DIR/cluster.crt" "$TF_DIR/server.crt"

write_tf <<EOF
terraform {
  required_providers {
    lxd = { source = "lxdcapi/lxd" }
    k8s = { source = "lxdcapi/k8s" }
  }
}

provider "lxd" {
  socket = "$RIG_N1_SOCKET"
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

data "lxd_server" "s" {}

resource "k8s_cluster" "c" {
  name                   = "srv"
  kubernetes_version     = "v1.33.1"
  control_plane_replicas = 1
  load_balancer          = "lxc"
  lxd_server_url         = "https://$RIG_N1_ADDRESS"
  lxd_server_certificate = file("\${path.module}/server.crt")
  lxd_client_certificate = file("\${path.module}/client.crt")
  lxd_client_key         = file("\${path.module}/client.key")
  lxd_project            = "default"
}

output "server" {
  value = data.lxd_server.s.server
}
EOF

SECRET=/api/v1/namespaces/default/secrets/srv-lxd-identity
LXCC=/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default/lxcclusters/srv
# key K — the decoded value of key K of the identity Secret.
key() { emu_curl GET "$SECRET" | jq -r --arg k "$1" '.data[$k] // empty | @base64d'; }
# is WHAT GOT WANT — compare, saying what differs.
is() {
	[[ $2 == "$3" ]] || {
		echo "  $1 = '$2', expected '$3'"
		return 1
	}
}
secret_keys() { is "Secret keys" "$(emu_curl GET "$SECRET" | jq -c '.data | keys')" \
	'["client-crt","client-key","project","server","server-crt"]'; }
secret_server() { is server "$(key server)" "https://$RIG_N1_ADDRESS"; }
# (compared without trailing newlines: jq -r adds one)
secret_cert() { is server-crt "$(key server-crt)" "$(<"$RIG_N1_LXD_DIR/cluster.crt")"; }
secret_project() { is project "$(key project)" default; }
lxcc_ref() { is secretRef "$(emu_curl GET "$LXCC" | jq -r .spec.secretRef.name)" srv-lxd-identity; }
secret_gone() { is "Secret GET code" "$(emu_curl GET "$SECRET" | jq -r '.code // empty')" 404; }

# capn_view JQ — GET /1.0 with the Secret's values, as CAPN would use them:
# pinned to server-crt's public key, client-crt/client-key as the identity,
# from inside member 1's namespace (where the address is reachable).
capn_view() {
	local d=$E2E_WORK/capn pin
	mkdir -p "$d"
	key server-crt >"$d/server.crt"
	key client-crt >"$d/client.crt"
	key client-key >"$d/client.key"
	pin=$(openssl x509 -in "$d/server.crt" -pubkey -noout |
		openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64)
	ip netns exec "$RIG_N1_NETNS" curl --silent --show-error --max-time 30 -k \
		--pinnedpubkey "sha256//$pin" --cert "$d/client.crt" --key "$d/client.key" \
		"$(key server)/1.0?project=$(key project)" | jq -r "$1"
}
capn_trusted() { is auth "$(capn_view .metadata.auth)" trusted; }
capn_server() { is server "$(capn_view .metadata.environment.server)" "$RIG_SERVER"; }

require "init" tf init -input=false -no-color
check "apply" apply_ok
check "plan is empty" expect_exit 0 plan_exit
check "data.lxd_server reports the rig's server ($RIG_SERVER)" output_is server . "$RIG_SERVER"
check "identity Secret has exactly CAPN's keys" secret_keys
check "identity Secret: server is the rig's HTTPS address" secret_server
check "identity Secret: server-crt is the cluster certificate" secret_cert
check "identity Secret: project" secret_project
check "LXCCluster refers to the Secret" lxcc_ref
check "CAPN's view: the Secret reaches the server as a trusted client" capn_trusted
check "CAPN's view: the server is $RIG_SERVER" capn_server
check "destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "identity Secret deleted" secret_gone

e2e_end

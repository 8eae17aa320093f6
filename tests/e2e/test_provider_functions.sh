#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# Provider functions with the real Terraform CLI (1.8+ calls them; no LXD
# or provider configuration needed): provider::lxd::cert_fingerprint,
# provider::lxd::member_config and provider::k8s::kubeconfig_server in
# outputs (plan + apply) and in `terraform console`, and their argument
# errors, which Terraform reports on the call with the argument named.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin provider_functions
tf_workdir fn
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$TF_DIR/key.pem" -out "$TF_DIR/cert.pem" -days 30 -subj /CN=fn.test \
	>/dev/null 2>&1
want_fp=$(openssl x509 -in "$TF_DIR/cert.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
cat >"$TF_DIR/kubeconfig.yaml" <<'YAML'
apiVersion: v1
kind: Config
current-context: admin@prod
clusters:
- name: prod
  cluster:
    server: https://203.0.113.10:6443
contexts:
- name: admin@prod
  context:
    cluster: prod
    user: admin
users:
- name: admin
  user:
    token: not-a-real-token
YAML
write_tf <<'EOF2'
terraform {
  required_providers {
    lxd = { source = "lxdcapi/lxd" }
    k8s = { source = "lxdcapi/k8s" }
  }
}

output "fingerprint" {
  value = provider::lxd::cert_fingerprint(file("${path.module}/cert.pem"))
}

output "member_config" {
  value = provider::lxd::member_config({
    storage-pool = { local = { source = "/srv/local" } }
    network      = { uplink = { parent = "eth1" } }
  })
}

output "server" {
  value = provider::k8s::kubeconfig_server(file("${path.module}/kubeconfig.yaml"))
}
EOF2
require "init" tf_show_on_fail init -input=false -no-color
check "apply evaluates the functions" apply_ok
check "cert_fingerprint = openssl's SHA-256 fingerprint" output_is fingerprint . "$want_fp"
check "member_config flattens to ENTITY/NAME/KEY" \
	output_is member_config '[to_entries[] | "\(.key)=\(.value)"] | sort | join(",")' \
	"network/uplink/parent=eth1,storage-pool/local/source=/srv/local"
check "kubeconfig_server" output_is server . "https://203.0.113.10:6443"
check "plan is empty" expect_exit 0 plan_exit

# console EXPR — terraform console's output, its lines joined (Terraform
# wraps diagnostics at 78 columns).
console() {
	(cd "$TF_DIR" && printf '%s\n' "$1" | timeout 120 "$TERRAFORM" console -no-color 2>&1) |
		tr '\n' ' ' | tr -s ' '
}
check "console: cert_fingerprint" bash -c "[[ \$(cd '$TF_DIR' && printf '%s\n' 'provider::lxd::cert_fingerprint(file(\"cert.pem\"))' | timeout 120 '$TERRAFORM' console -no-color) == '\"$want_fp\"' ]]"
out=$(console 'provider::lxd::cert_fingerprint("not a certificate")' || true)
check "console: a bad argument is an error naming the parameter" grep -q 'Invalid value for "pem" parameter: pem: no PEM certificate found' <<<"$out"
out=$(console 'provider::lxd::member_config({ storage-pool = "flat" })' || true)
check "console: member_config rejects a flat object" grep -q 'must be an object of names' <<<"$out"
out=$(console 'provider::k8s::kubeconfig_server("clusters: [")' || true)
check "console: kubeconfig_server on bad YAML is an error" grep -q 'kubeconfig:' <<<"$out"
check "console: ... that never shows the token" bash -c "! grep -q not-a-real-token <<<'$out'"
e2e_end

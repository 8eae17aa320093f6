#!/usr/bin/env bash
# shellcheck disable=SC2317  # helpers run indirectly through check
# Fidelity of the test management cluster (tests/k8s-emu) against the real
# kubectl: discovery, apply (client- and server-side), the simulated Cluster
# API controller, validation errors, conflicts, finalizers, garbage
# collection, ordered cluster deletion, token auth, fault injection. Runs the
# emulator's Python unit tests first. Needs kubectl, python3 + yaml, curl, jq;
# fails loudly without them.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin k8s_emu_kubectl

EMU_DIR=$REPO_ROOT/tests/k8s-emu
EMU_SH=$EMU_DIR/emu.sh
W=$E2E_WORK/emu
mkdir -p "$W"

missing=()
command -v kubectl >/dev/null 2>&1 || missing+=("kubectl (Debian: kubernetes-client)")
{ [[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null 2>&1; } || missing+=("python3")
for c in curl jq openssl; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
if ((${#missing[@]} > 0)); then
	fail "required tools are missing: ${missing[*]} (run tests/deps.sh)"
	E2E_ENDED=1
	exit 1
fi

# Stop the emulator whatever happens, then the usual end-of-scenario work.
trap 'rc=$?; "$EMU_SH" stop "$W" >/dev/null 2>&1 || true; e2e_on_exit $rc' EXIT

K_TIMEOUT=60
k() { timeout "$K_TIMEOUT" kubectl --kubeconfig "$W/kubeconfig" "$@"; }
kt() { timeout "$K_TIMEOUT" kubectl --kubeconfig "$W/kubeconfig-token" "$@"; }

# kubectl < 1.27 validates against /openapi/v2 (not served): turn client
# validation off there; newer ones validate on the server (fieldValidation).
kminor=$(kubectl version --client -o json 2>/dev/null | jq -r '.clientVersion.minor // "0"' | tr -dc '0-9')
VALIDATE=()
((${kminor:-0} >= 27)) || VALIDATE=(--validate=false)
e2e_say "kubectl client minor version ${kminor:-?}"

# out_of CMD... — run CMD, keep its combined output in $OUT, return its status.
OUT=""
out_of() {
	local rc=0
	OUT=$("$@" 2>&1) || rc=$?
	return "$rc"
}
# expect_fail_with REGEX CMD... — CMD must fail and print REGEX.
expect_fail_with() {
	local re=$1 rc=0
	shift
	OUT=$("$@" 2>&1) || rc=$?
	if ((rc == 0)); then
		echo "  expected failure, got success: $*"
		echo "$OUT" | head -5 | sed 's/^/  | /'
		return 1
	fi
	grep -qE -- "$re" <<<"$OUT" || {
		echo "  '$re' not in the output of: $*"
		echo "$OUT" | head -10 | sed 's/^/  | /'
		return 1
	}
}
has() {
	grep -qE -- "$1" <<<"$OUT" || {
		echo "  '$1' not found in:"
		echo "$OUT" | head -20 | sed 's/^/  | /'
		return 1
	}
}
# jq_is JQ EXPECTED KUBECTL-GET-ARGS... — `kubectl get ... -o json | jq -r`.
jq_is() {
	local expr=$1 want=$2 got
	shift 2
	got=$(k get "$@" -o json 2>&1 | jq -r "$expr" 2>&1) || true
	[[ $got == "$want" ]] || {
		echo "  kubectl get $* | jq '$expr' = '$got', expected '$want'"
		return 1
	}
}
# wait_for SECONDS CMD... — poll CMD every 0.3 s until it succeeds.
wait_for() {
	local limit=$1 t0=$SECONDS
	shift
	while ((SECONDS - t0 < limit)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.3
	done
	echo "  still false after ${limit}s: $*"
	"$@" || true
	return 1
}
gone() { ! k get "$@" >/dev/null 2>&1 && [[ $(k get "$@" 2>&1) == *NotFound* ]]; }
url() { cat "$W/ready"; }
# curl_code METHOD PATH [curl args] — HTTP status with the admin client cert.
curl_code() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$W/curl.out" -D "$W/curl.hdr" -w '%{http_code}' --max-time 20 --cacert "$W/ca.crt" \
		--cert "$W/client.crt" --key "$W/client.key" -X "$m" "$@" "$(url)$p"
}

# ------------------------------------------------------------ unit tests
check "k8s-emu python unit tests pass" "$EMU_DIR/run-tests.sh"

# ------------------------------------------------------------ start
require "emulator starts and writes ready/kubeconfig" "$EMU_SH" start "$W" --controller-delay 0.1
check "kubeconfig, kubeconfig-token, token, ca.crt, pid exist" \
	test -s "$W/kubeconfig" -a -s "$W/kubeconfig-token" -a -s "$W/token" -a -s "$W/ca.crt" -a -s "$W/pid"
check "the server certificate has SAN 127.0.0.1 and localhost" \
	bash -c "openssl x509 -in '$W/server.crt' -noout -text | grep -q 'IP Address:127.0.0.1' &&
		openssl x509 -in '$W/server.crt' -noout -text | grep -q 'DNS:localhost'"

# ------------------------------------------------------------ discovery
check "kubectl version reaches the server" bash -c "out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' version -o json) && jq -e '.serverVersion.major == \"1\"' <<<\"\$out\" >/dev/null"
check "api-resources lists the CAPI v1beta2 and CAPN v1alpha2 kinds" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' api-resources --no-headers) &&
	grep -qE '^clusters +cl +cluster.x-k8s.io/v1beta2 +true +Cluster' <<<\"\$out\" &&
	grep -qE '^kubeadmcontrolplanes +kcp +controlplane.cluster.x-k8s.io/v1beta2 +true' <<<\"\$out\" &&
	grep -qE '^lxcclusters +infrastructure.cluster.x-k8s.io/v1alpha2 +true +LXCCluster' <<<\"\$out\" &&
	grep -qE '^lxcmachinetemplates +infrastructure.cluster.x-k8s.io/v1alpha2' <<<\"\$out\" &&
	grep -qE '^machinedeployments +md +cluster.x-k8s.io/v1beta2' <<<\"\$out\" &&
	grep -qE '^secrets +v1 +true +Secret' <<<\"\$out\" &&
	! grep -q 'v1beta1' <<<\"\$out\""
check "api-versions has one version per CAPI group" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' api-versions) &&
	grep -qx 'cluster.x-k8s.io/v1beta2' <<<\"\$out\" && ! grep -qx 'cluster.x-k8s.io/v1beta1' <<<\"\$out\" &&
	grep -qx 'infrastructure.cluster.x-k8s.io/v1alpha2' <<<\"\$out\""
check "get namespaces shows default" bash -c "timeout 60 kubectl --kubeconfig '$W/kubeconfig' get ns default --no-headers | grep -qE '^default +Active'"
check "CRD carries the CAPN contract label" \
	jq_is '.metadata.labels["cluster.x-k8s.io/v1beta1"]' v1alpha2 crd lxcclusters.infrastructure.cluster.x-k8s.io

# ------------------------------------------------------------ apply + controller
manifests=$EMU_DIR/testdata/cluster.yaml
check "kubectl apply -f creates the cluster objects" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' apply ${VALIDATE[*]} -f '$manifests' 2>&1) || { echo \"\$out\"; exit 1; }
	for o in secret/c1-identity lxccluster.infrastructure.cluster.x-k8s.io/c1 \
		kubeadmcontrolplane.controlplane.cluster.x-k8s.io/c1-cp cluster.cluster.x-k8s.io/c1 \
		machinedeployment.cluster.x-k8s.io/c1-md; do
		grep -qx \"\$o created\" <<<\"\$out\" || { echo \"missing '\$o created' in: \$out\"; exit 1; }
	done"
# (A Secret applied with stringData is always "configured" again, as on a
# real server: the live object has only data.)
check "re-apply of the same manifests changes nothing" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' apply ${VALIDATE[*]} -f '$manifests' 2>&1) &&
	! grep -v '^secret/' <<<\"\$out\" | grep -qE 'created|configured' &&
	[[ \$(grep -c unchanged <<<\"\$out\") == 7 ]] || { echo \"\$out\"; exit 1; }"
check "webhook defaults: MD selector and KCP rollout strategy" jq_is \
	'[.spec.selector.matchLabels["cluster.x-k8s.io/deployment-name"], .metadata.labels["cluster.x-k8s.io/cluster-name"], .spec.rollout.strategy.rollingUpdate.maxUnavailable] | join(",")' \
	"c1-md,c1,0" md c1-md
check "cluster becomes Available (controller)" wait_for 60 \
	jq_is '.status.conditions[] | select(.type=="Available") | .status' True cluster c1
check "cluster status: phase Provisioned, initialization, endpoint in 203.0.113.0/24" jq_is \
	'[.status.phase, .status.initialization.infrastructureProvisioned, .status.initialization.controlPlaneInitialized, (.spec.controlPlaneEndpoint.host | test("^203\\.0\\.113\\.")), .spec.controlPlaneEndpoint.port] | map(tostring) | join(",")' \
	"Provisioned,true,true,true,6443" cluster c1
check "cluster has its finalizer and observedGeneration" jq_is \
	'[(.metadata.finalizers | index("cluster.cluster.x-k8s.io") != null), .status.observedGeneration == .metadata.generation] | map(tostring) | join(",")' \
	"true,true" cluster c1
check "machine deployment Running with 2 ready replicas" wait_for 60 jq_is \
	'[.status.phase, .status.replicas, .status.readyReplicas, .status.availableReplicas, .status.upToDateReplicas] | map(tostring) | join(",")' \
	"Running,2,2,2,2" md c1-md
check "control plane: 1 ready replica, versions, Available" jq_is \
	'[.status.readyReplicas, .status.versions[0].version, (.status.conditions[] | select(.type=="Available") | .status)] | map(tostring) | join(",")' \
	"1,v1.32.1,True" kcp c1-cp
check "three machines Running, owned and labelled" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get machines -l cluster.x-k8s.io/cluster-name=c1 -o json) &&
	jq -e '(.items | length) == 3 and all(.items[]; .status.phase == \"Running\" and (.spec.providerID | startswith(\"lxc:///\")))' <<<\"\$out\" >/dev/null"
check "LXCCluster ready with LoadBalancerAvailable" jq_is \
	'[.status.ready, (.status.conditions[] | select(.type=="LoadBalancerAvailable") | .status)] | map(tostring) | join(",")' \
	"true,True" lxccluster c1
check "kubeconfig Secret points at the control plane endpoint" bash -c "
	host=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get cluster c1 -o jsonpath='{.spec.controlPlaneEndpoint.host}') &&
	s=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get secret c1-kubeconfig -o json) &&
	[[ \$(jq -r .type <<<\"\$s\") == cluster.x-k8s.io/secret ]] &&
	[[ \$(jq -r '.metadata.labels[\"cluster.x-k8s.io/cluster-name\"]' <<<\"\$s\") == c1 ]] &&
	jq -r .data.value <<<\"\$s\" | base64 -d | grep -q \"server: https://\$host:6443\""
check "kubectl wait --for=condition=Available works (watch)" \
	k wait --for=condition=Available cluster/c1 --timeout=20s
check "kubectl get shows the CRD printer columns" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' get md c1-md | grep -qE '^c1-md +c1 +True +2 '"

# ------------------------------------------------------------ updates, rollouts
check "client-side apply of a change: configured, generation bumped" bash -c "
	sed 's/replicas: 2/replicas: 3/' '$manifests' | timeout 60 kubectl --kubeconfig '$W/kubeconfig' apply ${VALIDATE[*]} -f - | grep -qx 'machinedeployment.cluster.x-k8s.io/c1-md configured' &&
	[[ \$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get md c1-md -o jsonpath='{.spec.replicas}/{.metadata.generation}') == 3/2 ]]"
check "MD scales to 3 ready replicas" wait_for 60 jq_is '[.status.readyReplicas, .status.replicas] | map(tostring) | join(",")' "3,3" md c1-md
check "server-side apply (kubectl apply --server-side) back to 2" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' apply --server-side ${VALIDATE[*]} -f '$manifests' 2>&1) &&
	grep -qx 'machinedeployment.cluster.x-k8s.io/c1-md serverside-applied' <<<\"\$out\" &&
	[[ \$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get md c1-md -o jsonpath='{.spec.replicas}') == 2 ]] || { echo \"\$out\"; exit 1; }"
check "KCP version upgrade rolls the control plane" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' patch kcp c1-cp --type merge -p '{\"spec\":{\"version\":\"v1.33.0\"}}' >/dev/null"
check "control plane machines replaced, versions = v1.33.0" wait_for 60 jq_is \
	'[.status.versions[0].version, (.status.versions | length), .status.upToDateReplicas, (.status.conditions[] | select(.type=="RollingOut") | .status)] | map(tostring) | join(",")' \
	"v1.33.0,1,1,False" kcp c1-cp
check "a KCP upgrade by two minors is rejected (webhook rule)" expect_fail_with \
	'spec.version.*cannot update Kubernetes version from v1.33.0 to v1.35.0' \
	k patch kcp c1-cp --type merge -p '{"spec":{"version":"v1.35.0"}}'
check "strategic merge patch on a custom resource: 415 like a real server" expect_fail_with \
	'UnsupportedMediaType|unknown format' k patch lxccluster c1 -p '{"spec":{"unprivileged":true}}'
# (kubectl < 1.2x prints only "The request is invalid" for a 422 without
# details; the raw check below looks at the message itself.)
check "JSON patch with a failing test op is refused" expect_fail_with 'test failed|request is invalid' \
	k patch lxccluster c1 --type json -p '[{"op":"test","path":"/spec/unprivileged","value":true}]'
check "JSON patch with a failing test op: raw 422 Invalid, message names the path" bash -c "
	code=\$(curl -s -o '$W/jp.json' -w '%{http_code}' --max-time 20 --cacert '$W/ca.crt' --cert '$W/client.crt' --key '$W/client.key' \
		-H 'Content-Type: application/json-patch+json' -X PATCH --data '[{\"op\":\"test\",\"path\":\"/spec/unprivileged\",\"value\":true}]' \
		\"\$(cat '$W/ready')/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default/lxcclusters/c1\")
	[[ \$code == 422 ]] && jq -e '.reason == \"Invalid\" and (.message | contains(\"testing value /spec/unprivileged failed\"))' '$W/jp.json' >/dev/null || { echo \"code \$code\"; cat '$W/jp.json'; exit 1; }"

# ------------------------------------------------------------ validation
bad=$E2E_WORK/bad.yaml
cat >"$bad" <<'EOF'
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
kind: LXCMachineTemplate
metadata:
  name: bad-tmpl
spec:
  template:
    spec:
      instanceType: bogus
EOF
check "invalid enum rejected with 422 naming the field" expect_fail_with \
	'is invalid: spec.template.spec.instanceType: Unsupported value: "bogus"' \
	k apply "${VALIDATE[@]}" -f "$bad"
check "invalid object was not stored" gone lxcmachinetemplate bad-tmpl
cat >"$bad" <<'EOF'
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata:
  name: bad-md
spec:
  clusterName: c1
  replicas: "two"
  template:
    spec:
      clusterName: c1
      bootstrap:
        configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: c1-md}
EOF
check "type error and missing required field both reported" bash -c "
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' create ${VALIDATE[*]} -f '$bad' 2>&1); rc=\$?
	((rc != 0)) && grep -q 'spec.replicas' <<<\"\$out\" && grep -q 'spec.template.spec.infrastructureRef: Required value' <<<\"\$out\" || { echo \"\$out\"; exit 1; }"
cat >"$bad" <<'EOF'
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata:
  name: dup-args
spec:
  version: v1.32.1
  machineTemplate:
    spec:
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: LXCMachineTemplate, name: c1-cp-a}
  kubeadmConfigSpec:
    joinConfiguration:
      nodeRegistration:
        kubeletExtraArgs:
          - {name: provider-id, value: "lxc:///a"}
          - {name: provider-id, value: "lxc:///b"}
EOF
check "CEL rule of the KCP CRD: duplicate kubeletExtraArgs rejected" expect_fail_with \
	'spec.kubeadmConfigSpec.joinConfiguration.nodeRegistration.kubeletExtraArgs: Invalid value: "array": kubeletExtraArgs name must be unique' \
	k apply "${VALIDATE[@]}" -f "$bad"
check "raw POST of an invalid object: 422 Status with causes" bash -c "
	code=\$(curl -s -o '$W/r.json' -w '%{http_code}' --max-time 20 --cacert '$W/ca.crt' --cert '$W/client.crt' --key '$W/client.key' \
		-H 'Content-Type: application/json' -X POST \
		--data '{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1alpha2\",\"kind\":\"LXCCluster\",\"metadata\":{\"name\":\"x\"},\"spec\":{}}' \
		\"\$(cat '$W/ready')/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default/lxcclusters\")
	[[ \$code == 422 ]] && jq -e '.kind == \"Status\" and .reason == \"Invalid\" and .code == 422 and .details.causes[0].field == \"spec.loadBalancer\" and .details.causes[0].reason == \"FieldValueRequired\"' '$W/r.json' >/dev/null || { echo \"code \$code\"; cat '$W/r.json'; exit 1; }"
check "unknown fields: Strict is 400, default (Warn) prunes with a Warning header" bash -c "
	body='{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1alpha2\",\"kind\":\"LXCCluster\",\"metadata\":{\"name\":\"prune\"},\"spec\":{\"loadBalancer\":{\"lxc\":{}},\"bogusField\":1}}'
	p=/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default/lxcclusters
	c=(curl -s --max-time 20 --cacert '$W/ca.crt' --cert '$W/client.crt' --key '$W/client.key' -H 'Content-Type: application/json')
	code=\$(\"\${c[@]}\" -o /dev/null -w '%{http_code}' -X POST --data \"\$body\" \"\$(cat '$W/ready')\$p?fieldValidation=Strict\")
	[[ \$code == 400 ]] || { echo \"strict: \$code\"; exit 1; }
	hdr=\$(\"\${c[@]}\" -o '$W/p.json' -D - -X POST --data \"\$body\" \"\$(cat '$W/ready')\$p\")
	grep -qi '^Warning: 299 - \"unknown field \\\\\"spec.bogusField\\\\\"\"' <<<\"\$hdr\" || { echo \"\$hdr\"; exit 1; }
	jq -e '.spec | has(\"bogusField\") | not' '$W/p.json' >/dev/null"

# ------------------------------------------------------------ conflicts
check "kubectl replace with a stale resourceVersion: 409 Conflict" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' get lxccluster c1 -o yaml >'$E2E_WORK/stale.yaml' &&
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' label lxccluster c1 touched=yes >/dev/null &&
	out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' replace ${VALIDATE[*]} -f '$E2E_WORK/stale.yaml' 2>&1); rc=\$?
	((rc != 0)) && grep -q 'the object has been modified; please apply your changes to the latest version and try again' <<<\"\$out\" || { echo \"\$out\"; exit 1; }"
check "kubectl create of an existing object: AlreadyExists" expect_fail_with \
	'AlreadyExists|already exists' k create "${VALIDATE[@]}" -f "$manifests"

# ------------------------------------------------------------ finalizers, GC
check "create a ConfigMap carrying a foreign finalizer" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' create configmap keepme --from-literal=a=b >/dev/null &&
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' patch configmap keepme --type merge -p '{\"metadata\":{\"finalizers\":[\"example.com/keep\"]}}' >/dev/null"
check "delete --wait=false keeps it with a deletionTimestamp" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' delete configmap keepme --wait=false >/dev/null &&
	[[ -n \$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get configmap keepme -o jsonpath='{.metadata.deletionTimestamp}') ]]"
check "no new finalizer can be added while deleting" expect_fail_with 'no new finalizers' \
	k patch configmap keepme --type json -p '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]'
check "removing the finalizer makes it disappear" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' patch configmap keepme --type json -p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]' >/dev/null"
check "the finalized ConfigMap is gone (404)" gone configmap keepme
gc_setup() {
	k create configmap owner --from-literal=a=b >/dev/null || return 1
	local uid
	uid=$(k get configmap owner -o jsonpath='{.metadata.uid}') || return 1
	k apply "${VALIDATE[@]}" -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: dependant
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: $uid
stringData:
  k: v
EOF
}
check "owner ConfigMap and dependant Secret created" gc_setup
check "kubectl delete of the owner (waits via watch)" k delete configmap owner --timeout=30s
check "garbage collector deletes the dependant" wait_for 30 gone secret dependant
check "foreground cascade deletion" bash -c "
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' create configmap fg >/dev/null &&
	uid=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get configmap fg -o jsonpath='{.metadata.uid}') &&
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' create secret generic fgdep --from-literal=a=b >/dev/null &&
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' patch secret fgdep --type merge -p \"{\\\"metadata\\\":{\\\"ownerReferences\\\":[{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"ConfigMap\\\",\\\"name\\\":\\\"fg\\\",\\\"uid\\\":\\\"\$uid\\\",\\\"blockOwnerDeletion\\\":true}]}}\" >/dev/null &&
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' delete configmap fg --cascade=foreground --timeout=30s >/dev/null"
check "foreground deletion removed the dependant first" gone secret fgdep

# ------------------------------------------------------------ auth
check "token kubeconfig works" bash -c "timeout 60 kubectl --kubeconfig '$W/kubeconfig-token' get cluster c1 -o name | grep -qx cluster.cluster.x-k8s.io/c1"
# kubectl < 1.22 only knows exec apiVersion v1beta1: test a v1beta1 copy there.
exec_kc=$W/kubeconfig-exec
if ((${kminor:-0} < 22)); then
	exec_kc=$E2E_WORK/kubeconfig-exec-v1beta1
	sed -e 's#client.authentication.k8s.io/v1$#client.authentication.k8s.io/v1beta1#' -e '/interactiveMode/d' \
		"$W/kubeconfig-exec" >"$exec_kc"
fi
check "exec credential plugin kubeconfig works" bash -c "timeout 60 kubectl --kubeconfig '$exec_kc' get cluster c1 -o name | grep -qx cluster.cluster.x-k8s.io/c1"
check "insecure-skip-tls-verify kubeconfig works" bash -c "timeout 60 kubectl --kubeconfig '$W/kubeconfig-insecure' get ns default -o name | grep -qx namespace/default"
check "a bad token gets 401 Unauthorized" bash -c "
	sed 's/token: .*/token: not-the-token/' '$W/kubeconfig-token' >'$E2E_WORK/bad-token.kubeconfig'
	out=\$(timeout 60 kubectl --kubeconfig '$E2E_WORK/bad-token.kubeconfig' get ns 2>&1); rc=\$?
	((rc != 0)) && grep -q 'Unauthorized' <<<\"\$out\" || { echo \"\$out\"; exit 1; }"
check "no credentials: 401 Status; /version is public" bash -c "
	code=\$(curl -s -o '$W/u.json' -w '%{http_code}' --max-time 20 --cacert '$W/ca.crt' \"\$(cat '$W/ready')/api/v1/namespaces\")
	[[ \$code == 401 ]] && jq -e '.reason == \"Unauthorized\" and .code == 401' '$W/u.json' >/dev/null &&
	[[ \$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert '$W/ca.crt' \"\$(cat '$W/ready')/version\") == 200 ]]"

# ------------------------------------------------------------ faults
check "injected 429 with Retry-After (raw), kubectl retries through it" bash -c "
	echo '{\"fail_requests\":[{\"method\":\"GET\",\"path_regex\":\"/clusters/c1\$\",\"status\":429,\"count\":2,\"retry_after\":1}]}' >'$W/faults.json'
	hdr=\$(curl -s -o /dev/null -D - --max-time 20 --cacert '$W/ca.crt' --cert '$W/client.crt' --key '$W/client.key' \"\$(cat '$W/ready')/apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters/c1\")
	grep -q '^HTTP/1.1 429' <<<\"\$hdr\" && grep -qi '^Retry-After: 1' <<<\"\$hdr\" || { echo \"\$hdr\"; exit 1; }
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' get cluster c1 -o name | grep -qx cluster.cluster.x-k8s.io/c1"
check "never_ready keeps a new cluster's conditions False with the message" bash -c "
	echo '{\"never_ready\":[\"default/c2\"],\"condition_message\":\"LXD quota exceeded (test)\"}' >'$W/faults.json'
	sed -e 's/\\bc1\\b/c2/g; s/c1-/c2-/g' '$manifests' | timeout 60 kubectl --kubeconfig '$W/kubeconfig' apply ${VALIDATE[*]} -f - >/dev/null"
check "c2 is provisioned but never Available, message shown" wait_for 30 jq_is \
	'[.status.phase, (.status.conditions[] | select(.type=="Available") | .status), (.status.conditions[] | select(.type=="ControlPlaneInitialized") | .message)] | join(",")' \
	"Provisioned,False,LXD quota exceeded (test)" cluster c2
check "watch with ?watch=true streams events (curl, bounded)" bash -c "
	out=\$(curl -s -N --max-time 5 --cacert '$W/ca.crt' --cert '$W/client.crt' --key '$W/client.key' \
		\"\$(cat '$W/ready')/apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters?watch=true&timeoutSeconds=1\")
	jq -se 'map(select(.type == \"ADDED\")) | length == 2' <<<\"\$out\" >/dev/null || { echo \"\$out\" | head -c 500; exit 1; }"
: >"$W/faults.json"

# ------------------------------------------------------------ ordered deletion
check "delete the cluster c1 (kubectl waits until it is gone)" k delete cluster c1 --timeout=60s
check "MachineDeployment, control plane, LXCCluster, machines of c1 are gone" bash -c "
	for o in md/c1-md kcp/c1-cp lxccluster/c1; do
		out=\$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get \$o 2>&1) && { echo \"\$o still exists\"; exit 1; }
		grep -q NotFound <<<\"\$out\" || { echo \"\$out\"; exit 1; }
	done
	[[ -z \$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get machines -l cluster.x-k8s.io/cluster-name=c1 -o name) ]]"
check "templates and cluster Secrets garbage-collected, identity Secret kept" wait_for 30 bash -c "
	[[ -z \$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get lxcmachinetemplates,kubeadmconfigtemplates -o name | grep -E '/c1-') ]] &&
	[[ -z \$(timeout 60 kubectl --kubeconfig '$W/kubeconfig' get secrets -o name | grep -E '^secret/c1-(kubeconfig|ca|etcd|sa|proxy)\$') ]] &&
	timeout 60 kubectl --kubeconfig '$W/kubeconfig' get secret c1-identity -o name >/dev/null"
check "the emulator log has no internal error" bash -c "! grep -qE 'INTERNAL ERROR|pass failed|write rejected' '$W/emu.log' || { grep -E -A5 'INTERNAL ERROR|pass failed|write rejected' '$W/emu.log' | head -30; exit 1; }"

emu_pid=$(cat "$W/pid")
check "emu.sh stop ends the emulator" "$EMU_SH" stop "$W"
check "the emulator process (pid $emu_pid) is gone" bash -c "! kill -0 $emu_pid 2>/dev/null"

e2e_end

#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # write_tf reads stdin; helpers run through check
# Faults on the Kubernetes side, with the real terraform CLI against the k8s
# emulator (tests/k8s-emu, which keeps its objects across a restart like an
# API server in front of etcd):
#
#   k8s-emu-kill-wait    the emulator is SIGKILLed and restarted while
#                        k8s_cluster waits for readiness;
#   k8s-emu-kill-rotate  the emulator is SIGKILLed and restarted while
#                        k8s_machine_pool rotates its templates;
#   k8s-tf-sigint        Terraform gets SIGINT in the middle of a
#                        k8s_cluster create (StopProvider, partial state);
#   k8s-emu-hang         the emulator is SIGSTOPped (it accepts connections
#                        and never answers) while k8s_cluster waits: one
#                        request times out, the others fail at once;
#   k8s-provider-kill    the provider process is SIGKILLed in the middle of
#                        a k8s_cluster create (nothing reaches the state:
#                        the next apply resumes the objects it finds with
#                        the provider's marker).
#
# After each fault the same invariants are checked:
#   (a) every object on the server that the configuration owns (made by the
#       provider: label app.kubernetes.io/managed-by) is in the state — no
#       orphans (counted right after the fault, and after convergence);
#   (b) the next `terraform apply` succeeds without manual steps;
#   (c) the plan after it is empty (`plan -detailed-exitcode` = 0);
#   (d) `terraform destroy` leaves nothing on the server.
# and one line per fault is printed for the closing table:
#   FAULT-RESULT: id=<id> converged=<yes|no> orphans=<N> desc=<text>
#
# Also: a pool rotation that times out leaves the old templates, and the
# next apply finishes the rotation and removes them; objects the
# configuration did not make are never adopted (a hand-made Cluster of the
# same name: the create fails with "import it", and nothing of the
# hand-made one is changed or deleted).
set -euo pipefail
# shellcheck disable=SC2034  # TF_LAST_LOG is lib.sh's
faults_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$faults_dir/../lib.sh"
# shellcheck source=tests/e2e/k8s_emu_lib.sh
source "$faults_dir/../k8s_emu_lib.sh"

e2e_begin k8s_faults
emu_up emu

G_CAPI=/apis/cluster.x-k8s.io/v1beta2/namespaces/default
G_KCP=/apis/controlplane.cluster.x-k8s.io/v1beta2/namespaces/default
G_BOOT=/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/default
G_INFRA=/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default
G_CORE=/api/v1/namespaces/default
MANAGED='app.kubernetes.io%2Fmanaged-by%3Dterraform-provider-lxdcapi'

faults_json() { printf '%s\n' "$1" >"$EMU_DIR/faults.json"; }

# exists PATH / absent PATH — the object exists (not) on the emulator.
exists() { emu_curl GET "$1" | jq -e '.metadata.uid' >/dev/null 2>&1; }
absent() { ! exists "$1"; }

# wait_for SECONDS CMD... — until CMD succeeds (bounded).
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	echo "  still not true after ${secs}s: $*"
	return 1
}

# tf_bg ARGS... — terraform in the background in TF_DIR (its own pid, so
# it can be signalled). Sets TF_BG_PID and TF_BG_LOG (also TF_LAST_LOG).
tf_bg() {
	local base
	TF_SEQ=$((TF_SEQ + 1))
	base=$(printf '%s/logs/%03d-%s-bg' "$TF_DIR" "$TF_SEQ" "$1")
	TF_BG_LOG=$base.log
	TF_LAST_LOG=$TF_BG_LOG # shown by check on failure (lib.sh)
	printf '$ terraform %s (background)\n' "$*" >"$TF_BG_LOG"
	(cd "$TF_DIR" && TF_LOG_PROVIDER=debug TF_LOG_PATH=$base.tflog \
		exec "$TERRAFORM" "$@" </dev/null >>"$TF_BG_LOG" 2>&1) &
	TF_BG_PID=$!
}

# tf_bg_wait SECONDS [crash] — wait for the background terraform (killed
# after SECONDS); sets TF_BG_RC. Provider-bug messages and sanitizer
# reports in its output are failures, as for every other terraform run;
# with "crash" (the test killed the provider) Terraform's messages about
# the dead plugin are expected.
tf_bg_wait() {
	local secs=$1 crash=${2:-} i pat
	TF_BG_RC=0
	for ((i = 0; i < secs * 5; i++)); do
		kill -0 "$TF_BG_PID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$TF_BG_PID" 2>/dev/null; then
		fail "terraform (background) still running after ${secs}s; killed"
		kill -KILL "$TF_BG_PID" 2>/dev/null || true
	fi
	wait "$TF_BG_PID" || TF_BG_RC=$?
	printf '[exit %s]\n' "$TF_BG_RC" >>"$TF_BG_LOG"
	for pat in "${E2E_BUG_PATTERNS[@]}"; do
		[[ $crash == crash && $pat == *'failed to respond'* ]] && continue
		if grep -qF -- "$pat" "$TF_BG_LOG"; then
			fail "background terraform reported a provider bug: '$pat' (see $TF_BG_LOG)"
		fi
	done
	if grep -qE -- "$E2E_SANITIZER_PATTERN" "${TF_BG_LOG%.log}.tflog" 2>/dev/null; then
		fail "background terraform: the provider reported a sanitizer error"
	fi
	e2e_kill_providers check
}

# provider_pid — the running provider process of this scenario (one).
provider_pid() { e2e_provider_pids | head -1; }

# ---- orphans -----------------------------------------------------------------

# Kind/name of every object the state accounts for: for a k8s_cluster its
# Cluster, KubeadmControlPlane, LXCCluster, identity Secret and the
# control-plane template its KubeadmControlPlane uses; for a pool its
# MachineDeployment and both templates.
state_names() {
	local show c tpl
	show=$(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json -no-color) || return 1
	jq -r '.values.root_module.resources[]? |
		if .type == "k8s_cluster" then
			"Cluster/\(.values.name)", "KubeadmControlPlane/\(.values.name)",
			"LXCCluster/\(.values.name)", "Secret/\(.values.identity_secret_name)"
		elif .type == "k8s_machine_pool" then
			"MachineDeployment/\(.values.name)",
			"LXCMachineTemplate/\(.values.infrastructure_template)",
			"KubeadmConfigTemplate/\(.values.bootstrap_template)"
		else empty end' <<<"$show"
	for c in $(jq -r '.values.root_module.resources[]? | select(.type == "k8s_cluster") | .values.name' <<<"$show"); do
		tpl=$(emu_curl GET "$G_KCP/kubeadmcontrolplanes/$c" |
			jq -r '.spec.machineTemplate.spec.infrastructureRef.name // empty')
		[[ -n $tpl ]] && echo "LXCMachineTemplate/$tpl"
	done
}

# Kind/name of every object the provider made that is on the server.
server_names() {
	local p
	for p in "$G_CORE/secrets" "$G_INFRA/lxcmachinetemplates" "$G_INFRA/lxcclusters" \
		"$G_KCP/kubeadmcontrolplanes" "$G_CAPI/clusters" "$G_CAPI/machinedeployments" \
		"$G_BOOT/kubeadmconfigtemplates"; do
		emu_curl GET "$p?labelSelector=$MANAGED" |
			jq -r --arg k "$(basename "$p")" '
				({"secrets":"Secret","lxcmachinetemplates":"LXCMachineTemplate",
				  "lxcclusters":"LXCCluster","kubeadmcontrolplanes":"KubeadmControlPlane",
				  "clusters":"Cluster","machinedeployments":"MachineDeployment",
				  "kubeadmconfigtemplates":"KubeadmConfigTemplate"}[$k]) as $kind |
				.items[] | "\($kind)/\(.metadata.name)"'
	done
}

# orphans — prints the provider-made objects not in the state, one a line.
orphans() {
	comm -23 <(server_names | sort -u) <(state_names | sort -u)
}

orphan_count() {
	local o
	o=$(orphans) || {
		echo 999
		return
	}
	if [[ -n $o ]]; then
		echo "  orphans (on the server, not in the state):" >&2
		while IFS= read -r l; do echo "    $l"; done <<<"$o" >&2
	fi
	grep -c . <<<"$o" || true
}

nothing_left() {
	local n
	n=$(server_names | grep -c . || true)
	((n == 0)) || {
		echo "  left on the server after destroy:"
		server_names | sed 's/^/    /'
		return 1
	}
}

# after_fault ID DESC — the invariants, then the FAULT-RESULT line.
after_fault() {
	local id=$1 desc=$2 n m converged=yes
	n=$(orphan_count)
	check "$id: (a) no orphans right after the fault" test "$n" -eq 0
	faults_json '{}'
	check "$id: (b) the next apply succeeds" apply_ok
	((E2E_LAST_OK)) || converged=no
	check "$id: (c) the plan after it is empty" expect_exit 0 plan_exit
	((E2E_LAST_OK)) || converged=no
	m=$(orphan_count)
	check "$id: (a) no orphans after convergence" test "$m" -eq 0
	((m > n)) && n=$m
	check "$id: (d) destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
	((E2E_LAST_OK)) || converged=no
	check "$id: (d) destroy leaves nothing" nothing_left
	((E2E_LAST_OK)) || converged=no
	echo "FAULT-RESULT: id=$id converged=$converged orphans=$n desc=$desc"
}

# cluster_tf NAME [EXTRA] — main.tf with one cluster (and EXTRA HCL).
cluster_tf() {
	write_tf <<EOF
terraform {
  required_providers {
    k8s = { source = "lxdcapi/k8s" }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

resource "k8s_cluster" "c" {
  name                   = "$1"
  kubernetes_version     = "v1.33.1"
  flavor                 = "c2-m4"
  lxd_server_url         = "https://192.0.2.10:8443"
  lxd_client_certificate = "test-certificate"
  lxd_client_key         = "test-key"
  timeouts {
    create = "4m"
    update = "4m"
    delete = "4m"
  }
}
${2:-}
EOF
}

# ---- (1) emulator killed while k8s_cluster waits for readiness --------------
sc_emu_kill_wait() {
	tf_workdir wait
	cluster_tf fa
	require "wait: init" tf init -input=false -no-color
	# Hold the cluster short of ready so the kill lands in the wait.
	faults_json '{"never_ready":["default/fa"]}'
	tf_bg apply -auto-approve -input=false -no-color
	check "wait: the provider created the Cluster and waits" \
		wait_for 60 exists "$G_CAPI/clusters/fa"
	sleep 2
	emu_kill
	e2e_say "emulator killed during the readiness wait"
	sleep 4
	faults_json '{}'
	emu_restart
	check "wait: the restarted emulator still has the Cluster" exists "$G_CAPI/clusters/fa"
	tf_bg_wait 300
	check "wait: the interrupted apply itself rode out the restart (exit 0)" test "$TF_BG_RC" -eq 0
	after_fault k8s-emu-kill-wait "emulator SIGKILLed and restarted while k8s_cluster waits for readiness"
}

# ---- (2) emulator killed while k8s_machine_pool rotates templates --------------
sc_emu_kill_rotate() {
	tf_workdir rotate
	POOL='
	resource "k8s_machine_pool" "p" {
	  name               = "fbw"
	  namespace          = k8s_cluster.c.namespace
	  cluster_name       = k8s_cluster.c.name
	  kubernetes_version = "v1.33.1"
	  replicas           = 2
	  flavor             = "FLAVOR"
	  timeouts {
	    create = "4m"
	    update = "4m"
	    delete = "4m"
	  }
	}'
	cluster_tf fb "${POOL/FLAVOR/c2-m4}"
	require "rotate: init" tf init -input=false -no-color
	require "rotate: cluster and pool created" apply_ok
	old_tpl=$(emu_curl GET "$G_CAPI/machinedeployments/fbw" | jq -r .spec.template.spec.infrastructureRef.name)
	cluster_tf fb "${POOL/FLAVOR/c4-m8}"
	# New machines never get ready until the fault is over: the rotation is
	# under way (MachineDeployment repointed) when the emulator dies.
	faults_json '{"never_ready":["default/fbw"]}'
	tf_bg apply -auto-approve -input=false -no-color
	repointed() {
		local cur
		cur=$(emu_curl GET "$G_CAPI/machinedeployments/fbw" | jq -r .spec.template.spec.infrastructureRef.name)
		[[ -n $cur && $cur != null && $cur != "$old_tpl" ]]
	}
	check "rotate: the MachineDeployment points at the new template" wait_for 60 repointed
	sleep 2
	emu_kill
	e2e_say "emulator killed during the template rotation"
	sleep 4
	faults_json '{}'
	emu_restart
	tf_bg_wait 300
	check "rotate: the interrupted apply itself rode out the restart (exit 0)" test "$TF_BG_RC" -eq 0
	check "rotate: the old template is gone" absent "$G_INFRA/lxcmachinetemplates/$old_tpl"
	after_fault k8s-emu-kill-rotate "emulator SIGKILLed and restarted while k8s_machine_pool rotates templates"
}

# ---- (3) Terraform SIGINT in the middle of a k8s_cluster create -----------------
sc_tf_sigint() {
	tf_workdir sigint
	cluster_tf fc
	require "sigint: init" tf init -input=false -no-color
	faults_json '{"never_ready":["default/fc"]}'
	tf_bg apply -auto-approve -input=false -no-color
	check "sigint: the provider created the Cluster and waits" \
		wait_for 60 exists "$G_CAPI/clusters/fc"
	sleep 2
	kill -INT "$TF_BG_PID"
	e2e_say "SIGINT sent to terraform (pid $TF_BG_PID)"
	tf_bg_wait 120
	check "sigint: terraform stops with an error" test "$TF_BG_RC" -ne 0
	check "sigint: the provider says it was stopped while waiting" \
		grep -q 'Stopped while waiting for the cluster' "$TF_BG_LOG"
	check "sigint: the provider process survived SIGINT and exited cleanly" \
		bash -c "! grep -qE 'plugin process exited.*(signal|exit status [1-9])' '${TF_BG_LOG%.log}.tflog'"
	check "sigint: the partial cluster is in the state" state_has k8s_cluster.c
	tainted() { jq -e '.resources[] | select(.type == "k8s_cluster") | .instances[0].status == "tainted"' "$TF_DIR/terraform.tfstate" >/dev/null; }
	check "sigint: and it is tainted" tainted
	after_fault k8s-tf-sigint "Terraform SIGINT mid-apply of a k8s_cluster (StopProvider, partial state)"
}

# ---- (3b) the emulator hangs (SIGSTOP) while k8s_cluster waits ---------------------
sc_emu_hang() {
	# A server that stops answering costs one request timeout (30 s), not one
	# per request: the client gives up on it and the rest of the apply fails at
	# once with the same error, returning the partial state.
	tf_workdir hang
	cluster_tf fh
	require "hang: init" tf init -input=false -no-color
	faults_json '{"never_ready":["default/fh"]}'
	tf_bg apply -auto-approve -input=false -no-color
	check "hang: the provider created the Cluster and waits" \
		wait_for 60 exists "$G_CAPI/clusters/fh"
	sleep 1
	kill -STOP "$EMU_PID"
	hang_t0=$SECONDS
	e2e_say "emulator stopped (SIGSTOP): it accepts connections and never answers"
	tf_bg_wait 150
	hang_secs=$((SECONDS - hang_t0))
	kill -CONT "$EMU_PID"
	e2e_say "emulator continued; the apply ended ${hang_secs}s after the stop"
	check "hang: the apply fails" test "$TF_BG_RC" -ne 0
	check "hang: it says the management cluster stopped answering" grep -q 'stopped answering' "$TF_BG_LOG"
	check "hang: one request timeout, not one per request (${hang_secs}s < 55s)" test "$hang_secs" -lt 55
	check "hang: the partial cluster is in the state" state_has k8s_cluster.c
	after_fault k8s-emu-hang "emulator SIGSTOPped (accepts, never answers) while k8s_cluster waits: one request timeout, the rest fail fast"
}

# ---- (4) provider killed in the middle of a k8s_cluster create -------------------
sc_provider_kill() {
	tf_workdir provkill
	cluster_tf fd
	require "provkill: init" tf init -input=false -no-color
	faults_json '{"never_ready":["default/fd"]}'
	tf_bg apply -auto-approve -input=false -no-color
	check "provkill: the provider created the Cluster and waits" \
		wait_for 60 exists "$G_CAPI/clusters/fd"
	sleep 1
	pp=$(provider_pid)
	check "provkill: found the provider process" test -n "$pp"
	[[ -n $pp ]] && kill -KILL "$pp"
	e2e_say "provider (pid $pp) killed"
	tf_bg_wait 120 crash
	check "provkill: terraform fails" test "$TF_BG_RC" -ne 0
	check "provkill: nothing reached the state" state_lacks k8s_cluster.c
	marked() { emu_curl GET "$G_CAPI/clusters/fd" | jq -e '.metadata.annotations["lxdcapi.terraform.io/create-id"]' >/dev/null; }
	unmarked() { ! marked; }
	check "provkill: its objects carry the provider's create marker" marked
	faults_json '{}'
	# Not in the state yet on the server: the next apply resumes them instead
	# of failing on "already exists" (the orphans of this fault are expected,
	# and must be gone after convergence).
	uid_before=$(emu_curl GET "$G_CAPI/clusters/fd" | jq -r .metadata.uid)
	n_pk=$(orphan_count)
	pk_ok=yes
	check "provkill: (b) the next apply resumes the objects and succeeds" apply_ok
	((E2E_LAST_OK)) || pk_ok=no
	check "provkill: the Cluster was resumed, not re-created" \
		test "$(emu_curl GET "$G_CAPI/clusters/fd" | jq -r .metadata.uid)" == "$uid_before"
	check "provkill: the marker is released once in the state" unmarked
	check "provkill: (c) the plan after it is empty" expect_exit 0 plan_exit
	((E2E_LAST_OK)) || pk_ok=no
	m=$(orphan_count)
	check "provkill: (a) no orphans after convergence" test "$m" -eq 0
	check "provkill: (d) destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
	((E2E_LAST_OK)) || pk_ok=no
	check "provkill: (d) destroy leaves nothing" nothing_left
	((E2E_LAST_OK)) || pk_ok=no
	echo "FAULT-RESULT: id=k8s-provider-kill converged=$pk_ok orphans=$m desc=provider SIGKILLed mid-create of a k8s_cluster (unrecorded objects resumed by marker; $n_pk right after the kill)"
}

# ---- a rotation that times out is finished by the next apply -----------------
sc_rotation_timeout() {
	# Not a crash but the same gap: the pool's update gives up (timeouts.update)
	# after repointing the MachineDeployment, so the old templates are still
	# there (old machines use them) and the state already names the new ones.
	# The next plan must show an update that finishes the rollout and removes
	# them, not "no changes" with templates left behind.
	tf_workdir rottimeout
	POOL2='
	resource "k8s_machine_pool" "p" {
	  name               = "fgw"
	  namespace          = k8s_cluster.c.namespace
	  cluster_name       = k8s_cluster.c.name
	  kubernetes_version = "v1.33.1"
	  replicas           = 1
	  flavor             = "FLAVOR"
	  timeouts {
	    update = "8s"
	  }
	}'
	cluster_tf fg "${POOL2/FLAVOR/c2-m4}"
	require "rotation timeout: init" tf init -input=false -no-color
	require "rotation timeout: cluster and pool created" apply_ok
	old_g=$(emu_curl GET "$G_CAPI/machinedeployments/fgw" | jq -r .spec.template.spec.infrastructureRef.name)
	cluster_tf fg "${POOL2/FLAVOR/c4-m8}"
	faults_json '{"never_ready":["default/fgw"]}'
	check "rotation timeout: the update times out" expect_exit 1 tf apply -auto-approve -input=false -no-color
	check "rotation timeout: the error says so" out_has 'did not become ready within'
	check "rotation timeout: the old template is still there (old machines use it)" \
		exists "$G_INFRA/lxcmachinetemplates/$old_g"
	faults_json '{}'
	check "rotation timeout: the next plan shows the unfinished rotation" expect_exit 2 plan_exit
	check "rotation timeout: the next apply finishes it" apply_ok
	check "rotation timeout: the old template is gone" absent "$G_INFRA/lxcmachinetemplates/$old_g"
	check "rotation timeout: then the plan is empty" expect_exit 0 plan_exit
	check "rotation timeout: no orphans" test "$(orphan_count)" -eq 0
	check "rotation timeout: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
	check "rotation timeout: destroy leaves nothing" nothing_left
}

# ---- foreign objects are never adopted ---------------------------------------
sc_foreign() {
	tf_workdir foreign
	cluster_tf fe
	require "foreign: init" tf init -input=false -no-color
	hand='{"apiVersion":"cluster.x-k8s.io/v1beta2","kind":"Cluster","metadata":{"name":"fe","labels":{"team":"other"}},"spec":{"paused":true}}'
	make_hand() { emu_curl POST "$G_CAPI/clusters" "$hand" | jq -e .metadata.uid >/dev/null; }
	check "foreign: a Cluster 'fe' made by hand" make_hand
	# The (emulated) Cluster API controller marks a paused Cluster with a
	# Paused condition once; only after that write is its version stable.
	hand_paused() {
		emu_curl GET "$G_CAPI/clusters/fe" |
			jq -e '.status.conditions[]? | select(.type == "Paused" and .status == "True")' >/dev/null
	}
	check "foreign: the controller has seen it (Paused condition)" wait_for 20 hand_paused
	hand_rv=$(emu_curl GET "$G_CAPI/clusters/fe" | jq -r .metadata.resourceVersion)
	check "foreign: apply fails" expect_exit 1 tf apply -auto-approve -input=false -no-color
	check "foreign: the error says it was not created by this configuration" out_has 'this configuration did not'
	check "foreign: and to import it" out_has 'Import it instead'
	check "foreign: nothing in the state" state_lacks k8s_cluster.c
	check "foreign: the hand-made Cluster is untouched" \
		test "$(emu_curl GET "$G_CAPI/clusters/fe" | jq -r .metadata.resourceVersion)" == "$hand_rv"
	check "foreign: what the failed apply made is gone again" nothing_left
	del_hand() { emu_curl DELETE "$G_CAPI/clusters/fe" >/dev/null; }
	check "foreign: remove the hand-made Cluster" del_hand
}

# K8S_FAULTS_ONLY (a regex on the scenario function names, e.g.
# "hang|sigint") runs only some of them; the default is all.
for sc in sc_emu_kill_wait sc_emu_kill_rotate sc_tf_sigint sc_emu_hang sc_provider_kill sc_rotation_timeout sc_foreign; do
	if [[ -n ${K8S_FAULTS_ONLY:-} && ! $sc =~ $K8S_FAULTS_ONLY ]]; then
		e2e_say "$sc: not selected by K8S_FAULTS_ONLY"
		continue
	fi
	"$sc"
done

e2e_end

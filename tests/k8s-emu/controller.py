"""The simulated Cluster API (core, KCP, CABPK) and CAPN controllers.

One pass every `delay` seconds (faults.json "delay" overrides); a pass
holds the store lock, runs the garbage collector, then reconciles every
object once. A reconcile makes at most one step of progress for its object
(it may also write the status), so readiness takes several passes, like a
real cluster taking its time. Writes go through the store (validation,
resourceVersion, finalizer rules), as a real controller's would; a write the
store rejects is logged with its Status message (an emulator bug).

The controllers only ever remove the finalizers they own (see FIN_*).
"""

import base64
import copy
import hashlib
import json
import traceback

import errors
import store as storelib

CAPI = "cluster.x-k8s.io/v1beta2"
KCPV = "controlplane.cluster.x-k8s.io/v1beta2"
BOOT = "bootstrap.cluster.x-k8s.io/v1beta2"
INFRA = "infrastructure.cluster.x-k8s.io/v1alpha2"

FIN_CLUSTER = "cluster.cluster.x-k8s.io"
FIN_MD = "cluster.x-k8s.io/machinedeployment"
FIN_MS = "cluster.x-k8s.io/machineset"
FIN_MACHINE = "machine.cluster.x-k8s.io"
FIN_KCP = "kubeadm.controlplane.cluster.x-k8s.io"
FIN_LXCCLUSTER = "lxccluster.infrastructure.cluster.x-k8s.io"
FIN_LXCMACHINE = "lxcmachine.infrastructure.cluster.x-k8s.io"

L_CLUSTER = "cluster.x-k8s.io/cluster-name"
L_CP = "cluster.x-k8s.io/control-plane"
L_CP_NAME = "cluster.x-k8s.io/control-plane-name"
L_MD = "cluster.x-k8s.io/deployment-name"
L_MS = "cluster.x-k8s.io/set-name"
L_HASH = "machine-template-hash"
A_CLONED_NAME = "cluster.x-k8s.io/cloned-from-name"
A_CLONED_GK = "cluster.x-k8s.io/cloned-from-groupkind"
A_PAUSED = "cluster.x-k8s.io/paused"

DEFAULT_NR_MESSAGE = "injected failure (faults.json never_ready)"
FAKE_PEM = "-----BEGIN CERTIFICATE-----\nazhzLWVtdWxhdG9yLWZha2U=\n-----END CERTIFICATE-----\n"


def now():
    return storelib.now()


def b64(s):
    return base64.b64encode(s.encode()).decode()


def md(o):
    return o["metadata"]


def nsname(o):
    return "%s/%s" % (md(o).get("namespace", ""), md(o)["name"])


def deleting(o):
    return bool(md(o).get("deletionTimestamp"))


def has_fin(o, f):
    return f in (md(o).get("finalizers") or [])


def owner_ref(o, controller=False):
    r = {"apiVersion": o["apiVersion"], "kind": o["kind"], "name": md(o)["name"],
         "uid": md(o)["uid"]}
    if controller:
        r["controller"] = True
        r["blockOwnerDeletion"] = True
    return r


def owned_by(o, owner):
    return any(r.get("uid") == md(owner)["uid"] for r in md(o).get("ownerReferences") or [])


def owner_of_kind(o, kind):
    for r in md(o).get("ownerReferences") or []:
        if r.get("kind") == kind:
            return r
    return None


def cond_get(o, ctype):
    for c in (o.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def cond_true(o, ctype):
    c = cond_get(o, ctype)
    return bool(c) and c.get("status") == "True"


def set_cond(old_conds, ctype, ok, reason, message="", gen=None, v1beta1=False):
    """A condition dict keeping lastTransitionTime when the status is
    unchanged. ok: True/False/None (Unknown)."""
    status = "True" if ok is True else "False" if ok is False else "Unknown"
    prev = next((c for c in old_conds or [] if c.get("type") == ctype), None)
    ltt = prev["lastTransitionTime"] if prev and prev.get("status") == status else now()
    c = {"type": ctype, "status": status, "lastTransitionTime": ltt, "reason": reason}
    if v1beta1:
        if message:
            c["message"] = message
        if status == "False":
            c["severity"] = "Warning"
    else:
        c["message"] = message
        if gen is not None:
            c["observedGeneration"] = gen
    return c


def label_selector_string(ml):
    return ",".join("%s=%s" % (k, v) for k, v in sorted((ml or {}).items()))


def versions_of(machines):
    """[{version, replicas}] over machines, sorted by version."""
    out = {}
    for m in machines:
        v = (m.get("spec") or {}).get("version")
        if v:
            out[v] = out.get(v, 0) + 1
    return [{"version": v, "replicas": n} for v, n in sorted(out.items())]


def short_hash(value):
    h = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    n = int(h[:16], 16)
    out = ""
    for _ in range(10):
        out += alphabet[n % len(alphabet)]
        n //= len(alphabet)
    return out


class Controller:
    def __init__(self, store, registry, faults, delay, log):
        self.s = store
        self.reg = registry
        self.faults = faults
        self.delay = delay
        self.log = log
        self.f = {}
        # Timing only (lost on restart: a deletion then takes one more pass).
        self.seen_deleting = set()   # uids whose deletion was noticed once
        self.k = {n: registry.by_kind(av, n) for av, n in (
            ("v1", "Secret"), (CAPI, "Cluster"), (CAPI, "MachineDeployment"),
            (CAPI, "MachineSet"), (CAPI, "Machine"), (KCPV, "KubeadmControlPlane"),
            (BOOT, "KubeadmConfig"), (BOOT, "KubeadmConfigTemplate"),
            (INFRA, "LXCCluster"), (INFRA, "LXCMachine"), (INFRA, "LXCMachineTemplate"))}

    # State that must survive a restart lives in the store (saved with
    # the objects): the next load-balancer address and the Machines whose
    # KubeadmConfig was created with an empty spec.

    @property
    def ip_next(self):
        return self.s.extra.get("ip_next", 10)

    @ip_next.setter
    def ip_next(self, v):
        self.s.set_extra("ip_next", v)

    def cfg_fallback_has(self, uid):
        return uid in (self.s.extra.get("cfg_fallback") or [])

    def cfg_fallback_add(self, uid):
        self.s.set_extra("cfg_fallback", sorted(set(self.s.extra.get("cfg_fallback") or []) | {uid}))

    # ------------------------------------------------------------- loop

    def run(self, stop):
        """Pass loop. A pass is skipped when the previous one wrote nothing
        and nothing changed since (same resourceVersion, same faults, no
        deletion in progress): the controllers have no timers, so it would
        change nothing either, and an idle emulator costs no CPU."""
        last = None
        while not stop.wait(self.faults.controller_delay(self.delay)):
            try:
                f = self.faults.load()
                if f.get("paused"):
                    continue
                with self.s.lock:
                    key = (self.s.current_rv(), json.dumps(f, sort_keys=True))
                    if key == last and not self.seen_deleting:
                        continue
                    self.pass_once(f)
                    # Only a pass that wrote nothing proves a steady state.
                    last = key if self.s.current_rv() == key[0] else None
                self.s.flush()
            except Exception:  # noqa: BLE001 - keep the controller alive, loudly
                last = None
                self.log("controller: pass failed:\n" + traceback.format_exc())

    def pass_once(self, f):
        self.f = f
        self.s.gc()
        for name, fn in (("Cluster", self.cluster), ("LXCCluster", self.lxccluster),
                         ("KubeadmControlPlane", self.kcp), ("MachineDeployment", self.md),
                         ("MachineSet", self.ms), ("Machine", self.machine),
                         ("KubeadmConfig", self.kubeadmconfig), ("LXCMachine", self.lxcmachine)):
            kind = self.k[name]
            if kind is None:
                continue
            for o in list(self.s._all(kind)):
                cur = self.s._find(kind, md(o).get("namespace"), md(o)["name"])
                if cur is None:
                    continue
                try:
                    fn(copy.deepcopy(cur))
                except errors.ApiError as e:
                    self.log("controller: %s %s: write rejected: %d %s" % (
                        name, nsname(cur), e.code, e.message))

    # ------------------------------------------------------------- store helpers

    def get(self, kname, ns, name):
        if not name:
            return None
        o = self.s._find(self.k[kname], ns, name)
        return copy.deepcopy(o) if o is not None else None

    def objs(self, kname, ns, pred=None):
        return [copy.deepcopy(o) for o in self.s._all(self.k[kname], ns)
                if pred is None or pred(o)]

    def write(self, o):
        o = copy.deepcopy(o)
        md(o).pop("resourceVersion", None)
        kind = self.s._kind_of(o)
        return self.s.update(kind, md(o).get("namespace"), md(o)["name"], o, require_rv=False)[0]

    def write_status(self, o, status):
        if o.get("status") == status:
            return o
        o = copy.deepcopy(o)
        o["status"] = status
        md(o).pop("resourceVersion", None)
        kind = self.s._kind_of(o)
        return self.s.update(kind, md(o).get("namespace"), md(o)["name"], o,
                             subresource="status" if kind.status else None, require_rv=False)[0]

    def create(self, o):
        kind = self.s._kind_of(o)
        return self.s.create(kind, md(o).get("namespace"), o)[0]

    def delete(self, o):
        if not deleting(o):
            self.log("controller: deleting %s %s" % (o["kind"], nsname(o)))
            self.s.delete_obj(o)

    def add_fin(self, o, fin, labels=None):
        """Add a finalizer (and labels); returns True if it wrote."""
        changed = False
        if not has_fin(o, fin):
            md(o).setdefault("finalizers", []).append(fin)
            changed = True
        for k, v in (labels or {}).items():
            if (md(o).get("labels") or {}).get(k) != v:
                md(o).setdefault("labels", {})[k] = v
                changed = True
        if changed:
            self.write(o)
        return changed

    def drop_fin(self, o, fin):
        if has_fin(o, fin):
            self.log("controller: %s %s: removing finalizer %s" % (o["kind"], nsname(o), fin))
            self.s.remove_finalizer(o, fin)

    def ensure_owner(self, o, owner, controller=False):
        if o is None or owned_by(o, owner) or deleting(o):
            return False
        refs = md(o).setdefault("ownerReferences", [])
        if controller and any(r.get("controller") for r in refs):
            controller = False
        refs.append(owner_ref(owner, controller))
        self.write(o)
        return True

    def deleted_once(self, o):
        """True from the second pass that sees o being deleted (simulates
        the time an LXD instance or load balancer takes to go away)."""
        uid = md(o)["uid"]
        if uid in self.seen_deleting:
            self.seen_deleting.discard(uid)
            return True
        self.seen_deleting.add(uid)
        return False

    # ------------------------------------------------------------- faults

    def nr_message(self):
        m = self.f.get("condition_message")
        return m if isinstance(m, str) and m else DEFAULT_NR_MESSAGE

    def never_ready(self, *keys):
        lst = self.f.get("never_ready") or []
        return isinstance(lst, list) and any(k in lst for k in keys if k)

    def stall_delete(self, key):
        lst = self.f.get("stall_delete") or []
        return isinstance(lst, list) and key in lst

    def cluster_paused(self, ns, cname):
        c = self.get("Cluster", ns, cname)
        return c is not None and self.is_paused(c)

    @staticmethod
    def is_paused(c):
        return bool((c.get("spec") or {}).get("paused")) or A_PAUSED in (md(c).get("annotations") or {})

    # ------------------------------------------------------------- Cluster

    def cluster(self, c):
        ns, name = md(c)["namespace"], md(c)["name"]
        st = copy.deepcopy(c.get("status") or {})
        conds = st.get("conditions") or []
        gen = md(c).get("generation")
        if self.is_paused(c):
            new = [x for x in conds if x["type"] != "Paused"]
            new.append(set_cond(conds, "Paused", True, "Paused", "", gen))
            st["conditions"] = new
            self.write_status(c, st)
            return
        if deleting(c):
            self.cluster_delete(c, st, gen)
            return
        if self.add_fin(c, FIN_CLUSTER, {L_CLUSTER: name}):
            return
        spec = c.get("spec") or {}
        iref = spec.get("infrastructureRef") or {}
        cref = spec.get("controlPlaneRef") or {}
        infra = self.get("LXCCluster", ns, iref.get("name")) if iref.get("kind") == "LXCCluster" else None
        kcp = self.get("KubeadmControlPlane", ns, cref.get("name")) if cref.get("kind") == "KubeadmControlPlane" else None
        wrote = self.ensure_owner(infra, c, True)
        wrote |= self.ensure_owner(kcp, c, True)
        if wrote:
            return
        infra_ready = bool(infra and (infra.get("status") or {}).get("ready"))
        ep = ((infra or {}).get("spec") or {}).get("controlPlaneEndpoint") or {}
        cep = spec.get("controlPlaneEndpoint") or {}
        if infra_ready and ep.get("host") and not cep.get("host"):
            c["spec"]["controlPlaneEndpoint"] = {"host": ep["host"], "port": ep.get("port", 6443)}
            self.write(c)
            return
        mds = self.objs("MachineDeployment", ns, lambda o: (o.get("spec") or {}).get("clusterName") == name)
        kst = (kcp or {}).get("status") or {}
        init = st.get("initialization") or {}
        cp_init = bool(init.get("controlPlaneInitialized")) or bool((kst.get("initialization") or {}).get("controlPlaneInitialized"))
        st["initialization"] = {"infrastructureProvisioned": infra_ready or bool(init.get("infrastructureProvisioned")),
                                "controlPlaneInitialized": cp_init}
        if infra_ready and cep.get("host"):
            st["phase"] = "Provisioned"
        elif iref:
            st["phase"] = "Provisioning"
        else:
            st["phase"] = "Pending"
        new = []
        if infra is None:
            new.append(set_cond(conds, "InfrastructureReady", False, "InfrastructureDoesNotExist",
                                "%s %s/%s does not exist" % (iref.get("kind", "infrastructure"), ns, iref.get("name", "")), gen))
        elif infra_ready:
            new.append(set_cond(conds, "InfrastructureReady", True, "Ready", "", gen))
        else:
            msg = (cond_get(infra, "Ready") or cond_get(infra, "LoadBalancerAvailable") or {}).get("message") or "not ready yet"
            new.append(set_cond(conds, "InfrastructureReady", False, "NotReady",
                                "LXCCluster %s: %s" % (md(infra)["name"], msg), gen))
        nr = self.never_ready("%s/%s" % (ns, name))
        if kcp is None:
            new.append(set_cond(conds, "ControlPlaneInitialized", False, "ControlPlaneDoesNotExist",
                                "%s %s/%s does not exist" % (cref.get("kind", "control plane"), ns, cref.get("name", "")), gen))
            new.append(set_cond(conds, "ControlPlaneAvailable", False, "ControlPlaneDoesNotExist",
                                "control plane does not exist", gen))
        else:
            new.append(set_cond(conds, "ControlPlaneInitialized", cp_init,
                                "Initialized" if cp_init else "NotInitialized",
                                "" if cp_init else (self.nr_message() if nr else "Control plane not yet initialized"), gen))
            kav = cond_get(kcp, "Available")
            ok = bool(kav and kav["status"] == "True")
            new.append(set_cond(conds, "ControlPlaneAvailable", ok, "Available" if ok else "NotAvailable",
                                "" if ok else "KubeadmControlPlane %s: %s" % (
                                    md(kcp)["name"], (kav or {}).get("message") or "not available yet"), gen))
        new.append(set_cond(conds, "RemoteConnectionProbe", cp_init, "ProbeSucceeded" if cp_init else "ProbeFailed",
                            "" if cp_init else "Remote connection not established yet", gen))
        if not mds:
            new.append(set_cond(conds, "WorkersAvailable", True, "NoWorkers", "", gen))
        else:
            bad = [m for m in mds if not cond_true(m, "Available")]
            new.append(set_cond(conds, "WorkersAvailable", not bad, "Available" if not bad else "NotAvailable",
                                "\n".join("* MachineDeployment %s: %s" % (md(m)["name"], (cond_get(m, "Available") or {}).get("message") or "not available yet")
                                          for m in bad), gen))
        owners = ([kcp] if kcp else []) + mds
        for ctype, yes, no in (("RollingOut", "RollingOut", "NotRollingOut"),
                               ("ScalingUp", "ScalingUp", "NotScalingUp"),
                               ("ScalingDown", "ScalingDown", "NotScalingDown")):
            active = [o for o in owners if cond_true(o, ctype)]
            new.append(set_cond(conds, ctype, bool(active), yes if active else no,
                                "\n".join("* %s %s: %s" % (o["kind"], md(o)["name"], cond_get(o, ctype).get("message", ""))
                                          for o in active), gen))
        new.append(set_cond(conds, "Deleting", False, "NotDeleting", "", gen))
        new.append(set_cond(conds, "Paused", False, "NotPaused", "", gen))
        must = ("InfrastructureReady", "ControlPlaneAvailable", "WorkersAvailable", "RemoteConnectionProbe")
        failing = [x for x in new if x["type"] in must and x["status"] != "True"]
        new.append(set_cond(conds, "Available", not failing, "Available" if not failing else "NotAvailable",
                            "\n".join("* %s: %s" % (x["type"], x["message"] or x["reason"]) for x in failing), gen))
        st["conditions"] = new
        st["controlPlane"] = {
            "desiredReplicas": ((kcp or {}).get("spec") or {}).get("replicas", 0),
            "replicas": kst.get("replicas", 0), "readyReplicas": kst.get("readyReplicas", 0),
            "availableReplicas": kst.get("availableReplicas", 0),
            "upToDateReplicas": kst.get("upToDateReplicas", 0)}
        w = {"desiredReplicas": 0, "replicas": 0, "readyReplicas": 0, "availableReplicas": 0,
             "upToDateReplicas": 0}
        for m in mds:
            w["desiredReplicas"] += (m.get("spec") or {}).get("replicas", 0)
            for k in ("replicas", "readyReplicas", "availableReplicas", "upToDateReplicas"):
                w[k] += (m.get("status") or {}).get(k, 0)
        wv = {}
        for m in mds:
            for e in (m.get("status") or {}).get("versions") or []:
                wv[e["version"]] = wv.get(e["version"], 0) + e.get("replicas", 0)
        if wv:
            w["versions"] = [{"version": v, "replicas": n} for v, n in sorted(wv.items())]
        if kst.get("versions"):
            st["controlPlane"]["versions"] = copy.deepcopy(kst["versions"])
        st["workers"] = w
        if gen:
            st["observedGeneration"] = gen
        self.write_status(c, st)

    def cluster_delete(self, c, st, gen):
        ns, name = md(c)["namespace"], md(c)["name"]
        if not has_fin(c, FIN_CLUSTER):
            return
        conds = st.get("conditions") or []
        st["phase"] = "Deleting"

        def say(reason, msg):
            st["conditions"] = [x for x in conds if x["type"] not in ("Deleting", "Available")] + [
                set_cond(conds, "Deleting", True, reason, msg, gen),
                set_cond(conds, "Available", False, "Deleting", "Cluster is being deleted", gen)]
            self.write_status(c, st)

        if self.stall_delete("%s/%s" % (ns, name)):
            custom = self.f.get("condition_message")
            say("InternalError", "deletion stalled (faults.json stall_delete)"
                + (": " + custom if isinstance(custom, str) and custom else ""))
            return
        mds = self.objs("MachineDeployment", ns, lambda o: (o.get("spec") or {}).get("clusterName") == name)
        if mds:
            say("WaitingForWorkersDeletion", "* MachineDeployments: %s" % ", ".join(md(m)["name"] for m in mds))
            for m in mds:
                self.delete(m)
            return
        sel = lambda o: (md(o).get("labels") or {}).get(L_CLUSTER) == name  # noqa: E731
        workers = self.objs("MachineSet", ns, sel) + self.objs(
            "Machine", ns, lambda o: sel(o) and L_CP not in (md(o).get("labels") or {}))
        if workers:
            say("WaitingForWorkersDeletion", "* Machines: %s" % ", ".join(md(m)["name"] for m in workers))
            for m in workers:
                self.delete(m)
            return
        cref = (c.get("spec") or {}).get("controlPlaneRef") or {}
        kcp = self.get("KubeadmControlPlane", ns, cref.get("name")) if cref.get("kind") == "KubeadmControlPlane" else None
        if kcp is not None:
            say("WaitingForControlPlaneDeletion", "* KubeadmControlPlane %s is being deleted" % md(kcp)["name"])
            self.delete(kcp)
            return
        iref = (c.get("spec") or {}).get("infrastructureRef") or {}
        infra = self.get("LXCCluster", ns, iref.get("name")) if iref.get("kind") == "LXCCluster" else None
        if infra is not None:
            say("WaitingForInfrastructureDeletion", "* LXCCluster %s is being deleted" % md(infra)["name"])
            self.delete(infra)
            return
        say("DeletionCompleted", "")
        self.drop_fin(c, FIN_CLUSTER)

    # ------------------------------------------------------------- LXCCluster

    def lxccluster(self, x):
        ns, name = md(x)["namespace"], md(x)["name"]
        if deleting(x):
            if has_fin(x, FIN_LXCCLUSTER) and self.deleted_once(x):
                self.drop_fin(x, FIN_LXCCLUSTER)
            return
        oref = owner_of_kind(x, "Cluster")
        if oref is None or self.cluster_paused(ns, oref.get("name")):
            return
        if self.add_fin(x, FIN_LXCCLUSTER):
            return
        st = copy.deepcopy(x.get("status") or {})
        conds = st.get("conditions") or []
        sref = ((x.get("spec") or {}).get("secretRef") or {}).get("name")
        if sref and self.get("Secret", ns, sref) is None:
            msg = "failed to create LXD client: identity secret %s/%s not found" % (ns, sref)
            st["ready"] = False
            st["conditions"] = [set_cond(conds, "Ready", False, "LXCSecretUnavailable", msg, v1beta1=True),
                                set_cond(conds, "LoadBalancerAvailable", False, "LXCSecretUnavailable", msg, v1beta1=True)]
            self.write_status(x, st)
            return
        ep = (x.get("spec") or {}).get("controlPlaneEndpoint") or {}
        if not ep.get("host"):
            x["spec"]["controlPlaneEndpoint"] = {"host": "203.0.113.%d" % self.ip_next, "port": 6443}
            self.ip_next = 10 + (self.ip_next - 9) % 240
            self.write(x)
            return
        st["ready"] = True
        st["conditions"] = [set_cond(conds, "Ready", True, "Ready", v1beta1=True),
                            set_cond(conds, "LoadBalancerAvailable", True, "Available", v1beta1=True)]
        self.write_status(x, st)

    # ------------------------------------------------------------- KCP

    def kcp(self, k):
        ns, name = md(k)["namespace"], md(k)["name"]
        spec = k.get("spec") or {}
        machines = self.objs("Machine", ns, lambda o: owned_by(o, k))
        if deleting(k):
            for m in machines:
                self.delete(m)
            if not machines:
                self.drop_fin(k, FIN_KCP)
            return
        oref = owner_of_kind(k, "Cluster")
        if oref is None:
            return
        cname = oref["name"]
        cluster = self.get("Cluster", ns, cname)
        if cluster is None or self.is_paused(cluster):
            return
        if self.add_fin(k, FIN_KCP, {L_CLUSTER: cname}):
            return
        gen = md(k).get("generation")
        st = copy.deepcopy(k.get("status") or {})
        conds = st.get("conditions") or []
        tref = ((spec.get("machineTemplate") or {}).get("spec") or {}).get("infrastructureRef") or {}
        tmpl = self.get("LXCMachineTemplate", ns, tref.get("name"))
        if tmpl is not None and self.ensure_owner(tmpl, cluster):
            return
        nr = self.never_ready("%s/%s" % (ns, cname), "%s/%s" % (ns, name))
        version = spec.get("version")
        desired = spec.get("replicas", 1)
        live = [m for m in machines if not deleting(m)]

        def uptodate(m):
            """Like KCP: same version, same infrastructure template, and a
            KubeadmConfig equal to spec.kubeadmConfigSpec (init/join aside,
            the one the machine has is compared)."""
            mspec = m.get("spec") or {}
            infra_name = (mspec.get("infrastructureRef") or {}).get("name")
            lm = self.get("LXCMachine", ns, infra_name)
            cloned = (md(lm).get("annotations") or {}).get(A_CLONED_NAME) if lm else None
            if mspec.get("version") != version or cloned != tref.get("name"):
                return False
            if self.cfg_fallback_has(md(m)["uid"]):
                return True
            cfg = self.get("KubeadmConfig", ns, ((mspec.get("bootstrap") or {}).get("configRef") or {}).get("name"))
            if cfg is None:
                return True  # being deleted or not yet created: nothing to compare
            have = copy.deepcopy(cfg.get("spec") or {})
            want = copy.deepcopy(spec.get("kubeadmConfigSpec") or {})
            for key in ("initConfiguration", "joinConfiguration"):
                if key not in have:
                    want.pop(key, None)
            return have == want

        def ready(m):
            return (m.get("status") or {}).get("phase") == "Running"

        outdated = [m for m in live if not uptodate(m)]
        cinit = (cluster.get("status") or {}).get("initialization") or {}
        blocked = None
        if tmpl is None:
            blocked = "LXCMachineTemplate %s/%s does not exist" % (ns, tref.get("name", ""))
        elif not cinit.get("infrastructureProvisioned") or not ((cluster.get("spec") or {}).get("controlPlaneEndpoint") or {}).get("host"):
            blocked = "Waiting for Cluster infrastructure to be provisioned and the control plane endpoint to be set"
        elif any(deleting(m) for m in machines) or any(not ready(m) for m in live):
            pass
        elif len(live) < desired:
            self.create_cp_machine(k, cluster, tmpl, bool((st.get("initialization") or {}).get("controlPlaneInitialized")))
        elif outdated:
            if len(live) <= desired:
                self.create_cp_machine(k, cluster, tmpl, True)
            else:
                self.delete(sorted(outdated, key=lambda m: md(m)["creationTimestamp"])[0])
        elif len(live) > desired:
            self.delete(sorted(live, key=lambda m: md(m)["creationTimestamp"])[0])
        machines = self.objs("Machine", ns, lambda o: owned_by(o, k))
        live = [m for m in machines if not deleting(m)]
        outdated = [m for m in live if not uptodate(m)]
        n_ready = sum(1 for m in machines if ready(m))
        initialized = bool((st.get("initialization") or {}).get("controlPlaneInitialized")) or n_ready > 0
        if initialized:
            self.ensure_cluster_secrets(k, cluster)
        versions = {}
        for m in machines:
            v = (m.get("spec") or {}).get("version")
            if v:
                versions[v] = versions.get(v, 0) + 1
        st.update({
            "replicas": len(machines), "readyReplicas": n_ready, "availableReplicas": n_ready,
            "upToDateReplicas": len(live) - len(outdated),
            "initialization": {"controlPlaneInitialized": initialized},
            "selector": "%s=%s,%s" % (L_CLUSTER, cname, L_CP),
        })
        if versions:
            st["versions"] = [{"version": v, "replicas": n} for v, n in sorted(versions.items())]
            st["version"] = sorted(versions)[0]
        else:
            st.pop("versions", None)
            st.pop("version", None)
        if gen:
            st["observedGeneration"] = gen
        not_ready = [m for m in machines if not ready(m)]
        mr_msg = blocked or "\n".join("* Machine %s: %s" % (md(m)["name"], (cond_get(m, "Ready") or {}).get("message") or "not ready yet")
                                      for m in not_ready)
        if nr and not_ready:
            mr_msg = self.nr_message()
        avail = initialized and n_ready > 0 and not blocked
        new = [
            set_cond(conds, "Available", avail, "Available" if avail else "NotAvailable",
                     "" if avail else (mr_msg or "Control plane not yet available"), gen),
            set_cond(conds, "MachinesReady", not not_ready and not blocked, "Ready" if not not_ready and not blocked else "NotReady",
                     "" if not not_ready and not blocked else mr_msg, gen),
            set_cond(conds, "MachinesUpToDate", not outdated, "UpToDate" if not outdated else "NotUpToDate",
                     "" if not outdated else "* Machines %s: not up-to-date" % ", ".join(md(m)["name"] for m in outdated), gen),
            set_cond(conds, "RollingOut", bool(outdated), "RollingOut" if outdated else "NotRollingOut",
                     "Rolling out %d not up-to-date replicas" % len(outdated) if outdated else "", gen),
            set_cond(conds, "ScalingUp", len(live) < desired, "ScalingUp" if len(live) < desired else "NotScalingUp",
                     "Scaling up from %d to %d replicas" % (len(live), desired) if len(live) < desired else "", gen),
            set_cond(conds, "ScalingDown", len(live) > desired and not outdated,
                     "ScalingDown" if len(live) > desired and not outdated else "NotScalingDown",
                     "Scaling down from %d to %d replicas" % (len(live), desired) if len(live) > desired and not outdated else "", gen),
            set_cond(conds, "EtcdClusterHealthy", n_ready > 0, "Healthy" if n_ready else "NotHealthy",
                     "" if n_ready else "no etcd member is ready", gen),
            set_cond(conds, "ControlPlaneComponentsHealthy", n_ready > 0, "Healthy" if n_ready else "NotHealthy",
                     "" if n_ready else "no control plane machine is ready", gen),
            set_cond(conds, "Deleting", False, "NotDeleting", "", gen),
            set_cond(conds, "Paused", False, "NotPaused", "", gen),
        ]
        st["conditions"] = new
        self.write_status(k, st)

    def create_cp_machine(self, k, cluster, tmpl, join):
        ns, kname, cname = md(k)["namespace"], md(k)["name"], md(cluster)["name"]
        spec = k.get("spec") or {}
        name = "%s-%s" % (kname, storelib.rand_suffix())
        labels = {L_CLUSTER: cname, L_CP: "", L_CP_NAME: kname}
        kcs = copy.deepcopy(spec.get("kubeadmConfigSpec") or {})
        if join:
            kcs.pop("initConfiguration", None)
        else:
            kcs.pop("joinConfiguration", None)
        self.create_machine(ns, name, labels, k, cname, spec.get("version"), tmpl, kcs)

    def create_machine(self, ns, name, labels, owner, cname, version, tmpl, kcs):
        self.log("controller: creating Machine %s/%s (%s)" % (ns, name, version))
        m = self.create({
            "apiVersion": CAPI, "kind": "Machine",
            "metadata": {"name": name, "namespace": ns, "labels": labels,
                         "ownerReferences": [owner_ref(owner, True)]},
            "spec": {"clusterName": cname, "version": version,
                     "bootstrap": {"configRef": {"apiGroup": "bootstrap.cluster.x-k8s.io",
                                                 "kind": "KubeadmConfig", "name": name}},
                     "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io",
                                           "kind": "LXCMachine", "name": name}}})
        ispec = copy.deepcopy(((tmpl.get("spec") or {}).get("template") or {}).get("spec") or {})
        ispec.pop("providerID", None)
        self.create({"apiVersion": INFRA, "kind": "LXCMachine",
                     "metadata": {"name": name, "namespace": ns, "labels": dict(labels),
                                  "annotations": {A_CLONED_NAME: md(tmpl)["name"],
                                                  A_CLONED_GK: "LXCMachineTemplate.infrastructure.cluster.x-k8s.io"},
                                  "ownerReferences": [owner_ref(m, True)]},
                     "spec": ispec})
        cfg = {"apiVersion": BOOT, "kind": "KubeadmConfig",
               "metadata": {"name": name, "namespace": ns, "labels": dict(labels),
                            "ownerReferences": [owner_ref(m, True)]},
               "spec": kcs}
        try:
            self.create(cfg)
        except errors.ApiError as e:
            self.log("controller: KubeadmConfig %s/%s rejected (%s); creating it with an empty spec" % (ns, name, e.message))
            cfg["spec"] = {}
            self.create(cfg)
            self.cfg_fallback_add(md(m)["uid"])

    def ensure_cluster_secrets(self, k, cluster):
        ns, cname = md(cluster)["namespace"], md(cluster)["name"]
        ep = (cluster.get("spec") or {}).get("controlPlaneEndpoint") or {}
        for suffix in ("ca", "etcd", "sa", "proxy", "kubeconfig"):
            sname = "%s-%s" % (cname, suffix)
            if self.get("Secret", ns, sname) is not None:
                continue
            if suffix == "kubeconfig":
                data = {"value": b64(self.workload_kubeconfig() or self.kubeconfig_for(cname, ep))}
            else:
                data = {"tls.crt": b64(FAKE_PEM), "tls.key": b64("k8s-emu fake key\n")}
            self.log("controller: creating Secret %s/%s" % (ns, sname))
            self.create({"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                         "metadata": {"name": sname, "namespace": ns, "labels": {L_CLUSTER: cname},
                                      "ownerReferences": [owner_ref(k, True)]},
                         "data": data})

    def workload_kubeconfig(self):
        """faults.json "workload_kubeconfig": a file whose content every new
        <cluster>-kubeconfig Secret carries (e.g. WORKDIR/kubeconfig-token,
        so the emulator itself serves as the workload cluster)."""
        path = self.f.get("workload_kubeconfig")
        if not isinstance(path, str) or not path:
            return None
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except OSError as e:
            self.log("controller: workload_kubeconfig %s unreadable: %s" % (path, e))
            return None

    @staticmethod
    def kubeconfig_for(cname, ep):
        server = "https://%s:%s" % (ep.get("host", "203.0.113.1"), ep.get("port", 6443))
        user = "%s-admin" % cname
        return (
            "apiVersion: v1\nkind: Config\n"
            "clusters:\n- name: %s\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n"
            "contexts:\n- name: %s@%s\n  context:\n    cluster: %s\n    user: %s\n"
            "current-context: %s@%s\n"
            "users:\n- name: %s\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n"
            % (cname, server, b64(FAKE_PEM), user, cname, cname, user, user, cname, user,
               b64(FAKE_PEM), b64("k8s-emu fake key\n")))

    # ------------------------------------------------------------- MachineDeployment

    def md(self, d):
        ns, name = md(d)["namespace"], md(d)["name"]
        spec = d.get("spec") or {}
        sets = self.objs("MachineSet", ns, lambda o: owned_by(o, d))
        if deleting(d):
            for s in sets:
                self.delete(s)
            if not sets:
                self.drop_fin(d, FIN_MD)
            return
        cname = spec.get("clusterName")
        cluster = self.get("Cluster", ns, cname)
        gen = md(d).get("generation")
        st = copy.deepcopy(d.get("status") or {})
        conds = st.get("conditions") or []
        if cluster is None:
            st["conditions"] = [set_cond(conds, "Available", False, "NotAvailable",
                                         "Cluster %s/%s does not exist" % (ns, cname), gen)]
            self.write_status(d, st)
            return
        if self.is_paused(cluster) or spec.get("paused"):
            return
        if self.add_fin(d, FIN_MD) or self.ensure_owner(d, cluster):
            return
        tspec = (spec.get("template") or {}).get("spec") or {}
        iref = tspec.get("infrastructureRef") or {}
        bref = (tspec.get("bootstrap") or {}).get("configRef") or {}
        itmpl = self.get("LXCMachineTemplate", ns, iref.get("name"))
        btmpl = self.get("KubeadmConfigTemplate", ns, bref.get("name"))
        missing = []
        if itmpl is None:
            missing.append("LXCMachineTemplate %s/%s does not exist" % (ns, iref.get("name", "")))
        if btmpl is None:
            missing.append("KubeadmConfigTemplate %s/%s does not exist" % (ns, bref.get("name", "")))
        if itmpl is not None and self.ensure_owner(itmpl, cluster):
            return
        if btmpl is not None and self.ensure_owner(btmpl, cluster):
            return
        desired = spec.get("replicas", 1)
        h = short_hash({"version": tspec.get("version"), "infra": iref.get("name"), "boot": bref.get("name")})
        live_sets = [s for s in sets if not deleting(s)]
        new_ms = next((s for s in live_sets if (md(s).get("labels") or {}).get(L_HASH) == h), None)
        olds = [s for s in live_sets if s is not new_ms]
        olds_up = [s for s in olds if (s.get("spec") or {}).get("replicas", 0) > 0]

        def settled(s):
            ss = s.get("status") or {}
            want = (s.get("spec") or {}).get("replicas", 0)
            return ss.get("replicas", 0) == want and ss.get("readyReplicas", 0) == want

        if not missing:
            if new_ms is None:
                self.create_ms(d, cluster, h, 0 if olds_up else desired)
            elif olds_up:
                if all(settled(s) for s in live_sets):
                    total = sum((s.get("spec") or {}).get("replicas", 0) for s in live_sets)
                    nrep = (new_ms.get("spec") or {}).get("replicas", 0)
                    if total < desired + 1 and nrep < desired:
                        new_ms["spec"]["replicas"] = nrep + 1
                        self.write(new_ms)
                    else:
                        old = sorted(olds_up, key=lambda s: md(s)["creationTimestamp"])[0]
                        old["spec"]["replicas"] -= 1
                        self.write(old)
            else:
                for s in olds:
                    if (s.get("status") or {}).get("replicas", 0) == 0:
                        self.delete(s)
                if (new_ms.get("spec") or {}).get("replicas") != desired:
                    new_ms["spec"]["replicas"] = desired
                    self.write(new_ms)
        sets = [s for s in self.objs("MachineSet", ns, lambda o: owned_by(o, d)) if not deleting(s)]
        new_ms = next((s for s in sets if (md(s).get("labels") or {}).get(L_HASH) == h), None)
        tot = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0}
        for s in sets:
            for key in tot:
                tot[key] += (s.get("status") or {}).get(key, 0)
        up = ((new_ms or {}).get("status") or {}).get("replicas", 0)
        st.update(tot)
        st["upToDateReplicas"] = up
        vers = versions_of(self.objs("Machine", ns, lambda o: (md(o).get("labels") or {}).get(L_MD) == name
                                     and (md(o).get("labels") or {}).get(L_CLUSTER) == cname))
        if vers:
            st["versions"] = vers
        else:
            st.pop("versions", None)
        st["selector"] = label_selector_string((spec.get("selector") or {}).get("matchLabels"))
        if not st["selector"]:
            st.pop("selector")
        if gen:
            st["observedGeneration"] = gen
        if tot["replicas"] < desired or (tot["readyReplicas"] < desired and tot["replicas"] <= desired):
            st["phase"] = "ScalingUp"
        elif tot["replicas"] > desired:
            st["phase"] = "ScalingDown"
        else:
            st["phase"] = "Running"
        machines = self.objs("Machine", ns, lambda o: (md(o).get("labels") or {}).get(L_MD) == name
                             and (md(o).get("labels") or {}).get(L_CLUSTER) == cname)
        not_ready = [m for m in machines if (m.get("status") or {}).get("phase") != "Running"]
        nr = self.never_ready("%s/%s" % (ns, cname), "%s/%s" % (ns, name))
        ready_msg = "\n".join(missing) or ("\n".join("* Machine %s: %s" % (md(m)["name"], (cond_get(m, "Ready") or {}).get("message") or "not ready yet")
                                                     for m in not_ready))
        if nr and not_ready:
            ready_msg = self.nr_message()
        avail = tot["availableReplicas"] >= desired and not missing
        rolling = bool([s for s in olds_up if not deleting(s)]) or up < tot["replicas"]
        new = [
            set_cond(conds, "Available", avail, "Available" if avail else "NotAvailable",
                     "" if avail else "%s\n%d available replicas, at least %d required (spec.rollout.strategy.rollingUpdate.maxUnavailable is 0, spec.replicas is %d)"
                     % (ready_msg, tot["availableReplicas"], desired, desired) if ready_msg else
                     "%d available replicas, at least %d required" % (tot["availableReplicas"], desired), gen),
            set_cond(conds, "MachinesReady", not not_ready and not missing, "Ready" if not not_ready and not missing else "NotReady",
                     ready_msg if not_ready or missing else "", gen),
            set_cond(conds, "MachinesUpToDate", up == tot["replicas"], "UpToDate" if up == tot["replicas"] else "NotUpToDate",
                     "" if up == tot["replicas"] else "%d of %d replicas are not up-to-date" % (tot["replicas"] - up, tot["replicas"]), gen),
            set_cond(conds, "RollingOut", rolling, "RollingOut" if rolling else "NotRollingOut",
                     "Rolling out %d not up-to-date replicas" % (tot["replicas"] - up) if rolling else "", gen),
            set_cond(conds, "ScalingUp", tot["replicas"] < desired, "ScalingUp" if tot["replicas"] < desired else "NotScalingUp",
                     "Scaling up from %d to %d replicas" % (tot["replicas"], desired) if tot["replicas"] < desired else "", gen),
            set_cond(conds, "ScalingDown", tot["replicas"] > desired and not rolling,
                     "ScalingDown" if tot["replicas"] > desired and not rolling else "NotScalingDown",
                     "Scaling down from %d to %d replicas" % (tot["replicas"], desired) if tot["replicas"] > desired and not rolling else "", gen),
            set_cond(conds, "Deleting", False, "NotDeleting", "", gen),
            set_cond(conds, "Paused", False, "NotPaused", "", gen),
        ]
        st["conditions"] = new
        self.write_status(d, st)

    def create_ms(self, d, cluster, h, replicas):
        ns, dname, cname = md(d)["namespace"], md(d)["name"], md(cluster)["name"]
        spec = d.get("spec") or {}
        tmpl = copy.deepcopy(spec.get("template") or {})
        tlabels = tmpl.setdefault("metadata", {}).setdefault("labels", {})
        tlabels[L_HASH] = h
        sel = copy.deepcopy(spec.get("selector") or {})
        sel.setdefault("matchLabels", {})[L_HASH] = h
        name = "%s-%s" % (dname, h)
        self.log("controller: creating MachineSet %s/%s (replicas %d)" % (ns, name, replicas))
        self.create({"apiVersion": CAPI, "kind": "MachineSet",
                     "metadata": {"name": name, "namespace": ns,
                                  "labels": {L_CLUSTER: cname, L_MD: dname, L_HASH: h},
                                  "ownerReferences": [owner_ref(d, True)]},
                     "spec": {"clusterName": cname, "replicas": replicas, "selector": sel,
                              "template": tmpl}})

    # ------------------------------------------------------------- MachineSet

    def ms(self, s):
        ns, name = md(s)["namespace"], md(s)["name"]
        spec = s.get("spec") or {}
        machines = self.objs("Machine", ns, lambda o: owned_by(o, s))
        if deleting(s):
            for m in machines:
                self.delete(m)
            if not machines:
                self.drop_fin(s, FIN_MS)
            return
        cname = spec.get("clusterName")
        cluster = self.get("Cluster", ns, cname)
        if cluster is None or self.is_paused(cluster):
            return
        if self.add_fin(s, FIN_MS):
            return
        live = [m for m in machines if not deleting(m)]
        want = spec.get("replicas", 1)
        tspec = (spec.get("template") or {}).get("spec") or {}
        if any(deleting(m) for m in machines):
            pass
        elif len(live) < want:
            itmpl = self.get("LXCMachineTemplate", ns, (tspec.get("infrastructureRef") or {}).get("name"))
            btmpl = self.get("KubeadmConfigTemplate", ns, ((tspec.get("bootstrap") or {}).get("configRef") or {}).get("name"))
            if itmpl is not None and btmpl is not None:
                labels = dict(((spec.get("template") or {}).get("metadata") or {}).get("labels") or {})
                labels.update({L_CLUSTER: cname, L_MS: name})
                if (md(s).get("labels") or {}).get(L_MD):
                    labels[L_MD] = md(s)["labels"][L_MD]
                kcs = copy.deepcopy(((btmpl.get("spec") or {}).get("template") or {}).get("spec") or {})
                self.create_machine(ns, "%s-%s" % (name, storelib.rand_suffix()), labels, s, cname,
                                    tspec.get("version"), itmpl, kcs)
        elif len(live) > want:
            victims = sorted(live, key=lambda m: ((m.get("status") or {}).get("phase") == "Running",
                                                  md(m)["creationTimestamp"]))
            self.delete(victims[0])
        machines = self.objs("Machine", ns, lambda o: owned_by(o, s))
        n_ready = sum(1 for m in machines if (m.get("status") or {}).get("phase") == "Running")
        st = copy.deepcopy(s.get("status") or {})
        conds = st.get("conditions") or []
        gen = md(s).get("generation")
        vers = versions_of(machines)
        if vers:
            st["versions"] = vers
        else:
            st.pop("versions", None)
        st.update({"replicas": len(machines), "readyReplicas": n_ready, "availableReplicas": n_ready,
                   "upToDateReplicas": len(machines)})
        sel = label_selector_string((spec.get("selector") or {}).get("matchLabels"))
        if sel:
            st["selector"] = sel
        if gen:
            st["observedGeneration"] = gen
        ok = n_ready == len(machines)
        st["conditions"] = [set_cond(conds, "MachinesReady", ok, "Ready" if ok else "NotReady",
                                     "" if ok else "%d of %d machines are not ready" % (len(machines) - n_ready, len(machines)), gen),
                            set_cond(conds, "ScalingUp", len(machines) < want, "ScalingUp" if len(machines) < want else "NotScalingUp", "", gen),
                            set_cond(conds, "ScalingDown", len(machines) > want, "ScalingDown" if len(machines) > want else "NotScalingDown", "", gen)]
        self.write_status(s, st)

    # ------------------------------------------------------------- Machine

    def machine(self, m):
        ns, name = md(m)["namespace"], md(m)["name"]
        spec = m.get("spec") or {}
        iname = (spec.get("infrastructureRef") or {}).get("name")
        bname = ((spec.get("bootstrap") or {}).get("configRef") or {}).get("name")
        infra = self.get("LXCMachine", ns, iname)
        boot = self.get("KubeadmConfig", ns, bname)
        st = copy.deepcopy(m.get("status") or {})
        conds = st.get("conditions") or []
        gen = md(m).get("generation")
        if deleting(m):
            if not has_fin(m, FIN_MACHINE):
                return
            if st.get("phase") != "Deleting":
                st["phase"] = "Deleting"
                st["conditions"] = [x for x in conds if x["type"] != "Deleting"] + [
                    set_cond(conds, "Deleting", True, "Deleting", "Deleting the infrastructure", gen)]
                self.write_status(m, st)
                return
            if infra is not None:
                self.delete(infra)
                return
            if boot is not None:
                self.delete(boot)
                return
            self.drop_fin(m, FIN_MACHINE)
            return
        cname = spec.get("clusterName")
        cluster = self.get("Cluster", ns, cname)
        if cluster is None or self.is_paused(cluster):
            return
        if self.add_fin(m, FIN_MACHINE, {L_CLUSTER: cname}):
            return
        bst = (boot or {}).get("status") or {}
        ist = (infra or {}).get("status") or {}
        boot_ready = bool((bst.get("initialization") or {}).get("dataSecretCreated"))
        infra_ready = bool(ist.get("ready"))
        if boot_ready and not (spec.get("bootstrap") or {}).get("dataSecretName"):
            m["spec"]["bootstrap"]["dataSecretName"] = bst.get("dataSecretName", bname)
            self.write(m)
            return
        ipid = ((infra or {}).get("spec") or {}).get("providerID")
        if infra_ready and ipid and spec.get("providerID") != ipid:
            m["spec"]["providerID"] = ipid
            self.write(m)
            return
        phase = st.get("phase")
        if not boot_ready:
            phase = "Pending"
        elif not infra_ready or not spec.get("providerID"):
            phase = "Provisioning"
        elif phase not in ("Provisioned", "Running"):
            phase = "Provisioned"
        elif phase == "Provisioned":
            phase = "Running"
        st["phase"] = phase
        st["initialization"] = {"bootstrapDataSecretCreated": boot_ready, "infrastructureProvisioned": infra_ready}
        if infra_ready and ist.get("addresses"):
            st["addresses"] = ist["addresses"]
        if phase == "Running":
            st["nodeRef"] = {"name": name}
        if gen:
            st["observedGeneration"] = gen
        imsg = ""
        if infra is None:
            imsg = "LXCMachine %s/%s does not exist" % (ns, iname)
        elif not infra_ready:
            imsg = (cond_get(infra, "InstanceProvisioned") or cond_get(infra, "Ready") or {}).get("message") or "Waiting for LXCMachine to be provisioned"
        bmsg = "" if boot_ready else ("KubeadmConfig %s/%s does not exist" % (ns, bname) if boot is None
                                      else "Waiting for the control plane to be initialized" if L_CP not in (md(m).get("labels") or {})
                                      else "Waiting for bootstrap data")
        running = phase == "Running"
        ready_msg = "" if running else ("* InfrastructureReady: %s" % imsg if imsg else
                                        "* BootstrapConfigReady: %s" % bmsg if bmsg else "* NodeReady: Waiting for the Node")
        st["conditions"] = [
            set_cond(conds, "BootstrapConfigReady", boot_ready, "Ready" if boot_ready else "NotReady", bmsg, gen),
            set_cond(conds, "InfrastructureReady", infra_ready, "Ready" if infra_ready else "NotReady", imsg, gen),
            set_cond(conds, "NodeReady", running, "NodeReady" if running else "NodeDoesNotExist",
                     "" if running else "Waiting for a Node with spec.providerID %s to exist" % (spec.get("providerID") or "lxc:///" + name), gen),
            set_cond(conds, "NodeHealthy", running, "NodeHealthy" if running else "NodeDoesNotExist", "", gen),
            set_cond(conds, "Ready", running, "Ready" if running else "NotReady", ready_msg, gen),
            set_cond(conds, "Available", running, "Available" if running else "NotReady", "", gen),
            set_cond(conds, "UpToDate", True, "UpToDate", "", gen),
            set_cond(conds, "Deleting", False, "NotDeleting", "", gen),
            set_cond(conds, "Paused", False, "NotPaused", "", gen),
        ]
        self.write_status(m, st)

    # ------------------------------------------------------------- KubeadmConfig

    def kubeadmconfig(self, b):
        ns, name = md(b)["namespace"], md(b)["name"]
        if deleting(b):
            return
        st = b.get("status") or {}
        if (st.get("initialization") or {}).get("dataSecretCreated"):
            return
        oref = owner_of_kind(b, "Machine")
        if oref is None:
            return
        m = self.get("Machine", ns, oref["name"])
        if m is None:
            return
        cname = (m.get("spec") or {}).get("clusterName")
        cluster = self.get("Cluster", ns, cname)
        if cluster is None or self.is_paused(cluster):
            return
        cp_init = bool(((cluster.get("status") or {}).get("initialization") or {}).get("controlPlaneInitialized"))
        is_cp = L_CP in (md(m).get("labels") or {})
        if not cp_init and not (is_cp and "initConfiguration" in (b.get("spec") or {})) and not (is_cp and not self.any_cp_ready(ns, cname)):
            return
        if self.get("Secret", ns, name) is None:
            self.create({"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                         "metadata": {"name": name, "namespace": ns, "labels": {L_CLUSTER: cname},
                                      "ownerReferences": [owner_ref(b, True)]},
                         "data": {"value": b64("#cloud-config\n# k8s-emu bootstrap data for %s\n" % name),
                                  "format": b64("cloud-config")}})
            return
        gen = md(b).get("generation")
        self.write_status(b, {"initialization": {"dataSecretCreated": True}, "dataSecretName": name,
                              "observedGeneration": gen,
                              "conditions": [set_cond([], "Ready", True, "Ready", "", gen),
                                             set_cond([], "DataSecretAvailable", True, "Available", "", gen)]})

    def any_cp_ready(self, ns, cname):
        return any((m.get("status") or {}).get("phase") == "Running"
                   for m in self.objs("Machine", ns, lambda o: (md(o).get("labels") or {}).get(L_CLUSTER) == cname
                                      and L_CP in (md(o).get("labels") or {})))

    # ------------------------------------------------------------- LXCMachine

    def lxcmachine(self, x):
        ns, name = md(x)["namespace"], md(x)["name"]
        if deleting(x):
            if has_fin(x, FIN_LXCMACHINE) and self.deleted_once(x):
                self.drop_fin(x, FIN_LXCMACHINE)
            return
        oref = owner_of_kind(x, "Machine")
        if oref is None:
            return
        m = self.get("Machine", ns, oref["name"])
        if m is None:
            return
        labels = md(m).get("labels") or {}
        cname = (m.get("spec") or {}).get("clusterName")
        if self.cluster_paused(ns, cname):
            return
        if self.add_fin(x, FIN_LXCMACHINE):
            return
        st = copy.deepcopy(x.get("status") or {})
        conds = st.get("conditions") or []
        if not ((m.get("spec") or {}).get("bootstrap") or {}).get("dataSecretName"):
            st["ready"] = False
            st["conditions"] = [set_cond(conds, "InstanceProvisioned", False, "WaitingForBootstrapData",
                                         "Waiting for the bootstrap data", v1beta1=True)]
            self.write_status(x, st)
            return
        # never_ready: instances not yet provisioned never are (ready ones stay).
        if not st.get("ready") and self.never_ready(
                "%s/%s" % (ns, cname), "%s/%s" % (ns, labels.get(L_CP_NAME, "")),
                "%s/%s" % (ns, labels.get(L_MD, ""))):
            st["ready"] = False
            st["conditions"] = [set_cond(conds, "InstanceProvisioned", False, "InjectedFailure",
                                         self.nr_message(), v1beta1=True),
                                set_cond(conds, "Ready", False, "InjectedFailure", self.nr_message(), v1beta1=True)]
            self.write_status(x, st)
            return
        if not (x.get("spec") or {}).get("providerID"):
            x.setdefault("spec", {})["providerID"] = "lxc:///%s" % name
            self.write(x)
            return
        n = int(hashlib.sha256(md(x)["uid"].encode()).hexdigest()[:4], 16) % 200 + 20
        st["ready"] = True
        st["addresses"] = [{"type": "InternalIP", "address": "203.0.113.%d" % n},
                           {"type": "Hostname", "address": name}]
        st["conditions"] = [set_cond(conds, "InstanceProvisioned", True, "Provisioned", v1beta1=True),
                            set_cond(conds, "Ready", True, "Ready", v1beta1=True)]
        self.write_status(x, st)


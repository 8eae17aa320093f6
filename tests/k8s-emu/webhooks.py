"""The Cluster API admission webhooks the emulator reproduces (defaulting
and validation of KubeadmControlPlane and MachineDeployment).

default_and_validate(kind, obj, old, op) mutates obj (defaults) and returns
a list of schema.Cause for rejected changes. It runs after schema pruning
and defaulting and before schema validation, like a mutating webhook.
"""

import re

from schema import Cause

SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)([-+][0-9A-Za-z.+-]*)?$")
CLUSTER_NAME = "cluster.x-k8s.io/cluster-name"
DEPLOYMENT_NAME = "cluster.x-k8s.io/deployment-name"
AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"


def default_and_validate(kind, obj, old, op):
    if kind.group == "controlplane.cluster.x-k8s.io" and kind.kind == "KubeadmControlPlane":
        return _kcp(obj, old)
    if kind.group == "cluster.x-k8s.io" and kind.kind == "MachineDeployment":
        return _md(obj, old)
    return []


def _vprefix(d, key):
    v = d.get(key)
    if isinstance(v, str) and v and not v.startswith("v"):
        d[key] = "v" + v


def _minor(v):
    m = SEMVER.match(v or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _kcp(obj, old):
    causes = []
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return causes
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _vprefix(spec, "version")
    rollout = spec.setdefault("rollout", {})
    if isinstance(rollout, dict):
        strat = rollout.setdefault("strategy", {})
        if isinstance(strat, dict):
            strat.setdefault("type", "RollingUpdate")
            if strat.get("type") == "RollingUpdate":
                strat.setdefault("rollingUpdate", {}).setdefault("maxSurge", 1)
    r = spec.get("replicas")
    external_etcd = bool((((spec.get("kubeadmConfigSpec") or {}).get("clusterConfiguration") or {})
                          .get("etcd") or {}).get("external"))
    if isinstance(r, int) and not isinstance(r, bool):
        if r <= 0:
            causes.append(Cause("FieldValueForbidden", "spec.replicas",
                                "replicas cannot be less than or equal to 0"))
        elif r % 2 == 0 and not external_etcd:
            causes.append(Cause("FieldValueForbidden", "spec.replicas",
                                "cannot be an even number when etcd is stacked"))
    ver = spec.get("version")
    if isinstance(ver, str) and not SEMVER.match(ver):
        causes.append(Cause("FieldValueInvalid", "spec.version",
                            "must be a valid semantic version", ver, True))
    if old is not None and isinstance(ver, str):
        oldver = (old.get("spec") or {}).get("version")
        a, b = _minor(oldver), _minor(ver)
        if a and b and (b[0] != a[0] or b[1] > a[1] + 1):
            causes.append(Cause("FieldValueForbidden", "spec.version",
                                "cannot update Kubernetes version from %s to %s" % (oldver, ver)))
    return causes


def _md(obj, old):
    causes = []
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return causes
    m = obj.setdefault("metadata", {})
    cname = spec.get("clusterName")
    if isinstance(cname, str) and cname:
        m.setdefault("labels", {})[CLUSTER_NAME] = cname
    if spec.get("replicas") is None:
        ann = m.get("annotations") or {}
        try:
            spec["replicas"] = int(ann[AUTOSCALER_MIN]) if AUTOSCALER_MIN in ann else 1
        except ValueError:
            spec["replicas"] = 1
    tmpl = spec.setdefault("template", {})
    if not isinstance(tmpl, dict):
        return causes
    tspec = tmpl.get("spec")
    if isinstance(tspec, dict):
        _vprefix(tspec, "version")
    tlabels = tmpl.setdefault("metadata", {}).setdefault("labels", {})
    sel = spec.setdefault("selector", {})
    if isinstance(sel, dict) and isinstance(tlabels, dict):
        ml = sel.setdefault("matchLabels", {})
        if isinstance(ml, dict):
            if len(ml) == 0 and not sel.get("matchExpressions"):
                ml[DEPLOYMENT_NAME] = m.get("name", "")
                tlabels[DEPLOYMENT_NAME] = m.get("name", "")
            if isinstance(cname, str) and cname:
                ml[CLUSTER_NAME] = cname
                tlabels[CLUSTER_NAME] = cname
            for k, v in ml.items():
                if tlabels.get(k) != v:
                    causes.append(Cause("FieldValueInvalid", "spec.template.metadata.labels",
                                        "must match spec.selector %s=%s" % (k, v), tlabels, True))
                    break
    rollout = spec.setdefault("rollout", {})
    if isinstance(rollout, dict):
        strat = rollout.setdefault("strategy", {})
        if isinstance(strat, dict):
            strat.setdefault("type", "RollingUpdate")
            if strat.get("type") == "RollingUpdate":
                ru = strat.setdefault("rollingUpdate", {})
                if isinstance(ru, dict):
                    ru.setdefault("maxSurge", 1)
                    ru.setdefault("maxUnavailable", 0)
    if isinstance(tspec, dict) and tspec.get("clusterName") not in (None, cname):
        causes.append(Cause("FieldValueInvalid", "spec.template.spec.clusterName",
                            "must match spec.clusterName", tspec.get("clusterName"), True))
    ver = tspec.get("version") if isinstance(tspec, dict) else None
    if isinstance(ver, str) and not SEMVER.match(ver):
        causes.append(Cause("FieldValueInvalid", "spec.template.spec.version",
                            "must be a valid semantic version", ver, True))
    if old is not None:
        oldname = (old.get("spec") or {}).get("clusterName")
        if oldname != cname:
            causes.append(Cause("FieldValueForbidden", "spec.clusterName", "field is immutable"))
    return causes

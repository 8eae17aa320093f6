"""The kinds the emulator serves: core v1 built-ins plus the CRD files.

Kind describes one served resource (group, version, plural, schema, ...).
Registry maps URL pieces and (apiVersion, kind) to Kind objects.
"""

import copy
import os

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Contract labels kustomize adds at install time (crds/SOURCES.md).
CONTRACT_LABELS = {
    "cluster.x-k8s.io": {"cluster.x-k8s.io/v1beta2": "v1beta2"},
    "controlplane.cluster.x-k8s.io": {"cluster.x-k8s.io/v1beta2": "v1beta2"},
    "bootstrap.cluster.x-k8s.io": {"cluster.x-k8s.io/v1beta2": "v1beta2"},
    "infrastructure.cluster.x-k8s.io": {"cluster.x-k8s.io/v1beta1": "v1alpha2",
                                        "cluster.x-k8s.io/provider": "infrastructure-incus"},
}

VERBS = ["create", "delete", "get", "list", "patch", "update"]


class Kind:
    def __init__(self, group, version, kind, plural, singular, namespaced,
                 schema=None, status=False, crd=None, short_names=None,
                 categories=None, columns=None):
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.namespaced = namespaced
        self.schema = schema          # openAPIV3Schema or None (built-in)
        self.status = status          # has the /status subresource
        self.crd = crd                # the CRD object served by apiextensions
        self.short_names = short_names or []
        self.categories = categories or []
        self.columns = columns or []  # additionalPrinterColumns
        self.read_only = False

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def is_custom(self):
        return self.crd is not None

    @property
    def group_resource(self):
        """"clusters.cluster.x-k8s.io" / "secrets" (used in messages)."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    @property
    def qualified_kind(self):
        """"Cluster.cluster.x-k8s.io" / "Secret" (the 422 message prefix)."""
        return "%s.%s" % (self.kind, self.group) if self.group else self.kind

    def resource_json(self):
        """Entries of an APIResourceList."""
        main = {"name": self.plural, "singularName": self.singular,
                "namespaced": self.namespaced, "kind": self.kind,
                "verbs": ["get", "list"] if self.read_only else VERBS}
        if self.short_names:
            main["shortNames"] = self.short_names
        if self.categories:
            main["categories"] = self.categories
        out = [main]
        if self.status:
            out.append({"name": self.plural + "/status", "singularName": "",
                        "namespaced": self.namespaced, "kind": self.kind,
                        "verbs": ["get", "patch", "update"]})
        return out


class Registry:
    def __init__(self):
        self.kinds = []

    def add(self, k):
        self.kinds.append(k)
        return k

    def by_path(self, group, version, plural):
        for k in self.kinds:
            if k.group == group and k.version == version and k.plural == plural:
                return k
        return None

    def by_kind(self, api_version, kind):
        for k in self.kinds:
            if k.api_version == api_version and k.kind == kind:
                return k
        return None

    def groups(self):
        """[(group, [versions])] for /apis, in first-seen order."""
        out = {}
        for k in self.kinds:
            if k.group:
                out.setdefault(k.group, [])
                if k.version not in out[k.group]:
                    out[k.group].append(k.version)
        return list(out.items())

    def in_version(self, group, version):
        return [k for k in self.kinds if k.group == group and k.version == version]


def builtin_kinds(reg):
    reg.add(Kind("", "v1", "Namespace", "namespaces", "namespace", False,
                 short_names=["ns"]))
    reg.add(Kind("", "v1", "Secret", "secrets", "secret", True))
    reg.add(Kind("", "v1", "ConfigMap", "configmaps", "configmap", True,
                 short_names=["cm"]))
    crd = Kind("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
               "customresourcedefinitions", "customresourcedefinition", False,
               short_names=["crd", "crds"])
    crd.read_only = True
    reg.add(crd)


def load_crds(reg, directory):
    """Load every CRD YAML under directory (recursively); serve the storage
    version only. Returns the CRD objects (with contract labels added)."""
    crds = []
    if not os.path.isdir(directory):
        raise SystemExit("k8s-emu: CRD directory %s does not exist" % directory)
    for root, _, files in sorted(os.walk(directory)):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                for doc in yaml.load_all(fh, Loader=LOADER):
                    if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                        crds.append(doc)
    if not crds:
        raise SystemExit("k8s-emu: no CustomResourceDefinition found under %s" % directory)
    for crd in crds:
        spec = crd["spec"]
        group = spec["group"]
        names = spec["names"]
        labels = crd.setdefault("metadata", {}).setdefault("labels", {})
        labels.update(CONTRACT_LABELS.get(group, {}))
        served = [v for v in spec["versions"] if v.get("storage")]
        # Serve only the storage version: there is no conversion webhook.
        spec["versions"] = [copy.deepcopy(v) for v in served]
        for v in served:
            schema = v.get("schema", {}).get("openAPIV3Schema", {"type": "object"})
            reg.add(Kind(group, v["name"], names["kind"], names["plural"],
                         names.get("singular", names["kind"].lower()),
                         spec.get("scope") == "Namespaced", schema=schema,
                         status="status" in (v.get("subresources") or {}),
                         crd=crd, short_names=names.get("shortNames"),
                         categories=names.get("categories"),
                         columns=v.get("additionalPrinterColumns")))
    return crds

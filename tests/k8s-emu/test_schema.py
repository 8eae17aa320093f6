"""Unit tests: structural pruning, defaulting and validation (schema.py),
also against the real CRD schemas."""

import os
import unittest

import kinds
import schema as sch

HERE = os.path.dirname(os.path.abspath(__file__))

S = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "spec": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 8,
                         "pattern": "^[a-z]+$"},
                "replicas": {"type": "integer", "format": "int32", "minimum": 0,
                             "maximum": 5, "default": 1},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "ratio": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                "port": {"x-kubernetes-int-or-string": True},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "tags": {"type": "array", "maxItems": 2, "x-kubernetes-list-type": "set",
                         "items": {"type": "string"}},
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["name"],
                          "items": {"type": "object", "required": ["name"],
                                    "properties": {"name": {"type": "string"},
                                                   "n": {"type": "integer"}}}},
                "maybe": {"type": "string", "nullable": True},
                "when": {"type": "string", "format": "date-time"},
                "nested": {"type": "object", "properties": {
                    "x": {"type": "string", "default": "dx"}}},
            },
        },
        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
    },
}


def obj(spec, **extra):
    o = {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"}, "spec": spec}
    o.update(extra)
    return o


def fields(causes):
    return sorted((c.field, c.reason) for c in causes)


class PruneTest(unittest.TestCase):
    def test_unknown_fields_removed_and_reported(self):
        o = obj({"name": "a", "bogus": 1, "nested": {"x": "y", "zz": 2}}, extra=3)
        removed = sch.prune(o, S)
        self.assertEqual(sorted(removed), ["extra", "spec.bogus", "spec.nested.zz"])
        self.assertEqual(o["spec"], {"name": "a", "nested": {"x": "y"}})
        self.assertIn("metadata", o)
        self.assertIn("apiVersion", o)

    def test_preserve_unknown_and_additional_properties_kept(self):
        o = obj({"name": "a", "free": {"anything": {"deep": [1]}}, "labels": {"k": "v"}})
        self.assertEqual(sch.prune(o, S), [])
        self.assertEqual(o["spec"]["free"], {"anything": {"deep": [1]}})
        self.assertEqual(o["spec"]["labels"], {"k": "v"})

    def test_items_pruned(self):
        o = obj({"name": "a", "ports": [{"name": "p", "junk": True}]})
        self.assertEqual(sch.prune(o, S), ["spec.ports[0].junk"])


class DefaultTest(unittest.TestCase):
    def test_defaults_fill_absent_only(self):
        o = obj({"name": "a", "nested": {}})
        sch.apply_defaults(o, S)
        self.assertEqual(o["spec"]["replicas"], 1)
        self.assertEqual(o["spec"]["nested"], {"x": "dx"})
        o = obj({"name": "a", "replicas": 4})
        sch.apply_defaults(o, S)
        self.assertEqual(o["spec"]["replicas"], 4)
        self.assertNotIn("nested", o["spec"])  # parent absent: no default inside

    def test_null_non_nullable_gets_default(self):
        o = obj({"name": "a", "replicas": None})
        sch.apply_defaults(o, S)
        self.assertEqual(o["spec"]["replicas"], 1)


class ValidateTest(unittest.TestCase):
    def v(self, spec, **extra):
        return fields(sch.validate(obj(spec, **extra), S))

    def test_valid(self):
        self.assertEqual(self.v({"name": "abc", "replicas": 3, "kind": "a", "ratio": 0.5,
                                 "port": "http", "tags": ["x", "y"], "maybe": None,
                                 "when": "2026-01-02T03:04:05Z",
                                 "ports": [{"name": "a"}, {"name": "b"}]}), [])
        self.assertEqual(self.v({"name": "abc", "port": 8080}), [])

    def test_required(self):
        self.assertEqual(self.v({}), [("spec.name", "FieldValueRequired")])
        c = sch.validate({"apiVersion": "x/v1", "kind": "X", "metadata": {}}, S)
        self.assertEqual(fields(c), [("spec", "FieldValueRequired")])

    def test_types(self):
        self.assertEqual(self.v({"name": "a", "replicas": "3"}), [("spec.replicas", "FieldValueTypeInvalid")])
        self.assertEqual(self.v({"name": "a", "replicas": 1.5}), [("spec.replicas", "FieldValueTypeInvalid")])
        self.assertEqual(self.v({"name": "a", "replicas": True}), [("spec.replicas", "FieldValueTypeInvalid")])
        self.assertEqual(self.v({"name": 5}), [("spec.name", "FieldValueTypeInvalid")])
        self.assertEqual(self.v({"name": "a", "port": 1.5}), [("spec.port", "FieldValueTypeInvalid")])
        self.assertEqual(self.v({"name": "a", "replicas": None}), [("spec.replicas", "FieldValueTypeInvalid")])

    def test_bounds_and_strings(self):
        self.assertEqual(self.v({"name": "a", "replicas": -1}), [("spec.replicas", "FieldValueInvalid")])
        self.assertEqual(self.v({"name": "a", "replicas": 6}), [("spec.replicas", "FieldValueInvalid")])
        self.assertEqual(self.v({"name": "a", "ratio": 0}), [("spec.ratio", "FieldValueInvalid")])
        self.assertEqual(self.v({"name": "a", "replicas": 2**31}), [("spec.replicas", "FieldValueInvalid"),
                                                                    ("spec.replicas", "FieldValueInvalid")])
        self.assertEqual(self.v({"name": ""}), [("spec.name", "FieldValueInvalid"), ("spec.name", "FieldValueInvalid")])
        self.assertEqual(self.v({"name": "abcdefghi"}), [("spec.name", "FieldValueTooLong")])
        self.assertEqual(self.v({"name": "ABC"}), [("spec.name", "FieldValueInvalid")])
        self.assertEqual(self.v({"name": "a", "when": "yesterday"}), [("spec.when", "FieldValueInvalid")])

    def test_enum_message(self):
        c = sch.validate(obj({"name": "a", "kind": "c"}), S)
        self.assertEqual(len(c), 1)
        self.assertEqual(c[0].reason, "FieldValueNotSupported")
        self.assertEqual(c[0].full(), 'spec.kind: Unsupported value: "c": supported values: "a", "b"')

    def test_lists(self):
        self.assertEqual(self.v({"name": "a", "tags": ["x", "y", "z"]}), [("spec.tags", "FieldValueTooMany")])
        self.assertEqual(self.v({"name": "a", "tags": ["x", "x"]}), [("spec.tags[1]", "FieldValueDuplicate")])
        self.assertEqual(self.v({"name": "a", "ports": [{"name": "p"}, {"name": "p", "n": 1}]}),
                         [("spec.ports[1]", "FieldValueDuplicate")])
        self.assertEqual(self.v({"name": "a", "ports": [{"n": 1}]}), [("spec.ports[0].name", "FieldValueRequired")])

    def test_additional_properties_validated(self):
        self.assertEqual(self.v({"name": "a", "labels": {"k": 1}}), [("spec.labels.k", "FieldValueTypeInvalid")])

    def test_metadata(self):
        self.assertEqual(fields(sch.validate_metadata({"name": "Bad_Name"}, True)),
                         [("metadata.name", "FieldValueInvalid")])
        self.assertEqual(fields(sch.validate_metadata({}, True)), [("metadata.name", "FieldValueRequired")])
        self.assertEqual(sch.validate_metadata({"generateName": "x-"}, True), [])
        self.assertEqual(fields(sch.validate_metadata({"name": "a", "labels": {"k": 1}}, True)),
                         [("metadata.labels[k]", "FieldValueTypeInvalid")])


class RealCRDTest(unittest.TestCase):
    """The real CRD schemas: known-good objects pass, typical mistakes fail."""

    @classmethod
    def setUpClass(cls):
        cls.reg = kinds.Registry()
        kinds.builtin_kinds(cls.reg)
        kinds.load_crds(cls.reg, os.path.join(HERE, "crds"))

    def kind(self, av, k):
        kk = self.reg.by_kind(av, k)
        self.assertIsNotNone(kk, "%s %s not served" % (av, k))
        return kk

    def test_only_storage_versions_served(self):
        self.assertIsNone(self.reg.by_kind("cluster.x-k8s.io/v1beta1", "Cluster"))
        self.assertEqual(self.reg.by_kind("cluster.x-k8s.io/v1beta2", "Cluster").plural, "clusters")
        lxc = self.kind("infrastructure.cluster.x-k8s.io/v1alpha2", "LXCCluster")
        self.assertEqual(lxc.crd["metadata"]["labels"]["cluster.x-k8s.io/v1beta1"], "v1alpha2")
        self.assertTrue(lxc.status)

    def test_cluster_valid_and_invalid(self):
        k = self.kind("cluster.x-k8s.io/v1beta2", "Cluster")
        good = {"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": {"name": "c"},
                "spec": {"controlPlaneRef": {"apiGroup": "controlplane.cluster.x-k8s.io",
                                             "kind": "KubeadmControlPlane", "name": "c"},
                         "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io",
                                               "kind": "LXCCluster", "name": "c"},
                         "clusterNetwork": {"pods": {"cidrBlocks": ["10.0.0.0/16"]}}}}
        self.assertEqual(sch.prune(good, k.schema), [])
        self.assertEqual(sch.validate(good, k.schema), [])
        good["spec"]["controlPlaneRef"]["kind"] = "1bad kind"
        good["spec"]["paused"] = "yes"
        self.assertEqual(fields(sch.validate(good, k.schema)),
                         [("spec.controlPlaneRef.kind", "FieldValueInvalid"),
                          ("spec.paused", "FieldValueTypeInvalid")])

    def test_lxc_machine_template_enum(self):
        k = self.kind("infrastructure.cluster.x-k8s.io/v1alpha2", "LXCMachineTemplate")
        o = {"apiVersion": k.api_version, "kind": k.kind, "metadata": {"name": "t"},
             "spec": {"template": {"spec": {"instanceType": "vm", "unknownThing": 1}}}}
        self.assertEqual(sch.prune(o, k.schema), ["spec.template.spec.unknownThing"])
        self.assertEqual(fields(sch.validate(o, k.schema)),
                         [("spec.template.spec.instanceType", "FieldValueNotSupported")])

    def test_cel_rules_of_the_crds(self):
        k = self.kind("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane")
        args = [{"name": "provider-id", "value": "a"}, {"name": "provider-id", "value": "b"}]
        o = {"apiVersion": k.api_version, "kind": k.kind, "metadata": {"name": "k"},
             "spec": {"version": "v1.32.0",
                      "machineTemplate": {"spec": {"infrastructureRef": {
                          "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "LXCMachineTemplate", "name": "t"}}},
                      "kubeadmConfigSpec": {"joinConfiguration": {"nodeRegistration": {"kubeletExtraArgs": args}},
                                            "diskSetup": {"partitions": [{"device": "/dev/sdb"}]}}}}
        c = sch.validate(o, k.schema)
        self.assertEqual(fields(c), [("spec.kubeadmConfigSpec.diskSetup.partitions[0]", "FieldValueInvalid"),
                                     ("spec.kubeadmConfigSpec.joinConfiguration.nodeRegistration.kubeletExtraArgs",
                                      "FieldValueInvalid")])
        text = " ".join(x.full() for x in c)
        self.assertIn("kubeletExtraArgs: Invalid value: \"array\": kubeletExtraArgs name must be unique", text)
        self.assertIn("exactly one of the fields in [layout diskLayout] must be set", text)
        args[1]["name"] = "fail-swap-on"
        o["spec"]["kubeadmConfigSpec"].pop("diskSetup")
        self.assertEqual(sch.validate(o, k.schema), [])

    def test_every_cel_rule_is_understood(self):
        rules = []

        def walk(s):
            if isinstance(s, dict):
                rules.extend(s.get("x-kubernetes-validations") or [])
                for key, x in s.items():
                    if key == "properties":
                        for pv in x.values():
                            walk(pv)
                    elif key in ("items", "additionalProperties"):
                        walk(x)
        for k in self.reg.kinds:
            walk(k.schema)
        self.assertGreater(len(rules), 20)
        self.assertEqual([r["rule"] for r in rules if not sch.cel_supported(r)], [])

    def test_md_requires_template_refs(self):
        k = self.kind("cluster.x-k8s.io/v1beta2", "MachineDeployment")
        o = {"apiVersion": k.api_version, "kind": k.kind, "metadata": {"name": "m"},
             "spec": {"clusterName": "c", "selector": {}, "template": {"spec": {"clusterName": "c"}}}}
        self.assertEqual(fields(sch.validate(o, k.schema)),
                         [("spec.template.spec.bootstrap", "FieldValueRequired"),
                          ("spec.template.spec.infrastructureRef", "FieldValueRequired")])


if __name__ == "__main__":
    unittest.main()

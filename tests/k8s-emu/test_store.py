"""Unit tests: store semantics (create/update/patch/delete, resourceVersion,
generation, /status, finalizers, GC), patches, selectors, webhooks."""

import os
import unittest

import errors
import kinds
import patch as patchlib
import store as storelib

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI = "cluster.x-k8s.io/v1beta2"
INFRA = "infrastructure.cluster.x-k8s.io/v1alpha2"


_REG = []


def new_store():
    """A fresh store; the registry (CRD parsing) is loaded once per run."""
    if not _REG:
        reg = kinds.Registry()
        kinds.builtin_kinds(reg)
        kinds.load_crds(reg, os.path.join(HERE, "crds"))
        _REG.append(reg)
    return _REG[0], storelib.Store(_REG[0], log=lambda m: None)


def lxccluster(name="c1", **spec):
    s = {"loadBalancer": {"lxc": {}}}
    s.update(spec)
    return {"apiVersion": INFRA, "kind": "LXCCluster", "metadata": {"name": name}, "spec": s}


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.reg, self.s = new_store()
        self.lxc = self.reg.by_kind(INFRA, "LXCCluster")
        self.secret = self.reg.by_kind("v1", "Secret")
        self.ns = self.reg.by_kind("v1", "Namespace")

    def code(self, fn, *a, **kw):
        try:
            fn(*a, **kw)
        except errors.ApiError as e:
            return e.code, e
        return 0, None

    # --- create
    def test_create_sets_system_fields_and_drops_status(self):
        body = lxccluster()
        body["status"] = {"ready": True}
        o, w = self.s.create(self.lxc, "default", body)
        m = o["metadata"]
        self.assertTrue(m["uid"] and m["creationTimestamp"] and m["resourceVersion"])
        self.assertEqual(m["generation"], 1)
        self.assertEqual(m["namespace"], "default")
        self.assertNotIn("status", o)
        self.assertEqual(w, [])

    def test_create_conflicts_and_errors(self):
        self.s.create(self.lxc, "default", lxccluster())
        c, e = self.code(self.s.create, self.lxc, "default", lxccluster())
        self.assertEqual((c, e.reason), (409, "AlreadyExists"))
        self.assertEqual(e.status()["details"], {"name": "c1", "group": "infrastructure.cluster.x-k8s.io",
                                                 "kind": "lxcclusters"})
        c, e = self.code(self.s.create, self.lxc, "nope", lxccluster())
        self.assertEqual((c, e.message), (404, 'namespaces "nope" not found'))
        c, e = self.code(self.s.create, self.lxc, "default", {"apiVersion": INFRA, "kind": "LXCCluster",
                                                               "metadata": {"name": "x"}, "spec": {}})
        self.assertEqual(c, 422)
        self.assertEqual(e.message, 'LXCCluster.infrastructure.cluster.x-k8s.io "x" is invalid: '
                                    'spec.loadBalancer: Required value')
        st = e.status()
        self.assertEqual(st["details"]["kind"], "LXCCluster")
        self.assertEqual(st["details"]["causes"], [{"reason": "FieldValueRequired", "message": "Required value",
                                                    "field": "spec.loadBalancer"}])
        c, _ = self.code(self.s.create, self.lxc, "default", dict(lxccluster(), apiVersion="v9"))
        self.assertEqual(c, 400)

    def test_generate_name(self):
        b = lxccluster()
        b["metadata"] = {"generateName": "gen-"}
        o, _ = self.s.create(self.lxc, "default", b)
        self.assertRegex(o["metadata"]["name"], r"^gen-[a-z0-9]{5}$")

    def test_field_validation(self):
        b = lxccluster(bogus=1)
        c, e = self.code(self.s.create, self.lxc, "default", b, "Strict")
        self.assertEqual(c, 400)
        self.assertIn('unknown field "spec.bogus"', e.message)
        o, w = self.s.create(self.lxc, "default", b, "Warn")
        self.assertEqual(w, ['unknown field "spec.bogus"'])
        self.assertNotIn("bogus", o["spec"])

    # --- update
    def test_update_rv_generation_status(self):
        o, _ = self.s.create(self.lxc, "default", lxccluster())
        rv0 = o["metadata"]["resourceVersion"]
        o["spec"]["unprivileged"] = True
        o["status"] = {"ready": True}
        o2, _ = self.s.update(self.lxc, "default", "c1", o)
        self.assertEqual(o2["metadata"]["generation"], 2)
        self.assertNotIn("status", o2)  # status ignored on the main resource
        self.assertNotEqual(o2["metadata"]["resourceVersion"], rv0)
        # stale resourceVersion -> 409 Conflict
        c, e = self.code(self.s.update, self.lxc, "default", "c1", o)
        self.assertEqual((c, e.reason), (409, "Conflict"))
        self.assertIn("the object has been modified", e.message)
        # missing resourceVersion on a custom resource -> 422
        o3 = dict(o2)
        o3["metadata"] = dict(o2["metadata"])
        del o3["metadata"]["resourceVersion"]
        c, e = self.code(self.s.update, self.lxc, "default", "c1", o3)
        self.assertEqual(c, 422)
        self.assertIn("metadata.resourceVersion", e.message)
        # /status: only status changes, generation unchanged
        o2["status"] = {"ready": True}
        o2["spec"]["unprivileged"] = False
        o4, _ = self.s.update(self.lxc, "default", "c1", o2, subresource="status")
        self.assertEqual(o4["status"], {"ready": True})
        self.assertTrue(o4["spec"]["unprivileged"])
        self.assertEqual(o4["metadata"]["generation"], 2)
        # metadata-only change: no generation bump; no-op: same rv
        o4["metadata"].setdefault("labels", {})["a"] = "b"
        o5, _ = self.s.update(self.lxc, "default", "c1", o4)
        self.assertEqual(o5["metadata"]["generation"], 2)
        o6, _ = self.s.update(self.lxc, "default", "c1", o5)
        self.assertEqual(o6["metadata"]["resourceVersion"], o5["metadata"]["resourceVersion"])
        # PUT never creates
        c, _ = self.code(self.s.update, self.lxc, "default", "zz", dict(o5, metadata={"name": "zz", "resourceVersion": "1"}))
        self.assertEqual(c, 404)

    def test_secret_put_unconditional_and_string_data(self):
        o, _ = self.s.create(self.secret, "default", {"apiVersion": "v1", "kind": "Secret",
                                                      "metadata": {"name": "s"}, "stringData": {"k": "v"}})
        self.assertEqual(o["data"], {"k": "dg=="})
        self.assertEqual(o["type"], "Opaque")
        self.assertNotIn("stringData", o)
        o2, _ = self.s.update(self.secret, "default", "s", {"apiVersion": "v1", "kind": "Secret",
                                                            "metadata": {"name": "s"}, "data": {"k": "eA=="}})
        self.assertEqual(o2["data"], {"k": "eA=="})
        c, _ = self.code(self.s.update, self.secret, "default", "s",
                         {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "%%%"}})
        self.assertEqual(c, 422)

    # --- patch
    def test_patches(self):
        self.s.create(self.lxc, "default", lxccluster())
        o, _, _ = self.s.patch(self.lxc, "default", "c1", "application/merge-patch+json",
                               {"spec": {"unprivileged": True, "loadBalancer": {"lxc": None, "ovn": {"networkName": "n"}}}})
        self.assertEqual(o["spec"]["loadBalancer"], {"ovn": {"networkName": "n"}})
        c, e = self.code(self.s.patch, self.lxc, "default", "c1", "application/merge-patch+json",
                         {"metadata": {"resourceVersion": "1"}, "spec": {"unprivileged": False}})
        self.assertEqual(c, 409)
        o, _, _ = self.s.patch(self.lxc, "default", "c1", "application/json-patch+json",
                               [{"op": "test", "path": "/spec/unprivileged", "value": True},
                                {"op": "replace", "path": "/spec/unprivileged", "value": False}])
        self.assertFalse(o["spec"]["unprivileged"])
        c, _ = self.code(self.s.patch, self.lxc, "default", "c1", "application/json-patch+json",
                         [{"op": "test", "path": "/spec/unprivileged", "value": True}])
        self.assertEqual(c, 422)
        c, _ = self.code(self.s.patch, self.lxc, "default", "c1", "application/strategic-merge-patch+json", {})
        self.assertEqual(c, 415)
        c, _ = self.code(self.s.patch, self.lxc, "default", "c1", "text/plain", {})
        self.assertEqual(c, 415)
        c, _ = self.code(self.s.patch, self.lxc, "default", "c1", "application/merge-patch+json",
                         {"spec": {"unprivileged": "no"}})
        self.assertEqual(c, 422)
        c, _ = self.code(self.s.patch, self.lxc, "default", "missing", "application/merge-patch+json", {})
        self.assertEqual(c, 404)

    def test_server_side_apply(self):
        c, _ = self.code(self.s.patch, self.lxc, "default", "c2", "application/apply-patch+yaml", lxccluster("c2"))
        self.assertEqual(c, 422)  # fieldManager required
        o, _, created = self.s.patch(self.lxc, "default", "c2", "application/apply-patch+yaml",
                                     lxccluster("c2"), field_manager="t")
        self.assertTrue(created)
        o, _, created = self.s.patch(self.lxc, "default", "c2", "application/apply-patch+yaml",
                                     lxccluster("c2", unprivileged=True), field_manager="t")
        self.assertFalse(created)
        self.assertTrue(o["spec"]["unprivileged"])

    # --- delete, finalizers, GC
    def test_delete_with_finalizers(self):
        b = lxccluster()
        b["metadata"]["finalizers"] = ["example.com/keep"]
        self.s.create(self.lxc, "default", b)
        code, body = self.s.delete(self.lxc, "default", "c1")
        self.assertEqual(code, 200)
        self.assertTrue(body["metadata"]["deletionTimestamp"])
        o = self.s.get(self.lxc, "default", "c1")
        o["metadata"]["finalizers"].append("example.com/new")
        c, e = self.code(self.s.update, self.lxc, "default", "c1", o)
        self.assertEqual(c, 422)
        self.assertIn("no new finalizers", e.message)
        o = self.s.get(self.lxc, "default", "c1")
        o["metadata"]["finalizers"] = []
        self.s.update(self.lxc, "default", "c1", o)
        c, _ = self.code(self.s.get, self.lxc, "default", "c1")
        self.assertEqual(c, 404)

    def test_delete_without_finalizers_returns_status(self):
        self.s.create(self.lxc, "default", lxccluster())
        code, body = self.s.delete(self.lxc, "default", "c1")
        self.assertEqual((code, body["kind"], body["status"]), (200, "Status", "Success"))
        c, _ = self.code(self.s.delete, self.lxc, "default", "c1")
        self.assertEqual(c, 404)

    def test_delete_preconditions(self):
        self.s.create(self.lxc, "default", lxccluster())
        c, _ = self.code(self.s.delete, self.lxc, "default", "c1", None, {"resourceVersion": "1"})
        self.assertEqual(c, 409)

    def owned_secret(self, owner, name):
        return self.s.create(self.secret, "default", {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "ownerReferences": [{
                "apiVersion": owner["apiVersion"], "kind": owner["kind"],
                "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}]}})[0]

    def test_gc_background(self):
        owner, _ = self.s.create(self.lxc, "default", lxccluster())
        self.owned_secret(owner, "dep")
        self.s.delete(self.lxc, "default", "c1")
        self.s.get(self.secret, "default", "dep")  # still there until GC runs
        self.s.gc()
        c, _ = self.code(self.s.get, self.secret, "default", "dep")
        self.assertEqual(c, 404)

    def test_gc_foreground_and_orphan(self):
        owner, _ = self.s.create(self.lxc, "default", lxccluster())
        self.owned_secret(owner, "dep")
        self.s.delete(self.lxc, "default", "c1", "Foreground")
        o = self.s.get(self.lxc, "default", "c1")
        self.assertIn("foregroundDeletion", o["metadata"]["finalizers"])
        self.s.gc()  # deletes the dependant
        self.s.gc()  # owner has no dependants left: finalizer removed
        c, _ = self.code(self.s.get, self.lxc, "default", "c1")
        self.assertEqual(c, 404)
        owner, _ = self.s.create(self.lxc, "default", lxccluster("c2"))
        self.owned_secret(owner, "dep2")
        self.s.delete(self.lxc, "default", "c2", "Orphan")
        self.s.gc()
        d = self.s.get(self.secret, "default", "dep2")
        self.assertNotIn("ownerReferences", d["metadata"])

    def test_namespace_deletion(self):
        self.s.create(self.ns, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}})
        self.s.create(self.lxc, "t", lxccluster())
        self.s.delete(self.ns, None, "t")
        self.assertEqual(self.s.get(self.ns, None, "t")["status"]["phase"], "Terminating")
        c, _ = self.code(self.s.create, self.lxc, "t", lxccluster("c9"))
        self.assertEqual(c, 403)
        self.s.gc()
        self.s.gc()
        c, _ = self.code(self.s.get, self.ns, None, "t")
        self.assertEqual(c, 404)

    def test_list_selectors(self):
        for n, lab in (("a", {"env": "prod", "tier": "x"}), ("b", {"env": "dev"}), ("c", {})):
            b = lxccluster(n)
            b["metadata"]["labels"] = lab
            self.s.create(self.lxc, "default", b)
        names = lambda sel, fs=None: [o["metadata"]["name"] for o in self.s.list(self.lxc, "default", sel, fs)[0]]  # noqa: E731
        self.assertEqual(names("env=prod"), ["a"])
        self.assertEqual(names("env!=prod"), ["b", "c"])
        self.assertEqual(names("env in (prod,dev)"), ["a", "b"])
        self.assertEqual(names("env notin (prod)"), ["b", "c"])
        self.assertEqual(names("tier"), ["a"])
        self.assertEqual(names("!env"), ["c"])
        self.assertEqual(names("env,tier=x"), ["a"])
        self.assertEqual(names(None, "metadata.name=b"), ["b"])
        c, _ = self.code(self.s.list, self.lxc, "default", None, "spec.x=1")
        self.assertEqual(c, 400)


class WebhookTest(unittest.TestCase):
    def setUp(self):
        self.reg, self.s = new_store()
        self.kcp = self.reg.by_kind("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane")
        self.md = self.reg.by_kind(CAPI, "MachineDeployment")

    def kcp_body(self, **spec):
        s = {"version": "1.32.0", "machineTemplate": {"spec": {"infrastructureRef": {
            "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "LXCMachineTemplate", "name": "t"}}}}
        s.update(spec)
        return {"apiVersion": self.kcp.api_version, "kind": "KubeadmControlPlane",
                "metadata": {"name": "k"}, "spec": s}

    def test_kcp_defaults_and_rules(self):
        o, _ = self.s.create(self.kcp, "default", self.kcp_body())
        self.assertEqual(o["spec"]["replicas"], 1)
        self.assertEqual(o["spec"]["version"], "v1.32.0")
        self.assertEqual(o["spec"]["rollout"]["strategy"]["type"], "RollingUpdate")
        with self.assertRaises(errors.ApiError) as cm:
            self.s.create(self.kcp, "default", dict(self.kcp_body(replicas=2), metadata={"name": "k2"}))
        self.assertEqual(cm.exception.causes[0].field, "spec.replicas")
        with self.assertRaises(errors.ApiError) as cm:
            self.s.patch(self.kcp, "default", "k", "application/merge-patch+json", {"spec": {"version": "v1.34.0"}})
        self.assertEqual(cm.exception.code, 422)
        o, _, _ = self.s.patch(self.kcp, "default", "k", "application/merge-patch+json", {"spec": {"version": "v1.33.2"}})
        self.assertEqual(o["metadata"]["generation"], 2)

    def test_md_defaults_and_immutable_cluster_name(self):
        body = {"apiVersion": CAPI, "kind": "MachineDeployment", "metadata": {"name": "m"},
                "spec": {"clusterName": "c", "template": {"spec": {
                    "clusterName": "c", "version": "1.32.0",
                    "bootstrap": {"configRef": {"apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfigTemplate", "name": "b"}},
                    "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "LXCMachineTemplate", "name": "i"}}}}}
        o, _ = self.s.create(self.md, "default", body)
        self.assertEqual(o["spec"]["replicas"], 1)
        self.assertEqual(o["spec"]["selector"]["matchLabels"],
                         {"cluster.x-k8s.io/cluster-name": "c", "cluster.x-k8s.io/deployment-name": "m"})
        self.assertEqual(o["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"], "c")
        self.assertEqual(o["spec"]["template"]["spec"]["version"], "v1.32.0")
        with self.assertRaises(errors.ApiError) as cm:
            self.s.patch(self.md, "default", "m", "application/merge-patch+json", {"spec": {"clusterName": "d"}})
        self.assertIn("spec.clusterName", [c.field for c in cm.exception.causes])


class PatchLibTest(unittest.TestCase):
    def test_merge_patch_rfc7386(self):
        self.assertEqual(patchlib.merge_patch({"a": "b", "c": {"d": "e", "f": "g"}},
                                              {"a": "z", "c": {"f": None}}), {"a": "z", "c": {"d": "e"}})
        self.assertEqual(patchlib.merge_patch({"a": [1, 2]}, {"a": [3]}), {"a": [3]})
        self.assertEqual(patchlib.merge_patch({"a": 1}, {"a": {"b": None}}), {"a": {}})

    def test_json_patch_ops(self):
        d = {"a": [1, 2], "b": {"c": 1}}
        out = patchlib.json_patch(d, [{"op": "add", "path": "/a/-", "value": 3},
                                      {"op": "add", "path": "/a/0", "value": 0},
                                      {"op": "remove", "path": "/b/c"},
                                      {"op": "copy", "from": "/a", "path": "/x"},
                                      {"op": "move", "from": "/x", "path": "/y"},
                                      {"op": "add", "path": "/k~1e", "value": 1}])
        self.assertEqual(out, {"a": [0, 1, 2, 3], "b": {}, "y": [0, 1, 2, 3], "k/e": 1})
        self.assertEqual(d, {"a": [1, 2], "b": {"c": 1}})
        with self.assertRaises(patchlib.PatchError):
            patchlib.json_patch(d, [{"op": "remove", "path": "/zz"}])
        with self.assertRaises(patchlib.PatchError):
            patchlib.json_patch(d, [{"op": "replace", "path": "/a/5", "value": 1}])

    def test_smp_directives_stripped(self):
        self.assertEqual(patchlib.strip_smp_directives({"$setElementOrder/x": [], "a": {"$patch": "replace", "b": 1}}),
                         {"a": {"b": 1}})


if __name__ == "__main__":
    unittest.main()

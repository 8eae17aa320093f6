"""Unit tests: the simulated controllers, driven pass by pass (no threads)."""

import os
import tempfile
import unittest

import yaml

import controller as ctl
import errors
import faults as faultslib
from test_store import new_store

HERE = os.path.dirname(os.path.abspath(__file__))


class ControllerTest(unittest.TestCase):
    def setUp(self):
        self.reg, self.s = new_store()
        self.tmp = tempfile.TemporaryDirectory()
        self.faults = faultslib.faults_for(self.tmp.name, log=lambda m: None)
        self.c = ctl.Controller(self.s, self.reg, self.faults, 0.01, log=lambda m: None)
        with open(os.path.join(HERE, "testdata", "cluster.yaml"), encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                kind = self.reg.by_kind(doc["apiVersion"], doc["kind"])
                self.s.create(kind, "default", doc)

    def tearDown(self):
        self.tmp.cleanup()

    def set_faults(self, text):
        with open(os.path.join(self.tmp.name, "faults.json"), "w", encoding="utf-8") as f:
            f.write(text)

    def run_passes(self, n):
        for _ in range(n):
            with self.s.lock:
                self.c.pass_once(self.faults.load())

    def get(self, kind, name):
        k = self.c.k[kind]
        try:
            return self.s.get(k, "default", name)
        except errors.ApiError:
            return None

    def until(self, pred, limit=80):
        for i in range(limit):
            if pred():
                return i
            self.run_passes(1)
        self.fail("condition not reached after %d passes" % limit)

    def cluster_available(self):
        c = self.get("Cluster", "c1")
        return ctl.cond_true(c, "Available")

    def test_cluster_becomes_ready(self):
        n = self.until(self.cluster_available)
        self.assertGreater(n, 5)  # it takes time, like a real cluster
        c = self.get("Cluster", "c1")
        self.assertIn(ctl.FIN_CLUSTER, c["metadata"]["finalizers"])
        self.assertEqual(c["status"]["phase"], "Provisioned")
        self.assertEqual(c["status"]["initialization"],
                         {"infrastructureProvisioned": True, "controlPlaneInitialized": True})
        self.assertTrue(c["spec"]["controlPlaneEndpoint"]["host"].startswith("203.0.113."))
        for t in ("InfrastructureReady", "ControlPlaneInitialized", "ControlPlaneAvailable",
                  "RemoteConnectionProbe", "WorkersAvailable"):
            self.assertTrue(ctl.cond_true(c, t), t)
        self.assertEqual(c["status"]["observedGeneration"], c["metadata"]["generation"])
        self.until(lambda: self.get("MachineDeployment", "c1-md")["status"].get("readyReplicas") == 2)
        md = self.get("MachineDeployment", "c1-md")
        self.assertEqual(md["status"]["phase"], "Running")
        self.assertEqual([md["status"][k] for k in ("replicas", "readyReplicas", "availableReplicas", "upToDateReplicas")],
                         [2, 2, 2, 2])
        kcp = self.get("KubeadmControlPlane", "c1-cp")
        self.assertEqual(kcp["status"]["versions"], [{"version": "v1.32.1", "replicas": 1}])
        sec = self.s.get(self.c.k["Secret"], "default", "c1-kubeconfig")
        self.assertEqual(sec["type"], "cluster.x-k8s.io/secret")
        import base64
        kc = yaml.safe_load(base64.b64decode(sec["data"]["value"]))
        self.assertEqual(kc["clusters"][0]["cluster"]["server"],
                         "https://%s:6443" % c["spec"]["controlPlaneEndpoint"]["host"])
        # templates got a Cluster ownerReference
        t = self.get("LXCMachineTemplate", "c1-md-a")
        self.assertEqual([r["kind"] for r in t["metadata"]["ownerReferences"]], ["Cluster"])

    def test_workload_kubeconfig_fault(self):
        path = os.path.join(self.tmp.name, "wl.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters: []\n# points at the emulator\n")
        self.set_faults('{"workload_kubeconfig": "%s"}' % path)
        self.until(self.cluster_available)
        import base64
        sec = self.s.get(self.c.k["Secret"], "default", "c1-kubeconfig")
        self.assertIn("# points at the emulator", base64.b64decode(sec["data"]["value"]).decode())

    def test_kcp_rollout_replaces_machines(self):
        self.until(self.cluster_available)
        old = {m["metadata"]["name"] for m in self.s.list(self.c.k["Machine"], "default", "cluster.x-k8s.io/control-plane")[0]}
        self.s.patch(self.c.k["KubeadmControlPlane"], "default", "c1-cp", "application/merge-patch+json",
                     {"spec": {"version": "v1.33.0"}})
        self.run_passes(2)
        self.assertTrue(ctl.cond_true(self.get("KubeadmControlPlane", "c1-cp"), "RollingOut"))
        seen_max = [0]

        def done():
            ms = self.s.list(self.c.k["Machine"], "default", "cluster.x-k8s.io/control-plane")[0]
            seen_max[0] = max(seen_max[0], len(ms))
            k = self.get("KubeadmControlPlane", "c1-cp")
            return k["status"].get("versions") == [{"version": "v1.33.0", "replicas": 1}] \
                and k["status"].get("upToDateReplicas") == 1 and not ctl.cond_true(k, "RollingOut")
        self.until(done)
        new = {m["metadata"]["name"] for m in self.s.list(self.c.k["Machine"], "default", "cluster.x-k8s.io/control-plane")[0]}
        self.assertFalse(old & new)
        self.assertEqual(seen_max[0], 2)  # maxSurge 1

    def test_kcp_rollout_on_kubeadm_config_change(self):
        self.until(self.cluster_available)
        old = {m["metadata"]["name"] for m in self.s.list(self.c.k["Machine"], "default", "cluster.x-k8s.io/control-plane")[0]}
        self.run_passes(5)  # steady: nothing rolls by itself
        k = self.get("KubeadmControlPlane", "c1-cp")
        self.assertFalse(ctl.cond_true(k, "RollingOut"))
        self.s.patch(self.c.k["KubeadmControlPlane"], "default", "c1-cp", "application/merge-patch+json",
                     {"spec": {"kubeadmConfigSpec": {"files": [{"path": "/etc/x", "content": "y"}]}}})

        def done():
            k = self.get("KubeadmControlPlane", "c1-cp")
            ms = {m["metadata"]["name"] for m in self.s.list(self.c.k["Machine"], "default", "cluster.x-k8s.io/control-plane")[0]}
            return ms and not (ms & old) and k["status"].get("upToDateReplicas") == 1 and not ctl.cond_true(k, "RollingOut")
        self.until(done)
        self.until(lambda: self.get("Cluster", "c1")["status"]["controlPlane"].get("versions")
                   == [{"version": "v1.32.1", "replicas": 1}])
        self.until(lambda: self.get("MachineDeployment", "c1-md")["status"].get("versions") == [{"version": "v1.32.1", "replicas": 2}])
        self.until(lambda: self.get("Cluster", "c1")["status"]["workers"].get("versions") == [{"version": "v1.32.1", "replicas": 2}])

    def test_md_rollout_on_template_change(self):
        self.until(lambda: (self.get("MachineDeployment", "c1-md").get("status") or {}).get("readyReplicas") == 2)
        lxcmt = self.c.k["LXCMachineTemplate"]
        t = self.get("LXCMachineTemplate", "c1-md-a")
        self.s.create(lxcmt, "default", {"apiVersion": t["apiVersion"], "kind": t["kind"],
                                         "metadata": {"name": "c1-md-b"}, "spec": t["spec"]})
        self.s.patch(self.c.k["MachineDeployment"], "default", "c1-md", "application/merge-patch+json",
                     {"spec": {"template": {"spec": {"infrastructureRef": {"name": "c1-md-b"}}}}})

        def done():
            sets = self.s.list(self.c.k["MachineSet"], "default")[0]
            d = self.get("MachineDeployment", "c1-md")
            md = d["status"]
            return md.get("observedGeneration") == d["metadata"]["generation"] and len(sets) == 1 \
                and md.get("upToDateReplicas") == 2 and md.get("readyReplicas") == 2 \
                and not ctl.cond_true(d, "RollingOut")
        self.until(done, 150)
        for lm in self.s.list(self.c.k["LXCMachine"], "default", "cluster.x-k8s.io/deployment-name=c1-md")[0]:
            self.assertEqual(lm["metadata"]["annotations"][ctl.A_CLONED_NAME], "c1-md-b")

    def test_never_ready_fault(self):
        self.set_faults('{"never_ready": ["default/c1"], "condition_message": "LXD says no"}')
        self.run_passes(40)
        c = self.get("Cluster", "c1")
        self.assertFalse(ctl.cond_true(c, "Available"))
        self.assertIn("LXD says no", ctl.cond_get(c, "Available")["message"])
        self.assertFalse(ctl.cond_true(c, "ControlPlaneInitialized"))
        self.set_faults("{}")
        self.until(self.cluster_available)

    def test_never_ready_keeps_ready_machines(self):
        self.until(lambda: (self.get("MachineDeployment", "c1-md").get("status") or {}).get("readyReplicas") == 2)
        self.set_faults('{"never_ready": ["default/c1-md"], "condition_message": "no room"}')
        self.s.patch(self.c.k["MachineDeployment"], "default", "c1-md", "application/merge-patch+json",
                     {"spec": {"replicas": 3}})
        self.run_passes(30)
        md = self.get("MachineDeployment", "c1-md")
        self.assertEqual((md["status"]["replicas"], md["status"]["readyReplicas"]), (3, 2))
        self.assertIn("no room", ctl.cond_get(md, "MachinesReady")["message"])
        self.assertTrue(ctl.cond_true(self.get("KubeadmControlPlane", "c1-cp"), "Available"))
        self.set_faults("{}")
        self.until(lambda: self.get("MachineDeployment", "c1-md")["status"]["readyReplicas"] == 3)

    def test_ordered_deletion(self):
        self.until(self.cluster_available)
        order = []
        self.s.delete(self.c.k["Cluster"], "default", "c1")
        for _ in range(100):
            self.run_passes(1)
            for kind, name in (("MachineDeployment", "c1-md"), ("KubeadmControlPlane", "c1-cp"),
                               ("LXCCluster", "c1"), ("Cluster", "c1")):
                if self.get(kind, name) is None and kind not in order:
                    order.append(kind)
            if len(order) == 4:
                break
        self.assertEqual(order, ["MachineDeployment", "KubeadmControlPlane", "LXCCluster", "Cluster"])
        self.run_passes(2)  # GC of the templates and Secrets the Cluster owned
        self.assertIsNone(self.get("LXCMachineTemplate", "c1-md-a"))
        self.assertEqual(self.s.list(self.c.k["Machine"], "default")[0], [])
        names = [s["metadata"]["name"] for s in self.s.list(self.c.k["Secret"], "default")[0]]
        self.assertEqual(names, ["c1-identity"])

    def test_foreign_finalizer_is_never_removed(self):
        self.until(self.cluster_available)
        self.s.patch(self.c.k["Cluster"], "default", "c1", "application/json-patch+json",
                     [{"op": "add", "path": "/metadata/finalizers/-", "value": "example.com/keep"}])
        self.s.delete(self.c.k["Cluster"], "default", "c1")
        self.run_passes(60)
        c = self.get("Cluster", "c1")
        self.assertEqual(c["metadata"]["finalizers"], ["example.com/keep"])
        self.assertEqual(c["status"]["phase"], "Deleting")

    def test_stall_delete_and_paused(self):
        self.until(self.cluster_available)
        self.set_faults('{"stall_delete": ["default/c1"]}')
        self.s.delete(self.c.k["Cluster"], "default", "c1")
        self.run_passes(20)
        self.assertIsNotNone(self.get("MachineDeployment", "c1-md"))
        self.assertIn("stall", ctl.cond_get(self.get("Cluster", "c1"), "Deleting")["message"])
        self.set_faults("{}")
        self.s.patch(self.c.k["Cluster"], "default", "c1", "application/merge-patch+json", {"spec": {"paused": True}})
        self.run_passes(20)
        self.assertIsNotNone(self.get("MachineDeployment", "c1-md"))
        self.s.patch(self.c.k["Cluster"], "default", "c1", "application/merge-patch+json", {"spec": {"paused": False}})
        self.until(lambda: self.get("Cluster", "c1") is None, 100)

    def test_missing_identity_secret_blocks(self):
        self.s.delete(self.c.k["Secret"], "default", "c1-identity")
        self.run_passes(20)
        c = self.get("Cluster", "c1")
        self.assertIn("identity secret default/c1-identity not found",
                      ctl.cond_get(c, "InfrastructureReady")["message"])


class FaultsTest(unittest.TestCase):
    def test_fail_requests_counts(self):
        with tempfile.TemporaryDirectory() as d:
            f = faultslib.faults_for(d, log=lambda m: None)
            self.assertIsNone(f.take_failure("GET", "/x"))
            with open(os.path.join(d, "faults.json"), "w", encoding="utf-8") as fh:
                fh.write('{"fail_requests": [{"method": "PATCH", "path_regex": "/clusters/", "status": 409, "count": 2}]}')
            self.assertIsNone(f.take_failure("GET", "/apis/x/clusters/a"))
            self.assertEqual(f.take_failure("PATCH", "/apis/x/clusters/a")["status"], 409)
            self.assertEqual(f.take_failure("PATCH", "/apis/x/clusters/a")["status"], 409)
            self.assertIsNone(f.take_failure("PATCH", "/apis/x/clusters/a"))
            with open(os.path.join(d, "faults.json"), "w", encoding="utf-8") as fh:
                fh.write("{not json")
            self.assertEqual(f.load(), {})


if __name__ == "__main__":
    unittest.main()

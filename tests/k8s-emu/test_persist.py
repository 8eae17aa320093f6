"""Unit tests: the store survives a restart (state.json), like an API server
backed by etcd: same objects, uids and resourceVersions, the counter going
on upward, deletions in progress kept; writes are atomic; the simulated
controllers resume from the saved state (no duplicate Machines, readiness
and ordered deletion completed by the new process)."""

import json
import os
import tempfile
import unittest

import yaml

import controller as ctl
import errors
import faults as faultslib
import store as storelib
from test_store import new_store

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI = "cluster.x-k8s.io/v1beta2"


def quiet(_msg):
    pass


class PersistTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "state.json")
        self.reg, _ = new_store()

    def tearDown(self):
        self.tmp.cleanup()

    def read_state(self):
        with open(self.path, encoding="utf-8") as f:
            return f.read()

    def open_store(self):
        return storelib.Store(self.reg, log=quiet, state_path=self.path)

    def load_cluster(self, s):
        with open(os.path.join(HERE, "testdata", "cluster.yaml"), encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                s.create(self.reg.by_kind(doc["apiVersion"], doc["kind"]), "default", doc)

    def test_objects_uids_and_resource_versions_survive(self):
        s = self.open_store()
        sk = self.reg.by_kind("v1", "Secret")
        a, _ = s.create(sk, "default", {"apiVersion": "v1", "kind": "Secret",
                                        "metadata": {"name": "a"}, "data": {"k": "dg=="}})
        b, _ = s.create(sk, "default", {"apiVersion": "v1", "kind": "Secret",
                                        "metadata": {"name": "b"}})
        s.delete(sk, "default", "b")
        s.flush()
        last_rv = int(s.current_rv())

        s2 = self.open_store()
        got = s2.get(sk, "default", "a")
        self.assertEqual(got, a)  # uid, resourceVersion, creationTimestamp, data
        with self.assertRaises(errors.ApiError):
            s2.get(sk, "default", "b")
        self.assertEqual(int(s2.current_rv()), last_rv)
        c, _ = s2.create(sk, "default", {"apiVersion": "v1", "kind": "Secret",
                                         "metadata": {"name": "c"}})
        self.assertGreater(int(c["metadata"]["resourceVersion"]), last_rv)
        # Namespaces come back too (not re-created with new uids).
        nk = self.reg.by_kind("v1", "Namespace")
        self.assertEqual(s2.get(nk, None, "default")["metadata"]["uid"],
                         s.get(nk, None, "default")["metadata"]["uid"])

    def test_unflushed_changes_are_not_saved_and_flush_is_idempotent(self):
        s = self.open_store()
        s.flush()
        mtime = os.stat(self.path).st_mtime_ns
        s.flush()  # nothing changed: not rewritten
        self.assertEqual(os.stat(self.path).st_mtime_ns, mtime)
        sk = self.reg.by_kind("v1", "Secret")
        s.create(sk, "default", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
        s2 = self.open_store()  # "killed" before the flush
        with self.assertRaises(errors.ApiError):
            s2.get(sk, "default", "x")

    def test_write_is_atomic(self):
        s = self.open_store()
        sk = self.reg.by_kind("v1", "Secret")
        s.create(sk, "default", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "one"}})
        s.flush()
        before = self.read_state()
        s.create(sk, "default", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "two"}})
        real = os.replace

        def crash(_src, _dst):
            raise OSError("killed before the rename")
        os.replace = crash
        try:
            with self.assertRaises(OSError):
                s.flush()
        finally:
            os.replace = real
        self.assertEqual(self.read_state(), before)
        s2 = self.open_store()  # loads the previous complete state
        s2.get(sk, "default", "one")
        with self.assertRaises(errors.ApiError):
            s2.get(sk, "default", "two")
        # A later flush writes everything.
        s.flush()
        self.open_store().get(sk, "default", "two")

    def test_corrupt_state_is_an_error(self):
        with open(self.path, "w", encoding="utf-8") as f:
            f.write('{"format": 1, "rv": ')
        with self.assertRaises(storelib.StateError):
            self.open_store()
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump({"format": 99}, f)
        with self.assertRaises(storelib.StateError):
            self.open_store()

    def test_crds_are_not_saved_but_keep_their_uid(self):
        s = self.open_store()
        crd = self.reg.by_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        crd.read_only = False
        try:
            body = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": "things.example.com"}, "spec": {}}
            o, _ = s.create(crd, None, body)
            s.flush()
            with open(self.path, encoding="utf-8") as f:
                self.assertNotIn("CustomResourceDefinition", json.dumps(json.load(f)["objects"]))
            s2 = self.open_store()
            o2, _ = s2.create(crd, None, body)  # emu.py loads the CRD files again
            self.assertEqual(o2["metadata"]["uid"], o["metadata"]["uid"])
        finally:
            crd.read_only = True

    def controller(self, s):
        f = faultslib.faults_for(self.tmp.name, log=quiet)
        return ctl.Controller(s, self.reg, f, 0.01, log=quiet), f

    def passes(self, c, f, n):
        for _ in range(n):
            with c.s.lock:
                c.pass_once(f.load())
            c.s.flush()

    def test_controller_resumes_after_restart(self):
        s = self.open_store()
        self.load_cluster(s)
        c, f = self.controller(s)
        self.passes(c, f, 6)  # part of the way: some machines, not ready
        machines = self.reg.by_kind(CAPI, "Machine")
        cl = self.reg.by_kind(CAPI, "Cluster")
        self.assertFalse(ctl.cond_true(s.get(cl, "default", "c1"), "Available"))
        n_before = len(s.list(machines, "default")[0])
        ip_before = c.ip_next

        s2 = self.open_store()  # "SIGKILL" and restart: only what was flushed
        c2, f2 = self.controller(s2)
        self.assertEqual(c2.ip_next, ip_before)
        self.assertEqual(len(s2.list(machines, "default")[0]), n_before)
        for _ in range(80):
            if ctl.cond_true(s2.get(cl, "default", "c1"), "Available"):
                break
            self.passes(c2, f2, 1)
        self.assertTrue(ctl.cond_true(s2.get(cl, "default", "c1"), "Available"))
        # 1 control-plane machine + 2 workers, none duplicated by the restart.
        self.assertEqual(len(s2.list(machines, "default")[0]), 3)

    def test_deletion_in_progress_resumes(self):
        s = self.open_store()
        self.load_cluster(s)
        c, f = self.controller(s)
        cl = self.reg.by_kind(CAPI, "Cluster")
        for _ in range(80):
            if ctl.cond_true(s.get(cl, "default", "c1"), "Available"):
                break
            self.passes(c, f, 1)
        s.delete(cl, "default", "c1")
        self.passes(c, f, 2)
        s.flush()
        s2 = self.open_store()
        self.assertTrue(s2.get(cl, "default", "c1")["metadata"].get("deletionTimestamp"))
        c2, f2 = self.controller(s2)
        for _ in range(80):
            try:
                s2.get(cl, "default", "c1")
            except errors.ApiError:
                break
            self.passes(c2, f2, 1)
        with self.assertRaises(errors.ApiError):
            s2.get(cl, "default", "c1")
        md = self.reg.by_kind(CAPI, "MachineDeployment")
        self.assertEqual(s2.list(md, "default")[0], [])


if __name__ == "__main__":
    unittest.main()

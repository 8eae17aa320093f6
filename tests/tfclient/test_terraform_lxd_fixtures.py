"""tests/data/terraform-lxd/*.json against the facts of
docs/internals/terraform-lxd-states.md: every instance holds exactly the
attributes of its source version's schema, with the documented types,
nulls and schema version, so the MoveResourceState / UpgradeResourceState
work starts from states terraform-provider-lxd really writes."""
import glob
import json
import os
import unittest

from tfc import values

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                    "terraform-lxd")
PROVIDER = 'provider["registry.terraform.io/terraform-lxd/lxd"]'
S, B, MAP = "string", "bool", ["map", "string"]
MEMBERS = ["map", ["object", {"config": MAP}]]

# Implied types of the schemas (facts from the doc's tables).
SCHEMAS = {
    ("lxd_storage_pool", "2.7.1"): {
        "name": S, "description": S, "driver": S, "source": S, "project": S,
        "target": S, "remote": S, "config": MAP},
    ("lxd_storage_pool", "3.0.2"): {
        "name": S, "description": S, "driver": S, "project": S, "remote": S,
        "config": MAP, "member_overrides": MEMBERS, "members": MEMBERS},
    ("lxd_network", "2.7.1"): {
        "name": S, "description": S, "type": S, "project": S, "remote": S,
        "target": S, "config": MAP, "managed": B, "ipv4_address": S,
        "ipv6_address": S},
    ("lxd_network", "3.0.2"): {
        "name": S, "description": S, "type": S, "project": S, "remote": S,
        "config": MAP, "member_overrides": MEMBERS, "members": MEMBERS,
        "managed": B, "ipv4_address": S, "ipv6_address": S},
}
# Never null in a state the provider wrote (required, defaulted or
# computed from LXD).
NON_NULL = {"name", "description", "driver", "config", "members", "managed",
            "ipv4_address", "ipv6_address", "type"}


def load_all():
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "*.json"))):
        with open(path) as f:
            doc = json.load(f)
        resources = doc.get("resources", [doc])
        out.append((os.path.basename(path), doc["fixture"], resources))
    return out


class Fixtures(unittest.TestCase):
    def test_the_six_fixtures_exist(self):
        names = [n for n, _, _ in load_all()]
        self.assertEqual(len(names), 6, names)

    def test_instances_match_their_schema(self):
        for name, fx, resources in load_all():
            version = fx["source_version"]
            self.assertIn(version, name)
            self.assertEqual(fx["source_provider"],
                             "registry.terraform.io/terraform-lxd/lxd")
            for r in resources:
                with self.subTest(file=name, resource=r["name"]):
                    self.assertEqual(r["mode"], "managed")
                    self.assertEqual(r["provider"], PROVIDER)
                    self.assertEqual(len(r["instances"]), 1)
                    inst = r["instances"][0]
                    self.assertEqual(inst["schema_version"], 0)
                    self.assertEqual(inst["identity_schema_version"], 0)
                    self.assertNotIn("identity", inst)
                    self.assertNotIn("private", inst)
                    self.assertEqual(inst["sensitive_attributes"], [])
                    attrs = inst["attributes"]
                    t = ["object", SCHEMAS[(r["type"], version)]]
                    # Exactly the attributes, each of its type.
                    values.encode(attrs, t)
                    for k in NON_NULL & set(attrs):
                        self.assertIsNotNone(attrs[k], k)

    def test_documented_values(self):
        by = {n: (fx, rs) for n, fx, rs in load_all()}
        for n in ("network_ovn_project_2.7.1.json",
                  "network_ovn_project_3.0.2.json"):
            a = by[n][1][0]["instances"][0]["attributes"]
            self.assertEqual((a["type"], a["project"]), ("ovn", "tenant-a"))
            self.assertEqual((a["ipv4_address"], a["ipv6_address"]), ("", ""))
            self.assertEqual(a["config"]["network"], "UPLINK")
            for k in a["config"]:
                self.assertFalse(k.startswith("volatile.") or k == "bridge.mtu")
        self.assertEqual(by["network_ovn_project_3.0.2.json"][1][0]
                         ["instances"][0]["attributes"]["members"], {})
        std3 = by["storage_pool_dir_standalone_3.0.2.json"][1][0][
            "instances"][0]["attributes"]
        self.assertEqual(std3["members"], {})
        self.assertEqual(std3["config"], {"source": "/srv/lxd/data"})
        std2 = by["storage_pool_dir_standalone_2.7.1.json"][1][0][
            "instances"][0]["attributes"]
        self.assertEqual((std2["source"], std2["config"]),
                         ("/srv/lxd/data", {}))

    def test_cluster_shapes(self):
        by = {n: rs for n, _, rs in load_all()}
        v2 = [r["instances"][0]["attributes"]
              for r in by["storage_pool_dir_cluster_2.7.1.json"]]
        self.assertEqual(sorted(str(a["target"]) for a in v2),
                         ["None", "node1", "node2"])
        self.assertEqual({(a["name"], a["driver"]) for a in v2},
                         {("shared", "dir")})
        glob_ = [a for a in v2 if a["target"] is None][0]
        self.assertIsNone(glob_["source"])
        v3 = by["storage_pool_dir_cluster_3.0.2.json"][0]["instances"][0][
            "attributes"]
        # members = config's member-specific defaults, overridden.
        for m, cfg in v3["members"].items():
            want = dict(v3["config"])
            want.update((v3["member_overrides"] or {}).get(m, {}).get(
                "config", {}))
            self.assertEqual(cfg["config"], want, m)
        self.assertEqual(sorted(v3["members"]), ["node1", "node2"])


if __name__ == "__main__":
    unittest.main()

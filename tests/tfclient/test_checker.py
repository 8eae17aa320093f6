"""tfc.checker: every rule accepts what Terraform accepts and reports
what Terraform (or the plugin framework, for identity stability)
rejects."""
import unittest

from tfc import checker as C
from tfc.schema import Attr, Block, NestedBlock
from tfc.values import Unknown

ID_T = ["object", {"name": "string", "project": "string"}]
ID = {"name": "p1", "project": "default"}


def rules(problems):
    return [p.rule for p in problems]


class Sources(unittest.TestCase):
    def test_every_rule_cites_its_source(self):
        for rule, src in C.SOURCES.items():
            self.assertRegex(src, r"internal/\S+\.go \S+", rule)


class Identity(unittest.TestCase):
    def test_known_conforming_identity_passes(self):
        for step in ("read", "plan", "apply", "import"):
            self.assertEqual(C.check_identity(ID, ID_T, step), [])
        self.assertEqual(C.check_identity(None, ID_T, "read"), [])

    def test_unknown_identity(self):
        u = {"name": Unknown(), "project": "default"}
        self.assertEqual(rules(C.check_identity(u, ID_T, "read")),
                         ["identity-known"])
        self.assertEqual(rules(C.check_identity(u, ID_T, "apply")),
                         ["identity-known"])
        self.assertEqual(rules(C.check_identity(u, ID_T, "plan", "update")),
                         ["identity-known"])
        self.assertEqual(C.check_identity(u, ID_T, "plan", "create"), [])
        self.assertEqual(C.check_identity(u, ID_T, "plan", "replace"), [])

    def test_wrong_attributes(self):
        self.assertEqual(rules(C.check_identity({"name": "p1"}, ID_T,
                                                "read")),
                         ["identity-conforms"])

    def test_stable_across_read_plan_apply(self):
        other = dict(ID, name="p2")
        self.assertEqual(C.check_identity_stable("read", ID, ID), [])
        self.assertEqual(rules(C.check_identity_stable("read", ID, other)),
                         ["identity-stable"])
        self.assertEqual(rules(C.check_identity_stable("plan", ID, other)),
                         ["identity-stable"])
        self.assertEqual(rules(C.check_identity_stable("apply", ID, other)),
                         ["identity-stable"])

    def test_stable_exemptions(self):
        other = dict(ID, name="p2")
        # Nothing stored yet (state written before identities existed).
        self.assertEqual(C.check_identity_stable(
            "read", {"name": None, "project": None}, other), [])
        self.assertEqual(C.check_identity_stable("read", None, other), [])
        # The read right after an import; a plan to create.
        self.assertEqual(C.check_identity_stable("read", ID, other,
                                                 after_import=True), [])
        self.assertEqual(C.check_identity_stable(
            "plan", ID, other, prior_state_null=True), [])

    def test_import_by_identity_returns_one(self):
        self.assertEqual(rules(C.check_import_identity(True, None)),
                         ["import-identity"])
        self.assertEqual(C.check_import_identity(True, ID), [])
        self.assertEqual(C.check_import_identity(False, None), [])


class Listing(unittest.TestCase):
    def ev(self, identity=ID, **kw):
        d = {"identity": identity, "display_name": "p1", "errors": [],
             "warnings": []}
        d.update(kw)
        return d

    def test_identity_on_every_event(self):
        ok = [self.ev(), self.ev(dict(ID, name="p2"))]
        self.assertEqual(C.check_list_events(ok, ID_T), [])
        bad = [self.ev(), self.ev(None)]
        probs = C.check_list_events(bad, ID_T)
        self.assertEqual(rules(probs), ["list-identity"])
        self.assertEqual(probs[0].path, "event[1]")

    def test_warning_only_event_without_identity_is_skipped(self):
        evs = [self.ev(None, warnings=["partial"]), self.ev()]
        self.assertEqual(C.check_list_events(evs, ID_T), [])

    def test_error_ends_the_listing(self):
        evs = [self.ev(None, errors=["boom"]), self.ev(None)]
        self.assertEqual(C.check_list_events(evs, ID_T), [])

    def test_identity_shape_known_and_limit(self):
        evs = [self.ev({"name": "x"}), self.ev({"name": Unknown(),
                                                "project": "p"})]
        self.assertEqual(rules(C.check_list_events(evs, ID_T)),
                         ["list-identity", "list-identity"])
        three = [self.ev(), self.ev(), self.ev()]
        self.assertEqual(rules(C.check_list_events(three, ID_T, limit=2)),
                         ["list-identity"])

    def test_resource_object_shape(self):
        rt = ["object", {"name": "string"}]
        good = [self.ev(resource_object={"name": "p1"})]
        bad = [self.ev(resource_object={"nom": "p1"})]
        self.assertEqual(C.check_list_events(good, ID_T, rt, True), [])
        self.assertEqual(rules(C.check_list_events(bad, ID_T, rt, True)),
                         ["list-object"])


def pool_block():
    member = Block({"name": Attr("name", "string", required=True),
                    "state": Attr("state", "string", computed=True)})
    return Block(
        {"name": Attr("name", "string", required=True),
         "driver": Attr("driver", "string", optional=True),
         "config": Attr("config", ["map", "string"], optional=True,
                        computed=True),
         "status": Attr("status", "string", computed=True),
         "secret": Attr("secret", "string", optional=True, write_only=True),
         "old": Attr("old", "string", optional=True, deprecated=True)},
        {"member": NestedBlock("member", member, "LIST")})


def pool(**kw):
    v = {"name": "p", "driver": "dir", "config": None, "status": None,
         "secret": None, "old": None, "member": []}
    v.update(kw)
    return v


class ListAgainstRead(unittest.TestCase):
    RES_T = ["object", {"name": "string", "size": "number"}]

    def ev(self, name, obj=None):
        e = {"identity": {"name": name, "project": "default"},
             "display_name": name, "errors": [], "warnings": []}
        if obj is not None:
            e["resource_object"] = obj
        return e

    def test_equal_objects_pass(self):
        evs = [self.ev("a", {"name": "a", "size": 1}), self.ev("b")]
        reads = [{"name": "a", "size": 1.0}, None]
        self.assertEqual(C.check_list_matches_read(evs, reads, self.RES_T),
                         [])

    def test_differing_or_unreadable_object(self):
        evs = [self.ev("a", {"name": "a", "size": 1}),
               self.ev("b", {"name": "b", "size": 2})]
        probs = C.check_list_matches_read(
            evs, [{"name": "a", "size": 9}, None], self.RES_T)
        self.assertEqual(rules(probs), ["list-object-read"] * 2)
        self.assertIn("size", probs[0].message)

    def test_unknown_type_needs_an_error(self):
        self.assertEqual(C.check_list_unknown_type(
            [{"errors": ["Unsupported list resource type"]}]), [])
        self.assertEqual(rules(C.check_list_unknown_type([])),
                         ["list-unknown-type"])

    def test_stop(self):
        self.assertEqual(C.check_list_stopped(5, 1, 300, "CANCELLED", 0.2),
                         [])
        self.assertEqual(rules(C.check_list_stopped(5, 295, 300, "OK", 0.2)),
                         ["list-stop"])
        self.assertEqual(rules(C.check_list_stopped(5, 0, 300, "OK", 60)),
                         ["list-stop"])


class GeneratedConfig(unittest.TestCase):
    def test_clean_config_passes(self):
        cfg = pool(config={"size": "1GiB"},
                   member=[{"name": "m1", "state": None}])
        self.assertEqual(C.check_generated_config(pool_block(), cfg), [])

    def test_computed_only_and_deprecated_reported_at_any_depth(self):
        cfg = pool(status="Created", old="x",
                   member=[{"name": "m1", "state": "Created"}])
        probs = C.check_generated_config(pool_block(), cfg)
        self.assertEqual(sorted(p.path for p in probs),
                         ["member[0].state", "old", "status"])

    def test_unknown_reported(self):
        probs = C.check_generated_config(pool_block(), pool(name=Unknown()))
        self.assertEqual(rules(probs), ["genconfig-computed"])


class PlanValid(unittest.TestCase):
    def test_create_plan(self):
        b = pool_block()
        cfg = pool(secret="s")
        planned = pool(config=Unknown(), status=Unknown())
        self.assertEqual(C.check_plan_valid(b, None, cfg, planned), [])

    def test_planned_differs_from_config(self):
        b = pool_block()
        probs = C.check_plan_valid(b, None, pool(), pool(driver="zfs"))
        self.assertEqual([p.path for p in probs], ["driver"])
        self.assertIn("does not match config", probs[0].message)

    def test_value_for_non_computed_null_config(self):
        probs = C.check_plan_valid(pool_block(), None, pool(driver=None),
                                   pool(driver="dir"))
        self.assertIn("non-computed", probs[0].message)

    def test_prior_kept_when_config_equivalent(self):
        b = pool_block()
        prior = pool(driver="dir", status="Created")
        self.assertEqual(C.check_plan_valid(b, prior, pool(driver="DIR"),
                                            prior), [])

    def test_refinements_ignored_when_comparing(self):
        b = pool_block()
        cfg = pool(name=Unknown(prefix="p-"))
        self.assertEqual(C.check_plan_valid(b, None, cfg,
                                            pool(name=Unknown())), [])

    def test_write_only_must_be_null(self):
        probs = C.check_plan_valid(pool_block(), None, pool(secret="s"),
                                   pool(secret="s2"))
        self.assertEqual([p.path for p in probs], ["secret"])

    def test_blocks(self):
        b = pool_block()
        m = {"name": "m1", "state": None}
        self.assertIn("not null", C.check_plan_valid(
            b, None, pool(member=[m]), pool(member=None))[0].message)
        self.assertIn("block count", C.check_plan_valid(
            b, None, pool(member=[m]), pool(member=[m, m]))[0].message)
        self.assertIn("must not be unknown", C.check_plan_valid(
            b, None, pool(member=[m]), pool(member=[Unknown()]))[0].message)
        self.assertEqual(C.check_plan_valid(
            b, None, pool(member=[m]),
            pool(member=[dict(m, state=Unknown())])), [])

    def test_existence(self):
        self.assertIn("absence", C.check_plan_valid(pool_block(), None,
                                                    pool(), None)[0].message)
        self.assertEqual(C.check_plan_valid(pool_block(), pool(), None,
                                            None), [])


class WriteOnly(unittest.TestCase):
    def test_state_holds_no_write_only_value(self):
        self.assertEqual(C.check_write_only_null(pool_block(), pool()), [])
        self.assertEqual(rules(C.check_write_only_null(pool_block(),
                                                       pool(secret="s"))),
                         ["write-only-null"])


if __name__ == "__main__":
    unittest.main()

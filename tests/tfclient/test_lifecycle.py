"""tfc.lifecycle: the requests it builds the way Terraform does
(objchange.ProposedNew for a create and an update, absent nested blocks)
and the JSON it reports; the calls themselves run against the real
provider in tests/e2e/test_identity_protocol.sh."""
import decimal
import unittest

from tfc import lifecycle as L
from tfc.schema import Attr, Block, NestedBlock
from tfc.values import Unknown


def life():
    lf = L.Life.__new__(L.Life)  # no provider: only the pure helpers
    lf.block = Block(
        {"name": Attr("name", "string", required=True),
         "note": Attr("note", "string", optional=True, computed=True),
         "id": Attr("id", "string", computed=True)},
        {"rule": NestedBlock("rule", Block({"port": Attr(
            "port", "number", required=True)}), "LIST"),
         "timeouts": NestedBlock("timeouts", Block({"create": Attr(
             "create", "string", optional=True)}), "SINGLE")})
    lf.rtype = lf.block.implied_type()
    return lf


class Proposed(unittest.TestCase):
    def test_create_leaves_unset_computed_unknown(self):
        lf = life()
        p = lf.proposed(None, lf.full({"name": "a"}))
        self.assertEqual(p["name"], "a")
        self.assertIsInstance(p["note"], Unknown)
        self.assertIsInstance(p["id"], Unknown)
        self.assertEqual(p["rule"], [])
        self.assertIsNone(p["timeouts"])

    def test_update_keeps_prior_computed_and_config_values(self):
        lf = life()
        prior = {"name": "a", "note": "n", "id": "x", "rule": [],
                 "timeouts": None}
        p = lf.proposed(prior, lf.full({"name": "a", "note": "m"}))
        self.assertEqual((p["note"], p["id"]), ("m", "x"))


class Json(unittest.TestCase):
    def test_unknowns_and_numbers(self):
        self.assertEqual(L._js({"a": Unknown(), "b": [decimal.Decimal(3)],
                                "c": decimal.Decimal("1.5")}),
                         {"a": "<unknown>", "b": [3], "c": 1.5})


if __name__ == "__main__":
    unittest.main()

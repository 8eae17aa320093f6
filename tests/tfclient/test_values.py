"""tfc.values: the DynamicValue msgpack codec against wire bytes Terraform
is known to produce and accept (tfplugin6 object wire format; refined
unknowns observed from Terraform 1.11)."""
import decimal
import unittest

import msgpack

from tfc import values as V
from tfc.values import Typed, Unknown

OBJ = ["object", {"name": "string", "size": "number", "tags": ["map",
                                                            "string"]}]


class UnknownWire(unittest.TestCase):
    def test_plain_unknown_is_fixext1_code_0(self):
        self.assertEqual(V.encode(Unknown(), "string"), b"\xd4\x00\x00")
        self.assertEqual(V.decode(b"\xd4\x00\x00", "string"), Unknown())

    def test_refined_unknown_as_terraform_sends_it(self):
        # "pre-${unknown}" from Terraform 1.11: not null, prefix "pre-".
        wire = b"\xc7\x09\x0c\x82\x01\xc2\x02\xa4pre-"
        u = V.decode(wire, "string")
        self.assertEqual(u, Unknown(not_null=True, prefix="pre-"))
        self.assertTrue(u.refined())
        self.assertEqual(V.encode(u, "string"), wire)

    def test_number_bounds_and_lengths(self):
        u = Unknown(not_null=True, lower=(5, True), upper=(6, False))
        back = V.decode(V.encode(u, "number"), "number")
        self.assertEqual(back, u)
        c = Unknown(len_min=1, len_max=3)
        self.assertEqual(V.decode(V.encode(c, ["list", "string"]),
                                  ["list", "string"]), c)

    def test_other_ext_codes_and_keys_are_plain_or_ignored(self):
        self.assertEqual(V.decode(b"\xd4\x05\x00", "bool"), Unknown())
        payload = msgpack.packb({1: False, 99: "future"})
        wire = msgpack.packb(msgpack.ExtType(12, payload))
        self.assertEqual(V.decode(wire, "bool"), Unknown(not_null=True))

    def test_malformed_refinement_is_an_error(self):
        wire = msgpack.packb(msgpack.ExtType(12, msgpack.packb([1, 2])))
        with self.assertRaises(V.DecodeError):
            V.decode(wire, "string")

    def test_unknown_deep_inside(self):
        v = {"name": Unknown(prefix="a"), "size": None, "tags": {"k": "v"}}
        self.assertEqual(V.decode(V.encode(v, OBJ), OBJ), v)
        self.assertFalse(V.wholly_known(v))
        self.assertEqual(V.unrefined(v)["name"], Unknown())


class Objects(unittest.TestCase):
    def test_keys_sorted_and_all_present(self):
        v = {"tags": {}, "size": 1, "name": "x"}
        wire = V.encode(v, OBJ)
        self.assertEqual(wire, b"\x83\xa4name\xa1x\xa4size\x01\xa4tags\x80")
        self.assertEqual(V.decode(wire, OBJ), v)

    def test_missing_or_extra_attribute_rejected(self):
        with self.assertRaises(V.EncodeError):
            V.encode({"name": "x"}, OBJ)
        wire = msgpack.packb({"name": "x", "size": 1, "tags": None,
                              "extra": 1})
        with self.assertRaisesRegex(V.DecodeError, "3 attributes"):
            V.decode(wire, OBJ)

    def test_empty_map_is_not_an_object(self):
        with self.assertRaises(V.DecodeError):
            V.decode(b"\x80", OBJ)


class Numbers(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(V.encode(7, "number"), b"\x07")
        self.assertEqual(V.encode(2.0, "number"), b"\x02")
        self.assertEqual(V.encode(1.5, "number"), msgpack.packb(1.5))
        big = 1 << 70
        self.assertEqual(V.encode(big, "number"), msgpack.packb(str(big)))
        d = decimal.Decimal("0.1")
        self.assertEqual(V.encode(d, "number"), msgpack.packb("0.1"))
        self.assertEqual(V.decode(msgpack.packb("0.1"), "number"), d)

    def test_bool_is_not_a_number(self):
        with self.assertRaises(V.EncodeError):
            V.encode(True, "number")
        with self.assertRaises(V.DecodeError):
            V.decode(b"\xc3", "number")


class Dynamic(unittest.TestCase):
    def test_type_and_value_pair(self):
        v = Typed(["list", "string"], ["a"])
        wire = V.encode(v, "dynamic")
        o = msgpack.unpackb(wire)
        self.assertEqual(o[0], b'["list","string"]')
        self.assertEqual(V.decode(wire, "dynamic"), v)

    def test_null_and_unknown_are_bare(self):
        self.assertEqual(V.encode(None, "dynamic"), b"\xc0")
        self.assertEqual(V.decode(b"\xd4\x00\x00", "dynamic"), Unknown())


class Equality(unittest.TestCase):
    def test_sets_unordered_numbers_by_value(self):
        t = ["set", "number"]
        self.assertTrue(V.equal([1, 2.0], [decimal.Decimal(2), 1], t))
        self.assertFalse(V.equal([1, 2], [1, 3], t))
        self.assertFalse(V.equal(["a"], None, ["list", "string"]))
        self.assertFalse(V.equal(Unknown(), "x", "string"))

    def test_types_checked(self):
        with self.assertRaises(V.DecodeError):
            V.parse_type('["list"]')
        self.assertEqual(V.parse_type(b'["map","bool"]'), ["map", "bool"])


if __name__ == "__main__":
    unittest.main()

"""tfc.schema and tfc.proto: the generated messages of proto/ compile and
a Schema message implies the value type Terraform derives from it."""
import unittest

from tfc import proto, schema, values


class Implied(unittest.TestCase):
    def setUp(self):
        self.pb = proto.load().tfplugin6

    def test_block_attributes_nested_types_and_blocks(self):
        S = self.pb.Schema
        blk = S.Block(
            attributes=[
                S.Attribute(name="name", type=b'"string"', required=True),
                S.Attribute(name="cfg", type=b'["map","string"]',
                            optional=True, computed=True),
                S.Attribute(name="members", nested_type=S.Object(
                    nesting=S.Object.SET, attributes=[
                        S.Attribute(name="m", type=b'"string"',
                                    required=True)])),
            ],
            block_types=[S.NestedBlock(type_name="timeouts",
                                       nesting=S.NestedBlock.SINGLE,
                                       block=S.Block(attributes=[
                                           S.Attribute(name="create",
                                                       type=b'"string"',
                                                       optional=True)]))])
        b = schema.block_from_proto(blk)
        self.assertEqual(b.implied_type(), ["object", {
            "name": "string", "cfg": ["map", "string"],
            "members": ["set", ["object", {"m": "string"}]],
            "timeouts": ["object", {"create": "string"}]}])
        self.assertFalse(b.attrs["cfg"].computed_only)
        v = {"name": "x", "cfg": None, "members": [{"m": "a"}],
             "timeouts": None}
        self.assertEqual(values.decode(values.encode(v, b.implied_type()),
                                       b.implied_type()), v)

    def test_config_value_completes_a_partial_configuration(self):
        leaf = schema.Block({"a": schema.Attr("a", "string", optional=True),
                             "k": schema.Attr("k", "string", optional=True,
                                              write_only=True)})
        b = schema.Block(
            {"name": schema.Attr("name", "string", required=True)},
            {"one": schema.NestedBlock("one", leaf, "SINGLE"),
             "many": schema.NestedBlock("many", leaf, "LIST"),
             "named": schema.NestedBlock("named", leaf, "MAP")})
        v = schema.config_value(b, {"name": "x", "many": [{"k": "s"}]})
        self.assertEqual(v, {"name": "x", "one": None,
                             "many": [{"a": None, "k": "s"}], "named": {}})
        values.encode(v, b.implied_type())  # a whole object of the type
        with self.assertRaises(ValueError):
            schema.config_value(b, {"nope": 1})

    def test_identity_type(self):
        R = self.pb.ResourceIdentitySchema
        ids = R(version=1, identity_attributes=[
            R.IdentityAttribute(name="name", type=b'"string"',
                                required_for_import=True),
            R.IdentityAttribute(name="project", type=b'"string"',
                                optional_for_import=True)])
        self.assertEqual(schema.identity_type(ids), ["object", {
            "name": "string", "project": "string"}])

    def test_list_messages_present(self):
        ev = self.pb.ListResource.Event(display_name="d")
        ev.identity.identity_data.msgpack = b"\x80"
        back = self.pb.ListResource.Event.FromString(ev.SerializeToString())
        self.assertTrue(back.HasField("identity"))
        self.assertFalse(back.HasField("resource_object"))
        self.assertIn("list_resource_schemas",
                      self.pb.GetProviderSchema.Response.DESCRIPTOR
                      .fields_by_name)


if __name__ == "__main__":
    unittest.main()

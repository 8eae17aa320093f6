"""tfplugin6 Schema messages as plain Python: Block, Attr, NestedBlock,
and the value type a block implies (Terraform's configschema
ImpliedType). Works on the generated protobuf messages or on dicts of
the same shape built by hand (tests).

Implied types: an attribute has its `type`, or for a nested attribute
(`nested_type`) an object of its attributes wrapped per nesting (SINGLE:
object, LIST: list, SET: set, MAP: map). A nested block of nesting
SINGLE or GROUP is an object, LIST a list, SET a set, MAP a map of its
block's object. (Terraform uses a tuple / object instead of a list / map
when the block holds a "dynamic" attribute; not handled: ours have none.)
"""
from . import values

NESTING = {0: "INVALID", 1: "SINGLE", 2: "LIST", 3: "SET", 4: "MAP",
           5: "GROUP"}


class Attr:
    def __init__(self, name, type_=None, nested=None, nesting=None,
                 required=False, optional=False, computed=False,
                 sensitive=False, write_only=False, deprecated=False):
        self.name = name
        self.type = type_        # parsed type, or None when nested
        self.nested = nested     # {name: Attr} of a nested attribute
        self.nesting = nesting   # its nesting: SINGLE, LIST, SET, MAP
        self.required = required
        self.optional = optional
        self.computed = computed
        self.sensitive = sensitive
        self.write_only = write_only
        self.deprecated = deprecated

    @property
    def computed_only(self):
        return self.computed and not self.optional and not self.required

    def implied_type(self):
        if self.nested is None:
            return self.type
        obj = ["object", {n: a.implied_type()
                          for n, a in self.nested.items()}]
        return _wrap(self.nesting, obj)


class NestedBlock:
    def __init__(self, name, block, nesting, min_items=0, max_items=0):
        self.name = name
        self.block = block
        self.nesting = nesting
        self.min_items = min_items
        self.max_items = max_items

    def implied_type(self):
        return _wrap(self.nesting, self.block.implied_type())


class Block:
    def __init__(self, attrs=None, blocks=None, version=0):
        self.attrs = attrs or {}     # {name: Attr}
        self.blocks = blocks or {}   # {name: NestedBlock}
        self.version = version

    def implied_type(self):
        t = {n: a.implied_type() for n, a in self.attrs.items()}
        t.update({n: b.implied_type() for n, b in self.blocks.items()})
        return ["object", t]


def _wrap(nesting, obj):
    if nesting in ("SINGLE", "GROUP"):
        return obj
    if nesting == "LIST":
        return ["list", obj]
    if nesting == "SET":
        return ["set", obj]
    if nesting == "MAP":
        return ["map", obj]
    raise ValueError("invalid nesting %r" % (nesting,))


def _nesting(n):
    return NESTING.get(n, n) if isinstance(n, int) else n


def _attr_from_proto(a):
    nested = None
    nesting = None
    t = None
    if a.HasField("nested_type"):
        nested = {x.name: _attr_from_proto(x)
                  for x in a.nested_type.attributes}
        nesting = _nesting(a.nested_type.nesting)
    else:
        t = values.parse_type(a.type)
    return Attr(a.name, t, nested, nesting, a.required, a.optional,
                a.computed, a.sensitive, a.write_only, a.deprecated)


def block_from_proto(b):
    """A tfplugin6 Schema.Block message -> Block."""
    attrs = {a.name: _attr_from_proto(a) for a in b.attributes}
    blocks = {nb.type_name: NestedBlock(nb.type_name,
                                        block_from_proto(nb.block),
                                        _nesting(nb.nesting), nb.min_items,
                                        nb.max_items)
              for nb in b.block_types}
    return Block(attrs, blocks, b.version)


def config_value(block, partial):
    """A whole configuration object of `block` from `partial` (a dict of
    the attributes and blocks given): what Terraform sends for a
    configuration that sets only those. Unset attributes are null, unset
    SINGLE/GROUP blocks null, unset LIST/SET blocks [] and MAP blocks {};
    given blocks are completed the same way, element by element."""
    partial = partial or {}
    unknown = sorted(set(partial) - set(block.attrs) - set(block.blocks))
    if unknown:
        raise ValueError("not in the schema: %s" % ", ".join(unknown))
    out = {n: partial.get(n) for n in block.attrs}
    for n, b in block.blocks.items():
        v = partial.get(n)
        if b.nesting in ("SINGLE", "GROUP"):
            out[n] = None if v is None else config_value(b.block, v)
        elif b.nesting == "MAP":
            out[n] = {k: config_value(b.block, e)
                      for k, e in (v or {}).items()}
        else:
            out[n] = [config_value(b.block, e) for e in (v or [])]
    return out


def identity_type(identity_schema):
    """A ResourceIdentitySchema message -> the identity object type."""
    return ["object", {a.name: values.parse_type(a.type)
                       for a in identity_schema.identity_attributes}]


def list_config_block(list_schema):
    """The block a list resource's `config` block has: the schema the
    provider declares in list_resource_schemas (Terraform wraps it as the
    `config` block of a `list` block, with a computed `data`)."""
    return block_from_proto(list_schema.block)

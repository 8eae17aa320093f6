"""DynamicValue msgpack codec, type-directed as Terraform's (cty's) is.

Types are Terraform's type JSON, parsed: "string", "number", "bool",
"dynamic", ["list", T], ["set", T], ["map", T], ["object", {name: T}],
["tuple", [T, ...]].

Values: None is null; str, bool, int / float / decimal.Decimal (numbers);
list for lists, sets (order ignored) and tuples; dict for maps and
objects; Unknown for an unknown value (any refinements in its fields);
Typed(type, value) for a value of a "dynamic" attribute.

Wire facts: an object is a map holding exactly its attributes (keys
sorted); numbers are ints when they are int64 integers, float64 when that
is exact, else the decimal text as a string; a dynamic value is
[bin(type JSON), value]; unknowns are msgpack extensions: code 0 with a
1-byte payload (fixext1 d4 00 00) when plain, code 12 with a map payload
when refined (1: nullness, false = definitely not null; 2: string
prefix; 3 / 4: number lower / upper bound as [number, inclusive];
5 / 6: collection length lower / upper bound). Any other extension code
decodes as a plain unknown; unknown refinement keys are ignored.
"""
import decimal
import json

import msgpack

EXT_UNKNOWN = 0
EXT_REFINED = 12
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
PRIMITIVES = ("string", "number", "bool", "dynamic")


class DecodeError(Exception):
    pass


class EncodeError(Exception):
    pass


class Unknown:
    """An unknown value, optionally refined."""

    __slots__ = ("not_null", "prefix", "lower", "upper", "len_min",
                 "len_max")

    def __init__(self, not_null=False, prefix=None, lower=None, upper=None,
                 len_min=None, len_max=None):
        self.not_null = not_null  # True: definitely not null
        self.prefix = prefix      # known string prefix
        self.lower = lower        # (number, inclusive) or None
        self.upper = upper
        self.len_min = len_min    # collection length bounds
        self.len_max = len_max

    def refined(self):
        return bool(self.not_null or self.prefix or self.lower is not None
                    or self.upper is not None or self.len_min is not None
                    or self.len_max is not None)

    def _key(self):
        return (self.not_null, self.prefix, self.lower, self.upper,
                self.len_min, self.len_max)

    def __eq__(self, other):
        return isinstance(other, Unknown) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        if not self.refined():
            return "Unknown()"
        parts = ["%s=%r" % (k, getattr(self, k)) for k in self.__slots__
                 if getattr(self, k) not in (None, False)]
        return "Unknown(%s)" % ", ".join(parts)


class Typed:
    """A value with its concrete type, for "dynamic" attributes."""

    __slots__ = ("type", "value")

    def __init__(self, type_, value):
        self.type = type_
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Typed) and self.type == other.type and \
            self.value == other.value

    def __repr__(self):
        return "Typed(%r, %r)" % (self.type, self.value)


def parse_type(raw):
    """Type JSON (bytes, str or already parsed) -> parsed type, checked.
    A bare primitive name ("string") counts as parsed."""
    if raw in PRIMITIVES:
        return raw
    t = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    _check_type(t)
    return t


def _check_type(t):
    if t in PRIMITIVES:
        return
    if isinstance(t, list) and len(t) >= 2:
        kind = t[0]
        if kind in ("list", "set", "map") and len(t) == 2:
            return _check_type(t[1])
        if kind == "object" and isinstance(t[1], dict) and len(t) in (2, 3):
            for a in t[1].values():
                _check_type(a)
            return
        if kind == "tuple" and isinstance(t[1], list) and len(t) == 2:
            for e in t[1]:
                _check_type(e)
            return
    raise DecodeError("invalid type %r" % (t,))


def object_attrs(t):
    return t[1] if isinstance(t, list) and t[0] == "object" else None


# ---------------------------------------------------------------- encode

def _enc_number(v):
    if isinstance(v, bool):
        raise EncodeError("bool given for a number")
    if isinstance(v, int):
        return v if INT64_MIN <= v <= INT64_MAX else str(v)
    if isinstance(v, float):
        if v.is_integer() and INT64_MIN <= v <= INT64_MAX:
            return int(v)
        return v
    if isinstance(v, decimal.Decimal):
        if v == v.to_integral_value() and INT64_MIN <= v <= INT64_MAX:
            return int(v)
        f = float(v)
        if decimal.Decimal(f) == v:
            return f
        return str(v)
    raise EncodeError("%r is not a number" % (v,))


def _enc_refinements(u):
    m = {}
    if u.not_null:
        m[1] = False
    if u.prefix:
        m[2] = u.prefix
    if u.lower is not None:
        m[3] = [_enc_number(u.lower[0]), bool(u.lower[1])]
    if u.upper is not None:
        m[4] = [_enc_number(u.upper[0]), bool(u.upper[1])]
    if u.len_min is not None:
        m[5] = int(u.len_min)
    if u.len_max is not None:
        m[6] = int(u.len_max)
    return m


def to_wire(v, t):
    """Value -> the msgpack-able structure (ExtType for unknowns)."""
    if isinstance(v, Unknown):
        if v.refined():
            payload = msgpack.packb(_enc_refinements(v), use_bin_type=True)
            return msgpack.ExtType(EXT_REFINED, payload)
        return msgpack.ExtType(EXT_UNKNOWN, b"\x00")
    if v is None:
        return None
    if t == "dynamic":
        if not isinstance(v, Typed):
            raise EncodeError("a dynamic value needs Typed(type, value)")
        tj = json.dumps(v.type, separators=(",", ":")).encode()
        return [tj, to_wire(v.value, parse_type(v.type))]
    if t == "string":
        if not isinstance(v, str):
            raise EncodeError("%r is not a string" % (v,))
        return v
    if t == "bool":
        if not isinstance(v, bool):
            raise EncodeError("%r is not a bool" % (v,))
        return v
    if t == "number":
        return _enc_number(v)
    kind = t[0]
    if kind in ("list", "set"):
        return [to_wire(e, t[1]) for e in v]
    if kind == "tuple":
        if len(v) != len(t[1]):
            raise EncodeError("tuple of %d given for %d" % (len(v),
                                                           len(t[1])))
        return [to_wire(e, et) for e, et in zip(v, t[1])]
    if kind == "map":
        return {k: to_wire(v[k], t[1]) for k in sorted(v)}
    if kind == "object":
        attrs = t[1]
        missing = sorted(set(attrs) - set(v))
        extra = sorted(set(v) - set(attrs))
        if missing or extra:
            raise EncodeError("object attributes: missing %s, unexpected %s"
                              % (missing, extra))
        return {k: to_wire(v[k], attrs[k]) for k in sorted(attrs)}
    raise EncodeError("cannot encode for type %r" % (t,))


def encode(v, t):
    """msgpack bytes of value v of type t (parsed or JSON)."""
    return msgpack.packb(to_wire(v, parse_type(t)), use_bin_type=True)


# ---------------------------------------------------------------- decode

def _dec_number(o, what="number"):
    if isinstance(o, bool):
        raise DecodeError("bool where a %s is required" % what)
    if isinstance(o, (int, float)):
        return o
    if isinstance(o, str):
        try:
            return decimal.Decimal(o)
        except decimal.InvalidOperation:
            raise DecodeError("invalid number text %r" % o) from None
    raise DecodeError("%s is required, got %r" % (what, type(o).__name__))


def _dec_unknown(ext):
    if ext.code != EXT_REFINED or not ext.data:
        return Unknown()
    try:
        m = msgpack.unpackb(ext.data, raw=False, strict_map_key=False)
    except Exception as e:
        raise DecodeError("malformed refinements: %s" % e) from None
    if not isinstance(m, dict):
        raise DecodeError("refinements must be a map")
    u = Unknown()
    for k, val in m.items():
        if k == 1:
            if not isinstance(val, bool):
                raise DecodeError("nullness refinement is not a bool")
            u.not_null = not val
        elif k == 2:
            if not isinstance(val, str):
                raise DecodeError("prefix refinement is not a string")
            u.prefix = val
        elif k in (3, 4):
            if not isinstance(val, list) or not 1 <= len(val) <= 2:
                raise DecodeError("bound refinement is not [n, inclusive]")
            bound = (_dec_number(val[0]), bool(val[1]) if len(val) > 1
                     else False)
            if k == 3:
                u.lower = bound
            else:
                u.upper = bound
        elif k in (5, 6):
            if not isinstance(val, int) or isinstance(val, bool) or val < 0:
                raise DecodeError("length refinement is not a count")
            if k == 5:
                u.len_min = val
            else:
                u.len_max = val
    return u


def from_wire(o, t, path="value"):
    """The msgpack structure -> value of type t (strict: objects must hold
    exactly their attributes, as Terraform requires)."""
    if isinstance(o, msgpack.ExtType):
        return _dec_unknown(o)
    if o is None:
        return None
    if t == "dynamic":
        if not isinstance(o, list) or len(o) != 2:
            raise DecodeError("%s: dynamic value must be [type, value]"
                              % path)
        tj = o[0].decode() if isinstance(o[0], bytes) else o[0]
        dt = parse_type(tj)
        return Typed(dt, from_wire(o[1], dt, path))
    if t == "string":
        if not isinstance(o, str):
            raise DecodeError("%s: string required, got %s"
                              % (path, type(o).__name__))
        return o
    if t == "bool":
        if not isinstance(o, bool):
            raise DecodeError("%s: bool required" % path)
        return o
    if t == "number":
        try:
            return _dec_number(o)
        except DecodeError as e:
            raise DecodeError("%s: %s" % (path, e)) from None
    kind = t[0]
    if kind in ("list", "set", "tuple"):
        if not isinstance(o, list):
            raise DecodeError("%s: %s required" % (path, kind))
        if kind == "tuple":
            if len(o) != len(t[1]):
                raise DecodeError("%s: tuple of %d required (%d given)"
                                  % (path, len(t[1]), len(o)))
            return [from_wire(e, et, "%s[%d]" % (path, i))
                    for i, (e, et) in enumerate(zip(o, t[1]))]
        return [from_wire(e, t[1], "%s[%d]" % (path, i))
                for i, e in enumerate(o)]
    if not isinstance(o, dict):
        raise DecodeError("%s: %s required" % (path, kind))
    if kind == "map":
        return {k: from_wire(e, t[1], "%s[%r]" % (path, k))
                for k, e in o.items()}
    attrs = t[1]
    if set(o) != set(attrs):
        raise DecodeError(
            "%s: an object with %d attributes is required (%d given; "
            "missing %s, unexpected %s)" % (
                path, len(attrs), len(o), sorted(set(attrs) - set(o)),
                sorted(set(o) - set(attrs), key=str)))
    return {k: from_wire(o[k], attrs[k], "%s.%s" % (path, k))
            for k in attrs}


def decode(data, t):
    """msgpack bytes -> value of type t (parsed or JSON)."""
    try:
        o = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as e:
        raise DecodeError("not msgpack: %s" % e) from None
    return from_wire(o, parse_type(t))


# ---------------------------------------------------------------- helpers

def wholly_known(v):
    if isinstance(v, Unknown):
        return False
    if isinstance(v, Typed):
        return wholly_known(v.value)
    if isinstance(v, list):
        return all(wholly_known(e) for e in v)
    if isinstance(v, dict):
        return all(wholly_known(e) for e in v.values())
    return True


def unrefined(v):
    """v with every refined unknown replaced by a plain one (Terraform
    compares planned and config values that way)."""
    if isinstance(v, Unknown):
        return Unknown()
    if isinstance(v, Typed):
        return Typed(v.type, unrefined(v.value))
    if isinstance(v, list):
        return [unrefined(e) for e in v]
    if isinstance(v, dict):
        return {k: unrefined(e) for k, e in v.items()}
    return v


def equal(a, b, t):
    """Exact equality of two values of type t (sets compared as sets,
    numbers by value, unknowns only equal to identical unknowns)."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if t == "dynamic":
        return isinstance(a, Typed) and isinstance(b, Typed) and \
            a.type == b.type and equal(a.value, b.value, a.type)
    if t == "number":
        return decimal.Decimal(str(a)) == decimal.Decimal(str(b)) \
            if not isinstance(a, bool) and not isinstance(b, bool) \
            else False
    if t in ("string", "bool"):
        return type(a) is type(b) and a == b
    kind = t[0]
    if kind == "list":
        return len(a) == len(b) and all(equal(x, y, t[1])
                                        for x, y in zip(a, b))
    if kind == "tuple":
        return len(a) == len(b) and all(equal(x, y, et)
                                        for x, y, et in zip(a, b, t[1]))
    if kind == "set":
        rest = list(b)
        for x in a:
            for i, y in enumerate(rest):
                if equal(x, y, t[1]):
                    del rest[i]
                    break
            else:
                return False
        return not rest
    if kind == "map":
        return set(a) == set(b) and all(equal(a[k], b[k], t[1]) for k in a)
    attrs = t[1]
    return all(equal(a.get(k), b.get(k), attrs[k]) for k in attrs)


def to_json(v):
    """A wholly known value as the JSON Terraform keeps in state files
    (numbers exact; dynamic values are not supported here)."""
    def plain(x):
        if isinstance(x, Unknown):
            raise EncodeError("unknown values have no JSON form")
        if isinstance(x, Typed):
            raise EncodeError("dynamic values are not supported")
        if isinstance(x, decimal.Decimal):
            return int(x) if x == x.to_integral_value() else float(x)
        if isinstance(x, list):
            return [plain(e) for e in x]
        if isinstance(x, dict):
            return {k: plain(e) for k, e in x.items()}
        return x
    return json.dumps(plain(v), separators=(",", ":"), sort_keys=True)

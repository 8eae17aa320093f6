"""Decoding of Kubernetes protobuf request bodies for the built-in kinds the
emulator serves (Secret, ConfigMap, Namespace). kubectl's typed commands
(`kubectl create secret|configmap|namespace`) send
`application/vnd.kubernetes.protobuf`; a real server accepts it. Responses
are always JSON (clients also accept it).

Wire format: the magic "k8s\\0", then a runtime.Unknown message
{1: typeMeta{1: apiVersion, 2: kind}, 2: raw (the object), 3: contentEncoding,
4: contentType}. Field numbers are those of k8s.io/api/core/v1 generated.proto
and apimachinery's ObjectMeta. decode() raises ValueError on malformed input.
"""

import base64

MAGIC = b"k8s\x00"


def _varint(b, i):
    shift = result = 0
    while True:
        if i >= len(b):
            raise ValueError("truncated varint")
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if not c & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(b):
    """Yield (field_number, wire_type, value) of one message; value is an
    int (varint/fixed) or bytes (length-delimited)."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            if i + n > len(b):
                raise ValueError("truncated field %d" % num)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = int.from_bytes(b[i:i + 8], "little"), i + 8
        elif wt == 5:
            v, i = int.from_bytes(b[i:i + 4], "little"), i + 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, v


def _str(v):
    return v.decode("utf-8")


def _map_entry(v, bytes_value=False):
    k, val = "", b""
    for n, _, x in fields(v):
        if n == 1:
            k = _str(x)
        elif n == 2:
            val = x
    return k, (base64.b64encode(val).decode() if bytes_value else _str(val))


def _owner_ref(v):
    r = {}
    names = {1: "kind", 3: "name", 4: "uid", 5: "apiVersion"}
    for n, _, x in fields(v):
        if n in names:
            r[names[n]] = _str(x)
        elif n == 6:
            r["controller"] = bool(x)
        elif n == 7:
            r["blockOwnerDeletion"] = bool(x)
    return r


def _meta(v):
    m = {}
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for n, _, x in fields(v):
        if n in strings:
            s = _str(x)
            if s:
                m[strings[n]] = s
        elif n == 11 or n == 12:
            k, val = _map_entry(x)
            m.setdefault("labels" if n == 11 else "annotations", {})[k] = val
        elif n == 13:
            m.setdefault("ownerReferences", []).append(_owner_ref(x))
        elif n == 14:
            m.setdefault("finalizers", []).append(_str(x))
    return m


def _secret(raw):
    o = {}
    for n, _, x in fields(raw):
        if n == 1:
            o["metadata"] = _meta(x)
        elif n == 2:
            k, val = _map_entry(x, bytes_value=True)
            o.setdefault("data", {})[k] = val
        elif n == 3:
            o["type"] = _str(x)
        elif n == 4:
            k, val = _map_entry(x)
            o.setdefault("stringData", {})[k] = val
        elif n == 5:
            o["immutable"] = bool(x)
    return o


def _configmap(raw):
    o = {}
    for n, _, x in fields(raw):
        if n == 1:
            o["metadata"] = _meta(x)
        elif n == 2:
            k, val = _map_entry(x)
            o.setdefault("data", {})[k] = val
        elif n == 3:
            k, val = _map_entry(x, bytes_value=True)
            o.setdefault("binaryData", {})[k] = val
        elif n == 4:
            o["immutable"] = bool(x)
    return o


def _namespace(raw):
    o = {}
    for n, _, x in fields(raw):
        if n == 1:
            o["metadata"] = _meta(x)
        elif n == 2:
            fins = [_str(f) for fn, _, f in fields(x) if fn == 1]
            if fins:
                o["spec"] = {"finalizers": fins}
    return o


DECODERS = {("v1", "Secret"): _secret, ("v1", "ConfigMap"): _configmap,
            ("v1", "Namespace"): _namespace}


def decode(body):
    """Protobuf request body -> JSON-like dict. ValueError if it cannot."""
    if not body.startswith(MAGIC):
        raise ValueError("missing the k8s protobuf magic prefix")
    av = kind = ""
    raw = b""
    for n, _, x in fields(body[len(MAGIC):]):
        if n == 1:
            for tn, _, tv in fields(x):
                if tn == 1:
                    av = _str(tv)
                elif tn == 2:
                    kind = _str(tv)
        elif n == 2:
            raw = x
    dec = DECODERS.get((av, kind))
    if dec is None:
        raise ValueError("protobuf is not supported for %s %s" % (av, kind))
    o = dec(raw)
    o["apiVersion"] = av
    o["kind"] = kind
    o.setdefault("metadata", {})
    return o

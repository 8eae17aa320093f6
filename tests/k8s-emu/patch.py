"""JSON merge patch (RFC 7386), JSON patch (RFC 6902), the apply merge used
for server-side apply, and Kubernetes label/field selectors.

All functions return new values and never modify their arguments.
PatchError carries a message for a 422 (json patch) or 400 (malformed).
"""

import copy


class PatchError(Exception):
    """A patch that cannot be applied. code: the HTTP status to answer."""

    def __init__(self, message, code=422):
        super().__init__(message)
        self.code = code


def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, null deletes, the rest replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strip_smp_directives(patch):
    """Remove strategic-merge-patch directives ($patch, $retainKeys,
    $setElementOrder/..., $deleteFromPrimitiveList/...) so the rest can be
    applied as a merge patch (our core kinds have no merge-keyed lists)."""
    if isinstance(patch, dict):
        return {k: strip_smp_directives(v) for k, v in patch.items() if not k.startswith("$")}
    if isinstance(patch, list):
        return [strip_smp_directives(v) for v in patch]
    return patch


def apply_merge(live, applied):
    """Server-side apply, simplified: maps merge recursively, everything
    else (lists included) is replaced by the applied value."""
    if not isinstance(applied, dict) or not isinstance(live, dict):
        return copy.deepcopy(applied)
    out = copy.deepcopy(live)
    for k, v in applied.items():
        out[k] = apply_merge(out.get(k), v)
    return out


# ----------------------------------------------------------------- JSON patch

def _unescape(tok):
    return tok.replace("~1", "/").replace("~0", "~")


def _split(pointer):
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % pointer)
    return [_unescape(t) for t in pointer[1:].split("/")]


def _walk(doc, toks, pointer):
    cur = doc
    for t in toks:
        if isinstance(cur, dict):
            if t not in cur:
                raise PatchError("doc is missing path: \"%s\"" % pointer)
            cur = cur[t]
        elif isinstance(cur, list):
            i = _list_index(cur, t, pointer, allow_end=False)
            cur = cur[i]
        else:
            raise PatchError("doc is missing path: \"%s\"" % pointer)
    return cur


def _list_index(lst, t, pointer, allow_end):
    if t == "-" and allow_end:
        return len(lst)
    try:
        i = int(t)
    except ValueError:
        raise PatchError("invalid array index %r in \"%s\"" % (t, pointer)) from None
    if i < 0 or i > len(lst) or (i == len(lst) and not allow_end):
        raise PatchError("index out of range in \"%s\"" % pointer)
    return i


def _get(doc, pointer):
    return _walk(doc, _split(pointer), pointer)


def _remove(doc, pointer):
    toks = _split(pointer)
    if not toks:
        raise PatchError("cannot remove the whole document")
    parent = _walk(doc, toks[:-1], pointer)
    last = toks[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("unable to remove nonexistent key: %s: missing value" % last)
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_list_index(parent, last, pointer, allow_end=False))
    raise PatchError("doc is missing path: \"%s\"" % pointer)


def _add(doc, pointer, value, replace=False):
    toks = _split(pointer)
    if not toks:
        return value
    parent = _walk(doc, toks[:-1], pointer)
    last = toks[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError("replace operation does not apply: doc is missing key: %s" % pointer)
        parent[last] = value
    elif isinstance(parent, list):
        if replace:
            parent[_list_index(parent, last, pointer, allow_end=False)] = value
        else:
            parent.insert(_list_index(parent, last, pointer, allow_end=True), value)
    else:
        raise PatchError("doc is missing path: \"%s\"" % pointer)
    return doc


def json_patch(doc, ops):
    """RFC 6902. Raises PatchError (422, or 400 for a malformed patch)."""
    if not isinstance(ops, list):
        raise PatchError("json patch must be a list of operations", 400)
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError("json patch operation must have \"op\" and \"path\"", 400)
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError("json patch %s operation must have a value" % kind, 400)
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind == "move":
            v = _remove(doc, op.get("from", ""))
            doc = _add(doc, path, v)
        elif kind == "copy":
            v = copy.deepcopy(_get(doc, op.get("from", "")))
            doc = _add(doc, path, v)
        elif kind == "test":
            try:
                cur = _get(doc, path)
            except PatchError:
                cur = None  # a missing path equals only null (as in evanphx/json-patch)
            if cur != op["value"]:
                raise PatchError("testing value %s failed: test failed" % path)
        else:
            raise PatchError("unexpected json patch operation %r" % kind, 400)
    return doc


# ----------------------------------------------------------------- selectors

class SelectorError(Exception):
    pass


def _split_top(s):
    """Split on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for c in s:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(s):
    """Parse a labelSelector string into a list of (key, op, values).

    ops: "=", "!=", "in", "notin", "exists", "!exists".
    """
    reqs = []
    for p in _split_top(s or ""):
        low = p
        if " notin " in low or " notin(" in low:
            k, rest = low.split("notin", 1)
            reqs.append((k.strip(), "notin", _set_values(rest, p)))
        elif " in " in low or " in(" in low:
            k, rest = low.split(" in", 1)
            reqs.append((k.strip(), "in", _set_values(rest, p)))
        elif "!=" in p:
            k, v = p.split("!=", 1)
            reqs.append((k.strip(), "!=", [v.strip()]))
        elif "==" in p:
            k, v = p.split("==", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif "=" in p:
            k, v = p.split("=", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif p.startswith("!"):
            reqs.append((p[1:].strip(), "!exists", []))
        else:
            reqs.append((p.strip(), "exists", []))
    for k, _, _ in reqs:
        if not k or any(c in k for c in " ()!=,"):
            raise SelectorError("unable to parse requirement: invalid label key %r" % k)
    return reqs


def _set_values(rest, whole):
    rest = rest.strip()
    if not (rest.startswith("(") and rest.endswith(")")):
        raise SelectorError("unable to parse requirement: found '%s', expected: '('" % whole)
    return [v.strip() for v in rest[1:-1].split(",") if v.strip()]


def label_match(labels, reqs):
    labels = labels or {}
    for k, op, vals in reqs:
        has = k in labels
        v = labels.get(k)
        if op == "=" and not (has and v == vals[0]):
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "in" and not (has and v in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
        if op == "exists" and not has:
            return False
        if op == "!exists" and has:
            return False
    return True


FIELD_PATHS = {"metadata.name": ("metadata", "name"),
               "metadata.namespace": ("metadata", "namespace")}


def parse_field_selector(s):
    """Parse a fieldSelector; only metadata.name / metadata.namespace (and
    the Secret `type`) are supported, like the apiserver for CRs."""
    reqs = []
    for p in _split_top(s or ""):
        if "!=" in p:
            k, v = p.split("!=", 1)
            op = "!="
        elif "==" in p:
            k, v = p.split("==", 1)
            op = "="
        elif "=" in p:
            k, v = p.split("=", 1)
            op = "="
        else:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (s, p))
        reqs.append((k.strip(), op, v.strip()))
    return reqs


def field_match(obj, reqs, extra_fields=()):
    for k, op, v in reqs:
        if k in FIELD_PATHS:
            a, b = FIELD_PATHS[k]
            got = (obj.get(a) or {}).get(b, "")
        elif k in extra_fields:
            got = obj.get(k, "")
        else:
            raise SelectorError('field label not supported: %s' % k)
        if (op == "=") != (got == v):
            return False
    return True

"""Structural-schema handling of a CRD's openAPIV3Schema, the way the
kube-apiserver does it: prune unknown fields, apply defaults, validate.

Pure functions over JSON-decoded Python values (dict, list, str, int, float,
bool, None). Nothing here raises on bad input: validate() returns a list of
Cause objects (empty = valid); prune() returns the list of paths it removed.
"""

import base64
import copy
import re

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Fields every object keeps at its root (and inside embedded resources).
ROOT_FIELDS = ("apiVersion", "kind", "metadata")


class Cause:
    """One field error, like k8s.io/apimachinery field.Error.

    reason: FieldValueInvalid, FieldValueRequired, ... (metav1.CauseType);
    field: the path, e.g. "spec.replicas" or "spec.items[2].name";
    detail: the text after the "<Type>: " prefix.
    """

    TEXT = {
        "FieldValueInvalid": "Invalid value",
        "FieldValueTypeInvalid": "Invalid value",
        "FieldValueRequired": "Required value",
        "FieldValueNotSupported": "Unsupported value",
        "FieldValueTooLong": "Too long",
        "FieldValueTooMany": "Too many",
        "FieldValueDuplicate": "Duplicate value",
        "FieldValueForbidden": "Forbidden",
    }

    def __init__(self, reason, field, detail, value=None, has_value=False):
        self.reason = reason
        self.field = field
        self.detail = detail
        self.value = value
        self.has_value = has_value

    def message(self):
        """The cause message (field.Error.ErrorBody())."""
        head = self.TEXT.get(self.reason, "Invalid value")
        if self.has_value:
            head += ": " + go_repr(self.value)
        if self.detail:
            head += ": " + self.detail
        return head

    def full(self):
        """"field: message", as in the Status message."""
        return "%s: %s" % (self.field, self.message()) if self.field else self.message()

    def to_json(self):
        return {"reason": self.reason, "message": self.message(), "field": self.field}

    def __repr__(self):
        return "Cause(%s)" % self.full()


def go_repr(v):
    """Value rendering close to the Go %#v the apiserver prints."""
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):
        return "map[string]interface {}{...}"
    if isinstance(v, list):
        return "[]interface {}{...}"
    return repr(v)


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "unknown"


def child(path, key):
    return key if not path else "%s.%s" % (path, key)


def index(path, i):
    return "%s[%d]" % (path, i)


# ----------------------------------------------------------------- pruning

def prune(obj, schema, root=True):
    """Remove fields the schema does not know, in place.

    Returns the list of removed field paths (for fieldValidation Warn/Strict).
    At the root (and in x-kubernetes-embedded-resource objects) apiVersion,
    kind and metadata are kept.
    """
    removed = []
    _prune(obj, schema, "", removed, root)
    return removed


def _prune(v, s, path, removed, root=False):
    if s is None:
        return
    if isinstance(v, dict):
        if s.get("x-kubernetes-preserve-unknown-fields") and not s.get("properties"):
            return
        props = s.get("properties")
        addl = s.get("additionalProperties")
        embedded = root or s.get("x-kubernetes-embedded-resource")
        if props is not None or addl is None:
            props = props or {}
            for k in list(v.keys()):
                if embedded and k in ROOT_FIELDS:
                    if k == "metadata" and not root and isinstance(v[k], dict):
                        _prune_embedded_meta(v[k], child(path, k), removed)
                    continue
                if k in props:
                    _prune(v[k], props[k], child(path, k), removed)
                elif isinstance(addl, dict):
                    _prune(v[k], addl, child(path, k), removed)
                elif addl is True or s.get("x-kubernetes-preserve-unknown-fields"):
                    continue
                else:
                    removed.append(child(path, k))
                    del v[k]
        elif isinstance(addl, dict):
            for k in v:
                _prune(v[k], addl, child(path, k), removed)
    elif isinstance(v, list):
        items = s.get("items")
        if isinstance(items, dict):
            for i, e in enumerate(v):
                _prune(e, items, index(path, i), removed)


META_KEEP = ("name", "namespace", "labels", "annotations", "generateName",
             "finalizers", "ownerReferences", "uid", "resourceVersion",
             "generation", "creationTimestamp", "deletionTimestamp",
             "deletionGracePeriodSeconds", "managedFields")


def _prune_embedded_meta(m, path, removed):
    for k in list(m.keys()):
        if k not in ("name", "namespace", "labels", "annotations", "generateName",
                     "finalizers"):
            removed.append(child(path, k))
            del m[k]


# --------------------------------------------------------------- defaulting

def apply_defaults(obj, schema):
    """Fill absent fields that have a schema `default`, in place.

    Like the apiserver: defaults apply inside objects that exist, to
    absent keys (or null ones when the field is not nullable); items of
    arrays and values of maps are defaulted too.
    """
    _default(obj, schema)


def _default(v, s):
    if s is None:
        return
    if isinstance(v, dict):
        for k, ps in (s.get("properties") or {}).items():
            if "default" in ps and (k not in v or (v[k] is None and not ps.get("nullable"))):
                v[k] = copy.deepcopy(ps["default"])
            if k in v:
                _default(v[k], ps)
        addl = s.get("additionalProperties")
        if isinstance(addl, dict):
            for k in v:
                _default(v[k], addl)
    elif isinstance(v, list):
        items = s.get("items")
        if isinstance(items, dict):
            for e in v:
                _default(e, items)


# --------------------------------------------------------------- validation

def validate(obj, schema, path="", root=True):
    """Validate obj against schema. Returns a list of Cause (empty = valid).

    At the root, apiVersion/kind/metadata are skipped (metadata is validated
    separately by validate_metadata).
    """
    causes = []
    _validate(obj, schema, path, causes, root)
    return causes


def _type_ok(v, t, s):
    jt = json_type(v)
    if t == "integer":
        return jt == "integer"
    if t == "number":
        return jt in ("integer", "number")
    return jt == t


def _validate(v, s, path, causes, root=False):
    if s is None:
        return
    if v is None:
        if s.get("nullable") or (not s.get("type") and not s.get("x-kubernetes-int-or-string")):
            return
        if s.get("x-kubernetes-preserve-unknown-fields") and not s.get("type"):
            return
        causes.append(Cause("FieldValueTypeInvalid", path,
                            "%s in body must be of type %s: \"null\"" % (path or "body", s.get("type") or "object"),
                            v, True))
        return
    if s.get("x-kubernetes-int-or-string"):
        if json_type(v) not in ("integer", "string"):
            causes.append(Cause("FieldValueTypeInvalid", path,
                                "%s in body must be of type int-or-string: \"%s\"" % (path, json_type(v)), v, True))
            return
    t = s.get("type")
    if t and not _type_ok(v, t, s):
        causes.append(Cause("FieldValueTypeInvalid", path,
                            "%s in body must be of type %s: \"%s\"" % (path or "body", t, json_type(v)), v, True))
        return
    n_before = len(causes)
    for rule in s.get("x-kubernetes-validations") or []:
        _check_cel(v, rule, path, causes)
    _check_scalar(v, s, path, causes)
    if isinstance(v, dict):
        _check_object(v, s, path, causes, root)
    elif isinstance(v, list):
        _check_array(v, s, path, causes)
    for key in ("allOf",):
        for sub in s.get(key) or []:
            _validate_constraints_only(v, sub, path, causes)
    if s.get("anyOf") and len(causes) == n_before:
        ok = False
        for sub in s["anyOf"]:
            sc = []
            _validate_constraints_only(v, sub, path, sc)
            if not sc:
                ok = True
                break
        if not ok:
            causes.append(Cause("FieldValueInvalid", path,
                                "%s in body must be of the types in anyOf" % path, v, True))
    if s.get("oneOf") and len(causes) == n_before:
        hits = 0
        for sub in s["oneOf"]:
            sc = []
            _validate_constraints_only(v, sub, path, sc)
            hits += not sc
        if hits != 1:
            causes.append(Cause("FieldValueInvalid", path,
                                "%s in body must validate one and only one schema (oneOf)" % path, v, True))
    if isinstance(s.get("not"), dict):
        sc = []
        _validate_constraints_only(v, s["not"], path, sc)
        if not sc:
            causes.append(Cause("FieldValueInvalid", path,
                                "%s in body should not be valid against the 'not' schema" % path, v, True))


# The CEL rules of the CAPI CRDs that the emulator understands, by shape.
# Any other rule is not evaluated (documented gap).
CEL_UNIQUE = re.compile(r"^self\.all\((\w+), self\.exists_one\((\w+), \1\.(\w+) == \2\.\3\)\)$")
CEL_NOT_IN = re.compile(r"^!\(self in \[(.*)\]\)$")
CEL_MATCHES = re.compile(r"^self\.matches\('(.*)'\)$")
CEL_ONE_OF = re.compile(r"^\[((?:has\(self\.\w+\),?)+)\]\.filter\(x, ?x ?== ?true\)\.size\(\) == 1$")


def cel_supported(rule):
    r = (rule or {}).get("rule", "").strip()
    return any(p.match(r) for p in (CEL_UNIQUE, CEL_NOT_IN, CEL_MATCHES, CEL_ONE_OF))


def _check_cel(v, rule, path, causes):
    r = (rule.get("rule") or "").strip()
    ok = True
    m = CEL_UNIQUE.match(r)
    if m and isinstance(v, list):
        keys = [e.get(m.group(3)) for e in v if isinstance(e, dict)]
        ok = len(keys) == len(set(map(str, keys)))
    elif CEL_NOT_IN.match(r) and isinstance(v, str):
        banned = re.findall(r"'([^']*)'", CEL_NOT_IN.match(r).group(1))
        ok = v not in banned
    elif CEL_MATCHES.match(r) and isinstance(v, str):
        try:
            ok = re.search(CEL_MATCHES.match(r).group(1), v) is not None
        except re.error:
            ok = True
    elif CEL_ONE_OF.match(r) and isinstance(v, dict):
        fields_ = re.findall(r"has\(self\.(\w+)\)", CEL_ONE_OF.match(r).group(1))
        ok = sum(1 for f in fields_ if f in v) == 1
    if not ok:
        msg = rule.get("message") or "failed rule: %s" % r
        causes.append(Cause("FieldValueInvalid", path, msg, json_type(v), True))


def _validate_constraints_only(v, sub, path, causes):
    """anyOf/allOf branches in structural schemas carry constraints only
    (their types are checked against the value too, as in kube-openapi)."""
    _validate(v, sub, path, causes)


def _check_scalar(v, s, path, causes):
    if "enum" in s and v not in s["enum"]:
        causes.append(Cause("FieldValueNotSupported", path,
                            "supported values: " + ", ".join(go_repr(e) for e in s["enum"]),
                            v, True))
    if isinstance(v, str):
        if "maxLength" in s and len(v) > s["maxLength"]:
            causes.append(Cause("FieldValueTooLong", path,
                                "may not be more than %d bytes" % s["maxLength"]))
        if "minLength" in s and len(v) < s["minLength"]:
            causes.append(Cause("FieldValueInvalid", path,
                                "%s in body should be at least %d chars long" % (path, s["minLength"]), v, True))
        if "pattern" in s:
            try:
                ok = re.search(s["pattern"], v) is not None
            except re.error:
                ok = True  # a Go RE2 pattern Python cannot compile: not checked
            if not ok:
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body should match '%s'" % (path, s["pattern"]), v, True))
        fmt = s.get("format")
        if fmt == "date-time" and not DATE_TIME.match(v):
            causes.append(Cause("FieldValueInvalid", path,
                                "%s in body must be of type date-time: %s" % (path, go_repr(v)), v, True))
        elif fmt == "byte":
            try:
                base64.b64decode(v, validate=True)
            except Exception:  # noqa: BLE001 - any decoding failure is invalid
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body must be of type byte: %s" % (path, go_repr(v)), v, True))
    if json_type(v) in ("integer", "number"):
        fmt = s.get("format")
        if isinstance(v, int) and fmt in ("int32", "int64"):
            lo, hi = INT32 if fmt == "int32" else INT64
            if not lo <= v <= hi:
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body should be a valid %s" % (path, fmt), v, True))
        if "minimum" in s:
            if s.get("exclusiveMinimum") and v <= s["minimum"]:
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body should be greater than %s" % (path, s["minimum"]), v, True))
            elif v < s["minimum"]:
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body should be greater than or equal to %s" % (path, s["minimum"]), v, True))
        if "maximum" in s:
            if s.get("exclusiveMaximum") and v >= s["maximum"]:
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body should be less than %s" % (path, s["maximum"]), v, True))
            elif v > s["maximum"]:
                causes.append(Cause("FieldValueInvalid", path,
                                    "%s in body should be less than or equal to %s" % (path, s["maximum"]), v, True))
        if "multipleOf" in s and s["multipleOf"] and (v / s["multipleOf"]) != int(v / s["multipleOf"]):
            causes.append(Cause("FieldValueInvalid", path,
                                "%s in body should be a multiple of %s" % (path, s["multipleOf"]), v, True))


def _check_object(v, s, path, causes, root):
    for r in s.get("required") or []:
        if r not in v:
            causes.append(Cause("FieldValueRequired", child(path, r), ""))
    if "maxProperties" in s and len(v) > s["maxProperties"]:
        causes.append(Cause("FieldValueTooMany", path,
                            "must have at most %d items" % s["maxProperties"], len(v), True))
    if "minProperties" in s and len(v) < s["minProperties"]:
        causes.append(Cause("FieldValueInvalid", path,
                            "%s in body should have at least %d properties" % (path, s["minProperties"]),
                            len(v), True))
    props = s.get("properties") or {}
    addl = s.get("additionalProperties")
    embedded = root or s.get("x-kubernetes-embedded-resource")
    for k, e in v.items():
        if embedded and k in ROOT_FIELDS:
            continue
        if k in props:
            _validate(e, props[k], child(path, k), causes)
        elif isinstance(addl, dict):
            _validate(e, addl, child(path, k), causes)


def _check_array(v, s, path, causes):
    if "maxItems" in s and len(v) > s["maxItems"]:
        causes.append(Cause("FieldValueTooMany", path,
                            "must have at most %d items" % s["maxItems"], len(v), True))
    if "minItems" in s and len(v) < s["minItems"]:
        causes.append(Cause("FieldValueInvalid", path,
                            "%s in body should have at least %d items" % (path, s["minItems"]), len(v), True))
    items = s.get("items")
    if isinstance(items, dict):
        for i, e in enumerate(v):
            _validate(e, items, index(path, i), causes)
    lt = s.get("x-kubernetes-list-type")
    if lt == "set" or s.get("uniqueItems"):
        seen = []
        for i, e in enumerate(v):
            if e in seen:
                causes.append(Cause("FieldValueDuplicate", index(path, i), "", e, True))
            else:
                seen.append(e)
    elif lt == "map":
        keys = s.get("x-kubernetes-list-map-keys") or []
        seen = []
        for i, e in enumerate(v):
            if not isinstance(e, dict):
                continue
            kv = {k: e.get(k) for k in keys}
            if kv in seen:
                causes.append(Cause("FieldValueDuplicate", index(path, i), "",
                                    ",".join("%s=%s" % (k, go_repr(kv[k])) for k in keys), False))
            else:
                seen.append(kv)


# ----------------------------------------------------------------- metadata

def validate_metadata(meta, namespaced, path="metadata"):
    """ObjectMeta checks the apiserver does for every kind (a subset)."""
    causes = []
    if not isinstance(meta, dict):
        return [Cause("FieldValueTypeInvalid", path, "must be an object", meta, True)]
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        causes.append(Cause("FieldValueRequired", child(path, "name"),
                            "name or generateName is required"))
    elif name is not None:
        if not isinstance(name, str) or len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
            causes.append(Cause(
                "FieldValueInvalid", child(path, "name"),
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character "
                "(e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                name, True))
    for key in ("labels", "annotations"):
        m = meta.get(key)
        if m is None:
            continue
        if not isinstance(m, dict):
            causes.append(Cause("FieldValueTypeInvalid", child(path, key),
                                "must be a map of strings", m, True))
            continue
        for k, val in m.items():
            if not isinstance(val, str):
                causes.append(Cause("FieldValueTypeInvalid", "%s.%s[%s]" % (path, key, k),
                                    "must be a string", val, True))
            elif key == "labels" and (len(val) > 63 or not re.match(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", val)):
                causes.append(Cause("FieldValueInvalid", "%s.labels" % path,
                                    "a valid label must be an empty string or consist of alphanumeric "
                                    "characters, '-', '_' or '.', and must start and end with an "
                                    "alphanumeric character", val, True))
    fins = meta.get("finalizers")
    if fins is not None and (not isinstance(fins, list) or not all(isinstance(f, str) for f in fins)):
        causes.append(Cause("FieldValueTypeInvalid", child(path, "finalizers"),
                            "must be a list of strings", fins, True))
    refs = meta.get("ownerReferences")
    if refs is not None:
        if not isinstance(refs, list):
            causes.append(Cause("FieldValueTypeInvalid", child(path, "ownerReferences"),
                                "must be a list", refs, True))
        else:
            for i, r in enumerate(refs):
                p = index(child(path, "ownerReferences"), i)
                if not isinstance(r, dict):
                    causes.append(Cause("FieldValueTypeInvalid", p, "must be an object", r, True))
                    continue
                for f in ("apiVersion", "kind", "name", "uid"):
                    if not r.get(f):
                        causes.append(Cause("FieldValueRequired", child(p, f), ""))
    return causes

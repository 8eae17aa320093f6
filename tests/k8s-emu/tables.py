"""Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: Name,
the CRD's additionalPrinterColumns (simple JSONPath), Age."""

import datetime
import re

FILTER = re.compile(r'^\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*["\']([^"\']*)["\']\)\]')


def jsonpath(obj, expr):
    """Evaluate the JSONPath subset CRD printer columns use:
    .a.b, .a[0], .a[?(@.k=="v")].b. Returns None when absent."""
    cur = [obj]
    s = expr.strip()
    if s.startswith("{") and s.endswith("}"):
        s = s[1:-1]
    while s and cur:
        if s.startswith("."):
            m = re.match(r"^\.([A-Za-z0-9_\-]+)", s)
            if not m:
                return None
            key = m.group(1)
            cur = [c[key] for c in cur if isinstance(c, dict) and key in c]
            s = s[m.end():]
        elif s.startswith("['") or s.startswith('["'):
            m = re.match(r"""^\[(['"])((?:\\.|[^'"\\])*)\1\]""", s)
            if not m:
                return None
            key = re.sub(r"\\(.)", r"\1", m.group(2))
            cur = [c[key] for c in cur if isinstance(c, dict) and key in c]
            s = s[m.end():]
        elif s.startswith("[?"):
            m = FILTER.match(s)
            if not m:
                return None
            k, v = m.group(1), m.group(2)
            nxt = []
            for c in cur:
                if isinstance(c, list):
                    nxt += [e for e in c if isinstance(e, dict) and str(e.get(k)) == v]
            cur = nxt
            s = s[m.end():]
        elif s.startswith("["):
            m = re.match(r"^\[(\d+|\*)\]", s)
            if not m:
                return None
            nxt = []
            for c in cur:
                if isinstance(c, list):
                    if m.group(1) == "*":
                        nxt += c
                    elif int(m.group(1)) < len(c):
                        nxt.append(c[int(m.group(1))])
            cur = nxt
            s = s[m.end():]
        else:
            return None
    if not cur:
        return None
    return cur[0]


def age(ts):
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    d = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if d < 0:
        d = 0
    if d < 120:
        return "%ds" % d
    if d < 3600:
        return "%dm" % (d // 60)
    if d < 48 * 3600:
        return "%dh" % (d // 3600)
    return "%dd" % (d // 86400)


def table(kind, items, include_object, rv):
    cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}]
    extra = []
    for c in kind.columns or []:
        if c.get("jsonPath") == ".metadata.creationTimestamp":
            continue
        extra.append(c)
        cols.append({"name": c["name"], "type": c.get("type", "string"),
                     "format": c.get("format", ""), "priority": c.get("priority", 0),
                     "description": c.get("description", "")})
    if kind.kind == "Secret":
        extra = [{"jsonPath": ".type", "type": "string"}, {"jsonPath": ".data", "type": "count"}]
        cols += [{"name": "Type", "type": "string", "format": "", "priority": 0, "description": ""},
                 {"name": "Data", "type": "string", "format": "", "priority": 0, "description": ""}]
    elif kind.kind == "Namespace":
        extra = [{"jsonPath": ".status.phase", "type": "string"}]
        cols.append({"name": "Status", "type": "string", "format": "", "priority": 0, "description": ""})
    cols.append({"name": "Age", "type": "string", "format": "", "priority": 0,
                 "description": "CreationTimestamp"})
    rows = []
    for o in items:
        cells = [o["metadata"]["name"]]
        for c in extra:
            v = jsonpath(o, c["jsonPath"])
            if c.get("type") == "count":
                v = len(v or {})
            elif c.get("type") == "date" and v is not None:
                v = age(v)
            cells.append(v)
        cells.append(age(o["metadata"].get("creationTimestamp")))
        if include_object == "Object":
            ro = o
        elif include_object == "None":
            ro = None
        else:
            ro = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                  "metadata": o["metadata"]}
        row = {"cells": cells}
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": rv}, "columnDefinitions": cols, "rows": rows}

"""LIST pagination (`limit` and `continue`) as the apiserver does it.

Facts followed (k8s.io/apiserver storage/etcd3 and the API conventions
for chunked lists):
  - objects come in key order ("<namespace>/<name>" bytes); `limit` > 0 caps a
    page, 0 or absent means everything; with selectors, a page still holds
    up to `limit` *matching* objects (the server reads on until it has
    them or the collection ends);
  - when more remain, metadata.continue is an opaque token: base64url
    (no padding) of {"v": "meta.k8s.io/v1", "rv": <list RV>, "start":
    "<last key>\\x00"}; the next page starts after that key, and answers
    with the token's resourceVersion;
  - metadata.remainingItemCount is set only when the list has no label or
    field selector (the server cannot count matches it has not read);
  - a token that does not decode: 400 BadRequest "continue key is not
    valid: ..."; `resourceVersion` together with `continue`: 400; a token
    whose RV is older than the retained history: 410 Expired.
One difference, stated: the apiserver serves every page from the
snapshot at the first page's RV; here later pages read the current
objects after the start key (what a client sees when objects change
between pages is therefore newer, never duplicated or out of order).
"""
import base64
import json

import errors


def _key(o):
    m = o["metadata"]
    return "%s/%s" % (m.get("namespace", ""), m["name"])


def encode_continue(rv, last_key):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(rv),
                      "start": last_key + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token):
    """(rv, start key) of a token, or raise ApiError 400."""
    try:
        pad = "=" * (-len(token) % 4)
        d = json.loads(base64.urlsafe_b64decode(token + pad).decode())
        if d.get("v") != "meta.k8s.io/v1":
            raise ValueError("incorrect encoded start resourceVersion "
                             "(version meta.k8s.io/v1)")
        rv, start = int(d["rv"]), d["start"]
        if not isinstance(start, str) or rv <= 0:
            raise ValueError("invalid start")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise errors.ApiError(400, "continue key is not valid: %s" % e) \
            from None
    return rv, start


def page(items, q, rv, events_since):
    """items: every matching object in key order (deep copies); q: the
    query; rv: the store's current RV (string); events_since: the store's
    method, to tell an expired token. Returns (items, list metadata)."""
    token = q.get("continue") or ""
    try:
        limit = int(q.get("limit") or 0)
    except ValueError:
        raise errors.ApiError(400, "invalid limit %r" % q.get("limit")) \
            from None
    meta = {"resourceVersion": rv}
    items = sorted(items, key=_key)  # etcd's order: the key's bytes
    if token:
        if q.get("resourceVersion"):
            raise errors.ApiError(400, "specifying resource version is not "
                                  "allowed when using continue")
        trv, start = decode_continue(token)
        if events_since(trv) is None:
            raise errors.ApiError(
                410, "The provided continue parameter is too old to display "
                "a consistent list result. Start a new list without the "
                "continue parameter.", reason="Expired")
        items = [o for o in items if _key(o) >= start]
        meta["resourceVersion"] = str(trv)
    if limit <= 0 or len(items) <= limit:
        return items, meta
    out = items[:limit]
    meta["continue"] = encode_continue(meta["resourceVersion"],
                                       _key(out[-1]))
    if not q.get("labelSelector") and not q.get("fieldSelector"):
        meta["remainingItemCount"] = len(items) - limit
    return out, meta

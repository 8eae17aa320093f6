"""A minimal OpenAPI v3 for kubectl (>= 1.27): the discovery document and,
per group/version, the PATCH operations with their GVK and the
`fieldValidation` query parameter. That tells kubectl to validate on the
server (fieldValidation=Strict) instead of downloading schemas, and, since
the operations declare no strategic-merge-patch body, to send JSON merge
patches for custom resources. Schemas (components) are not served, so
`kubectl explain` does not work. /openapi/v2 is not served (404).
"""

import hashlib
import json

import errors


def _gv_path(group, version):
    return "api/%s" % version if not group else "apis/%s/%s" % (group, version)


def _gv_doc(reg, group, version):
    paths = {}
    base = "/" + _gv_path(group, version)
    for k in reg.in_version(group, version):
        gvk = {"group": k.group, "version": k.version, "kind": k.kind}
        params = [{"name": n, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
                  for n in ("dryRun", "fieldManager", "fieldValidation", "force")]
        op = {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
              "operationId": "patch" + k.kind, "parameters": params,
              "responses": {"200": {"description": "OK"}}}
        if k.namespaced:
            p = "%s/namespaces/{namespace}/%s/{name}" % (base, k.plural)
        else:
            p = "%s/%s/{name}" % (base, k.plural)
        paths[p] = {"patch": op}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (k8s-emu)", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": {}}}


def document(reg, path):
    gvs = [("", "v1")] + [(g, v) for g, vs in reg.groups() for v in vs]
    if path == "/openapi/v3":
        out = {}
        for g, v in gvs:
            h = hashlib.sha256(json.dumps(_gv_doc(reg, g, v), sort_keys=True).encode()).hexdigest()
            out[_gv_path(g, v)] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (_gv_path(g, v), h[:32].upper())}
        return {"paths": out}
    rel = path[len("/openapi/v3/"):]
    for g, v in gvs:
        if rel == _gv_path(g, v):
            return _gv_doc(reg, g, v)
    raise errors.ApiError(404, "the server could not find the requested resource")

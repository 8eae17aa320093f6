"""The object store and the apiserver's write semantics: admission
(pruning, defaults, webhooks, validation), resourceVersion, generation,
the /status subresource, finalizers, deletion propagation and garbage
collection.

Thread safety: every public method takes self.lock (an RLock), so the HTTP
threads and the controller can call them freely; the controller holds the
lock for a whole pass. Public methods return deep copies; internal ones
(_find, _all) return the stored dicts, to be used under the lock only.

Errors are raised as errors.ApiError.

Persistence (like the etcd behind a real API server): with a state_path,
the store is loaded from that file at start, and flush() writes it after
every acknowledged change (the HTTP layer flushes before it answers a
write; the controller after each pass). Objects keep their uid,
resourceVersion and everything else; the resourceVersion counter goes on
from the saved one. The file is written whole to a temporary file and
renamed over the old one, so a SIGKILL at any moment leaves either the
previous or the new state, never a torn one (no fsync: survives a killed
process, not a power cut). CustomResourceDefinitions are not saved (they
are loaded from the CRD files at every start) except their uids. The watch
event log is not saved: after a restart, watches start from the current
state.
"""

import collections
import copy
import datetime
import json
import os
import random
import threading
import uuid

import errors
import patch as patchlib
import schema as sch
import webhooks

CORE_FIELDS = {
    "Secret": ("data", "stringData", "type", "immutable"),
    "ConfigMap": ("data", "binaryData", "immutable"),
    "Namespace": ("spec", "status"),
}
META_FIELDS = set(sch.META_KEEP) | {"selfLink"}
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rand_suffix(n=5):
    # The apiserver's generateName alphabet (no vowels, no confusables).
    return "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))


def meta(obj):
    return obj.setdefault("metadata", {})


def body_without(obj, *keys):
    return {k: v for k, v in obj.items() if k not in keys}


STATE_FORMAT = 1
NOT_SAVED_GROUPS = ("apiextensions.k8s.io",)


class StateError(Exception):
    """The state file exists but cannot be loaded."""


class Store:
    def __init__(self, registry, log=print, state_path=None):
        self.reg = registry
        self.log = log
        self.lock = threading.RLock()
        self.objs = {}   # (group, plural, namespace, name) -> object
        self.rv = 1000
        # Watch event log: (rv:int, type, (group, plural), namespace, object copy).
        self.events = collections.deque(maxlen=5000)
        # Small state of the simulated controllers, saved with the objects
        # (set_extra marks it changed).
        self.extra = {}
        self.state_path = state_path
        self.save_lock = threading.Lock()
        self.saved = None         # (rv, extra text) last written
        self.uid_hints = {}       # (group, plural, name) -> uid for unsaved kinds
        if state_path and os.path.exists(state_path):
            self._load(state_path)
            return
        ns_kind = registry.by_kind("v1", "Namespace")
        for ns in ("default", "kube-system", "kube-public"):
            self.create(ns_kind, None, {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": ns}})

    # ------------------------------------------------------------- persistence

    def _load(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            raise StateError("cannot load %s: %s" % (path, e)) from None
        if not isinstance(d, dict) or d.get("format") != STATE_FORMAT:
            raise StateError("%s is not a k8s-emu state file (format %d)" % (path, STATE_FORMAT))
        for o in d.get("objects") or []:
            kind = self._kind_of(o)
            if kind is None:
                raise StateError("%s: object of unknown kind %s %s" % (
                    path, o.get("apiVersion"), o.get("kind")))
            m = o["metadata"]
            self.objs[self._key(kind, m.get("namespace"), m["name"])] = o
        self.rv = int(d["rv"])
        self.extra = d.get("extra") or {}
        for k, uid in (d.get("uid_hints") or {}).items():
            g, p, n = k.split("|", 2)
            self.uid_hints[(g, p, n)] = uid
        self.saved = (self.rv, json.dumps(self.extra, sort_keys=True))
        self.log("store: loaded %d objects from %s (resourceVersion %d)"
                 % (len(self.objs), path, self.rv))

    def set_extra(self, key, value):
        with self.lock:
            self.extra[key] = value

    def flush(self):
        """Write the state file if anything changed since the last write.
        Callers flush before acknowledging a change."""
        if not self.state_path:
            return
        with self.save_lock:
            with self.lock:
                extra = json.dumps(self.extra, sort_keys=True)
                if self.saved == (self.rv, extra):
                    return
                objs, hints = [], {}
                for (g, p, _, n), o in self.objs.items():
                    if g in NOT_SAVED_GROUPS:
                        hints["%s|%s|%s" % (g, p, n)] = o["metadata"]["uid"]
                    else:
                        objs.append(o)
                text = json.dumps({"format": STATE_FORMAT, "rv": self.rv, "objects": objs,
                                   "extra": self.extra, "uid_hints": hints},
                                  separators=(",", ":"))
                key = (self.rv, extra)
            tmp = self.state_path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.state_path)
            self.saved = key

    # ------------------------------------------------------------- helpers

    @staticmethod
    def _key(kind, ns, name):
        return (kind.group, kind.plural, ns if kind.namespaced else "", name)

    def _find(self, kind, ns, name):
        return self.objs.get(self._key(kind, ns, name))

    def _all(self, kind, ns=None):
        out = []
        for (g, p, n, _), o in self.objs.items():
            if g == kind.group and p == kind.plural and (ns is None or n == ns):
                out.append(o)
        return sorted(out, key=lambda o: (o["metadata"].get("namespace", ""),
                                          o["metadata"]["name"]))

    def _next_rv(self):
        self.rv += 1
        return str(self.rv)

    def _kind_of(self, obj):
        return self.reg.by_kind(obj.get("apiVersion"), obj.get("kind"))

    def _uids(self):
        return {o["metadata"].get("uid") for o in self.objs.values()}

    def _event(self, etype, obj):
        """Record a watch event for obj (whose resourceVersion is current)."""
        kind = self._kind_of(obj)
        if kind is None:
            return
        self.events.append((int(obj["metadata"].get("resourceVersion") or self.rv), etype,
                            (kind.group, kind.plural), obj["metadata"].get("namespace", ""),
                            copy.deepcopy(obj)))

    def events_since(self, rv):
        """Events after rv: a list, or None if rv is older than the log."""
        with self.lock:
            if self.events and rv < self.events[0][0] - 1 and rv < self.rv:
                return None
            return [e for e in self.events if e[0] > rv]

    def current_rv(self):
        with self.lock:
            return str(self.rv)

    # ------------------------------------------------------------- reads

    def get(self, kind, ns, name):
        with self.lock:
            o = self._find(kind, ns, name)
            if o is None:
                raise errors.not_found(kind, name)
            return copy.deepcopy(o)

    def list(self, kind, ns=None, label_selector=None, field_selector=None):
        try:
            lreqs = patchlib.parse_label_selector(label_selector) if label_selector else []
            freqs = patchlib.parse_field_selector(field_selector) if field_selector else []
        except patchlib.SelectorError as e:
            raise errors.bad_request(str(e)) from None
        extra = ("type",) if kind.kind == "Secret" else ()
        with self.lock:
            out = []
            for o in self._all(kind, ns):
                if not patchlib.label_match(o["metadata"].get("labels"), lreqs):
                    continue
                try:
                    if not patchlib.field_match(o, freqs, extra):
                        continue
                except patchlib.SelectorError as e:
                    raise errors.bad_request(str(e)) from None
                out.append(copy.deepcopy(o))
            return out, str(self.rv)

    # ------------------------------------------------------------- admission

    def _admit(self, kind, obj, old, op, field_validation, subresource=None):
        """Prune, default, mutate, validate obj in place. Returns warnings.
        op: "create" or "update"."""
        removed = []
        m = obj.get("metadata")
        if isinstance(m, dict):
            for k in list(m):
                if k not in META_FIELDS:
                    removed.append("metadata." + k)
                    del m[k]
        if kind.is_custom:
            removed += sch.prune(obj, kind.schema)
        else:
            allowed = CORE_FIELDS.get(kind.kind, ())
            for k in list(obj):
                if k not in allowed and k not in sch.ROOT_FIELDS:
                    removed.append(k)
                    del obj[k]
        warnings = []
        if removed:
            if field_validation == "Strict":
                raise errors.bad_request(
                    '%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                    % (kind.kind, kind.version, kind.kind,
                       ", ".join('unknown field "%s"' % r for r in removed)))
            if field_validation != "Ignore":
                warnings = ['unknown field "%s"' % r for r in removed]
        causes = sch.validate_metadata(obj.get("metadata"), kind.namespaced)
        if kind.is_custom:
            sch.apply_defaults(obj, kind.schema)
            if subresource != "status":
                causes += webhooks.default_and_validate(kind, obj, old, op)
            causes += sch.validate(obj, kind.schema)
        else:
            causes += self._core_validate(kind, obj, old)
        if causes:
            raise errors.invalid(kind, obj["metadata"].get("name") or obj["metadata"].get("generateName", ""),
                                 causes)
        return warnings

    @staticmethod
    def _core_validate(kind, obj, old):
        causes = []
        if kind.kind == "Secret":
            import base64
            data = obj.get("data") or {}
            if not isinstance(data, dict):
                return [sch.Cause("FieldValueTypeInvalid", "data", "must be a map", data, True)]
            for k, v in list(data.items()):
                try:
                    base64.b64decode(v, validate=True)
                except Exception:  # noqa: BLE001
                    causes.append(sch.Cause("FieldValueInvalid", "data[%s]" % k,
                                            "illegal base64 data", v, True))
            sd = obj.pop("stringData", None)
            if isinstance(sd, dict):
                for k, v in sd.items():
                    data[k] = base64.b64encode(str(v).encode()).decode()
            if data:
                obj["data"] = data
            obj.setdefault("type", "Opaque")
            if old is not None and old.get("type") != obj.get("type"):
                causes.append(sch.Cause("FieldValueInvalid", "type", "field is immutable",
                                        obj.get("type"), True))
        elif kind.kind == "ConfigMap":
            for k, v in (obj.get("data") or {}).items():
                if not isinstance(v, str):
                    causes.append(sch.Cause("FieldValueTypeInvalid", "data[%s]" % k,
                                            "must be a string", v, True))
        elif kind.kind == "Namespace":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            if old is None:
                obj["status"] = {"phase": "Active"}
            else:
                obj["status"] = copy.deepcopy(old.get("status") or {"phase": "Active"})
        if old is not None and old.get("immutable") and kind.kind in ("Secret", "ConfigMap"):
            for f in ("data", "binaryData"):
                if obj.get(f) != old.get(f):
                    causes.append(sch.Cause("FieldValueForbidden", f,
                                            "field is immutable when `immutable` is set"))
        return causes

    # ------------------------------------------------------------- create

    def create(self, kind, ns, body, field_validation="Warn", dry_run=False):
        """POST. Returns (object, warnings)."""
        if kind.read_only:
            raise errors.ApiError(405, 'the server does not allow this method on the requested resource')
        obj = copy.deepcopy(body)
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        self._check_type(kind, obj)
        m = obj.get("metadata")
        if not isinstance(m, dict):
            m = obj["metadata"] = {}
        if kind.namespaced:
            if m.get("namespace") and m["namespace"] != ns:
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            m["namespace"] = ns
        else:
            m.pop("namespace", None)
        with self.lock:
            if kind.namespaced:
                ns_kind = self.reg.by_kind("v1", "Namespace")
                nso = self._find(ns_kind, None, ns)
                if nso is None:
                    raise errors.not_found(ns_kind, ns)
                if nso["metadata"].get("deletionTimestamp"):
                    raise errors.ApiError(
                        403, '%s "%s" is forbidden: unable to create new content in namespace %s '
                        'because it is being terminated' % (kind.group_resource, m.get("name") or m.get("generateName", ""), ns),
                        kind=kind, name=m.get("name"))
            if not m.get("name") and m.get("generateName"):
                for _ in range(20):
                    cand = m["generateName"] + rand_suffix()
                    if self._find(kind, ns, cand) is None:
                        m["name"] = cand
                        break
            warnings = self._admit(kind, obj, None, "create", field_validation)
            m = obj["metadata"]
            name = m["name"]
            if self._find(kind, ns, name) is not None:
                raise errors.already_exists(kind, name)
            if kind.status:
                obj.pop("status", None)
            for f in ("deletionTimestamp", "deletionGracePeriodSeconds", "managedFields",
                      "selfLink"):
                m.pop(f, None)
            m["uid"] = self.uid_hints.pop((kind.group, kind.plural, name), None) \
                or str(uuid.uuid4())
            m["creationTimestamp"] = now()
            if kind.is_custom:
                m["generation"] = 1
            if dry_run:
                m["resourceVersion"] = ""
                return copy.deepcopy(obj), warnings
            m["resourceVersion"] = self._next_rv()
            self.objs[self._key(kind, ns, name)] = obj
            self._event("ADDED", obj)
            return copy.deepcopy(obj), warnings

    @staticmethod
    def _check_type(kind, obj):
        if not obj.get("kind"):
            raise errors.bad_request("Object 'Kind' is missing in '%s'" % _short(obj))
        if obj.get("apiVersion") != kind.api_version or obj.get("kind") != kind.kind:
            raise errors.bad_request(
                "the API version in the data (%s) does not match the expected API version (%s)"
                % (obj.get("apiVersion"), kind.api_version) if obj.get("apiVersion") != kind.api_version
                else "the kind in the data (%s) does not match the expected kind (%s)"
                % (obj.get("kind"), kind.kind))

    # ------------------------------------------------------------- update

    def update(self, kind, ns, name, body, subresource=None, field_validation="Warn",
               dry_run=False, require_rv=None):
        """PUT (also the last step of PATCH). Returns (object, warnings)."""
        if kind.read_only:
            raise errors.ApiError(405, 'the server does not allow this method on the requested resource')
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        obj = copy.deepcopy(body)
        self._check_type(kind, obj)
        with self.lock:
            old = self._find(kind, ns, name)
            if old is None:
                raise errors.not_found(kind, name)
            m = obj.get("metadata")
            if not isinstance(m, dict):
                m = obj["metadata"] = {}
            if m.get("name") not in (None, name):
                raise errors.bad_request("the name of the object (%s) does not match the name "
                                         "on the URL (%s)" % (m.get("name"), name))
            if kind.namespaced and m.get("namespace") not in (None, "", ns):
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            om = old["metadata"]
            if m.get("uid") and m["uid"] != om["uid"]:
                raise errors.conflict(kind, name, "Precondition failed: UID in precondition: %s, "
                                      "UID in object meta: %s" % (om["uid"], m["uid"]))
            rv = m.get("resourceVersion")
            if require_rv is None:
                require_rv = kind.is_custom
            if not rv and require_rv:
                raise errors.invalid(kind, name, [sch.Cause(
                    "FieldValueInvalid", "metadata.resourceVersion",
                    "must be specified for an update", 0, True)])
            if rv and rv != om["resourceVersion"]:
                raise errors.conflict(kind, name)
            if subresource == "status":
                new = copy.deepcopy(old)
                if "status" in obj:
                    new["status"] = obj["status"]
                else:
                    new.pop("status", None)
                obj = new
            else:
                if kind.status:
                    if "status" in old:
                        obj["status"] = copy.deepcopy(old["status"])
                    else:
                        obj.pop("status", None)
            m = obj["metadata"]
            m["name"] = name
            if kind.namespaced:
                m["namespace"] = ns
            for f in ("uid", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation"):
                if f in om:
                    m[f] = om[f]
                else:
                    m.pop(f, None)
            m.pop("managedFields", None)
            m["resourceVersion"] = om["resourceVersion"]
            warnings = self._admit(kind, obj, old, "update", field_validation, subresource)
            m = obj["metadata"]
            if om.get("deletionTimestamp"):
                added = [f for f in m.get("finalizers") or [] if f not in (om.get("finalizers") or [])]
                if added:
                    raise errors.invalid(kind, name, [sch.Cause(
                        "FieldValueForbidden", "metadata.finalizers",
                        "no new finalizers can be added if the object is being deleted, "
                        "found new finalizers []string{%s}" % ", ".join('"%s"' % a for a in added))])
            if kind.is_custom and body_without(obj, "metadata", "status") != body_without(old, "metadata", "status"):
                m["generation"] = om.get("generation", 1) + 1
            if not m.get("finalizers"):
                m.pop("finalizers", None)
            if obj == old:
                return copy.deepcopy(old), warnings
            if dry_run:
                return copy.deepcopy(obj), warnings
            m["resourceVersion"] = self._next_rv()
            key = self._key(kind, ns, name)
            if m.get("deletionTimestamp") and not m.get("finalizers"):
                del self.objs[key]
                self._event("DELETED", obj)
            else:
                self.objs[key] = obj
                self._event("MODIFIED", obj)
            return copy.deepcopy(obj), warnings

    # ------------------------------------------------------------- patch

    def patch(self, kind, ns, name, content_type, body, subresource=None,
              field_validation="Warn", dry_run=False, field_manager=None, force=False):
        """PATCH with a JSON-decoded body. Returns (object, warnings, created)."""
        ct = content_type
        with self.lock:
            cur = self._find(kind, ns, name)
            if ct == "application/apply-patch+yaml":
                if not field_manager:
                    raise errors.invalid(kind, name, [sch.Cause(
                        "FieldValueRequired", "fieldManager",
                        "is required for apply requests")])
                if not isinstance(body, dict):
                    raise errors.bad_request("the body of the request was in an unknown format")
                if cur is None:
                    if subresource:
                        raise errors.not_found(kind, name)
                    applied = copy.deepcopy(body)
                    am = applied.setdefault("metadata", {})
                    if am.get("name") not in (None, name):
                        raise errors.bad_request("the name of the object (%s) does not match the "
                                                 "name on the URL (%s)" % (am.get("name"), name))
                    am["name"] = name
                    obj, w = self.create(kind, ns, applied, field_validation, dry_run)
                    return obj, w, True
                live = copy.deepcopy(cur)
                applied = copy.deepcopy(body)
                applied.get("metadata", {}).pop("resourceVersion", None)
                new = patchlib.apply_merge(live, applied)
                obj, w = self.update(kind, ns, name, new, subresource, field_validation,
                                     dry_run, require_rv=False)
                return obj, w, False
            if cur is None:
                raise errors.not_found(kind, name)
            live = copy.deepcopy(cur)
            try:
                if ct == "application/merge-patch+json":
                    if not isinstance(body, dict):
                        raise patchlib.PatchError("merge patch must be a JSON object", 400)
                    new = patchlib.merge_patch(live, body)
                elif ct == "application/strategic-merge-patch+json":
                    if kind.is_custom:
                        # The real server's answer for custom resources.
                        raise errors.ApiError(
                            415, "the body of the request was in an unknown format - accepted media "
                            "types include: application/json-patch+json, application/merge-patch+json, "
                            "application/apply-patch+yaml")
                    if not isinstance(body, dict):
                        raise patchlib.PatchError("strategic merge patch must be a JSON object", 400)
                    new = patchlib.merge_patch(live, patchlib.strip_smp_directives(body))
                elif ct == "application/json-patch+json":
                    new = patchlib.json_patch(live, body)
                else:
                    raise errors.ApiError(415, "the body of the request was in an unknown format - "
                                          "accepted media types include: application/json-patch+json, "
                                          "application/merge-patch+json, application/apply-patch+yaml"
                                          + ("" if kind.is_custom else ", application/strategic-merge-patch+json"))
            except patchlib.PatchError as e:
                if e.code == 400:
                    raise errors.bad_request(str(e)) from None
                # Like the apiserver: a generic 422 without details, so
                # clients print the message.
                raise errors.ApiError(422, "the server rejected our request due to an error in "
                                      "our request: %s" % e) from None
            if not isinstance(new, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            obj, w = self.update(kind, ns, name, new, subresource, field_validation, dry_run,
                                 require_rv=False)
            return obj, w, False

    # ------------------------------------------------------------- delete

    def delete(self, kind, ns, name, propagation=None, preconditions=None, dry_run=False):
        """DELETE. Returns (http_code, body)."""
        if kind.read_only:
            raise errors.ApiError(405, 'the server does not allow this method on the requested resource')
        with self.lock:
            cur = self._find(kind, ns, name)
            if cur is None:
                raise errors.not_found(kind, name)
            m = cur["metadata"]
            pre = preconditions or {}
            if pre.get("uid") and pre["uid"] != m["uid"]:
                raise errors.conflict(kind, name, "Precondition failed: UID in precondition: %s, "
                                      "UID in object meta: %s" % (pre["uid"], m["uid"]))
            if pre.get("resourceVersion") and pre["resourceVersion"] != m["resourceVersion"]:
                raise errors.conflict(kind, name, "Precondition failed: ResourceVersion in "
                                      "precondition: %s, ResourceVersion in object meta: %s"
                                      % (pre["resourceVersion"], m["resourceVersion"]))
            if propagation not in (None, "Background", "Foreground", "Orphan"):
                raise errors.invalid(kind, name, [sch.Cause(
                    "FieldValueNotSupported", "propagationPolicy", 'supported values: '
                    '"Foreground", "Background", "Orphan", "nil"', propagation, True)])
            if dry_run:
                return 200, copy.deepcopy(cur)
            if m.get("deletionTimestamp"):
                return 200, copy.deepcopy(cur)
            if propagation == "Orphan":
                self._orphan_dependants(m["uid"])
            fins = list(m.get("finalizers") or [])
            if propagation == "Foreground" and self._dependants(m["uid"]):
                fins.append(FOREGROUND)
            if kind.kind == "Namespace":
                m["deletionTimestamp"] = now()
                cur.setdefault("status", {})["phase"] = "Terminating"
                m["resourceVersion"] = self._next_rv()
                self._event("MODIFIED", cur)
                return 200, copy.deepcopy(cur)
            if fins:
                m["finalizers"] = fins
                m["deletionTimestamp"] = now()
                m["deletionGracePeriodSeconds"] = 0
                if "generation" in m:
                    m["generation"] += 1
                m["resourceVersion"] = self._next_rv()
                self._event("MODIFIED", cur)
                return 200, copy.deepcopy(cur)
            del self.objs[self._key(kind, ns, name)]
            m["resourceVersion"] = self._next_rv()
            self._event("DELETED", cur)
            details = {"name": name, "kind": kind.plural, "uid": m["uid"]}
            if kind.group:
                details["group"] = kind.group
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                         "status": "Success", "details": details}

    def delete_obj(self, obj, propagation=None):
        """Controller/GC helper: delete a stored object (no error if gone)."""
        kind = self._kind_of(obj)
        try:
            self.delete(kind, obj["metadata"].get("namespace"), obj["metadata"]["name"], propagation)
        except errors.ApiError:
            pass

    def _dependants(self, uid):
        return [o for o in self.objs.values()
                if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])]

    def _orphan_dependants(self, uid):
        for o in self._dependants(uid):
            refs = [r for r in o["metadata"]["ownerReferences"] if r.get("uid") != uid]
            if refs:
                o["metadata"]["ownerReferences"] = refs
            else:
                o["metadata"].pop("ownerReferences", None)
            o["metadata"]["resourceVersion"] = self._next_rv()
            self._event("MODIFIED", o)

    # ------------------------------------------------------------- GC

    def gc(self):
        """One garbage-collector pass: dependants of vanished owners,
        foreground deletion, terminating namespaces."""
        with self.lock:
            uids = self._uids()
            for o in list(self.objs.values()):
                refs = o["metadata"].get("ownerReferences") or []
                if refs and not any(r.get("uid") in uids for r in refs) \
                        and not o["metadata"].get("deletionTimestamp"):
                    self.log("gc: deleting %s %s/%s (owners gone)" % (
                        o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
                    self.delete_obj(o)
            for o in list(self.objs.values()):
                m = o["metadata"]
                if m.get("deletionTimestamp") and FOREGROUND in (m.get("finalizers") or []):
                    deps = self._dependants(m["uid"])
                    for d in deps:
                        if not d["metadata"].get("deletionTimestamp"):
                            self.delete_obj(d, "Foreground")
                    if not deps:
                        self.remove_finalizer(o, FOREGROUND)
            ns_kind = self.reg.by_kind("v1", "Namespace")
            for nso in self._all(ns_kind):
                if not nso["metadata"].get("deletionTimestamp"):
                    continue
                name = nso["metadata"]["name"]
                content = [o for (g, p, n, _), o in self.objs.items() if n == name and p != "namespaces"]
                for o in content:
                    if not o["metadata"].get("deletionTimestamp"):
                        self.delete_obj(o)
                if not content:
                    self.log("gc: namespace %s is empty, removing it" % name)
                    del self.objs[self._key(ns_kind, None, name)]
                    nso["metadata"]["resourceVersion"] = self._next_rv()
                    self._event("DELETED", nso)

    # ------------------------------------------------------------- controller helpers

    def remove_finalizer(self, obj, fin):
        """Drop one finalizer from a stored object (removing the object if it
        is being deleted and none remain)."""
        with self.lock:
            kind = self._kind_of(obj)
            cur = self._find(kind, obj["metadata"].get("namespace"), obj["metadata"]["name"])
            if cur is None or fin not in (cur["metadata"].get("finalizers") or []):
                return
            new = copy.deepcopy(cur)
            new["metadata"]["finalizers"] = [f for f in new["metadata"]["finalizers"] if f != fin]
            self.update(kind, new["metadata"].get("namespace"), new["metadata"]["name"], new)

    def find_by_ref(self, api_version, kind_name, ns, name):
        kind = self.reg.by_kind(api_version, kind_name)
        if kind is None:
            return None
        return self._find(kind, ns, name)


def _short(obj):
    import json
    s = json.dumps(obj)
    return s if len(s) < 120 else s[:117] + "..."

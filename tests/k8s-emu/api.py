"""The HTTP side: TLS server, authentication, discovery, routing of REST
paths to the store, JSON/YAML bodies, Status errors, server-side tables.
"""

import http.server
import json
import ssl
import sys
import time
import urllib.parse

import yaml

import errors
import paging
import patch as patchlib
import openapi
import protobuf
import tables

MAX_BODY = 16 * 1024 * 1024
PUBLIC = ("/version", "/healthz", "/livez", "/readyz")
VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-k8s-emu",
           "gitCommit": "0000000000000000000000000000000000000000",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
           "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64"}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx, app):
        self.ctx = ctx
        self.app = app
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # TLS handshake in the per-connection thread, bounded.
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.app.log("tls: handshake from %s failed: %s" % (client_address[0], e))
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        self.app.log("connection error from %s: %s" % (client_address[0], sys.exc_info()[1]))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8s-emu"
    timeout = 60

    def log_message(self, fmt, *args):  # quiet default logging
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method):
        app = self.server.app
        t0 = time.time()
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        code = 500
        try:
            raw = self._read_body()
            code, body, headers = app.dispatch(self, method, url.path, q, raw)
            if code == "stream":
                app.log("%s %s -> 200 (watch started)" % (method, self.path))
                self._stream(body)
                return
        except errors.ApiError as e:
            code, body, headers = e.code, e.status(), e.headers
        except Exception as e:  # noqa: BLE001 - any bug becomes a 500 Status
            import traceback
            app.log("INTERNAL ERROR on %s %s:\n%s" % (method, self.path, traceback.format_exc()))
            err = errors.ApiError(500, "k8s-emu internal error: %s" % e)
            code, body, headers = 500, err.status(), {}
        if method != "GET":
            # A write is acknowledged only once it is on disk (see store.py).
            try:
                app.store.flush()
            except OSError as e:
                app.log("ERROR: cannot save the state: %s" % e)
                err = errors.ApiError(500, "k8s-emu cannot save its state: %s" % e)
                code, body, headers = 500, err.status(), {}
        self._send(code, body, headers)
        app.log("%s %s -> %d (%.0f ms)" % (method, self.path, code, (time.time() - t0) * 1000))

    def _read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked()
            return b""
        n = int(n)
        if n > MAX_BODY:
            raise errors.ApiError(413, "request entity too large")
        return self.rfile.read(n)

    def _read_chunked(self):
        out = b""
        while True:
            line = self.rfile.readline(1024).strip()
            size = int(line.split(b";")[0], 16)
            if size == 0:
                self.rfile.readline(1024)
                return out
            out += self.rfile.read(size)
            self.rfile.readline(1024)
            if len(out) > MAX_BODY:
                raise errors.ApiError(413, "request entity too large")

    def _stream(self, events):
        """Chunked JSON lines, one watch event each; ends the connection."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            for ev in events:
                data = json.dumps(ev).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            pass  # the client went away

    def _send(self, code, body, headers):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            if isinstance(v, list):
                for item in v:
                    self.send_header(k, item)
            else:
                self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)


def decode_body(raw, content_type):
    """JSON (or YAML for apply) body -> Python value; 400/415 on failure."""
    ct = (content_type or "application/json").split(";")[0].strip().lower()
    if not raw:
        raise errors.bad_request("the body of the request is empty")
    try:
        if ct == "application/vnd.kubernetes.protobuf":
            return protobuf.decode(raw)
        if ct in ("application/yaml", "application/apply-patch+yaml"):
            return yaml.safe_load(raw.decode("utf-8"))
        return json.loads(raw.decode("utf-8"))
    except (ValueError, yaml.YAMLError) as e:
        raise errors.bad_request("the body of the request could not be decoded: %s" % e) from None


class App:
    """Routing and discovery. store: store.Store; faults: faults.Faults."""

    def __init__(self, registry, store, faults, token, log):
        self.reg = registry
        self.store = store
        self.faults = faults
        self.token = token
        self.log = log
        self.server_address = ""
        self.stopping = False

    # ------------------------------------------------------------- entry

    def dispatch(self, h, method, path, q, raw):
        path = path.rstrip("/") or "/"
        if path in PUBLIC:
            if path == "/version":
                return 200, VERSION, {}
            return 200, None, {}
        self._authenticate(h)
        f = self.faults.load()
        delay = f.get("request_delay")
        if isinstance(delay, (int, float)) and 0 < delay <= 120:
            time.sleep(delay)
        hit = self.faults.take_failure(method, path)
        if hit:
            code = hit["status"]
            hdr = {}
            if code == 429 or "retry_after" in hit:
                hdr["Retry-After"] = str(hit.get("retry_after", 1))
            raise errors.ApiError(code, hit.get("message") or "injected failure (faults.json)",
                                  reason=hit.get("reason"), headers=hdr)
        if path.startswith("/api/v1/watch/") or (path.startswith("/apis/") and "/watch/" in path):
            raise errors.ApiError(405, "the deprecated /watch/ paths are not supported by k8s-emu; "
                                  "use ?watch=true", reason="MethodNotAllowed")
        if path == "/api":
            return self._get_only(method), {"kind": "APIVersions", "versions": ["v1"],
                                            "serverAddressByClientCIDRs": [
                                                {"clientCIDR": "0.0.0.0/0",
                                                 "serverAddress": self.server_address}]}, {}
        if path == "/apis":
            return self._get_only(method), self._group_list(), {}
        if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            return self._get_only(method), openapi.document(self.reg, path), {}
        if path.startswith("/openapi"):
            raise errors.ApiError(404, "the server could not find the requested resource")
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            group = parts[1]
            if len(parts) == 2:
                return self._get_only(method), self._group(group), {}
            version, rest = parts[2], parts[3:]
        else:
            raise errors.ApiError(404, "the server could not find the requested resource")
        kinds = self.reg.in_version(group, version)
        if not kinds:
            raise errors.ApiError(404, "the server could not find the requested resource")
        if not rest:
            return self._get_only(method), self._resource_list(group, version, kinds), {}
        return self._resource(h, method, group, version, rest, q, raw)

    def _authenticate(self, h):
        auth = h.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            if auth[7:].strip() == self.token:
                return
        else:
            try:
                cert = h.connection.getpeercert()
            except (ValueError, AttributeError):
                cert = None
            if cert:
                return
        raise errors.ApiError(401, "Unauthorized")

    @staticmethod
    def _get_only(method):
        if method != "GET":
            raise errors.ApiError(405, "the server does not allow this method on the requested resource")
        return 200

    # ------------------------------------------------------------- discovery

    def _group(self, group):
        for g, versions in self.reg.groups():
            if g == group:
                return {"kind": "APIGroup", "apiVersion": "v1", "name": g,
                        "versions": [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in versions],
                        "preferredVersion": {"groupVersion": "%s/%s" % (g, versions[0]),
                                             "version": versions[0]}}
        raise errors.ApiError(404, "the server could not find the requested resource")

    def _group_list(self):
        groups = []
        for g, _ in self.reg.groups():
            d = self._group(g)
            del d["kind"], d["apiVersion"]
            groups.append(d)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    @staticmethod
    def _resource_list(group, version, kinds):
        res = []
        for k in kinds:
            res += k.resource_json()
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": "%s/%s" % (group, version) if group else version,
                "resources": res}

    # ------------------------------------------------------------- resources

    def _resolve(self, group, version, rest):
        """rest (path pieces after the version) -> (kind, ns, name, sub)."""
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            k = self.reg.by_path(group, version, rest[2])
            if k is not None and k.namespaced:
                ns, rest = rest[1], rest[2:]
        kind = self.reg.by_path(group, version, rest[0])
        if kind is None or len(rest) > 3:
            raise errors.ApiError(404, "the server could not find the requested resource")
        if kind.namespaced and ns is None and len(rest) > 1:
            raise errors.ApiError(404, "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and not (sub == "status" and (kind.status or kind.kind == "Namespace")):
            raise errors.ApiError(404, "the server could not find the requested resource")
        return kind, ns, name, sub

    def _resource(self, h, method, group, version, rest, q, raw):
        kind, ns, name, sub = self._resolve(group, version, rest)
        fv = q.get("fieldValidation") or "Warn"
        if fv not in ("Strict", "Warn", "Ignore"):
            raise errors.bad_request("fieldValidation parameter unsupported: %s" % fv)
        dry = q.get("dryRun") == "All"
        ctype = h.headers.get("Content-Type")
        if name is None:
            if method == "GET" and q.get("watch") in ("true", "1"):
                return "stream", self._watch(kind, ns, q), {}
            if method == "GET":
                return self._list(h, kind, ns, q)
            if method == "POST":
                if kind.namespaced and ns is None:
                    raise errors.ApiError(405, "the server does not allow this method on the requested resource")
                obj, warns = self.store.create(kind, ns, decode_body(raw, ctype), fv, dry)
                return 201, obj, warning_headers(warns)
            raise errors.ApiError(405, "the server does not allow this method on the requested resource "
                                  "(collection %s is not supported by k8s-emu)" % method)
        if method == "GET" and q.get("watch") in ("true", "1"):
            raise errors.ApiError(405, "watch on a single object is not supported by k8s-emu; watch "
                                  "the collection with fieldSelector=metadata.name=NAME",
                                  reason="MethodNotAllowed")
        if method == "GET":
            obj = self.store.get(kind, ns, name)
            return 200, self._maybe_table(h, kind, [obj], q, single=True), {}
        if method == "PUT":
            obj, warns = self.store.update(kind, ns, name, decode_body(raw, ctype), sub, fv, dry)
            return 200, obj, warning_headers(warns)
        if method == "PATCH":
            ct = (ctype or "").split(";")[0].strip().lower()
            body = decode_body(raw, ct)
            obj, warns, created = self.store.patch(
                kind, ns, name, ct, body, sub, fv, dry, q.get("fieldManager"),
                q.get("force") == "true")
            return (201 if created else 200), obj, warning_headers(warns)
        if method == "DELETE":
            if sub:
                raise errors.ApiError(405, "the server does not allow this method on the requested resource")
            opts = {}
            if raw:
                opts = decode_body(raw, "application/json") or {}
            prop = q.get("propagationPolicy") or opts.get("propagationPolicy")
            if prop is None and opts.get("orphanDependents") is True:
                prop = "Orphan"
            code, body = self.store.delete(kind, ns, name, prop, opts.get("preconditions"),
                                           dry or "All" in (opts.get("dryRun") or []))
            return code, body, {}
        raise errors.ApiError(405, "the server does not allow this method on the requested resource")

    def _watch(self, kind, ns, q):
        """A watch as a generator of event dicts (checked before streaming:
        selectors, resourceVersion). Polls the store's event log every
        0.1 s; ends at timeoutSeconds (max 1800) or on shutdown."""
        try:
            lreqs = patchlib.parse_label_selector(q.get("labelSelector") or "")
            freqs = patchlib.parse_field_selector(q.get("fieldSelector") or "")
        except patchlib.SelectorError as e:
            raise errors.bad_request(str(e)) from None
        try:
            timeout = min(int(q.get("timeoutSeconds") or 1800), 1800)
        except ValueError:
            raise errors.bad_request("invalid timeoutSeconds") from None
        rvp = q.get("resourceVersion") or "0"
        if not rvp.isdigit():
            raise errors.bad_request("invalid resourceVersion %r" % rvp)
        extra = ("type",) if kind.kind == "Secret" else ()

        def match(o):
            if ns is not None and o["metadata"].get("namespace") != ns:
                return False
            try:
                return patchlib.label_match(o["metadata"].get("labels"), lreqs) and \
                    patchlib.field_match(o, freqs, extra)
            except patchlib.SelectorError:
                return False

        initial = []
        if rvp == "0":
            items, cur = self.store.list(kind, ns)
            initial = [{"type": "ADDED", "object": o} for o in items if match(o)]
            start = int(cur)
        else:
            start = int(rvp)
            if self.store.events_since(start) is None:
                raise errors.ApiError(410, "too old resource version: %d (%s)" % (start, self.store.current_rv()),
                                      reason="Expired")
        gk = (kind.group, kind.plural)
        deadline = time.time() + timeout

        def gen():
            yield from initial
            last = start
            while time.time() < deadline and not self.stopping:
                evs = self.store.events_since(last)
                if evs is None:
                    yield {"type": "ERROR", "object": errors.ApiError(
                        410, "too old resource version", reason="Expired").status()}
                    return
                for rv, etype, egk, _, obj in evs:
                    last = rv
                    if egk == gk and match(obj):
                        yield {"type": etype, "object": obj}
                time.sleep(0.1)
        return gen()

    def _list(self, h, kind, ns, q):
        items, rv = self.store.list(kind, ns, q.get("labelSelector"), q.get("fieldSelector"))
        items, meta = paging.page(items, q, rv, self.store.events_since)
        rv = meta["resourceVersion"]
        table = self._maybe_table(h, kind, items, q, rv=rv)
        if table is not None and table is not items:
            table["metadata"] = meta  # a Table pages like a list
            return 200, table, {}
        if not kind.is_custom:
            for o in items:
                o.pop("apiVersion", None)
                o.pop("kind", None)
        return 200, {"kind": kind.kind + "List", "apiVersion": kind.api_version,
                     "metadata": meta, "items": items}, {}

    def _maybe_table(self, h, kind, items, q, single=False, rv=""):
        accept = h.headers.get("Accept", "")
        if "as=Table" in accept:
            return tables.table(kind, items, q.get("includeObject") or "Metadata", rv)
        return items[0] if single else items


def warning_headers(warns):
    if not warns:
        return {}
    return {"Warning": ['299 - "%s"' % w.replace('"', '\\"') for w in warns]}


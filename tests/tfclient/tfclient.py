#!/usr/bin/env python3
"""tfclient.py — talk tfplugin6 to a provider binary the way Terraform does.

    tfclient.py BIN [--type lxd|k8s] [--no-tls] COMMAND [ARGS]

Each run starts the provider (go-plugin's environment, AutoMTLS client
certificate, handshake line and server certificate checked), runs one
command, then calls GRPCController.Shutdown and waits up to 2 s for the
process to exit. It prints one JSON document on stdout, always with
"exit_code" (the provider's) and "shutdown_seconds". Exit status: 0 when
the provider started, answered and exited 0 after Shutdown, else 1 (the
message on stderr); a non-OK gRPC status is reported in the JSON, not as
a failure.

Commands:
  handshake                 the handshake fields and both certificates
  schema                    GetProviderSchema, summarised (types, versions,
                            attributes, capabilities, list resource schemas)
  metadata                  GetMetadata
  identity-schemas          GetResourceIdentitySchemas
  call METHOD [JSON]        any unary tfplugin6 RPC; JSON is the request in
                            protobuf's JSON mapping (default {})
  list TYPE [--limit N] [--include-object] [--config JSON]
                            ListResource stream: events decoded with the
                            identity / resource schemas when the provider
                            has them, and the checker's verdict
  validate TYPE [--config JSON] [--write-only-allowed | --no-capabilities]
                            ValidateResourceConfig of a configuration that
                            sets the given attributes and blocks (the rest
                            null), with client capabilities: by default
                            those of a client before Terraform 1.11
                            (write_only_attributes_allowed false)
  raw PATH                  any method path with an empty request
  lifecycle TYPE --provider-config JSON --config JSON --update JSON
            --import-id ID  create, read, update, import (identity, ID),
                            UpgradeResourceIdentity, GenerateResourceConfig,
                            destroy, checked with tfc.checker (tfc/lifecycle.py)
  stop                      StopProvider

Needs Debian's python3-grpcio, python3-protobuf, python3-msgpack,
python3-cryptography and protobuf-compiler (protoc).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

from tfc import checker, lifecycle, mtls, schema, values  # noqa: E402
from tfc.plugin import CallError, Provider, PluginError  # noqa: E402


def _msg(m):
    return json_format.MessageToDict(m, preserving_proto_field_name=True)


def _status(code, details, seconds):
    return {"status": code.name, "details": details,
            "seconds": round(seconds, 4)}


def _call(p, method, req=None):
    t0 = time.monotonic()
    try:
        reply = p.call(method, request=req)
        out = _status(grpc.StatusCode.OK, "", time.monotonic() - t0)
        out["reply"] = _msg(reply)
        return out, reply
    except CallError as e:
        return _status(e.code, e.details, e.seconds), None


def _attrs_summary(block):
    out = {}
    for a in block.attributes:
        flags = [f for f in ("required", "optional", "computed", "sensitive",
                             "write_only", "deprecated") if getattr(a, f)]
        t = json.loads(a.type) if a.type else "nested"
        out[a.name] = {"type": t, "flags": flags}
        if a.HasField("nested_type"):
            out[a.name]["nesting"] = schema.NESTING[a.nested_type.nesting]
            out[a.name]["attributes"] = _attrs_summary(a.nested_type)
    for b in getattr(block, "block_types", ()):
        out[b.type_name] = {"block": schema.NESTING[b.nesting],
                            "attributes": _attrs_summary(b.block)}
    return out


def cmd_handshake(p, args):
    h = p.handshake
    out = {"core": h.core, "app": h.app, "network": h.network,
           "address": h.address, "protocol": h.protocol,
           "cert_chars": len(h.cert), "cert_padded": "=" in h.cert,
           "socket_exists": os.path.exists(h.address)}
    if p.server_cert is not None:
        out["server_cert"] = mtls.cert_facts(p.server_cert)
        out["client_cert"] = mtls.cert_facts(p.client_cert)
    return out


def cmd_schema(p, args):
    out, r = _call(p, "GetProviderSchema")
    if r is None:
        return out
    del out["reply"]

    def kinds(m):
        return {k: {"version": v.version,
                    "attributes": _attrs_summary(v.block)}
                for k, v in sorted(m.items())}
    out.update({
        "provider": _attrs_summary(r.provider.block),
        "resources": kinds(r.resource_schemas),
        "data_sources": kinds(r.data_source_schemas),
        "ephemeral_resources": kinds(r.ephemeral_resource_schemas),
        "list_resources": kinds(r.list_resource_schemas),
        "functions": sorted(r.functions),
        "has_provider_meta": r.HasField("provider_meta"),
        "server_capabilities": _msg(r.server_capabilities),
        "diagnostics": [_msg(d) for d in r.diagnostics],
    })
    return out


def cmd_metadata(p, args):
    return _call(p, "GetMetadata")[0]


def cmd_identity_schemas(p, args):
    return _call(p, "GetResourceIdentitySchemas")[0]


def cmd_call(p, args):
    req = p.message(args.method)()
    json_format.Parse(args.json or "{}", req)
    return _call(p, args.method, req)[0]


def cmd_stop(p, args):
    return _call(p, "StopProvider")[0]


def cmd_raw(p, args):
    code, details, body, secs = p.raw_call(args.path)
    out = _status(code, details, secs)
    out["reply_bytes"] = None if body is None else len(body)
    return out


def _decode_event(ev, id_type, res_type):
    d = {"display_name": ev.display_name,
         "errors": [x.summary for x in ev.diagnostic if x.severity == 1],
         "warnings": [x.summary for x in ev.diagnostic if x.severity == 2],
         "identity": None}
    if ev.HasField("identity") and ev.identity.HasField("identity_data"):
        raw = ev.identity.identity_data.msgpack
        d["identity"] = values.decode(raw, id_type) if id_type else \
            {"undecoded_msgpack_hex": raw.hex()}
    if ev.HasField("resource_object"):
        raw = ev.resource_object.msgpack
        d["resource_object"] = values.decode(raw, res_type) if res_type \
            else {"undecoded_msgpack_hex": raw.hex()}
    return d


def cmd_validate(p, args):
    sch = p.call("GetProviderSchema")
    res = sch.resource_schemas.get(args.type_name)
    if res is None:
        raise ValueError("no resource type %s" % args.type_name)
    block = schema.block_from_proto(res.block)
    cfg = schema.config_value(block, json.loads(args.config or "{}"))
    req = p.request("ValidateResourceConfig", type_name=args.type_name)
    req.config.msgpack = values.encode(cfg, block.implied_type())
    if not args.no_capabilities:
        req.client_capabilities.write_only_attributes_allowed = \
            args.write_only_allowed
        # Always present, as Terraform 1.10 sends it (deferral unset).
        req.client_capabilities.SetInParent()
    out, r = _call(p, "ValidateResourceConfig", req)
    if r is not None:
        del out["reply"]
        out["diagnostics"] = [{
            "severity": d.severity, "summary": d.summary,
            "detail": d.detail,
            "path": [st.attribute_name or st.element_key_string
                     or st.element_key_int for st in d.attribute.steps]}
            for d in r.diagnostics]
    return out


def cmd_list(p, args):
    sch = p.call("GetProviderSchema")
    ids = {}
    try:
        ids = p.call("GetResourceIdentitySchemas").identity_schemas
    except CallError:
        pass
    lst = sch.list_resource_schemas.get(args.type_name)
    res = sch.resource_schemas.get(args.type_name)
    cfg = json.loads(args.config) if args.config else {}
    if lst is not None:
        cfg_type = schema.list_config_block(lst).implied_type()
        full = {k: cfg.get(k) for k in values.object_attrs(cfg_type)}
        config_mp = values.encode(full, cfg_type)
    elif cfg:
        raise ValueError("%s has no list resource schema: --config cannot be "
                         "encoded" % args.type_name)
    else:
        config_mp = b"\x80"  # {}: what is sent without a schema
    req = p.request("ListResource", type_name=args.type_name,
                    include_resource_object=args.include_object,
                    limit=args.limit)
    req.config.msgpack = config_mp
    events, code, details, secs = p.stream("ListResource", request=req)
    out = _status(code, details, secs)
    out["has_list_schema"] = lst is not None
    out["has_identity_schema"] = args.type_name in ids
    id_type = schema.identity_type(ids[args.type_name]) \
        if args.type_name in ids else None
    res_type = schema.block_from_proto(res.block).implied_type() \
        if res is not None else None
    decoded = [_decode_event(e, id_type, res_type) for e in events]
    out["events"] = json.loads(json.dumps(decoded, default=repr))
    if id_type is not None:
        out["problems"] = [pr._asdict() for pr in checker.check_list_events(
            decoded, id_type, res_type, args.include_object, args.limit)]
    return out


def cmd_lifecycle(p, args):
    return lifecycle.run(p, args.type_name, json.loads(args.provider_config),
                         json.loads(args.config), json.loads(args.update),
                         args.import_id)


def main(argv):
    ap = argparse.ArgumentParser(
        description="tfplugin6 test client (see the module docstring)")
    ap.add_argument("binary")
    ap.add_argument("--type", default="lxd", dest="provider_type",
                    help="provider type the binary serves (from argv[0])")
    ap.add_argument("--no-tls", action="store_true",
                    help="leave PLUGIN_CLIENT_CERT unset (plaintext)")
    ap.add_argument("--stderr", metavar="FILE",
                    help="save the provider's stderr (its log) in FILE")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("handshake").set_defaults(fn=cmd_handshake)
    sub.add_parser("schema").set_defaults(fn=cmd_schema)
    sub.add_parser("metadata").set_defaults(fn=cmd_metadata)
    sub.add_parser("identity-schemas").set_defaults(fn=cmd_identity_schemas)
    sub.add_parser("stop").set_defaults(fn=cmd_stop)
    c = sub.add_parser("call")
    c.add_argument("method")
    c.add_argument("json", nargs="?")
    c.set_defaults(fn=cmd_call)
    r = sub.add_parser("raw")
    r.add_argument("path")
    r.set_defaults(fn=cmd_raw)
    v = sub.add_parser("validate")
    v.add_argument("type_name")
    v.add_argument("--config", help="attributes and blocks as JSON")
    caps = v.add_mutually_exclusive_group()
    caps.add_argument("--write-only-allowed", action="store_true",
                      help="announce write-only support (Terraform 1.11+)")
    caps.add_argument("--no-capabilities", action="store_true",
                      help="send no client_capabilities at all")
    v.set_defaults(fn=cmd_validate)
    ls = sub.add_parser("list")
    ls.add_argument("type_name")
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--include-object", action="store_true")
    ls.add_argument("--config", help="config attributes as JSON")
    ls.set_defaults(fn=cmd_list)
    lc = sub.add_parser("lifecycle")
    lc.add_argument("type_name")
    lc.add_argument("--provider-config", required=True,
                    help="provider configuration attributes as JSON")
    lc.add_argument("--config", required=True,
                    help="resource configuration attributes as JSON")
    lc.add_argument("--update", required=True,
                    help="attributes to change for the update, as JSON")
    lc.add_argument("--import-id", required=True)
    lc.set_defaults(fn=cmd_lifecycle)
    args = ap.parse_args(argv[1:])

    try:
        p = Provider.start(args.binary, args.provider_type,
                           tls=not args.no_tls)
    except Exception as e:  # noqa: BLE001 - report any start failure
        print("tfclient: provider did not start: %s" % e, file=sys.stderr)
        return 1
    try:
        out = args.fn(p, args)
        t0 = time.monotonic()
        out["exit_code"] = p.shutdown()
        out["shutdown_seconds"] = round(time.monotonic() - t0, 4)
        # The provider removes its socket (and directory) when it exits.
        out["socket_removed"] = not os.path.exists(p.handshake.address)
    except (PluginError, Exception) as e:  # noqa: BLE001
        err = p.stderr_text()
        p.kill()
        print("tfclient: %s: %s\n%s" % (type(e).__name__, e, err[-2000:]),
              file=sys.stderr)
        return 1
    finally:
        p.kill()
        if args.stderr:
            with open(args.stderr, "w") as f:
                f.write(p.stderr_text())
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0 if out["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

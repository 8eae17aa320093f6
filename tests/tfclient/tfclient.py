#!/usr/bin/env python3
"""tfclient.py — talk tfplugin6 to a provider binary the way Terraform does.

    tfclient.py BIN [--type lxd|k8s] [--no-tls] [--configure JSON]
                [--env K=V] COMMAND [ARGS]

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
  list TYPE [--limit N] [--include-object] [--config JSON] [--check-read]
                            ListResource stream: events decoded with the
                            identity / resource schemas when the provider
                            has them, and the checker's verdict (with
                            --check-read, each resource_object compared
                            with import-by-identity + ReadResource)
  list-stop TYPE --after N --total T [...]
                            StopProvider after N events of a list of T
                            objects: the stream must end early
  move TARGET_TYPE FILE [--name N] [--source-type T] [--source-address A]
       [--version V] [--set JSON]
                            MoveResourceState with instance 0 of resource
                            entry N (default: the only one) of FILE, a
                            terraform.tfstate-style entry (as in
                            tests/data/terraform-lxd/), its attributes
                            updated with --set; the target state decoded
                            with the target's schema, the checker's verdict
  upgrade TYPE FILE [--name N] [--version V] [--set JSON]
                            UpgradeResourceState with the same input (what
                            Terraform sends after `terraform state
                            replace-provider`)
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


def configure(p, config_json, tf_version="1.14.0"):
    """ConfigureProvider with the provider attributes of config_json (the
    others null), as Terraform sends them; raises on an error."""
    sch = p.call("GetProviderSchema")
    t = schema.block_from_proto(sch.provider.block).implied_type()
    given = json.loads(config_json)
    full = {k: given.get(k) for k in values.object_attrs(t)}
    req = p.request("ConfigureProvider", terraform_version=tf_version)
    req.config.msgpack = values.encode(full, t)
    rs = p.call("ConfigureProvider", request=req)
    errs = [d.summary + ": " + d.detail for d in rs.diagnostics
            if d.severity == 1]
    if errs:
        raise PluginError("ConfigureProvider failed: %s" % errs)


def _list_request(p, args, sch):
    lst = sch.list_resource_schemas.get(args.type_name)
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
    return req, lst is not None


def _types(p, sch, type_name):
    """(identity type, resource type) of type_name, None when absent."""
    ids = {}
    try:
        ids = p.call("GetResourceIdentitySchemas").identity_schemas
    except CallError:
        pass
    res = sch.resource_schemas.get(type_name)
    id_type = schema.identity_type(ids[type_name]) if type_name in ids \
        else None
    res_type = schema.block_from_proto(res.block).implied_type() \
        if res is not None else None
    return id_type, res_type


def _import_read(p, type_name, ev, res_type):
    """Terraform's `import { identity = ... }`: ImportResourceState by the
    event's identity, then ReadResource of what it returned. The read
    state (decoded), or None."""
    req = p.request("ImportResourceState", type_name=type_name)
    req.identity.identity_data.msgpack = ev.identity.identity_data.msgpack
    imp = p.call("ImportResourceState", request=req)
    if any(d.severity == 1 for d in imp.diagnostics) or \
            not imp.imported_resources:
        return None
    ir = imp.imported_resources[0]
    rd = p.request("ReadResource", type_name=type_name, private=ir.private)
    rd.current_state.CopyFrom(ir.state)
    if ir.HasField("identity"):
        rd.current_identity.CopyFrom(ir.identity)
    rs = p.call("ReadResource", request=rd)
    if any(d.severity == 1 for d in rs.diagnostics) or \
            not rs.new_state.msgpack:
        return None
    return values.decode(rs.new_state.msgpack, res_type)


def cmd_list(p, args):
    sch = p.call("GetProviderSchema")
    req, has_list = _list_request(p, args, sch)
    events, code, details, secs = p.stream("ListResource", request=req,
                                           timeout=args.timeout)
    out = _status(code, details, secs)
    out["has_list_schema"] = has_list
    id_type, res_type = _types(p, sch, args.type_name)
    out["has_identity_schema"] = id_type is not None
    decoded = [_decode_event(e, id_type, res_type) for e in events]
    out["events"] = json.loads(json.dumps(decoded, default=repr))
    problems = []
    if id_type is not None:
        problems += checker.check_list_events(
            decoded, id_type, res_type, args.include_object, args.limit)
    if not has_list:
        problems += checker.check_list_unknown_type(decoded)
    if args.check_read and res_type is not None:
        reads = [_import_read(p, args.type_name, e, res_type)
                 if "resource_object" in d else None
                 for e, d in zip(events, decoded)]
        problems += checker.check_list_matches_read(decoded, reads, res_type)
        out["reads_checked"] = sum(1 for r in reads if r is not None)
    out["problems"] = [pr._asdict() for pr in problems]
    return out


def cmd_list_stop(p, args):
    """StopProvider once --after events arrived; the stream must end."""
    sch = p.call("GetProviderSchema")
    req, _ = _list_request(p, args, sch)
    it = p.stream_iter("ListResource", request=req, timeout=args.timeout)
    before = after = 0
    t_stop = None
    code, details = None, ""
    try:
        for _ in it:
            if t_stop is None:
                before += 1
                if before == args.after:
                    t_stop = time.monotonic()
                    p.call("StopProvider")
            else:
                after += 1
        code, details = it.code(), it.details()
    except grpc.RpcError as e:
        code, details = e.code(), e.details()
    end = time.monotonic()
    out = {"status": code.name if code else None, "details": details,
           "events_before_stop": before, "events_after_stop": after,
           "stopped": t_stop is not None,
           "seconds_after_stop": round(end - t_stop, 4) if t_stop else None}
    problems = [] if t_stop is None else checker.check_list_stopped(
        before, after, args.total, out["status"], end - t_stop)
    if t_stop is None:
        problems = [checker.Problem("list-stop", "(root)", "the list ended "
                                    "after %d events, before the stop"
                                    % before)]
    out["problems"] = [pr._asdict() for pr in problems]
    return out


TF_LXD = "registry.terraform.io/terraform-lxd/lxd"


def _fixture(args):
    """(entry, instance attributes JSON text, schema version) of FILE."""
    with open(args.file) as f:
        doc = json.load(f)
    entries = doc.get("resources", [doc])
    if args.name:
        entries = [e for e in entries if e["name"] == args.name]
    if len(entries) != 1:
        raise ValueError("%s: %d resource entries match; use --name"
                         % (args.file, len(entries)))
    inst = entries[0]["instances"][0]
    attrs = dict(inst["attributes"])
    attrs.update(json.loads(args.set or "{}"))
    version = inst["schema_version"] if args.version is None \
        else args.version
    return entries[0], json.dumps(attrs).encode(), version


def _stored(p, rule, type_name, out, reply, dv_field, private_field=None):
    """Decode a returned state with the resource's schema and check it."""
    if reply is None:
        return out
    del out["reply"]
    out["errors"] = [d.summary for d in reply.diagnostics
                     if d.severity == 1]
    out["details"] = [d.detail for d in reply.diagnostics]
    res = p.call("GetProviderSchema").resource_schemas[type_name]
    block = schema.block_from_proto(res.block)
    dv = getattr(reply, dv_field)
    present = reply.HasField(dv_field) and len(dv.msgpack) > 0
    state = values.decode(dv.msgpack, block.implied_type()) \
        if present else None
    out["state"] = json.loads(values.to_json(state)) if present else None
    if private_field:
        out["private"] = getattr(reply, private_field).decode(
            "utf-8", "replace")
    if not out["errors"]:
        out["problems"] = [pr._asdict() for pr in checker.check_stored_state(
            rule, block, state, present)]
    return out


def cmd_move(p, args):
    entry, raw, version = _fixture(args)
    req = p.request("MoveResourceState",
                    source_provider_address=args.source_address,
                    source_type_name=args.source_type or entry["type"],
                    source_schema_version=version,
                    target_type_name=args.target_type)
    req.source_state.json = raw
    out, reply = _call(p, "MoveResourceState", req)
    out = _stored(p, "moved-state", args.target_type, out, reply,
                  "target_state", "target_private")
    if reply is not None and reply.HasField("target_identity"):
        ids = p.call("GetResourceIdentitySchemas").identity_schemas
        out["identity"] = json.loads(values.to_json(values.decode(
            reply.target_identity.identity_data.msgpack,
            schema.identity_type(ids[args.target_type]))))
    elif reply is not None:
        out["identity"] = None
    return out


def cmd_upgrade(p, args):
    _, raw, version = _fixture(args)
    req = p.request("UpgradeResourceState", type_name=args.type_name,
                    version=version)
    req.raw_state.json = raw
    out, reply = _call(p, "UpgradeResourceState", req)
    return _stored(p, "upgraded-state", args.type_name, out, reply,
                   "upgraded_state")


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
    ap.add_argument("--configure", metavar="JSON",
                    help="ConfigureProvider with these provider attributes "
                    "first (as Terraform does before any resource call)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="extra environment for the provider")
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
    for name, fn in (("list", cmd_list), ("list-stop", cmd_list_stop)):
        ls = sub.add_parser(name)
        ls.add_argument("type_name")
        ls.add_argument("--limit", type=int, default=100)
        ls.add_argument("--include-object", action="store_true")
        ls.add_argument("--config", help="config attributes as JSON")
        ls.add_argument("--timeout", type=float, default=120)
        if name == "list":
            ls.add_argument("--check-read", action="store_true",
                            help="import each listed object by identity, "
                            "read it, compare with resource_object")
        else:
            ls.add_argument("--after", type=int, required=True,
                            help="StopProvider after this many events")
            ls.add_argument("--total", type=int, required=True,
                            help="objects the list would have without it")
        ls.set_defaults(fn=fn)
    for cmd, fn in (("move", cmd_move), ("upgrade", cmd_upgrade)):
        m = sub.add_parser(cmd)
        m.add_argument("target_type" if cmd == "move" else "type_name")
        m.add_argument("file")
        m.add_argument("--name")
        m.add_argument("--version", type=int)
        m.add_argument("--set", help="JSON object merged into the "
                       "attributes")
        if cmd == "move":
            m.add_argument("--source-type")
            m.add_argument("--source-address", default=TF_LXD)
        m.set_defaults(fn=fn)
    v = sub.add_parser("validate")
    v.add_argument("type_name")
    v.add_argument("--config", help="attributes and blocks as JSON")
    caps = v.add_mutually_exclusive_group()
    caps.add_argument("--write-only-allowed", action="store_true",
                      help="announce write-only support (Terraform 1.11+)")
    caps.add_argument("--no-capabilities", action="store_true",
                      help="send no client_capabilities at all")
    v.set_defaults(fn=cmd_validate)
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
                           env=dict(kv.split("=", 1) for kv in args.env),
                           tls=not args.no_tls)
    except Exception as e:  # noqa: BLE001 - report any start failure
        print("tfclient: provider did not start: %s" % e, file=sys.stderr)
        return 1
    try:
        if args.configure:
            configure(p, args.configure)
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

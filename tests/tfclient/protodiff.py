#!/usr/bin/env python3
"""protodiff.py OURS.proto THEIRS.proto [--all] [--omit PREFIX ...]

Compares two tfplugin6 proto files field by field (through protoc's
descriptor sets, so comments and layout do not matter) and prints every
difference: a message, field, enum value or RPC present on one side only,
or one whose number, type, label or streaming differs. A field that is a
proto3 `optional` on one side and a single-field oneof of the same name
(with a leading underscore) on the other counts as equal: that is what
`optional` means on the wire.

THEIRS' messages, fields and RPCs that our proto leaves out on purpose
(state stores and actions, see its header comment: OMITTED below) are not
reported unless --all is given; --omit PREFIX adds a name prefix to skip
(for an RPC, the method name). Exits 1 when there are differences, 0
otherwise. Needs protoc (Debian protobuf-compiler) and
python3-protobuf. A developer's tool: Terraform's proto is not part of
this repository, so nothing runs it automatically.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

F = descriptor_pb2.FieldDescriptorProto

# What proto/tfplugin6.proto leaves out of 6.10 on purpose (its header
# says why): state stores and actions.
OMITTED = (
    "ActionSchema", "PlanAction", "InvokeAction", "ValidateActionConfig",
    "GetMetadata.ActionMetadata", "GetMetadata.Response.actions",
    "GetProviderSchema.Response.action_schemas",
    "ValidateStateStore", "ConfigureStateStore", "ReadStateBytes",
    "WriteStateBytes", "LockState", "UnlockState", "GetStates",
    "DeleteState", "StateRange", "RequestChunkMeta", "StateStore",
    "GetMetadata.StateStoreMetadata", "GetMetadata.Response.state_stores",
    "GetProviderSchema.Response.state_store_schemas",
)


def load(path):
    """FileDescriptorProto of `path` (imports resolved from its directory
    and, for google/protobuf/*, from protoc's bundled includes)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(os.path.join(src, "google", "protobuf"))
        shutil.copy(path, os.path.join(src, "subject.proto"))
        ts = os.path.join(os.path.dirname(os.path.abspath(path)),
                          "google", "protobuf", "timestamp.proto")
        if os.path.exists(ts):
            shutil.copy(ts, os.path.join(src, "google", "protobuf"))
        else:
            with open(os.path.join(src, "google", "protobuf",
                                   "timestamp.proto"), "w") as f:
                f.write('syntax = "proto3";\npackage google.protobuf;\n'
                        'message Timestamp { int64 seconds = 1; '
                        'int32 nanos = 2; }\n')
        out = os.path.join(tmp, "set.pb")
        subprocess.run(["protoc", "-I" + src, "--descriptor_set_out=" + out,
                        "subject.proto"], check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    return fds.file[0]


def flatten(fd):
    """{full name: description} for every message, field, enum value and
    method of one file."""
    items = {}

    def field_desc(msg, fld):
        oneof = ""
        if fld.HasField("oneof_index"):
            name = msg.oneof_decl[fld.oneof_index].name
            synthetic = fld.proto3_optional or name == "_" + fld.name
            oneof = "" if synthetic else " oneof " + name
        return "%d %s %s%s%s" % (fld.number, F.Label.Name(fld.label),
                                 F.Type.Name(fld.type),
                                 " " + fld.type_name if fld.type_name else "",
                                 oneof)

    def walk_msg(prefix, msg):
        name = prefix + msg.name
        items[name] = "message"
        for fld in msg.field:
            items[name + "." + fld.name] = field_desc(msg, fld)
        for r in msg.reserved_range:
            for n in range(r.start, r.end):
                items["%s.<reserved %d>" % (name, n)] = "reserved"
        for e in msg.enum_type:
            walk_enum(name + ".", e)
        for sub in msg.nested_type:
            if not sub.options.map_entry:
                walk_msg(name + ".", sub)

    def walk_enum(prefix, enum):
        for v in enum.value:
            items[prefix + enum.name + "." + v.name] = str(v.number)

    for m in fd.message_type:
        walk_msg("", m)
    for e in fd.enum_type:
        walk_enum("", e)
    for s in fd.service:
        for m in s.method:
            items["rpc " + s.name + "." + m.name] = "%s -> %s%s%s" % (
                m.input_type, "stream " if m.server_streaming else "",
                m.output_type, " (client stream)" if m.client_streaming
                else "")
    return items


def diff(ours, theirs, omit=()):
    """Lines describing the differences (empty when equal)."""
    out = []
    a, b = flatten(ours), flatten(theirs)

    def omitted(name):
        if name.startswith("rpc "):
            name = name.rsplit(".", 1)[1]
        return any(name.startswith(p) for p in omit)

    for name in sorted(set(a) | set(b)):
        if name.endswith(">") and "<reserved" in name:
            continue  # ours may reserve numbers theirs uses (omitted)
        if name not in b:
            out.append("only in ours:   %s (%s)" % (name, a[name]))
        elif name not in a:
            if not omitted(name):
                out.append("only in theirs: %s (%s)" % (name, b[name]))
        elif a[name] != b[name]:
            out.append("differs:        %s: ours %s, theirs %s"
                       % (name, a[name], b[name]))
    return out


def main(argv):
    args, omit, everything = [], [], False
    it = iter(argv[1:])
    for x in it:
        if x == "--omit":
            omit.append(next(it))
        elif x == "--all":
            everything = True
        else:
            args.append(x)
    if not everything:
        omit.extend(OMITTED)
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lines = diff(load(args[0]), load(args[1]), omit)
    for line in lines:
        print(line)
    print("protodiff: %d difference(s)" % len(lines))
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

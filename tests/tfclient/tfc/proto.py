"""Generated protobuf modules for proto/tfplugin6.proto and
proto/grpc_controller.proto, built with `protoc --python_out` into a
temporary directory at first use (removed at exit; never committed).

load() returns a namespace with `tfplugin6` and `plugin` (the generated
modules). Needs protoc (Debian protobuf-compiler) and python3-protobuf.
"""
import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import types

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         "..", "..", ".."))
PROTO_DIR = os.path.join(REPO_ROOT, "proto")
FILES = ("tfplugin6.proto", "grpc_controller.proto")

_loaded = None


class ProtoError(Exception):
    pass


def load(proto_dir=PROTO_DIR):
    """Compile (once per process) and import the generated modules."""
    global _loaded
    if _loaded is not None:
        return _loaded
    if not shutil.which("protoc"):
        raise ProtoError("protoc not found (Debian package protobuf-compiler)")
    out = tempfile.mkdtemp(prefix="tfclient-pb-")
    atexit.register(shutil.rmtree, out, True)
    # Only our two files are generated: google/protobuf/timestamp.proto
    # resolves (for protoc) to the stand-in under proto/, and (for Python)
    # to python3-protobuf's own timestamp_pb2, which is wire-compatible.
    cmd = ["protoc", "-I" + proto_dir, "--python_out=" + out]
    cmd += [os.path.join(proto_dir, f) for f in FILES]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise ProtoError("protoc failed: " + r.stderr.strip())
    sys.path.insert(0, out)
    try:
        tf = importlib.import_module("tfplugin6_pb2")
        ctl = importlib.import_module("grpc_controller_pb2")
    finally:
        sys.path.remove(out)
    _loaded = types.SimpleNamespace(tfplugin6=tf, plugin=ctl)
    return _loaded

#!/usr/bin/env python3
"""fakeplugin.py — a stand-in provider for the client's own tests: a
go-plugin server in Python (cookie check, AutoMTLS with a certificate of
go-plugin's recipe, unix socket, handshake line, GRPCController.Shutdown)
that serves a tiny tfplugin6 subset:

  GetProviderSchema   one resource "fake_thing" (id computed, name required)
  GetResourceIdentitySchemas   fake_thing: {name}
  ListResource        two events for fake_thing (the second without an
                      identity when FAKE_MODE=noident)
  anything else       UNIMPLEMENTED

FAKE_MODE selects a misbehaviour: padded (the handshake certificate keeps
its '=' padding), nosan (certificate without subjectAltName), hang (keeps
running after Shutdown), nocookie-ok (skips the cookie check).
"""
import base64
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from concurrent import futures  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from tfc import mtls, proto, values  # noqa: E402
from tfc.plugin import MAGIC_COOKIE, MAGIC_COOKIE_KEY  # noqa: E402

MODE = os.environ.get("FAKE_MODE", "")
LIFETIME = 120  # seconds: never outlive a test run that lost track of us
PB = proto.load().tfplugin6
done = threading.Event()


def server_cert():
    if MODE != "nosan":
        while True:
            cert_pem, key_pem, cert = mtls.make_client_cert(ec.SECP256R1())
            der = cert.public_bytes(serialization.Encoding.DER)
            # "padded" needs a DER length whose base64 has padding.
            if MODE != "padded" or len(der) % 3:
                return cert_pem, key_pem, cert
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()), cert)


def schema_reply():
    S = PB.Schema
    r = PB.GetProviderSchema.Response()
    r.provider.block.SetInParent()
    r.resource_schemas["fake_thing"].block.attributes.extend([
        S.Attribute(name="id", type=b'"string"', computed=True),
        S.Attribute(name="name", type=b'"string"', required=True)])
    return r


def identity_reply():
    R = PB.ResourceIdentitySchema
    r = PB.GetResourceIdentitySchemas.Response()
    r.identity_schemas["fake_thing"].identity_attributes.append(
        R.IdentityAttribute(name="name", type=b'"string"',
                            required_for_import=True))
    return r


def list_events(req):
    id_t = ["object", {"name": "string"}]
    for i, name in enumerate(("a", "b")):
        ev = PB.ListResource.Event(display_name=name)
        if not (MODE == "noident" and i == 1):
            ev.identity.identity_data.msgpack = values.encode({"name": name},
                                                              id_t)
        yield ev


class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        m = details.method
        if m == "/plugin.GRPCController/Shutdown":
            def shutdown(req, ctx):
                done.set()
                return b""
            return grpc.unary_unary_rpc_method_handler(shutdown)
        if m == "/tfplugin6.Provider/GetProviderSchema":
            return grpc.unary_unary_rpc_method_handler(
                lambda req, ctx: schema_reply().SerializeToString())
        if m == "/tfplugin6.Provider/GetResourceIdentitySchemas":
            return grpc.unary_unary_rpc_method_handler(
                lambda req, ctx: identity_reply().SerializeToString())
        if m == "/tfplugin6.Provider/ListResource":
            return grpc.unary_stream_rpc_method_handler(
                lambda req, ctx: (e.SerializeToString()
                                  for e in list_events(req)))
        return None  # UNIMPLEMENTED


def main():
    if MODE != "nocookie-ok" and \
            os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE:
        print("not meant to be run directly", file=sys.stderr)
        return 1
    if "6" not in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(","):
        return 1
    tmp = tempfile.mkdtemp(prefix="fakeplugin-")
    path = os.path.join(tmp, "plugin.sock")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((Handler(),))
    client_pem = os.environ.get("PLUGIN_CLIENT_CERT", "").encode()
    field = ""
    if client_pem:
        cert_pem, key_pem, cert = server_cert()
        creds = grpc.ssl_server_credentials(
            [(key_pem, cert_pem)], root_certificates=client_pem,
            require_client_auth=True)
        server.add_secure_port("unix:" + path, creds)
        der = cert.public_bytes(serialization.Encoding.DER)
        field = base64.b64encode(der).decode()
        if MODE != "padded":
            field = field.rstrip("=")
    else:
        server.add_insecure_port("unix:" + path)
    server.start()
    sys.stdout.write("1|6|unix|%s|grpc|%s\n" % (path, field))
    sys.stdout.flush()
    done.wait(LIFETIME)
    if MODE == "hang":
        threading.Event().wait(30)
    server.stop(0.5).wait()
    if os.path.exists(path):
        os.unlink(path)
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

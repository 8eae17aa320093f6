"""tfc.plugin against fakeplugin.py (a go-plugin server in Python): the
whole path Terraform takes — environment, handshake, certificate checks,
mutual TLS over the unix socket, unary and streaming calls, UNIMPLEMENTED,
Shutdown and exit — and the failures the client must report (padded or
SAN-less certificate, a plugin that does not exit after Shutdown, no
cookie). The real provider binary is exercised the same way by
tests/e2e/test_protocol_client.sh."""
import os
import stat
import sys
import tempfile
import unittest

import grpc

from tfc import checker, mtls, schema, values
from tfc.plugin import CallError, PluginError, Provider

HERE = os.path.dirname(os.path.abspath(__file__))


class Fake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.bin = os.path.join(cls.tmp.name, "fake")
        with open(cls.bin, "w") as f:
            f.write("#!/bin/sh\nexec '%s' '%s' \"$@\"\n"
                    % (sys.executable, os.path.join(HERE, "fakeplugin.py")))
        os.chmod(cls.bin, stat.S_IRWXU)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def start(self, mode="", **kw):
        p = Provider.start(self.bin, "fake", env={"FAKE_MODE": mode},
                           timeout=20, **kw)
        self.addCleanup(p.kill)  # even when an assertion fails
        return p

    def test_round_trip(self):
        with self.start() as p:
            self.assertEqual(p.handshake.app, 6)
            self.assertEqual(p.server_cert.public_key().curve.name,
                             "secp256r1")
            s = p.call("GetProviderSchema")
            self.assertIn("fake_thing", s.resource_schemas)
            ids = p.call("GetResourceIdentitySchemas").identity_schemas
            id_t = schema.identity_type(ids["fake_thing"])
            events, code, _, _ = p.stream("ListResource",
                                          type_name="fake_thing", limit=10)
            self.assertEqual(code, grpc.StatusCode.OK)
            idents = [values.decode(e.identity.identity_data.msgpack, id_t)
                      for e in events]
            self.assertEqual(idents, [{"name": "a"}, {"name": "b"}])
            with self.assertRaises(CallError) as cm:
                p.call("ReadResource", type_name="fake_thing")
            self.assertEqual(cm.exception.code,
                             grpc.StatusCode.UNIMPLEMENTED)
            code, _, _, _ = p.raw_call("/no.Such/Method")
            self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
            address = p.handshake.address
            self.assertEqual(p.shutdown(), 0)
            self.assertFalse(os.path.exists(address))

    def test_plaintext(self):
        with self.start(tls=False) as p:
            self.assertEqual(p.handshake.cert, "")
            self.assertIsNone(p.server_cert)
            p.call("GetProviderSchema")
            self.assertEqual(p.shutdown(), 0)

    def test_listing_checker_sees_missing_identity(self):
        with self.start("noident") as p:
            ids = p.call("GetResourceIdentitySchemas").identity_schemas
            id_t = schema.identity_type(ids["fake_thing"])
            events, _, _, _ = p.stream("ListResource",
                                       type_name="fake_thing", limit=10)
            decoded = [{"identity": values.decode(
                e.identity.identity_data.msgpack, id_t)
                if e.HasField("identity") else None, "errors": [],
                "warnings": []} for e in events]
            probs = checker.check_list_events(decoded, id_t)
            self.assertEqual([(x.rule, x.path) for x in probs],
                             [("list-identity", "event[1]")])
            p.shutdown()

    def test_padded_certificate_refused(self):
        with self.assertRaisesRegex(mtls.CertError, "illegal character"):
            self.start("padded")

    def test_certificate_without_san_refused(self):
        with self.assertRaisesRegex(mtls.CertError, "subjectAltName"):
            self.start("nosan")

    def test_plugin_that_stays_up_after_shutdown(self):
        p = self.start("hang")
        with self.assertRaisesRegex(PluginError, "still running"):
            p.shutdown(wait=1.0)
        self.assertIsNotNone(p.proc.poll())  # killed

    def test_cookie_required(self):
        # The client sends the cookie; a launch without it is what the
        # plugin must refuse (checked here on the fake, on the real
        # provider by tests/e2e/handshake.sh).
        env = {"TF_PLUGIN_MAGIC_COOKIE": "wrong"}
        with self.assertRaisesRegex(PluginError, "exited before"):
            Provider.start(self.bin, "fake", env=env, timeout=20)


if __name__ == "__main__":
    unittest.main()

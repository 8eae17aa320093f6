"""tfc.handshake: go-plugin's reading of the handshake line."""
import unittest

from tfc import handshake as H

CERT = "M" * 60


class Parse(unittest.TestCase):
    def test_terraform_form(self):
        h = H.parse("1|6|unix|/tmp/plugin1/plugin.sock|grpc|%s\n" % CERT)
        self.assertEqual((h.core, h.app, h.network, h.address, h.protocol),
                         (1, 6, "unix", "/tmp/plugin1/plugin.sock", "grpc"))
        self.assertEqual(h.cert, CERT)
        self.assertIsNone(h.multiplex)

    def test_plaintext_has_empty_cert(self):
        self.assertEqual(H.parse("1|6|unix|/s|grpc|").cert, "")

    def test_rejections(self):
        bad = {
            "hello": "Unrecognized",
            "2|6|unix|/s|grpc|": "core API",
            "1|x|unix|/s|grpc|": "protocol version",
            "1|7|unix|/s|grpc|": "Incompatible API",
            "1|6|udp|/s|grpc|": "address type",
            "1|6|unix|rel/s|grpc|": "absolute",
            "1|6|unix|/s|netrpc|": "Unsupported plugin protocol",
            "1|6|unix|/s": "Unsupported plugin protocol",
            "1|6|unix|/s|grpc|c|m|x": "too many",
        }
        for line, why in bad.items():
            with self.assertRaisesRegex(H.HandshakeError, why, msg=line):
                H.parse(line)

    def test_offered_versions(self):
        self.assertEqual(H.parse("1|5|tcp|127.0.0.1:10001|grpc|").app, 5)
        with self.assertRaises(H.HandshakeError):
            H.parse("1|5|unix|/s|grpc|", offered=(6,))


if __name__ == "__main__":
    unittest.main()

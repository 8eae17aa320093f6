"""tfc.mtls: the client certificate follows go-plugin's recipe; the server
certificate checks accept what go-plugin accepts and reject what it
rejects (padded base64, no SAN, wrong SAN, serverAuth not allowed,
expired)."""
import base64
import datetime
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tfc import mtls

NOW = datetime.datetime.now(datetime.timezone.utc)


def cert(san=("localhost",), eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
         not_before=None, days=1):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    nb = not_before or NOW - datetime.timedelta(minutes=1)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(key.public_key()).serial_number(1)
         .not_valid_before(nb).not_valid_after(nb + datetime.timedelta(
             days=days)))
    if san is not None:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(s) for s in san]), critical=False)
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    return b.sign(key, hashes.SHA256())


def raw_b64(c):
    der = c.public_bytes(serialization.Encoding.DER)
    return base64.b64encode(der).decode().rstrip("=")


class ClientCert(unittest.TestCase):
    def test_recipe(self):
        pem, key_pem, c = mtls.make_client_cert()
        self.assertTrue(pem.startswith(b"-----BEGIN CERTIFICATE-----"))
        self.assertIn(b"PRIVATE KEY", key_pem)
        self.assertEqual(c.public_key().curve.name, "secp521r1")
        self.assertEqual(c.subject, c.issuer)
        self.assertEqual(c.subject.get_attributes_for_oid(
            NameOID.COMMON_NAME)[0].value, "localhost")
        self.assertEqual(c.subject.get_attributes_for_oid(
            NameOID.ORGANIZATION_NAME)[0].value, "HashiCorp")
        ext = c.extensions
        self.assertTrue(ext.get_extension_for_class(
            x509.BasicConstraints).value.ca)
        ku = ext.get_extension_for_class(x509.KeyUsage).value
        self.assertTrue(ku.digital_signature and ku.key_encipherment and
                        ku.key_agreement and ku.key_cert_sign)
        eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
        self.assertEqual(set(eku), {ExtendedKeyUsageOID.CLIENT_AUTH,
                                    ExtendedKeyUsageOID.SERVER_AUTH})
        self.assertEqual(ext.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName), ["localhost"])
        self.assertLessEqual(c.serial_number.bit_length(), 128)
        self.assertEqual(c.not_valid_after - c.not_valid_before,
                         datetime.timedelta(hours=262980))
        # Measured from after the certificate was made (NOW is the module's
        # import time, which a loaded machine may put seconds earlier).
        after = datetime.datetime.now(datetime.timezone.utc)
        age = after.replace(tzinfo=None) - c.not_valid_before
        self.assertTrue(datetime.timedelta(seconds=29) <= age <=
                        datetime.timedelta(seconds=60), age)
        # Accepted by our own server-side checks too (same recipe).
        mtls.check_server_cert(c)

    def test_fresh_each_time(self):
        a = mtls.make_client_cert()[2]
        b = mtls.make_client_cert()[2]
        self.assertNotEqual(a.serial_number, b.serial_number)


class ServerCert(unittest.TestCase):
    def test_accepts_unpadded_base64_with_localhost(self):
        c = cert()
        got = mtls.server_cert_from_handshake(raw_b64(c))
        self.assertEqual(got, c)
        mtls.check_server_cert(got)

    def test_padding_rejected_as_go_does(self):
        for n in range(4):  # some DER lengths need padding, find one
            c = cert(san=("localhost",) + ("x" * n,))
            der = c.public_bytes(serialization.Encoding.DER)
            if len(der) % 3:
                break
        padded = base64.b64encode(der).decode()
        self.assertTrue(padded.endswith("="))
        with self.assertRaisesRegex(mtls.CertError, "illegal character"):
            mtls.server_cert_from_handshake(padded)

    def test_garbage_rejected(self):
        with self.assertRaises(mtls.CertError):
            mtls.server_cert_from_handshake("AAAA")
        with self.assertRaises(mtls.CertError):
            mtls.server_cert_from_handshake("A")

    def test_san_required(self):
        with self.assertRaisesRegex(mtls.CertError, "subjectAltName"):
            mtls.check_server_cert(cert(san=None))
        with self.assertRaisesRegex(mtls.CertError, "localhost"):
            mtls.check_server_cert(cert(san=("example.com",)))

    def test_server_auth_required_when_restricted(self):
        with self.assertRaisesRegex(mtls.CertError, "serverAuth"):
            mtls.check_server_cert(cert(
                eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)))
        mtls.check_server_cert(cert(eku=None))

    def test_validity(self):
        old = NOW - datetime.timedelta(days=10)
        with self.assertRaisesRegex(mtls.CertError, "not valid now"):
            mtls.check_server_cert(cert(not_before=old, days=1))


if __name__ == "__main__":
    unittest.main()

"""go-plugin's AutoMTLS, client side.

make_client_cert() follows go-plugin's certificate recipe (what Terraform
puts in PLUGIN_CLIENT_CERT): a fresh ECDSA P-521 key, a self-signed
certificate with O=HashiCorp, CN=localhost, SAN DNS:localhost, CA=true,
key usage digitalSignature|keyEncipherment|keyAgreement|keyCertSign,
extended key usage clientAuth+serverAuth, a random 128-bit serial, valid
from 30 s ago for 262980 hours.

server_cert_from_handshake() and check_server_cert() do what go-plugin's
client does with the handshake's certificate field: decode it as standard
base64 WITHOUT padding (Go's RawStdEncoding rejects '='), parse the DER,
and trust that certificate alone as the root for a TLS connection to the
server name "localhost" (so the SAN must name localhost, the certificate
must be valid now and, if it restricts extended key usage, allow
serverAuth).
"""
import base64
import datetime
import os
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BACKDATE = datetime.timedelta(seconds=30)
LIFETIME = datetime.timedelta(hours=262980)
_RAW_B64 = re.compile(r"^[A-Za-z0-9+/]*$")


class CertError(Exception):
    pass


def make_client_cert(curve=None, now=None):
    """(certificate PEM, private key PEM, certificate) as bytes, bytes,
    x509.Certificate."""
    curve = curve or ec.SECP521R1()
    key = ec.generate_private_key(curve)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_before = now - BACKDATE
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
        x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
    ])
    serial = int.from_bytes(os.urandom(16), "big") or 1
    digest = hashes.SHA512() if isinstance(curve, ec.SECP521R1) \
        else hashes.SHA256()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_before + LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                       critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=True, data_encipherment=False,
            key_agreement=True, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost")]), critical=False)
        .sign(key, digest)
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert_pem, key_pem, cert


def decode_raw_base64(text):
    """Standard-alphabet base64 without padding, strictly (as Go's
    base64.RawStdEncoding): no '=', no other characters, and a length
    that is not 1 modulo 4."""
    if not _RAW_B64.match(text):
        bad = next(c for c in text if not re.match(r"[A-Za-z0-9+/]", c))
        raise CertError("certificate field is not unpadded base64: "
                        "illegal character %r at input byte %d"
                        % (bad, text.index(bad)))
    if len(text) % 4 == 1:
        raise CertError("certificate field has an impossible base64 length")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def server_cert_from_handshake(field):
    """The server certificate from the handshake's 6th field."""
    der = decode_raw_base64(field)
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as e:
        raise CertError("error parsing server cert: %s" % e) from None


def check_server_cert(cert, now=None):
    """Raise CertError unless go-plugin's client would accept `cert` as
    the only root for a connection to "localhost"."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    naive_now = now.replace(tzinfo=None)
    if not (cert.not_valid_before <= naive_now <= cert.not_valid_after):
        raise CertError("server certificate not valid now (%s .. %s)"
                        % (cert.not_valid_before, cert.not_valid_after))
    try:
        san = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise CertError("server certificate has no subjectAltName: Go "
                        "ignores the CN, so 'localhost' does not match")
    if "localhost" not in san.get_values_for_type(x509.DNSName):
        raise CertError("server certificate SAN %s does not name localhost"
                        % san.get_values_for_type(x509.DNSName))
    try:
        eku = cert.extensions.get_extension_for_class(
            x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.SERVER_AUTH not in eku and \
                ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku:
            raise CertError("server certificate's extended key usage does "
                            "not allow serverAuth")
    except x509.ExtensionNotFound:
        pass
    return cert


def cert_facts(cert):
    """A JSON-friendly summary of a certificate (for reports)."""
    pub = cert.public_key()
    facts = {
        "subject": cert.subject.rfc4514_string(),
        "serial_bits": cert.serial_number.bit_length(),
        "not_before": cert.not_valid_before.isoformat() + "Z",
        "not_after": cert.not_valid_after.isoformat() + "Z",
        "key": type(pub).__name__,
    }
    if isinstance(pub, ec.EllipticCurvePublicKey):
        facts["curve"] = pub.curve.name
    try:
        facts["san_dns"] = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName)
    except x509.ExtensionNotFound:
        facts["san_dns"] = []
    try:
        facts["ca"] = cert.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        facts["ca"] = False
    return facts

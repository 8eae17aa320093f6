"""The go-plugin handshake line, as go-plugin's client reads it.

The first stdout line, trimmed, split on '|':
    CORE | APP | NETWORK | ADDRESS | PROTOCOL | CERT [| MULTIPLEX]
CORE must be 1; APP one of the protocol versions offered in
PLUGIN_PROTOCOL_VERSIONS; NETWORK unix or tcp; PROTOCOL grpc (the only
one Terraform allows); CERT, when longer than 50 characters, the server
certificate (unpadded base64 DER); a 7th field only with
PLUGIN_MULTIPLEX_GRPC.
"""
import collections

Handshake = collections.namedtuple(
    "Handshake", "core app network address protocol cert multiplex")


class HandshakeError(Exception):
    pass


def parse(line, offered=(5, 6)):
    """Parse and check one handshake line; returns a Handshake."""
    text = line.strip()
    parts = text.split("|")
    if len(parts) < 4:
        raise HandshakeError("Unrecognized remote plugin message: %r" % text)
    if parts[0] != "1":
        raise HandshakeError("Incompatible core API version with plugin. "
                             "Plugin version: %s, Core version: 1" % parts[0])
    try:
        app = int(parts[1])
    except ValueError:
        raise HandshakeError("Error parsing protocol version %r" % parts[1])
    if app not in offered:
        raise HandshakeError("Incompatible API version with plugin: "
                             "%d not in %s" % (app, list(offered)))
    network, address = parts[2], parts[3]
    if network not in ("unix", "tcp"):
        raise HandshakeError("Unknown address type: %s" % network)
    if network == "unix" and not address.startswith("/"):
        raise HandshakeError("unix socket address %r is not absolute"
                             % address)
    protocol = parts[4] if len(parts) > 4 else "netrpc"
    if protocol != "grpc":
        raise HandshakeError("Unsupported plugin protocol %r. Supported: "
                             "[grpc]" % protocol)
    cert = parts[5] if len(parts) > 5 else ""
    if len(parts) > 7:
        raise HandshakeError("too many handshake fields (%d)" % len(parts))
    multiplex = parts[6] if len(parts) > 6 else None
    return Handshake(1, app, network, address, protocol, cert, multiplex)

"""Launch the provider binary as Terraform (go-plugin) does and talk to it.

    with Provider.start(binary, "lxd") as p:
        schema = p.call("GetProviderSchema")
        events, status = p.stream("ListResource", type_name="lxd_x")
        code = p.shutdown()      # GRPCController.Shutdown; exit code

start() adds go-plugin's variables to the environment
(TF_PLUGIN_MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS=5,6,
PLUGIN_MIN_PORT/PLUGIN_MAX_PORT, PLUGIN_CLIENT_CERT with a fresh client
certificate), runs the binary with argv[0] terraform-provider-<type>_v0.1.0
(the provider picks its type from that name, as from the file name
Terraform installs), reads the first stdout line within 60 s, checks it
and the server certificate as go-plugin does, and connects over the unix
socket with mutual TLS (the handshake certificate the only root, server
name "localhost"). stderr goes to a file (stderr_text()).
"""
import os
import select
import subprocess
import tempfile
import time

import grpc

from . import handshake, mtls, proto

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE = \
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
HANDSHAKE_TIMEOUT = 60.0
EXIT_WAIT = 2.0  # go-plugin waits this long after Shutdown, then kills
SERVICE = "/tfplugin6.Provider/"
MAX_MESSAGE = 256 << 20

# RPCs whose reply is not <Name>.Response.
_REPLY = {"ListResource": "Event"}


class PluginError(Exception):
    pass


class CallError(Exception):
    """A call that ended with a non-OK gRPC status."""

    def __init__(self, method, code, details, seconds):
        super().__init__("%s: %s %s (%.3f s)" % (method, code.name, details,
                                                  seconds))
        self.method = method
        self.code = code
        self.details = details
        self.seconds = seconds


class Provider:
    def __init__(self):
        self.proc = None
        self.channel = None
        self.handshake = None
        self.server_cert = None
        self.client_cert = None
        self._tmp = None
        self._stderr = None
        self._stderr_saved = ""
        self.pb = proto.load()

    # ---------------------------------------------------------- life cycle

    @classmethod
    def start(cls, binary, provider_type="lxd", env=None, tls=True,
              timeout=HANDSHAKE_TIMEOUT):
        p = cls()
        try:
            p._launch(binary, provider_type, env or {}, tls, timeout)
        except BaseException:
            p.kill()
            raise
        return p

    def _launch(self, binary, provider_type, extra_env, tls, timeout):
        self._tmp = tempfile.TemporaryDirectory(prefix="tfclient-")
        env = dict(os.environ)
        env.update({
            MAGIC_COOKIE_KEY: MAGIC_COOKIE,
            "PLUGIN_PROTOCOL_VERSIONS": "5,6",
            "PLUGIN_MIN_PORT": "10000",
            "PLUGIN_MAX_PORT": "25000",
        })
        key_pem = cert_pem = None
        if tls:
            cert_pem, key_pem, self.client_cert = mtls.make_client_cert()
            env["PLUGIN_CLIENT_CERT"] = cert_pem.decode()
        else:
            env.pop("PLUGIN_CLIENT_CERT", None)
        env.update(extra_env)
        binary = os.path.abspath(binary)
        argv0 = "terraform-provider-%s_v0.1.0" % provider_type
        self._stderr = open(os.path.join(self._tmp.name, "stderr"), "w+b")
        self.proc = subprocess.Popen(
            [argv0], executable=binary, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=self._tmp.name)
        line = self._read_line(timeout)
        self.handshake = handshake.parse(line)
        if self.handshake.app != 6:
            raise PluginError("provider chose protocol %d, not 6"
                              % self.handshake.app)
        if self.handshake.network != "unix":
            raise PluginError("expected a unix socket, got %s"
                              % self.handshake.network)
        target = "unix:" + self.handshake.address
        options = [("grpc.max_receive_message_length", MAX_MESSAGE),
                   ("grpc.max_send_message_length", MAX_MESSAGE)]
        if tls:
            if len(self.handshake.cert) <= 50:
                raise PluginError("TLS requested but the handshake carries "
                                  "no certificate")
            self.server_cert = mtls.server_cert_from_handshake(
                self.handshake.cert)
            mtls.check_server_cert(self.server_cert)
            from cryptography.hazmat.primitives import serialization
            root = self.server_cert.public_bytes(serialization.Encoding.PEM)
            creds = grpc.ssl_channel_credentials(
                root_certificates=root, private_key=key_pem,
                certificate_chain=cert_pem)
            options.append(("grpc.ssl_target_name_override", "localhost"))
            self.channel = grpc.secure_channel(target, creds, options)
        else:
            self.channel = grpc.insecure_channel(target, options)
        grpc.channel_ready_future(self.channel).result(timeout=10)

    def _read_line(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PluginError("timeout while waiting for plugin to start")
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                rc = self.proc.wait(timeout=5)
                raise PluginError("plugin exited before the handshake "
                                  "(exit %s): %s" % (rc, self.stderr_text()))
            buf += chunk
        return buf.split(b"\n", 1)[0].decode()

    def stderr_text(self):
        """What the provider wrote on stderr (kept after it exited)."""
        if not self._stderr:
            return self._stderr_saved
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def shutdown(self, wait=EXIT_WAIT):
        """GRPCController.Shutdown, then wait for the process to exit
        (go-plugin's 2 s). Returns the exit code; raises PluginError if
        it is still running (it is then killed)."""
        method = "/plugin.GRPCController/Shutdown"
        empty = self.pb.plugin.Empty
        call = self.channel.unary_unary(
            method, request_serializer=empty.SerializeToString,
            response_deserializer=empty.FromString)
        try:
            call(empty(), timeout=5)
        except grpc.RpcError:
            pass  # go-plugin ignores the error too
        self.channel.close()
        self.channel = None
        try:
            rc = self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.kill()
            raise PluginError("plugin still running %.1f s after Shutdown"
                              % wait)
        self._close_files()
        return rc

    def kill(self):
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_files()

    def _close_files(self):
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr_saved = self.stderr_text()
            self._stderr.close()
            self._stderr = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    # ---------------------------------------------------------- calls

    def message(self, method, kind="Request"):
        """The generated class <method>.<kind> (e.g. ListResource.Event)."""
        return getattr(getattr(self.pb.tfplugin6, method), kind)

    def request(self, method, **fields):
        return self.message(method)(**fields)

    def call(self, method, request=None, timeout=30, **fields):
        """A unary tfplugin6 call; returns the reply message or raises
        CallError with the status."""
        req = request if request is not None else self.request(method,
                                                               **fields)
        reply = self.message(method, _REPLY.get(method, "Response"))
        fn = self.channel.unary_unary(
            SERVICE + method, request_serializer=type(req).SerializeToString,
            response_deserializer=reply.FromString)
        t0 = time.monotonic()
        try:
            return fn(req, timeout=timeout)
        except grpc.RpcError as e:
            raise CallError(method, e.code(), e.details(),
                            time.monotonic() - t0) from None

    def stream(self, method, request=None, timeout=30, **fields):
        """A server-streaming call (ListResource): (events, status code,
        details, seconds). A non-OK status is returned, not raised, since
        events may have come before it."""
        req = request if request is not None else self.request(method,
                                                               **fields)
        reply = self.message(method, _REPLY.get(method, "Response"))
        fn = self.channel.unary_stream(
            SERVICE + method, request_serializer=type(req).SerializeToString,
            response_deserializer=reply.FromString)
        events = []
        t0 = time.monotonic()
        it = fn(req, timeout=timeout)
        try:
            for ev in it:
                events.append(ev)
        except grpc.RpcError as e:
            return events, e.code(), e.details(), time.monotonic() - t0
        return events, it.code(), it.details(), time.monotonic() - t0

    def stream_iter(self, method, request, timeout=30):
        """A server-streaming call as grpc's iterator (iterate it, then
        .code(); .cancel() ends it from the client side)."""
        reply = self.message(method, _REPLY.get(method, "Response"))
        fn = self.channel.unary_stream(
            SERVICE + method,
            request_serializer=type(request).SerializeToString,
            response_deserializer=reply.FromString)
        return fn(request, timeout=timeout)

    def raw_call(self, path, payload=b"", timeout=30):
        """Any method path with raw bytes: (status code, details, reply
        bytes or None, seconds)."""
        fn = self.channel.unary_unary(path, request_serializer=None,
                                      response_deserializer=None)
        t0 = time.monotonic()
        try:
            out = fn(payload, timeout=timeout)
            return grpc.StatusCode.OK, "", out, time.monotonic() - t0
        except grpc.RpcError as e:
            return e.code(), e.details(), None, time.monotonic() - t0

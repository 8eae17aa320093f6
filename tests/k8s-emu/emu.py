#!/usr/bin/python3
"""k8s-emu: a Kubernetes API server emulator with a simulated Cluster API
controller, for tests. See README.md next to this file for the contract.

Usage: emu.py --dir WORKDIR [--crds DIR] [--controller-delay S] [--port N]
Writes WORKDIR/{ca.crt,...,kubeconfig,kubeconfig-token,token,port,pid} and,
last, WORKDIR/ready (the URL). Runs until SIGTERM/SIGINT.

A restart in the same WORKDIR is the same cluster: same CA, certificates,
token and port (WORKDIR/port, unless --port says otherwise), and the stored
objects come back from WORKDIR/state.json (see store.py), so a SIGKILL
loses nothing that was acknowledged.
"""

import argparse
import os
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree clean (no __pycache__)

import api  # noqa: E402
import controller  # noqa: E402
import faults as faultslib  # noqa: E402
import kinds  # noqa: E402
import store as storelib  # noqa: E402
import yaml  # noqa: E402


def log(msg):
    sys.stderr.write("[k8s-emu %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def write_atomic(path, data, mode=0o600):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(data)
    os.replace(tmp, path)


def openssl(*args):
    r = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60, check=False)
    if r.returncode != 0:
        raise SystemExit("k8s-emu: openssl %s failed: %s" % (args[0], r.stderr.decode(errors="replace")))


def make_certs(d):
    """CA, server and client certificates (kept if already present, so a
    restart in the same WORKDIR keeps kubeconfigs valid)."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    if all(os.path.exists(p(n)) for n in ("ca.crt", "ca.key", "server.crt", "server.key",
                                          "client.crt", "client.key")):
        return
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p("ca.key"),
            "-out", p("ca.crt"), "-days", "3650", "-subj", "/CN=k8s-emu-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, subj, ext in (
            ("server", "/CN=kube-apiserver",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
             "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"),
            ("client", "/O=system:masters/CN=emu-admin",
             "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"
             "keyUsage=critical,digitalSignature,keyEncipherment\n")):
        write_atomic(p(name + ".ext"), ext)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p(name + ".key"),
                "-out", p(name + ".csr"), "-subj", subj)
        openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                "-CAcreateserial", "-out", p(name + ".crt"), "-days", "3650",
                "-extfile", p(name + ".ext"))
        os.unlink(p(name + ".csr"))
        os.unlink(p(name + ".ext"))


# The exec credential plugin: answers in the apiVersion the client asked for
# in KUBERNETES_EXEC_INFO (v1 when absent), with the token.
EXEC_PLUGIN = """#!/bin/sh
# k8s-emu exec credential plugin: prints an ExecCredential carrying the token.
v=$(printf '%%s' "${KUBERNETES_EXEC_INFO:-}" | sed -n 's/.*"apiVersion" *: *"\\([^"]*\\)".*/\\1/p')
[ -n "$v" ] || v=client.authentication.k8s.io/v1
printf '{"apiVersion":"%%s","kind":"ExecCredential","status":{"token":"%%s"}}\\n' "$v" "$(cat '%s')"
"""


def b64file(path):
    import base64
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def kubeconfig(url, ca_b64, user):
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "emu",
        "clusters": [{"name": "emu", "cluster": {"server": url,
                                                  "certificate-authority-data": ca_b64}}],
        "users": [{"name": "emu", "user": user}],
        "contexts": [{"name": "emu", "context": {"cluster": "emu", "user": "emu",
                                                  "namespace": "default"}}],
        "preferences": {}}, default_flow_style=False, sort_keys=False)


def main():
    ap = argparse.ArgumentParser(description="Kubernetes API emulator for tests")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--crds", default=os.path.join(HERE, "crds"))
    ap.add_argument("--controller-delay", type=float, default=0.2)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    if a.controller_delay < 0.01:
        ap.error("--controller-delay must be >= 0.01")
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    try:
        os.unlink(os.path.join(d, "ready"))
    except FileNotFoundError:
        pass

    reg = kinds.Registry()
    kinds.builtin_kinds(reg)
    crds = kinds.load_crds(reg, a.crds)
    try:
        st = storelib.Store(reg, log, state_path=os.path.join(d, "state.json"))
    except storelib.StateError as e:
        raise SystemExit("k8s-emu: %s (remove it to start empty)" % e) from None
    crd_kind = reg.by_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    for crd in crds:
        crd_kind.read_only = False
        crd.setdefault("apiVersion", "apiextensions.k8s.io/v1")
        st.create(crd_kind, None, crd)
        crd_kind.read_only = True
    log("loaded %d CRDs from %s" % (len(crds), a.crds))

    make_certs(d)
    tok_path = os.path.join(d, "token")
    if os.path.exists(tok_path):
        with open(tok_path, encoding="utf-8") as f:
            token = f.read().strip()
    else:
        token = secrets.token_hex(24)
        write_atomic(tok_path, token)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
    ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])

    fl = faultslib.faults_for(d, log)
    app = api.App(reg, st, fl, token, log)
    port_path = os.path.join(d, "port")
    port = a.port
    if port == 0 and os.path.exists(port_path):
        with open(port_path, encoding="utf-8") as f:
            port = int(f.read().strip() or 0)
    try:
        srv = api.Server(("127.0.0.1", port), ctx, app)
    except OSError as e:
        raise SystemExit("k8s-emu: cannot listen on 127.0.0.1:%d (%s): the port of this "
                         "WORKDIR (%s) is taken; stop what uses it or remove the file"
                         % (port, e, port_path)) from None
    port = srv.server_address[1]
    write_atomic(port_path, "%d\n" % port, 0o644)
    st.flush()
    url = "https://127.0.0.1:%d" % port
    app.server_address = "127.0.0.1:%d" % port

    ca = b64file(os.path.join(d, "ca.crt"))
    write_atomic(os.path.join(d, "kubeconfig"), kubeconfig(url, ca, {
        "client-certificate-data": b64file(os.path.join(d, "client.crt")),
        "client-key-data": b64file(os.path.join(d, "client.key"))}))
    write_atomic(os.path.join(d, "kubeconfig-token"), kubeconfig(url, ca, {"token": token}))
    # An exec credential plugin printing the token, and an insecure variant.
    exec_path = os.path.join(d, "exec-credential.sh")
    write_atomic(exec_path, EXEC_PLUGIN % tok_path, 0o755)
    write_atomic(os.path.join(d, "kubeconfig-exec"), kubeconfig(url, ca, {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": exec_path,
        "interactiveMode": "Never"}}))
    kc = yaml.safe_load(kubeconfig(url, ca, {"token": token}))
    kc["clusters"][0]["cluster"] = {"server": url, "insecure-skip-tls-verify": True}
    write_atomic(os.path.join(d, "kubeconfig-insecure"),
                 yaml.safe_dump(kc, default_flow_style=False, sort_keys=False))
    write_atomic(os.path.join(d, "pid"), "%d\n" % os.getpid(), 0o644)

    stop = threading.Event()
    ctl = controller.Controller(st, reg, fl, a.controller_delay, log)
    ct = threading.Thread(target=ctl.run, args=(stop,), name="controller", daemon=True)
    ct.start()
    st_thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="http", daemon=True)
    st_thread.start()

    def on_signal(signum, _frame):
        log("signal %d: shutting down" % signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    write_atomic(os.path.join(d, "ready"), url + "\n", 0o644)
    log("serving %s (workdir %s, controller delay %.2fs)" % (url, d, a.controller_delay))
    while not stop.wait(0.5):
        if not ct.is_alive():
            log("FATAL: the controller thread died")
            break
    app.stopping = True
    srv.shutdown()
    srv.server_close()
    st.flush()
    for n in ("ready", "pid"):
        try:
            os.unlink(os.path.join(d, n))
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

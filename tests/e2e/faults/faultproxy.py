#!/usr/bin/env python3
"""faultproxy.py — a unix-socket HTTP/1.1 proxy that injects faults.

Sits in front of an LXD unix socket; the provider's `socket` setting points
at the proxy's socket. Every request is relayed unchanged (keep-alive,
Content-Length and chunked bodies, 101 upgrades) and logged, and rules
decide what happens at chosen requests:

    faultproxy.py --listen P.sock --upstream LXD.sock --log P.log \\
        --rule 'nth=1 method=POST path=^/1\\.0/storage-pools$ when=after action=exec then=drop cmd=...'

A rule is one line of space-separated key=value words (`cmd=` must come
last and takes the rest of the line):

    nth=N         fire at the Nth request matching (default 1) ...
    times=K       ... and at the K-1 matching ones after it (0: all; default 1)
    method=M      HTTP method (default: any)
    path=RE       Python regex searched in the request target (default: any)
    body=RE       regex searched in the request body (default: any)
    when=W        before: before forwarding to LXD;
                  during: secs=S after the request went to LXD, while LXD
                  works on it (action=exec only; the answer is relayed if
                  one still comes);
                  after: after LXD answered, before relaying the answer
    action=A      exec (run cmd with bash, bounded by timeout=S, default 60),
                  drop (close the client connection without an answer),
                  delay (sleep secs=S, at most 600)
    secs=S        the delay, or how long after forwarding `during` fires
    then=T        after exec or delay: continue (default) or drop
    cmd=...       the shell command of action=exec; it sees FP_RULE,
                  FP_METHOD, FP_PATH and (when=after) FP_STATUS

`--rules FILE` reads rules from FILE (one a line, # comments). Rules are
checked in order and every one that matches counts the request.

A request whose forwarding fails (LXD not listening, killed mid-request)
gets no answer: the client connection is closed, as when LXD dies.

Log lines (`--log`, default stderr): one per request ("REQ"), one per rule
that fires ("FIRED rule=K ..."), and transport failures ("UPSTREAM ...").
`--summary FILE` gets "rule K fired N" lines at exit.

Bounded everywhere: socket I/O timeouts (--io-timeout, default 300 s, so
LXD's long-poll operation waits fit), header and body size limits, command
and delay limits, and a lifetime (--max-time, default 1800 s). It exits on
SIGTERM/SIGINT, when --parent PID is gone, or at --max-time, removing its
socket. Python 3 standard library only.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

MAX_HEADER = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_DELAY = 600.0
MAX_EXEC = 600.0


class Drop(Exception):
    """Close the client connection without an answer."""


class Closed(Exception):
    """The peer closed the connection (or it failed)."""


class Rule:
    KEYS = {"nth", "times", "method", "path", "body", "when", "action",
            "then", "cmd", "secs", "timeout"}

    def __init__(self, index, text):
        self.index = index
        self.text = text.strip()
        words = {}
        rest = self.text
        cmd_at = rest.find("cmd=")
        if cmd_at >= 0:
            words["cmd"] = rest[cmd_at + 4:].strip()
            rest = rest[:cmd_at]
        for w in rest.split():
            if "=" not in w:
                raise ValueError("rule %d: '%s' is not key=value" % (index, w))
            k, v = w.split("=", 1)
            if k not in self.KEYS:
                raise ValueError("rule %d: unknown key '%s'" % (index, k))
            words[k] = v
        self.nth = int(words.get("nth", "1"))
        self.times = int(words.get("times", "1"))
        self.method = words.get("method")
        self.path = re.compile(words.get("path", ""))
        self.body = re.compile(words["body"]) if "body" in words else None
        self.when = words.get("when", "before")
        self.action = words.get("action", "")
        self.then = words.get("then", "continue")
        self.cmd = words.get("cmd", "")
        self.secs = min(float(words.get("secs", "0")), MAX_DELAY)
        self.timeout = min(float(words.get("timeout", "60")), MAX_EXEC)
        if self.nth < 1 or self.times < 0:
            raise ValueError("rule %d: nth must be >= 1, times >= 0" % index)
        if self.when not in ("before", "during", "after"):
            raise ValueError("rule %d: when must be before, during or after" % index)
        if self.when == "during" and self.action != "exec":
            raise ValueError("rule %d: when=during needs action=exec" % index)
        if self.action not in ("exec", "drop", "delay"):
            raise ValueError("rule %d: action must be exec, drop or delay" % index)
        if self.then not in ("continue", "drop"):
            raise ValueError("rule %d: then must be continue or drop" % index)
        if self.action == "exec" and not self.cmd:
            raise ValueError("rule %d: action=exec needs cmd=" % index)
        self.seen = 0
        self.fired = 0

    def matches(self, method, target, body):
        if self.method and self.method != "*" and self.method != method:
            return False
        if not self.path.search(target):
            return False
        if self.body is not None and not self.body.search(
                body.decode("utf-8", "replace")):
            return False
        return True


class Proxy:
    def __init__(self, args, rules):
        self.args = args
        self.rules = rules
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.logf = open(args.log, "a", buffering=1) if args.log else sys.stderr
        self.conn_seq = 0
        self.stopping = threading.Event()

    # ------------------------------------------------------------ logging
    def log(self, fmt, *a):
        line = "%s %s\n" % (time.strftime("%H:%M:%S"), fmt % a)
        with self.log_lock:
            self.logf.write(line)

    # ------------------------------------------------------------ rules
    def plan(self, method, target, body):
        """Count this request against every rule; return the rules that
        fire for it, as (before forwarding, during, after the answer)."""
        before, during, after = [], [], []
        with self.lock:
            for r in self.rules:
                if not r.matches(method, target, body):
                    continue
                r.seen += 1
                if r.seen < r.nth or (r.times and r.seen >= r.nth + r.times):
                    continue
                {"before": before, "during": during, "after": after}[r.when].append(r)
        return before, during, after

    def fire(self, rule, method, target, status=None):
        with self.lock:
            rule.fired += 1
        self.log("FIRED rule=%d when=%s action=%s %s %s%s", rule.index,
                 rule.when, rule.action, method, target,
                 "" if status is None else " (LXD answered %s)" % status)
        if rule.action == "drop":
            raise Drop()
        if rule.action == "delay":
            self.stopping.wait(rule.secs)
        elif rule.action == "exec":
            env = dict(os.environ, FP_RULE=str(rule.index), FP_METHOD=method,
                       FP_PATH=target, FP_STATUS="" if status is None else str(status))
            t0 = time.monotonic()
            try:
                rc = subprocess.run(["bash", "-c", rule.cmd], env=env,
                                    stdin=subprocess.DEVNULL, stdout=self.logf,
                                    stderr=self.logf, timeout=rule.timeout).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout after %ss" % rule.timeout
            self.log("EXEC rule=%d exit=%s (%.1fs)", rule.index, rc,
                     time.monotonic() - t0)
        if rule.then == "drop":
            raise Drop()

    def fire_during(self, rule, method, target):
        try:
            self.fire(rule, method, target)
        except Drop:
            pass  # then=drop has no meaning here: the answer may still come

    # ------------------------------------------------------------ HTTP
    def serve(self, server):
        server.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                client, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                self.conn_seq += 1
                cid = self.conn_seq
            t = threading.Thread(target=self.handle, args=(client, cid), daemon=True)
            t.start()

    def handle(self, client, cid):
        client.settimeout(self.args.io_timeout)
        creader = Reader(client)
        upstream = None
        ureader = None
        try:
            while not self.stopping.is_set():
                try:
                    head = creader.read_head()
                except Closed:
                    return
                if head is None:
                    return
                start, headers = head
                parts = start.split(" ")
                if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                    self.log("conn=%d malformed request line %r", cid, start[:80])
                    return
                method, target, version = parts
                body_raw, body = read_body(creader, headers, request=True)
                t0 = time.monotonic()
                try:
                    before, during, after = self.plan(method, target, body)
                    for r in before:
                        self.fire(r, method, target)
                    if upstream is None:
                        upstream = self.connect()
                        ureader = Reader(upstream)
                    upstream.sendall(encode_head(start, headers) + body_raw)
                    for r in during:
                        t = threading.Timer(r.secs, self.fire_during,
                                            (r, method, target))
                        t.daemon = True
                        t.start()
                    rhead = ureader.read_head()
                    if rhead is None:
                        raise Closed("LXD closed the connection before answering")
                    rstart, rheaders = rhead
                    status = rstart.split(" ")[1] if " " in rstart else "?"
                    if method == "HEAD" or status.startswith("1") or status in ("204", "304"):
                        rbody_raw, _ = b"", b""
                    else:
                        rbody_raw, _ = read_body(ureader, rheaders, request=False)
                    for r in after:
                        self.fire(r, method, target, status)
                except Drop:
                    self.log("REQ conn=%d %s %s -> dropped (%d ms)", cid, method,
                             target, (time.monotonic() - t0) * 1000)
                    return
                except (Closed, OSError) as e:
                    self.log("UPSTREAM conn=%d %s %s: %s; closing the client "
                             "connection without an answer", cid, method, target, e)
                    return
                client.sendall(encode_head(rstart, rheaders) + rbody_raw)
                self.log("REQ conn=%d %s %s -> %s (%d ms)", cid, method, target,
                         status, (time.monotonic() - t0) * 1000)
                if status == "101":
                    self.splice(client, creader, upstream, ureader)
                    return
                if (wants_close(version, headers) or
                        wants_close(rstart.split(" ")[0], rheaders) or
                        no_length(rheaders, method, status)):
                    return
        except (Closed, OSError) as e:
            self.log("conn=%d client: %s", cid, e)
        finally:
            for s in (client, upstream):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.args.io_timeout)
        try:
            s.connect(self.args.upstream)
        except OSError as e:
            s.close()
            raise Closed("cannot connect to %s: %s" % (self.args.upstream, e))
        return s

    def splice(self, a, ar, b, br):
        """Relay both ways after a 101 (bounded by the I/O timeout)."""
        def pump(src, rd, dst):
            try:
                if rd.buf:
                    dst.sendall(rd.buf)
                    rd.buf = b""
                while True:
                    d = src.recv(65536)
                    if not d:
                        break
                    dst.sendall(d)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        t = threading.Thread(target=pump, args=(b, br, a), daemon=True)
        t.start()
        pump(a, ar, b)
        t.join(self.args.io_timeout)


class Reader:
    """Buffered reads from a socket, bounded."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise Closed("timed out reading")
        if not d:
            raise Closed("connection closed")
        self.buf += d

    def read_head(self):
        """(start line, [(name, value)]) or None at a clean EOF."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEADER:
                raise Closed("header larger than %d bytes" % MAX_HEADER)
            try:
                self.fill()
            except Closed:
                if not self.buf:
                    return None
                raise
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        headers = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append((k.strip(), v.strip()))
        return lines[0], headers

    def read_exact(self, n):
        if n > MAX_BODY:
            raise Closed("body larger than %d bytes" % MAX_BODY)
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def read_line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > MAX_HEADER:
                raise Closed("line too long")
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_to_close(self):
        while True:
            if len(self.buf) > MAX_BODY:
                raise Closed("body larger than %d bytes" % MAX_BODY)
            try:
                self.fill()
            except Closed:
                d, self.buf = self.buf, b""
                return d


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def wants_close(version, headers):
    c = (header(headers, "connection") or "").lower()
    return "close" in c or (version == "HTTP/1.0" and "keep-alive" not in c)


def no_length(headers, method, status):
    """A response delimited by the connection closing."""
    if method == "HEAD" or status.startswith("1") or status in ("204", "304"):
        return False
    te = (header(headers, "transfer-encoding") or "").lower()
    return "chunked" not in te and header(headers, "content-length") is None


def read_body(rd, headers, request):
    """(raw bytes as received, decoded body)."""
    te = (header(headers, "transfer-encoding") or "").lower()
    if "chunked" in te:
        raw = b""
        body = b""
        while True:
            line = rd.read_line()
            raw += line + b"\r\n"
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # Trailers, then the empty line.
                while True:
                    t = rd.read_line()
                    raw += t + b"\r\n"
                    if not t:
                        return raw, body
            chunk = rd.read_exact(size + 2)
            raw += chunk
            body += chunk[:-2]
            if len(body) > MAX_BODY:
                raise Closed("body larger than %d bytes" % MAX_BODY)
    cl = header(headers, "content-length")
    if cl is not None:
        d = rd.read_exact(int(cl))
        return d, d
    if request:
        return b"", b""
    d = rd.read_to_close()
    return d, d


def encode_head(start, headers):
    return ("\r\n".join([start] + ["%s: %s" % kv for kv in headers]) +
            "\r\n\r\n").encode("latin-1")


def load_rules(args):
    texts = list(args.rule or [])
    if args.rules:
        with open(args.rules) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    texts.append(line)
    return [Rule(i + 1, t) for i, t in enumerate(texts)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="unix socket to serve")
    ap.add_argument("--upstream", required=True, help="LXD's unix socket")
    ap.add_argument("--rule", action="append", help="a rule (repeatable)")
    ap.add_argument("--rules", help="file of rules, one a line")
    ap.add_argument("--log", help="log file (default stderr)")
    ap.add_argument("--summary", help="write 'rule K fired N' lines here at exit")
    ap.add_argument("--parent", type=int, help="exit when this pid is gone")
    ap.add_argument("--max-time", type=float, default=1800.0)
    ap.add_argument("--io-timeout", type=float, default=300.0)
    args = ap.parse_args()
    try:
        rules = load_rules(args)
    except (ValueError, re.error, OSError) as e:
        print("faultproxy: %s" % e, file=sys.stderr)
        return 2

    proxy = Proxy(args, rules)
    if os.path.exists(args.listen):
        os.unlink(args.listen)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(args.listen)
    os.chmod(args.listen, 0o660)
    server.listen(64)
    for r in rules:
        proxy.log("RULE %d: %s", r.index, r.text)
    proxy.log("listening on %s, upstream %s (pid %d)", args.listen,
              args.upstream, os.getpid())

    def stop(*_):
        proxy.stopping.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watchdog():
        deadline = time.monotonic() + args.max_time
        while not proxy.stopping.wait(0.5):
            if time.monotonic() > deadline:
                proxy.log("exiting: --max-time %ss reached", args.max_time)
                break
            if args.parent:
                try:
                    os.kill(args.parent, 0)
                except ProcessLookupError:
                    proxy.log("exiting: parent %d is gone", args.parent)
                    break
        proxy.stopping.set()
    threading.Thread(target=watchdog, daemon=True).start()

    proxy.serve(server)
    server.close()
    try:
        os.unlink(args.listen)
    except OSError:
        pass
    for r in rules:
        proxy.log("SUMMARY rule=%d matched=%d fired=%d", r.index, r.seen, r.fired)
    if args.summary:
        with open(args.summary, "w") as f:
            for r in rules:
                f.write("rule %d fired %d\n" % (r.index, r.fired))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A counting proxy for LXD's unix socket (make bench).

usage: lxdproxy.py LISTEN_SOCKET LXD_SOCKET COUNTS_FILE

Forwards every connection on LISTEN_SOCKET to LXD_SOCKET unchanged and
counts, per client connection, the HTTP/1.1 requests sent on it (request
lines parsed with their Content-Length, so bodies are skipped). On SIGUSR1
it writes "connections N" and one "METHOD PATH-SHAPE COUNT" line per kind
(names after /storage-pools/ and /operations/ replaced by {}) to
COUNTS_FILE and resets the counts. SIGTERM ends it.
"""
import collections
import os
import re
import signal
import socket
import sys
import threading

REQ = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r$")
lock = threading.Lock()
counts = collections.Counter()
conns = [0]


def shape(path):
    p = path.decode("latin-1").split("?", 1)
    s = re.sub(r"^(/1\.0/(storage-pools|operations|networks|cluster/members))/[^/]+",
               r"\1/{}", p[0])
    if len(p) > 1:
        s += "?" + re.sub(r"=[^&]*", "=", p[1])
    return s


def parse(buf):
    """Consume complete requests at the front of buf; return the rest."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return buf
        head = buf[:end + 2].split(b"\n")
        m = REQ.match(head[0])
        length = 0
        for h in head[1:]:
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":", 1)[1])
        if len(buf) < end + 4 + length:
            return buf
        if m:
            with lock:
                counts[m.group(1).decode() + " " + shape(m.group(2))] += 1
        buf = buf[end + 4 + length:]


def pump(src, dst, count):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if count:
                buf = parse(buf + data)
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, upstream):
    with lock:
        conns[0] += 1
    up = socket.socket(socket.AF_UNIX)
    try:
        up.connect(upstream)
    except OSError:
        client.close()
        return
    t = threading.Thread(target=pump, args=(up, client, False), daemon=True)
    t.start()
    pump(client, up, True)
    t.join()
    client.close()
    up.close()


def main():
    listen, upstream, out = sys.argv[1:4]

    def dump(*_):
        with lock:
            with open(out, "w") as f:
                f.write("connections %d\n" % conns[0])
                for k, v in sorted(counts.items()):
                    f.write("%s %d\n" % (k, v))
            counts.clear()
            conns[0] = 0

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if os.path.exists(listen):
        os.unlink(listen)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(listen)
    srv.listen(128)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, upstream), daemon=True).start()


if __name__ == "__main__":
    main()

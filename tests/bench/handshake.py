#!/usr/bin/env python3
"""Time from exec to the go-plugin handshake line, as Terraform sees it.

usage: handshake.py BINARY RUNS CLIENT_CERT_PEM [--plaintext] [--idle]
Prints "median_ms min_ms p90_ms"; with --idle, then "rss pss uss" (KiB,
from /proc/PID/smaps_rollup of the last start, 200 ms after its handshake
line: what an idle provider holds). Each run starts the provider with the
cookie and a client certificate (mTLS, as Terraform does), reads the first
stdout line, checks its shape and stops the process.
"""
import os
import re
import statistics
import subprocess
import sys
import time

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
LINE = re.compile(rb"^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]*$")


def main():
    binary, runs, cert = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE=COOKIE,
               PLUGIN_PROTOCOL_VERSIONS="5,6")
    if "--plaintext" not in sys.argv:
        with open(cert) as f:
            env["PLUGIN_CLIENT_CERT"] = f.read()
    times = []
    idle = ""
    for i in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline().strip()
        times.append((time.perf_counter() - t0) * 1000.0)
        if "--idle" in sys.argv and i == runs - 1:
            time.sleep(0.2)
            idle = " %d %d %d" % smaps(p.pid)
        p.terminate()
        p.wait(timeout=5)
        if not LINE.match(line):
            sys.exit("bad handshake line: %r" % line[:120])
    times.sort()
    print("%.2f %.2f %.2f%s" % (statistics.median(times), times[0],
                                times[int(len(times) * 0.9)], idle))


def smaps(pid):
    """(Rss, Pss, Private_Clean + Private_Dirty) of pid, in KiB."""
    v = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                v[k] = int(rest.split()[0])
    return v["Rss"], v["Pss"], v["Private_Clean"] + v["Private_Dirty"]


if __name__ == "__main__":
    main()

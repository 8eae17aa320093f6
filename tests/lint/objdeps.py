#!/usr/bin/env python3
"""objdeps.py OBJ... — the file-level dependency graph of object files.

For every object, the other listed objects whose symbols it uses (from
`nm`: a defined symbol in one file, undefined in another). Prints the
edges and exits 1 if the graph has a cycle, naming one. `make lint` runs
it on provider/rpc and provider/server, whose layering (table -> handlers
-> helpers; loop -> streaming half) must stay one-way.
"""
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], check=True, capture_output=True,
                         text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind.isupper():
            defined.add(name)
    return defined, used


def main(objs):
    names = {o: os.path.splitext(os.path.basename(o))[0] for o in objs}
    syms = {o: symbols(o) for o in objs}
    owner = {}
    for o, (defined, _) in syms.items():
        for s in defined:
            owner[s] = o
    edges = {o: sorted({owner[s] for s in syms[o][1]
                        if s in owner and owner[s] != o}) for o in objs}
    for o in objs:
        print("%-16s -> %s" % (names[o],
                               ", ".join(names[d] for d in edges[o]) or "-"))
    state = {}

    def visit(o, path):
        state[o] = 1
        for d in edges[o]:
            if state.get(d) == 1:
                cyc = path[path.index(d):] + [d]
                sys.stdout.flush()
                sys.exit("cycle: " + " -> ".join(names[x] for x in cyc))
            if d not in state:
                visit(d, path + [d])
        state[o] = 2

    for o in objs:
        if o not in state:
            visit(o, [o])
    print("no cycle")


if __name__ == "__main__":
    main(sys.argv[1:])

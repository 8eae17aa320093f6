#!/usr/bin/env python3
"""objdeps.py OBJ... — the file-level dependency graph of object files.

For every object, the other listed objects whose symbols it uses (from
`nm`: a defined symbol in one file, undefined in another). Prints the
edges, then every cycle (each group of files that depend on each other,
with one path around it), and exits 1 if there is any. `make lint` runs it
on every object of provider/ and schema/: dependencies between files run
one way (in provider/rpc: table -> handlers -> helpers; in
provider/server: loop -> streaming half; a resource's files: handlers ->
shared helpers).
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
    cycles = strongly_connected(objs, edges)
    for group in cycles:
        print("cycle: " + " -> ".join(names[x] for x in one_cycle(group, edges)))
    if cycles:
        sys.exit("%d cycle(s)" % len(cycles))
    print("no cycle")


def strongly_connected(nodes, edges):
    """Groups of more than one node that reach each other (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def one_cycle(group, edges):
    """A path from the group's first node back to it, inside the group."""
    start, members = group[0], set(group)
    prev, todo = {start: None}, [start]
    while todo:
        v = todo.pop(0)
        for w in edges[v]:
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                todo.append(w)
    return group


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""layers.py - who calls whom between the files of mm/damon, from the objects.

Reads the symbols each built object of mm/damon defines and uses (nm), and
derives the file-level call graph: "a -> b" if a.o uses a symbol b.o
defines.  Tests (mm/damon/tests/) are left out.  Then:

  --print   prints the graph, one line per file, in the format of the
            "Who calls whom" block of Documentation/mm/damon/design.rst;
  (default) checks that the graph has no cycle and that the block in the
            design doc is exactly the graph of the objects, so the map the
            doc gives cannot drift from the code.

Usage: layers.py [--print] [--doc FILE] OBJDIR   (OBJDIR: e.g. build/obj-test)
Exit status 1 on a cycle or a difference, with both listed.
"""

import argparse
import glob
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(REPO, "Documentation/mm/damon/design.rst")
BEGIN = ".. who-calls-whom-begin"
END = ".. who-calls-whom-end"


def graph(objdir):
    """{file: set of files it uses}, over mm/damon's objects."""
    objs = [o for o in glob.glob(os.path.join(objdir, "mm/damon/*.o"))
            if not o.endswith(("built-in.o", ".mod.o"))]
    if not objs:
        sys.exit(f"layers: no objects in {objdir}/mm/damon")
    defs, uses = {}, {}
    for o in sorted(objs):
        name = os.path.basename(o)[:-2]
        out = subprocess.run(["nm", o], capture_output=True, text=True,
                             check=True).stdout
        uses[name] = set()
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDRB":
                defs[f[2]] = name
            elif len(f) == 2 and f[0] == "U":
                uses[name].add(f[1])
    return {n: {defs[s] for s in u if s in defs and defs[s] != n}
            for n, u in uses.items()}


def cycle(g):
    """A list of files forming a cycle, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


def render(g):
    width = max(len(n) for n in g)
    return [f"{n:<{width}} -> {' '.join(sorted(g[n])) or '(nothing)'}"
            for n in sorted(g)]


def doc_block(path):
    lines, inside = [], False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() == BEGIN:
                inside = True
            elif line.strip() == END:
                break
            elif inside and "->" in line:
                lines.append(" ".join(line.split()))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--print", action="store_true")
    ap.add_argument("--doc", default=DOC)
    ap.add_argument("objdir")
    a = ap.parse_args()
    g = graph(a.objdir)
    if a.print:
        print("\n".join(render(g)))
        return 0
    bad = 0
    c = cycle(g)
    if c:
        print("layers: call cycle: " + " -> ".join(c))
        bad = 1
    want = [" ".join(l.split()) for l in render(g)]
    have = doc_block(a.doc)
    if want != have:
        print(f"layers: the block in {a.doc} differs from the objects:")
        for l in sorted(set(have) - set(want)):
            print("  doc only:     " + l)
        for l in sorted(set(want) - set(have)):
            print("  objects only: " + l)
        bad = 1
    if not bad:
        print(f"layers: {len(g)} files, no cycle, design doc matches")
    return bad


if __name__ == "__main__":
    sys.exit(main())

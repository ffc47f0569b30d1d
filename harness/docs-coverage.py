#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""docs-coverage.py - do the DAMON documents cover the interfaces?

Two checks, run by harness/docs-check.sh after the Sphinx build:

  api         Every public API is kernel-doc'd and on the API page.  Public:
              the functions declared in include/linux/damon.h (prototypes and
              static inlines), the structs, enums and unions it defines, every
              identifier it documents, and the EXPORT_SYMBOL*() functions of
              mm/damon/*.c.  Each must have a kernel-doc comment (in the header
              or in the .c file that implements it), and Sphinx must have put it
              on Documentation/mm/damon/api.rst: the check reads the inventory
              (objects.inv) of the built html, so an identifier that kernel-doc
              could not render does not count.
  interfaces  Every user-visible name is in the admin guide: each sysfs file,
              directory and keyword of mm/damon/sysfs*.c in usage.rst, each
              module parameter of reclaim.c, lru_sort.c and stat.c in the page
              of its module, each tracepoint in tracepoints.rst.  A name counts
              when it appears inside a ``literal`` of the page.

Usage: docs-coverage.py --src TREE --html OUTPUT {api,interfaces}
  (TREE: the kernel tree tree.sh prepared; OUTPUT: Documentation/output of
  the htmldocs build).  Prints one line per problem; exit status 1 if any.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import zlib

ADMIN = "Documentation/admin-guide/mm/damon"
API_PAGE = "api.html"


# ------------------------------------------------------------------ helpers

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def kerneldoc_ids(src, paths):
    """{path: {name: kind}} of what scripts/kernel-doc documents in @paths
    (from its -v log: one scripts/kernel-doc run for all of them)."""
    rel = [os.path.relpath(p, src) for p in paths]
    log = subprocess.run([os.path.join(src, "scripts/kernel-doc"), "-none", "-v"] + rel,
                         cwd=src, capture_output=True, text=True, check=True).stderr
    ids = {r: {} for r in rel}
    for m in re.finditer(r"^(\S+):\d+: info: Scanning doc for (\w+) (\w+)$", log, re.M):
        path, kind, name = m.groups()
        if path in ids:
            ids[path][name] = kind
    return ids


def header_public(path):
    """(functions, types) that include/linux/damon.h declares or defines."""
    text = strip_comments(read(path))
    # preprocessor lines, with their continuations, are not declarations
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", "", text, flags=re.M)
    funcs, types = set(), set()
    depth, stmt = 0, []
    for ch in text:
        if depth == 0:
            if ch in ";{":
                s = " ".join("".join(stmt).split())
                stmt = []
                t = re.match(r"(struct|enum|union)\s+(\w+)$", s)
                if ch == "{" and t:
                    types.add(t.group(2))
                elif "(" in s and not s.startswith("typedef"):
                    f = re.match(r"(?:[\w\s\*]+?[\s\*])(\w+)\s*\(", s)
                    if f:
                        funcs.add(f.group(1))
            else:
                stmt.append(ch)
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                stmt = []
    return funcs, types


def inventory(path):
    """{(role, name)} of the C objects on the API page, from objects.inv."""
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 4)
    if not parts[0].startswith(b"# Sphinx inventory version 2"):
        sys.exit("docs-coverage: %s: not a Sphinx inventory" % path)
    on_page = set()
    for line in zlib.decompress(parts[4]).decode().splitlines():
        m = re.match(r"(\S+)\s+c:(\w+)\s+-?\d+\s+(\S+)", line)
        if m and m.group(3).split("#")[0] == API_PAGE:
            on_page.add((m.group(2), m.group(1)))
    return on_page


def literals(path):
    """Every word of an rst page that is set as code: inside ``literals``
    and in literal blocks (the indented lines after a "::")."""
    words = set()
    if not os.path.exists(path):
        return words
    text = read(path)
    for lit in re.findall(r"``(.+?)``", text, re.S):
        words.update(re.findall(r"\w+", lit))
    block = None            # indentation of the paragraph that opened a block
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if block is not None:
            if not line.strip() or indent > block:
                words.update(re.findall(r"\w+", line))
                continue
            block = None
        if line.rstrip().endswith("::"):
            block = indent
    return words


# ------------------------------------------------------------------ checks

def check_api(src, html):
    problems = []
    header = os.path.join(src, "include/linux/damon.h")
    funcs, types = header_public(header)
    cfiles = sorted(glob.glob(os.path.join(src, "mm/damon/*.c")))
    ids = kerneldoc_ids(src, [header] + cfiles)
    hdr_docs = ids.pop("include/linux/damon.h")
    c_docs = {}
    exported = set()
    for c in cfiles:
        for name in ids[os.path.relpath(c, src)]:
            c_docs.setdefault(name, os.path.relpath(c, src))
        exported.update(re.findall(r"^EXPORT_SYMBOL(?:_GPL)?\((\w+)\)", read(c), re.M))

    documented = set(hdr_docs) | set(c_docs)
    for name in sorted((funcs | exported | types) - documented):
        problems.append("%s: public, but has no kernel-doc comment" % name)

    inv = inventory(os.path.join(html, "mm/damon/objects.inv"))
    page = {name for _, name in inv}
    # the C domain files functions and function-like macros apart, and
    # enums, structs and unions as their own roles
    want = set(hdr_docs) | ((funcs | exported) & set(c_docs))
    for name in sorted(want - page):
        where = "include/linux/damon.h" if name in hdr_docs else c_docs[name]
        problems.append("%s (kernel-doc in %s): not on Documentation/mm/damon/api.rst"
                        % (name, where))
    return problems, "%d public identifiers on the API page" % len(want & page)


SYSFS_NAME_RES = [
    r"DAMON_SYSFS_\w*_FILE\(\s*struct\s+\w+\s*,\s*(\w+)",
    r"DAMON_SYSFS_NR_FILE\(\s*(\w+)",
    r"__ATTR\w*\(\s*(\w+)",
    r"DAMON_SYSFS_SUBDIR\(\s*\"(\w+)\"",
    r"\[\w+\]\s*=\s*\"(\w+)\"",      # keyword tables: actions, commands, ...
]


def module_params(text, macros):
    names = set(re.findall(r"module_param\w*\(\s*(\w+)", text))
    for mac, params in macros.items():
        if re.search(r"\b%s\(" % mac, text):
            names |= params
    return names


def check_interfaces(src):
    problems, counted = [], 0
    sysfs = set()
    for c in sorted(glob.glob(os.path.join(src, "mm/damon/sysfs*.c"))):
        text = strip_comments(read(c))
        for r in SYSFS_NAME_RES:
            sysfs.update(re.findall(r, text))
    # "state" and "pid" are hand-written attributes; "admin" the root dir
    sysfs.discard("admin")
    doc = os.path.join(src, ADMIN, "usage.rst")
    have = literals(doc)
    for n in sorted(sysfs - have):
        problems.append("sysfs name %s: not in %s/usage.rst" % (n, ADMIN))
    counted += len(sysfs)

    # the parameters the modules-common.h macros define
    common = read(os.path.join(src, "mm/damon/modules-common.h"))
    macros = {}
    for m in re.finditer(r"^#define\s+(DAMON_MODULES?_\w+)\(.*?\)((?:[^\n]*\\\n)*[^\n]*)",
                         common, re.M):
        macros[m.group(1)] = set(re.findall(r"module_param\w*\(\s*(\w+)", m.group(2)))
    for mod in ("reclaim", "lru_sort", "stat"):
        c = os.path.join(src, "mm/damon/%s.c" % mod)
        if not os.path.exists(c):
            continue
        params = module_params(strip_comments(read(c)), macros)
        have = literals(os.path.join(src, ADMIN, "%s.rst" % mod))
        for p in sorted(params - have):
            problems.append("damon_%s.%s: not in %s/%s.rst" % (mod, p, ADMIN, mod))
        counted += len(params)

    events = set(re.findall(r"^TRACE_EVENT\w*\(\s*(\w+)",
                            read(os.path.join(src, "include/trace/events/damon.h")), re.M))
    have = literals(os.path.join(src, ADMIN, "tracepoints.rst"))
    for e in sorted(events - have):
        problems.append("tracepoint damon:%s: not in %s/tracepoints.rst" % (e, ADMIN))
    counted += len(events)
    return problems, "%d sysfs names, module parameters and tracepoints documented" % counted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("check", choices=["api", "interfaces"])
    a = ap.parse_args()
    a.src, a.html = os.path.abspath(a.src), os.path.abspath(a.html)
    if a.check == "api":
        problems, summary = check_api(a.src, a.html)
    else:
        problems, summary = check_interfaces(a.src)
    for p in problems:
        print(p)
    if not problems:
        print(summary)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

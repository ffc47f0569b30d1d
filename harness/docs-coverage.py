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
  abi         Documentation/ABI/testing/sysfs-kernel-mm-damon has a What:
              for every file the sysfs code creates (the tree is rebuilt
              from the directory-type tables of mm/damon/sysfs*.c, numbered
              directories as <X>) and none for a path that does not exist;
              each entry has Date:, Contact: (the M: line of our MAINTAINERS
              entry) and Description:; scripts/get_abi.pl validates the file
              silently, and the ReST it renders from it ("get_abi.pl rest",
              what the htmldocs ABI pages include) parses without a docutils
              warning.  Needs no html (--html is ignored).

Usage: docs-coverage.py --src TREE --html OUTPUT {api,interfaces,abi}
  (TREE: the kernel tree tree.sh prepared; OUTPUT: Documentation/output of
  the htmldocs build).  Prints one line per problem; exit status 1 if any.
"""

import argparse
import glob
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

ADMIN = "Documentation/admin-guide/mm/damon"
ABI_FILE = "Documentation/ABI/testing/sysfs-kernel-mm-damon"
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


# ------------------------------------------------------------------ abi

def c_arrays(text, ctype):
    """{name: body} of the "ctype name[] = { body };" initialisers."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r"\b%s\s+(\w+)\s*\[\]\s*=\s*\{(.*?)\n\};" % re.escape(ctype), text, re.S)}


def sysfs_tree(src):
    """(files, dirs, problems): the paths of the regular files and the
    directories the sysfs code creates, numbered directories as "<>", read
    from the damon_sysfs_dir_type tables of mm/damon/sysfs*.c."""
    text = ""
    for c in sorted(glob.glob(os.path.join(src, "mm/damon/sysfs*.c"))):
        text += strip_comments(read(c)) + "\n"
    problems = []
    files = {n: re.findall(r"DAMON_SYSFS_\w+_FILE\(\s*struct\s+\w+\s*,\s*(\w+)"
                           r"|DAMON_SYSFS_NR_FILE\(\s*(\w+)"
                           r"|__ATTR\w*\(\s*(\w+)", body)
             for n, body in c_arrays(text, "struct damon_sysfs_field").items()}
    files = {n: ["".join(g) for g in found] for n, found in files.items()}
    subdirs = {n: re.findall(r"\w*SUBDIR\(\s*\"?(\w+)\"?\s*,\s*(\w+)", body)
               for n, body in c_arrays(text, "struct damon_sysfs_subdir").items()}
    types = {}
    for m in re.finditer(r"DAMON_SYSFS_(BARE_)?DIR_TYPE\(\s*(\w+)\s*,\s*struct\s+\w+"
                         r"\s*(?:,\s*(\w+))?(.*?)\);", text, re.S):
        bare, name, ftab, opts = m.groups()
        types[name] = (None if bare else ftab, opts)
    for m in re.finditer(r"\bconst\s+struct\s+damon_sysfs_dir_type\s+(\w+)\s*=\s*\{"
                         r"(.*?)\n\};", text, re.S):
        f = re.search(r"\.files\s*=\s*(\w+)", m.group(2))
        types[m.group(1)] = (f.group(1) if f else None, m.group(2))
    root = re.search(r"kobject_create_and_add\(\s*\"(\w+)\"\s*,\s*mm_kobj\s*\).*?"
                     r"damon_sysfs_dir_new\(\s*\w+\s*,\s*NULL\s*,\s*&(\w+)\s*,\s*\"(\w+)\"",
                     text, re.S)
    if not root:
        return set(), set(), ["mm/damon/sysfs.c: cannot find where the sysfs root is made"]
    base = "/sys/kernel/mm/" + root.group(1)
    out_files, out_dirs = set(), {base}

    def walk(tname, path, depth):
        if tname not in types:
            problems.append("mm/damon/sysfs*.c: directory type %s not found" % tname)
            return
        if depth > 32:
            problems.append("mm/damon/sysfs*.c: directory types nest too deep at %s" % path)
            return
        out_dirs.add(path)
        ftab, opts = types[tname]
        if ftab is not None:
            if ftab not in files:
                problems.append("mm/damon/sysfs*.c: file table %s not found" % ftab)
            for f in files.get(ftab, []):
                out_files.add(path + "/" + f)
        sd = re.search(r"\.subdirs\s*=\s*(\w+)", opts)
        if sd:
            if sd.group(1) not in subdirs:
                problems.append("mm/damon/sysfs*.c: subdir table %s not found" % sd.group(1))
            for name, t in subdirs.get(sd.group(1), []):
                walk(t, path + "/" + name, depth + 1)
        el = re.search(r"\.elem_type\s*=\s*&\s*(\w+)", opts)
        if el:
            walk(el.group(1), path + "/<>", depth + 1)

    walk(root.group(2), base + "/" + root.group(3), 0)
    return out_files, out_dirs, problems


def abi_entries(path):
    """[(line, [what...], {field: value})] of an ABI file."""
    entries, cur = [], None
    field = None
    for n, line in enumerate(read(path).splitlines(), 1):
        m = re.match(r"^(What|Date|KernelVersion|Contact|Description|Users):\s*(.*)$", line)
        if m:
            field, value = m.groups()
            if field == "What":
                if cur is None or cur[2]:
                    cur = (n, [], {})
                    entries.append(cur)
                cur[1].append(value.rstrip("/") if value != "/" else value)
            elif cur is not None:
                cur[2][field] = value
    return entries


def rest_problems(rst):
    """docutils' warnings (and worse) about the ReST get_abi.pl rendered."""
    try:
        import docutils.core
        import docutils.nodes
        import docutils.parsers.rst.roles as roles
        import docutils.utils
    except ImportError:
        return ["python3 docutils missing (harness/deps.sh installs python3-sphinx)"]

    def sphinx_role(name, rawtext, text, lineno, inliner, options=None, content=None):
        return [docutils.nodes.literal(rawtext, text)], []
    for r in ("doc", "ref"):        # the Sphinx roles get_abi.pl emits
        roles.register_local_role(r, sphinx_role)
    stream = io.StringIO()
    docutils.core.publish_doctree(
        rst, source_path="get_abi.pl-rest",
        settings_overrides={"report_level": docutils.utils.Reporter.WARNING_LEVEL,
                            "halt_level": docutils.utils.Reporter.SEVERE_LEVEL + 1,
                            "warning_stream": stream})
    # "--enable-lineno" marks each entry with a line of it in the file
    marks = [(n, int(m.group(1))) for n, m in
             ((n, re.match(r"\.\. LINENO \S+#(\d+)$", l))
              for n, l in enumerate(rst.splitlines(), 1)) if m]
    msgs = []
    for l in stream.getvalue().splitlines():
        m = re.match(r"\S+:(\d+): (\(.*)", l)
        if not m:
            continue
        src = [line for n, line in marks if n <= int(m.group(1))]
        msgs.append("%s (the entry around line %s): docutils: %s"
                    % (ABI_FILE, src[-1] if src else "?", m.group(2)))
    return msgs


def check_abi(src):
    abi = os.path.join(src, ABI_FILE)
    if not os.path.exists(abi):
        return ["%s: missing (tree.sh overlays it from the repository)" % ABI_FILE], ""
    files, dirs, problems = sysfs_tree(src)
    if not files:
        problems.append("no sysfs file found in mm/damon/sysfs*.c")

    maint = read(os.path.join(src, "MAINTAINERS"))
    m = re.search(r"^DATA ACCESS MONITOR\n(?:.+\n)*?M:\t(.+)$", maint, re.M)
    contact = m.group(1) if m else None
    if not contact:
        problems.append("MAINTAINERS: no M: line in the DATA ACCESS MONITOR entry")
    if not re.search(r"^DATA ACCESS MONITOR\n(?:.+\n)*?F:\t%s$" % re.escape(ABI_FILE),
                     maint, re.M):
        problems.append("MAINTAINERS: DATA ACCESS MONITOR has no F: line for %s" % ABI_FILE)

    documented = set()
    for line, whats, fields in abi_entries(abi):
        for field in ("Date", "Contact", "Description"):
            if field not in fields:
                problems.append("%s:%d: entry without %s:" % (ABI_FILE, line, field))
        if contact and fields.get("Contact", contact) != contact:
            problems.append("%s:%d: Contact: is not %s" % (ABI_FILE, line, contact))
        for w in whats:
            p = re.sub(r"<[^>]*>", "<>", w)
            if p in documented:
                problems.append("%s:%d: %s described twice" % (ABI_FILE, line, w))
            documented.add(p)
            if p not in files and p not in dirs:
                problems.append("%s:%d: %s: no such file" % (ABI_FILE, line, w))
    for f in sorted(files - documented):
        problems.append("%s: not in %s" % (f, ABI_FILE))

    # get_abi.pl on the file alone: validate, then render as htmldocs does
    tmp = tempfile.mkdtemp(prefix="damon-abi.")
    try:
        shutil.copy(abi, tmp)
        for cmd in (["validate"], ["rest", "--enable-lineno"]):
            r = subprocess.run([os.path.join(src, "scripts/get_abi.pl")] + cmd +
                               ["--dir", tmp], cwd=src, capture_output=True, text=True)
            for l in r.stderr.splitlines():
                problems.append("get_abi.pl %s: %s" % (cmd[0], l.replace(tmp + "/", "")))
            if r.returncode:
                problems.append("get_abi.pl %s exited with %d" % (cmd[0], r.returncode))
        problems += rest_problems(r.stdout)
    finally:
        shutil.rmtree(tmp)
    return problems, ("%d sysfs files, each with its What: in %s; get_abi.pl and "
                      "docutils silent" % (len(files), ABI_FILE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("check", choices=["api", "interfaces", "abi"])
    a = ap.parse_args()
    a.src, a.html = os.path.abspath(a.src), os.path.abspath(a.html)
    if a.check == "api":
        problems, summary = check_api(a.src, a.html)
    elif a.check == "abi":
        problems, summary = check_abi(a.src)
    else:
        problems, summary = check_interfaces(a.src)
    for p in problems:
        print(p)
    if not problems:
        print(summary)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

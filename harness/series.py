#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""series.py - our DAMON as an upstream-style patch series, and its checks.

  series.py make    build/series/patches/: 0000-cover-letter.patch and one
                    patch per step of STEPS, against Debian's pristine
                    linux-source-6.12 (`make series`)
  series.py check   `git am` of the series onto a fresh copy of the pristine
                    tree; every prefix builds the test kernel (incrementally);
                    checkpatch.pl --strict on every patch; get_maintainer.pl
                    names our MAINTAINERS entry for every patch; the tree
                    after the last patch is the tree `make build` builds
                    (`make series-check`)

How a patch is made: a throw-away git repository of the pristine tree
(build/series/git) gets one commit that removes upstream's DAMON, then one
commit per step, each copying the step's files from this repository.  The
three files that list other files -- mm/damon/Kconfig, mm/damon/Makefile
and mm/damon/tests/Makefile -- and our MAINTAINERS entry are written at each
step with only what exists so far (a Makefile object whose source is not
there yet is left out, a Kconfig symbol appears with the step that names
it, an F: line with the first file under it), so every prefix of the series
configures and builds.  The order of the steps follows the call graph of
Documentation/mm/damon/design.rst bottom-up: no object calls one that comes
later.

Every file of the overlay must belong to exactly one step, or `make` fails.
Patches in patches/ (changes outside DAMON's paths) are applied with `git
am` right after the step that names them (the one whose code they call), or
last if none does; they must be mbox files with a commit message.
"""

import argparse
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

HARNESS = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("REPO", os.path.dirname(HARNESS))
BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))
TARBALL = os.environ.get("TARBALL", "/usr/src/linux-source-6.12.tar.xz")
SERIES = os.path.join(BUILD, "series")
CHECK = os.path.join(BUILD, "series-check")

# Upstream's DAMON, as harness/tree.sh removes it.
UPSTREAM_PATHS = [
    "mm/damon", "include/linux/damon.h", "include/trace/events/damon.h",
    "Documentation/admin-guide/mm/damon", "Documentation/mm/damon",
    "Documentation/ABI/testing/sysfs-kernel-mm-damon",
    "tools/testing/selftests/damon", "samples/damon",
]
# Lines outside DAMON's paths that name mm/damon/: removed with upstream's
# DAMON so that the first patch builds, restored by our first one.
HOOKS = [("mm/Kconfig", 'source "mm/damon/Kconfig"\n'),
         ("mm/Makefile", "obj-$(CONFIG_DAMON) += damon/\n")]
# repository file -> tree file, where they differ
RENAMES = {"Kconfig.damon": "mm/damon/Kconfig",
           "Makefile.damon": "mm/damon/Makefile"}
# files of the repository that are not in the tree as such
NOT_IN_TREE = {"MAINTAINERS.damon"}


class Step:
    """One patch of the series: files copied from this repository, the
    Kconfig symbols it introduces, and the patches/ files (changes outside
    DAMON's paths) that go in right after it because they need it."""

    def __init__(self, subject, body, files, kconfig=(), patches=()):
        self.subject, self.body = subject, body.strip("\n")
        self.files, self.kconfig = files, list(kconfig)
        self.patches = list(patches)


STEPS = [
    Step("mm/damon: add the public interface and the build plumbing", """
Add include/linux/damon.h, the interface that DAMON's users (the sysfs
interface, the DAMON_RECLAIM, DAMON_LRU_SORT and DAMON_STAT modules, and
other kernel code) program against: contexts, targets, regions, monitoring
attributes, operation sets, and DAMOS schemes with their quotas, goals,
watermarks, filters and statistics.  The structures and names are those
of the documented kernel API, so that code written for DAMON builds
unchanged; what the implementation keeps to itself is marked private in
the kernel-doc.

Add CONFIG_DAMON and mm/damon/{Kconfig,Makefile}, hook them into
mm/Kconfig and mm/Makefile, and add the MAINTAINERS entry.  Nothing is
built yet: the following patches add the code piece by piece, each one
building on the previous ones only.
""", ["include/linux/damon.h", "Kconfig.damon", "Makefile.damon"],
         ["DAMON"]),
    Step("mm/damon/regions: add regions and their adaptive adjustment", """
A region is an address range whose pages DAMON assumes to be accessed
alike; its cost is one sampled page per sampling interval, whatever its
size.  Add the region list helpers and the adaptive adjustment that keeps
the number of regions between min_nr_regions and max_nr_regions: merging
neighbours whose access rates are close, splitting regions at their
accessed samples (or at random when there are none), aging, setting
regions from address ranges, and the default physical range (the biggest
System RAM resource).

Regions also carry the hit counters of data-attribute probes, which
count what the sampled pages are (anonymous, of a memory cgroup, idle, of
a folio size): add the probe, filter and preparation-step objects with
their validation and online update, and the moving and weighted sums of
the hits, which the adjustment uses in the attributes-only mode (merging
and aging on weighted hits instead of accesses).

The helpers take no lock: the caller owns the target, which is the
kdamond while it runs.
""", ["mm/damon/regions.c", "mm/damon/probes.c", "mm/damon/internal.h"]),
    Step("mm/damon: add access-sample control and page-fault access reports", """
A context may take its access samples from page faults instead of
Accessed bits, which tells what the bits cannot: whether an access was a
write, and which CPU and thread made it.  Add the sample filters (CPU
mask, threads, write; a report counts only if every filter lets it
through), their validation and online update, damon_report_access() with
the bounded ring that reports wait in (never blocking the fault path;
each kdamond reads every report once and counts what it lost), and the
per-interval counting of reports into regions.

The two patches that follow, outside mm/damon/, let DAMON arm pages
(MM_CP_DAMON) and hand it the faults of armed pages while NUMA balancing
is off.
""", ["mm/damon/sample.c"],
         patches=["0001-mm-mprotect-add-MM_CP_DAMON-a-protection-change-for-.patch",
                  "0002-mm-hand-protnone-faults-to-DAMON-when-it-armed-pages.patch"]),
    Step("mm/damon: add the tracepoints", """
Add the damon trace system: damon_aggregated (every region at each
aggregation interval), damon_region_aggregated (the same with the probe
hits, for contexts with probes), damos_before_apply (a scheme about to
act on a region), damon_monitor_intervals_tune, damos_esz and
damos_stat_after_apply_interval.  Their printed formats are parsed by
position by damo and perf scripts, so field order and separators follow
the released ones.  The events are instantiated in mm/damon/trace.c.
""", ["include/trace/events/damon.h", "mm/damon/trace.c"]),
    Step("mm/damon: add monitoring attributes and their auto-tuning", """
Add the validation and application of monitoring attributes (sampling,
aggregation and update intervals, the region count bounds), stated as one
rule that both the kernel API and the sysfs interface use, and the
intervals auto-tuning that adjusts the sampling interval so that the
observed access events per aggregation approach a goal.
""", ["mm/damon/attrs.c", "mm/damon/tuning.c"]),
    Step("mm/damon: add the registry of operation sets", """
Operation sets (vaddr, fvaddr, paddr) register a table of callbacks by id;
contexts select one by id.  The registry is a small array under its own
mutex.
""", ["mm/damon/ops-registry.c"]),
    Step("mm/damon: add DAMOS schemes and their parts", """
Add the constructors, lists and destructors of DAMOS: schemes, quota
goals, filters (core and operation-set ones) and migration destinations,
and the helpers that the engine, the commit path and the sysfs interface
share for them (mm/damon/damos.h).
""", ["mm/damon/damos.c", "mm/damon/damos.h"]),
    Step("mm/damon/quota: add DAMOS quotas and goal-driven tuning", """
A scheme's quota bounds how much memory its action may touch per reset
interval, by size and by time.  Add the charging of a quota, the
prioritisation of regions by access frequency and age when the quota is
short (a histogram of scores, so that the regions of highest priority are
acted on first), and the feedback tuning of the effective size quota from
the scheme's goals (user input, PSI, node and memcg memory use, LRU
ratios).
""", ["mm/damon/quota.c"]),
    Step("mm/damon/schemes: add the DAMOS engine", """
Add the application of schemes to regions: the access pattern match, the
core filters (address range, target), watermarks that activate or
deactivate a scheme by free memory, the per-scheme apply interval, the
quota walk in priority order, the calls of the operation set's action, and
the statistics and tracepoints of each application.
""", ["mm/damon/schemes.c"]),
    Step("mm/damon: add contexts and targets", """
Add the life cycle of the objects the kdamond runs on: damon_new_ctx(),
damon_new_target() and their destruction, the binding of an operation set
to a context, and the lists of targets and schemes of a context.
""", ["mm/damon/context.c"]),
    Step("mm/damon: add requests to a running kdamond", """
While a kdamond runs, only it touches its context.  Add the two ways in
which other threads reach it: damon_call(), which runs a function in the
kdamond between two samplings (once, or repeatedly), and damos_walk(),
which lets a caller visit the regions that schemes try to act on during
one apply interval.  The requester waits for the kdamond; a kdamond that
stops cancels the pending requests.
""", ["mm/damon/call.c"]),
    Step("mm/damon: add online commit of parameters", """
damon_commit_ctx() updates a running context from another one (typically
built by the sysfs interface or a module from its new parameters):
attributes, operation set, targets and their regions, and schemes with
their quotas, goals, filters and destinations, matched by index so that
accumulated state (region ages, quota charges, statistics) survives.
Invalid input is refused before anything changes.
""", ["mm/damon/commit.c"]),
    Step("mm/damon/core: add the kdamond", """
Add the monitoring thread and its control: damon_start() and damon_stop()
for a set of contexts, and the kdamond's loop.  Each sampling interval it
asks the operation set to check one page per region; at each aggregation
interval it reports the counters (damon_aggregated), applies the schemes,
merges and splits the regions and ages them; at each update interval it
lets the operation set refresh the targets' ranges.  Requests queued with
damon_call() and damos_walk() are run between samplings.  The lock order
is written down at the top of core.c.
""", ["mm/damon/core.c"]),
    Step("mm/damon/vaddr: add the virtual address space operation sets", """
Add vaddr, which monitors the address spaces of processes (targets are
pids; a target's regions cover its mappings minus the two biggest holes
between them), and fvaddr, which monitors fixed ranges of a process that
the user sets.
Sampling clears and checks the Accessed bit of the one PTE or PMD that maps
the sampled address, with a page-table walk that never splits a THP.  The
DAMOS actions are the madvise() ones (willneed, cold, pageout, hugepage,
nohugepage, collapse), stat, and migrate_hot/migrate_cold.

The common code of the operation sets (access checks through the rmap,
the region scores of DAMOS quotas, and the operation-set filters) is in
mm/damon/ops-common.c.
""", ["mm/damon/ops-common.c", "mm/damon/ops-common.h",
      "mm/damon/vaddr.c", "mm/damon/vaddr.h"], ["DAMON_VADDR"]),
    Step("mm/damon/paddr: add the physical address space operation set", """
Add paddr, which monitors physical address ranges (by default the biggest
System RAM resource, or every one).  Sampling clears and checks the young
state of the sampled folio through the rmap and PG_idle.  Its DAMOS
actions are pageout, lru_prio, lru_deprio, migrate_hot, migrate_cold and
stat, with the operation-set filters (anon, active, memcg, young,
hugepage_size, unmapped).
""", ["mm/damon/paddr.c"], ["DAMON_PADDR"]),
    Step("mm/damon/sysfs: add the directory and file helpers", """
DAMON's sysfs interface is a tree of several hundred small files.  Add the
helpers that declare it as data: each directory type has one table of its
files (value, keyword, string, number-of-children and custom files), and
the generic show and store functions parse, check and store the values,
so that the per-directory code is only tables.  Bad input is rejected with
the documented errno and changes nothing.
""", ["mm/damon/sysfs-common.c", "mm/damon/sysfs-common.h"],
         ["DAMON_SYSFS"]),
    Step("mm/damon/sysfs: add the schemes directories", """
Add schemes/ and everything below it: access_pattern/, quotas/ with
weights/ and goals/, watermarks/, core_filters/, ops_filters/ and the old
filters/, dests/, stats/ and tried_regions/, and the conversion of the
tree into DAMOS schemes for the core.
""", ["mm/damon/sysfs-schemes.c"]),
    Step("mm/damon/sysfs: add admin, kdamonds, contexts and targets", """
Add /sys/kernel/mm/damon/admin: kdamonds/ with their state and pid files,
contexts/ with the operation set, addr_unit, monitoring_attrs/ and
intervals_goal/, and targets/ with their regions/.  Writing the kdamond's
state file starts and stops it, commits the staged tree to a running one,
and refreshes the statistics, tried regions and auto-tuned intervals.
""", ["mm/damon/sysfs.c"]),
    Step("mm/damon/reclaim: add DAMON_RECLAIM", """
Add the DAMON_RECLAIM module: it pages out memory regions that have not
been accessed for a while, under a time and size quota, with watermarks of
free memory, all set by module parameters (also at boot).  The parameter
handling that the three modules share is in mm/damon/modules-common.c.
""", ["mm/damon/modules-common.c", "mm/damon/modules-common.h",
      "mm/damon/reclaim.c"], ["DAMON_RECLAIM"]),
    Step("mm/damon/lru_sort: add DAMON_LRU_SORT", """
Add the DAMON_LRU_SORT module: it activates the folios of hot memory and
deactivates those of cold memory, so that the LRU lists, and reclaim,
follow the observed accesses, under quotas and watermarks set by module
parameters.
""", ["mm/damon/lru_sort.c"], ["DAMON_LRU_SORT"]),
    Step("mm/damon/stat: add DAMON_STAT", """
Add the DAMON_STAT module: it monitors the physical address space with
auto-tuned intervals and exports the estimated memory bandwidth and the
percentiles of idle time as read-only parameters, cheap enough to leave
on in a fleet.
""", ["mm/damon/stat.c"], ["DAMON_STAT", "DAMON_STAT_ENABLED_DEFAULT"]),
    Step("Documentation/mm/damon: add the design and API documents", """
Describe for developers how DAMON works: the layers and who calls whom,
the region-based sampling and the adaptive adjustment, the operation sets,
DAMOS and its quotas, the locking, and the kernel API, which the API page
pulls from the kernel-doc.
""", ["Documentation/mm/damon/*"]),
    Step("Documentation/admin-guide/mm/damon: add the admin guide", """
Describe for users how to run DAMON: getting started with damo and with
sysfs, every file of the sysfs interface (also in
Documentation/ABI/testing), the three modules, the tracepoints with perf
and trace-cmd, the limits of sampling, and how this implementation
differs from the one it replaces.
""", ["Documentation/admin-guide/mm/damon/*",
      "Documentation/ABI/testing/sysfs-kernel-mm-damon"]),
    Step("mm/damon/tests: add KUnit tests of the core", """
Add KUnit suites for the core, with a fake operation set where real
memory is not needed: contexts and targets, attributes and their
validation, requests to a kdamond, online commit, the kdamond loop's
bookkeeping, and the regions (split, merge, aging, set_regions, the
region count bounds).  They run at boot when KUnit is built in.
""", ["mm/damon/tests/Makefile", "mm/damon/tests/core_kunit.c",
      "mm/damon/tests/fake_ops.h", "mm/damon/tests/regions_kunit.c"],
         ["DAMON_KUNIT_TEST", "DAMON_REGIONS_KUNIT_TEST"]),
    Step("mm/damon/tests: add KUnit tests of the operation sets", """
Add KUnit suites for vaddr (the three-biggest-areas split, the update of
target regions), the common code of the operation sets (region scores,
filters), paddr and its actions on real folios, and a live vaddr suite
that runs against a user process when its debugfs file is triggered.
""", ["mm/damon/tests/vaddr_kunit.c", "mm/damon/tests/ops_common_kunit.c",
      "mm/damon/tests/vaddr_live_kunit.c", "mm/damon/tests/paddr_kunit.c",
      "mm/damon/tests/paddr_actions_kunit.c", "mm/damon/tests/real_folio.h"],
         ["DAMON_VADDR_KUNIT_TEST", "DAMON_PADDR_KUNIT_TEST"]),
    Step("mm/damon/tests: add KUnit tests of DAMOS and of sysfs", """
Add KUnit suites for the DAMOS engine (pattern match, filters, watermarks,
apply intervals), for quotas and their goal tuning, and for the sysfs
helpers' parsing.  Add mm/damon/tests/.kunitconfig, so that

  ./tools/testing/kunit/kunit.py run --kunitconfig=mm/damon/tests

builds and runs every DAMON suite.
""", ["mm/damon/tests/schemes_kunit.c", "mm/damon/tests/quota_kunit.c",
      "mm/damon/tests/sysfs_kunit.c", "mm/damon/tests/.kunitconfig",
      "mm/damon/tests/*"],
         ["DAMON_SCHEMES_KUNIT_TEST", "DAMON_QUOTA_KUNIT_TEST",
          "DAMON_SYSFS_KUNIT_TEST"]),
    Step("selftests/damon: add tests of every user-visible interface", """
Add kselftests that boot-test what users see, each against a workload with
known ground truth where DAMON's effect is the point: the sysfs tree and
its errnos, kdamond states, a fuzzer of every file and race loops, hot
and cold detection, the DAMOS actions of vaddr and paddr, the modules and
their boot parameters, the tracepoints, and DAMON_STAT's bandwidth.
""", ["tools/testing/selftests/damon/*"]),
]

# ------------------------------------------------------------- helpers


def run(cmd, cwd=None, env=None, check=True, quiet=False):
    r = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if check and r.returncode:
        sys.stdout.write(r.stdout[-4000:])
        raise SystemExit("series: failed: %s" % " ".join(cmd))
    return r.stdout


def git(tree, *args, **kw):
    return run(["git", "-C", tree] + list(args), **kw)


def maintainers_entry():
    """Our entry: (name line, header lines, [F:/P: lines])."""
    lines = open(os.path.join(REPO, "MAINTAINERS.damon")).read().splitlines()
    head = [l for l in lines[1:] if not re.match(r"^[FPX]:", l)]
    paths = [l for l in lines[1:] if re.match(r"^[FPX]:", l)]
    return lines[0], head, paths


def author():
    _, head, _ = maintainers_entry()
    for l in head:
        if l.startswith("M:"):
            return l[2:].strip()
    raise SystemExit("series: MAINTAINERS.damon has no M: line")


def patch_files(path):
    """The files a patch changes, from its diff headers."""
    files = set()
    for l in open(path, errors="replace"):
        m = re.match(r"^(?:---|\+\+\+) [ab]/(\S+)", l)
        if m:
            files.add(m.group(1))
    return sorted(files)


def ours(f):
    """Is f under one of our MAINTAINERS entry's F: patterns?"""
    _, _, paths = maintainers_entry()
    for l in paths:
        if l.startswith("F:"):
            pat = l[2:].strip()
            if f == pat or (pat.endswith("/") and f.startswith(pat)):
                return True
    return False


def maintainers_ok(path, gm_out):
    """
    A patch that touches our files must reach our entry's maintainer; one
    that touches only files elsewhere (mm/memory.c, ...) cannot, and must
    reach the maintainers get_maintainer.pl names for those (at least one
    M: or L: line, e.g. THE REST's).
    """
    files = patch_files(path)
    if any(ours(f) for f in files):
        if author() in gm_out:
            return True, ""
        return False, "our maintainer not named: " + gm_out.strip()[-200:]
    if re.search(r"^\s*[ML]:", gm_out, re.M):
        return True, "outside our paths (%s)" % ", ".join(files[:3])
    return False, "nobody named for " + ", ".join(files[:3])


def overlay_files():
    """The repository's files that tree.sh overlays, in repo paths."""
    out = run(["git", "-C", REPO, "ls-files"]).split()
    keep = []
    for f in out:
        if f in RENAMES or f in NOT_IN_TREE or any(
                f == p or f.startswith(p + "/") for p in UPSTREAM_PATHS):
            keep.append(f)
    return keep


def assign_steps():
    """[(step, [repo files])]; every overlay file in exactly one step."""
    files = [f for f in overlay_files() if f not in NOT_IN_TREE]
    owner = {}
    for i, st in enumerate(STEPS):
        for pat in st.files:
            for f in files:
                if f not in owner and fnmatch.fnmatchcase(f, pat):
                    owner[f] = i
    missing = [f for f in files if f not in owner]
    if missing:
        raise SystemExit("series: files in no step: " + " ".join(missing))
    return [(st, [f for f in files if owner[f] == i])
            for i, st in enumerate(STEPS)]


def tree_path(f):
    return RENAMES.get(f, f)


# ---------------------------------------------- partial Kconfig / Makefile


def kconfig_blocks(text):
    """Split a Kconfig into (symbol or None, text) blocks."""
    blocks, cur, sym = [], [], None
    for line in text.splitlines(keepends=True):
        m = re.match(r"^(config|menuconfig)\s+(\w+)", line)
        if m or re.match(r"^(menu|endmenu|if|endif|source)\b", line):
            if cur:
                blocks.append((sym, "".join(cur)))
            cur, sym = [], (m.group(2) if m else None)
        cur.append(line)
    if cur:
        blocks.append((sym, "".join(cur)))
    return blocks


def partial_kconfig(text, symbols):
    blocks = kconfig_blocks(text)
    out = [b for s, b in blocks if s is None or s in symbols]
    if len(out) == len(blocks):
        return text
    s = "".join(out)
    # a dropped last block may leave the one before without its blank line
    return re.sub(r"\n*(endmenu\n)", r"\n\n\1", s)


def partial_makefile(text, srcdir):
    """Keep the objects whose sources exist in @srcdir; drop empty lines
    of objects, and comments and ifdef blocks left with nothing in them."""
    def exists(tok):
        if tok.endswith("/"):
            return os.path.exists(os.path.join(srcdir, tok, "Makefile"))
        return os.path.exists(os.path.join(srcdir, tok[:-2] + ".c"))

    out = []
    for line in text.splitlines():
        m = re.match(r"^(\S+\s*[:+]?=\s*)(.*)$", line)
        if m and re.search(r"\.o\b|/$", m.group(2)):
            all_toks = m.group(2).split()
            toks = [t for t in all_toks if exists(t)]
            if not toks:
                out.append(None)        # a dropped line
                continue
            if toks != all_toks:
                line = m.group(1) + " ".join(toks)
        out.append(line)
    # a comment goes when every line it is about (up to the next blank
    # line or comment) went; so does an ifdef block left empty
    res = []
    for i, line in enumerate(out):
        if line is None:
            continue
        if line.startswith("#") and not line.startswith("# SPDX"):
            j = i + 1
            while j < len(out) and out[j] is not None and out[j].startswith("#"):
                j += 1
            about = []
            while j < len(out) and out[j] != "" and not (
                    out[j] is not None and out[j].startswith("#")):
                about.append(out[j])
                j += 1
            if about and all(l is None for l in about):
                continue
        res.append(line)
    text = "\n".join(res) + "\n"
    text = re.sub(r"(?m)^(#[^\n]*\n)*ifdef [^\n]*\nendif\n", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text


# ---------------------------------------------------------------- make


def extract_pristine(dest):
    if os.path.exists(os.path.join(dest, ".git")):
        return
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest + ".tmp", exist_ok=True)
    print("series: extracting %s" % TARBALL, flush=True)
    run(["tar", "-C", dest + ".tmp", "-xJf", TARBALL])
    top = os.listdir(dest + ".tmp")[0]
    os.rename(os.path.join(dest + ".tmp", top), dest)
    os.rmdir(dest + ".tmp")
    print("series: committing the pristine tree", flush=True)
    git(dest, "init", "-q")
    name, email = re.match(r"^(.*?)\s*<(.*)>$", author()).groups()
    git(dest, "config", "user.name", name)
    git(dest, "config", "user.email", email)
    git(dest, "config", "core.autocrlf", "false")
    git(dest, "add", "-A", "-f")
    git(dest, "commit", "-q", "-m", "Debian linux-source-6.12 (pristine)")
    git(dest, "tag", "pristine")


def commit_env(date):
    name, email = re.match(r"^(.*?)\s*<(.*)>$", author()).groups()
    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return env


def commit(tree, subject, body, date):
    msg = "%s\n\n%s\n\nSigned-off-by: %s\n" % (subject, body, author())
    git(tree, "add", "-A", "-f")
    subprocess.run(["git", "-C", tree, "commit", "-q", "-F", "-"], input=msg,
                   text=True, env=commit_env(date), check=True)


def entry_position(tree):
    """Line index of upstream's entry in the pristine MAINTAINERS."""
    lines = git(tree, "show", "pristine:MAINTAINERS").split("\n")
    name = maintainers_entry()[0]
    return lines.index(name)


def write_maintainers(tree):
    """Our entry, with the F:/P:/X: lines whose paths exist so far, where
    upstream's entry was (as tree.sh puts it)."""
    name = maintainers_entry()[0]
    entry = []
    for l in open(os.path.join(REPO, "MAINTAINERS.damon")).read().splitlines():
        m = re.match(r"^[FPX]:\s*(\S+)", l)
        if m and not glob.glob(os.path.join(tree, m.group(1))):
            continue
        entry.append(l)
    path = os.path.join(tree, "MAINTAINERS")
    lines = open(path).read().split("\n")
    if name in lines:                   # drop the previous version
        i = lines.index(name)
        j = lines.index("", i)
        del lines[i:j + 1]
    pos = entry_position(tree)
    lines[pos:pos] = entry + [""]
    open(path, "w").write("\n".join(lines))


def remove_upstream(tree, date):
    for p in UPSTREAM_PATHS:
        full = os.path.join(tree, p)
        if os.path.isdir(full):
            shutil.rmtree(full)
        elif os.path.exists(full):
            os.remove(full)
    for f, line in HOOKS:
        full = os.path.join(tree, f)
        text = open(full).read()
        if line not in text:
            raise SystemExit("series: %s lacks %r" % (f, line))
        open(full, "w").write(text.replace(line, "", 1))
    maint = os.path.join(tree, "MAINTAINERS")
    text = open(maint).read()
    text, n = re.subn(r"(?ms)^DATA ACCESS MONITOR\n.*?\n\n", "", text)
    if n != 1:
        raise SystemExit("series: no DATA ACCESS MONITOR entry in MAINTAINERS")
    open(maint, "w").write(text)
    commit(tree, "mm/damon: remove the DAMON implementation", """
This series replaces DAMON with a new implementation of the same
interfaces.  Remove the current one first, in one patch, so that the rest
of the series adds the new code from a clean slate and each patch can be
read on its own: mm/damon/, include/linux/damon.h,
include/trace/events/damon.h, their documentation (the admin guide, the
design documents and the sysfs ABI file), the DAMON kselftests, and the
MAINTAINERS entry.  The lines of mm/Kconfig and mm/Makefile that name
mm/damon/ go too; the next patch restores them.

Nothing outside these paths uses DAMON, so the tree builds without it; the
series adds back every interface that is removed here: the kernel API, the
sysfs tree, the module parameters and the tracepoint formats.
""".strip("\n"), date)


def git_am(git_tree, name, date):
    run(["git", "-C", git_tree, "am", "-q",
         os.path.join(REPO, "patches", name)], env=commit_env(date))


def make_series(a):
    steps = assign_steps()
    git_tree = os.path.join(SERIES, "git")
    extract_pristine(git_tree)
    git(git_tree, "checkout", "-q", "-f", "pristine")
    git(git_tree, "clean", "-q", "-fdx")
    git(git_tree, "branch", "-q", "-f", "series", "pristine")
    git(git_tree, "checkout", "-q", "series")
    date = run(["git", "-C", REPO, "log", "-1", "--format=%cI"]).strip()
    remove_upstream(git_tree, date)
    symbols = set()
    kconfig_src = open(os.path.join(REPO, "Kconfig.damon")).read()
    for i, (st, files) in enumerate(steps):
        for f in files:
            dst = os.path.join(git_tree, tree_path(f))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(REPO, f), dst)
        symbols.update(st.kconfig)
        damon = os.path.join(git_tree, "mm/damon")
        if os.path.isdir(damon):
            open(os.path.join(damon, "Kconfig"), "w").write(
                partial_kconfig(kconfig_src, symbols))
            open(os.path.join(damon, "Makefile"), "w").write(partial_makefile(
                open(os.path.join(REPO, "Makefile.damon")).read(), damon))
            tmk = os.path.join(REPO, "mm/damon/tests/Makefile")
            if os.path.exists(os.path.join(damon, "tests/Makefile")):
                open(os.path.join(damon, "tests/Makefile"), "w").write(
                    partial_makefile(open(tmk).read(),
                                     os.path.join(damon, "tests")))
        if i == 0:
            for f, line in HOOKS:
                full = os.path.join(git_tree, f)
                pristine = git(git_tree, "show", "pristine:" + f)
                open(full, "w").write(pristine)
        write_maintainers(git_tree)
        commit(git_tree, st.subject, st.body, date)
        for p in st.patches:
            git_am(git_tree, p, date)
    claimed = {p for st, _ in steps for p in st.patches}
    patches = sorted(p for p in os.listdir(os.path.join(REPO, "patches"))
                     if p.endswith(".patch")) if os.path.isdir(
                         os.path.join(REPO, "patches")) else []
    missing = claimed - set(patches)
    if missing:
        raise SystemExit("series: steps name missing patches: %s" %
                         " ".join(sorted(missing)))
    for p in patches:
        if p not in claimed:
            git_am(git_tree, p, date)
    out = os.path.join(SERIES, "patches")
    shutil.rmtree(out, ignore_errors=True)
    git(git_tree, "format-patch", "-q", "--cover-letter", "--thread",
        "--base=pristine", "-o", out, "pristine..series")
    write_cover_letter(out, git_tree)
    n = len(os.listdir(out)) - 1
    print("series: %d patches and a cover letter in %s" % (n, out))


COVER = """\
This series replaces the Data Access MONitor (DAMON) of Linux 6.12 with a
new implementation, written from scratch against DAMON's documented
interfaces: the kernel API of include/linux/damon.h, the sysfs tree under
/sys/kernel/mm/damon/admin, the DAMON_RECLAIM, DAMON_LRU_SORT and
DAMON_STAT module parameters, and the tracepoint formats.  damo, perf and
trace-cmd work unchanged, as do DAMON's own 6.12 kselftests.

How it differs
--------------
- The same interface, including what newer kernels added (core and
  operation-set filters, quota goals with node, memcg and LRU metrics and
  their tuners, migration destinations, intervals auto-tuning, addr_unit,
  DAMON_STAT), documented in Documentation/admin-guide/mm/damon/
  differences.rst.
- Regions are cut where their accessed samples were rather than only at
  random, so that region boundaries follow hot memory; the region count
  stays within its bounds after every update.
- The sysfs interface is declared as tables of files, one per directory
  type; bad input gets the documented errno and changes nothing.
- The code is split by concern, with one-way dependencies between its
  files (Documentation/mm/damon/design.rst lists who calls whom, and the
  test harness checks it).

Measured against the DAMON it replaces (same tree and config, QEMU TCG
with -icount, ABAB pairs, 95%% bootstrap intervals; ratios ours/theirs):

%s
How it was tested
-----------------
- KUnit: %s
- kselftests of every user-visible interface against workloads with known
  ground truth, in a booted guest; DAMON's 6.12 kselftests, unchanged;
  the damo tool (pip's current release) starting, reporting and stopping.
- The same under KASAN, kmemleak and lockdep, with a sysfs fuzzer and
  race loops; a load check that compares timing-based tests with the
  replaced DAMON on a busy host.
- tinyconfig-based builds with DAMON's options on and off, W=1 and sparse,
  htmldocs without warnings, checkpatch --strict on every patch, and every
  prefix of this series builds.

The series: the first patch removes the current DAMON; the next ones add
the new one bottom-up (interface, regions, tracepoints, attributes,
DAMOS, the kdamond, the operation sets, sysfs, the modules), then the
documentation, the KUnit suites and the kselftests.
"""


BENCH_METRICS = ["kdamond CPU share", "CPU per region-sample",
                 "F1 of hot bytes", "time to find first hot set",
                 "workload slowdown"]


def is_full_run(d):
    """Whether the committed run in @d is a full-mode run of the whole plan
    on both kernels."""
    try:
        meta = json.load(open(os.path.join(d, "meta.json")))
    except (OSError, ValueError):
        return False
    return (meta.get("mode") == "full" and "--items" not in meta.get("command", "")
            and "upstream" in meta.get("kernels_run", ["ours", "upstream"]))


def bench_table():
    """Key rows of the newest committed benchmark report, as plain text."""
    res = os.path.join(REPO, "bench/results")
    runs = sorted(d for d in os.listdir(res)
                  if os.path.exists(os.path.join(res, d, "report.md")))
    # the newest whole comparison, not a quick run, a partial sweep or an
    # ours-only run committed after it
    full = [d for d in runs if is_full_run(os.path.join(res, d))]
    runs = full or runs
    if not runs:
        return "  (no benchmark results in bench/results/)\n"
    out = ["  bench/results/%s/report.md (ratio [95%% interval]):" % runs[-1], ""]
    for line in open(os.path.join(res, runs[-1], "report.md")):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[1] in BENCH_METRICS:
            out.append("  %-10s %-27s %s" % (cells[0], cells[1], cells[4]))
    return "\n".join(out) + "\n"


def kunit_count():
    n = 0
    for root, _, files in os.walk(os.path.join(REPO, "mm/damon/tests")):
        for f in files:
            if f.endswith(".c"):
                n += len(re.findall(r"KUNIT_CASE(?:_PARAM|_SLOW)?\(",
                                    open(os.path.join(root, f)).read()))
    return "%d cases in the suites of mm/damon/tests/." % n


def write_cover_letter(out, git_tree):
    path = os.path.join(out, "0000-cover-letter.patch")
    text = open(path).read()
    text = text.replace("*** SUBJECT HERE ***",
                        "mm/damon: a new implementation of DAMON")
    text = text.replace("*** BLURB HERE ***",
                        COVER % (bench_table(), kunit_count()))
    open(path, "w").write(text)


# --------------------------------------------------------------- check


def check_series(a):
    t0 = time.monotonic()
    patches_dir = os.path.join(SERIES, "patches")
    patches = sorted(p for p in os.listdir(patches_dir) if not p.startswith("0000-"))
    if not patches:
        raise SystemExit("series: no patches; run `series.py make` first")
    src = os.path.join(CHECK, "src")
    results = []

    def record(tid, ok, detail=""):
        results.append((tid, ok, detail))
        print("%s %s%s" % ("PASS" if ok else "FAIL", tid,
                           " -- " + detail if detail else ""), flush=True)

    # a fresh copy of the pristine tree, at the same depth below its base
    # as build.sh's trees, so that ccache hits (CCACHE_BASEDIR)
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(CHECK, exist_ok=True)
    run(["git", "clone", "-q", "--no-checkout", os.path.join(SERIES, "git"), src])
    git(src, "checkout", "-q", "-b", "check", "pristine")
    git(src, "config", "user.name", "series-check")
    git(src, "config", "user.email", "series-check@localhost")
    am = subprocess.run(["git", "-C", src, "am", "-q", "--keep-cr"] +
                        [os.path.join(patches_dir, p) for p in patches],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    record("series:git-am", am.returncode == 0,
           "%d patches" % len(patches) if am.returncode == 0 else am.stdout[-300:])
    if am.returncode:
        return summarize(results, t0)
    commits = git(src, "rev-list", "--reverse", "pristine..check").split()

    # checkpatch and get_maintainer on each patch, from the final tree
    cp = os.path.join(src, "scripts/checkpatch.pl")
    gm = os.path.join(src, "scripts/get_maintainer.pl")
    name, _, _ = maintainers_entry()
    left_checks = []
    for p in patches:
        path = os.path.join(patches_dir, p)
        r = subprocess.run([cp, "--strict", "--terse", "--no-summary",
                            "--show-types", path], cwd=src, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        bad = [l for l in lines if re.search(r": (ERROR|WARNING):", l)]
        # "added, moved or deleted file(s), does MAINTAINERS need
        # updating?" is answered below by get_maintainer.pl for each file
        bad = [l for l in bad if "FILE_PATH_CHANGES" not in l]
        left_checks += ["%s: %s" % (p, l) for l in lines if ": CHECK:" in l]
        record("series:checkpatch:" + p, not bad,
               bad[0] if bad else "%d CHECK(s)" % sum(": CHECK:" in l for l in lines))
        r = subprocess.run([gm, "--no-git", "--no-rolestats", "--no-git-fallback",
                            "--sections", path], cwd=src, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        ok, why = maintainers_ok(path, r.stdout)
        record("series:get_maintainer:" + p, ok, why)
    with open(os.path.join(CHECK, "checkpatch-checks.txt"), "w") as f:
        f.write("\n".join(left_checks) + "\n")

    # every prefix builds: the test config, incrementally, one object dir
    obj = os.path.join(CHECK, "obj-test")
    os.makedirs(obj, exist_ok=True)
    env = dict(os.environ, CCACHE_BASEDIR=CHECK,
               CCACHE_SLOPPINESS="time_macros,include_file_mtime,include_file_ctime",
               KBUILD_BUILD_TIMESTAMP="2024-01-01", KBUILD_BUILD_USER="damon",
               KBUILD_BUILD_HOST="harness")
    cc = "ccache gcc" if shutil.which("ccache") else "gcc"
    mk = ["make", "-s", "-C", src, "O=" + obj, "CC=" + cc, "HOSTCC=" + cc,
          "-j%d" % os.cpu_count()]
    frags = [os.path.join(src, "kernel/configs/kvm_guest.config"),
             os.path.join(HARNESS, "config/base.config"),
             os.path.join(HARNESS, "config/test.config")]
    builds = commits if not a.last_only else commits[-1:]
    for c in builds:
        t = time.monotonic()
        git(src, "checkout", "-q", c)
        subj = git(src, "log", "-1", "--format=%s", c).strip()
        log = os.path.join(CHECK, "build-%s.log" % c[:12])
        with open(log, "w") as lf:
            ok = subprocess.run(mk + ["x86_64_defconfig"], cwd=src, env=env,
                                stdout=lf, stderr=subprocess.STDOUT).returncode == 0
            ok = ok and subprocess.run(
                [os.path.join(src, "scripts/kconfig/merge_config.sh"), "-m", "-O",
                 obj, os.path.join(obj, ".config")] + frags, cwd=obj, env=env,
                stdout=lf, stderr=subprocess.STDOUT).returncode == 0
            ok = ok and subprocess.run(mk + ["olddefconfig"], cwd=src, env=env,
                                       stdout=lf, stderr=subprocess.STDOUT).returncode == 0
            ok = ok and subprocess.run(mk + ["bzImage"], cwd=src, env=env,
                                       stdout=lf, stderr=subprocess.STDOUT).returncode == 0
        record("series:build:%d" % (commits.index(c) + 1), ok,
               "%s (%.0fs)%s" % (subj, time.monotonic() - t,
                                 "" if ok else ", see " + log))
    git(src, "checkout", "-q", "check")

    # the tree after the last patch is the tree make build uses
    expect = os.path.join(CHECK, "expect")
    shutil.rmtree(expect, ignore_errors=True)
    env2 = dict(os.environ, BUILD=expect, REPO=REPO)
    run([os.path.join(HARNESS, "tree.sh"), "ours"], env=env2)
    d = subprocess.run(["diff", "-rq", "--exclude=.git", "--exclude=__pycache__",
                        "--exclude=.pristine-extracted",
                        "--exclude=.upstream-damon-removed",
                        "--exclude=.MAINTAINERS.pristine",
                        "--exclude=.maintainers-entry",
                        src, os.path.join(expect, "src")],
                       stdout=subprocess.PIPE, text=True)
    record("series:same-tree", d.returncode == 0,
           "identical to tree.sh ours" if d.returncode == 0 else
           d.stdout.strip().splitlines()[0])
    shutil.rmtree(expect, ignore_errors=True)
    return summarize(results, t0)


def summarize(results, t0):
    bad = [r for r in results if not r[1]]
    print("series-check: %d passed, %d failed in %.0fs" %
          (len(results) - len(bad), len(bad), time.monotonic() - t0))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["make", "check"])
    ap.add_argument("--last-only", action="store_true",
                    help="check: build only the last prefix")
    a = ap.parse_args()
    if a.cmd == "make":
        make_series(a)
        return 0
    return check_series(a)


if __name__ == "__main__":
    sys.exit(main())

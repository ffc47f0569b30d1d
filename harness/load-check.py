#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""load-check.py - timing-based tests under host load, ours against upstream.

Users' machines are busy.  A test that depends on timing must pass on our
DAMON under load whenever it passes on upstream's DAMON under the same load.
This runs upstream's timing-based 6.12 selftests (unchanged) on both kernels
built from the same tree and test config -- ours (build.sh test) and the
reference (build.sh ref-test) -- each run with run-tests.py --under-load, the
kernels alternating (ABAB) so that both see the same host.  Optionally, our
own effect tests run under the same load on our kernel (they test interfaces
that upstream's 6.12 lacks, so they have no reference).

Usage: load-check.py [--runs N] [--tests a.py,b.py] [--ours-tests x,y]
                     [--report FILE]
Exit status 1 if a test failed on ours in more runs than on the reference,
or if one of --ours-tests failed.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import time

HARNESS = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("REPO", os.path.dirname(HARNESS))
BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))

# upstream's selftests whose outcome depends on how fast the kdamond runs
TIMING_TESTS = [
    "damos_apply_interval.py",
    "damos_quota.py",
    "damos_quota_goal.py",
    "damos_tried_regions.py",
    "damon_nr_regions.py",
    "sysfs_update_schemes_tried_regions_hang.py",
    "sysfs_update_schemes_tried_regions_wss_estimation.py",
]
# our effect tests: thresholds on what DAMON did to a workload
OUR_TIMING_TESTS = [
    "ops_hot_cold_detect.py",
    "modules_effects.py",
    "damos_engine.sh",
    "damos_vaddr_actions.sh",
    "damos_paddr_actions.sh",
]
LINE_RE = re.compile(r"^(PASS|FAIL|SKIP|XFAIL|XPASS)\s+(\S+)(?:\s+--\s+(.*))?$")


def build(kind):
    out = subprocess.run([os.path.join(HARNESS, "build.sh"), kind],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


ATTEMPT_RE = re.compile(r"on attempt (\d+) of \d+|on all (\d+) attempts")


def attempts_of(detail):
    """How many attempts a result took, from run-tests.py's result line
    ("passed on attempt 2 of 3", "failed on all 3 attempts", or nothing
    for the first attempt)."""
    m = ATTEMPT_RE.search(detail or "")
    return (m.group(1) or m.group(2)) if m else "1"


def run_phase(kernel, phase, tests, tag):
    """One run-tests.py under load; {test id: (status, detail)}."""
    cmd = [os.path.join(HARNESS, "run-tests.py"), "--kernel", kernel,
           "--phases", phase, "--tests", ",".join(tests), "--under-load",
           "--known-failures", "none",
           "--results-dir", os.path.join(BUILD, "load-check", tag)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    got = {}
    for line in p.stdout.splitlines():
        m = LINE_RE.match(line)
        if m:
            got[m.group(2)] = (m.group(1), m.group(3) or "")
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--tests", default=",".join(TIMING_TESTS))
    ap.add_argument("--ours-tests", default="",
                    help="our kselftests to run under load on ours only "
                    "('default' for %s)" % ",".join(OUR_TIMING_TESTS))
    ap.add_argument("--report", default=os.path.join(BUILD, "load-check", "report.md"))
    a = ap.parse_args()
    tests = a.tests.split(",")
    ours_tests = OUR_TIMING_TESTS if a.ours_tests == "default" else \
        [t for t in a.ours_tests.split(",") if t]

    kernels = {"ref": build("ref-test"), "ours": build("test")}
    outcome = collections.defaultdict(list)     # (kernel, test id) -> [status]
    details = collections.defaultdict(list)
    start = time.monotonic()
    for i in range(a.runs):
        for name in ("ref", "ours") if i % 2 == 0 else ("ours", "ref"):
            print("load-check: run %d, %s" % (i + 1, name), flush=True)
            got = run_phase(kernels[name], "upstream", tests, "%s-%d" % (name, i))
            for t in tests:
                st, det = got.get("upstream:" + t, ("FAIL", "no result"))
                outcome[(name, t)].append(st)
                details[(name, t)].append(det)
            for tid, (st, det) in got.items():
                if tid.startswith("kernel:") and st == "FAIL":
                    details[(name, "kernel")].append(det)
        if ours_tests:
            print("load-check: run %d, our effect tests" % (i + 1), flush=True)
            got = run_phase(kernels["ours"], "ours", ours_tests, "effects-%d" % i)
            for t in ours_tests:
                st, det = got.get("ours:" + t, ("FAIL", "no result"))
                outcome[("effects", t)].append(st)
                details[("effects", t)].append(det)

    bad = []
    lines = ["# Timing-based tests under host load: ours vs upstream's DAMON", "",
             "%d run(s) per kernel, ABAB, every host core kept busy "
             "(run-tests.py --under-load), %.0f s in all." %
             (a.runs, time.monotonic() - start), "",
             "| test | upstream's DAMON passed | ours passed | "
             "attempts (upstream's) | attempts (ours) |",
             "|---|---|---|---|---|"]
    for t in tests:
        ref = outcome[("ref", t)].count("PASS")
        ours = outcome[("ours", t)].count("PASS")
        att = {k: " ".join(attempts_of(d) for d in details[(k, t)])
               for k in ("ref", "ours")}
        lines.append("| %s | %d/%d | %d/%d | %s | %s |" %
                     (t, ref, a.runs, ours, a.runs, att["ref"], att["ours"]))
        if ours < ref:
            bad.append(t)
    for t in ours_tests:
        ok = outcome[("effects", t)].count("PASS")
        lines.append("| ours:%s | (no reference) | %d/%d | | %s |" %
                     (t, ok, a.runs, " ".join(attempts_of(d) for d in
                                             details[("effects", t)])))
        if ok < a.runs:
            bad.append("ours:" + t)
    for name in ("ref", "ours"):
        for d in details[(name, "kernel")]:
            lines.append("")
            lines.append("%s kernel: %s" % (name, d))
    lines += ["", "Verdict: " + ("worse than upstream on " + ", ".join(bad)
                                 if bad else "no test fails on ours that passes on upstream's")]
    os.makedirs(os.path.dirname(a.report), exist_ok=True)
    with open(a.report, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

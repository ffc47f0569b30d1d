#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""run-tests.py - run every DAMON test against a built kernel.

Phases, each in its own guest boot (a kernel splat in any boot fails it):
  layers    no boot: the call graph between mm/damon's objects has no cycle
            and is the one Documentation/mm/damon/design.rst gives (layers.py)
  static    no boot: mm/damon/ compiled with W=1 and with sparse, with and
            without KUnit (static-check.sh)
  docs      no boot: Sphinx builds our documents without a warning, kernel-doc
            -Wall is clean, the API page and the admin guide cover every
            interface (docs-check.sh; 7-30 s)
  kunit     every built-in KUnit suite runs at boot; the console's KTAP is
            parsed per case by the tree's tools/testing/kunit/kunit.py parse
  ours      our kselftests (tools/testing/selftests/damon), kselftest runner
  boot      our kselftests of boot-time parameters, booted with them
  upstream  upstream's 6.12 DAMON selftests, unchanged, debugfs ones skipped
  damo      smoke test of the real damo tool
  debug     our kselftests on the debug kernel (build.sh debug: KASAN,
            kmemleak), with a kmemleak check around them (make test-debug)

Results are PASS/FAIL/SKIP, turned into XFAIL/XPASS by known-failures.txt.
With --under-load, every phase runs while a CPU hog keeps every host core
busy (see HostLoad): a loaded user machine, or CI beside a kernel build.
The last line is "N passed, N failed, N skipped"; exit status 1 on failure.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import vm

HARNESS = vm.HARNESS
REPO = vm.REPO
BUILD = vm.BUILD

# Upstream's 6.12 DAMON selftests we run; the debugfs_* ones test an
# interface that upstream removed too.
UPSTREAM_TESTS = [
    "sysfs.sh",
    "sysfs_update_removed_scheme_dir.sh",
    "sysfs_update_schemes_tried_regions_hang.py",
    "sysfs_update_schemes_tried_regions_wss_estimation.py",
    "damos_quota.py",
    "damos_quota_goal.py",
    "damos_apply_interval.py",
    "damos_tried_regions.py",
    "damon_nr_regions.py",
    "reclaim.sh",
    "lru_sort.sh",
]
# Our kselftests that check boot-time parameters: run in their own boot
# with BOOT_PARAMS on the kernel command line (phase "boot").
BOOT_PARAM_TESTS = ["modules_boot.sh"]
BOOT_PARAMS = ("damon_reclaim.enabled=Y damon_reclaim.min_age=30000000 "
               "damon_lru_sort.enabled=Y")
UPSTREAM_TIMEOUT = 900      # per test, seconds: TCG on a loaded 2-core host is slow

results = []                # (id, status, detail)
ONLY_TESTS = None           # --tests: kselftests to run, None for all
RESULTS_DIR = os.path.join(BUILD, "test-results")


def log(msg):
    print(msg, flush=True)


def record(tid, status, detail=""):
    results.append((tid, status, detail))


# ---------------------------------------------------------------- parsing

# KUnit's own parser, from the kernel tree the test kernel is built from
KUNIT_PY = os.path.join(BUILD, "src", "tools", "testing", "kunit", "kunit.py")
# the errors kunit.py parse reports in its summary, e.g.
# "[12:00:00] [ERROR] Test: damon_core: missing subtest result line!"
KUNIT_ERROR_RE = re.compile(r"\[ERROR\] Test: (.*): (.*)$")
KUNIT_STATUS = {"PASS": "PASS", "SKIP": "SKIP", "FAIL": "FAIL", "ERROR": "FAIL"}
NOT_FINISHED = "suite did not finish (crash or hang?)"


def kunit_param_status(params):
    """Status of a parameterised case from its parameters', as KUnit
    decides it: failed if one failed, skipped if all skipped."""
    st = [KUNIT_STATUS.get(p["status"], "FAIL") for p in params]
    if "FAIL" in st:
        return "FAIL", "%d of %d parameters failed" % (st.count("FAIL"), len(st))
    if st and all(x == "SKIP" for x in st):
        return "SKIP", ""
    return "PASS", ""


def parse_kunit(console_file, outdir):
    """Per-case KUnit results of a boot's console, parsed by kunit.py parse.

    Returns [(id, status, detail)]: "kunit:<suite>.<case>" for each case (a
    parameterised case summarises its parameters), "kunit:<suite>" FAIL for
    a suite that did not finish (a case or its own result line missing: a
    crash or hang), "kunit:all" FAIL if suites are missing or there is no
    KTAP at all.  kunit.py's JSON and text output are kept in @outdir.
    """
    if not os.path.exists(KUNIT_PY):
        return [("kunit:all", "FAIL", "no %s (harness/tree.sh ours)" % KUNIT_PY)]
    # absolute paths: kunit.py runs in the root of its tree
    console_file = os.path.abspath(console_file)
    js = os.path.abspath(os.path.join(outdir, "kunit.json"))
    if os.path.exists(js):
        os.unlink(js)
    p = subprocess.run([sys.executable, KUNIT_PY, "parse", "--json=" + js,
                        console_file], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(outdir, "kunit-parse.log"), "w") as f:
        f.write(p.stdout)
    try:
        with open(js) as f:
            root = json.load(f)
    except (OSError, ValueError) as e:
        return [("kunit:all", "FAIL", "kunit.py parse gave no results: %s" % e)]

    out = []                # (id, status, detail), in the order of the JSON
    ids = {}                # test name in kunit.py's errors -> result id
    suites = set()          # result ids of suites
    missing = 0             # suites of the top-level plan that never ran
    for c in root["test_cases"]:
        # a suite without cases (e.g. skipped as a whole), or a missing one
        if c["name"]:
            ids[c["name"]] = "kunit:" + c["name"]
            out.append((ids[c["name"]], KUNIT_STATUS.get(c["status"], "FAIL"), ""))
        else:
            missing += 1
    for suite in root["sub_groups"]:
        sname = suite["name"]
        ids[sname] = "kunit:" + sname
        suites.add(ids[sname])
        finished = True
        for c in suite["test_cases"]:
            if not c["name"]:           # a case of the plan never reported
                finished = False
                continue
            ids.setdefault(c["name"], "kunit:%s.%s" % (sname, c["name"]))
            out.append(("kunit:%s.%s" % (sname, c["name"]),
                        KUNIT_STATUS.get(c["status"], "FAIL"), ""))
        for c in suite["sub_groups"]:
            params = [x for x in c["test_cases"] if x["name"]]
            if len(params) < len(c["test_cases"]):
                finished = False
            ids.setdefault(c["name"], "kunit:%s.%s" % (sname, c["name"]))
            out.append(("kunit:%s.%s" % (sname, c["name"]),) +
                       kunit_param_status(c["test_cases"]))
        if not finished:
            out.append((ids[sname], "FAIL", NOT_FINISHED))
    if missing:
        out.append(("kunit:all", "FAIL", "%d suite(s) of the plan did not "
                    "run (crash or hang?)" % missing))

    # What the JSON cannot say: a suite (or case) whose own result line is
    # missing, or a malformed stream.  kunit.py names it in an error; the
    # first error about a test fails it.
    res = {}
    for tid, st, det in out:
        if tid not in res or st == "FAIL":
            res[tid] = (st, det)
    errors = {}
    for line in p.stdout.splitlines():
        m = KUNIT_ERROR_RE.search(line)
        if m:
            errors.setdefault(ids.get(m.group(1), "kunit:all"), m.group(2))
    for tid, msg in errors.items():
        if res.get(tid, ("",))[0] == "FAIL":
            continue
        res[tid] = ("FAIL", (NOT_FINISHED + ": " if tid in suites else
                             "kunit.py: ") + msg)
    out = [(tid, st, det) for tid, (st, det) in res.items()]
    if not out:
        out.append(("kunit:all", "FAIL", "no KUnit case reported"))
    return out


HR_RE = re.compile(r"^HARNESS-RESULT (\S+) (PASS|FAIL|SKIP)(?: (.*))?$")


def parse_harness_results(output):
    return [(m.group(1), m.group(2), m.group(3) or "")
            for m in map(HR_RE.match, output.splitlines()) if m]


# ---------------------------------------------------------------- retries

# The harness's one retry policy.  A kselftest that fails is run again in
# the same boot, up to ATTEMPTS times in all, if the policy names it:
# upstream's tests that are expected to pass or are listed as flaky in
# known-failures.txt, or every upstream test with --retry-all.  Our own
# tests are never retried: they must pass the first time.
# guest/run-selftests.sh runs the attempts (its cap is ATTEMPTS) and
# reports "attempts=<n>"; attempts_detail() says it on the result line.
ATTEMPTS = 3
ATTEMPTS_RE = re.compile(r"\battempts=(\d+)\b")


def upstream_retry_list(known, retry_all):
    """run-selftests.sh's RETRY_LIST argument for the upstream phase."""
    if retry_all:
        return "all"
    path = os.path.join(BUILD, "upstream-retry.txt")
    os.makedirs(BUILD, exist_ok=True)
    with open(path, "w") as f:
        for t in UPSTREAM_TESTS:
            k = "upstream:" + t
            if k not in known or known[k]:
                f.write(t + "\n")
    return path


def attempts_detail(status, detail):
    """A result's detail with its "attempts=<n>" said in words (nothing
    for a result of the first attempt)."""
    m = ATTEMPTS_RE.search(detail)
    if not m:
        return detail
    n = int(m.group(1))
    rest = (detail[:m.start()] + detail[m.end():]).strip()
    if n == 1:
        said = ""
    elif status == "FAIL":
        said = "failed on all %d attempts" % n
    else:
        said = "%s on attempt %d of %d" % (
            "passed" if status == "PASS" else "skipped", n, ATTEMPTS)
    return "; ".join(x for x in (said, rest) if x)


# ---------------------------------------------------------------- phases

# kmemleak's own summary line: in the debug phase guest/kmemleak.sh decides,
# since only DAMON's leaks fail it
KMEMLEAK_SUMMARY_RE = re.compile(r"\bkmemleak: .* new suspected memory leaks")


def boot(phase, command, kernel, timeout, append="kunit.enable=0", expect_status=True,
         own_leak_check=False):
    """Boot the kernel for one phase; record splats/timeouts as results."""
    workdir = os.path.join(RESULTS_DIR, phase)
    shutil.rmtree(workdir, ignore_errors=True)
    log("== %s: booting (timeout %ds)" % (phase, timeout))
    r = vm.run(command, kernel=kernel, timeout=timeout, append_extra=append,
               workdir=workdir)
    log("== %s: guest finished in %.0fs, exit status %s%s" %
        (phase, r.elapsed, r.status, " (TIMEOUT)" if r.timed_out else ""))
    detail = ""
    if own_leak_check:
        r.splats = [l for l in r.splats if not KMEMLEAK_SUMMARY_RE.search(l)]
    if r.splats:
        detail = "%d splat line(s), first: %s" % (len(r.splats), r.splats[0].strip())
    elif r.timed_out:
        detail = "guest timed out after %ds" % timeout
    elif expect_status and r.status != 0:
        detail = "guest command exited with %s" % r.status
    record("kernel:%s" % phase, "FAIL" if detail else "PASS", detail)
    if detail:
        log("   console log: %s" % os.path.join(workdir, "console.log"))
    return r


class HostLoad:
    """A bounded CPU hog: one busy process per host core, at the phase's
    priority, for at most @limit seconds (so a killed harness cannot leave
    it spinning).  Used as a context manager around a phase."""

    SPIN = "import time\nend = time.time() + %d\nwhile time.time() < end: pass\n"

    def __init__(self, enabled, limit=4 * 3600):
        self.enabled, self.limit, self.procs = enabled, limit, []

    def __enter__(self):
        if self.enabled:
            self.procs = [subprocess.Popen([sys.executable, "-c", self.SPIN % self.limit])
                          for _ in range(os.cpu_count() or 1)]
            log("== host load: %d busy process(es)" % len(self.procs))
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()
        self.procs = []
        return False


def phase_layers(kernel):
    """harness/layers.py on the objects the kernel was built from."""
    objdir = kernel
    for _ in range(4):          # OBJ/arch/x86/boot/bzImage
        objdir = os.path.dirname(objdir)
    r = subprocess.run([os.path.join(HARNESS, "layers.py"), objdir],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = r.stdout.strip()
    print(out)
    record("layers:call-graph", "PASS" if r.returncode == 0 else "FAIL",
           "" if r.returncode == 0 else out.replace("\n", "; "))


def phase_static():
    """harness/static-check.sh: W=1 and sparse on mm/damon/."""
    r = subprocess.run([os.path.join(HARNESS, "static-check.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout.strip())
    seen = False
    for line in r.stdout.splitlines():
        m = re.match(r"^(PASS|FAIL) (static:\S+)(?: -- (.*))?$", line)
        if m:
            record(m.group(2), m.group(1), m.group(3) or "")
            seen = True
    if not seen or (r.returncode != 0 and "FAIL" not in r.stdout):
        record("static:all", "FAIL", "static-check.sh: " + r.stdout.strip()[-200:])


DOCS_RESULT_RE = re.compile(r"^(PASS|FAIL|SKIP)\s+(docs:\S+)(?:\s+-- (.*))?$")


def phase_docs():
    """harness/docs-check.sh: the htmldocs build, kernel-doc -Wall and the
    coverage checks; its result lines become results, the rest is shown."""
    log("== docs: harness/docs-check.sh (no boot)")
    r = subprocess.run([os.path.join(HARNESS, "docs-check.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = 0
    for line in r.stdout.splitlines():
        m = DOCS_RESULT_RE.match(line)
        if m:
            record(m.group(2), m.group(1), m.group(3) or "")
            seen += 1
        else:
            print(line)
    if not seen:
        record("docs:all", "FAIL", "docs-check.sh exited with %d and no result"
               % r.returncode)


def phase_kunit(kernel):
    r = boot("kunit", "true", kernel, timeout=900, append="kunit.enable=1")
    for c in parse_kunit(os.path.join(r.workdir, "console.log"), r.workdir):
        record(*c)


def build_selftests(name, src_dir):
    """Build and install a selftests collection; return the install dir."""
    sel = os.path.join(BUILD, "src", "tools", "testing", "selftests")
    inst = os.path.join(BUILD, "kselftest-" + name)
    # bring the tree up to date with the repository (cheap when it is)
    subprocess.run([os.path.join(HARNESS, "tree.sh"), "ours"], check=True,
                   stdout=subprocess.DEVNULL)
    if src_dir is not None:
        subprocess.run(["rsync", "-r", "--checksum", "--delete", src_dir + "/",
                        os.path.join(sel, name) + "/"], check=True)
    shutil.rmtree(inst, ignore_errors=True)
    p = subprocess.run(["make", "-s", "-C", sel, "TARGETS=" + name, "install",
                        "INSTALL_PATH=" + inst],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        log(p.stdout)
        return None
    return inst


def selftest_names(inst, coll):
    lst = os.path.join(inst, "kselftest-list.txt")
    with open(lst) as f:
        return [l.strip().split(":", 1)[1] for l in f if l.startswith(coll + ":")]


def phase_selftests(kernel, phase, coll, src_dir, tests, retry, timeout_each,
                    append="kunit.enable=0", kmemleak=False):
    inst = build_selftests(coll, src_dir)
    if inst is None:
        record("%s:build" % phase, "FAIL", "selftests did not build")
        return
    if tests is None:
        tests = [t for t in selftest_names(inst, coll) if t not in BOOT_PARAM_TESTS]
    if ONLY_TESTS is not None:
        tests = [t for t in tests if t in ONLY_TESTS]
        if not tests:
            return
    if not tests:
        record("%s:all" % phase, "FAIL", "no tests found")
        return
    cmd = [os.path.join(HARNESS, "guest", "run-selftests.sh"), inst, coll, phase,
           str(timeout_each), retry] + tests
    if kmemleak:
        leak = os.path.join(HARNESS, "guest", "kmemleak.sh")
        cmd = "%s begin; %s; %s end" % (shlex.quote(leak),
                                        " ".join(shlex.quote(c) for c in cmd),
                                        shlex.quote(leak))
    r = boot(phase, cmd, kernel, timeout=len(tests) * timeout_each * 3 + 120,
             append=append, own_leak_check=kmemleak)
    got = parse_harness_results(r.output)
    done = {g[0] for g in got}
    for tid, status, detail in got:
        detail = attempts_detail(status, detail)
        if phase == "upstream" and status == "SKIP":
            # upstream's tests skip when an interface they need is missing;
            # on a complete DAMON they all run
            status, detail = "FAIL", "skipped: " + (detail or "interface missing?")
        record(tid, status, detail)
    if kmemleak and "debug:kmemleak" not in done:
        record("debug:kmemleak", "FAIL", "no result (guest died?)")
    for t in tests:
        if "%s:%s" % (phase, t) not in done:
            record("%s:%s" % (phase, t), "FAIL", "no result (guest died?)")
    with open(os.path.join(RESULTS_DIR, phase + ".log"), "w") as f:
        f.write(r.output)


def phase_damo(kernel):
    r = boot("damo", [os.path.join(HARNESS, "guest", "damo-smoke.sh")], kernel,
             timeout=600)
    got = parse_harness_results(r.output)
    if not got:
        record("damo:all", "FAIL", "no results")
    for g in got:
        record(*g)


def build_tools():
    """Compile the workload the guest-side scripts use into BUILD/bin."""
    out = os.path.join(BUILD, "bin")
    os.makedirs(out, exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-o", os.path.join(out, "workload"),
                    os.path.join(HARNESS, "demo", "workload.c")], check=True)
    # the access-sample control workload of the kselftests, for damo-smoke
    subprocess.run(["gcc", "-O2", "-Wall", "-o",
                    os.path.join(out, "sample_workload"),
                    os.path.join(REPO, "tools", "testing", "selftests",
                                 "damon", "sample_workload.c"), "-lpthread"],
                   check=True)


# ---------------------------------------------------------------- report

def load_known_failures(path):
    known = {}
    with open(path) as f:
        for l in f:
            l = l.split("#", 1)[0].split()
            if l:
                known[l[0]] = "flaky" in l[1:]
    return known


def summarize(known, phases):
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0, "XFAIL": 0, "XPASS": 0}
    seen = set()
    for tid, status, detail in results:
        seen.add(tid)
        if tid in known:
            if known[tid]:          # flaky: either outcome is accepted
                status = "PASS" if status == "PASS" else ("XFAIL" if status == "FAIL" else status)
            elif status == "FAIL":
                status = "XFAIL"
            elif status == "PASS":
                status = "XPASS"
                detail = (detail + " " if detail else "") + \
                    "(listed in known-failures.txt: remove it)"
        counts[status] += 1
        log("%-5s %s%s" % (status, tid, "  -- " + detail if detail else ""))
    stale = [k for k in known if k not in seen and k.split(":")[0] in phases]
    for k in stale:
        log("NOTE  %s is in known-failures.txt but did not run" % k)
    failed = counts["FAIL"] + counts["XPASS"]
    log("%d expected failures (XFAIL), %d unexpected passes (XPASS)" %
        (counts["XFAIL"], counts["XPASS"]))
    log("%d passed, %d failed, %d skipped" %
        (counts["PASS"], failed, counts["SKIP"] + counts["XFAIL"]))
    return failed == 0


def main():
    global RESULTS_DIR
    ap = argparse.ArgumentParser(description="Run every DAMON test.")
    ap.add_argument("--kernel", default=vm.default_kernel("test"))
    ap.add_argument("--phases", default="layers,docs,static,kunit,ours,boot,upstream,damo")
    ap.add_argument("--known-failures", default=os.path.join(HARNESS, "known-failures.txt"))
    ap.add_argument("--retry-all", action="store_true",
                    help="retry every failed upstream test (reference runs)")
    ap.add_argument("--results-dir", default=RESULTS_DIR)
    ap.add_argument("--under-load", action="store_true",
                    help="keep every host core busy while the phases run")
    ap.add_argument("--tests", default=None,
                    help="comma-separated kselftest names: run only these "
                    "in the kselftest phases")
    a = ap.parse_args()
    RESULTS_DIR = a.results_dir

    known = load_known_failures(a.known_failures) if a.known_failures != "none" else {}
    retry = upstream_retry_list(known, a.retry_all)

    global ONLY_TESTS
    ONLY_TESTS = set(a.tests.split(",")) if a.tests else None
    build_tools()
    start = time.monotonic()
    for ph in a.phases.split(","):
        with HostLoad(a.under_load):
            run_phase(ph, a.kernel, retry)
    log("== all phases done in %.0fs" % (time.monotonic() - start))
    sys.exit(0 if summarize(known, a.phases.split(",")) else 1)


def run_phase(ph, kernel, retry):
    """Run one phase (see the module's doc) against @kernel."""
    if ph == "layers":
        phase_layers(kernel)
    elif ph == "static":
        phase_static()
    elif ph == "docs":
        phase_docs()
    elif ph == "kunit":
        phase_kunit(kernel)
    elif ph == "ours":
        # KUnit enabled: some of our kselftests run KUnit suites that
        # need user space through KUnit's debugfs files
        phase_selftests(kernel, "ours", "damon", None, None, "none", 600,
                        append="kunit.enable=1")
    elif ph == "boot":
        phase_selftests(kernel, "boot", "damon", None, BOOT_PARAM_TESTS,
                        "none", 300, append="kunit.enable=0 " + BOOT_PARAMS)
    elif ph == "upstream":
        src = subprocess.run([os.path.join(HARNESS, "tree.sh"), "upstream-selftests"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout.split()[-1]
        phase_selftests(kernel, "upstream", "damon-upstream", src,
                        UPSTREAM_TESTS, retry, UPSTREAM_TIMEOUT)
    elif ph == "debug":
        # our kselftests on the KASAN + kmemleak kernel, with a leak check
        # around them (guest/kmemleak.sh)
        phase_selftests(kernel, "debug", "damon", None, None, "none", 900,
                        append="kunit.enable=1", kmemleak=True)
    elif ph == "damo":
        phase_damo(kernel)
    else:
        sys.exit("unknown phase " + ph)


if __name__ == "__main__":
    main()

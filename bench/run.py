#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""run.py - benchmark our DAMON against upstream's, side by side.

Builds (unless --no-build) two kernels from the same 6.12 tree with the same
benchmark config: ours (harness/build.sh bench) and the reference with
upstream's DAMON left in place (harness/build.sh ref).  Boots each under
QEMU TCG with -icount (one vCPU, tsc=reliable: guest time then counts
executed instructions, not host time, so the figures do not depend on the
host's load), alternating the kernels A B A B ... for --pairs pairs, and
runs the same plan of scenarios (bench/guest.py) in every boot: the same
guest size, kernel command line, sysfs writes and workload seed.  Then
bench/report.py writes the report.

    run.py [--mode quick|full] [--pairs N] [--out DIR] [--no-build]
           [--items NAME,...] [--kernels ours] [--sizes MIB,... --mem MIB]

--kernels ours boots only ours (and builds only ours): enough for the
ours-only items (probes-*, faults), which are compared with static of the
same boot, not with upstream; the ours/upstream table is then empty.
--sizes replaces the size sweep (1024, 2048, 3072 MiB in full mode), e.g.
for the scaling points beyond 3 GiB, which need a bigger guest (--mem).
"""

import argparse
import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("REPO", os.path.dirname(BENCH))
BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))
os.environ["REPO"], os.environ["BUILD"] = REPO, BUILD
sys.path.insert(0, os.path.join(REPO, "harness"))
import vm  # noqa: E402

KERNELS = {
    "ours": os.path.join(BUILD, "obj-bench", "arch/x86/boot/bzImage"),
    "upstream": os.path.join(BUILD, "ref", "obj-bench", "arch/x86/boot/bzImage"),
}
BUILD_KIND = {"ours": "bench", "upstream": "ref"}

# DAMON's own defaults for these, written explicitly on both kernels.
ATTRS = {"sample_us": 5000, "aggr_us": 100000, "update_us": 1000000,
         "min_nr_regions": 10, "max_nr_regions": 1000}

# Cold memory older than 1 s (10 aggregations) with no access is paged out.
PAGEOUT = {"action": "pageout", "nr_accesses_min": 0, "nr_accesses_max": 0,
           "age_min": 10}


# Data-attribute probes (ours only: upstream 6.12 has none), all weight 0 so
# that access monitoring runs as without them and only their own cost adds.
# A memcg filter's path "@workload" stands for the workload's cgroup, which
# only the guest knows.
ANON = {"type": "anon", "matching": True, "allow": True}
PROBES_1 = [{"weight": 0, "filters": [ANON]}]
PROBES_4 = PROBES_1 + [
    {"weight": 0, "filters": [{"type": "memcg", "matching": True, "allow": True,
                               "path": "@workload"}]},
    {"weight": 0, "filters": [{"type": "hugepage_size", "matching": True,
                               "allow": True, "min": 4096, "max": 2097152}]},
    {"weight": 0, "filters": []},      # no filter: a hit on every sample
]


# Access-sample control (ours only: upstream 6.12 has none): samples from
# page faults instead of Accessed bits, every report counted (no filter).
FAULTS = {"page_table": False, "page_fault": True, "filters": []}


def item(name, scenario, mib, phase_s, phases, damon=True, scheme=None,
         probes=None, sample=None):
    return {"name": name, "scenario": scenario, "mib": mib, "phase_s": phase_s,
            "phases": phases, "damon": damon, "scheme": scheme, "probes": probes,
            "sample": sample}


def plan_items(mode, want_sizes=None):
    """The scenarios of one boot.  static-off must come before static (the
    pair gives the workload slowdown).  probes-1 and probes-4 are static
    with probes added (static is their probes-0), right after it so that
    the three run on a guest in the same state; upstream skips them.
    faults is static with the page-fault primitive instead of Accessed
    bits (static is its faults-0), after the probes; upstream skips it."""
    if mode == "quick":
        ps, sizes, moving = 4, [1024, 2048], 6
    else:
        ps, sizes, moving = 8, [1024, 2048, 3072], 10
    items = [
        item("static-off", "static", 256, ps, 2, damon=False),
        item("static", "static", 256, ps, 2),
        item("probes-1", "static", 256, ps, 2, probes=PROBES_1),
        item("probes-4", "static", 256, ps, 2, probes=PROBES_4),
        item("faults", "static", 256, ps, 2, sample=FAULTS),
        item("stairs", "stairs", 256, 3, moving),
        item("zigzag", "zigzag", 256, 3, moving),
        item("islands", "islands", 256, ps, 2),
        item("gradient", "gradient", 256, ps, 2),
        item("churn", "churn", 256, ps, 2),
    ]
    items += [item("size-%d" % m, "size", m, ps, 1) for m in (want_sizes or sizes)]
    items.append(item("pageout", "static", 512, ps, 2, scheme=PAGEOUT))
    return items


def make_plan(mode, seed, sizes=None):
    return {"mode": mode, "seed": seed, "attrs": ATTRS, "tlb_refresh_ms": 2,
            "trace_buffer_kb": 49152, "zram_bytes": 1 << 30,
            "workload": os.path.join(BUILD, "bench", "workload"),
            "items": plan_items(mode, sizes)}


def sh(cmd, **kw):
    print("run.py: $ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def build(args):
    if not args.no_deps:
        sh([os.path.join(REPO, "harness", "deps.sh")])
        sh([os.path.join(BENCH, "deps.sh")])
    nice = ["nice", "-n", str(args.nice)]
    if not args.no_build:
        for k in args.kernel_list:
            sh(nice + [os.path.join(REPO, "harness", "build.sh"), BUILD_KIND[k]],
               stdout=subprocess.DEVNULL)
    for k in args.kernel_list:
        p = KERNELS[k]
        if not os.path.exists(p):
            sys.exit("run.py: %s kernel missing: %s" % (k, p))
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    sh(["gcc", "-O2", "-Wall", "-o", os.path.join(BUILD, "bench", "workload"),
        os.path.join(BENCH, "workload.c")])


def git(*a):
    try:
        return subprocess.run(["git", "-C", REPO] + list(a), capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return ""


def boot(kernel_name, plan, workdir, args):
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "plan.json"), "w") as f:
        json.dump(plan, f, indent=1)
    cmd = "/usr/bin/python3 %s /tmp/out/plan.json /tmp/out/data" % \
        os.path.join(BENCH, "guest.py")
    t = time.monotonic()
    qemu_nice = os.nice(0)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = vm.run(cmd, kernel=KERNELS[kernel_name], timeout=args.timeout,
               append_extra=args.append, smp=1, mem_mb=args.mem, icount=True,
               kvm=False, workdir=workdir, stream=sys.stdout)
    wall = time.monotonic() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # QEMU's own CPU time: about the wall time this boot takes on an idle host
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    info = {"kernel": kernel_name, "status": r.status, "timed_out": r.timed_out,
            "splats": r.splats, "wall_s": wall, "qemu_cpu_s": cpu,
            "host_nice": qemu_nice}
    with open(os.path.join(workdir, "boot.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("run.py: %s boot done: status=%s wall=%.0fs qemu cpu=%.0fs%s" %
          (kernel_name, r.status, wall, cpu, " SPLAT" if r.splats else ""), flush=True)
    return info


def publish(out, dest):
    """Copy what a results folder keeps: no raw traces (they are large)."""
    os.makedirs(dest, exist_ok=True)
    for f in sorted(os.listdir(out)):
        if f.endswith((".md", ".png", ".json")) or f.startswith("config-"):
            shutil.copy(os.path.join(out, f), dest)
    print("run.py: report copied to %s" % dest)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("quick", "full"), default="quick")
    ap.add_argument("--pairs", type=int, default=None,
                    help="ABAB pairs (default: 2 quick, 5 full)")
    ap.add_argument("--out", default=None,
                    help="output directory (default: build/bench/<mode>-<time>)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--mem", type=int, default=4096, help="guest MiB")
    ap.add_argument("--append", default="kunit.enable=0",
                    help="extra kernel command line (same for both kernels)")
    ap.add_argument("--timeout", type=int, default=3600, help="per boot, s")
    ap.add_argument("--nice", type=int, default=15, help="nice level of builds")
    ap.add_argument("--no-build", action="store_true", help="use built kernels")
    ap.add_argument("--no-deps", action="store_true", help="skip apt/pip")
    ap.add_argument("--publish", default=None, metavar="DIR",
                    help="also copy the report, plots, metrics and configs "
                    "(not the raw data) to DIR, e.g. bench/results/<date>")
    ap.add_argument("--items", default=None, metavar="NAME,...",
                    help="run only these items of the plan (for trying a "
                    "change; a published run uses the whole plan)")
    ap.add_argument("--sizes", default=None, metavar="MIB,...",
                    help="sizes of the size sweep instead of the mode's "
                    "(e.g. 1024,6144,12288 with --mem 14336)")
    ap.add_argument("--kernels", choices=("ours,upstream", "ours"),
                    default="ours,upstream",
                    help="boot both (ABAB pairs) or only ours (for the "
                    "ours-only items, which compare with static of the same boot)")
    args = ap.parse_args()
    args.kernel_list = args.kernels.split(",")
    pairs = args.pairs or (2 if args.mode == "quick" else 5)
    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
    out = os.path.abspath(args.out or os.path.join(BUILD, "bench", "%s-%s" % (args.mode, stamp)))
    os.makedirs(out, exist_ok=True)
    start = time.monotonic()
    build(args)
    sizes = [int(m) for m in args.sizes.split(",")] if args.sizes else None
    plan = make_plan(args.mode, args.seed, sizes)
    if args.items:
        want = args.items.split(",")
        unknown = set(want) - {i["name"] for i in plan["items"]}
        if unknown:
            sys.exit("run.py: no such items: %s" % ",".join(sorted(unknown)))
        if args.publish:
            sys.exit("run.py: --items and --publish do not go together")
        plan["items"] = [i for i in plan["items"] if i["name"] in want]
    meta = {"mode": args.mode, "pairs": pairs, "command": " ".join(sys.argv),
            "commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "started_utc": stamp, "plan": plan, "guest_mem_mib": args.mem,
            "append": args.append, "smp": 1, "icount": "shift=2",
            "host": os.uname().nodename, "kernels": KERNELS,
            "kernels_run": args.kernel_list}
    for k, p in KERNELS.items():
        cfg = os.path.join(os.path.dirname(p), "../../../.config")
        if os.path.exists(cfg):
            shutil.copy(cfg, os.path.join(out, "config-%s" % k))
    boots = []
    build_s = time.monotonic() - start
    meta["build_s"] = build_s
    for i in range(pairs):
        for k in args.kernel_list:
            wd = os.path.join(out, "runs", "%d-%s" % (i, k))
            if os.path.exists(wd):
                shutil.rmtree(wd)
            boots.append(dict(boot(k, plan, wd, args), pair=i, dir=wd))
            # after every boot, so that an interrupted run can be reported
            meta["boots"] = boots
            meta["bench_wall_s"] = time.monotonic() - start - build_s
            with open(os.path.join(out, "meta.json"), "w") as f:
                json.dump(meta, f, indent=1)
    r = subprocess.run([sys.executable, os.path.join(BENCH, "report.py"), out])
    if args.publish:
        publish(out, args.publish)
    print("run.py: results in %s (benchmark %.0f s wall, build/deps %.0f s)" %
          (out, meta["bench_wall_s"], build_s))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())

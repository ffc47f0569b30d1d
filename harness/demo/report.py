#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - monitor the demo workload with DAMON and print what it saw.

Runs in the guest.  Starts the workload, sets DAMON up through sysfs only
(/sys/kernel/mm/damon/admin), records the damon_aggregated tracepoint from
tracefs, and prints a table of regions and an ASCII heatmap over time with
the workload's ground truth (which area was hot, which warm) beside it.

    report.py vaddr|paddr [--seconds-per-phase S] [--phases N] [--mib N]
              [--rw-phases] [--write-only]

--rw-phases makes the workload only read its hot and warm areas in odd
phases and only write them in even ones; --write-only (which implies it)
monitors by page faults and counts only the writes (access-sample control:
Documentation/admin-guide/mm/damon/sample.rst), so that the read phases
look idle.

Exit status: 0 when monitoring worked, 3 when a piece DAMON needs is not
in this kernel yet (the message says which), 1 on any other failure.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sysfs_io import rd, wr  # noqa: E402

ADMIN = "/sys/kernel/mm/damon/admin"
TRACEFS = "/sys/kernel/tracing"
EVENT = TRACEFS + "/events/damon/damon_aggregated"
BUILD = os.environ.get("BUILD", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build"))
WORKLOAD = os.path.join(BUILD, "bin", "workload")
SHADES = " .:-=+*#%@"

NR_AREAS = 8                # must match workload.c
NUMA_BALANCING = "/proc/sys/kernel/numa_balancing"
SAMPLE_US = 5000
AGGR_US = 100000


class Missing(Exception):
    """A part of DAMON that the demo needs is not in this kernel yet."""


def require(path, what):
    if not os.path.exists(path):
        raise Missing("%s: %s does not exist" % (what, path))


def system_ram():
    """The System RAM ranges of /proc/iomem, [start, end) each."""
    out = []
    with open("/proc/iomem") as f:
        for l in f:
            if l.startswith(" ") or "System RAM" not in l:
                continue
            s, e = (int(x, 16) for x in l.split(":")[0].strip().split("-"))
            out.append((s, e + 1))
    return out


def ram_containing(addr):
    """The System RAM range holding @addr (the workload's memory may be on
    either NUMA node, so not necessarily in the biggest range)."""
    for s, e in system_ram():
        if s <= addr < e:
            return (s, e)
    return max(system_ram(), key=lambda r: r[1] - r[0])


def setup_write_only(ctx):
    """Page-fault access reports, only the writes counted."""
    sample = ctx + "/monitoring_attrs/sample"
    require(sample, "access-sample control (issue 16)")
    if os.path.exists(NUMA_BALANCING):
        # NUMA balancing would own the faults DAMON arms pages for
        wr(NUMA_BALANCING, 0)
    wr(sample + "/primitives/page_table", "N")
    wr(sample + "/primitives/page_fault", "Y")
    wr(sample + "/filters/nr_filters", 1)
    for f, v in (("type", "write"), ("matching", "Y"), ("allow", "Y")):
        wr(sample + "/filters/0/" + f, v)


def setup_damon(ops, pid, region, write_only=False):
    require(ADMIN, "DAMON sysfs interface (issue 5)")
    wr(ADMIN + "/kdamonds/nr_kdamonds", 1)
    kd = ADMIN + "/kdamonds/0"
    wr(kd + "/contexts/nr_contexts", 1)
    ctx = kd + "/contexts/0"
    avail = rd(ctx + "/avail_operations").split()
    if ops not in avail:
        raise Missing("operation set %r (issue 4): avail_operations is %r" % (ops, avail))
    wr(ctx + "/operations", ops)
    iv = ctx + "/monitoring_attrs/intervals"
    wr(iv + "/sample_us", SAMPLE_US)
    wr(iv + "/aggr_us", AGGR_US)
    wr(ctx + "/monitoring_attrs/nr_regions/min", 10)
    wr(ctx + "/monitoring_attrs/nr_regions/max", 1000)
    if write_only:
        setup_write_only(ctx)
    wr(ctx + "/targets/nr_targets", 1)
    tgt = ctx + "/targets/0"
    if pid is not None:
        wr(tgt + "/pid_target", pid)
    if region is not None:
        wr(tgt + "/regions/nr_regions", 1)
        wr(tgt + "/regions/0/start", region[0])
        wr(tgt + "/regions/0/end", region[1])
    return kd


def stop(kd):
    """Turn the kdamond off unless it already stopped by itself (a vaddr
    kdamond does when its target process exits)."""
    if rd(kd + "/state") == "on":
        wr(kd + "/state", "off")


def phys_layout(pid, lo, hi, area_bytes):
    """Physical address of every page of the workload's buffer, per area.

    Reads /proc/<pid>/pagemap (root sees PFNs).  Returns a list of
    (phys_addr, area_index) for present pages.
    """
    page = os.sysconf("SC_PAGE_SIZE")
    out = []
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(lo // page * 8)
        data = f.read((hi - lo) // page * 8)
    for i in range(len(data) // 8):
        e = int.from_bytes(data[i * 8:i * 8 + 8], "little")
        if e >> 63 and e & ((1 << 55) - 1):
            out.append(((e & ((1 << 55) - 1)) * page, i * page // area_bytes))
    return out


class TraceReader(threading.Thread):
    """Collects damon_aggregated records into per-aggregation snapshots."""
    LINE = re.compile(r"damon_aggregated: target_id=(\d+) nr_regions=(\d+) "
                      r"(\d+)-(\d+): (\d+) (\d+)")

    def __init__(self):
        super().__init__(daemon=True)
        self.snapshots = []     # (time, [(start, end, nr_accesses, age)])
        self.stop = False

    def run(self):
        cur, want = [], 0
        with open(TRACEFS + "/trace_pipe") as f:
            while not self.stop:
                l = f.readline()
                m = self.LINE.search(l)
                if not m:
                    continue
                nr, s, e, acc, age = (int(x) for x in m.groups()[1:])
                if not cur:
                    want = nr
                cur.append((s, e, acc, age))
                if len(cur) == want:
                    self.snapshots.append((time.monotonic(), cur))
                    cur = []


def start_workload(args):
    log = "/tmp/workload-%d.log" % os.getpid()
    p = subprocess.Popen([WORKLOAD, "--mib", str(args.mib), "--phase-s",
                          str(args.seconds_per_phase), "--phases", str(args.phases),
                          "--tlb-refresh-ms", "20", "--log", log] +
                         (["--rw-phases"] if args.rw_phases else []))
    for _ in range(100):
        if os.path.exists(log) and "start=" in open(log).read():
            break
        time.sleep(0.1)
    head = open(log).readline()
    kv = dict(x.split("=") for x in head.split()[1:])
    return p, log, int(kv["start"], 16), int(kv["end"], 16), float(kv["t0"])


def parse_phases(log, t0):
    phases = []
    for l in open(log):
        m = re.match(r"t=([\d.]+) phase=(\d+) hot=(\w+)-(\w+) warm=(\w+)-(\w+)"
                     r"(?: access=(\w+))?", l)
        if m:
            phases.append((t0 + float(m.group(1)), int(m.group(2)),
                           int(m.group(3), 16), int(m.group(5), 16),
                           m.group(7) or "rw"))
    return phases


def hsize(n):
    for u in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or u == "TiB":
            return ("%d %s" % (n, u)) if u == "B" else ("%.1f %s" % (n, u))
        n /= 1024.0


def heat_row(regions, lo, hi, cols, max_acc):
    """Access rate per column of [lo, hi), size-weighted over regions."""
    width = (hi - lo) / cols
    row = []
    for c in range(cols):
        cs, ce = lo + c * width, lo + (c + 1) * width
        w = v = 0.0
        for s, e, acc, _ in regions:
            o = min(e, ce) - max(s, cs)
            if o > 0:
                w += o
                v += o * acc
        row.append(v / w / max_acc if w else None)
    return row


def shade(x):
    if x is None:
        return "~"
    return SHADES[min(len(SHADES) - 1, int(round(x * (len(SHADES) - 1))))]


def area_truth(cols, lo, hi, spans):
    """Ground-truth row: 'H'/'W' where the phase's hot/warm area covers at
    least a quarter of a column, 'h'/'w' where it covers less but some."""
    width = (hi - lo) / cols
    cover = {"H": [0.0] * cols, "W": [0.0] * cols}
    for kind in cover:
        for s, e in spans[kind]:
            s, e = max(s, lo), min(e, hi)
            c = int((s - lo) // width)
            while s < e and c < cols:
                ce = lo + (c + 1) * width
                cover[kind][c] += min(e, ce) - s
                s, c = ce, c + 1
    row = []
    for c in range(cols):
        ch = " "
        for kind in ("W", "H"):
            if cover[kind][c] >= width / 4:
                ch = kind
            elif cover[kind][c] > 0 and ch == " ":
                ch = kind.lower()
        row.append(ch)
    return "".join(row)


def report(ops, snaps, phases, lo, hi, spans_of_phase, cols=64, what=""):
    """Print the last snapshot's regions within [lo, hi) and a heatmap.

    spans_of_phase(n) gives {'H': [(start, end)], 'W': [...]}, the address
    ranges of phase n's hot and warm areas in the monitored address space.
    """
    max_acc = AGGR_US // SAMPLE_US
    print("\n=== DAMON %s%s: regions of the last snapshot in %#x-%#x (%s), "
          "where the workload's buffer is ===" % (ops, what, lo, hi, hsize(hi - lo)))
    print("%-33s %10s %12s %10s" % ("address range", "size", "access rate", "age"))
    for s, e, acc, age in snaps[-1][1]:
        if e <= lo or s >= hi:
            continue
        print("%#15x-%#-17x %10s %11d%% %8.1f s" %
              (s, e, hsize(e - s), 100 * acc // max_acc, age * AGGR_US / 1e6))
    bucket = 0.5
    print("\n=== heatmap: time runs down, one row per %.1f s; address runs right, "
          "%d columns of %s ===" % (bucket, cols, hsize((hi - lo) // cols)))
    print("    access rate from idle to hot: '%s'" % SHADES)
    print("    right: ground truth, H/W = the phase's hot/warm area (h/w: a little of it)\n")
    t0 = snaps[0][0]
    truths = {}
    rows = {}
    for t, regs in snaps:
        rows.setdefault(int((t - t0) / bucket), []).append(heat_row(regs, lo, hi, cols, max_acc))
    for k in sorted(rows):
        avg = []
        for c in range(cols):
            vals = [r[c] for r in rows[k] if r[c] is not None]
            avg.append(sum(vals) / len(vals) if vals else None)
        t = t0 + k * bucket
        truth = ""
        ph = [p for p in phases if p[0] <= t]
        if ph:
            n = ph[-1][1]
            if n not in truths:
                truths[n] = area_truth(cols, lo, hi, spans_of_phase(n))
            truth = " |%s| phase %d" % (truths[n], n)
            if ph[-1][4] != "rw":
                truth += " (%s)" % ph[-1][4]
        print("%5.1fs |%s|%s" % (k * bucket, "".join(shade(x) for x in avg), truth))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ops", choices=["vaddr", "paddr"])
    ap.add_argument("--seconds-per-phase", type=float, default=3)
    ap.add_argument("--phases", type=int, default=4)
    ap.add_argument("--mib", type=int, default=128)
    ap.add_argument("--rw-phases", action="store_true")
    ap.add_argument("--write-only", action="store_true")
    args = ap.parse_args()
    args.rw_phases |= args.write_only
    kd = None
    wl = None
    try:
        require(ADMIN, "DAMON sysfs interface (issue 5)")
        require(EVENT, "tracepoint damon:damon_aggregated (issue 3)")
        if args.ops == "paddr" and os.path.exists(NUMA_BALANCING):
            # automatic NUMA balancing would migrate the workload's pages
            # and make the ground truth (read once from pagemap) stale
            wr(NUMA_BALANCING, 0)
        wl, log, lo, hi, wl_t0 = start_workload(args)
        area = (hi - lo) // NR_AREAS
        if args.ops == "vaddr":
            kd = setup_damon("vaddr", wl.pid, None, args.write_only)
            view = (lo, hi)

            def spans(n):
                hot = n % NR_AREAS
                warm = (hot + NR_AREAS // 2) % NR_AREAS
                return {"H": [(lo + hot * area, lo + (hot + 1) * area)],
                        "W": [(lo + warm * area, lo + (warm + 1) * area)]}
        else:
            pages = phys_layout(wl.pid, lo, hi, area)
            page = os.sysconf("SC_PAGE_SIZE")
            # zoom on where most of the buffer is; a few stray pages
            # elsewhere would otherwise squeeze it into one column
            addrs = sorted(p for p, _ in pages)
            view = (addrs[len(addrs) // 100], addrs[len(addrs) * 99 // 100] + page)
            kd = setup_damon("paddr", None, ram_containing(addrs[len(addrs) // 2]),
                             args.write_only)

            def spans(n):
                hot = n % NR_AREAS
                warm = (hot + NR_AREAS // 2) % NR_AREAS
                return {"H": [(p, p + page) for p, a in pages if a == hot],
                        "W": [(p, p + page) for p, a in pages if a == warm]}
        wr(EVENT + "/enable", 1)
        reader = TraceReader()
        reader.start()
        wr(kd + "/state", "on")
        wl.wait()
        stop(kd)
        kd = None
        wr(EVENT + "/enable", 0)
        reader.stop = True
        time.sleep(0.3)
        if not reader.snapshots:
            raise Missing("monitoring results: no damon_aggregated records "
                          "were emitted (monitoring core, issues 3 and 4)")
        report(args.ops, reader.snapshots, parse_phases(log, wl_t0), view[0],
               view[1], spans, what=", writes only (page faults)"
               if args.write_only else "")
        return 0
    except Missing as e:
        print("demo: cannot monitor with %s yet; missing: %s" % (args.ops, e))
        return 3
    except RuntimeError as e:
        print("demo: %s" % e)
        return 1
    finally:
        if kd:
            try:
                stop(kd)
            except RuntimeError:
                pass
        if wl and wl.poll() is None:
            wl.kill()


if __name__ == "__main__":
    sys.exit(main())

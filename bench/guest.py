#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""guest.py - run the benchmark scenarios inside one guest boot.

Runs in the guest (PID 1 is harness/guest/init; the output directory is the
9p share mounted at /tmp/out).  For every item of the plan (a JSON file
written by bench/run.py) it starts bench/workload, sets DAMON up through
/sys/kernel/mm/damon/admin only (the ABI both kernels share), records the
damon_aggregated tracepoint into the tracefs ring buffer (read once the
scenario is over, so that no reader competes with the workload for the one
vCPU), and samples kdamond's CPU time, slab and the workload's RSS.

    guest.py PLAN.json OUTDIR

Writes OUTDIR/<name>.json (measurements), <name>.wl.log (the workload's
ground-truth log) and <name>.trace (tracefs text) per item, and
OUTDIR/guest.json with facts about the boot.  Items with data-attribute
probes are skipped, not failed, on a kernel without monitoring_attrs/probes,
and items with access-sample control (the page-fault primitive) on one
without monitoring_attrs/sample (upstream 6.12 has neither).
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../harness"))
from sysfs_io import rd, wr  # noqa: E402

ADMIN = "/sys/kernel/mm/damon/admin"
TRACEFS = "/sys/kernel/tracing"
EVENT = TRACEFS + "/events/damon/damon_aggregated/enable"
# A trace instance of its own for the probe hits check, so that its events
# stay out of the item's damon_aggregated trace.
PROBE_TRACE = TRACEFS + "/instances/bench-probes"
PROBE_EVENT = "events/damon/damon_region_aggregated/enable"
U64_MAX = 18446744073709551615
U32_MAX = 4294967295


def meminfo(key):
    for l in open("/proc/meminfo"):
        if l.startswith(key + ":"):
            return int(l.split()[1]) * 1024
    return 0


def proc_status(pid, key):
    try:
        for l in open("/proc/%d/status" % pid):
            if l.startswith(key + ":"):
                return int(l.split()[1]) * 1024
    except OSError:
        pass
    return 0


def exec_ns(pid):
    """sum_exec_runtime of a task, from /proc/<pid>/schedstat (ns)."""
    return int(rd("/proc/%d/schedstat" % pid).split()[0])


def cgroup_of(pid):
    """The task's cgroup v2 path ("/" for the root), as memcg filters take it."""
    with open("/proc/%d/cgroup" % pid) as f:
        for l in f:
            if l.startswith("0::"):
                return l[3:].strip()
    return "/"


def yn(b):
    return "Y" if b else "N"


def setup_probe_filter(fd, f, pid):
    wr(fd + "/type", f["type"])
    wr(fd + "/matching", yn(f["matching"]))
    wr(fd + "/allow", yn(f["allow"]))
    if "path" in f:
        wr(fd + "/path", cgroup_of(pid) if f["path"] == "@workload" else f["path"])
    if "min" in f:
        wr(fd + "/min", f["min"])
        wr(fd + "/max", f["max"])


def setup_probes(ctx, probes, pid):
    pr = ctx + "/monitoring_attrs/probes"
    wr(pr + "/nr_probes", len(probes))
    for i, p in enumerate(probes):
        d = "%s/%d" % (pr, i)
        wr(d + "/weight", p["weight"])
        wr(d + "/filters/nr_filters", len(p["filters"]))
        for j, f in enumerate(p["filters"]):
            setup_probe_filter("%s/filters/%d" % (d, j), f, pid)


def setup_sample(ctx, sample):
    """Access-sample control: the primitives and the sample filters (the
    same five files per filter as setup_probe_filter's, by type)."""
    sd = ctx + "/monitoring_attrs/sample"
    wr(sd + "/primitives/page_table", yn(sample["page_table"]))
    wr(sd + "/primitives/page_fault", yn(sample["page_fault"]))
    filters = sample.get("filters", [])
    wr(sd + "/filters/nr_filters", len(filters))
    for j, f in enumerate(filters):
        fd = "%s/filters/%d" % (sd, j)
        wr(fd + "/type", f["type"])
        wr(fd + "/matching", yn(f["matching"]))
        wr(fd + "/allow", yn(f["allow"]))
        if "cpumask" in f:
            wr(fd + "/cpumask", f["cpumask"])
        if "tid_arr" in f:
            wr(fd + "/tid_arr", f["tid_arr"])


def read_sample(kd):
    """What the staged sample control reads back as, to check (and record)
    that an item runs in the primitive it asked for."""
    sd = kd + "/contexts/0/monitoring_attrs/sample"
    return {"page_table": rd(sd + "/primitives/page_table") == "Y",
            "page_fault": rd(sd + "/primitives/page_fault") == "Y",
            "nr_filters": int(rd(sd + "/filters/nr_filters"))}


def features():
    """Which ours-only directories this kernel's sysfs has: they appear
    with a context, so make one, look, and remove it again."""
    wr(ADMIN + "/kdamonds/nr_kdamonds", 1)
    wr(ADMIN + "/kdamonds/0/contexts/nr_contexts", 1)
    ma = ADMIN + "/kdamonds/0/contexts/0/monitoring_attrs"
    have = {"have_probes": os.path.isdir(ma + "/probes"),
            "have_sample": os.path.isdir(ma + "/sample")}
    wr(ADMIN + "/kdamonds/nr_kdamonds", 0)
    return have


def setup_damon(attrs, pid, scheme, probes=None, sample=None):
    wr(ADMIN + "/kdamonds/nr_kdamonds", 1)
    kd = ADMIN + "/kdamonds/0"
    wr(kd + "/contexts/nr_contexts", 1)
    ctx = kd + "/contexts/0"
    wr(ctx + "/operations", "vaddr")
    iv = ctx + "/monitoring_attrs/intervals"
    wr(iv + "/sample_us", attrs["sample_us"])
    wr(iv + "/aggr_us", attrs["aggr_us"])
    wr(iv + "/update_us", attrs["update_us"])
    wr(ctx + "/monitoring_attrs/nr_regions/min", attrs["min_nr_regions"])
    wr(ctx + "/monitoring_attrs/nr_regions/max", attrs["max_nr_regions"])
    # only probe items touch probes/, so the others write what upstream gets
    if probes:
        setup_probes(ctx, probes, pid)
    # likewise only sample-control items touch sample/
    if sample:
        setup_sample(ctx, sample)
    wr(ctx + "/targets/nr_targets", 1)
    wr(ctx + "/targets/0/pid_target", pid)
    if scheme:
        wr(ctx + "/schemes/nr_schemes", 1)
        s = ctx + "/schemes/0"
        wr(s + "/action", scheme["action"])
        ap = s + "/access_pattern"
        wr(ap + "/sz/min", 0)
        wr(ap + "/sz/max", U64_MAX)
        wr(ap + "/nr_accesses/min", scheme["nr_accesses_min"])
        wr(ap + "/nr_accesses/max", scheme["nr_accesses_max"])
        wr(ap + "/age/min", scheme["age_min"])
        wr(ap + "/age/max", U32_MAX)
    else:
        wr(ctx + "/schemes/nr_schemes", 0)
    return kd


def scheme_stats(kd):
    wr(kd + "/state", "update_schemes_stats")
    st = kd + "/contexts/0/schemes/0/stats"
    return {k: int(rd(st + "/" + k)) for k in
            ("nr_tried", "sz_tried", "nr_applied", "sz_applied", "qt_exceeds")}


def parse_probe_hits(text, nr_probes):
    """Mean probe hits per region and aggregation, per probe, from
    damon_region_aggregated lines ("... probe_hits=01 14 ...", hex bytes)."""
    sums, n = [0] * nr_probes, 0
    for l in text.splitlines():
        if "damon_region_aggregated:" not in l or "probe_hits=" not in l:
            continue
        hits = [int(x, 16) for x in l.split("probe_hits=", 1)[1].split()]
        for i in range(min(nr_probes, len(hits))):
            sums[i] += hits[i]
        n += 1
    return {"nr_region_aggregations": n,
            "mean_hits": [x / n for x in sums] if n else None}


def probe_hits_check(nr_probes, attrs):
    """A few aggregations of damon_region_aggregated in a trace instance of
    its own, after the measured window: shows that the probes count hits
    (that the kernel really runs them) without costing the measurement."""
    if not os.path.isdir(PROBE_TRACE):
        os.mkdir(PROBE_TRACE)
    wr(PROBE_TRACE + "/trace", "")
    wr(PROBE_TRACE + "/" + PROBE_EVENT, 1)
    time.sleep(3.5 * attrs["aggr_us"] / 1e6)
    wr(PROBE_TRACE + "/" + PROBE_EVENT, 0)
    r = parse_probe_hits(rd(PROBE_TRACE + "/trace"), nr_probes)
    wr(PROBE_TRACE + "/trace", "")
    return r


def setup_zram(size):
    """A zram swap device for the pageout scenario (once per boot)."""
    if os.path.exists("/tmp/zram-on"):
        return True
    if not os.path.exists("/sys/block/zram0"):
        return False
    wr("/sys/block/zram0/disksize", size)
    subprocess.run(["mkswap", "/dev/zram0"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["swapon", "/dev/zram0"], check=True)
    open("/tmp/zram-on", "w").close()
    return True


def minflt(pid):
    """The task's minor faults so far (/proc/<pid>/stat, field 10): in the
    page-fault mode each first touch of an armed page is one."""
    try:
        st = rd("/proc/%d/stat" % pid)
    except OSError:
        return None
    return int(st[st.rindex(")") + 2:].split()[7])


def wait_for(log, word, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(log) as f:
                for l in f:
                    if l.startswith(word):
                        return l
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("workload log %s: no %r after %ds" % (log, word, timeout))


def run_item(item, plan, outdir, workload):
    name = item["name"]
    log = "/tmp/%s.wl.log" % name
    res = {"name": name, "item": item}
    if item.get("scheme"):
        res["zram"] = setup_zram(plan["zram_bytes"])
    args = [workload, "--scenario", item["scenario"], "--mib", str(item["mib"]),
            "--phase-s", str(item["phase_s"]), "--phases", str(item["phases"]),
            "--seed", str(plan["seed"]), "--tlb-refresh-ms", str(plan["tlb_refresh_ms"]),
            "--log", log]
    wl = subprocess.Popen(args, stdin=subprocess.PIPE, text=True)
    try:
        return measure(item, plan, outdir, wl, log, res)
    finally:
        if wl.poll() is None:
            wl.kill()
            wl.wait()


def measure(item, plan, outdir, wl, log, res):
    name = item["name"]
    head = wait_for(log, "workload ", 600)
    kv = dict(x.split("=", 1) for x in head.split()[1:])
    pid = int(kv["pid"])

    kd = None
    res["slab_before"] = meminfo("Slab")
    res["sunreclaim_before"] = meminfo("SUnreclaim")
    if item["damon"]:
        kd = setup_damon(plan["attrs"], pid, item.get("scheme"), item.get("probes"),
                         item.get("sample"))
        if item.get("sample"):
            # staged values, read back before "on": the item must run in
            # the primitive it names, or not at all
            got = read_sample(kd)
            res["sample_readback"] = got
            want = item["sample"]
            if (got["page_table"], got["page_fault"], got["nr_filters"]) != \
               (want["page_table"], want["page_fault"], len(want.get("filters", []))):
                raise RuntimeError("sample control reads back %s, not %s" % (got, want))
            if os.path.exists("/proc/sys/kernel/numa_balancing"):
                res["numa_balancing"] = int(rd("/proc/sys/kernel/numa_balancing"))
        wr(TRACEFS + "/trace", "")
        wr(EVENT, 1)
        wr(kd + "/state", "on")
        kpid = int(rd(kd + "/pid"))
        res["kdamond_pid"] = kpid
        k0 = exec_ns(kpid)
    res["rss_go"] = proc_status(pid, "VmRSS")
    res["minflt_go"] = minflt(pid)
    t0 = time.monotonic()
    wl.stdin.write("go\n")
    wl.stdin.flush()
    # Sleep through the phases instead of polling: the guest has one vCPU.
    time.sleep(item["phases"] * item["phase_s"])
    wait_for(log, "t=", 60)
    while "done" not in open(log).read():
        time.sleep(0.2)
    t1 = time.monotonic()
    res["elapsed_s"] = t1 - t0
    res["rss_done"] = proc_status(pid, "VmRSS")
    res["minflt_done"] = minflt(pid)
    res["slab_done"] = meminfo("Slab")
    res["sunreclaim_done"] = meminfo("SUnreclaim")
    if kd:
        res["kdamond_ns"] = exec_ns(kpid) - k0
        if item.get("scheme"):
            res["scheme_stats"] = scheme_stats(kd)
        wr(EVENT, 0)
        if item.get("probes"):
            res["probe_hits"] = probe_hits_check(len(item["probes"]), plan["attrs"])
        res["state_at_end"] = rd(kd + "/state")
        if res["state_at_end"] == "on":
            wr(kd + "/state", "off")
    wl.stdin.write("exit\n")
    wl.stdin.flush()
    wl.wait(timeout=120)
    res["workload_status"] = wl.returncode
    shutil.copy(log, os.path.join(outdir, name + ".wl.log"))
    if kd:
        with open(TRACEFS + "/trace") as src, \
             open(os.path.join(outdir, name + ".trace"), "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        wr(TRACEFS + "/trace", "")
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def region_slab():
    """Bytes per damon_region object: SLUB's sysfs view of the cache (which
    stays there, as an alias, when SLUB merges it with another cache)."""
    d = "/sys/kernel/slab/damon_region"
    try:
        return {k: int(rd(d + "/" + k)) for k in ("object_size", "slab_size")}
    except OSError:
        return None


def main():
    plan = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    facts = {"uname": os.uname().release, "version": rd("/proc/version"),
             "cmdline": rd("/proc/cmdline"), "nproc": os.cpu_count(),
             "memtotal": meminfo("MemTotal"),
             "have_admin": os.path.isdir(ADMIN),
             "have_event": os.path.exists(EVENT),
             "region_slab": region_slab()}
    if facts["have_admin"]:
        facts.update(features())
    with open(os.path.join(outdir, "guest.json"), "w") as f:
        json.dump(facts, f, indent=1)
    if not facts["have_admin"] or not facts["have_event"]:
        print("guest.py: DAMON sysfs or damon_aggregated missing", file=sys.stderr)
        return 3
    wr(TRACEFS + "/trace_clock", "mono")
    wr(TRACEFS + "/buffer_size_kb", plan["trace_buffer_kb"])
    # Keep the workload's pages where they are: no NUMA balancing faults.
    if os.path.exists("/proc/sys/kernel/numa_balancing"):
        wr("/proc/sys/kernel/numa_balancing", 0)
    # The same address layout on both kernels: with ASLR the heap lands up
    # to 1 GiB above the binary, and vaddr monitors that hole (it is not
    # one of the two biggest), so the monitored size and with it the
    # initial region size and the merge limit changed from boot to boot.
    wr("/proc/sys/kernel/randomize_va_space", 0)
    failed = 0
    for item in plan["items"]:
        if item.get("probes") and not facts.get("have_probes"):
            print("guest.py: %-14s skipped (no monitoring_attrs/probes)" % item["name"],
                  flush=True)
            continue
        if item.get("sample") and not facts.get("have_sample"):
            print("guest.py: %-14s skipped (no monitoring_attrs/sample)" % item["name"],
                  flush=True)
            continue
        t = time.monotonic()
        try:
            r = run_item(item, plan, outdir, plan["workload"])
            print("guest.py: %-14s done in %.1fs (kdamond %.3fs)" %
                  (item["name"], time.monotonic() - t, r.get("kdamond_ns", 0) / 1e9),
                  flush=True)
        except Exception as e:     # report and go on with the next scenario
            failed += 1
            print("guest.py: %s FAILED: %s" % (item["name"], e), flush=True)
            if os.path.exists(ADMIN + "/kdamonds/0/state"):
                try:
                    if rd(ADMIN + "/kdamonds/0/state") == "on":
                        wr(ADMIN + "/kdamonds/0/state", "off")
                except Exception:
                    pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

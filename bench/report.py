#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - turn a benchmark run (bench/run.py) into a report.

    report.py OUTDIR

Reads OUTDIR/meta.json and OUTDIR/runs/<pair>-<kernel>/data/*, computes the
metrics of every scenario for every boot, and writes OUTDIR/report.md (a
Markdown table of ratios ours/upstream with bootstrap 95% intervals over the
ABAB pairs), OUTDIR/metrics.json and PNG plots (heatmaps of both kernels side
by side with the ground truth, nr_regions over time, CPU against monitored
size).  Prints the table.
"""

import glob
import json
import os
import re
import subprocess
import sys

import numpy as np

KERNELS = ("ours", "upstream")
TRACE_RE = re.compile(r"\s(\d+\.\d+): damon_aggregated: target_id=(\d+) "
                      r"nr_regions=(\d+) (\d+)-(\d+): (\d+) (\d+)")
# A region counts as hot when it was seen accessed in at least this share
# of the samples of an aggregation interval.
HOT_SHARE = 0.10
# A hot set counts as found when a snapshot's F1 of hot bytes reaches this.
DETECT_F1 = 0.75
BOOT_N = 4000
# The probe items run static's workload with probes added: static is their
# probes-0, measured in the same boot.
PROBE_BASE = "static"
# Issue 15: one anon probe may cost at most 10% more kdamond CPU.
PROBE_GOAL_ITEM, PROBE_GOAL = "probes-1", 1.10
# faults runs static's workload with the page-fault primitive: static is
# its faults-0 (Accessed bits), measured in the same boot.
FAULTS_ITEM, FAULTS_BASE = "faults", "static"
# items whose workload slowdown is measured against static-off
SLOWDOWN_ITEMS = ("static", "probes-1", "probes-4", "faults")
# minor faults a second of the workload above which the fault mode counts
# as engaged (static's workload takes a handful in a whole item)
MODE_MINFLT = 10


# ---------------------------------------------------------------- parsing

def parse_trace(path):
    """Snapshots [(time, [(start, end, nr_accesses, age)])] in time order."""
    snaps, cur, want = [], [], 0
    if not os.path.exists(path):
        return snaps
    with open(path) as f:
        for l in f:
            m = TRACE_RE.search(l)
            if not m:
                continue
            t = float(m.group(1))
            nr, s, e, acc, age = (int(x) for x in m.groups()[2:])
            if not cur:
                want = nr
            cur.append((s, e, acc, age))
            if len(cur) == want:
                snaps.append((t, cur))
                cur = []
    return snaps


def parse_wl(path):
    """The workload's log: header, t0, phases [(abs_start, [(s, e, period)])],
    per-phase touches, final majflt."""
    wl = {"phases": [], "ends": [], "busy": []}
    for l in open(path):
        if l.startswith("workload "):
            kv = dict(x.split("=", 1) for x in l.split()[1:])
            wl["start"], wl["end"] = int(kv["start"], 16), int(kv["end"], 16)
        elif l.startswith("go "):
            kv = dict(x.split("=", 1) for x in l.split()[1:])
            wl["t0"], wl["majflt_go"] = float(kv["t0"]), int(kv["majflt"])
        elif " phase=" in l:
            kv = dict(x.split("=", 1) for x in l.split())
            hot = []
            for r in kv["hot"].split(","):
                rng, per = r.split(":")
                s, e = rng.split("-")
                hot.append((int(s, 16), int(e, 16), int(per)))
            wl["phases"].append((wl["t0"] + float(kv["t"]), hot))
        elif " churn " in l:
            # the workload remapped an area: the hot area was not touched
            kv = dict(x.split("=", 1) for x in l.split() if "=" in x)
            t = wl["t0"] + float(kv["t"])
            wl["busy"].append((t, t + float(kv["ms"]) / 1e3))
        elif " end=" in l:
            kv = dict(x.split("=", 1) for x in l.split())
            wl["ends"].append((wl["t0"] + float(kv["t"]), int(kv["touches"])))
        elif " done " in l:
            kv = dict(x.split("=", 1) for x in l.split()[1:] if "=" in x)
            wl["done"] = wl["t0"] + float(l.split()[0][2:])
            wl["touches"], wl["majflt_done"] = int(kv["touches"]), int(kv["majflt"])
    return wl


# ---------------------------------------------------------------- metrics

def overlap(a0, a1, b0, b1):
    return max(0, min(a1, b1) - max(a0, b0))


def hot_bytes_in(regions, ranges, thr):
    """Bytes of @ranges that lie in regions with nr_accesses >= thr."""
    n = 0
    for s, e, acc, _ in regions:
        if acc < thr:
            continue
        for hs, he in ranges:
            n += overlap(s, e, hs, he)
    return n


def phase_at(wl, t):
    idx = -1
    for i, (ts, _) in enumerate(wl["phases"]):
        if ts <= t:
            idx = i
    return idx


def accuracy(snaps, wl, attrs):
    """Byte-weighted confusion counts over the snapshots whose aggregation
    window lies inside one phase; balanced accuracy and F1 of hot bytes."""
    aggr = attrs["aggr_us"] / 1e6
    thr = max(1, HOT_SHARE * attrs["aggr_us"] / attrs["sample_us"])
    lo, hi = wl["start"], wl["end"]
    tp = fp = tn = fn = 0
    for t, regs in snaps:
        p = phase_at(wl, t - aggr)
        if p < 0 or phase_at(wl, t) != p or t > wl["done"]:
            continue
        if any(b0 < t and t - aggr < b1 for b0, b1 in wl["busy"]):
            continue
        hot = [(s, e) for s, e, _ in wl["phases"][p][1]]
        nhot = sum(e - s for s, e in hot)
        pred_hot = sum(overlap(s, e, lo, hi) for s, e, acc, _ in regs if acc >= thr)
        t_p = hot_bytes_in(regs, hot, thr)
        tp += t_p
        fn += nhot - t_p
        fp += pred_hot - t_p
        tn += (hi - lo) - nhot - (pred_hot - t_p)
    if tp + fn == 0 or tn + fp == 0:
        return None, None
    ba = (tp / (tp + fn) + tn / (tn + fp)) / 2
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return ba, f1


def snapshot_f1(regs, hot, lo, hi, thr):
    """F1 of hot bytes for one snapshot against hot ranges @hot."""
    nhot = sum(e - s for s, e in hot)
    pred = sum(overlap(s, e, lo, hi) for s, e, acc, _ in regs if acc >= thr)
    tp = hot_bytes_in(regs, hot, thr)
    return 2 * tp / (nhot + pred) if nhot + pred else 0.0


def detection_latency(snaps, wl, attrs, first=1, last=None):
    """Mean time from a phase change to the first snapshot whose F1 of hot
    bytes against the new phase's hot ranges is at least DETECT_F1 (the
    new hot set found, and not buried in a large region).  A phase whose
    hot set is never found counts as the whole phase.  first=1: moves of
    the hot spot; first=0, last=1: finding the first phase's hot set from
    DAMON's initial regions."""
    thr = max(1, HOT_SHARE * attrs["aggr_us"] / attrs["sample_us"])
    lat = []
    for i in range(first, last if last is not None else len(wl["phases"])):
        tc, hot = wl["phases"][i]
        tend = wl["phases"][i + 1][0] if i + 1 < len(wl["phases"]) else wl["done"]
        rng = [(s, e) for s, e, _ in hot]
        found = tend - tc
        for t, regs in snaps:
            if tc < t <= tend and snapshot_f1(regs, rng, wl["start"], wl["end"], thr) >= DETECT_F1:
                found = t - tc
                break
        lat.append(found)
    return float(np.mean(lat)) if lat else None


def gradient_corr(snaps, wl, attrs):
    """Spearman rank correlation between the bands' true access frequency
    and the size-weighted mean nr_accesses DAMON reported for them."""
    if not wl["phases"]:
        return None
    bands = wl["phases"][0][1]
    sums = np.zeros(len(bands))
    skip = wl["t0"] + 1.0
    for t, regs in snaps:
        if t < skip or t > wl["done"]:
            continue
        for b, (bs, be, _) in enumerate(bands):
            sums[b] += sum(overlap(s, e, bs, be) * acc for s, e, acc, _ in regs) / (be - bs)
    freq = np.array([1.0 / p for _, _, p in bands])
    if not sums.any():
        return 0.0
    rank = lambda v: np.argsort(np.argsort(v)).astype(float)  # noqa: E731
    return float(np.corrcoef(rank(freq), rank(sums))[0, 1])


def item_metrics(d, name, attrs):
    j = json.load(open(os.path.join(d, name + ".json")))
    wl = parse_wl(os.path.join(d, name + ".wl.log"))
    m = {"elapsed_s": j["elapsed_s"], "touches": wl.get("touches"),
         "throughput": wl.get("touches", 0) / j["elapsed_s"]}
    if not j["item"]["damon"]:
        return m, j, wl, []
    snaps = parse_trace(os.path.join(d, name + ".trace"))
    inwin = [(t, r) for t, r in snaps if wl["t0"] <= t <= wl["done"]]
    nr = [len(r) for _, r in inwin]
    m["cpu_share"] = j["kdamond_ns"] / (j["elapsed_s"] * 1e9)
    m["nr_snapshots"] = len(inwin)
    if nr:
        m["nr_regions_mean"] = float(np.mean(nr))
        m["nr_regions_max"] = int(max(nr))
        samples = j["elapsed_s"] * 1e6 / attrs["sample_us"]
        m["ns_per_region_sample"] = j["kdamond_ns"] / (m["nr_regions_mean"] * samples)
    sc = j["item"]["scenario"]
    if sc == "gradient":
        m["rank_corr"] = gradient_corr(inwin, wl, attrs)
    elif nr:
        m["balanced_accuracy"], m["f1_hot"] = accuracy(inwin, wl, attrs)
    if sc in ("stairs", "zigzag") and nr:
        m["detect_latency_s"] = detection_latency(inwin, wl, attrs)
    if sc not in ("gradient", "islands") and nr:
        m["first_detect_s"] = detection_latency(inwin, wl, attrs, 0, 1)
    if j.get("minflt_go") is not None and j.get("minflt_done") is not None:
        m["minflt_per_s"] = (j["minflt_done"] - j["minflt_go"]) / j["elapsed_s"]
    if j.get("sample_readback"):
        m["sample_readback"] = j["sample_readback"]
    if "numa_balancing" in j:
        m["numa_balancing"] = j["numa_balancing"]
    if j.get("probe_hits") and j["probe_hits"]["mean_hits"]:
        m["probe_mean_hits"] = j["probe_hits"]["mean_hits"]
    if j["item"].get("scheme"):
        st = j.get("scheme_stats", {})
        m["sz_applied"] = st.get("sz_applied", 0)
        m["rss_saved_mib"] = (j["rss_go"] - j["rss_done"]) / 2**20
        m["majflt_hot"] = wl.get("majflt_done", 0) - wl.get("majflt_go", 0)
    return m, j, wl, inwin


def boot_metrics(rundir, plan):
    d = os.path.join(rundir, "data")
    out, raw = {}, {}
    for it in plan["items"]:
        if not os.path.exists(os.path.join(d, it["name"] + ".json")):
            continue
        m, j, wl, snaps = item_metrics(d, it["name"], plan["attrs"])
        out[it["name"]] = m
        raw[it["name"]] = (wl, snaps)
    try:
        slab = json.load(open(os.path.join(d, "guest.json"))).get("region_slab")
    except (OSError, ValueError):
        slab = None
    if slab:
        out["memory"] = {"region_slab_bytes": slab["slab_size"],
                         "region_object_bytes": slab["object_size"]}
    for n in SLOWDOWN_ITEMS:
        if n in out and "static-off" in out and out[n]["throughput"]:
            out[n]["slowdown_pct"] = \
                (out["static-off"]["throughput"] / out[n]["throughput"] - 1) * 100
    return out, raw


# ---------------------------------------------------------------- statistics

def boot_ratio(a, b, rng):
    """Ratio of means a/b and its bootstrap 95% interval over pairs."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or b.mean() == 0:
        return None, None, None
    n = len(a)
    idx = rng.integers(0, n, size=(BOOT_N, n))
    bm = b[idx].mean(axis=1)
    ok = bm != 0
    r = a[idx].mean(axis=1)[ok] / bm[ok]
    return a.mean() / b.mean(), float(np.percentile(r, 2.5)), float(np.percentile(r, 97.5))


def boot_mean(v, rng):
    """Mean and its bootstrap 95% interval over boots."""
    v = np.asarray(v, float)
    if len(v) == 0:
        return None, None, None
    m = v[rng.integers(0, len(v), size=(BOOT_N, len(v)))].mean(axis=1)
    return float(v.mean()), float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))


# metric key -> (label, unit formatter, better direction)
METRICS = [
    ("cpu_share", "kdamond CPU share", lambda v: "%.2f%%" % (v * 100), "lower"),
    ("ns_per_region_sample", "CPU per region-sample", lambda v: "%.0f ns" % v, "lower"),
    ("nr_regions_mean", "nr_regions (mean)", lambda v: "%.0f" % v, None),
    ("nr_regions_max", "nr_regions (max)", lambda v: "%.0f" % v, None),
    ("balanced_accuracy", "balanced accuracy", lambda v: "%.3f" % v, "higher"),
    ("f1_hot", "F1 of hot bytes", lambda v: "%.3f" % v, "higher"),
    ("detect_latency_s", "detection latency (moves)", lambda v: "%.2f s" % v, "lower"),
    ("first_detect_s", "time to find first hot set", lambda v: "%.2f s" % v, "lower"),
    ("rank_corr", "rank corr. frequency", lambda v: "%.3f" % v, "higher"),
    ("slowdown_pct", "workload slowdown", lambda v: "%.2f%%" % v, "lower"),
    ("region_object_bytes", "damon_region object size", lambda v: "%.0f B" % v, "lower"),
    ("region_slab_bytes", "slab bytes per region", lambda v: "%.0f B" % v, "lower"),
    ("rss_saved_mib", "RSS saved by pageout", lambda v: "%.1f MiB" % v, "higher"),
    ("majflt_hot", "major faults (hot)", lambda v: "%.0f" % v, "lower"),
    # not a goal: what counts as applied differs (ours counts the bytes
    # advised, again on every pass over memory already paged out)
    ("sz_applied", "pageout sz_applied", lambda v: "%.1f MiB" % (v / 2**20), None),
]

METRIC_FMT = {key: f for key, _, f, _ in METRICS}


def verdict(ratio, lo, hi, better, diff=None, resolution=None):
    if ratio is None or better is None:
        return ""
    if resolution is not None and diff is not None and abs(diff) < resolution:
        return "same (within resolution)"
    worse = ratio > 1 if better == "lower" else ratio < 1
    sig = (lo > 1 or hi < 1) if lo is not None else False
    if abs(ratio - 1) < 0.02:
        return "same"
    if worse:
        return "**ours WORSE**" if sig else "ours worse (interval includes 1)"
    return "ours better" if sig else "ours better (interval includes 1)"


def fmt_vals(vals, f):
    if not vals:
        return "-"
    v = np.asarray(vals, float)
    s = f(v.mean())
    if len(v) > 1:
        s += " ±" + f(v.std(ddof=1)).split()[0].lstrip("+")
    return s


# ---------------------------------------------------------------- probes

def describe_probes(probes):
    """"anon; memcg; hugepage_size; (none)": each probe's filter types."""
    if not probes:
        return "none"
    return "; ".join(",".join(f["type"] for f in p["filters"]) or "(no filter)"
                     for p in probes)


def fmt_ci(r, lo, hi, f="%.3f"):
    return "-" if r is None else (f + " [" + f + ", " + f + "]") % (r, lo, hi)


def probe_goal_verdict(r, lo, hi):
    """Met only if the whole interval of the CPU share ratio is <= the goal."""
    if r is None:
        return "no data"
    if hi <= PROBE_GOAL:
        return "**met** (whole interval <= %.2f)" % PROBE_GOAL
    if lo > PROBE_GOAL:
        return "**not met** (whole interval > %.2f)" % PROBE_GOAL
    return "**not shown** (interval reaches above %.2f)" % PROBE_GOAL


def probe_row(it, boots, rng):
    """One item's row and its numbers: paired with static boot by boot."""
    name = it["name"]
    ms = [b[name] for b in boots if name in b]
    pairs = [(b[name], b[PROBE_BASE]) for b in boots if name in b and PROBE_BASE in b
             and "ns_per_region_sample" in b[name] and "ns_per_region_sample" in b[PROBE_BASE]]
    cpu = [m["cpu_share"] for m in ms]
    ns = [m.get("ns_per_region_sample") for m in ms if "ns_per_region_sample" in m]
    nr = [m["nr_regions_mean"] for m in ms if "nr_regions_mean" in m]
    hits = [m["probe_mean_hits"] for m in ms if "probe_mean_hits" in m]
    slow = [m["slowdown_pct"] for m in ms if "slowdown_pct" in m]
    row = {"item": name, "probes": describe_probes(it.get("probes")), "boots": len(ms),
           "cpu_share": cpu, "ns_per_region_sample": ns, "slowdown_pct": slow}
    if name != PROBE_BASE and pairs:
        row["cpu_ratio"] = boot_ratio([a["cpu_share"] for a, _ in pairs],
                                      [b["cpu_share"] for _, b in pairs], rng)
        row["ns_ratio"] = boot_ratio([a["ns_per_region_sample"] for a, _ in pairs],
                                     [b["ns_per_region_sample"] for _, b in pairs], rng)
        row["extra_ns"] = boot_mean([a["ns_per_region_sample"] - b["ns_per_region_sample"]
                                     for a, b in pairs], rng)
    if hits:
        row["mean_hits"] = [float(x) for x in np.mean(np.asarray(hits, float), axis=0)]
    label = name + " (probes-0)" if name == PROBE_BASE else name
    cells = [label, row["probes"], fmt_vals(cpu, METRIC_FMT["cpu_share"]),
             fmt_vals(ns, METRIC_FMT["ns_per_region_sample"]),
             fmt_vals(nr, METRIC_FMT["nr_regions_mean"]),
             fmt_ci(*row.get("cpu_ratio", (None,) * 3)),
             fmt_ci(*row.get("ns_ratio", (None,) * 3)),
             fmt_ci(*row.get("extra_ns", (None,) * 3), f="%+.0f"),
             fmt_vals(slow, METRIC_FMT["slowdown_pct"]),
             " ".join("%.1f" % h for h in row["mean_hits"]) if hits else "-"]
    return "| " + " | ".join(cells) + " |", row


def probe_section(plan, per, rng):
    """The ours-only comparison of static with and without probes, and the
    verdict against the goal; ([] , []) when the plan has no probe items."""
    items = [it for it in plan["items"] if it.get("probes")]
    base = [it for it in plan["items"] if it["name"] == PROBE_BASE]
    if not items or not base:
        return [], []
    md = ["\n## Data-attribute probes (ours only)\n",
          "Upstream 6.12 has no probes: each probe item is static with probes "
          "added (all weight 0, normal mode), compared with static (probes-0) of "
          "the same boots of ours. Ratio = mean(item)/mean(static), bootstrap 95%% "
          "interval over boots; extra = mean over boots of item - static. Workload "
          "slowdown: touches per second of static-off over those of the item, minus "
          "1, in the same boot. Hits: "
          "mean hits per region and aggregation of each probe (of %d samples), from "
          "a short `damon_region_aggregated` check after the measured window." %
          max(1, plan["attrs"]["aggr_us"] // plan["attrs"]["sample_us"]),
          "",
          "| item | probes (filter types) | kdamond CPU share | CPU per region-sample "
          "| nr_regions (mean) | CPU share ratio to static [95% CI] "
          "| CPU per region-sample ratio [95% CI] | extra ns per region-sample [95% CI] "
          "| workload slowdown | hits per probe |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for it in base + items:
        line, row = probe_row(it, per["ours"], rng)
        md.append(line)
        rows.append(row)
    goal = [r for r in rows if r["item"] == PROBE_GOAL_ITEM]
    if goal:
        cpu, ns = (goal[0].get(k, (None,) * 3) for k in ("cpu_ratio", "ns_ratio"))
        md.append("\nGoal (issue 15): %s costs <= %.0f%% more kdamond CPU than static: %s "
                  "(CPU share ratio %s). Per region-sample, which leaves out the "
                  "difference in nr_regions: %s (ratio %s)." % (
                      PROBE_GOAL_ITEM, (PROBE_GOAL - 1) * 100, probe_goal_verdict(*cpu),
                      fmt_ci(*cpu), probe_goal_verdict(*ns).replace("**", ""), fmt_ci(*ns)))
    return md, rows


# ---------------------------------------------------------------- faults

def describe_sample(m):
    """"page_fault" / "page_table" from an item's read-back primitives."""
    rb = m.get("sample_readback")
    if not rb:
        return "page_table"
    return "+".join(k for k in ("page_table", "page_fault") if rb[k]) or "none"


def faults_section(plan, per, rng):
    """The ours-only comparison of static (Accessed bits) with faults (the
    page-fault primitive) of the same boots; ([], {}) when the plan has no
    faults item."""
    names = [it["name"] for it in plan["items"]]
    if FAULTS_ITEM not in names or FAULTS_BASE not in names:
        return [], {}
    boots = [b for b in per["ours"] if FAULTS_ITEM in b and FAULTS_BASE in b]
    md = ["\n## Page-fault sampling (ours only)\n",
          "Upstream 6.12 has no access-sample control: faults is static with "
          "`sample/primitives/page_table` N and `page_fault` Y (no sample "
          "filter), compared with static (faults-0, Accessed bits) of the same "
          "boots of ours. Values: mean ±sd over boots. Ratio = mean(faults)/"
          "mean(static), difference = mean over boots of faults - static, both "
          "with a bootstrap 95% interval over boots. Slowdown: touches per "
          "second of static-off over those of the item, minus 1, in the same "
          "boot. Minor faults: the workload's own, per second of its phases.",
          ""]
    if not boots:
        md.append("No boot of ours has both %s and %s." % (FAULTS_BASE, FAULTS_ITEM))
        return md, {}
    keys = [("cpu_share", "kdamond CPU share"),
            ("ns_per_region_sample", "CPU per region-sample"),
            ("nr_regions_mean", "nr_regions (mean)"),
            ("slowdown_pct", "workload slowdown"),
            ("balanced_accuracy", "balanced accuracy"),
            ("f1_hot", "F1 of hot bytes"),
            ("minflt_per_s", "workload minor faults/s")]
    fmt = dict(METRIC_FMT, minflt_per_s=lambda v: "%.0f" % v)
    ratio_keys = ("cpu_share", "ns_per_region_sample", "nr_regions_mean")
    md.append("| metric | static (faults-0) | faults | ratio faults/static [95% CI] "
              "| difference faults - static [95% CI] |")
    md.append("|---|---|---|---|---|")
    out = {"boots": len(boots), "metrics": {}}
    for key, label in keys:
        pa = [(b[FAULTS_ITEM].get(key), b[FAULTS_BASE].get(key)) for b in boots]
        pa = [(a, s) for a, s in pa if a is not None and s is not None]
        if not pa:
            continue
        a, s = [x for x, _ in pa], [y for _, y in pa]
        r = boot_ratio(a, s, rng) if key in ratio_keys else (None,) * 3
        d = boot_mean([x - y for x, y in pa], rng)
        f = fmt[key]
        if key in ("balanced_accuracy", "f1_hot"):
            ds = fmt_ci(*d, f="%+.3f")
        elif key == "slowdown_pct":
            ds = fmt_ci(*d, f="%+.2f") + " points"
        elif key == "minflt_per_s":
            ds = fmt_ci(*d, f="%+.0f")
        else:
            ds = "-"
        md.append("| %s | %s | %s | %s | %s |" % (label, fmt_vals(s, f), fmt_vals(a, f),
                                                fmt_ci(*r), ds))
        out["metrics"][key] = {"static": s, "faults": a, "ratio": list(r),
                               "diff": list(d), "boots": len(pa)}
    for n in (FAULTS_BASE, FAULTS_ITEM):
        v = [b[n]["slowdown_pct"] for b in boots if "slowdown_pct" in b[n]]
        if v:
            out["metrics"].setdefault("slowdown_pct", {})[n + "_mean_ci"] = \
                list(boot_mean(v, rng))
    modes = [describe_sample(b[FAULTS_ITEM]) for b in boots]
    nb = [b[FAULTS_ITEM].get("numa_balancing") for b in boots]
    out["mode"] = modes
    ok = sum(1 for x in modes if x == "page_fault")
    # the staged files say what was asked; the workload's minor faults
    # (a handful in a whole static item) say that the kdamond armed pages
    flt = {n: sum(1 for b in boots if b[n].get("minflt_per_s", 0) > MODE_MINFLT)
           for n in (FAULTS_BASE, FAULTS_ITEM)}
    out["boots_with_minflt"] = flt
    md.append("\nMode check: %s read back `page_table` N, `page_fault` Y before `on` "
              "in %d of %d boots (numa_balancing %s); the workload took more than "
              "%d minor faults a second during the phases in %d of them (during "
              "static's: %d)." % (
                  FAULTS_ITEM, ok, len(boots),
                  ", ".join(sorted({str(x) for x in nb})), MODE_MINFLT,
                  flt[FAULTS_ITEM], flt[FAULTS_BASE]))
    sd = out["metrics"].get("slowdown_pct", {})
    if FAULTS_BASE + "_mean_ci" in sd and FAULTS_ITEM + "_mean_ci" in sd:
        md.append("Workload slowdown against static-off: static %s%%, faults %s%% "
                  "(mean [95%% CI] over boots)." % (
                      fmt_ci(*sd[FAULTS_BASE + "_mean_ci"], f="%.2f"),
                      fmt_ci(*sd[FAULTS_ITEM + "_mean_ci"], f="%.2f")))
    return md, out


# ---------------------------------------------------------------- plots

def heat_matrix(snaps, lo, hi, bins, t0, t1, dt):
    rows = int(np.ceil((t1 - t0) / dt))
    mat = np.full((rows, bins), np.nan)
    edges = np.linspace(lo, hi, bins + 1)
    for t, regs in snaps:
        r = int((t - t0) / dt)
        if r < 0 or r >= rows:
            continue
        row = np.zeros(bins)
        for s, e, acc, _ in regs:
            if e <= lo or s >= hi:
                continue
            b0 = max(0, np.searchsorted(edges, s, side="right") - 1)
            b1 = min(bins, np.searchsorted(edges, e, side="left"))
            for b in range(b0, b1):
                row[b] += overlap(s, e, edges[b], edges[b + 1]) * acc
        mat[r] = row / (edges[1] - edges[0])
    # aggregation ends jitter against the rows: repeat the last snapshot
    for r in range(1, rows):
        if np.isnan(mat[r, 0]):
            mat[r] = mat[r - 1]
    return mat


def truth_matrix(wl, lo, hi, bins, t0, t1, dt):
    rows = int(np.ceil((t1 - t0) / dt))
    mat = np.zeros((rows, bins))
    edges = np.linspace(lo, hi, bins + 1)
    for r in range(rows):
        p = phase_at(wl, t0 + (r + 0.5) * dt)
        if p < 0:
            continue
        for s, e, per in wl["phases"][p][1]:
            for b in range(bins):
                o = overlap(s, e, edges[b], edges[b + 1])
                if o:
                    mat[r, b] += o / (edges[1] - edges[0]) / per
    return mat


def draw_accesses(ax, wl, snaps, maxacc, dt, title):
    """One heatmap panel: a run's nr_accesses over the workload's buffer."""
    mat = heat_matrix(snaps, wl["start"], wl["end"], 128, wl["t0"], wl["done"], dt)
    ax.imshow(mat, aspect="auto", origin="upper", cmap="inferno",
              vmin=0, vmax=maxacc, interpolation="nearest",
              extent=(0, (wl["end"] - wl["start"]) / 2**20, wl["done"] - wl["t0"], 0))
    ax.set_title(title)
    ax.set_xlabel("offset in buffer (MiB)")


def draw_truth(ax, wl, dt):
    """The ground-truth panel beside them: how often the workload touched."""
    truth = truth_matrix(wl, wl["start"], wl["end"], 128, wl["t0"], wl["done"], dt)
    ax.imshow(truth, aspect="auto", origin="upper", cmap="inferno", vmin=0, vmax=1,
              interpolation="nearest",
              extent=(0, (wl["end"] - wl["start"]) / 2**20, wl["done"] - wl["t0"], 0))
    ax.set_title("ground truth (touch frequency)")
    ax.set_xlabel("offset in buffer (MiB)")


def plot_heatmaps(raw, plan, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    maxacc = plan["attrs"]["aggr_us"] / plan["attrs"]["sample_us"]
    dt = plan["attrs"]["aggr_us"] / 1e6
    for it in plan["items"]:
        name = it["name"]
        if not it["damon"] or any(name not in raw[k] for k in KERNELS):
            continue
        fig, axes = plt.subplots(1, 3, figsize=(13, 4.5), sharey=True)
        for ax, k in zip(axes, KERNELS):
            wl, snaps = raw[k][name]
            draw_accesses(ax, wl, snaps, maxacc, dt, "%s: nr_accesses" % k)
        draw_truth(axes[2], raw["ours"][name][0], dt)
        axes[0].set_ylabel("time (s)")
        fig.suptitle("scenario %s (pair 0)" % name)
        fig.tight_layout()
        f = "heatmap-%s.png" % name
        fig.savefig(os.path.join(outdir, f), dpi=80)
        plt.close(fig)
        files.append(f)
    return files


def plot_faults_heatmap(raw, plan, outdir):
    """Ours only, pair 0: static (Accessed bits) beside faults (page faults)
    and the ground truth."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if FAULTS_ITEM not in raw or FAULTS_BASE not in raw:
        return []
    maxacc = plan["attrs"]["aggr_us"] / plan["attrs"]["sample_us"]
    dt = plan["attrs"]["aggr_us"] / 1e6
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5), sharey=True)
    for ax, (n, title) in zip(axes, ((FAULTS_BASE, "Accessed bits"),
                                     (FAULTS_ITEM, "page faults"))):
        wl, snaps = raw[n]
        draw_accesses(ax, wl, snaps, maxacc, dt,
                      "ours, %s (%s): nr_accesses" % (n, title))
    draw_truth(axes[2], raw[FAULTS_ITEM][0], dt)
    axes[0].set_ylabel("time (s)")
    fig.suptitle("static vs faults (ours, pair 0)")
    fig.tight_layout()
    f = "heatmap-faults.png"
    fig.savefig(os.path.join(outdir, f), dpi=80)
    plt.close(fig)
    return [f]


def plot_nr_regions(raw, plan, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [it["name"] for it in plan["items"] if it["damon"]
             and all(it["name"] in raw[k] for k in KERNELS)]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
    for ax, k in zip(axes, KERNELS):
        for n in names:
            wl, snaps = raw[k][n]
            ax.plot([t - wl["t0"] for t, _ in snaps], [len(r) for _, r in snaps], label=n)
        ax.axhline(plan["attrs"]["max_nr_regions"], color="red", ls="--", lw=0.8)
        ax.set_title("%s: nr_regions over time" % k)
        ax.set_xlabel("time since workload start (s)")
        ax.set_yscale("log")
    axes[0].set_ylabel("nr_regions")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "nr-regions.png"), dpi=80)
    plt.close(fig)
    return "nr-regions.png"


def plot_cpu_size(per, plan, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = [it for it in plan["items"] if it["scenario"] == "size"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for k in KERNELS:
        xs, ys, es = [], [], []
        for it in sizes:
            v = [b[it["name"]]["cpu_share"] * 100 for b in per[k] if it["name"] in b]
            if v:
                xs.append(it["mib"] / 1024)
                ys.append(np.mean(v))
                es.append(np.std(v, ddof=1) if len(v) > 1 else 0)
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=k)
    ax.set_xlabel("monitored size (GiB)")
    ax.set_ylabel("kdamond CPU share (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("CPU against monitored size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "cpu-vs-size.png"), dpi=80)
    plt.close(fig)
    return "cpu-vs-size.png"


# ---------------------------------------------------------------- report

def main():
    outdir = sys.argv[1]
    meta = json.load(open(os.path.join(outdir, "meta.json")))
    plan = meta["plan"]
    per = {k: [] for k in KERNELS}          # kernel -> [metrics per boot] by pair
    raw0 = {}
    bad = []
    # an interrupted run: keep complete pairs only (a pair of an ours-only
    # run, --kernels ours, is one boot of ours)
    run_kernels = meta.get("kernels_run", list(KERNELS))
    pairs = sorted({b["pair"] for b in meta["boots"]
                    if all(any(c["pair"] == b["pair"] and c["kernel"] == k for c in meta["boots"])
                           for k in run_kernels)})
    meta["pairs_done"] = len(pairs)
    for b in sorted(meta["boots"], key=lambda b: (b["pair"], b["kernel"])):
        if b["pair"] not in pairs:
            continue
        m, raw = boot_metrics(b["dir"], plan)
        if b["status"] != 0 or b["timed_out"] or b["splats"]:
            bad.append("%s pair %d: status=%s timed_out=%s splats=%d" %
                       (b["kernel"], b["pair"], b["status"], b["timed_out"], len(b["splats"])))
        per[b["kernel"]].append(m)
        if b["pair"] == 0:
            raw0[b["kernel"]] = raw
    rng = np.random.default_rng(1)
    rows, worse, table = [], [], []
    for it in plan["items"] + [{"name": "memory", "damon": True}]:
        name = it["name"]
        if not it["damon"]:
            continue
        for key, label, f, better in METRICS:
            # paired values: only pairs where both kernels have the metric
            pa = [(a[name].get(key), u[name].get(key)) for a, u in zip(per["ours"], per["upstream"])
                  if name in a and name in u]
            pa = [(a, u) for a, u in pa if a is not None and u is not None]
            if not pa:
                continue
            a, u = [x for x, _ in pa], [y for _, y in pa]
            note = ""
            ours_idle = it.get("scheme") and \
                not any(b[name].get("sz_applied") for b in per["ours"] if name in b)
            if ours_idle and key in ("sz_applied", "rss_saved_mib", "majflt_hot"):
                fa = "n/a"
                r = lo = hi = None
                note = "ours applied nothing (sz_applied = 0)"
            elif ours_idle and key in ("cpu_share", "ns_per_region_sample"):
                # upstream's kdamond also pages out (and zram allocates)
                fa = fmt_vals(a, f)
                r = lo = hi = None
                note = "not comparable: upstream's kdamond also does the pageout work"
            else:
                fa = fmt_vals(a, f)
                r, lo, hi = boot_ratio(a, u, rng)
            res = plan["attrs"]["aggr_us"] / 1e6 / 2 if key.endswith("_s") else None
            v = verdict(r, lo, hi, better, np.mean(a) - np.mean(u), res)
            if v.startswith("**ours WORSE") or v.startswith("ours worse"):
                worse.append("%s / %s: ratio %.3f [%.3f, %.3f]" % (name, label, r, lo, hi))
            rs = "-" if r is None else "%.3f [%.3f, %.3f]" % (r, lo, hi)
            table.append("| %s | %s | %s | %s | %s | %s |" %
                         (name, label, fa, fmt_vals(u, f), rs, v or note))
            rows.append({"scenario": name, "metric": key, "ours": a, "upstream": u,
                         "ratio": r, "ci": [lo, hi], "verdict": v, "note": note})
    # invariants
    inv = []
    for k in run_kernels:
        mx = max((b[n].get("nr_regions_max", 0) for b in per[k] for n in b), default=0)
        inv.append("%s: largest nr_regions seen %d (max_nr_regions %d) -> %s" %
                   (k, mx, plan["attrs"]["max_nr_regions"],
                    "OK" if mx <= plan["attrs"]["max_nr_regions"] else "EXCEEDED"))
    sizes = [it["name"] for it in plan["items"] if it["scenario"] == "size"]
    flat = []
    for k in KERNELS:
        v = [np.mean([b[n]["cpu_share"] for b in per[k] if n in b]) for n in sizes
             if any(n in b for b in per[k])]
        if len(v) >= 2 and v[0]:
            flat.append("%s: CPU share at %s / at %s = %.2f" % (k, sizes[len(v) - 1], sizes[0], v[-1] / v[0]))
    slopes = {}
    for k in KERNELS:
        v = [np.mean([b[n]["cpu_share"] for b in per[k] if n in b]) for n in sizes
             if any(n in b for b in per[k])]
        if len(v) >= 2 and v[0]:
            slopes[k] = v[-1] / v[0]
    if len(slopes) == 2 and slopes["ours"] > slopes["upstream"] * 1.05:
        worse.append("CPU against monitored size is less flat: CPU share at %s / at %s is "
                     "%.2f for ours, %.2f for upstream" % (sizes[-1], sizes[0], slopes["ours"],
                                                          slopes["upstream"]))
    figs = []
    try:
        if all(k in raw0 for k in KERNELS):
            figs += plot_heatmaps(raw0, plan, outdir)
            figs.append(plot_nr_regions(raw0, plan, outdir))
        if "ours" in raw0:
            figs += plot_faults_heatmap(raw0["ours"], plan, outdir)
        if any(it["scenario"] == "size" for it in plan["items"]):
            figs.append(plot_cpu_size(per, plan, outdir))
    except ImportError as e:
        print("report.py: no plots (%s)" % e, file=sys.stderr)

    walls = [b["wall_s"] for b in meta["boots"]]
    cpus = [b.get("qemu_cpu_s", 0) for b in meta["boots"]]
    md = []
    ours_only = "upstream" not in run_kernels
    md.append("# DAMON benchmark: ours vs upstream (Linux 6.12)\n")
    if ours_only:
        md.append("- **ours only** (`--kernels ours`): no upstream boots, so no "
                  "ours/upstream rows; the ours-only sections compare items with "
                  "static of the same boot")
    md.append("- mode: **%s**, %d %s done of %d planned (%s)" % (
        meta["mode"], meta["pairs_done"], "boots of ours" if ours_only else "ABAB pairs",
        meta["pairs"],
        "quick mode: fewer pairs and shorter phases than full" if meta["mode"] == "quick"
        else "full mode"))
    md.append("- commit: `%s`%s" % (meta["commit"], " (with uncommitted changes)" if meta["dirty"] else ""))
    md.append("- command: `%s`" % meta["command"])
    here = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse",
                           "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    md.append("- report written by `bench/report.py` at commit `%s`" % (here or "?"))
    md.append("- guest: QEMU TCG, 1 vCPU, `-icount shift=2`, %d MiB, cmdline extra `%s` "
              "(plus harness defaults incl. `tsc=reliable`)" % (meta["guest_mem_mib"], meta["append"]))
    md.append("- DAMON attrs (both kernels, via sysfs): %s; ops vaddr" % json.dumps(plan["attrs"]))
    md.append("- workload seed %d, TLB refresh ping-pong every %s ms" % (plan["seed"], plan["tlb_refresh_ms"]))
    md.append("- wall time here: %.0f s for %d boots (%.0f-%.0f s each; host shared with other "
              "builds), build/deps %.0f s; QEMU CPU time per boot %.0f-%.0f s (about the wall "
              "time of a boot on an idle host)" % (
                  meta["bench_wall_s"], len(walls), min(walls), max(walls),
                  meta.get("build_s", 0), min(cpus), max(cpus)))
    if bad:
        md.append("- **problem boots**: " + "; ".join(bad))
    md.append("")
    md.append("Values: mean ±sd over pairs. Ratio = mean(ours)/mean(upstream) with a "
              "bootstrap 95%% interval (resampling pairs, %d draws). Hot = "
              "nr_accesses >= %d%% of the samples of an aggregation." % (BOOT_N, HOT_SHARE * 100))
    if meta["pairs_done"] < 5:
        md.append("\n**Only %d pairs: the intervals are rough.**" % meta["pairs_done"])
    md.append("\nDetection times are measured on snapshots taken every aggregation interval "
              "(%.0f ms): differences smaller than that are within the resolution." %
              (plan["attrs"]["aggr_us"] / 1e3))
    md.append("\n## Where ours is worse\n")
    if ours_only:
        md.append("- not measured: no upstream boots in this run")
    else:
        md.append("\n".join("- " + w for w in worse) if worse else "- nowhere (no metric's ratio is on the worse side by 2% or more)")
    md.append("\n## Results\n")
    if ours_only:
        md.append("No upstream boots in this run (`--kernels ours`): no ours/upstream rows.")
    else:
        md.append("| scenario | metric | ours | upstream | ratio ours/upstream [95% CI] | verdict |")
        md.append("|---|---|---|---|---|---|")
        md += table
    probe_md, probe_rows = probe_section(plan, per, rng)
    md += probe_md
    faults_md, faults_rows = faults_section(plan, per, rng)
    md += faults_md
    md.append("\n## Invariants\n")
    md += ["- " + x for x in inv]
    md += ["- " + x for x in flat] or ["- (size sweep missing)"]
    md.append("\n## Plots\n")
    md += ["![%s](%s)" % (f, f) for f in figs]
    md.append("\n## Method\n")
    md.append(METHOD)
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(outdir, "metrics.json"), "w") as f:
        json.dump({"per_boot": per, "rows": rows, "probes": probe_rows,
                   "faults": faults_rows}, f, indent=1)
    text = "\n".join(md)
    print(text[: text.find("\n## Plots")])
    print("report.py: wrote %s" % os.path.join(outdir, "report.md"))
    return 0


METHOD = """\
- Each boot runs every scenario once, in the same order, with the same
  seed; kernels alternate ours, upstream, ours, upstream, ...
- Address-space randomisation is off in the guest (`randomize_va_space`
  0), so that the workload has the same layout on every boot: with it on,
  the heap lands up to 1 GiB above the binary, vaddr monitors that hole,
  and the monitored size (hence the initial region size and the merge size
  limit) changed from boot to boot (runs before 2026-12-02 had it on).
- **kdamond CPU share**: delta of `sum_exec_runtime` (/proc/<pid>/schedstat)
  of the kdamond over the workload's phases, divided by their duration
  (virtual time: under -icount both count instructions).
- **CPU per region-sample**: kdamond CPU time / (mean nr_regions x number of
  sampling intervals).
- **nr_regions** is what `damon_aggregated` reports, and the two kernels
  report at different points. Ours traces the regions that were sampled in
  the aggregation (before merging). Upstream merges first, then reports,
  then splits (its design document's order), so it samples more regions
  than it reports. Its "CPU per region-sample" is therefore per *reported*
  region and overstates its cost per sampled region, and its nr_regions
  understates what it samples: compare the CPU share, not these two rows.
- **balanced accuracy / F1**: byte-weighted, from every `damon_aggregated`
  snapshot whose aggregation window lies inside one phase, against the
  workload's logged hot ranges (everything else in the buffer is cold).
  In churn, windows that overlap a remap are left out: while the workload
  unmaps, maps and writes an area (about 130 ms, longer than an
  aggregation, on both kernels) it touches that area and not the hot one,
  so the logged truth does not hold then.
- **detection latency** (stairs, zigzag): mean time from a hot-spot move to
  the first snapshot whose F1 of hot bytes against the new hot area is at
  least 0.75; a move never detected so counts as the whole phase.
  **time to find first hot set**: the same from the start of monitoring
  (DAMON's initial regions) to the first phase's hot set. A difference of
  less than half an aggregation interval is reported as "same".
- **rank corr.** (gradient): Spearman correlation of the eight bands' true
  touch frequency (1, 1/2, ... 1/128 of passes) with DAMON's size-weighted
  nr_accesses.
- **workload slowdown**: touches per second without DAMON (static-off) over
  touches per second with it (static), minus 1.
- **memory per region**: the `damon_region` slab cache's `object_size` and
  `slab_size` from `/sys/kernel/slab/damon_region` (SLUB keeps the name as
  an alias when it merges caches). The Slab delta over a run was noise:
  some tens of regions do not grow the slab by a page.
- **pageout**: a DAMOS `pageout` scheme (nr_accesses 0-0, age >= 10
  aggregations) on a 512 MiB workload with one hot sixteenth, swap on zram;
  RSS saved = VmRSS when the phases start minus at the end; major faults are
  the workload's own (cold memory is never touched again, so they are all on
  hot memory).
- **probes** (ours only): probes-1 is static plus one probe with one
  filter (`anon`, matching and allow Y); probes-4 adds a `memcg` probe (the
  workload's cgroup), a `hugepage_size` 4 KiB-2 MiB probe and a probe with
  no filter; all weight 0, so access monitoring runs as in static. Each is
  compared with static of the same boot; the CPU share ratio also carries
  any difference in nr_regions, the per-region-sample ratio does not.
- **faults** (ours only): static with the page-fault primitive
  (`sample/primitives/page_table` N, `page_fault` Y, no sample filter)
  instead of Accessed bits, read back before `on` and recorded in the
  item's json; the guest keeps `kernel.numa_balancing` at 0, which the
  primitive needs. Compared with static of the same boot. Its slowdown is
  against static-off like static's, and includes the workload's own minor
  faults on the pages DAMON arms (counted from /proc/<pid>/stat).
- **TLB freshness under TCG**: the workload ping-pongs a byte with a child
  process every 2 ms (forked before the buffer exists); each switch between
  user address spaces flushes QEMU's software TLB, so accessed bits are set
  again after DAMON clears them. Identical on both kernels.
"""

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Do the data-attribute probes tell what the sampled memory is?

probes_workload lays out a 64 MiB buffer at a fixed address: 16 MiB
anonymous in the root cgroup, 16 MiB anonymous charged to a cgroup of its
own, 32 MiB of shmem (a memfd, not anonymous) charged to the root cgroup.
The ground truth of every byte is thus known; for paddr, the frames behind
each part are found through /proc/<pid>/pagemap.

Cases, for paddr and vaddr (ratios also for fvaddr):
- ratios: probes "anon", "memcg" (the workload's cgroup), "any folio" (a
  hugepage_size filter of 0 to ULONG_MAX: every sample that found a page
  DAMON may look at) and one without filters (every sample).  The share of
  each region's page-finding samples that hit anon and memcg, read from
  tried_regions/<N>/probes/<P>/hits and from the damon_region_aggregated
  tracepoint, must be the share of the region that is anonymous or
  charged, within RATIO_TOL; and at least SEEN_MIN of all samples must
  have found a page (a page briefly off its LRU list is not looked at).
  Each part is monitored as regions of its own (paddr: each run of
  contiguous frames, vaddr and fvaddr: the part), each without its last
  page so that DAMON cannot merge across parts: a region split at an
  aggregation boundary shows the hits of the region it was cut from until
  the next boundary, which is exact only if no region mixes parts.
- pgidle: ops_hot_cold touches one 8 MiB range all the time and leaves
  another alone; a probe with a set_pgidle step and a pgidle_unset filter
  (the attributes-only mode, weight 1) must hit most samples of the hot
  range and almost none of the cold one.

Cases for vaddr only (the buffer is one virtual range with the anon/file
boundary inside):
- weights: with a weight on the anon probe, the attributes-only mode shapes
  the regions by it: no region may straddle the boundary by more than
  STRADDLE_MAX of the buffer, and nr_accesses stays 0.  The tracepoint's
  records of the regions DAMON sampled (some straddle the boundary while
  the regions converge) must give each region's anon share within
  straddle_tol() of its truth, which is intermediate for a straddling
  region: the estimate from SAMPLES samples has a binomial error.
- wsum: a stat scheme with a probe_hits_wsum core filter (at least half
  the samples anon) tries most of the anonymous half and little of the
  file half.
"""

import math
import os
import re
import struct
import subprocess
import time

from _common import (PAGE, context_has, frames, ksft, read, runs, skip_all,
                     stage_filter, stage_stat_target, write, ULONG_MAX)

ADMIN = '/sys/kernel/mm/damon/admin'
K = ADMIN + '/kdamonds/0'
C = K + '/contexts/0'
P = C + '/monitoring_attrs/probes'
S = C + '/schemes/0'
TRACE = '/sys/kernel/tracing'
HERE = os.path.dirname(os.path.realpath(__file__))
CG = '/sys/fs/cgroup/damon_probes_attrs'
CG_PATH = '/damon_probes_attrs'

MIB = 1 << 20
BASE = 0x600000000000
ANON_ROOT = (BASE, BASE + 16 * MIB)
ANON_CG = (BASE + 16 * MIB, BASE + 32 * MIB)
FILE = (BASE + 32 * MIB, BASE + 64 * MIB)
HOT_ADDR, COLD_ADDR, HOT_SZ = 0x600000000000, 0x600010000000, 8 * MIB

# 2 ms samples, 500 ms aggregations: up to 250 samples per region, within
# the 255 that the attributes-only mode allows.
SAMPLE_US, AGGR_US = 2000, 500000
SAMPLES = AGGR_US // SAMPLE_US
# Thresholds, and the spread of 10 runs (one boot each, on a host busy
# with a kernel build and a benchmark):
# - ratios: worst error of a region 0.000 in every run (paddr, vaddr and
#   fvaddr, tried regions and tracepoint); RATIO_TOL 0.10.
RATIO_TOL = 0.10
# - share of samples that found a page: paddr 0.997 to 1.000, vaddr and
#   fvaddr 1.000; SEEN_MIN 0.9 (the buffer's pages stay mapped, only pages
#   briefly off their LRU list are missed).
SEEN_MIN = 0.9
# - weights: straddle 0.000 to 0.001 of the buffer; STRADDLE_MAX 0.03.  The
#   tracepoint's anon shares were off by at most 0.030 to 0.086 per run, in
#   regions that straddle the boundary: binomial sampling error, whose
#   standard deviation is sqrt(p (1 - p) / SAMPLES) for a region of anon
#   share p.  straddle_tol() allows STRADDLE_SIGMAS of it plus PURE_TOL (a
#   region of one kind is exact: error 0.000 in every run).
STRADDLE_MAX = 0.03
STRADDLE_SIGMAS, PURE_TOL = 5, 0.02
# - pgidle: hot share 1.00, cold 0.00 in every run, paddr and vaddr.
# - wsum: share of the anon half tried 1.00, of the file half 0.00.
HOT_MIN, COLD_MAX = 0.5, 0.1
# A pass of ops_hot_cold over its hot range takes a few ms under TCG: the
# pgidle cases sample every 10 ms so that a pass fits in an interval.
PGIDLE_INTERVALS = (10000, 1000000)
WSUM_ANON_MIN, WSUM_FILE_MAX = 0.8, 0.1


# ===== Ground truth =====



def kpageflags(first, last):
    """How many frames of [first, last) are LRU, anon, both (debug)."""
    lru = anon = both = 0
    try:
        with open('/proc/kpageflags', 'rb') as f:
            f.seek(first * 8)
            data = f.read((last - first) * 8)
    except OSError:
        return None
    for (flags,) in struct.iter_unpack('<Q', data):
        lru += flags >> 5 & 1
        anon += flags >> 12 & 1
        both += flags >> 5 & flags >> 12 & 1
    return {'frames': last - first, 'lru': lru, 'anon': anon, 'both': both}


VMSTAT_KEYS = ('compact_isolated', 'pgmigrate_success', 'pgmigrate_fail',
               'thp_collapse_alloc', 'pgscan_kswapd', 'pgscan_direct')


def vmstat():
    """The vmstat counters that tell pages were isolated (debug)."""
    out = dict.fromkeys(VMSTAT_KEYS, 0)
    with open('/proc/vmstat') as f:
        for line in f:
            k, v = line.split()
            if k in out:
                out[k] = int(v)
    return out


def straddle_tol(p):
    """Allowed error of the anon share estimated for a region of share p."""
    return STRADDLE_SIGMAS * math.sqrt(p * (1 - p) / SAMPLES) + PURE_TOL


def overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def share(region, parts):
    """Share of region that lies in parts."""
    return sum(overlap(region, p) for p in parts) / (region[1] - region[0])


# ===== Staging =====

def stage(ops, ranges, pid, probes, core_filter=None,
          intervals=(SAMPLE_US, AGGR_US)):
    """One kdamond, one context of ops on ranges, one stat scheme.

    probes: list of (weight, preps, filters), filters as (type, matching,
    allow, arg): arg is the path of a memcg filter, the (min, max) of a
    hugepage_size one, None otherwise."""
    write(ADMIN + '/kdamonds/nr_kdamonds', 1)
    write(K + '/contexts/nr_contexts', 1)
    write(C + '/operations', ops)
    write(C + '/monitoring_attrs/intervals/sample_us', intervals[0])
    write(C + '/monitoring_attrs/intervals/aggr_us', intervals[1])
    write(C + '/monitoring_attrs/nr_regions/min', 10)
    write(C + '/monitoring_attrs/nr_regions/max', max(1000, 2 * len(ranges)))
    write(P + '/nr_probes', len(probes))
    for i, (weight, preps, filters) in enumerate(probes):
        d = '%s/%d' % (P, i)
        write(d + '/weight', weight)
        write(d + '/preps/nr_preps', len(preps))
        for j, action in enumerate(preps):
            write('%s/preps/%d/prep_action' % (d, j), action)
        write(d + '/filters/nr_filters', len(filters))
        for j, (ftype, matching, allow, arg) in enumerate(filters):
            args = ()
            if ftype == 'memcg':
                args = (('path', arg),)
            elif ftype == 'hugepage_size':
                args = (('min', arg[0]), ('max', arg[1]))
            stage_filter('%s/filters/%d' % (d, j), ftype, matching, allow,
                         args)
    stage_stat_target(C, ranges, None if ops == 'paddr' else pid)
    if core_filter:
        write(S + '/core_filters/nr_filters', 1)
        stage_filter(S + '/core_filters/0', 'probe_hits_wsum', 'Y', 'Y',
                     (('min', core_filter[0]), ('max', core_filter[1])))


def snapshot():
    """Tried regions as (start, end, nr_accesses, [hits of each probe])."""
    write(K + '/state', 'update_schemes_tried_regions')
    d = S + '/tried_regions'
    regions = []
    for name in os.listdir(d):
        if not name.isdigit():
            continue
        r = '%s/%s' % (d, name)
        probes = sorted(int(p) for p in os.listdir(r + '/probes')
                        if p.isdigit())
        regions.append((int(read(r + '/start')), int(read(r + '/end')),
                        int(read(r + '/nr_accesses')),
                        [int(read('%s/probes/%d/hits' % (r, p)))
                         for p in probes]))
    return sorted(regions)


def run(ops, ranges, pid, probes, secs, core_filter=None, trace=False,
        intervals=(SAMPLE_US, AGGR_US)):
    """Monitor for secs; the tried-regions snapshot and trace records."""
    stage(ops, ranges, pid, probes, core_filter, intervals)
    if trace:
        write(TRACE + '/trace', '')
        write(TRACE + '/events/damon/damon_region_aggregated/enable', 1)
    write(K + '/state', 'on')
    try:
        time.sleep(secs)
        regions = snapshot()
    finally:
        write(K + '/state', 'off')
        if trace:
            write(TRACE + '/events/damon/damon_region_aggregated/enable', 0)
        write(ADMIN + '/kdamonds/nr_kdamonds', 0)
    return regions, trace_records() if trace else []


TRACE_RE = re.compile(r'damon_region_aggregated: target_id=\d+ nr_regions=\d+ '
                      r'(\d+)-(\d+): (\d+) (\d+) probe_hits=(.*)$')


def trace_records():
    """damon_region_aggregated records as (start, end, [hits])."""
    out = []
    with open(TRACE + '/trace') as f:
        for line in f:
            m = TRACE_RE.search(line.rstrip())
            if m:
                out.append((int(m.group(1)), int(m.group(2)),
                            [int(x, 16) for x in m.group(5).split()]))
    return out


# ===== Cases =====

def start_workload(cgroup):
    proc = subprocess.Popen([os.path.join(HERE, 'probes_workload'), '120',
                             cgroup + '/cgroup.procs'],
                            stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != 'ready':
        proc.wait()
        return None
    return proc


def check_ratios(desc, records, truth_anon, truth_cg,
                 tol=lambda p: RATIO_TOL):
    """Every record's anon and memcg shares (hits of probes 0 and 1 over
    the samples that found a page, probe 2) within tol(truth) of the
    truth."""
    worst, n, worst_at, bad = 0.0, 0, None, 0
    for start, end, hits in records:
        if len(hits) < 3 or not hits[2]:
            continue
        region = (start, end)
        for got, want in ((hits[0] / hits[2], truth_anon(region)),
                          (hits[1] / hits[2], truth_cg(region))):
            if abs(got - want) > worst:
                worst, worst_at = abs(got - want), (start, end, hits, want)
            bad += abs(got - want) > tol(want)
        n += 1
    ksft.print_msg('%s: %d regions, worst error %.3f, %d beyond tolerance' %
                   (desc, n, worst, bad))
    if bad:
        start, end = worst_at[0], worst_at[1]
        same = [i for i, r in enumerate(records) if r[:2] == (start, end)]
        ksft.print_msg('%s: worst region %x-%x hits %s, truth %.3f' %
                       ((desc,) + worst_at))
        ksft.print_msg('%s: records of that region: %s of %d, hits %s' %
                       (desc, same, len(records),
                        [records[i][2] for i in same]))
        ksft.print_msg('%s: kpageflags of its frames now: %s' %
                       (desc, kpageflags(start // PAGE, end // PAGE)))
    return n > 0 and not bad


def case_ratios(ops, proc):
    desc = '%s: anon and memcg probe hits match the buffer' % ops
    # probe 2 counts the samples that found a page DAMON may look at (any
    # folio has a size), probe 3 all samples: a page off its LRU list for
    # a while (being migrated or moved between lists) is not looked at.
    probes = [(0, [], [('anon', 'Y', 'Y', None)]),
              (0, [], [('memcg', 'Y', 'Y', CG_PATH)]),
              (0, [], [('hugepage_size', 'Y', 'Y', (0, ULONG_MAX))]),
              (0, [], [])]
    if ops == 'paddr':
        parts = {name: runs(frames(proc.pid, *rng)) for name, rng in
                 (('anon_root', ANON_ROOT), ('anon_cg', ANON_CG),
                  ('file', FILE))}
    else:
        parts = {name: [(rng[0], rng[1] - PAGE)] for name, rng in
                 (('anon_root', ANON_ROOT), ('anon_cg', ANON_CG),
                  ('file', FILE))}
    ranges = sorted(sum(parts.values(), []))
    anon = parts['anon_root'] + parts['anon_cg']
    cg = parts['anon_cg']
    if sum(e - s for s, e in ranges) < 32 * MIB:
        ksft.print_msg('%s: too fragmented in physical memory' % ops)
        ksft.test_result_fail(desc)
        return
    stat0 = vmstat()
    regions, records = run(ops, ranges, proc.pid, probes, 4, trace=True)
    stat1 = vmstat()
    ksft.print_msg('%s: vmstat during the run: %s' %
                   (ops, {k: stat1[k] - stat0[k] for k in stat0}))
    seen = sum(h[2] for _, _, h in records)
    samples = sum(h[3] for _, _, h in records)
    ksft.print_msg('%s: %d of %d samples found a page' %
                   (ops, seen, samples))
    moved = set()
    if ops == 'paddr':
        # A page the kernel migrated meanwhile left its frame: the regions
        # holding such frames have no known truth any more.
        before = set(p // PAGE for s, e in ranges
                     for p in range(s, e + PAGE, PAGE))
        after = set(sum((frames(proc.pid, *rng) for rng in
                         (ANON_ROOT, ANON_CG, FILE)), []))
        moved = before - after
        ksft.print_msg('paddr: %d pages left their frames meanwhile' %
                       len(moved))
    records = [(s, e, h) for s, e, h in records
               if not any(s // PAGE <= p < e // PAGE for p in moved)]
    regions = [r for r in regions
               if not any(r[0] // PAGE <= p < r[1] // PAGE for p in moved)]
    ok = check_ratios(ops + ' tried regions',
                      [(s, e, h) for s, e, _, h in regions],
                      lambda r: share(r, anon), lambda r: share(r, cg))
    ok &= check_ratios(ops + ' tracepoint', records,
                       lambda r: share(r, anon), lambda r: share(r, cg))
    ok &= samples > 0 and seen >= SEEN_MIN * samples
    ksft.test_result(ok, desc)


def case_pgidle(ops):
    desc = '%s: set_pgidle + pgidle_unset tell touched from untouched' % ops
    proc = subprocess.Popen([os.path.join(HERE, 'ops_hot_cold'), '30'])
    try:
        time.sleep(2)	# both ranges written
        if ops == 'paddr':
            hot = runs(frames(proc.pid, HOT_ADDR, HOT_ADDR + HOT_SZ))
            cold = runs(frames(proc.pid, COLD_ADDR, COLD_ADDR + HOT_SZ))
        else:
            hot = [(HOT_ADDR, HOT_ADDR + HOT_SZ - PAGE)]
            cold = [(COLD_ADDR, COLD_ADDR + HOT_SZ - PAGE)]
        probes = [(1, ['set_pgidle'], [('pgidle_unset', 'Y', 'Y', None)]),
                  (0, [], [])]
        regions, _ = run(ops, sorted(hot + cold), proc.pid, probes, 6,
                         intervals=PGIDLE_INTERVALS)
    finally:
        proc.kill()
        proc.wait()

    def hit_share(parts):
        hit = total = 0
        for s, e, _, hits in regions:
            sz = sum(overlap((s, e), p) for p in parts)
            if sz and hits[1]:
                hit += sz * hits[0] / hits[1]
                total += sz
        return hit / total if total else 0.0
    hot_share, cold_share = hit_share(hot), hit_share(cold)
    ksft.print_msg('%s: %d regions; hit share hot %.2f, cold %.2f' %
                   (ops, len(regions), hot_share, cold_share))
    ksft.test_result(hot_share >= HOT_MIN and cold_share <= COLD_MAX, desc)


def case_weights(proc):
    desc = 'vaddr: a weighted anon probe shapes regions around the boundary'
    probes = [(1, [], [('anon', 'Y', 'Y', None)])]
    regions, records = run('vaddr', [(BASE, FILE[1])], proc.pid, probes, 10,
                           trace=True)
    anon = [(ANON_ROOT[0], ANON_CG[1])]
    ratios_ok = check_ratios('vaddr weights tracepoint',
                             [(s, e, h + h + [SAMPLES, SAMPLES])
                              for s, e, h in records],
                             lambda r: share(r, anon),
                             lambda r: share(r, anon), straddle_tol)
    boundary = FILE[0]
    straddle = max([min(boundary - s, e - boundary)
                    for s, e, _, _ in regions if s < boundary < e] + [0])
    accessed = sum(nr for _, _, nr, _ in regions)
    ksft.print_msg('vaddr weights: %d regions, straddle %d KiB (%.3f of '
                   'the buffer), nr_accesses sum %d' %
                   (len(regions), straddle >> 10, straddle / (64 * MIB),
                    accessed))
    ksft.test_result(bool(regions) and not accessed and ratios_ok and
                     straddle <= STRADDLE_MAX * 64 * MIB, desc)


def case_wsum(proc):
    desc = 'vaddr: a probe_hits_wsum filter keeps a stat scheme to anon'
    probes = [(1, [], [('anon', 'Y', 'Y', None)])]
    regions, _ = run('vaddr', [(BASE, FILE[1])], proc.pid, probes, 10,
                     core_filter=(SAMPLES // 2, ULONG_MAX))
    anon = sum(overlap((s, e), (ANON_ROOT[0], ANON_CG[1]))
               for s, e, _, _ in regions) / (32 * MIB)
    file = sum(overlap((s, e), FILE) for s, e, _, _ in regions) / (32 * MIB)
    ksft.print_msg('vaddr wsum: %d regions tried; share of anon %.2f, of '
                   'file %.2f' % (len(regions), anon, file))
    ksft.test_result(anon >= WSUM_ANON_MIN and file <= WSUM_FILE_MAX, desc)


def main():
    ksft.print_header()
    if os.geteuid() != 0:
        skip_all('must be run as root')
    if not os.path.isdir(ADMIN + '/kdamonds'):
        skip_all('no DAMON sysfs interface')
    if not os.path.exists('/sys/fs/cgroup/cgroup.subtree_control'):
        skip_all('no cgroup v2')
    if not context_has(ADMIN, 'monitoring_attrs/probes'):
        skip_all('no monitoring_attrs/probes')
    ksft.set_plan(7)
    # Keep NUMA balancing and proactive compaction from moving the pages
    # whose frames paddr monitors: a moved page leaves a free frame behind.
    for knob in ('/proc/sys/kernel/numa_balancing',
                 '/proc/sys/vm/compaction_proactiveness'):
        try:
            write(knob, 0)
        except OSError:
            pass
    if 'memory' not in read('/sys/fs/cgroup/cgroup.subtree_control'):
        write('/sys/fs/cgroup/cgroup.subtree_control', '+memory')
    os.makedirs(CG, exist_ok=True)
    proc = start_workload(CG)
    try:
        if proc is None:
            for _ in range(5):
                ksft.test_result_fail('the workload did not start')
        else:
            for ops in ('paddr', 'vaddr', 'fvaddr'):
                case_ratios(ops, proc)
            case_weights(proc)
            case_wsum(proc)
    finally:
        if proc:
            proc.kill()
            proc.wait()
        os.rmdir(CG)
    for ops in ('paddr', 'vaddr'):
        case_pgidle(ops)
    ksft.finished()


if __name__ == '__main__':
    main()

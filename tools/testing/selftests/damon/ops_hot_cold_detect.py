#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Do the operation sets see which memory a process uses?

Runs ops_hot_cold (an 8 MiB range touched all the time, an 8 MiB range
written once and then left alone, both at fixed virtual addresses) with
each kind of backing memory, and monitors exactly the two ranges: for
paddr, the physical frames behind them, found through /proc/<pid>/pagemap;
for vaddr, the two virtual ranges.  A "stat" scheme that matches every
region then gives a snapshot of the regions with their access counts
(update_schemes_tried_regions).

Each range (for paddr, each run of contiguous frames) becomes one
monitoring region, minus its last page: no two regions touch, so a hot
region is never merged with a cold neighbour and every region stays purely
hot or purely cold.

Cases: paddr on base pages and on transparent huge pages (rmap walks of
PTE and PMD mappings); vaddr on transparent huge pages (PMD Accessed bit)
and on hugetlb pages.  vaddr on base pages is covered by the
damon_vaddr_live KUnit suite (ops_live_kunit.sh).

Pass: most of the hot range's monitored bytes are seen accessed, and
almost none of the cold range's.
"""

import os
import subprocess
import time

from _common import (PAGE, frames, ksft, read, runs, skip_all,
                     stage_stat_target, tried_regions, write)

ADMIN = '/sys/kernel/mm/damon/admin'
K = ADMIN + '/kdamonds/0'
C = K + '/contexts/0'
S = C + '/schemes/0'

HOT_ADDR, COLD_ADDR, RANGE_SZ = 0x600000000000, 0x600010000000, 8 << 20

# Thresholds: fractions of monitored bytes seen accessed in the snapshot.
HOT_MIN, COLD_MAX = 0.5, 0.1




def covered(ranges, regions):
    """Bytes of ranges that lie in regions with nr_accesses > 0."""
    hit = 0
    for s, e in ranges:
        for rs, re, nr in regions:
            if nr and rs < e and s < re:
                hit += min(e, re) - max(s, rs)
    return hit


def stage(ops, ranges, pid=None):
    write(ADMIN + '/kdamonds/nr_kdamonds', 1)
    write(K + '/contexts/nr_contexts', 1)
    write(C + '/operations', ops)
    write(C + '/monitoring_attrs/nr_regions/min', 10)
    write(C + '/monitoring_attrs/nr_regions/max', max(1000, 2 * len(ranges)))
    stage_stat_target(C, ranges, pid)


def snapshot():
    return tried_regions(K, S)


def anon_huge_bytes(pid):
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            if line.startswith('AnonHugePages:'):
                return int(line.split()[1]) << 10
    return 0


def measure(ops, hot, cold, pid):
    """Fractions of the hot and cold ranges seen accessed."""
    stage(ops, sorted(hot + cold), None if ops == 'paddr' else pid)
    write(K + '/state', 'on')
    try:
        time.sleep(5)
        regions = snapshot()
    finally:
        write(K + '/state', 'off')
        write(ADMIN + '/kdamonds/nr_kdamonds', 0)
    hot_sz = sum(e - s for s, e in hot)
    cold_sz = sum(e - s for s, e in cold)
    return (len(regions), covered(hot, regions) / hot_sz,
            covered(cold, regions) / cold_sz)


def one_case(ops, backing):
    desc = '%s tells the hot range from the cold one (%s)' % (ops, backing)
    proc = subprocess.Popen([WORKLOAD, '30', backing])
    try:
        time.sleep(2)	# both ranges written
        if proc.poll() is not None:
            ksft.print_msg('%s/%s: cannot map the ranges' % (ops, backing))
            ksft.test_result_skip(desc)
            return
        if backing == 'thp' and anon_huge_bytes(proc.pid) < RANGE_SZ:
            ksft.print_msg('%s/%s: no transparent huge pages' %
                           (ops, backing))
            ksft.test_result_skip(desc)
            return
        if ops == 'paddr':
            hot = runs(frames(proc.pid, HOT_ADDR, HOT_ADDR + RANGE_SZ))
            cold = runs(frames(proc.pid, COLD_ADDR, COLD_ADDR + RANGE_SZ))
        else:
            hot = [(HOT_ADDR, HOT_ADDR + RANGE_SZ - PAGE)]
            cold = [(COLD_ADDR, COLD_ADDR + RANGE_SZ - PAGE)]
        hot_sz = sum(e - s for s, e in hot)
        cold_sz = sum(e - s for s, e in cold)
        ksft.print_msg('%s/%s: hot %d runs, %d KiB; cold %d runs, %d KiB' %
                       (ops, backing, len(hot), hot_sz >> 10, len(cold),
                        cold_sz >> 10))
        if hot_sz < RANGE_SZ // 4 or cold_sz < RANGE_SZ // 4:
            ksft.print_msg('%s/%s: too fragmented in physical memory' %
                           (ops, backing))
            ksft.test_result_fail(desc)
            return
        nr_regions, hot_frac, cold_frac = measure(ops, hot, cold, proc.pid)
    finally:
        proc.kill()
        proc.wait()
    ok = hot_frac >= HOT_MIN and cold_frac <= COLD_MAX
    ksft.print_msg('%d regions; seen accessed: hot %.2f, cold %.2f' %
                   (nr_regions, hot_frac, cold_frac))
    ksft.test_result(ok, desc)


CASES = [('paddr', 'page'), ('paddr', 'thp'), ('vaddr', 'thp'),
         ('vaddr', 'hugetlb')]
# Default-sized huge pages the hugetlb case needs: 8 MiB per range.
HUGETLB_PAGES = 16


def main():
    ksft.print_header()
    if os.geteuid() != 0:
        skip_all('must be run as root')
    if not os.path.isdir(ADMIN + '/kdamonds'):
        skip_all('no DAMON sysfs interface')
    ksft.set_plan(len(CASES))
    # Keep automatic NUMA balancing from moving the pages we located.
    try:
        write('/proc/sys/kernel/numa_balancing', 0)
    except OSError:
        pass
    nr_huge = read('/proc/sys/vm/nr_hugepages')
    write('/proc/sys/vm/nr_hugepages', HUGETLB_PAGES)
    try:
        for ops, backing in CASES:
            one_case(ops, backing)
    finally:
        write('/proc/sys/vm/nr_hugepages', nr_huge)
    ksft.finished()


WORKLOAD = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                        'ops_hot_cold')

if __name__ == '__main__':
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Does the paddr operation set see which physical pages a process uses?

Runs ops_hot_cold (an 8 MiB range touched all the time, an 8 MiB range
written once and then left alone, both at fixed virtual addresses), finds
the physical frames behind both ranges through /proc/<pid>/pagemap, and
monitors exactly those frames with the paddr operation set through the
sysfs interface.  A "stat" scheme that matches every region then gives a
snapshot of the regions with their access counts
(update_schemes_tried_regions).

Each run of contiguous frames becomes one monitoring region, minus its last
page: no two regions touch, so a hot run is never merged with a cold
neighbour and every region stays purely hot or purely cold.

Pass: most of the hot range's monitored bytes are seen accessed, and
almost none of the cold range's.
"""

import os
import struct
import subprocess
import sys
import time

KSFT_PASS, KSFT_FAIL, KSFT_SKIP = 0, 1, 4
ADMIN = '/sys/kernel/mm/damon/admin'
K = ADMIN + '/kdamonds/0'
C = K + '/contexts/0'
S = C + '/schemes/0'

HOT_ADDR, COLD_ADDR, RANGE_SZ = 0x600000000000, 0x600010000000, 8 << 20
PAGE = os.sysconf('SC_PAGE_SIZE')
ULONG_MAX = 2**64 - 1

# Thresholds: fractions of monitored bytes seen accessed in the snapshot.
HOT_MIN, COLD_MAX = 0.5, 0.1


def write(path, val):
    with open(path, 'w') as f:
        f.write('%s\n' % val)


def read(path):
    with open(path) as f:
        return f.read().strip()


def frames(pid, addr):
    """Physical frame numbers behind [addr, addr + RANGE_SZ) of pid."""
    pfns = []
    with open('/proc/%d/pagemap' % pid, 'rb') as f:
        f.seek(addr // PAGE * 8)
        data = f.read(RANGE_SZ // PAGE * 8)
    for (ent,) in struct.iter_unpack('<Q', data):
        if ent >> 63 & 1:
            pfns.append(ent & ((1 << 55) - 1))
    return pfns


def runs(pfns):
    """Byte ranges of contiguous frames, each without its last page."""
    out = []
    pfns = sorted(set(pfns))
    start = prev = None
    for p in pfns + [None]:
        if p is not None and prev is not None and p == prev + 1:
            prev = p
            continue
        if start is not None and prev > start:
            out.append((start * PAGE, prev * PAGE))
        start = prev = p
    return out


def covered(ranges, regions):
    """Bytes of ranges that lie in regions with nr_accesses > 0."""
    hit = 0
    for s, e in ranges:
        for rs, re, nr in regions:
            if nr and rs < e and s < re:
                hit += min(e, re) - max(s, rs)
    return hit


def stage(ranges):
    write(ADMIN + '/kdamonds/nr_kdamonds', 1)
    write(K + '/contexts/nr_contexts', 1)
    write(C + '/operations', 'paddr')
    write(C + '/monitoring_attrs/nr_regions/min', 10)
    write(C + '/monitoring_attrs/nr_regions/max', max(1000, 2 * len(ranges)))
    write(C + '/targets/nr_targets', 1)
    write(C + '/targets/0/regions/nr_regions', len(ranges))
    for i, (s, e) in enumerate(ranges):
        write(C + '/targets/0/regions/%d/start' % i, s)
        write(C + '/targets/0/regions/%d/end' % i, e)
    write(C + '/schemes/nr_schemes', 1)
    write(S + '/action', 'stat')
    for knob in ('sz', 'nr_accesses', 'age'):
        write(S + '/access_pattern/%s/max' % knob, ULONG_MAX)


def snapshot():
    write(K + '/state', 'update_schemes_tried_regions')
    d = S + '/tried_regions'
    regions = []
    for name in os.listdir(d):
        if name.isdigit():
            regions.append((int(read('%s/%s/start' % (d, name))),
                            int(read('%s/%s/end' % (d, name))),
                            int(read('%s/%s/nr_accesses' % (d, name)))))
    return regions


def main():
    if os.geteuid() != 0:
        print('# SKIP: must be run as root')
        return KSFT_SKIP
    if not os.path.isdir(ADMIN + '/kdamonds'):
        print('# SKIP: no DAMON sysfs interface')
        return KSFT_SKIP
    workload = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                            'ops_hot_cold')
    # Keep automatic NUMA balancing from moving the pages we located.
    try:
        write('/proc/sys/kernel/numa_balancing', 0)
    except OSError:
        pass

    proc = subprocess.Popen([workload, '30'])
    try:
        time.sleep(2)	# both ranges written
        hot = runs(frames(proc.pid, HOT_ADDR))
        cold = runs(frames(proc.pid, COLD_ADDR))
        hot_sz = sum(e - s for s, e in hot)
        cold_sz = sum(e - s for s, e in cold)
        print('# hot: %d runs, %d KiB; cold: %d runs, %d KiB' %
              (len(hot), hot_sz >> 10, len(cold), cold_sz >> 10))
        if hot_sz < RANGE_SZ // 4 or cold_sz < RANGE_SZ // 4:
            print('# the ranges are too fragmented in physical memory')
            return KSFT_FAIL
        ranges = sorted(hot + cold)
        stage(ranges)
        write(K + '/state', 'on')
        try:
            time.sleep(5)
            regions = snapshot()
        finally:
            write(K + '/state', 'off')
        write(ADMIN + '/kdamonds/nr_kdamonds', 0)
    finally:
        proc.kill()
        proc.wait()

    hot_frac = covered(hot, regions) / hot_sz
    cold_frac = covered(cold, regions) / cold_sz
    print('# %d regions; seen accessed: hot %.2f, cold %.2f' %
          (len(regions), hot_frac, cold_frac))
    ok = hot_frac >= HOT_MIN and cold_frac <= COLD_MAX
    print('%sok 1 paddr tells the hot range from the cold one' %
          ('' if ok else 'not '))
    return KSFT_PASS if ok else KSFT_FAIL


if __name__ == '__main__':
    print('TAP version 13\n1..1')
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""DAMON_RECLAIM and DAMON_LRU_SORT do what they are for.

- DAMON_RECLAIM pages a cold anonymous buffer out to zram: the process's
  VmSwap grows, its RSS shrinks and /proc/vmstat pswpout rises.
- DAMON_LRU_SORT moves the pages of a buffer that is accessed all the time
  from the inactive LRU list (where touch_rate puts them with MADV_COLD) to
  the active one, as read from /proc/kpageflags.

Both modules are given watermarks that are always met (the guest has
plenty of free memory, which the default watermarks would leave alone) and
short intervals; everything is reset to the defaults at the end.
"""

import os
import struct
import subprocess
import time

from _common import PAGE, ksft, read, skip_all, write

DIR = os.path.dirname(os.path.realpath(__file__))
KPF_LRU, KPF_ACTIVE = 5, 6
ALWAYS_ON_WMARKS = {'wmarks_high': 1000, 'wmarks_mid': 999, 'wmarks_low': 0}
# Seconds to wait for each module to converge; a run that needs more fails
# with the state it reached printed.
RECLAIM_DEADLINE = 240
LRU_SORT_DEADLINE = 240

def param_dir(mod):
    return '/sys/module/%s/parameters' % mod


def set_params(mod, params):
    """Write params; return the old values of the ones written."""
    old = {}
    for k, v in params.items():
        p = os.path.join(param_dir(mod), k)
        old[k] = read(p)
        write(p, v)
    return old


def status(pid, key):
    """A kB field of /proc/pid/status, in bytes."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) << 10
    return 0


def vmstat(key):
    with open('/proc/vmstat') as f:
        for line in f:
            k, v = line.split()
            if k == key:
                return int(v)
    return 0


def start_workload(mib, passes, secs):
    """touch_rate, and the address of its buffer."""
    proc = subprocess.Popen([os.path.join(DIR, 'touch_rate'), str(mib),
                             str(passes), str(secs)],
                            stdout=subprocess.PIPE, text=True)
    addr = int(proc.stdout.readline(), 16)
    return proc, addr


def stop(proc):
    proc.kill()
    proc.wait()


def pfns(pid, addr, nr):
    """Frame numbers of the present pages of a range."""
    with open('/proc/%d/pagemap' % pid, 'rb') as f:
        f.seek(addr // PAGE * 8)
        ents = struct.unpack('<%dQ' % nr, f.read(nr * 8))
    return [e & ((1 << 55) - 1) for e in ents if e >> 63 & 1]


def lru_pages(pid, addr, nr):
    """(pages on an LRU list, pages on an active one) of a range."""
    lru = active = 0
    with open('/proc/kpageflags', 'rb') as kf:
        for pfn in pfns(pid, addr, nr):
            kf.seek(pfn * 8)
            (flags,) = struct.unpack('<Q', kf.read(8))
            if flags >> KPF_LRU & 1:
                lru += 1
                active += flags >> KPF_ACTIVE & 1
    return lru, active


def zram_swap_on():
    """Set up 1 GiB of zram swap; return the device, or None."""
    if not os.path.exists('/sys/block/zram0'):
        try:
            read('/sys/class/zram-control/hot_add')
        except OSError:
            return None
    try:
        write('/sys/block/zram0/disksize', 1 << 30)
        subprocess.run(['mkswap', '/dev/zram0'], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(['swapon', '/dev/zram0'], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        ksft.print_msg('zram swap: %s' % e)
        return None
    return '/dev/zram0'


def zram_swap_off(dev):
    subprocess.run(['swapoff', dev])
    write('/sys/block/zram0/reset', 1)


def wait_for(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(1)
    return cond()


def test_reclaim():
    mod = 'damon_reclaim'
    dev = zram_swap_on()
    if not dev:
        for d in ('swap grows', 'RSS shrinks', 'pswpout rises'):
            ksft.test_result_fail('damon_reclaim: %s (no zram swap)' % d)
        return
    mib = 64
    proc, addr = start_workload(mib, 0.001, 600)	# written once, then idle
    old = {}
    try:
        rss0, pswpout0 = status(proc.pid, 'VmRSS'), vmstat('pswpout')
        # Monitor the physical span of the buffer: by default only the
        # biggest System RAM resource is, and it may not hold the buffer.
        frames = pfns(proc.pid, addr, (mib << 20) // PAGE)
        # No time quota (the size quota stays): this checks the effect,
        # not how fast a loaded TCG guest pages out.
        params = dict(ALWAYS_ON_WMARKS, min_age=1000000, quota_ms=0,
                      wmarks_interval=100000,
                      monitor_region_start=min(frames) * PAGE,
                      monitor_region_end=(max(frames) + 1) * PAGE)
        old = set_params(mod, params)
        write(os.path.join(param_dir(mod), 'enabled'), 'Y')
        # The whole buffer is cold, so the converged state is all of it
        # swapped out.  Wait for nine tenths of it (or the deadline), then
        # check half: the margin is the rest of the way to convergence.
        # Measured in the TCG guest under load (a kernel build and one or
        # two more guests on the 2-core host), 8 runs: either 59-64 MiB
        # swapped within 5-14 s, or a plateau at 39-40 MiB (62%) that
        # holds until the deadline (3 of 8; cause not known yet).  The
        # check at 50% is 12 points below the lowest run.
        begin = time.time()
        wait_for(lambda: status(proc.pid, 'VmSwap') >= (mib << 20) * 9 // 10,
                 RECLAIM_DEADLINE)
        swapped = status(proc.pid, 'VmSwap') >= (mib << 20) // 2
        rss1, pswpout1 = status(proc.pid, 'VmRSS'), vmstat('pswpout')
        ksft.print_msg('after %.0f s: VmRSS %d -> %d KiB, VmSwap %d KiB, '
                       'pswpout +%d' %
                       (time.time() - begin, rss0 >> 10, rss1 >> 10,
                        status(proc.pid, 'VmSwap') >> 10,
                        pswpout1 - pswpout0))
        for k in ('enabled', 'kdamond_pid', 'nr_reclaim_tried_regions',
                  'bytes_reclaim_tried_regions', 'bytes_reclaimed_regions',
                  'nr_quota_exceeds', 'monitor_region_start',
                  'monitor_region_end'):
            ksft.print_msg('%s: %s' %
                           (k, read(os.path.join(param_dir(mod), k))))
        ksft.test_result(swapped,
                         'damon_reclaim: half of a cold buffer swapped out')
        ksft.test_result(rss0 - rss1 >= (mib << 20) // 2,
                         'damon_reclaim: RSS shrinks by half of the buffer')
        ksft.test_result(pswpout1 - pswpout0 >= (mib << 20) // 2 // PAGE,
                         'damon_reclaim: pswpout rises')
    finally:
        write(os.path.join(param_dir(mod), 'enabled'), 'N')
        set_params(mod, old)
        stop(proc)
        zram_swap_off(dev)


def test_lru_sort():
    mod = 'damon_lru_sort'
    mib = 32
    nr = (mib << 20) // PAGE
    proc, addr = start_workload(mib, 20, 600)
    old = {}
    try:
        lru0, active0 = lru_pages(proc.pid, addr, nr)
        # A sample every 50 ms sees the 20 passes a second every time.
        # Only the buffer's physical span is monitored, and the time quota
        # is lifted: this checks the effect, not how fast it comes under a
        # slow, debug-option guest.
        frames = pfns(proc.pid, addr, nr)
        params = dict(ALWAYS_ON_WMARKS, sample_interval=50000,
                      aggr_interval=1000000, wmarks_interval=100000,
                      quota_ms=0,
                      monitor_region_start=min(frames) * PAGE,
                      monitor_region_end=(max(frames) + 1) * PAGE)
        old = set_params(mod, params)
        write(os.path.join(param_dir(mod), 'enabled'), 'Y')
        # The buffer's frames lie in tens of chunks over a span of about
        # 2 GiB, and a chunk is found when the region holding it gets
        # small enough for a sample to hit it.  Measured under the same
        # load as above: without a time quota 95-97% within 13-48 s (2
        # runs); with the old 100 ms/s quota 76-94% in 57-264 s (5 runs)
        # and 60% in one that had only 120 s.  The check at 75% is in
        # reach of that slowest case only because the quota is gone.
        begin = time.time()
        wait_for(lambda: lru_pages(proc.pid, addr, nr)[1] >= nr * 9 // 10,
                 LRU_SORT_DEADLINE)
        lru1, active1 = lru_pages(proc.pid, addr, nr)
        ksft.print_msg('after %.0f s, of %d pages: on LRU %d -> %d, '
                       'active %d -> %d' %
                       (time.time() - begin, nr, lru0, lru1, active0,
                        active1))
        ksft.test_result(active0 <= nr // 4,
                         'damon_lru_sort: the hot buffer starts inactive')
        ksft.test_result(active1 >= nr * 3 // 4,
                         'damon_lru_sort: three quarters of it end up active')
    finally:
        write(os.path.join(param_dir(mod), 'enabled'), 'N')
        set_params(mod, old)
        stop(proc)


def main():
    ksft.print_header()
    if os.geteuid() != 0:
        skip_all('must be run as root')
    for mod in ('damon_reclaim', 'damon_lru_sort'):
        if not os.path.isdir(param_dir(mod)):
            skip_all('%s is not built in' % mod)
    if subprocess.run(['pgrep', '-x', r'kdamond\..*'],
                      stdout=subprocess.DEVNULL).returncode == 0:
        skip_all('a kdamond is already running')
    ksft.set_plan(5)
    test_reclaim()
    test_lru_sort()
    ksft.finished()


if __name__ == '__main__':
    main()

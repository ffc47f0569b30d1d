#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Arming pages for access faults while the memory changes under them.

sample_churn touches an 8 MiB area all the time and, each round, forks a
writer child, runs a short-lived thread, maps/drops/unmaps an area, flips
the protection of half the area and moves pages between NUMA nodes.  While
it runs:

- storm: a vaddr context (write filter) on the workload and a paddr context
  on the biggest System RAM range, both in the page-fault mode, with
  commits that switch the paddr context between the two primitives and
  rewrite the vaddr context's filters, and tried-regions walks, for
  STORM_S seconds; the workload must finish its rounds and exit 0;
- onoff: ONOFF_ROUNDS starts and stops of a paddr page-fault context at
  random moments;
- exit: the target of a vaddr page-fault context exits while it runs; the
  kdamond must stop by itself.

Nothing may be left running, every write must succeed, and the workload
must touch all its pages once more at the end (armed entries fault back).
A splat fails the run in the harness (lockdep, KASAN and kmemleak in the
debug phase).
"""

import os
import random
import subprocess
import time

from _common import (ksft, read, sample_filter_args, skip_all, stage_filter,
                     stage_stat_target, write)

ADMIN = '/sys/kernel/mm/damon/admin'
HERE = os.path.dirname(os.path.realpath(__file__))
NUMA = '/proc/sys/kernel/numa_balancing'
STORM_S, ONOFF_ROUNDS = 8, 30


def kd(i):
    return '%s/kdamonds/%d' % (ADMIN, i)


def ctx(i):
    return kd(i) + '/contexts/0'


def biggest_ram():
    best = (0, 0)
    with open('/proc/iomem') as f:
        for line in f:
            if line.startswith(' ') or 'System RAM' not in line:
                continue
            s, e = (int(x, 16) for x in line.split(':')[0].split('-'))
            if e + 1 - s > best[1] - best[0]:
                best = (s, e + 1)
    return best


def stage(i, ops, pid, ranges, faults, filters=()):
    c = ctx(i)
    write(kd(i) + '/contexts/nr_contexts', 1)
    write(c + '/operations', ops)
    sample = c + '/monitoring_attrs/sample'
    write(sample + '/primitives/page_table', 'N' if faults else 'Y')
    write(sample + '/primitives/page_fault', 'Y' if faults else 'N')
    write(sample + '/filters/nr_filters', len(filters))
    for j, (ftype, arg) in enumerate(filters):
        stage_filter('%s/filters/%d' % (sample, j), ftype, 'Y', 'Y',
                     sample_filter_args(ftype, arg))
    stage_stat_target(c, ranges, pid)


def churn(secs):
    p = subprocess.Popen([os.path.join(HERE, 'sample_churn'), str(secs)],
                         stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != 'ready':
        raise RuntimeError('sample_churn did not start')
    return p


def finished(p, timeout=60):
    """Whether the workload finished its rounds and exited 0."""
    out = p.communicate(timeout=timeout)[0]
    ok = p.returncode == 0 and out.startswith('done')
    ksft.print_msg('sample_churn: exit %d, %s' % (p.returncode, out.strip()))
    return ok


def all_off():
    for i in range(int(read(ADMIN + '/kdamonds/nr_kdamonds'))):
        if read(kd(i) + '/state') == 'on':
            write(kd(i) + '/state', 'off')
    write(ADMIN + '/kdamonds/nr_kdamonds', 0)


def case_storm(ram):
    desc = 'storm: commits and walks while both contexts arm pages'
    p = churn(STORM_S + 2)
    write(ADMIN + '/kdamonds/nr_kdamonds', 2)
    stage(0, 'vaddr', p.pid, [(0x600000000000, 0x600000800000)], True,
          [('write', None)])
    stage(1, 'paddr', None, [ram], True)
    write(kd(0) + '/state', 'on')
    write(kd(1) + '/state', 'on')
    end, n = time.monotonic() + STORM_S, 0
    filters = [[('write', None)], [('cpumask', '0-1')],
               [('threads', str(p.pid))], []]
    while time.monotonic() < end:
        n += 1
        sample = ctx(0) + '/monitoring_attrs/sample/filters'
        f = filters[n % len(filters)]
        write(sample + '/nr_filters', len(f))
        for j, (ftype, arg) in enumerate(f):
            write('%s/%d/type' % (sample, j), ftype)
            if ftype == 'cpumask':
                write('%s/%d/cpumask' % (sample, j), arg)
            elif ftype == 'threads':
                write('%s/%d/tid_arr' % (sample, j), arg)
        if read(kd(0) + '/state') == 'on':
            write(kd(0) + '/state', 'commit')
        faults = n % 2 == 0
        prim = ctx(1) + '/monitoring_attrs/sample/primitives'
        write(prim + '/page_table', 'N' if faults else 'Y')
        write(prim + '/page_fault', 'Y' if faults else 'N')
        write(kd(1) + '/state', 'commit')
        write(kd(1) + '/state', 'update_schemes_tried_regions')
        time.sleep(0.05)
    ok = finished(p)
    ksft.print_msg('storm: %d commits each' % n)
    all_off()
    ksft.test_result(ok, desc)


def case_onoff(ram):
    desc = 'onoff: %d starts and stops of a page-fault context' % ONOFF_ROUNDS
    p = churn(30)
    write(ADMIN + '/kdamonds/nr_kdamonds', 1)
    stage(0, 'paddr', None, [ram], True)
    for _ in range(ONOFF_ROUNDS):
        write(kd(0) + '/state', 'on')
        time.sleep(random.uniform(0, 0.05))
        write(kd(0) + '/state', 'off')
    all_off()
    p.kill()
    p.wait()
    # a new process touching its pages right after
    ksft.test_result(finished(churn(2)), desc)


def case_exit():
    desc = 'exit: the target exits while armed; the kdamond stops by itself'
    p = churn(3)
    write(ADMIN + '/kdamonds/nr_kdamonds', 1)
    stage(0, 'vaddr', p.pid, [(0x600000000000, 0x600000800000)], True)
    write(kd(0) + '/state', 'on')
    ok = finished(p)
    deadline = time.monotonic() + 20
    while read(kd(0) + '/state') == 'on' and time.monotonic() < deadline:
        time.sleep(0.2)
    state = read(kd(0) + '/state')
    ksft.print_msg('exit: kdamond %s after the target exited' % state)
    all_off()
    ksft.test_result(ok and state == 'off', desc)


def main():
    ksft.print_header()
    if os.geteuid():
        skip_all('needs root')
    write(ADMIN + '/kdamonds/nr_kdamonds', 1)
    write(kd(0) + '/contexts/nr_contexts', 1)
    have = os.path.isdir(ctx(0) + '/monitoring_attrs/sample')
    write(ADMIN + '/kdamonds/nr_kdamonds', 0)
    if not have:
        skip_all('no monitoring_attrs/sample/ (access-sample control)')
    if not os.path.exists(NUMA):
        skip_all('no NUMA balancing: the page-fault primitive needs it')
    ksft.set_plan(3)
    numa = read(NUMA)
    write(NUMA, 0)
    try:
        ram = biggest_ram()
        case_storm(ram)
        case_onoff(ram)
        case_exit()
    finally:
        all_off()
        write(NUMA, numa)
    ksft.finished()


if __name__ == '__main__':
    main()

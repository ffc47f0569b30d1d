# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by the Python tests of this directory (the shell tests
have _common.sh).

The KTAP output goes through the kselftest helpers, ksft.py, found next to
this directory both in the source tree and where the selftests Makefile
installs them (TEST_INCLUDES): a test starts with ksft.print_header(),
then either sets its plan or calls skip_all(), and ends with
ksft.finished().
"""

import os
import struct
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.realpath(__file__)),
                             '..', 'kselftest'))
import ksft  # noqa: E402  (found through the path above)
from ksft import KSFT_FAIL, KSFT_PASS, KSFT_SKIP  # noqa: E402,F401

PAGE = os.sysconf('SC_PAGE_SIZE')
ULONG_MAX = 2**64 - 1


def skip_all(reason):
    """A plan of no tests, skipped for @reason, and the skip exit status."""
    print('1..0 # SKIP %s' % reason)
    sys.exit(KSFT_SKIP)


def write(path, val):
    with open(path, 'w') as f:
        f.write('%s\n' % val)


def read(path):
    with open(path) as f:
        return f.read().strip()


def frames(pid, start, end):
    """Physical frame numbers behind [start, end) of process pid, from
    /proc/<pid>/pagemap (pages not present are left out)."""
    pfns = []
    with open('/proc/%d/pagemap' % pid, 'rb') as f:
        f.seek(start // PAGE * 8)
        data = f.read((end - start) // PAGE * 8)
    for (ent,) in struct.iter_unpack('<Q', data):
        if ent >> 63 & 1:
            pfns.append(ent & ((1 << 55) - 1))
    return pfns


def runs(pfns):
    """Byte ranges of contiguous frames, each without its last page, so
    that no two of them touch: DAMON never merges regions made of them."""
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


def context_has(admin, rel):
    """Whether a context directory has rel (a feature's directory): one
    kdamond with one context is made under admin to look, then removed."""
    write(admin + '/kdamonds/nr_kdamonds', 1)
    write(admin + '/kdamonds/0/contexts/nr_contexts', 1)
    have = os.path.isdir(admin + '/kdamonds/0/contexts/0/' + rel)
    write(admin + '/kdamonds/nr_kdamonds', 0)
    return have


def stage_filter(d, ftype, matching, allow, args=()):
    """A filter directory d (of probes, sample control or DAMOS core
    filters): its type, matching and allow, then each (file, value) of
    args."""
    write(d + '/type', ftype)
    write(d + '/matching', matching)
    write(d + '/allow', allow)
    for name, value in args:
        write('%s/%s' % (d, name), value)


def sample_filter_args(ftype, arg):
    """stage_filter()'s args for a sample filter of type ftype: the cpumask
    or the tid_arr, none for write."""
    if ftype == 'cpumask':
        return (('cpumask', arg),)
    if ftype == 'threads':
        return (('tid_arr', arg),)
    return ()


def stage_stat_target(ctx, ranges, pid=None):
    """In context directory ctx: one target (process pid, if given) made of
    ranges, and one stat scheme that matches every region, so that its
    tried regions are a snapshot of the monitoring results."""
    write(ctx + '/targets/nr_targets', 1)
    if pid is not None:
        write(ctx + '/targets/0/pid_target', pid)
    write(ctx + '/targets/0/regions/nr_regions', len(ranges))
    for i, (s, e) in enumerate(ranges):
        write(ctx + '/targets/0/regions/%d/start' % i, s)
        write(ctx + '/targets/0/regions/%d/end' % i, e)
    write(ctx + '/schemes/nr_schemes', 1)
    scheme = ctx + '/schemes/0'
    write(scheme + '/action', 'stat')
    for knob in ('sz', 'nr_accesses', 'age'):
        write(scheme + '/access_pattern/%s/max' % knob, ULONG_MAX)


def tried_regions(kdamond, scheme):
    """(start, end, nr_accesses) of the regions scheme (a directory of
    kdamond's) tried last, after asking kdamond for them, sorted."""
    write(kdamond + '/state', 'update_schemes_tried_regions')
    d = scheme + '/tried_regions'
    out = []
    for name in os.listdir(d):
        if name.isdigit():
            r = '%s/%s' % (d, name)
            out.append((int(read(r + '/start')), int(read(r + '/end')),
                        int(read(r + '/nr_accesses'))))
    return sorted(out)

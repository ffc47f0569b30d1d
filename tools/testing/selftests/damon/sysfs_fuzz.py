#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fuzz every file of the DAMON sysfs tree and every DAMON module parameter.

1. A kdamond with one of everything is staged (every nr_* file set to 1, so
   that directories the kernel may add, such as probes/ or sample/, are
   covered too) and walked.  Every writable file gets a battery of
   malformed, boundary and near-miss inputs.  A model of the parsers the
   ABI names (kstrto*() with base 0, kstrtobool(), sysfs_streq() keywords,
   nr_* arrays, raw strings, the kernel's CPU lists, get_options() integer
   lists; kernfs hands store() at most one page) says
   which inputs are valid.  An invalid input must fail with the ABI's errno
   and change nothing: not the file, not its siblings, not the tree's set
   of paths.  A valid one must read back as parsed, and is then undone.
   Modes, reads of every file and EACCES on read-only files are checked.
2. As uid 65534 every write to every writable file (sysfs and module
   parameters) fails with EACCES and changes nothing.
3. Every state command on a kdamond that was never started, that runs,
   that was stopped, and that has no context, for vaddr (monitoring a
   sleep process) and paddr: the errno of sysfs-abi.md §2.1, and the
   kdamond's state and pid afterwards.
4. Bad staged configurations for "on" and for "commit" while running:
   refused ones leave the kdamond as it was (for commit: same pid, and
   update_tuned_intervals shows the old intervals), documented ones are
   accepted.
5. The same battery on every writable module parameter; then bad values
   given to DAMON_RECLAIM and DAMON_LRU_SORT at enabled=Y (refused ones
   leave the module off) and at commit_inputs=Y while they run (refused
   ones leave them running, same kdamond, and the old values commit).
6. No WARNING/BUG/KASAN/... in the kernel log; it is read after each file
   and each case, so that a report names the input that caused it.

Where neither the ABI nor the admin guide says what must happen, the
outcome is printed as a "# spec silent:" line and not judged.

DAMON is left as found: no kdamond, every module disabled with the
parameter values it had, DAMON_STAT enabled again if it was.

Measured under QEMU TCG (2 vCPUs) while the 2-core host also ran a kernel
build and another guest (load average 7): 140 s in all, 93 s of it the
test proper (3500 writes to 86 sysfs files, 1600 to 41 module parameters,
51 configurations for on and for commit); Python alone takes 13 s to
start over 9p there.
"""

import errno
import os
import re
import string
import subprocess
import sys
import threading
import time

from _common import PAGE, ksft, skip_all

ADMIN = '/sys/kernel/mm/damon/admin'
KDS = ADMIN + '/kdamonds'
K0 = KDS + '/0'
C0 = K0 + '/contexts/0'
MODULES = ('damon_reclaim', 'damon_lru_sort', 'damon_stat')
NOBODY = 65534
U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1
INT_MAX = (1 << 31) - 1
# an nr_* value this big cannot be allocated: -ENOMEM, not a splat
NR_HUGE = 1 << 24
MAX_DIAG = 6

EINVAL, ERANGE, ENOMEM = errno.EINVAL, errno.ERANGE, errno.ENOMEM
EOVERFLOW = errno.EOVERFLOW
EBUSY, EACCES, ENOENT = errno.EBUSY, errno.EACCES, errno.ENOENT

started = time.monotonic()


def ename(err):
    return errno.errorcode.get(err, str(err)) if err else 'success'


# ------------------------------------------------------------------ I/O

def read(path):
    """A file's content without trailing newlines, or b'ERR:<errno>'."""
    try:
        with open(path, 'rb') as f:
            return f.read().rstrip(b'\n')
    except OSError as e:
        return b'ERR:' + ename(e.errno).encode()


def write(path, data):
    """One write(2) of data; return (bytes written, errno)."""
    if isinstance(data, str):
        data = data.encode()
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return None, e.errno
    try:
        return os.write(fd, data), 0
    except OSError as e:
        return None, e.errno
    finally:
        os.close(fd)


def put(path, val):
    """Write val and a newline, as echo does; return the errno (0: ok)."""
    if isinstance(val, bytes):
        return write(path, val + b'\n')[1]
    return write(path, '%s\n' % val)[1]


class Watchdog:
    """Print a diagnostic if a write blocks for long: a hung command then
    names itself before the kselftest timeout kills the test."""

    def __init__(self, what, secs=30):
        self.timer = threading.Timer(
            secs, lambda: print('# still blocked after %d s: %s' %
                                (secs, what), flush=True))

    def __enter__(self):
        self.timer.start()

    def __exit__(self, *exc):
        self.timer.cancel()


def command(kd, cmd):
    with Watchdog('%s > %s/state' % (cmd, kd)):
        return put(kd + '/state', cmd)


def to_int(val):
    try:
        return int(val)
    except ValueError:
        return None


def kd_state(kd=K0):
    return read(kd + '/state').decode(), to_int(read(kd + '/pid'))


# ------------------------------------------------------------ results

SPLAT = re.compile(r'WARNING:|BUG:|KASAN:|UBSAN:|kmemleak|Oops|'
                   r'general protection|cut here|possible circular|'
                   r'possible recursive|INFO: task|detected stall|'
                   r'list_(add|del) corruption')


class Kmsg:
    """New kernel log records that report a splat."""

    def __init__(self):
        self.fd = os.open('/dev/kmsg', os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.all = []

    def new_splats(self):
        found = []
        while True:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                break
            except BrokenPipeError:     # records lost to a wrap: go on
                continue
            if not rec:
                break
            msg = rec.decode(errors='replace').split(';', 1)[-1]
            line = msg.split('\n', 1)[0]
            if SPLAT.search(line):
                found.append(line)
        self.all += found
        return found


kmsg = None


def report(desc, problems):
    """One KTAP result; problems (and new splats) make it fail."""
    problems = list(problems) + ['kernel: ' + s for s in kmsg.new_splats()]
    for p in problems[:MAX_DIAG]:
        ksft.print_msg(p)
    if len(problems) > MAX_DIAG:
        ksft.print_msg('... and %d more' % (len(problems) - MAX_DIAG))
    ksft.test_result(not problems, desc)


def silent(desc, what):
    """The ABI does not say what must happen: tell, do not judge."""
    ksft.print_msg('spec silent: %s: %s' % (desc, what))


def progress(msg):
    ksft.print_msg('%s (%.0f s)' % (msg, time.monotonic() - started))
    sys.stdout.flush()


# --------------------------------------------------- parser models
#
# What the kernel's parsers make of a store() buffer.  kernfs passes at
# most one page, NUL-terminated; the kstrto*() and sysfs_streq() helpers
# stop at the first NUL.

class Invalid(Exception):
    def __init__(self, err):
        super().__init__(err)
        self.err = err


def kernel_str(data):
    return data[:PAGE].split(b'\0', 1)[0]


def _kstrtoull(s):
    base = 10
    if s[:1] == b'0':
        hexa = s[1:2] in (b'x', b'X') and s[2:3] != b'' and \
            chr(s[2]) in string.hexdigits
        base = 16 if hexa else 8
        if hexa:
            s = s[2:]
    val = n = 0
    for c in s:
        d = int(chr(c), 16) if chr(c) in string.hexdigits else 99
        if d >= base:
            break
        val = val * base + d
        n += 1
    if val > U64_MAX:
        raise Invalid(ERANGE)
    if not n:
        raise Invalid(EINVAL)
    rest = s[n:]
    if rest[:1] == b'\n':
        rest = rest[1:]
    if rest:
        raise Invalid(EINVAL)
    return val


def kstrtoull(s):
    return _kstrtoull(s[1:] if s[:1] == b'+' else s)


def kstrtoll(s):
    if s[:1] == b'-':
        v = _kstrtoull(s[1:])
        if v > 1 << 63:
            raise Invalid(ERANGE)
        return -v
    v = kstrtoull(s)
    if v >= 1 << 63:
        raise Invalid(ERANGE)
    return v


RANGES = {'ulong': (0, U64_MAX), 'uint': (0, (1 << 32) - 1),
          'int': (-(1 << 31), INT_MAX)}


def parse_int(ctype, s):
    v = kstrtoll(s) if ctype == 'int' else kstrtoull(s)
    lo, hi = RANGES[ctype]
    if not lo <= v <= hi:
        raise Invalid(ERANGE)
    return v


def kstrtobool(s):
    c = s[:1].lower()
    if c in (b'y', b't', b'1'):
        return True
    if c in (b'n', b'f', b'0'):
        return False
    if c == b'o' and s[1:2].lower() in (b'n', b'f'):
        return s[1:2].lower() == b'n'
    raise Invalid(EINVAL)


def sysfs_streq(s, word):
    return s in (word, word + b'\n')


# ------------------------------------------------------- file kinds

class Outcome:
    """What a write must do: errnos it may fail with (empty: it must
    succeed), the value it must read back after success (None: not
    checked), and whether failing with EINVAL instead is tolerated."""

    def __init__(self, errs=(), value=None, einval_ok=False):
        self.errs = set(errs)
        self.value = value
        self.einval_ok = einval_ok


class Num:
    """kstrto<ctype>(base 0); some files report any parse error as EINVAL."""

    def __init__(self, ctype, all_einval=False, nonzero=False):
        self.ctype, self.all_einval, self.nonzero = ctype, all_einval, nonzero
        self.name = ctype + (' (parse errors: EINVAL)' if all_einval else '')

    def expect(self, data):
        try:
            v = parse_int(self.ctype, kernel_str(data))
        except Invalid as e:
            return Outcome({EINVAL if self.all_einval else e.err})
        if self.nonzero and v == 0:
            return Outcome({EINVAL})
        return Outcome(value=str(v).encode())


class Nr(Num):
    """nr_* (sysfs-abi.md §1.1): an int, not negative; too many children
    to allocate is ENOMEM.  nr_contexts takes only 0 and 1."""

    def __init__(self, most=None):
        super().__init__('int')
        self.most = most
        self.name = 'nr_*'

    def expect(self, data):
        out = super().expect(data)
        if out.errs:
            return out
        v = int(out.value)
        if v < 0 or (self.most is not None and v > self.most):
            return Outcome({EINVAL})
        if v >= NR_HUGE:
            return Outcome({ENOMEM, EINVAL})
        return out


class Bool:
    name = 'bool'

    def expect(self, data):
        try:
            return Outcome(value=b'Y' if kstrtobool(kernel_str(data))
                           else b'N')
        except Invalid as e:
            return Outcome({e.err})


class Keyword:
    """sysfs_streq() against a list of keywords; others are EINVAL."""

    def __init__(self, words, refused=()):
        self.words = [w.encode() for w in words]
        self.refused = [w.encode() for w in refused]
        self.name = 'keyword'

    def expect(self, data):
        s = kernel_str(data)
        for w in self.words:
            if sysfs_streq(s, w):
                return Outcome(value=w)
        return Outcome({EINVAL})


class String:
    """Raw string files (path, memcg_path): anything is stored; reads give
    it back with a newline appended."""
    name = 'string'

    def expect(self, data):
        return Outcome(value=kernel_str(data).rstrip(b'\n'))


# the kernel's isspace()
SPACES = b' \t\n\v\f\r\xa0'


def nr_cpumask_bits():
    """nr_cpu_ids: the highest possible CPU plus one."""
    with open('/sys/devices/system/cpu/possible') as f:
        return int(re.split('[-,]', f.read().strip())[-1]) + 1


def cpulist_format(cpus):
    """A set of CPUs as %*pbl prints it: 0-3,5."""
    out, cpus = [], sorted(cpus)
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else '%d-%d' % (cpus[i], cpus[j]))
        i = j + 1
    return ','.join(out).encode()


def bitmap_parselist(s, nbits):
    """The kernel's CPU list parser (cpulist_parse()): the set of CPUs, or
    Invalid(EINVAL / ERANGE / EOVERFLOW)."""
    last = nbits - 1

    def at(i):
        return s[i:i + 1]

    def end_of_str(i):
        return at(i) in (b'', b'\n')

    def end_of_region(i):
        return end_of_str(i) or at(i) in [bytes([c]) for c in SPACES + b',']

    def num(i):
        if at(i) == b'N':
            return last, i + 1
        j = i
        while at(j) and at(j) in b'0123456789':
            j += 1
        if j == i:
            raise Invalid(EINVAL)
        if int(s[i:j]) > U32_MAX:
            raise Invalid(EOVERFLOW)
        return int(s[i:j]), j

    cpus = set()
    i = 0
    while True:
        while at(i) and at(i) in [bytes([c]) for c in SPACES + b',']:
            i += 1
        if end_of_str(i):
            return cpus
        pattern = True
        if s[i:i + 3].lower() == b'all':
            start, end, i = 0, last, i + 3
        else:
            start, i = num(i)
            end = start
            if end_of_region(i):
                pattern = False
            elif at(i) != b'-':
                raise Invalid(EINVAL)
            else:
                end, i = num(i + 1)
        if pattern and end_of_region(i):
            pattern = False
        if pattern:
            if at(i) != b':':
                raise Invalid(EINVAL)
            off, i = num(i + 1)
            if at(i) != b'/':
                raise Invalid(EINVAL)
            group, i = num(i + 1)
        else:
            # unsigned int: the group of CPU 2^32-1 wraps to 0, EINVAL
            off = group = (end + 1) & U32_MAX
        if start > end or group == 0 or off > group:
            raise Invalid(EINVAL)
        if end >= nbits:
            raise Invalid(ERANGE)
        for a in range(start, end + 1, group):
            cpus.update(range(a, min(a + off, end + 1)))
        if not pattern and end_of_str(i):
            return cpus


class Cpulist:
    """sample/filters/<F>/cpumask (sample-control.md §3): the kernel's CPU
    list syntax up to nr_cpumask_bits, printed in range form."""
    name = 'cpulist'

    def __init__(self):
        self.nbits = None

    def expect(self, data):
        if self.nbits is None:
            self.nbits = nr_cpumask_bits()
        try:
            cpus = bitmap_parselist(kernel_str(data), self.nbits)
        except Invalid as e:
            return Outcome({e.err})
        return Outcome(value=cpulist_format(cpus))


def to_int32(v):
    v &= U32_MAX
    return v - (1 << 32) if v > INT_MAX else v


def simple_strtoull(s, i):
    """(value modulo 2^64, index after the digits), base auto-detected."""
    base = 10
    if s[i:i + 1] == b'0':
        base = 8
        if s[i + 1:i + 2] in (b'x', b'X') and s[i + 2:i + 3] and \
                chr(s[i + 2]) in string.hexdigits:
            base, i = 16, i + 2
    v = 0
    while i < len(s) and chr(s[i]) in string.hexdigits and \
            int(chr(s[i]), 16) < base:
        v = (v * base + int(chr(s[i]), 16)) & U64_MAX
        i += 1
    return v, i


def get_option(s, i):
    """(result as get_option() returns it, value, next index)."""
    if i >= len(s):
        return 0, 0, i
    neg = s[i:i + 1] == b'-'
    cur = i + 1 if neg else i
    v, j = simple_strtoull(s, cur)
    v = to_int32(-v if neg else v)
    if j == cur:
        return 0, v, j
    if s[j:j + 1] == b',':
        return 2, v, j + 1
    if s[j:j + 1] == b'-':
        return 3, v, j
    return 1, v, j


MAX_TIDS = 4096


def int_list(s):
    """get_options()'s integers, or Invalid(ENOMEM) beyond MAX_TIDS."""
    vals, i = [], 0
    while True:
        res, v, i = get_option(s, i)
        if not res:
            break
        if res == 3:
            _, upper, _ = get_option(s, i + 1)
            if upper < v:
                break
            if upper - v + len(vals) > MAX_TIDS:
                raise Invalid(ENOMEM)
            vals += range(v, upper)
            i += 1
            continue
        if len(vals) == MAX_TIDS:
            raise Invalid(ENOMEM)
        vals.append(v)
        if res == 1:
            break
    return vals


class IntList:
    """sample/filters/<F>/tid_arr (sample-control.md §3): integers as
    get_options() reads them; none at all is ENOENT; printed joined by
    commas."""
    name = 'int list'

    def expect(self, data):
        try:
            vals = int_list(kernel_str(data))
        except Invalid as e:
            return Outcome({e.err})
        if not vals:
            return Outcome({ENOENT})
        # what does not fit in a page with the newline is left out
        out = b''
        for i, v in enumerate(vals):
            num = b'%s%d' % (b',' if i else b'', v)
            if len(out) + len(num) + 2 > PAGE:
                break
            out += num
        return Outcome(value=out)


class Unknown:
    """A file the ABI documents nowhere: anything but a splat or a side
    effect goes."""
    name = 'unknown'

    def expect(self, data):
        return None


STATE_CMDS = ('on', 'off', 'commit', 'commit_schemes_quota_goals',
              'update_schemes_stats', 'update_schemes_tried_regions',
              'update_schemes_tried_bytes', 'clear_schemes_tried_regions',
              'update_schemes_effective_quotas', 'update_tuned_intervals')
ACTIONS = ('willneed', 'cold', 'pageout', 'hugepage', 'nohugepage',
           'collapse', 'lru_prio', 'lru_deprio', 'migrate_hot',
           'migrate_cold', 'stat')
METRICS = ('user_input', 'some_mem_psi_us', 'node_mem_used_bp',
           'node_mem_free_bp', 'node_memcg_used_bp', 'node_memcg_free_bp',
           'active_mem_bp', 'inactive_mem_bp', 'node_eligible_mem_bp')
CORE_TYPES = ('addr', 'target', 'probe_hits_wsum')
OPS_TYPES = ('anon', 'active', 'memcg', 'young', 'hugepage_size',
             'unmapped')
PROBE_TYPES = ('anon', 'memcg', 'pgidle_unset', 'pgidle_set',
               'hugepage_size')
ULONG_FILES = ('sample_us', 'aggr_us', 'update_us', 'access_bp', 'aggrs',
               'min_sample_us', 'max_sample_us', 'min', 'max', 'start',
               'end', 'apply_interval_us', 'interval_us', 'high', 'mid',
               'low', 'target_value', 'current_value', 'addr_start',
               'addr_end', 'max_nr_snapshots')

# (pattern on the path below admin/ with numbered directories as N, kind);
# the first match wins.  From the tables of sysfs-abi.md and its
# attrs-monitoring.md / sample-control.md companions.
SYSFS_KINDS = [
    (r'(^|/)nr_contexts$', Nr(most=1)),
    # attrs-monitoring.md §14.5.3, the [7.2] variant: refused at write time
    (r'(^|/)nr_probes$', Nr(most=4)),
    (r'(^|/)nr_(kdamonds|targets|regions|schemes|goals|filters|dests|probes|'
     r'preps)$', Nr()),
    (r'^kdamonds/N/state$', Keyword(STATE_CMDS)),
    (r'/operations$', Keyword(('vaddr', 'fvaddr', 'paddr'))),
    (r'/addr_unit$', Num('ulong', nonzero=True)),
    (r'/(pause|obsolete_target|matching|allow|page_table|page_fault)$',
     Bool()),
    (r'/pid_target$', Num('int', all_einval=True)),
    (r'/quotas/(ms|bytes|reset_interval_ms)$', Num('ulong', all_einval=True)),
    (r'/quotas/fail_charge_(num|denom)$', Num('uint', all_einval=True)),
    (r'/(refresh_ms|\w+_permil|id|weight)$', Num('uint')),
    (r'/(target_nid|nid|damon_target_idx)$', Num('int')),
    (r'/action$', Keyword(ACTIONS)),
    (r'/goal_tuner$', Keyword(('consist', 'temporal'))),
    (r'/target_metric$', Keyword(METRICS)),
    (r'/watermarks/metric$', Keyword(('none', 'free_mem_rate'))),
    (r'/core_filters/N/type$', Keyword(CORE_TYPES, refused=OPS_TYPES)),
    (r'/ops_filters/N/type$', Keyword(OPS_TYPES, refused=CORE_TYPES)),
    (r'/schemes/N/filters/N/type$', Keyword(CORE_TYPES + OPS_TYPES)),
    (r'/sample/filters/N/type$', Keyword(('cpumask', 'threads', 'write'))),
    (r'/sample/filters/N/cpumask$', Cpulist()),
    (r'/sample/filters/N/tid_arr$', IntList()),
    (r'/probes/N/filters/N/type$', Keyword(PROBE_TYPES)),
    (r'/prep_action$', Keyword(('set_pgidle',))),
    (r'/(path|memcg_path)$', String()),
    (r'/(%s)$' % '|'.join(ULONG_FILES), Num('ulong')),
]


def sysfs_kind(rel):
    norm = re.sub(r'(^|/)\d+(?=/|$)', r'\1N', rel)
    for pat, kind in SYSFS_KINDS:
        if re.search(pat, norm):
            return kind
    return Unknown()


# ----------------------------------------------------------- inputs

BATTERY = [
    b'',                    # no store() call at all: nothing may change
    b'\n', b' ', b'\t', b'\n\n',
    b'+', b'-', b'--1', b'-+1', b'+-1', b'1-',
    b'18446744073709551615', b'18446744073709551616',
    b'99999999999999999999999', b'-9223372036854775808', b'4294967296',
    b'2147483647', b'2147483648', b'-2147483648', b'-2147483649', b'-1',
    b'0', b'0x', b'0xg', b'0x1g', b'09', b'0b1', b'1.5', b' 1', b'1 ',
    b'1\n\n', b'1\r\n',
    b'1\x002', b'\x001',    # embedded NUL
    b'1' * PAGE, b'1' * (PAGE + 1),     # kernfs passes one page
    b'\xff\xfe',
]
# keywords that other files take
FOREIGN = (b'on', b'off', b'vaddr', b'stat', b'anon', b'addr', b'none',
           b'consist', b'user_input', b'Y', b'N')


def near_misses(kind, cur):
    """Variants of a keyword file's current value and others' keywords."""
    w = cur
    half = len(w) // 2
    cands = {w + b'x', w.upper(), w.capitalize(), w[:-1], w[:1],
             w[:half] + b' ' + w[half:], w + b'\n\n', b' ' + w, w + b' ',
             w + b'\t', b'\n' + w, w + b'\r\n', w + w, w + b'\x00x'}
    cands.update(FOREIGN)
    cands.update(kind.refused)
    cands.update(b'o' + c for c in (b'n', b'ff', b'x'))
    cands.discard(b'')
    return sorted(cands)


CPULISTS = [b'0', b'0-1', b'1-0', b'0-', b'-0', b'0--1', b'N', b'0-N', b'N-0',
            b'all', b'ALL', b'allx', b'all:1/2', b'0-N:1/2', b'0-N:2/1',
            b'0-N:0/0', b'0-N:1/0', b'0-N:1', b'0-N:1/', b'0:1/1', b'0,,1',
            b',0', b'0 1', b'0\n1', b'\n0', b'0-0:1/1\n1', b'0-0:1/1x',
            b'4294967295', b'4294967296', b'0-4294967296', b'2147483648',
            b'0x1', b'01', b'Nx', b'n']
INT_LISTS = [b'41,42', b'7-9', b'9-7', b'5-5', b'1-', b'1--', b'0-x',
             b'0x10,010', b'41, 42', b'41,abc,42', b'5,', b',5', b'-5--3',
             b'1-4096', b'1-4097', b'0-2147483647', b'-2147483648-2147483647',
             b'4294967337', b'1,2-3,4']


def inputs_for(kind, cur):
    if isinstance(kind, Keyword):
        return BATTERY + near_misses(kind, cur)
    if isinstance(kind, Cpulist):
        n = kind.nbits if kind.nbits is not None else nr_cpumask_bits()
        return BATTERY + CPULISTS + [b'%d' % n, b'%d' % (n - 1),
                                     b'0-%d' % n, b'0-%d:1/2' % (n - 1)]
    if isinstance(kind, IntList):
        return BATTERY + INT_LISTS
    if isinstance(kind, Bool):
        return BATTERY + [b'o', b'of', b'on\n\n', b'yes', b'nope', b'true',
                          b'False', b'Y\n', b'x', b'2', b'-']
    return BATTERY


# ----------------------------------------------------- the fuzzing core

class Target:
    """A writable file; how to undo an accepted write to it; what must not
    change while it is fuzzed (unchanged() returns a snapshot of it) and
    how to bring that back (reset())."""

    def __init__(self, path, desc, kind, undo, unchanged, reset,
                 side_effects=False):
        self.path, self.desc, self.kind = path, desc, kind
        self.undo, self.unchanged, self.reset = undo, unchanged, reset
        # a valid write would do something we do not want here (start a
        # kdamond): only invalid inputs are written
        self.side_effects = side_effects


def snapshot(paths):
    return {p: read(p) for p in paths}


def diff(before, after):
    out = []
    for p in sorted(set(before) | set(after)):
        if before.get(p) != after.get(p):
            out.append('%s: %r -> %r' % (p, before.get(p, 'absent')[:40],
                                         after.get(p, 'absent')[:40]))
    return out


def judge(exp, data, count, err, old, new):
    """Problems with one write, or [] if it did what exp says."""
    if data == b'':
        if err or count:
            return ['returned %s/%s' % (count, ename(err))]
        return [] if new == old else ['changed to %r' % new[:40]]
    if exp is None:                 # unknown file: any errno, no side effect
        return ['failed but changed the value to %r' % new[:40]] \
            if err and new != old else []
    if err:
        if err in exp.errs or (exp.einval_ok and err == EINVAL):
            return [] if new == old else ['failed but changed the value '
                                          'to %r' % new[:40]]
        want = '/'.join(sorted(ename(e) for e in exp.errs)) or 'success'
        return ['failed with %s, want %s' % (ename(err), want)]
    if exp.errs:
        return ['accepted (reads %r), want %s' %
                (new[:40], '/'.join(sorted(ename(e) for e in exp.errs)))]
    if count != min(len(data), PAGE):
        return ['wrote %s of %d bytes' % (count, len(data))]
    if exp.value is None or new == exp.value:
        return []
    # a string of a whole page reads back cut by the page-sized buffer
    if len(exp.value) >= PAGE - 1 and exp.value.startswith(new) and \
            len(new) >= PAGE - 2:
        return []
    return ['reads %r, want %r' % (new[:40], exp.value[:40])]


def fuzz_pass(t, inputs, careful, base):
    """Write every input to a Target.  Return (problems, writes, what
    changed from base): careful checks t.unchanged() after every input, so
    that a change is blamed on its input; otherwise only after the last."""
    problems = []
    writes = 0
    stricter = []
    old = read(t.path)
    for data in inputs:
        exp = t.kind.expect(data)
        if exp is not None and b'\0' in data[:PAGE]:
            exp.einval_ok = True        # the ABI says nothing of NULs
        if t.side_effects and data and (exp is None or not exp.errs):
            continue
        count, err = write(t.path, data)
        writes += 1
        new = read(t.path)
        bad = judge(exp, data, count, err, old, new)
        if exp is not None and exp.einval_ok and err == EINVAL and \
                EINVAL not in exp.errs:
            stricter.append(data)
        if not err and data:
            bad += t.undo(old)
            new = read(t.path)
        old = new
        if careful:
            now = t.unchanged()
            if now != base:
                bad.append('changed ' + '; '.join(diff(base, now)[:3]))
                t.reset()
        problems += ['%r: %s' % (data[:24], b) for b in bad]
    if stricter and not careful:
        silent(t.desc, 'refuses input with an embedded NUL the kstrto*() '
               'parsers would take as its prefix: %r' % stricter[:3])
    return problems, writes, diff(base, t.unchanged())


def fuzz(t):
    """Fuzz a Target; return (problems, writes).  If something changed
    that must not have, start again from a reset and look after each
    input, to name the one that did it."""
    inputs = inputs_for(t.kind, read(t.path))
    base = t.unchanged()
    problems, writes, changed = fuzz_pass(t, inputs, False, base)
    if changed:
        problems.append('the battery changed ' + '; '.join(changed[:3]))
        t.reset()
        again, more, _ = fuzz_pass(t, inputs, True, base)
        problems += again
        writes += more
    return problems, writes


# -------------------------------------------------------- sysfs tree

def walk(top):
    """Regular files and directories under top, sorted."""
    files, dirs = [], []
    for d, subdirs, names in os.walk(top):
        subdirs.sort(key=lambda s: (not s.isdigit(), s.zfill(8)))
        dirs.append(d)
        files += [os.path.join(d, n) for n in sorted(names)]
    return files, dirs


def tree():
    """Every path of the tree and every file's value."""
    files, dirs = walk(KDS)
    snap = snapshot(files)
    snap.update({d + '/': b'dir' for d in dirs})
    return snap


def sysfs_unchanged(path):
    """What fuzzing path must not change: its siblings' values and the
    tree's set of paths."""
    d = os.path.dirname(path)
    sibs = [os.path.join(d, n) for n in sorted(os.listdir(d))
            if os.path.isfile(os.path.join(d, n))]

    def unchanged():
        files, dirs = walk(KDS)
        snap = snapshot(sibs)
        snap.update({p: b'exists' for p in files if p not in snap})
        snap.update({p + '/': b'dir' for p in dirs})
        return snap
    return unchanged


def fill():
    """Set every nr_* file that reads 0 to 1, until there is none: one of
    everything, whatever directories this kernel has."""
    for _ in range(16):
        zeros = [f for f in writable(walk(KDS)[0])
                 if os.path.basename(f).startswith('nr_') and read(f) == b'0']
        if not zeros:
            return True
        for f in zeros:
            put(f, 1)
    return False


def damon_reset():
    for kd in walk(KDS)[1]:
        if re.fullmatch(KDS + r'/\d+', kd) and read(kd + '/state') == b'on':
            command(kd, 'off')
    return put(KDS + '/nr_kdamonds', 0)


def stage_one_of_each():
    return damon_reset() == 0 and put(KDS + '/nr_kdamonds', 1) == 0 and fill()


def recreate(path):
    """Recreate the numbered directory holding path, with its siblings, by
    rewriting the nr_* file above it; then fill the tree again."""
    d = os.path.dirname(path)
    while d != KDS and not os.path.basename(d).isdigit():
        d = os.path.dirname(d)
    parent = os.path.dirname(d)
    nr = [n for n in os.listdir(parent) if n.startswith('nr_')]
    if d == KDS or len(nr) != 1:
        return stage_one_of_each()
    nr = os.path.join(parent, nr[0])
    return put(nr, read(nr)) == 0 and fill()


def sysfs_targets(files):
    def undo_value(path):
        def undo(old):
            err = put(path, old)
            if not err and read(path) == old:
                return []
            # e.g. core_filters/<F>/type reads its default "anon" but
            # refuses it: only a fresh directory has that value again
            if recreate(path) and read(path) == old:
                return []
            return ['undo of the accepted write failed (%s, reads %r)' %
                    (ename(err), read(path)[:40])]
        return undo

    def undo_nr(old):
        # accepted: children recreated with defaults; make them again
        return [] if fill() or stage_one_of_each() else \
            ['cannot stage the tree again']

    targets = []
    for f in files:
        if not os.stat(f).st_mode & 0o200:
            continue
        rel = os.path.relpath(f, ADMIN)
        kind = sysfs_kind(rel)
        undo = undo_nr if isinstance(kind, Nr) else undo_value(f)
        if isinstance(kind, Nr) and rel == 'kdamonds/nr_kdamonds':
            def undo(old):
                return [] if stage_one_of_each() else ['cannot restage']
        targets.append(Target(f, rel, kind, undo, sysfs_unchanged(f),
                              stage_one_of_each,
                              side_effects=rel.endswith('/state')))
    return targets


def check_files(files, mod_params):
    """Modes, readability, and EACCES for root on read-only files."""
    modes = ['%s: %o' % (f, os.stat(f).st_mode & 0o777) for f in files
             if os.stat(f).st_mode & 0o777 not in (0o600, 0o400)]
    report('sysfs: every file is 0600 or 0400', modes)
    unread = ['%s: %s' % (os.path.relpath(f, ADMIN), v.decode())
              for f, v in snapshot(files).items() if v.startswith(b'ERR:')]
    report('sysfs: every file reads', unread)
    ro = [f for f in files + mod_params if not os.stat(f).st_mode & 0o200]
    bad = []
    for f in ro:
        before = read(f)
        _, err = write(f, before + b'\n')
        if err != EACCES or read(f) != before:
            bad.append('%s: %s' % (f, ename(err)))
    report('root cannot write the %d read-only files (sysfs and module '
           'parameters)' % len(ro), bad)


def fuzz_tree(targets):
    """One result per file: its battery, and then the whole tree as it was
    before the first one."""
    total = 0
    base = tree()
    for i, t in enumerate(targets):
        problems, n = fuzz(t)
        total += n
        if i == len(targets) - 1 or i % 10 == 9:
            # every tenth file (a whole-tree read is not cheap under TCG):
            # a value changed outside the fuzzed files' own directories
            changed = diff(base, tree())
            if changed:
                first = i - i % 10 + 1
                problems.append('the tree changed during the batteries of '
                                'files %d-%d: %s' %
                                (first, i + 1, '; '.join(changed[:3])))
                stage_one_of_each()
        if isinstance(t.kind, Unknown):
            silent(t.desc, 'a writable file no spec describes')
        report('sysfs: %s (%s): bad input refused, nothing else changed' %
               (t.desc, t.kind.name), problems)
        if i % 20 == 19:
            progress('sysfs: %d/%d files, %d writes' % (i + 1, len(targets),
                                                        total))
    progress('sysfs: %d files, %d writes' % (len(targets), total))


# ------------------------------------------------- module parameters

def param_dir(mod):
    return '/sys/module/%s/parameters' % mod


def params(mod):
    d = param_dir(mod)
    return [os.path.join(d, n) for n in sorted(os.listdir(d))]


def writable(paths):
    return [p for p in paths if os.stat(p).st_mode & 0o200]


def inputs_of(mod):
    """The parameters of a module that are not output counters: what must
    not change behind a refused write."""
    return writable(params(mod)) + [os.path.join(param_dir(mod), n)
                                    for n in ('kdamond_pid',)
                                    if os.path.exists(os.path.join(
                                        param_dir(mod), n))]


def param_kind(name, value):
    """modules.md: bools print Y/N; every writable number is an ulong."""
    if name == 'addr_unit':
        return Num('ulong', nonzero=True)
    if value in (b'Y', b'N'):
        return Bool()
    if re.fullmatch(rb'\d+', value):
        return Num('ulong')
    return Unknown()


def module_targets(mod):
    """Targets for every writable parameter; call it right before fuzzing
    them: an accepted enabled=Y is undone to the values of that moment."""
    def undo_value(path):
        def undo(old):
            err = put(path, old)
            if err or read(path) != old:
                return ['undo failed: %s' % ename(err)]
            return []
        return undo

    now = snapshot(writable(params(mod)))

    def reset():
        """Disabled, and the values of now (a start writes the monitored
        range back)."""
        err = put(param_dir(mod) + '/enabled', 'N')
        for p, v in now.items():
            if not p.endswith(('/enabled', '/commit_inputs')):
                put(p, v)
        return err

    def undo_enabled(old):
        err = reset()
        return ['could not disable it again: %s' % ename(err)] if err else []

    targets = []
    for p in writable(params(mod)):
        name = os.path.basename(p)
        kind = param_kind(name, read(p))
        undo = undo_enabled if name == 'enabled' else undo_value(p)
        if name == 'commit_inputs':
            # "Writing Y while it does not run does nothing" (reclaim.rst):
            # what it reads afterwards is not said
            kind = CommitInputs()
        targets.append(Target(p, '%s.%s' % (mod, name), kind, undo,
                              lambda m=mod: snapshot(inputs_of(m)), reset))
    return targets


class CommitInputs(Bool):
    def expect(self, data):
        out = super().expect(data)
        out.value = None
        return out


def fuzz_modules(mods):
    total = 0
    for mod in mods:
        d = param_dir(mod)
        if os.path.exists(d + '/wmarks_interval'):
            # a stop waits for the watermarks check of an inactive scheme:
            # 0.1 s instead of 5 s for each accepted enabled=Y
            put(d + '/wmarks_interval', 100000)
        for t in module_targets(mod):
            problems, n = fuzz(t)
            total += n
            report('module: %s (%s): bad input refused, nothing else '
                   'changed' % (t.desc, t.kind.name), problems)
        progress('modules: %s done, %d writes' % (mod, total))


# ------------------------------------------------------- uid 65534

def as_nobody(paths):
    """Write every path as uid 65534 in a child; return the ones that did
    not fail with EACCES, with what happened."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = []
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            for p in paths:
                for data in (read_root_cached.get(p, b'') + b'\n', b'on\n',
                             b'0\n'):
                    _, err = write(p, data)
                    if err != EACCES:
                        out.append('%s: %r: %s' % (p, data, ename(err)))
        except OSError as e:
            out.append('cannot become uid %d: %s' % (NOBODY, e))
        os.write(w, '\n'.join(out).encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    return [line for line in b''.join(chunks).decode().split('\n') if line]


read_root_cached = {}


def nobody_test(desc, paths, snap_paths):
    read_root_cached.update(snapshot(paths))
    before = snapshot(snap_paths)
    problems = as_nobody(paths)
    problems += ['changed ' + d for d in diff(before, snapshot(snap_paths))]
    report('uid %d: %s: every write of the %d writable files fails with '
           'EACCES' % (NOBODY, desc, len(paths)), problems)


# ------------------------------------------------ state commands

# errno of each command (0: success) on a kdamond that was never started,
# that runs, and that was stopped (sysfs-abi.md §2.1 and §12)
EXPECTED = {
    'on': (0, EBUSY, 0),
    'off': (EINVAL, 0, 0),
    'commit': (EINVAL, 0, EINVAL),
    'commit_schemes_quota_goals': (EINVAL, 0, EINVAL),
    'update_schemes_stats': (EINVAL, 0, EINVAL),
    'update_schemes_tried_regions': (EINVAL, 0, EINVAL),
    'update_schemes_tried_bytes': (EINVAL, 0, EINVAL),
    'clear_schemes_tried_regions': (0, 0, 0),
    'update_schemes_effective_quotas': (EINVAL, 0, EINVAL),
    'update_tuned_intervals': (EINVAL, 0, EINVAL),
}
PHASES = ('never started', 'running', 'stopped')


def biggest_ram():
    best = (0, 0)
    with open('/proc/iomem') as f:
        for line in f:
            if line.startswith(' ') or not line.rstrip().endswith(
                    'System RAM'):
                continue
            a, b = (int(x, 16) for x in line.split()[0].split('-'))
            if b + 1 - a > best[1] - best[0]:
                best = (a, b + 1)
    return best


class Env:
    """Things the configurations refer to."""
    victim = None       # a sleeping process to monitor
    dead_pid = None     # a pid nobody has
    ram = None          # (start, end) of the biggest System RAM range


def base_config(ops):
    """(path below the context, value) of a config that must start."""
    cfg = [('operations', ops), ('targets/nr_targets', 1)]
    if ops == 'paddr':
        cfg += [('targets/0/regions/nr_regions', 1),
                ('targets/0/regions/0/start', Env.ram[0]),
                ('targets/0/regions/0/end', Env.ram[1])]
    else:
        cfg += [('targets/0/pid_target', Env.victim.pid)]
    cfg += [('schemes/nr_schemes', 1), ('schemes/0/action', 'stat'),
            ('schemes/0/access_pattern/sz/max', U64_MAX),
            ('schemes/0/access_pattern/nr_accesses/max', U64_MAX),
            ('schemes/0/access_pattern/age/max', U64_MAX),
            ('schemes/0/quotas/goals/nr_goals', 1),
            ('schemes/0/quotas/goals/0/target_value', 10000),
            ('schemes/0/quotas/goals/0/current_value', 5000)]
    return cfg


def apply(cfg):
    """Write a list of (path below contexts/0, value); return problems."""
    return ['staging %s=%s: %s' % (p, v, ename(e)) for p, v in cfg
            for e in [put(os.path.join(C0, p), v)] if e]


def stage_kdamond(ops):
    """A fresh kdamond with one context configured as base_config(ops)."""
    if damon_reset() or put(KDS + '/nr_kdamonds', 1) or \
            put(K0 + '/contexts/nr_contexts', 1):
        return ['cannot create a kdamond']
    return apply(base_config(ops))


def restage_context(ops):
    """Recreate contexts/0 (allowed while running) as base_config(ops)."""
    err = put(K0 + '/contexts/nr_contexts', 1)
    return ['nr_contexts while running: %s' % ename(err)] if err else \
        apply(base_config(ops))


def run_command(ops, phase, cmd, want, after):
    """A command's errno and the kdamond's state after it."""
    pid0 = kd_state()[1]
    err = command(K0, cmd)
    problems = [] if err == want else ['%s, want %s' % (ename(err),
                                                        ename(want))]
    state, pid = kd_state()
    if after == 'same' and (state, pid) != ('on', pid0):
        problems.append('kdamond %s pid %s, was on pid %s' % (state, pid,
                                                              pid0))
    elif after == 'off' and (state, pid) != ('off', -1):
        problems.append('kdamond %s pid %s, want off -1' % (state, pid))
    elif after == 'on' and (state != 'on' or (pid or 0) <= 0):
        problems.append('kdamond %s pid %s, want on' % (state, pid))
    report('state: %s, %s: %s -> %s' % (ops, phase, cmd, ename(want)),
           problems)


def garbage_while_running(ops):
    """Malformed commands to a running kdamond: EINVAL, and it runs on."""
    kind = Keyword(STATE_CMDS)
    pid0 = kd_state()[1]
    problems = []
    for data in inputs_for(kind, b'commit'):
        exp = kind.expect(data)
        if not data or not exp.errs:
            continue
        _, err = write(K0 + '/state', data)
        if err != EINVAL:
            problems.append('%r: %s, want EINVAL' % (data[:24], ename(err)))
    if kd_state() != ('on', pid0):
        problems.append('kdamond %s pid %s, was on pid %s' %
                        (kd_state() + (pid0,)))
    report('state: %s, running: malformed commands are EINVAL, the kdamond '
           'runs on' % ops, problems)


def commands_test(ops):
    problems = stage_kdamond(ops)
    for p in problems:
        ksft.print_msg('staging: ' + p)
    # never started, running, stopped: every command, the one that leaves
    # the phase last
    last = ('on', 'off', 'on')
    for i, phase in enumerate(PHASES):
        if i == 1:
            garbage_while_running(ops)
        for cmd in [c for c in STATE_CMDS if c != last[i]] + [last[i]]:
            want = EXPECTED[cmd][i]
            if cmd == last[i]:
                after = 'on' if cmd == 'on' else 'off'
            elif i == 1:
                after = 'same'
            else:
                after = 'off'
            run_command(ops, phase, cmd, want, after)
    # no context (nr_contexts may change while running): every command
    # but off is EINVAL (§2.1)
    err = put(K0 + '/contexts/nr_contexts', 0)
    for cmd in [c for c in STATE_CMDS if c != 'off'] + ['off']:
        want = 0 if cmd == 'off' else EINVAL
        if err:
            report('state: %s, no context: %s' % (ops, cmd),
                   ['nr_contexts 0 while running: %s' % ename(err)])
            continue
        run_command(ops, 'running, no context', cmd, want,
                    'off' if cmd == 'off' else 'same')


# -------------------------------------------------- bad configurations

IV = 'monitoring_attrs/intervals/'
NR = 'monitoring_attrs/nr_regions/'
R = 'targets/0/regions/'
S = 'schemes/0/'
NONE_CG = '/damon-fuzz-no-such-cgroup'
PR = 'monitoring_attrs/probes/'
SP = 'monitoring_attrs/sample/'


def refused(why, errs=(EINVAL,)):
    return ('refused', set(errs), why)


def accepted(why):
    return ('accepted', set(), why)


SILENT = ('silent', set(), '')


def label(exp):
    return 'spec silent, not judged' if exp[0] == 'silent' else exp[0]


# §9.2: a scheme that cannot be built fails the write, errno unsettled
BUILD_FAILS = (EINVAL, ENOMEM, ENOENT)


def migrate(nid):
    return [(S + 'action', 'migrate_hot'), (S + 'target_nid', nid)]


def regions(*ranges):
    cfg = [(R + 'nr_regions', len(ranges))]
    for i, (a, b) in enumerate(ranges):
        cfg += [(R + '%d/start' % i, a), (R + '%d/end' % i, b)]
    return cfg


# a quota the goals tune every 0.1 s
QUOTA_100MS = [(S + 'quotas/bytes', 1 << 30),
               (S + 'quotas/reset_interval_ms', 100)]
OFFLINE = accepted('usage.rst: a destination that is not an online node '
                   'receives nothing')


def probe_filter(ftype, *more):
    """One probe with one filter of ftype, and more (path, value)s."""
    return [(PR + 'nr_probes', 1), (PR + '0/filters/nr_filters', 1),
            (PR + '0/filters/0/type', ftype)] + list(more)


def fault_mode(*filters):
    """The page-fault primitive and sample filters of (type, argument)."""
    cfg = [(SP + 'primitives/page_table', 'N'),
           (SP + 'primitives/page_fault', 'Y'),
           (SP + 'filters/nr_filters', len(filters))]
    for i, (ftype, arg) in enumerate(filters):
        d = SP + 'filters/%d/' % i
        cfg += [(d + 'type', ftype), (d + 'matching', 'Y'),
                (d + 'allow', 'Y')]
        if ftype == 'cpumask':
            cfg.append((d + 'cpumask', arg))
        elif ftype == 'threads':
            cfg.append((d + 'tid_arr', arg))
    return cfg


SAMPLE_FILTERS = (('write', None), ('cpumask', '0'), ('threads', '{victim}'))

# (description, ops, changes to base_config, on expectation, commit
# expectation or None if not tried while running)
CASES = [
    # sample-control.md §4: the core's checks, the errno unchanged
    ('both sample primitives', 'vaddr', [(SP + 'primitives/page_fault', 'Y')],
     refused('sample-control.md §4'), refused('sample-control.md §4')),
    ('no sample primitive', 'paddr', [(SP + 'primitives/page_table', 'N')],
     refused('sample-control.md §4'), refused('sample-control.md §4')),
    ('threads sample filter without tid_arr', 'vaddr',
     fault_mode(('write', None)) + [(SP + 'filters/nr_filters', 1),
                                    (SP + 'filters/0/type', 'threads')],
     refused('sample-control.md §4'), refused('sample-control.md §4')),
    ('page_fault with write, cpumask and threads filters', 'vaddr',
     fault_mode(*SAMPLE_FILTERS), accepted('sample-control.md §4'),
     accepted('sample-control.md §4')),
    ('page_fault with sample filters', 'paddr', fault_mode(*SAMPLE_FILTERS),
     accepted('sample-control.md §4'), accepted('sample-control.md §4')),
    # attrs-monitoring.md §14.5.8: probe errnos are returned unchanged
    ('memcg probe filter without path', 'vaddr', probe_filter('memcg'),
     refused('§14.5.8'), refused('§14.5.8')),
    ('memcg probe filter of a missing cgroup', 'paddr',
     probe_filter('memcg', (PR + '0/filters/0/path', NONE_CG)),
     refused('§14.5.8'), refused('§14.5.8')),
    ('memcg probe filter of the root cgroup', 'vaddr',
     probe_filter('memcg', (PR + '0/filters/0/path', '/')),
     accepted('§14.5.8'), accepted('§14.5.8')),
    ('hugepage_size probe filter min above max', 'vaddr',
     probe_filter('hugepage_size', (PR + '0/filters/0/min', 2 << 20),
                  (PR + '0/filters/0/max', 4096)),
     refused('§14.5.8'), refused('§14.5.8')),
    ('probe weight with 300 samples per aggregation', 'vaddr',
     [(PR + 'nr_probes', 1), (PR + '0/weight', 1),
      (IV + 'sample_us', 1000), (IV + 'aggr_us', 300000)],
     refused('§14.5.8'), refused('§14.5.8')),
    ('probe weights whose sum overflows', 'paddr',
     [(PR + 'nr_probes', 2), (PR + '0/weight', U32_MAX),
      (PR + '1/weight', U32_MAX)],
     refused('§14.5.8'), refused('§14.5.8')),
    ('four probes with preps and a weight', 'paddr',
     [(PR + 'nr_probes', 4), (PR + '0/weight', 1),
      (PR + '1/preps/nr_preps', 2), (PR + '1/filters/nr_filters', 1),
      (PR + '1/filters/0/type', 'pgidle_unset')],
     accepted('§14.5.8'), accepted('§14.5.8')),
    ('probe_hits_wsum DAMOS filter min above max', 'vaddr',
     [(S + 'core_filters/nr_filters', 1),
      (S + 'core_filters/0/type', 'probe_hits_wsum'),
      (S + 'core_filters/0/min', 10), (S + 'core_filters/0/max', 9)],
     refused('§14.5.10'), refused('§14.5.10')),
    ('aggr_us below sample_us', 'vaddr',
     [(IV + 'sample_us', 10000), (IV + 'aggr_us', 5000)],
     refused('§4.1'), refused('§4.1')),
    ('nr_regions min above max', 'vaddr',
     [(NR + 'min', 100), (NR + 'max', 50)], refused('§4.3'), refused('§4.3')),
    ('nr_regions min 2', 'vaddr', [(NR + 'min', 2)],
     refused('§4.3'), refused('§4.3')),
    ('nr_regions min and max 0', 'vaddr', [(NR + 'min', 0), (NR + 'max', 0)],
     refused('§4.3'), refused('§4.3')),
    ('sample_us 0', 'vaddr', [(IV + 'sample_us', 0)],
     accepted('§4.1: a 0 sampling interval is tolerated'),
     accepted('§4.1: a 0 sampling interval is tolerated')),
    ('sample_us and aggr_us 0', 'vaddr',
     [(IV + 'sample_us', 0), (IV + 'aggr_us', 0)], SILENT, SILENT),
    ('update_us 0', 'vaddr', [(IV + 'update_us', 0)], SILENT, SILENT),
    ('intervals_goal min_sample_us above max_sample_us', 'vaddr',
     [(IV + 'intervals_goal/access_bp', 400), (IV + 'intervals_goal/aggrs', 3),
      (IV + 'intervals_goal/min_sample_us', 10000),
      (IV + 'intervals_goal/max_sample_us', 5000)], SILENT, SILENT),
    ('nr_regions min 2^32', 'vaddr',
     [(NR + 'max', 1 << 32), (NR + 'min', 1 << 32)], SILENT, SILENT),
    ('a pid nobody has', 'vaddr', [('targets/0/pid_target', '{dead_pid}')],
     refused('§5.1'), refused('§5.1')),
    ('pid -1', 'vaddr', [('targets/0/pid_target', -1)],
     refused('§5.1'), refused('§5.1')),
    ('pid 0', 'vaddr', [('targets/0/pid_target', 0)],
     refused('§5.1'), refused('§5.1')),
    ('no target', 'vaddr', [('targets/nr_targets', 0)], SILENT, SILENT),
    ('region end below start', 'vaddr', regions((0x200000, 0x100000)),
     refused('§5.2'), refused('§5.2')),
    ('empty region', 'vaddr', regions((0x100000, 0x100000)),
     refused('§5.2'), refused('§5.2')),
    ('overlapping regions', 'vaddr',
     regions((0x100000, 0x300000), (0x200000, 0x400000)),
     refused('§5.2'), refused('§5.2')),
    ('unsorted regions', 'vaddr',
     regions((0x300000, 0x400000), (0x100000, 0x200000)),
     refused('§5.2'), refused('§5.2')),
    ('addr filter end below start', 'vaddr',
     [(S + 'core_filters/nr_filters', 1), (S + 'core_filters/0/type', 'addr'),
      (S + 'core_filters/0/addr_start', 0x200000),
      (S + 'core_filters/0/addr_end', 0x100000)],
     refused('§6.7', BUILD_FAILS), refused('§6.7', BUILD_FAILS)),
    ('hugepage_size filter min above max', 'vaddr',
     [(S + 'ops_filters/nr_filters', 1),
      (S + 'ops_filters/0/type', 'hugepage_size'),
      (S + 'ops_filters/0/min', 2 << 20), (S + 'ops_filters/0/max', 4096)],
     refused('§6.7', BUILD_FAILS), refused('§6.7', BUILD_FAILS)),
    ('memcg filter of a missing cgroup', 'vaddr',
     [(S + 'ops_filters/nr_filters', 1), (S + 'ops_filters/0/type', 'memcg'),
      (S + 'ops_filters/0/memcg_path', NONE_CG)],
     refused('§6.7', BUILD_FAILS), refused('§6.7', BUILD_FAILS)),
    ('quota goal of a missing cgroup', 'vaddr',
     [(S + 'quotas/goals/0/target_metric', 'node_memcg_used_bp'),
      (S + 'quotas/goals/0/path', NONE_CG)],
     refused('§6.5', BUILD_FAILS), refused('§6.5', BUILD_FAILS)),
    ('quota goal of node 1000', 'vaddr',
     [(S + 'quotas/goals/0/target_metric', 'node_mem_used_bp'),
      (S + 'quotas/goals/0/nid', 1000)], SILENT, SILENT),
    ('target filter of a missing target', 'vaddr',
     [(S + 'core_filters/nr_filters', 1),
      (S + 'core_filters/0/type', 'target'),
      (S + 'core_filters/0/damon_target_idx', 5)], SILENT, SILENT),
    ('migrate to node 1000', 'vaddr', migrate(1000), OFFLINE, OFFLINE),
    ('migrate to node -2', 'vaddr', migrate(-2), OFFLINE, OFFLINE),
    ('migrate to node INT_MAX', 'vaddr', migrate(INT_MAX), OFFLINE, OFFLINE),
    ('migrate dests to node 1000', 'vaddr',
     [(S + 'action', 'migrate_cold'), (S + 'dests/nr_dests', 1),
      (S + 'dests/0/id', 1000), (S + 'dests/0/weight', 1)],
     OFFLINE, OFFLINE),
    ('inverted watermarks', 'vaddr',
     [(S + 'watermarks/metric', 'free_mem_rate'),
      (S + 'watermarks/interval_us', 100000), (S + 'watermarks/high', 100),
      (S + 'watermarks/mid', 500), (S + 'watermarks/low', 900)],
     accepted('§6.6: no ordering validation'),
     accepted('§6.6: no ordering validation')),
    ('watermarks interval 0', 'vaddr',
     [(S + 'watermarks/metric', 'free_mem_rate'),
      (S + 'watermarks/interval_us', 0), (S + 'watermarks/high', 1000),
      (S + 'watermarks/mid', 999), (S + 'watermarks/low', 0)],
     SILENT, SILENT),
    ('size quota with reset interval 0', 'vaddr',
     [(S + 'quotas/bytes', 4096), (S + 'quotas/reset_interval_ms', 0)],
     SILENT, SILENT),
    ('fvaddr without regions', 'vaddr', [('operations', 'fvaddr')],
     SILENT, SILENT),
    # extreme values the arithmetic of the kdamond must survive
    ('quota goal of node -1', 'vaddr',
     [(S + 'quotas/goals/0/target_metric', 'node_mem_free_bp'),
      (S + 'quotas/goals/0/nid', -1)] + QUOTA_100MS, SILENT, SILENT),
    ('quota goal of node INT_MAX', 'vaddr',
     [(S + 'quotas/goals/0/target_metric', 'node_eligible_mem_bp'),
      (S + 'quotas/goals/0/nid', INT_MAX)] + QUOTA_100MS, SILENT, SILENT),
    ('user_input goal ULONG_MAX of 1', 'vaddr',
     [(S + 'quotas/goals/0/target_value', 1),
      (S + 'quotas/goals/0/current_value', U64_MAX)] + QUOTA_100MS,
     SILENT, SILENT),
    ('user_input goal 1 of ULONG_MAX, temporal', 'vaddr',
     [(S + 'quotas/goal_tuner', 'temporal'),
      (S + 'quotas/goals/0/target_value', U64_MAX),
      (S + 'quotas/goals/0/current_value', 1)] + QUOTA_100MS,
     SILENT, SILENT),
    ('quota weights UINT_MAX', 'vaddr',
     [(S + 'quotas/weights/sz_permil', U32_MAX),
      (S + 'quotas/weights/nr_accesses_permil', U32_MAX),
      (S + 'quotas/weights/age_permil', U32_MAX)] + QUOTA_100MS,
     SILENT, SILENT),
    ('fail charge ratio UINT_MAX/1', 'vaddr',
     [(S + 'action', 'pageout'), (S + 'quotas/fail_charge_num', U32_MAX),
      (S + 'quotas/fail_charge_denom', 1)] + QUOTA_100MS, SILENT, SILENT),
    ('target filter of index -1', 'vaddr',
     [(S + 'core_filters/nr_filters', 1),
      (S + 'core_filters/0/type', 'target'),
      (S + 'core_filters/0/damon_target_idx', -1)], SILENT, SILENT),
    ('empty addr filter', 'vaddr',
     [(S + 'core_filters/nr_filters', 1), (S + 'core_filters/0/type', 'addr'),
      (S + 'core_filters/0/addr_start', 0x100000),
      (S + 'core_filters/0/addr_end', 0x100000)], SILENT, SILENT),
    ('access pattern min above max', 'vaddr',
     [(S + 'access_pattern/sz/min', U64_MAX),
      (S + 'access_pattern/sz/max', 0)],
     accepted('§6.3: no min <= max validation'),
     accepted('§6.3: no min <= max validation')),
    ('apply_interval_us ULONG_MAX', 'vaddr',
     [(S + 'apply_interval_us', U64_MAX)], SILENT, SILENT),
    ('apply_interval_us 1', 'vaddr', [(S + 'apply_interval_us', 1)],
     SILENT, SILENT),
    ('aggr_us ULONG_MAX', 'vaddr', [(IV + 'sample_us', 1),
                                    (IV + 'aggr_us', U64_MAX)],
     SILENT, SILENT),
    ('intervals_goal at the extremes', 'vaddr',
     [(IV + 'intervals_goal/access_bp', U64_MAX),
      (IV + 'intervals_goal/aggrs', 1),
      (IV + 'intervals_goal/min_sample_us', 1),
      (IV + 'intervals_goal/max_sample_us', U64_MAX)], SILENT, SILENT),
    ('dests to node UINT_MAX', 'vaddr',
     [(S + 'action', 'migrate_hot'), (S + 'dests/nr_dests', 2),
      (S + 'dests/0/id', U32_MAX), (S + 'dests/0/weight', U32_MAX),
      (S + 'dests/1/id', 0), (S + 'dests/1/weight', U32_MAX)],
     OFFLINE, OFFLINE),
    ('obsolete target', 'vaddr',
     [('targets/nr_targets', 2), ('targets/0/pid_target', '{victim}'),
      ('targets/0/obsolete_target', 'Y'),
      ('targets/1/pid_target', '{victim}')], SILENT, SILENT),
    ('paddr without regions', 'paddr', [(R + 'nr_regions', 0)], SILENT,
     accepted('§5.2: on commit a target without regions keeps its own')),
    ('two paddr targets', 'paddr',
     [('targets/nr_targets', 2), (R + 'nr_regions', 1),
      (R + '0/start', '{ram_start}'), (R + '0/end', '{ram_mid}'),
      ('targets/1/regions/nr_regions', 1),
      ('targets/1/regions/0/start', '{ram_mid}'),
      ('targets/1/regions/0/end', '{ram_end}')],
     refused('§9.1'), refused('§9.1')),
    ('paddr region outside memory', 'paddr',
     regions((1 << 46, (1 << 46) + (1 << 30))), SILENT, SILENT),
    ('paddr addr_unit 3', 'paddr', [('addr_unit', 3)], SILENT, SILENT),
    ('paddr addr_unit 2^40', 'paddr', [('addr_unit', 1 << 40)],
     SILENT, SILENT),
]


def resolve(changes):
    env = {'dead_pid': Env.dead_pid, 'victim': Env.victim.pid,
           'ram_start': Env.ram[0],
           'ram_end': Env.ram[1],
           'ram_mid': (Env.ram[0] + Env.ram[1]) // 2 // PAGE * PAGE}
    return [(p, str(v).format(**env)) for p, v in changes]


def outcome(err):
    return ename(err) if err else 'accepted'


def check_outcome(exp, err):
    """Problems of a write against a case's expectation."""
    what, errs, why = exp
    if what == 'silent':
        return []
    if what == 'accepted':
        return [] if not err else ['refused with %s, but %s' %
                                   (ename(err), why)]
    if err in errs:
        return []
    return ['%s, want %s (%s)' % (ename(err), '/'.join(
        sorted(ename(e) for e in errs)), why)]


def on_case(desc, ops, changes, exp):
    problems = stage_kdamond(ops) + apply(resolve(changes))
    err = command(K0, 'on')
    problems += check_outcome(exp, err)
    state, pid = kd_state()
    if err and (state, pid) != ('off', -1):
        problems.append('refused, but kdamond %s pid %s' % (state, pid))
    if not err:
        time.sleep(0.3)             # let it apply the config a few times
        state, pid = kd_state()
        if exp[0] == 'accepted' and state != 'on':
            problems.append('accepted, but the kdamond stopped')
        command(K0, 'off')
    if exp[0] == 'silent':
        silent('on with ' + desc, outcome(err) + (
            '' if err else '; the kdamond %s 0.3 s later' %
            ('runs' if state == 'on' else 'stopped by itself')))
    report('on: %s: %s' % (desc, label(exp)), problems)


def tuned_sample_us():
    if command(K0, 'update_tuned_intervals'):
        return None
    return int(read(C0 + '/' + IV + 'sample_us'))


def commit_case(ops, desc, changes, exp, pid0):
    """A commit of changes to the running base config; the base is then
    committed again."""
    touches_iv = any(p.startswith(IV) for p, _ in changes)
    # marker: had the refused commit been applied, even in part, the
    # running sampling interval would now be 4000
    marker = [] if touches_iv else [(IV + 'sample_us', 4000)]
    problems = apply(marker + resolve(changes))
    err = command(K0, 'commit')
    problems += check_outcome(exp, err)
    state, pid = kd_state()
    if exp[0] == 'silent':
        silent('commit with ' + desc, '%s; the kdamond %s' % (
            outcome(err), 'runs on' if (state, pid) == ('on', pid0) else
            'is %s, pid %s (was %s)' % (state, pid, pid0)))
    elif (state, pid) != ('on', pid0):
        problems.append('kdamond %s pid %s after the commit, was on pid %s' %
                        (state, pid, pid0))
    elif err:
        got = tuned_sample_us()
        if got != 5000:
            problems.append('running sample interval %s after a refused '
                            'commit, want the old 5000' % got)
    elif exp[0] == 'accepted':
        want = dict(marker + resolve(changes)).get(IV + 'sample_us')
        got = tuned_sample_us()
        if got != int(want):
            problems.append('running sample interval %s, want the '
                            'committed %s' % (got, want))
    if kd_state()[0] == 'on':
        problems += restage_context(ops)
        err = command(K0, 'commit')
        if err:
            problems.append('commit of the base config again: %s' %
                            ename(err))
    report('commit: %s: %s' % (desc, label(exp)), problems)


def config_tests():
    for desc, ops, changes, on_exp, _ in CASES:
        on_case(desc, ops, changes, on_exp)
    for ops in ('vaddr', 'paddr'):
        cases = [c for c in CASES if c[1] == ops and c[4] is not None]
        problems = stage_kdamond(ops)
        err = command(K0, 'on')
        pid0 = kd_state()[1]
        if err or problems:
            for c in cases:
                report('commit: %s: %s' % (c[0], label(c[4])),
                       problems + ['base %s config does not start: %s' %
                                   (ops, ename(err))])
            continue
        for desc, _, changes, _, exp in cases:
            if kd_state() != ('on', pid0):
                # a previous case stopped it (and failed): go on
                stage_kdamond(ops)
                command(K0, 'on')
                pid0 = kd_state()[1]
            commit_case(ops, desc, changes, exp, pid0)
        command(K0, 'off')


# ------------------------------------------ modules: running commits

BOTH = ('damon_reclaim', 'damon_lru_sort')
RUN_CASES = [
    # (description, modules, changes, expectation)
    ('aggr_interval 0', BOTH, [('aggr_interval', 0)],
     refused('modules.md, reclaim.rst, lru_sort.rst')),
    ('sample_interval 0', BOTH, [('sample_interval', 0)],
     refused('modules.md, reclaim.rst, lru_sort.rst')),
    ('sample_interval above aggr_interval', BOTH,
     [('sample_interval', 200000)], refused('reclaim.rst, lru_sort.rst')),
    ('min_nr_regions 2', BOTH, [('min_nr_regions', 2)],
     refused('modules.md')),
    ('min_nr_regions above max_nr_regions', BOTH,
     [('min_nr_regions', 2000)], refused('reclaim.rst, lru_sort.rst')),
    ('quota_reset_interval_ms 0', BOTH,
     [('quota_reset_interval_ms', 0)],
     accepted('lru_sort.rst: every apply round is a charge window')),
    ('addr_unit 3', BOTH, [('addr_unit', 3)],
     refused('modules.md, reclaim.rst: min_region_sz a power of two')),
    ('monitor_region_start above end', BOTH,
     [('monitor_region_start', 1 << 30), ('monitor_region_end', 4096)],
     refused('reclaim.rst, lru_sort.rst')),
    ('monitor region outside System RAM', BOTH,
     [('monitor_region_start', 1 << 46),
      ('monitor_region_end', (1 << 46) + (1 << 30))],
     refused('reclaim.rst, lru_sort.rst: a range must overlap System RAM')),
    ('inverted watermarks', BOTH,
     [('wmarks_high', 100), ('wmarks_mid', 500), ('wmarks_low', 900)],
     refused('reclaim.rst, lru_sort.rst')),
    ('active_mem_bp 10001', ('damon_lru_sort',), [('active_mem_bp', 10001)],
     refused('modules.md')),
    ('hot_thres_access_freq 1001', ('damon_lru_sort',),
     [('hot_thres_access_freq', 1001)], SILENT),
    ('quota_mem_pressure_us ULONG_MAX', ('damon_reclaim',),
     [('quota_mem_pressure_us', U64_MAX)], SILENT),
]


def mod_state(mod):
    return read(param_dir(mod) + '/enabled'), \
        to_int(read(param_dir(mod) + '/kdamond_pid'))


def commit_inputs(mod):
    with Watchdog('commit_inputs of ' + mod):
        return put(param_dir(mod) + '/commit_inputs', 'Y')


def run_case(mod, desc, changes, exp, pid0):
    d = param_dir(mod)
    old = {p: read(os.path.join(d, p)) for p, _ in changes}
    problems = ['writing %s=%s: %s' % (p, v, ename(e)) for p, v in changes
                for e in [put(os.path.join(d, p), v)] if e]
    err = commit_inputs(mod)
    problems += check_outcome(exp, err)
    enabled, pid = mod_state(mod)
    if read(d + '/commit_inputs') != b'N':
        problems.append('commit_inputs reads %r' % read(d + '/commit_inputs'))
    if exp[0] != 'silent' and (enabled, pid) != (b'Y', pid0):
        problems.append('enabled %s pid %s after the commit, was Y pid %s' %
                        (enabled.decode(), pid, pid0))
    elif exp[0] == 'silent':
        silent('%s commit_inputs with %s' % (mod, desc), '%s; enabled %s' %
               (outcome(err), enabled.decode()))
    for p, v in old.items():
        put(os.path.join(d, p), v.decode())
    if mod_state(mod)[0] == b'Y':
        err = commit_inputs(mod)
        if err:
            problems.append('commit of the old values again: %s' %
                            ename(err))
    report('module: %s: commit_inputs with %s: %s' % (mod, desc, label(exp)),
           problems)


def start_case(mod, desc, changes, exp):
    """enabled=Y with bad inputs: refused ones leave the module off."""
    d = param_dir(mod)
    old = {p: read(os.path.join(d, p)) for p, _ in changes}
    problems = ['writing %s=%s: %s' % (p, v, ename(e)) for p, v in changes
                for e in [put(os.path.join(d, p), v)] if e]
    with Watchdog('enabled=Y of ' + mod):
        err = put(d + '/enabled', 'Y')
    problems += check_outcome(exp, err)
    state = mod_state(mod)
    if exp[0] == 'silent':
        silent('%s enabled=Y with %s' % (mod, desc), outcome(err))
    if err and state != (b'N', -1):
        problems.append('refused, but enabled %s pid %s' % state)
    if exp[0] == 'accepted' and state[0] != b'Y':
        problems.append('accepted, but enabled reads %s' % state[0])
    put(d + '/enabled', 'N')
    for p, v in old.items():
        put(os.path.join(d, p), v)
    report('module: %s: enabled=Y with %s: %s' % (mod, desc, label(exp)),
           problems)


def running_module_tests(mods):
    for mod in mods:
        d = param_dir(mod)
        # watermarks are checked (and a damon_call() served) every 0.1 s
        # instead of every 5 s while the scheme is inactive
        put(d + '/wmarks_interval', 100000)
        for desc, which, changes, exp in RUN_CASES:
            if mod in which:
                start_case(mod, desc, changes, exp)
        err = put(d + '/enabled', 'Y')
        pid0 = mod_state(mod)[1]
        for desc, which, changes, exp in RUN_CASES:
            if mod not in which:
                continue
            if err:
                report('module: %s: commit_inputs with %s: %s' %
                       (mod, desc, label(exp)),
                       ['%s does not start: %s' % (mod, ename(err))])
                continue
            if mod_state(mod) != (b'Y', pid0):
                err = put(d + '/enabled', 'Y')
                pid0 = mod_state(mod)[1]
            run_case(mod, desc, changes, exp, pid0)
        put(d + '/enabled', 'N')


# ------------------------------------------------------------ main

def count_plan(targets, mods, nr_mod_targets):
    n = 3 + len(targets) + 1 + len(mods)
    n += 2 * (4 * len(STATE_CMDS) + 1)
    n += len(CASES) + len([c for c in CASES if c[4] is not None])
    n += nr_mod_targets
    n += 2 * sum(1 for m in mods if m in BOTH for c in RUN_CASES
                 if m in c[1])
    return n + 2


def restore(mods, saved, stat_was):
    """Leave DAMON as found; return problems."""
    problems = []
    damon_reset()
    for mod in mods:
        put(param_dir(mod) + '/enabled', 'N')
        for p, v in saved.items():
            if p.startswith(param_dir(mod)) and not p.endswith(
                    ('/enabled', '/commit_inputs')):
                err = put(p, v.decode())
                if err or read(p) != v:
                    problems.append('%s back to %r: %s' % (p, v, ename(err)))
    if stat_was == b'Y':
        err = put(param_dir('damon_stat') + '/enabled', 'Y')
        if err:
            problems.append('damon_stat enabled again: %s' % ename(err))
    return problems


def main():
    global kmsg
    ksft.print_header()
    if os.geteuid() != 0:
        skip_all('must be run as root')
    if not os.path.isdir(KDS):
        skip_all('no DAMON sysfs interface')
    kmsg = Kmsg()
    mods = [m for m in MODULES if os.path.isdir(param_dir(m))]
    saved = {p: read(p) for m in mods for p in writable(params(m))}
    stat_was = saved.get(param_dir('damon_stat') + '/enabled')
    if stat_was == b'Y':
        put(param_dir('damon_stat') + '/enabled', 'N')
    for m in mods:
        if read(param_dir(m) + '/enabled') != b'N':
            if stat_was == b'Y':
                put(param_dir('damon_stat') + '/enabled', 'Y')
            skip_all('%s runs' % m)

    if not stage_one_of_each():
        print('Bail out! cannot stage the tree')
        sys.exit(ksft.KSFT_FAIL)
    files = walk(KDS)[0]
    targets = sysfs_targets(files)
    nr_mod = sum(len(writable(params(m))) for m in mods)
    ksft.set_plan(count_plan(targets, mods, nr_mod))
    progress('staged and walked: %d files, %d writable' % (len(files),
                                                           len(targets)))

    Env.victim = subprocess.Popen(['sleep', '1000'])
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    Env.dead_pid = child
    Env.ram = biggest_ram()
    try:
        check_files(files, [p for m in mods for p in params(m)])
        fuzz_tree(targets)
        stage_one_of_each()
        files = walk(KDS)[0]
        nobody_test('sysfs', writable(files), files)
        for m in mods:
            nobody_test(m, writable(params(m)), params(m))
        for ops in ('vaddr', 'paddr'):
            commands_test(ops)
        progress('state commands done')
        config_tests()
        progress('bad configurations done')
        damon_reset()
        fuzz_modules(mods)
        running_module_tests([m for m in mods if m in BOTH])
        progress('modules done')
    finally:
        problems = restore(mods, saved, stat_was)
        Env.victim.kill()
        Env.victim.wait()
    progress('restored')
    report('DAMON left as found', problems)
    ksft.test_result(not kmsg.all, 'no kernel splat during the test (%d)' %
                     len(kmsg.all))
    ksft.finished()


if __name__ == '__main__':
    main()

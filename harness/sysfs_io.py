# SPDX-License-Identifier: GPL-2.0
"""sysfs_io.py - reading and writing DAMON's sysfs files, for the demo
(harness/demo/report.py) and the benchmark (bench/guest.py).

The kselftests keep their own copy in tools/testing/selftests/damon/
_common.py: they are installed and run on their own, without this tree.
"""


def wr(path, val):
    """Write @val to @path; an error names the file and the value."""
    try:
        with open(path, "w") as f:
            f.write(str(val))
    except OSError as e:
        raise RuntimeError("writing %r to %s: %s" % (val, path, e.strerror)) from e


def rd(path):
    """The content of @path, without surrounding whitespace."""
    with open(path) as f:
        return f.read().strip()

# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by the Python tests of this directory (the shell tests
have _common.sh)."""

import os

KSFT_PASS, KSFT_FAIL, KSFT_SKIP = 0, 1, 4
PAGE = os.sysconf('SC_PAGE_SIZE')


def write(path, val):
    with open(path, 'w') as f:
        f.write('%s\n' % val)


def read(path):
    with open(path) as f:
        return f.read().strip()

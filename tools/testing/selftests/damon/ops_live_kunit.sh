#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the live KUnit test of DAMON's vaddr/fvaddr operation sets
# (mm/damon/tests/vaddr_live_kunit.c) in a booted kernel: it needs user
# space, so it skips when the built-in suites run at boot.
#
# Usage: ops_live_kunit.sh [/path/to/ops_hot_cold]   (default: next to it)
# Exit: 0 pass, 1 fail, 4 skip (kselftest convention).
ksft_skip=4
set -- "${1:-$(dirname "$(readlink -f "$0")")/ops_hot_cold}"
suite=damon_vaddr_live
param=/sys/module/vaddr_live_kunit/parameters/workload

[ -x "$1" ] || { echo "usage: $0 /path/to/ops_hot_cold"; exit $ksft_skip; }
mountpoint -q /sys/kernel/debug ||
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ ! -w "$param" ] || [ ! -e /sys/kernel/debug/kunit/$suite/run ]; then
	echo "# SKIP: $suite not built in, or no KUnit debugfs"
	exit $ksft_skip
fi

printf %s "$1" > "$param" || exit 1
echo 1 > /sys/kernel/debug/kunit/$suite/run
cat /sys/kernel/debug/kunit/$suite/results
grep -q "^ok .* $suite\$" /sys/kernel/debug/kunit/$suite/results

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the live KUnit test of DAMON's vaddr/fvaddr operation sets
# (mm/damon/tests/vaddr_live_kunit.c) in a booted kernel: it needs user
# space, so it skips when the built-in suites run at boot.  The suite's own
# KTAP is printed as diagnostics; the test passes if the suite does.
#
# Argument: the path of ops_hot_cold (default: next to this file).

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

workload=${1:-$DIR/ops_hot_cold}
suite=damon_vaddr_live
param=/sys/module/vaddr_live_kunit/parameters/workload

[ -x "$workload" ] || damon_skip_all "no workload $workload"
dbgfs=$(damon_debugfs_dir)
if [ ! -w "$param" ] || [ -z "$dbgfs" ] ||
   [ ! -e "$dbgfs/kunit/$suite/run" ]; then
	damon_skip_all "$suite not built in, or no KUnit debugfs"
fi
ktap_set_plan 1

suite_passed() {
	grep -q "^ok .* $suite\$" "$dbgfs/kunit/$suite/results"
}

printf %s "$workload" > "$param" ||
	ktap_exit_fail_msg "cannot set $param"
echo 1 > "$dbgfs/kunit/$suite/run"
sed 's/^/# /' "$dbgfs/kunit/$suite/results"
ktap_test_result "the $suite KUnit suite passes" suite_passed
ktap_finished

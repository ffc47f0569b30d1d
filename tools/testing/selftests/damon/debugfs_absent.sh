#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debugfs interface of DAMON was removed upstream and damo detects it by
# the mere presence of <debugfs>/damon, so we must never create it.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

damon_require_root
ktap_set_plan 1

dbgfs=$(damon_debugfs_dir)
if [ -z "$dbgfs" ]; then
	ktap_test_skip "debugfs has no damon directory (debugfs unavailable)"
elif [ -e "$dbgfs/damon" ]; then
	ktap_test_fail "debugfs has no damon directory ($dbgfs/damon exists)"
else
	ktap_test_pass "debugfs has no damon directory"
fi
ktap_finished

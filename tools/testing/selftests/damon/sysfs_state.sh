#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kdamond "state" commands of the DAMON sysfs interface: on, off, commit,
# the update_* commands, what is refused while running, and a monitored
# process that exits.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

EINVAL="Invalid argument"
EBUSY="Device or resource busy"

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0

# Stage a vaddr kdamond monitoring process $1 with one "stat" scheme that
# matches every region.
stage() {
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" &&
	echo 1 > "$K/contexts/nr_contexts" &&
	echo vaddr > "$C/operations" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo "$1" > "$C/targets/0/pid_target" &&
	echo 1 > "$C/schemes/nr_schemes" &&
	echo 18446744073709551615 > "$S/access_pattern/sz/max" &&
	echo 18446744073709551615 > "$S/access_pattern/nr_accesses/max" &&
	echo 18446744073709551615 > "$S/access_pattern/age/max"
}

expect_cmd() {
	if damon_write "$K/state" "$2"; then
		ktap_test_pass "$1"
	else
		ktap_test_fail "$1 ($DAMON_ERR)"
	fi
}

damon_begin vaddr
ktap_set_plan 24

damon_expect_fail "off before any on is refused" "$K/state" off "$EINVAL"
damon_expect_fail "commit while off is refused" "$K/state" commit "$EINVAL"
damon_expect_fail "update_schemes_stats while off is refused" "$K/state" \
	update_schemes_stats "$EINVAL"

sleep 1000 &
victim=$!
stage $victim
echo 99999999 > "$C/targets/0/pid_target"
damon_expect_fail "on with a missing pid is refused" "$K/state" on "$EINVAL"
echo $victim > "$C/targets/0/pid_target"
echo 2 > "$C/monitoring_attrs/nr_regions/min"
damon_expect_fail "on with min nr_regions < 3 is refused" "$K/state" on \
	"$EINVAL"
echo 10 > "$C/monitoring_attrs/nr_regions/min"

expect_cmd "on starts the kdamond" on
damon_expect_read "state reads on" "$K/state" on
pid=$(cat "$K/pid")
ktap_test_result "pid is a kdamond thread" \
	grep -q '^kdamond\.' "/proc/$pid/comm"
damon_expect_fail "on while running is refused" "$K/state" on "$EBUSY"
damon_expect_fail "nr_kdamonds while running is refused" \
	"$DAMON_ADMIN/kdamonds/nr_kdamonds" 0 "$EBUSY"

echo 10000 > "$C/monitoring_attrs/intervals/sample_us"
echo 200000 > "$C/monitoring_attrs/intervals/aggr_us"
expect_cmd "commit applies new intervals" commit
expect_cmd "update_tuned_intervals" update_tuned_intervals
damon_expect_read "tuned sample interval is the committed one" \
	"$C/monitoring_attrs/intervals/sample_us" 10000
echo 1 > "$C/monitoring_attrs/intervals/aggr_us"
damon_expect_fail "commit of invalid intervals is refused" "$K/state" \
	commit "$EINVAL"
echo 200000 > "$C/monitoring_attrs/intervals/aggr_us"
damon_expect_read "a refused commit leaves the kdamond running" "$K/state" on

sleep 1
expect_cmd "update_schemes_stats" update_schemes_stats
expect_cmd "update_schemes_tried_regions" update_schemes_tried_regions
nr=$(ls -d "$S"/tried_regions/[0-9]* 2>/dev/null | wc -l)
total=$(cat "$S/tried_regions/total_bytes")
ktap_test_result "tried regions and total_bytes are filled" \
	[ "$nr" -gt 0 -a "$total" -gt 0 ]
expect_cmd "clear_schemes_tried_regions" clear_schemes_tried_regions
ktap_test_result "tried regions are cleared" [ ! -e "$S/tried_regions/0" ]
expect_cmd "update_schemes_effective_quotas" update_schemes_effective_quotas

kill $victim
wait $victim 2>/dev/null
for i in $(seq 50); do
	[ "$(cat "$K/state")" = off ] && break
	sleep 0.2
done
damon_expect_read "the kdamond stops when its target exits" "$K/state" off
damon_expect_read "pid of a stopped kdamond is -1" "$K/pid" -1
expect_cmd "off of a stopped kdamond succeeds" off

damon_reset
ktap_finished

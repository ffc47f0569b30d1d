#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the DAMOS engine does regardless of the action, checked on a running
# kdamond with "stat" schemes (which apply to nothing, but are charged and
# counted like any other action): a size quota caps what is applied, a
# scheme whose watermarks are out of band does nothing, and an address
# filter keeps its range out of the tried regions.
#
# The schemes match every region, so nothing here depends on how well
# accesses are detected.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
HOT_ADDR=$((0x600000000000))
RANGE_SZ=$((8 << 20))
ULONG_MAX=18446744073709551615
QUOTA=$((1 << 20))
RESET_MS=1000

# scheme IDX: a stat scheme matching every region.
scheme() {
	local s=$C/schemes/$1
	echo stat > "$s/action"
	echo $ULONG_MAX > "$s/access_pattern/sz/max"
	echo $ULONG_MAX > "$s/access_pattern/nr_accesses/max"
	echo $ULONG_MAX > "$s/access_pattern/age/max"
}

# watermarks IDX HIGH MID LOW: free memory rate watermarks, per thousand.
watermarks() {
	local w=$C/schemes/$1/watermarks
	echo free_mem_rate > "$w/metric"
	echo 100000 > "$w/interval_us"
	echo "$2" > "$w/high"
	echo "$3" > "$w/mid"
	echo "$4" > "$w/low"
}

stat_of() { cat "$C/schemes/$1/stats/$2"; }

# Scheme 0: quota.  1: watermarks never satisfied.  2: watermarks always
# satisfied.  3: an address filter rejecting the hot range.
stage() {
	local f=$C/schemes/3/core_filters/0

	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds"
	echo 1 > "$K/contexts/nr_contexts"
	echo vaddr > "$C/operations"
	echo 1 > "$C/targets/nr_targets"
	echo "$1" > "$C/targets/0/pid_target"
	echo 4 > "$C/schemes/nr_schemes"
	for i in 0 1 2 3; do scheme $i; done
	echo $QUOTA > "$C/schemes/0/quotas/bytes"
	echo $RESET_MS > "$C/schemes/0/quotas/reset_interval_ms"
	# The guest always has more than 1% free memory.
	watermarks 1 10 5 1
	# Active while free memory is below 99.9%: always.
	watermarks 2 1000 999 0
	echo 1 > "$C/schemes/3/core_filters/nr_filters"
	echo addr > "$f/type"
	echo Y > "$f/matching"
	echo N > "$f/allow"
	echo $HOT_ADDR > "$f/addr_start"
	echo $((HOT_ADDR + RANGE_SZ)) > "$f/addr_end"
}

# overlap IDX: bytes of scheme IDX's tried regions inside the hot range.
overlap() {
	local d sum=0 s e
	for d in "$C/schemes/$1/tried_regions"/[0-9]*; do
		[ -d "$d" ] || continue
		s=$(cat "$d/start")
		e=$(cat "$d/end")
		[ "$s" -lt $HOT_ADDR ] && s=$HOT_ADDR
		[ "$e" -gt $((HOT_ADDR + RANGE_SZ)) ] && e=$((HOT_ADDR + RANGE_SZ))
		[ "$e" -gt "$s" ] && sum=$((sum + e - s))
	done
	echo $sum
}

damon_begin vaddr
ktap_set_plan 8

"$DIR/ops_hot_cold" 60 &
workload=$!
trap 'kill $workload 2>/dev/null; damon_reset' EXIT
sleep 1
stage $workload
if ! damon_write "$K/state" on; then
	ktap_test_fail "kdamond starts ($DAMON_ERR)"
	ktap_exit_fail_msg "cannot go on without a kdamond"
fi
ktap_test_pass "kdamond starts"

# Let the quota window in which stats are first read pass, then measure
# over whole windows.
sleep 2
echo update_schemes_stats > "$K/state"
t0=$(date +%s%N)
a0=$(stat_of 0 sz_applied)
sleep 4
echo update_schemes_stats > "$K/state"
t1=$(date +%s%N)
a1=$(stat_of 0 sz_applied)
windows=$(( (t1 - t0) / (RESET_MS * 1000000) + 2 ))
applied=$((a1 - a0))
ktap_print_msg "quota: $applied bytes applied in" \
	"$(( (t1 - t0) / 1000000 )) ms, bound $((windows * QUOTA))"
ktap_test_result "the quota lets some bytes through" [ "$applied" -gt 0 ]
ktap_test_result "the size quota caps sz_applied" \
	[ "$applied" -le $((windows * QUOTA)) ]
ktap_test_result "the quota is reported exceeded" \
	[ "$(stat_of 0 qt_exceeds)" -gt 0 ]
echo update_schemes_effective_quotas > "$K/state"
damon_expect_read "effective_bytes is the size quota" \
	"$C/schemes/0/quotas/effective_bytes" $QUOTA

ktap_test_result "out-of-band watermarks keep a scheme from trying" \
	[ "$(stat_of 1 nr_tried)" -eq 0 ]
ktap_test_result "in-band watermarks let a scheme try" \
	[ "$(stat_of 2 nr_tried)" -gt 0 ]

echo update_schemes_tried_regions > "$K/state"
in2=$(overlap 2)
in3=$(overlap 3)
ktap_print_msg "tried bytes in the filtered range: $in2 without filter, $in3 with"
ktap_test_result "an addr filter keeps its range out of the tried regions" \
	[ "$in2" -eq $RANGE_SZ -a "$in3" -eq 0 ]

echo off > "$K/state"
kill $workload
wait $workload 2>/dev/null
trap - EXIT
damon_reset
ktap_finished

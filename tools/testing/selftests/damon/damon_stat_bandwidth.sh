#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DAMON_STAT's estimated_memory_bandwidth follows a workload of known
# bandwidth: touch_rate writes every page of 64 MiB four times a second
# (256 MiB/s of pages).  Once the intervals have tuned themselves (about
# 20 s here), the median of five readings must be within a factor of
# FACTOR of that.  Measured in the TCG test guest: single readings 0.8x to
# 1.3x once tuned (see Documentation/admin-guide/mm/damon/stat.rst);
# readings during the first 20 s are lower, and with a slow workload a
# single reading can be 0 because only a few big regions are sampled.
# Also: no memory can have been idle for longer than DAMON_STAT has run,
# however its intervals were tuned meanwhile.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

P=/sys/module/damon_stat/parameters
MIB=64
PASSES=4
FACTOR=2

damon_require_root
if [ ! -d "$P" ]; then
	damon_skip_all "DAMON_STAT is not built in"
fi
if pgrep -x 'kdamond\..*' >/dev/null; then
	damon_skip_all "a kdamond is already running"
fi
ktap_set_plan 4

"$DIR/touch_rate" $MIB $PASSES 60 &
workload=$!
trap 'kill $workload 2>/dev/null; echo N > $P/enabled' EXIT
start=$(date +%s%N)
echo Y > $P/enabled
damon_expect_read "damon_stat starts" $P/enabled Y

sleep 20
readings=()
for i in 1 2 3 4 5; do
	sleep 5
	readings+=("$(cat $P/estimated_memory_bandwidth)")
done
median=$(printf '%s\n' "${readings[@]}" | sort -n | sed -n 3p)
want=$((MIB * 1048576 * PASSES))
ktap_print_msg "readings ${readings[*]}; median $median, true $want B/s"
ktap_test_result "median estimate is at least 1/$FACTOR of the true bandwidth" \
	[ "$median" -ge $((want / FACTOR)) ]
ktap_test_result "median estimate is at most $FACTOR times the true bandwidth" \
	[ "$median" -le $((want * FACTOR)) ]

ran_ms=$(( ($(date +%s%N) - start) / 1000000 ))
idlest=$(cut -d, -f101 $P/memory_idle_ms_percentiles)
ktap_print_msg "ran $ran_ms ms; the idlest memory was idle for $idlest ms"
ktap_test_result "no memory idle for longer than DAMON_STAT has run" \
	[ "$idlest" -le "$ran_ms" ]

kill $workload
wait $workload 2>/dev/null
echo N > $P/enabled
trap - EXIT
ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DAMON_STAT's estimated_memory_bandwidth follows a workload of known
# bandwidth: touch_rate writes every page of 64 MiB four times a second
# (256 MiB/s of pages).  Once the intervals have tuned themselves (about
# 20 s here), the median of five readings must be within a factor of
# FACTOR of that.  Measured in the TCG test guest (6 runs, 30 readings
# 25 s to 45 s after the start): 0.71x to 1.46x, medians 0.82x to 1.04x
# (see Documentation/admin-guide/mm/damon/stat.rst).  A reading averages
# the aggregation intervals of the last ~5 s; the single intervals it is
# made of range from 0 to 3.3x, so a reading of one interval alone would
# not hold this bound.
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

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The damon:* tracepoints are ABI: perf, trace-cmd and damo parse their text
# output by field position and read the binary layout from the format file.
# Check that every event exists with the exact print format and field order.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

damon_require_root

tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
if [ -z "$tracefs" ] && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
	tracefs=/sys/kernel/tracing
fi
if [ -z "$tracefs" ]; then
	damon_skip_all "tracefs is not available"
fi

# event|print format|fields in declaration order (type:name,...)
EVENTS=(
"damon_aggregated|\
\"target_id=%lu nr_regions=%u %lu-%lu: %u %u\"|\
unsigned long:target_id,unsigned int:nr_regions,\
unsigned long:start,unsigned long:end,\
unsigned int:nr_accesses,unsigned int:age"
"damon_region_aggregated|\
\"target_id=%lu nr_regions=%u %lu-%lu: %u %u probe_hits=%s\"|\
unsigned long:target_id,unsigned long:start,unsigned long:end,\
unsigned int:nr_regions,unsigned int:nr_accesses,unsigned int:age,\
__data_loc unsigned char[]:probe_hits"
"damos_before_apply|\
\"ctx_idx=%u scheme_idx=%u target_idx=%lu nr_regions=%u %lu-%lu: %u %u\"|\
unsigned int:context_idx,unsigned int:scheme_idx,\
unsigned long:target_idx,unsigned long:start,unsigned long:end,\
unsigned int:nr_accesses,unsigned int:age,unsigned int:nr_regions"
"damon_monitor_intervals_tune|\"sample_us=%lu\"|unsigned long:sample_us"
"damos_esz|\"ctx_idx=%u scheme_idx=%u esz=%lu\"|\
unsigned int:context_idx,unsigned int:scheme_idx,unsigned long:esz"
"damos_stat_after_apply_interval|\
\"ctx_idx=%u scheme_idx=%u nr_tried=%lu sz_tried=%lu \
nr_applied=%lu sz_applied=%lu sz_ops_filter_passed=%lu \
qt_exceeds=%lu nr_snapshots=%lu\"|\
unsigned int:context_idx,unsigned int:scheme_idx,\
unsigned long:nr_tried,unsigned long:sz_tried,\
unsigned long:nr_applied,unsigned long:sz_applied,\
unsigned long:sz_ops_filter_passed,unsigned long:qt_exceeds,\
unsigned long:nr_snapshots"
)

ktap_set_plan $(( ${#EVENTS[@]} * 3 ))

for e in "${EVENTS[@]}"; do
	IFS='|' read -r name fmt fields <<< "$e"
	f=$tracefs/events/damon/$name/format

	if grep -qx "damon:$name" "$tracefs/available_events"; then
		ktap_test_pass "$name is in available_events"
	else
		ktap_test_fail "$name is in available_events"
	fi

	got=$(sed -n 's/^print fmt: \("[^"]*"\).*/\1/p' "$f" 2>/dev/null)
	if [ "$got" = "$fmt" ]; then
		ktap_test_pass "$name print format"
	else
		ktap_print_msg "want $fmt"
		ktap_print_msg "got  $got"
		ktap_test_fail "$name print format"
	fi

	got=$(grep -E '^\s*field:' "$f" 2>/dev/null | grep -v 'common_' |
	      sed -E 's/^\s*field:(.*) ([a-z_]+);.*/\1:\2/' | paste -sd, -)
	if [ "$got" = "$fields" ]; then
		ktap_test_pass "$name fields"
	else
		ktap_print_msg "want $fields"
		ktap_print_msg "got  $got"
		ktap_test_fail "$name fields"
	fi
done
ktap_finished

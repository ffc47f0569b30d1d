#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# migrate_hot and migrate_cold of the vaddr operation set, through sysfs:
# a workload's buffer, allocated on node 0, moves to target_nid 1 and back
# to node 0 as the one entry of dests/.
#
# Argument: the path of damos_paddr_workload (default: next to this file).

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

WORKLOAD=${1:-$DIR/damos_paddr_workload}
MIB=16
BUF_PAGES=$(((MIB << 20) / $(getconf PAGESIZE)))
K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0

wl_pid=
wl_out=

cleanup() {
	damon_reset 2>/dev/null
	[ -n "$wl_pid" ] && kill "$wl_pid" 2>/dev/null && wait "$wl_pid" 2>/dev/null
	damon_numa_balancing_restore
	rm -f "$wl_out"
}
trap cleanup EXIT


mostly_on_node() { [ $(($(damon_wl_node_pages "$1") * 100)) -ge $((BUF_PAGES * 90)) ]; }

# stage ACTION: a vaddr kdamond on the workload, one scheme matching all.
stage() {
	damon_reset
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" &&
	echo 1 > "$K/contexts/nr_contexts" &&
	echo vaddr > "$C/operations" &&
	echo 5000 > "$C/monitoring_attrs/intervals/sample_us" &&
	echo 100000 > "$C/monitoring_attrs/intervals/aggr_us" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo "$wl_pid" > "$C/targets/0/pid_target" &&
	echo 1 > "$C/schemes/nr_schemes" &&
	echo "$1" > "$S/action" &&
	echo "$U64_MAX" > "$S/access_pattern/sz/max" &&
	echo "$U64_MAX" > "$S/access_pattern/nr_accesses/max" &&
	echo "$U64_MAX" > "$S/access_pattern/age/max"
}

# run_until SECONDS COMMAND...: turn DAMON on, wait for COMMAND, turn off.
run_until() {
	local t=$1 rc

	shift
	if ! damon_write "$K/state" on; then
		echo "# kdamond did not start: $DAMON_ERR"
		return 1
	fi
	damon_wait_for "$t" "$@"
	rc=$?
	echo "# sz_applied $(echo update_schemes_stats > "$K/state";
			     cat "$S/stats/sz_applied")"
	damon_reset
	return $rc
}

damon_begin vaddr
if [ ! -x "$WORKLOAD" ] || [ ! -d /sys/devices/system/node/node1 ]; then
	damon_skip_all "no workload binary or only one NUMA node"
fi
damon_numa_balancing_off
wl_out=$(mktemp)
"$WORKLOAD" "$MIB" 0 > "$wl_out" &
wl_pid=$!
if ! damon_wait_for 60 grep -q '^range' "$wl_out" || ! mostly_on_node 0; then
	damon_skip_all "the workload did not start on node 0"
fi

ktap_set_plan 2
stage migrate_cold && echo 1 > "$S/target_nid"
ktap_test_result "migrate_cold moves the buffer to target_nid 1" \
	run_until 60 mostly_on_node 1
stage migrate_hot && echo 1 > "$S/dests/nr_dests" &&
	echo 0 > "$S/dests/0/id" && echo 1 > "$S/dests/0/weight"
ktap_test_result "migrate_hot moves the buffer to the one dest, node 0" \
	run_until 60 mostly_on_node 0
ktap_finished

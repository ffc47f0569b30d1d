#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DAMOS actions and ops-layer filters of the paddr operation set, driven
# through sysfs only.  A workload (damos_paddr_workload) fills a buffer on
# node 0 from inside its own memory cgroup; DAMON monitors the physical
# range holding the buffer with every region matching, and a memcg ops
# filter keeps the actions on the workload's pages.  Checked: pageout (to
# zram swap), lru_deprio and lru_prio, migrate_cold to target_nid,
# migrate_hot to one dest and migrate_cold to two weighted dests, filters
# that exclude the workload (memcg reject, anon with matching N), the young
# filter clearing what it checks, and sz_ops_filter_passed.
#
# Argument: the path of damos_paddr_workload (default: next to this file).

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

WORKLOAD=${1:-$DIR/damos_paddr_workload}
MIB=32
BUF_BYTES=$((MIB << 20))
PAGE=$(getconf PAGESIZE)
BUF_PAGES=$((BUF_BYTES / PAGE))
CG=/sys/fs/cgroup/damos_paddr_actions
MEMCG_PATH=/damos_paddr_actions
K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0

wl_pid=
wl_out=

cleanup() {
	damon_reset 2>/dev/null
	[ -n "$wl_pid" ] && kill "$wl_pid" 2>/dev/null && wait "$wl_pid" 2>/dev/null
	damon_zram_swap_off 2>/dev/null
	[ -d "$CG" ] && rmdir "$CG" 2>/dev/null
	damon_numa_balancing_restore
	rm -f "$wl_out"
}
trap cleanup EXIT

# ----- the workload -----

start_workload() {
	wl_out=$(mktemp)
	# a subshell moves itself into the cgroup, then becomes the workload
	( echo "$BASHPID" > "$CG/cgroup.procs" &&
	  exec "$WORKLOAD" "$MIB" 0 ) > "$wl_out" &
	wl_pid=$!
	damon_wait_for 60 grep -q '^range' "$wl_out"
}

# The last reported physical range: "LO HI".
wl_range() { awk '$1 == "range" { r = $2 " " $3 } END { print r }' "$wl_out"; }

# Ask the workload for a fresh range (its pages may have moved).
refresh_range() {
	local n

	n=$(grep -c '^range' "$wl_out")
	kill -USR1 "$wl_pid"
	damon_wait_for 30 test "$(grep -c '^range' "$wl_out")" -gt "$n"
}

touch_buffer() {
	local n

	n=$(grep -c '^touched' "$wl_out")
	kill -USR2 "$wl_pid"
	damon_wait_for 30 test "$(grep -c '^touched' "$wl_out")" -gt "$n"
}

rss_anon_kb() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$wl_pid/status"; }
memcg_stat() { awk -v k="$1" '$1 == k { print $2 }' "$CG/memory.stat"; }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# ----- DAMON -----

# stage ACTION: a paddr kdamond over the workload's physical range with one
# scheme of ACTION matching every region, and no filter yet.
stage() {
	local range

	damon_reset
	range=$(wl_range)
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" &&
	echo 1 > "$K/contexts/nr_contexts" &&
	echo paddr > "$C/operations" &&
	echo 5000 > "$C/monitoring_attrs/intervals/sample_us" &&
	echo 100000 > "$C/monitoring_attrs/intervals/aggr_us" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo 1 > "$C/targets/0/regions/nr_regions" &&
	echo "${range% *}" > "$C/targets/0/regions/0/start" &&
	echo "${range#* }" > "$C/targets/0/regions/0/end" &&
	echo 1 > "$C/schemes/nr_schemes" &&
	echo "$1" > "$S/action" &&
	echo "$U64_MAX" > "$S/access_pattern/sz/max" &&
	echo "$U64_MAX" > "$S/access_pattern/nr_accesses/max" &&
	echo "$U64_MAX" > "$S/access_pattern/age/max"
}

# add_filter TYPE MATCHING ALLOW: append an ops filter (memcg: the workload's).
add_filter() {
	local d=$S/ops_filters n

	n=$(cat "$d/nr_filters")
	echo $((n + 1)) > "$d/nr_filters"
	echo "$1" > "$d/$n/type"
	echo "$2" > "$d/$n/matching"
	echo "$3" > "$d/$n/allow"
	[ "$1" = memcg ] && echo "$MEMCG_PATH" > "$d/$n/memcg_path"
	return 0
}

# Only the workload's memory: reject whatever is not in its cgroup.
only_workload() { add_filter memcg N N; }

damon_on() { damon_write "$K/state" on; }

stat_of() {
	echo update_schemes_stats > "$K/state"
	cat "$S/stats/$1"
}

# run_until SECONDS COMMAND...: turn DAMON on, wait for COMMAND, turn off.
run_until() {
	local t=$1 rc

	shift
	if ! damon_on; then
		echo "# kdamond did not start: $DAMON_ERR"
		return 1
	fi
	damon_wait_for "$t" "$@"
	rc=$?
	damon_reset
	return $rc
}

# Whether at least $2 percent of the buffer's pages satisfy "$1 >= ...".
pct_ge() { [ "$(($1 * 100))" -ge "$(($2 * BUF_PAGES))" ]; }

# between LO and HI inclusive: in_range VALUE LO HI
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

inactive_pages() { echo $(($(memcg_stat inactive_anon) / PAGE)); }
active_pages() { echo $(($(memcg_stat active_anon) / PAGE)); }
# pages of RssAnon the workload lost since it was $1 kB
rss_dropped() { echo $((($1 - $(rss_anon_kb)) * 1024 / PAGE)); }
mostly_inactive() { pct_ge "$(inactive_pages)" 90; }
mostly_active() { pct_ge "$(active_pages)" 90; }
mostly_on_node() { pct_ge "$(damon_wl_node_pages "$1")" 90; }

# ----- the tests -----

test_lru() {
	stage lru_deprio && only_workload
	ktap_test_result "lru_deprio moves the workload to inactive_anon" \
		run_until 30 mostly_inactive
	stage lru_prio && only_workload
	ktap_test_result "lru_prio moves the workload to active_anon" \
		run_until 30 mostly_active
}

# With everything active, filters that exclude the workload keep
# lru_deprio off it for a few seconds.
expect_untouched() {
	local desc=$1

	if ! mostly_active; then
		ktap_test_skip "$desc (workload not active to start with)"
		return
	fi
	if ! damon_on; then
		ktap_test_fail "$desc (kdamond did not start: $DAMON_ERR)"
		return
	fi
	sleep 3
	damon_reset
	ktap_test_result "$desc" mostly_active
}

test_excluding_filters() {
	stage lru_deprio && add_filter memcg Y N
	expect_untouched "memcg filter rejecting the workload's cgroup"
	# anon, matching N, allow: only non-anonymous memory is allowed
	stage lru_deprio && only_workload && add_filter anon N Y
	expect_untouched "anon filter with matching N excludes anonymous memory"
}

# Per apply round a stat scheme passes exactly the workload's memory
# (buffer plus a little stack and libc data that may lie in the range).
test_sz_ops_filter_passed() {
	local p0 n0 p1 n1 per_round

	stage stat && only_workload && add_filter memcg Y Y
	if ! damon_on; then
		ktap_test_fail "sz_ops_filter_passed (no kdamond: $DAMON_ERR)"
		return
	fi
	sleep 1
	echo update_schemes_stats > "$K/state"
	p0=$(cat "$S/stats/sz_ops_filter_passed")
	n0=$(cat "$S/stats/nr_snapshots")
	sleep 2
	echo update_schemes_stats > "$K/state"
	p1=$(cat "$S/stats/sz_ops_filter_passed")
	n1=$(cat "$S/stats/nr_snapshots")
	damon_reset
	if [ "$n1" -le "$n0" ]; then
		ktap_test_fail "sz_ops_filter_passed (no apply round in 2 s)"
		return
	fi
	per_round=$(((p1 - p0) / (n1 - n0)))
	echo "# passed per round: $per_round bytes, buffer $BUF_BYTES"
	ktap_test_result "sz_ops_filter_passed is the workload's size per round" \
		in_range "$per_round" $((BUF_BYTES * 95 / 100)) \
		$((BUF_BYTES * 110 / 100))
}

# The young filter checks and clears: a written buffer is young once, then
# not until the workload writes it again.
test_young_filter() {
	local p0 p1 p2

	stage stat && only_workload && add_filter young Y Y
	touch_buffer
	if ! damon_on; then
		ktap_test_fail "young filter (no kdamond: $DAMON_ERR)"
		return
	fi
	sleep 2
	p0=$(stat_of sz_ops_filter_passed)
	sleep 2
	p1=$(stat_of sz_ops_filter_passed)
	touch_buffer
	sleep 2
	p2=$(stat_of sz_ops_filter_passed)
	damon_reset
	echo "# young bytes passed: first $p0, idle +$((p1 - p0)), touched +$((p2 - p1))"
	ktap_test_result "young filter: a written buffer is young once" \
		[ "$p0" -ge $((BUF_BYTES / 2)) ]
	ktap_test_result "young filter: an idle buffer is not young again" \
		[ $((p1 - p0)) -le $((BUF_BYTES / 10)) ]
	ktap_test_result "young filter: a written buffer is young again" \
		[ $((p2 - p1)) -ge $((BUF_BYTES / 2)) ]
}

test_migrate() {
	if [ ! -d /sys/devices/system/node/node1 ]; then
		ktap_test_skip "migrate_cold to target_nid (one NUMA node)"
		ktap_test_skip "migrate_hot to dests (one NUMA node)"
		ktap_test_skip "migrate_cold to weighted dests (one NUMA node)"
		return
	fi
	if ! mostly_on_node 0; then
		ktap_test_skip "migrate_cold to target_nid (buffer not on node 0)"
		ktap_test_skip "migrate_hot to dests (buffer not on node 0)"
		ktap_test_skip "migrate_cold to weighted dests (buffer not on node 0)"
		return
	fi
	stage migrate_cold && only_workload && echo 1 > "$S/target_nid"
	ktap_test_result "migrate_cold moves the buffer to target_nid 1" \
		run_until 60 mostly_on_node 1
	refresh_range
	stage migrate_hot && only_workload &&
		echo 1 > "$S/dests/nr_dests" &&
		echo 0 > "$S/dests/0/id" &&
		echo 1 > "$S/dests/0/weight"
	ktap_test_result "migrate_hot moves the buffer to the one dest, node 0" \
		run_until 60 mostly_on_node 0
	refresh_range
	# equal weights: each node gets about half of what moves
	stage migrate_cold && only_workload &&
		echo 2 > "$S/dests/nr_dests" &&
		echo 0 > "$S/dests/0/id" && echo 1 > "$S/dests/0/weight" &&
		echo 1 > "$S/dests/1/id" && echo 1 > "$S/dests/1/weight"
	run_until 30 half_on_node_1
	echo "# after weighted migration: N0=$(damon_wl_node_pages 0) N1=$(damon_wl_node_pages 1)"
	ktap_test_result "migrate_cold splits the buffer between equal dests" \
		half_on_node_1
	refresh_range
}

# Between 35% and 65% of the buffer on node 1.
half_on_node_1() {
	in_range $(($(damon_wl_node_pages 1) * 100 / BUF_PAGES)) 35 65
}

pageout_done() { pct_ge "$(rss_dropped "$1")" 90; }

test_pageout() {
	local rss0 out0

	if ! command -v mkswap > /dev/null || ! damon_zram_swap_on 256M; then
		ktap_test_skip "pageout reclaims the workload (no zram swap)"
		ktap_test_skip "pageout writes the workload to swap"
		return
	fi
	rss0=$(rss_anon_kb)
	out0=$(vmstat pswpout)
	stage pageout && only_workload
	run_until 60 pageout_done "$rss0"
	echo "# RssAnon ${rss0} kB -> $(rss_anon_kb) kB, pswpout +$(($(vmstat pswpout) - out0))"
	ktap_test_result "pageout reclaims the workload" \
		pageout_done "$rss0"
	ktap_test_result "pageout writes the workload to swap" \
		pct_ge $(($(vmstat pswpout) - out0)) 90
}

damon_begin paddr
if [ ! -x "$WORKLOAD" ] || [ ! -e /sys/fs/cgroup/cgroup.subtree_control ]; then
	damon_skip_all "no workload binary or no cgroup v2"
fi
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$CG"
damon_numa_balancing_off
if ! start_workload; then
	damon_skip_all "the workload did not start: $(cat "$wl_out")"
fi
echo "# workload $wl_pid: buffer at $(damon_wl_buf_addr), physical range $(wl_range)"

ktap_set_plan 13
test_lru
test_excluding_filters
test_sz_ops_filter_passed
test_young_filter
test_migrate
test_pageout
ktap_finished

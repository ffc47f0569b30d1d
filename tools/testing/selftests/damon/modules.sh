#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DAMON modules' parameters: defaults, round trips, rejected values,
# enabling and disabling at run time, commit_inputs on a running instance,
# exclusivity between the modules (and the sysfs interface), and DAMON_STAT's
# outputs.  Leaves every module disabled and every parameter at its default.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

damon_require_root

MODS="damon_reclaim damon_lru_sort damon_stat"
for m in $MODS; do
	if [ ! -d "/sys/module/$m/parameters" ]; then
		damon_skip_all "$m is not built in"
	fi
done
if pgrep -x 'kdamond\..*' >/dev/null; then
	damon_skip_all "a kdamond is already running"
fi

RECLAIM_DEFAULTS="min_age=120000000 quota_ms=10 quota_sz=134217728
quota_reset_interval_ms=1000 quota_mem_pressure_us=0
quota_autotune_feedback=0 wmarks_interval=5000000 wmarks_high=500
wmarks_mid=400 wmarks_low=200 sample_interval=5000 aggr_interval=100000
min_nr_regions=10 max_nr_regions=1000 monitor_region_start=0
monitor_region_end=0 addr_unit=1 skip_anon=N enabled=N commit_inputs=N
kdamond_pid=-1 nr_reclaim_tried_regions=0 bytes_reclaim_tried_regions=0
nr_reclaimed_regions=0 bytes_reclaimed_regions=0 nr_quota_exceeds=0"

LRU_SORT_DEFAULTS="active_mem_bp=0 autotune_monitoring_intervals=N
filter_young_pages=N hot_thres_access_freq=500 cold_min_age=120000000
quota_ms=10 quota_reset_interval_ms=1000 wmarks_interval=5000000
wmarks_high=200 wmarks_mid=150 wmarks_low=50 sample_interval=5000
aggr_interval=100000 min_nr_regions=10 max_nr_regions=1000
monitor_region_start=0 monitor_region_end=0 addr_unit=1 enabled=N
commit_inputs=N kdamond_pid=-1 nr_lru_sort_tried_hot_regions=0
bytes_lru_sort_tried_hot_regions=0 nr_lru_sorted_hot_regions=0
bytes_lru_sorted_hot_regions=0 nr_hot_quota_exceeds=0
nr_lru_sort_tried_cold_regions=0 bytes_lru_sort_tried_cold_regions=0
nr_lru_sorted_cold_regions=0 bytes_lru_sorted_cold_regions=0
nr_cold_quota_exceeds=0"

STAT_DEFAULTS="enabled=N kdamond_pid=-1 estimated_memory_bandwidth=0
aggr_interval_us=0"

p() { echo "/sys/module/$1/parameters/$2"; }

# wr MODULE PARAM VALUE: write; the error text, if any, is left in $werr.
wr() {
	werr=$( { echo "$3" > "$(p "$1" "$2")"; } 2>&1 )
}

rd() { cat "$(p "$1" "$2")"; }

# expect_err MODULE PARAM VALUE ERRTEXT NAME
expect_err() {
	if wr "$1" "$2" "$3"; then
		ktap_test_fail "$5 (write succeeded)"
	elif [[ $werr == *"$4"* ]]; then
		ktap_test_pass "$5"
	else
		ktap_print_msg "got: $werr"
		ktap_test_fail "$5"
	fi
}

# expect_ok MODULE PARAM VALUE NAME
expect_ok() {
	if wr "$1" "$2" "$3"; then
		ktap_test_pass "$4"
	else
		ktap_print_msg "got: $werr"
		ktap_test_fail "$4"
	fi
}

# expect_eq GOT WANT NAME
expect_eq() {
	if [ "$1" = "$2" ]; then
		ktap_test_pass "$3"
	else
		ktap_print_msg "want '$2', got '$1'"
		ktap_test_fail "$3"
	fi
}

running() { [ "$(rd "$1" enabled)" = Y ]; }

check_defaults() {
	local m=$1 defaults=$2 kv bad=""

	for kv in $defaults; do
		[ "$(rd "$m" "${kv%%=*}")" = "${kv#*=}" ] ||
			bad="$bad ${kv%%=*}=$(rd "$m" "${kv%%=*}")"
	done
	expect_eq "${bad# }" "" "$m: parameters have their defaults"
}

round_trip() {
	local m=$1 kv k v bad=""

	for kv in $2; do
		k=${kv%%=*} v=${kv#*=}
		wr "$m" "$k" 12345 && [ "$(rd "$m" "$k")" = 12345 ] ||
			bad="$bad $k"
		wr "$m" "$k" "$v"
	done
	expect_eq "${bad# }" "" "$m: ulong parameters round trip"
}

# A few writes the parameters must refuse on their own.
bad_writes() {
	local m=$1

	expect_err "$m" enabled maybe "Invalid argument" "$m: enabled=maybe refused"
	[ "$m" = damon_stat ] && return
	expect_err "$m" addr_unit 0 "Invalid argument" "$m: addr_unit=0 refused"
	expect_eq "$(rd "$m" addr_unit)" 1 "$m: addr_unit unchanged"
	expect_err "$m" min_age_typo 1 "" "$m: unknown parameter absent"
}

# bad_start MODULE PARAM VALUE: the module must refuse to start with it.
bad_start() {
	local m=$1 k=$2 v=$3 old

	old=$(rd "$m" "$k")
	wr "$m" "$k" "$v"
	expect_err "$m" enabled Y "Invalid argument" "$m: $k=$v: start refused"
	expect_eq "$(rd "$m" enabled)" N "$m: $k=$v: reads N"
	wr "$m" "$k" "$old"
}

# bad_commit MODULE PARAM VALUE: commit_inputs must refuse it, keep running.
bad_commit() {
	local m=$1 k=$2 v=$3 old

	old=$(rd "$m" "$k")
	wr "$m" "$k" "$v"
	expect_err "$m" commit_inputs Y "Invalid argument" \
		"$m: commit of $k=$v refused"
	running "$m"
	expect_eq $? 0 "$m: still running after refused commit of $k=$v"
	wr "$m" "$k" "$old"
}

# Regions parameters are written back with the chosen default range.
reset_regions() {
	wr "$1" monitor_region_start 0
	wr "$1" monitor_region_end 0
}

run_module() {
	local m=$1 other pid

	bad_start "$m" aggr_interval 0
	bad_start "$m" sample_interval 0
	bad_start "$m" min_nr_regions 2
	bad_start "$m" wmarks_low 450
	wr "$m" monitor_region_start 8192
	bad_start "$m" monitor_region_end 4096
	# a range that holds no System RAM (the guest has a few GiB)
	wr "$m" monitor_region_start $((1 << 46))
	bad_start "$m" monitor_region_end $(((1 << 46) + 4096))
	reset_regions "$m"
	# a minimum region size of 4096 / 3 units is not a power of two
	bad_start "$m" addr_unit 3

	expect_ok "$m" enabled Y "$m: enable"
	expect_eq "$(rd "$m" enabled)" Y "$m: enabled reads Y"
	pid=$(rd "$m" kdamond_pid)
	expect_eq "$(cat "/proc/$pid/comm" 2>/dev/null)" kdamond.0 \
		"$m: kdamond_pid names kdamond.0"
	expect_eq "$(rd "$m" monitor_region_end | grep -cv '^0$')" 1 \
		"$m: default region written back"
	expect_ok "$m" enabled Y "$m: enable again is a no-op"
	expect_eq "$(rd "$m" kdamond_pid)" "$pid" "$m: same kdamond"

	for other in $MODS; do
		[ "$other" = "$m" ] && continue
		expect_err "$other" enabled Y "Device or resource busy" \
			"$other: -EBUSY while $m runs"
		expect_eq "$(rd "$other" enabled)" N "$other: reads N"
	done

	wr "$m" min_nr_regions 20
	expect_ok "$m" commit_inputs Y "$m: commit_inputs"
	expect_eq "$(rd "$m" commit_inputs)" N "$m: commit_inputs reads N"
	expect_eq "$(rd "$m" kdamond_pid)" "$pid" "$m: same kdamond after commit"
	wr "$m" min_nr_regions 10
	bad_commit "$m" aggr_interval 0
	bad_commit "$m" min_nr_regions 2
	bad_commit "$m" wmarks_high 10
	wr "$m" monitor_region_start 8192
	bad_commit "$m" monitor_region_end 4096
	wr "$m" monitor_region_start $((1 << 46))
	bad_commit "$m" monitor_region_end $(((1 << 46) + 4096))
	reset_regions "$m"
	bad_commit "$m" addr_unit 3
	# documented: a zero charge window makes each apply round its own
	wr "$m" quota_reset_interval_ms 0
	expect_ok "$m" commit_inputs Y "$m: quota_reset_interval_ms=0 accepted"
	wr "$m" quota_reset_interval_ms 1000
	if [ "$m" = damon_lru_sort ]; then
		bad_commit "$m" active_mem_bp 10001
		wr "$m" autotune_monitoring_intervals Y
		wr "$m" filter_young_pages Y
		wr "$m" active_mem_bp 5000
		expect_ok "$m" commit_inputs Y "$m: commit of the v7.0 inputs"
		wr "$m" autotune_monitoring_intervals N
		wr "$m" filter_young_pages N
		wr "$m" active_mem_bp 0
	else
		wr "$m" skip_anon Y
		wr "$m" quota_mem_pressure_us 1000
		wr "$m" quota_autotune_feedback 5000
		expect_ok "$m" commit_inputs Y "$m: commit of goals and filter"
		wr "$m" skip_anon N
		wr "$m" quota_mem_pressure_us 0
		wr "$m" quota_autotune_feedback 0
	fi
	expect_ok "$m" commit_inputs Y "$m: commit of the defaults"

	expect_ok "$m" enabled N "$m: disable"
	expect_eq "$(rd "$m" enabled)" N "$m: enabled reads N"
	expect_eq "$(rd "$m" kdamond_pid)" -1 "$m: kdamond_pid reads -1"
	expect_eq "$(pgrep -c -x 'kdamond\..*')" 0 "$m: no kdamond left"
	expect_ok "$m" enabled N "$m: disable again is a no-op"
	reset_regions "$m"
}

sysfs_exclusivity() {
	local a=/sys/kernel/mm/damon/admin/kdamonds

	if [ ! -d "$a" ]; then
		ktap_test_skip "sysfs: no DAMON sysfs interface"
		return
	fi
	echo 1 > "$a/nr_kdamonds" && echo 1 > "$a/0/contexts/nr_contexts" &&
		echo paddr > "$a/0/contexts/0/operations" &&
		echo 1 > "$a/0/contexts/0/targets/nr_targets" &&
		echo on > "$a/0/state" 2>/dev/null
	if [ "$(cat "$a/0/state" 2>/dev/null)" != on ]; then
		ktap_test_skip "sysfs: cannot start a paddr kdamond"
		echo 0 > "$a/nr_kdamonds" 2>/dev/null
		return
	fi
	expect_err damon_reclaim enabled Y "Device or resource busy" \
		"damon_reclaim: -EBUSY while sysfs runs"
	echo off > "$a/0/state"
	echo 0 > "$a/nr_kdamonds"
}

stat_outputs() {
	local m=damon_stat pct prev v bad="" i=0

	expect_ok $m enabled Y "$m: enable"
	# The first refresh comes 5 seconds after start, then every 5 s.
	for i in $(seq 30); do
		[ "$(rd $m aggr_interval_us)" != 0 ] && break
		sleep 1
	done
	sleep 6
	[ "$(rd $m aggr_interval_us)" -gt 0 ]
	expect_eq $? 0 "$m: aggr_interval_us published"
	rd $m estimated_memory_bandwidth | grep -qE '^[0-9]+$'
	expect_eq $? 0 "$m: estimated_memory_bandwidth is a number"
	pct=$(rd $m memory_idle_ms_percentiles)
	expect_eq "$(echo "$pct" | tr ',' '\n' | grep -cE '^-?[0-9]+$')" 101 \
		"$m: 101 percentiles"
	prev=""
	for v in ${pct//,/ }; do
		[ -n "$prev" ] && [ "$v" -lt "$prev" ] && bad="$prev>$v"
		prev=$v
	done
	expect_eq "$bad" "" "$m: percentiles are monotonic"
	expect_ok $m enabled N "$m: disable"
	expect_eq "$(rd $m kdamond_pid)" -1 "$m: kdamond_pid reads -1"
}

ktap_set_plan 119

check_defaults damon_reclaim "$RECLAIM_DEFAULTS"
check_defaults damon_lru_sort "$LRU_SORT_DEFAULTS"
check_defaults damon_stat "$STAT_DEFAULTS"
round_trip damon_reclaim "min_age=120000000 quota_sz=134217728 wmarks_interval=5000000"
round_trip damon_lru_sort "cold_min_age=120000000 hot_thres_access_freq=500 active_mem_bp=0"
for m in $MODS; do
	bad_writes $m
done
expect_eq "$(rd damon_stat memory_idle_ms_percentiles | tr ',' '\n' | grep -c '^0$')" \
	101 "damon_stat: percentiles read as 101 zeros before start"

run_module damon_reclaim
run_module damon_lru_sort
sysfs_exclusivity
stat_outputs

ktap_finished

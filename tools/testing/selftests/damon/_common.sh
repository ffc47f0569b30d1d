#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by our DAMON shell kselftests.
#
# The KTAP output goes through the kselftest helpers, ktap_helpers.sh, found
# next to this directory both in the source tree and where the selftests
# Makefile installs them (TEST_INCLUDES).  A test prints the KTAP header
# with ktap_print_header right after sourcing this file, then either sets
# its plan with ktap_set_plan or skips with damon_skip_all, and ends with
# ktap_finished.

DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"

# damon_skip_all REASON: a plan of no tests, skipped for REASON; exit.
damon_skip_all() {
	ktap_skip_all "$@"
	exit "$KSFT_SKIP"
}

damon_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		damon_skip_all "must be run as root"
	fi
}

# Print the mount point of debugfs, mounting it if needed; empty if none.
damon_debugfs_dir() {
	local d
	d=$(awk '$3 == "debugfs" { print $2; exit }' /proc/mounts)
	if [ -z "$d" ] && mount -t debugfs none /sys/kernel/debug 2>/dev/null; then
		d=/sys/kernel/debug
	fi
	echo "$d"
}

DAMON_ADMIN=/sys/kernel/mm/damon/admin

damon_require_sysfs() {
	if [ ! -d "$DAMON_ADMIN/kdamonds" ]; then
		damon_skip_all "no DAMON sysfs interface"
	fi
}

# damon_write FILE VALUE: write, printing nothing; the error text of a
# failed write is left in $DAMON_ERR (e.g. "Invalid argument").
damon_write() {
	DAMON_ERR=$( { printf '%s\n' "$2" > "$1"; } 2>&1 )
	local rc=$?
	DAMON_ERR=${DAMON_ERR##*: }
	return $rc
}

# damon_expect_read DESC FILE EXPECTED
damon_expect_read() {
	local got
	got=$(cat "$2" 2>&1)
	if [ "$got" = "$3" ]; then
		ktap_test_pass "$1"
	else
		ktap_test_fail "$1 (read '$got', want '$3')"
	fi
}

# damon_expect_write DESC FILE VALUE: the write succeeds and reads back.
damon_expect_write() {
	if ! damon_write "$2" "$3"; then
		ktap_test_fail "$1 (write failed: $DAMON_ERR)"
		return
	fi
	damon_expect_read "$1" "$2" "${4:-$3}"
}

# damon_expect_fail DESC FILE VALUE ERRTEXT: the write fails with ERRTEXT
# (the strerror() text) and the file keeps its value.
damon_expect_fail() {
	local before after
	before=$(cat "$2" 2>/dev/null)
	if damon_write "$2" "$3"; then
		ktap_test_fail "$1 (write of '$3' succeeded)"
		return
	fi
	after=$(cat "$2" 2>/dev/null)
	if [ "$DAMON_ERR" != "$4" ]; then
		ktap_test_fail "$1 (error '$DAMON_ERR', want '$4')"
	elif [ "$before" != "$after" ]; then
		ktap_test_fail "$1 (value changed from '$before' to '$after')"
	else
		ktap_test_pass "$1"
	fi
}

# damon_expect_refused DESC CMD: writing CMD to the state file of kdamond
# directory $K fails with EINVAL and the kdamond's state and pid stay what
# they were.
damon_expect_refused() {
	local state pid

	state=$(cat "$K/state")
	pid=$(cat "$K/pid")
	if damon_write "$K/state" "$2"; then
		ktap_test_fail "$1 (accepted)"
	elif [ "$DAMON_ERR" != "Invalid argument" ]; then
		ktap_test_fail "$1 (error '$DAMON_ERR', want 'Invalid argument')"
	elif [ "$(cat "$K/state")" != "$state" ] ||
	     [ "$(cat "$K/pid")" != "$pid" ]; then
		ktap_test_fail "$1 (kdamond changed: $(cat "$K/state"), pid $(cat "$K/pid"))"
	else
		ktap_test_pass "$1"
	fi
}

# Turn every kdamond off and remove all of them.
damon_reset() {
	local k
	for k in "$DAMON_ADMIN"/kdamonds/[0-9]*; do
		[ -d "$k" ] || continue
		if [ "$(cat "$k/state")" = on ]; then
			echo off > "$k/state"
		fi
	done
	echo 0 > "$DAMON_ADMIN/kdamonds/nr_kdamonds"
}

# damon_begin OPS...: the start of a test of a running kdamond, after the
# KTAP header: root and the sysfs interface required, every kdamond
# removed, then one kdamond with one context staged; skip if one of the
# operation sets OPS is not available.
damon_begin() {
	local ops

	damon_require_root
	damon_require_sysfs
	damon_reset
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds"
	echo 1 > "$DAMON_ADMIN/kdamonds/0/contexts/nr_contexts"
	for ops in "$@"; do
		if ! grep -qx "$ops" \
			"$DAMON_ADMIN/kdamonds/0/contexts/0/avail_operations"; then
			damon_reset
			damon_skip_all "the $ops operation set is not available"
		fi
	done
}

# damon_wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it
# succeeds; fail if it has not after SECONDS.
damon_wait_for() {
	local end=$(($(date +%s) + $1))

	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
}

# damon_zram_get: print the name of a zram device nobody uses, adding one
# if needed.
damon_zram_get() {
	local id

	if [ -e /sys/block/zram0 ] && [ "$(cat /sys/block/zram0/disksize)" = 0 ]
	then
		echo zram0
		return
	fi
	[ -r /sys/class/zram-control/hot_add ] || return 1
	id=$(cat /sys/class/zram-control/hot_add) || return 1
	echo "zram$id"
}

# damon_zram_remove DEV: reset a zram device; remove it unless it is the
# boot-time zram0.
damon_zram_remove() {
	echo 1 > "/sys/block/$1/reset"
	[ "$1" = zram0 ] || echo "${1#zram}" > /sys/class/zram-control/hot_remove
}

# damon_zram_swap_on SIZE: swap on a new zram device of SIZE; its name is
# left in $DAMON_SWAP_DEV.  Undo with damon_zram_swap_off.
damon_zram_swap_on() {
	local dev

	command -v mkswap > /dev/null || return 1
	dev=$(damon_zram_get) || return 1
	echo "$1" > "/sys/block/$dev/disksize" &&
		mkswap "/dev/$dev" > /dev/null &&
		swapon "/dev/$dev" || { damon_zram_remove "$dev"; return 1; }
	DAMON_SWAP_DEV=$dev
}

damon_zram_swap_off() {
	[ -n "$DAMON_SWAP_DEV" ] || return 0
	swapoff "/dev/$DAMON_SWAP_DEV"
	damon_zram_remove "$DAMON_SWAP_DEV"
	DAMON_SWAP_DEV=
}

# ----- damos_paddr_workload: its pid in $wl_pid, its report in $wl_out -----

U64_MAX=18446744073709551615

# Start of the workload's buffer, as it reported it.
damon_wl_buf_addr() { awk '$1 == "buf" { print $2 }' "$wl_out"; }

# Pages of the workload's buffer on node $1, from numa_maps.
damon_wl_node_pages() {
	awk -v a="$(damon_wl_buf_addr)" -v n="N$1" '$1 == a {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == n) { print kv[2]; exit }
		}
		print 0; exit
	}' "/proc/$wl_pid/numa_maps"
}

# Automatic NUMA balancing would move the pages on its own: turn it off
# for the test; damon_numa_balancing_restore puts the old value back.
damon_numa_balancing_off() {
	[ -r /proc/sys/kernel/numa_balancing ] || return 0
	DAMON_SAVED_NUMA_BALANCING=$(cat /proc/sys/kernel/numa_balancing)
	echo 0 > /proc/sys/kernel/numa_balancing
}

damon_numa_balancing_restore() {
	[ -n "$DAMON_SAVED_NUMA_BALANCING" ] || return 0
	echo "$DAMON_SAVED_NUMA_BALANCING" > /proc/sys/kernel/numa_balancing
}

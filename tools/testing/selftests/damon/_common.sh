#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by our DAMON shell kselftests.

DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"

damon_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "must be run as root"
		exit "$KSFT_SKIP"
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

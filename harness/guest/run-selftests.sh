#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-selftests.sh INSTALL_DIR COLLECTION PREFIX TIMEOUT RETRY_LIST TEST...
#
# Runs each TEST of the kselftest COLLECTION installed in INSTALL_DIR through
# the kselftest runner, in the guest.  A test named in the file RETRY_LIST
# (or every test if RETRY_LIST is "all") that fails is run up to two more
# times.  After each test prints one line for the host:
#   HARNESS-RESULT <PREFIX>:<test> PASS|FAIL|SKIP attempts=<n>
# TIMEOUT overrides the per-test kselftest timeout (seconds).

inst=$1 coll=$2 prefix=$3 timeout=$4 retry=$5
shift 5

should_retry() {
	[ "$retry" = all ] && return 0
	[ -f "$retry" ] && grep -qxF "$1" "$retry"
}

cd "$inst" || exit 1
for t in "$@"; do
	attempts=0
	while :; do
		attempts=$((attempts + 1))
		out=$(./run_kselftest.sh -o "$timeout" -t "$coll:$t" 2>&1)
		echo "$out"
		line=$(echo "$out" | grep -E "^(not )?ok [0-9]+ selftests: $coll: $t" | tail -1)
		case $line in
		"ok "*"# SKIP"*)	res=SKIP ;;
		"ok "*)			res=PASS ;;
		*)			res=FAIL ;;
		esac
		if [ $res = FAIL ] && [ $attempts -lt 3 ] && should_retry "$t"; then
			echo "# harness: $t failed, retrying"
			continue
		fi
		break
	done
	echo "HARNESS-RESULT $prefix:$t $res attempts=$attempts"
	# every test must leave DAMON off
	for s in /sys/kernel/mm/damon/admin/kdamonds/*/state; do
		[ -f "$s" ] || continue
		if [ "$(cat "$s")" = on ]; then
			echo "# harness: $t left $s on; turning it off"
			echo off > "$s" 2>/dev/null
		fi
	done
done
exit 0

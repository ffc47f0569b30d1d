#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The access-sample control files, monitoring_attrs/sample/ of a context:
# the tree and its modes, the defaults, what damo 3.4.3 stages (without a
# trailing newline), round trips of every file, bad input refused with the
# errno of the ABI and the value kept, "on" and "commit" refusing what the
# core refuses with the kdamond left as it was, a commit into the
# page-fault primitive with filters while running, and uid 65534 getting
# EACCES.
#
# CPU lists are bounded by the kernel's number of possible CPUs
# (nr_cpumask_bits); lists beyond it must fail with ERANGE, so the round
# trips that need more CPUs than the machine has check that instead.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

EINVAL="Invalid argument"
ERANGE="Numerical result out of range"
ENOENT="No such file or directory"
ENOMEM="Cannot allocate memory"
EOVERFLOW="Value too large for defined data type"
EACCES="Permission denied"
SPLAT='WARNING:|BUG:|KASAN:|UBSAN:|kmemleak|Oops|general protection|cut here'

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
SA=$C/monitoring_attrs/sample
PR=$SA/primitives
F=$SA/filters
IV=$C/monitoring_attrs/intervals

# nr_cpumask_bits: the highest possible CPU plus one
NRB=$(( $(sed 's/.*[-,]//' /sys/devices/system/cpu/possible) + 1 ))
LAST=$((NRB - 1))

# damo_write FILE VALUE: a write without a trailing newline, as damo does.
damo_write() {
	DAMON_ERR=$( { printf '%s' "$2" > "$1"; } 2>&1 )
	local rc=$?
	DAMON_ERR=${DAMON_ERR##*: }
	return $rc
}

# entries DIR: the names in DIR, sorted, on one line.
entries() {
	(cd "$1" && echo *)
}

# expect_cpulist DESC VALUE READBACK MIN_CPUS: the cpumask of filter 0
# takes VALUE and reads READBACK if the machine has MIN_CPUS possible CPUs,
# and refuses it with ERANGE otherwise.
expect_cpulist() {
	if [ "$NRB" -ge "$4" ]; then
		damon_expect_write "$1" "$F/0/cpumask" "$2" "$3"
	else
		damon_expect_fail "$1 (only $NRB CPUs: ERANGE)" "$F/0/cpumask" \
			"$2" "$ERANGE"
	fi
}

# The running sampling interval, as update_tuned_intervals shows it.
running_sample_us() {
	damon_write "$K/state" update_tuned_intervals && cat "$IV/sample_us"
}

# set_primitives PAGE_TABLE PAGE_FAULT
set_primitives() {
	echo "$1" > "$PR/page_table" && echo "$2" > "$PR/page_fault"
}

# Three filters: writes, by any possible CPU, of the thread $1.
stage_filters() {
	echo 3 > "$F/nr_filters" &&
	echo write > "$F/0/type" && echo Y > "$F/0/matching" &&
	echo Y > "$F/0/allow" &&
	echo cpumask > "$F/1/type" && echo Y > "$F/1/matching" &&
	echo Y > "$F/1/allow" && echo "0-$LAST" > "$F/1/cpumask" &&
	echo threads > "$F/2/type" && echo Y > "$F/2/matching" &&
	echo Y > "$F/2/allow" && echo "$1" > "$F/2/tid_arr"
}

# Writes uid 65534 must not be able to make: FILE VALUE pairs.
nobody_writes() {
	local f

	for f in primitives/page_table primitives/page_fault \
		 filters/nr_filters filters/0/type filters/0/matching \
		 filters/0/allow filters/0/cpumask filters/0/tid_arr; do
		echo "$SA/$f"
	done
}

damon_begin vaddr
ktap_set_plan 79
splats_before=$(dmesg | grep -cE "$SPLAT")

# ----- the tree -----

ktap_test_result "sample/ exists in a new context" [ -d "$SA" ]
damon_expect_read "sample/ holds primitives/ and filters/ only" \
	<(entries "$SA") "filters primitives"
damon_expect_read "primitives/ holds page_table and page_fault only" \
	<(entries "$PR") "page_fault page_table"
damon_expect_read "default of filters/nr_filters" "$F/nr_filters" 0
damon_write "$F/nr_filters" 1
damon_expect_read "filters/<F>/ holds its five files only" \
	<(entries "$F/0") "allow cpumask matching tid_arr type"
modes=
for f in $(nobody_writes); do
	modes="$modes$(stat -c %a "$f")"
done
ktap_test_result "every file of sample/ is 0600" \
	[ "$modes" = "$(printf '600%.0s' $(seq 8))" ]
echo 0 > "$K/contexts/nr_contexts" && echo 1 > "$K/contexts/nr_contexts"
ktap_test_result "a recreated context has sample/ again" \
	[ -f "$PR/page_table" -a -f "$F/nr_filters" ]

# ----- defaults -----

damon_write "$F/nr_filters" 1
damon_expect_read "default of primitives/page_table" "$PR/page_table" Y
damon_expect_read "default of primitives/page_fault" "$PR/page_fault" N
damon_expect_read "default of filters/0/type" "$F/0/type" cpumask
damon_expect_read "default of filters/0/matching" "$F/0/matching" N
damon_expect_read "default of filters/0/allow" "$F/0/allow" N
damon_expect_read "default of filters/0/cpumask (empty)" "$F/0/cpumask" ""
damon_expect_read "default of filters/0/tid_arr (unset)" "$F/0/tid_arr" ""

# ----- what damo stages: no trailing newline -----

if damo_write "$PR/page_table" Y && damo_write "$PR/page_fault" N &&
   damo_write "$F/nr_filters" 0; then
	ktap_test_pass "damo's default staging (Y, N, 0) is accepted"
else
	ktap_test_fail "damo's default staging (Y, N, 0) is accepted ($DAMON_ERR)"
fi
if damo_write "$PR/page_table" N && damo_write "$PR/page_fault" Y &&
   damo_write "$F/nr_filters" 3 &&
   damo_write "$F/0/type" write && damo_write "$F/0/matching" Y &&
   damo_write "$F/0/allow" Y &&
   damo_write "$F/1/type" cpumask && damo_write "$F/1/matching" Y &&
   damo_write "$F/1/allow" Y && damo_write "$F/1/cpumask" "0-$LAST" &&
   damo_write "$F/2/type" threads && damo_write "$F/2/matching" Y &&
   damo_write "$F/2/allow" Y && damo_write "$F/2/tid_arr" 41,42; then
	ktap_test_pass "damo's write, cpumask and threads filters are accepted"
else
	ktap_test_fail "damo's write, cpumask and threads filters are accepted ($DAMON_ERR)"
fi
got="$(cat "$PR/page_table" "$PR/page_fault" "$F/nr_filters" \
	"$F"/{0,1,2}/type "$F/1/cpumask" "$F/2/tid_arr" | tr '\n' ' ')"
want="N Y 3 write cpumask threads 0-$LAST 41,42 "
[ "$NRB" = 1 ] && want="N Y 3 write cpumask threads 0 41,42 "
if [ "$got" = "$want" ]; then
	ktap_test_pass "damo's staging reads back"
else
	ktap_test_fail "damo's staging reads back ('$got', want '$want')"
fi

# ----- nr_filters recreates the filters with defaults -----

if damon_write "$F/nr_filters" 2 &&
   [ "$(cat "$F/0/type" "$F/1/type" | tr '\n' ' ')" = "cpumask cpumask " ] &&
   [ -z "$(cat "$F/0/cpumask" "$F/1/tid_arr" | tr -d '\n')" ] &&
   [ "$(cat "$F/1/allow")" = N ]; then
	ktap_test_pass "nr_filters 2 recreates the filters with defaults"
else
	ktap_test_fail "nr_filters 2 recreates the filters with defaults"
fi
damon_write "$F/nr_filters" 0
ktap_test_result "nr_filters 0 removes every filter" [ ! -e "$F/0" ]
damon_write "$F/nr_filters" 1

# ----- round trips -----

damon_expect_write "page_table takes N" "$PR/page_table" N
damon_expect_write "page_table takes 1" "$PR/page_table" 1 Y
damon_expect_write "page_fault takes y" "$PR/page_fault" y Y
damon_expect_write "page_fault takes off" "$PR/page_fault" off N
damon_expect_write "type takes threads" "$F/0/type" threads
damon_expect_write "type takes write" "$F/0/type" write
damon_expect_write "type takes cpumask" "$F/0/type" cpumask
damon_expect_write "matching takes Y" "$F/0/matching" Y
damon_expect_write "allow takes on" "$F/0/allow" on Y
damon_expect_write "cpumask takes 0" "$F/0/cpumask" 0
damon_expect_write "cpumask takes N (the last CPU)" "$F/0/cpumask" N "$LAST"
if [ "$NRB" = 1 ]; then
	damon_expect_write "cpumask takes all" "$F/0/cpumask" all 0
else
	damon_expect_write "cpumask takes all" "$F/0/cpumask" all "0-$LAST"
fi
damon_expect_write "cpumask takes 0-$LAST:1/2 (even CPUs)" "$F/0/cpumask" \
	"0-$LAST:1/2" "$(seq -s, 0 2 "$LAST")"
expect_cpulist "cpumask takes 0-3,5" "0-3,5" "0-3,5" 6
expect_cpulist "cpumask takes 0-15:2/4" "0-15:2/4" "0-1,4-5,8-9,12-13" 16
damon_expect_write "cpumask takes an empty list" "$F/0/cpumask" "" ""
damon_expect_write "tid_arr takes 41,42" "$F/0/tid_arr" 41,42
damon_expect_write "tid_arr expands 7-9" "$F/0/tid_arr" 7-9 7,8,9
damon_expect_write "tid_arr takes C prefixes" "$F/0/tid_arr" 0x10,010 16,8
damon_expect_write "tid_arr stops at the first non-integer" \
	"$F/0/tid_arr" "5,6,x,7" 5,6
damon_expect_write "tid_arr replaces the whole list" "$F/0/tid_arr" 3 3

# ----- bad input: the errno, and the value kept -----

echo N > "$PR/page_table"
echo Y > "$PR/page_fault"
echo write > "$F/0/type"
echo Y > "$F/0/matching"
echo 0 > "$F/0/cpumask"
echo 41,42 > "$F/0/tid_arr"
damon_expect_fail "page_table rejects 'maybe'" "$PR/page_table" maybe "$EINVAL"
damon_expect_fail "page_fault rejects '2'" "$PR/page_fault" 2 "$EINVAL"
damon_expect_fail "type rejects 'cpu'" "$F/0/type" cpu "$EINVAL"
damon_expect_fail "type rejects 'threadsx'" "$F/0/type" threadsx "$EINVAL"
damon_expect_fail "type rejects an empty word" "$F/0/type" "" "$EINVAL"
damon_expect_fail "matching rejects 'x'" "$F/0/matching" x "$EINVAL"
damon_expect_fail "allow rejects '-1'" "$F/0/allow" -1 "$EINVAL"
damon_expect_fail "cpumask rejects CPU $NRB (nr_cpumask_bits)" \
	"$F/0/cpumask" "$NRB" "$ERANGE"
damon_expect_fail "cpumask rejects 0-$NRB" "$F/0/cpumask" "0-$NRB" "$ERANGE"
damon_expect_fail "cpumask rejects garbage" "$F/0/cpumask" abc "$EINVAL"
damon_expect_fail "cpumask rejects a descending range" "$F/0/cpumask" 1-0 \
	"$EINVAL"
damon_expect_fail "cpumask rejects a group longer than its period" \
	"$F/0/cpumask" "0-$LAST:3/2" "$EINVAL"
damon_expect_fail "cpumask rejects a CPU beyond 32 bits" "$F/0/cpumask" \
	4294967296 "$EOVERFLOW"
damon_expect_fail "tid_arr rejects ''" "$F/0/tid_arr" "" "$ENOENT"
damon_expect_fail "tid_arr rejects 'abc'" "$F/0/tid_arr" abc "$ENOENT"
damon_expect_fail "tid_arr rejects a leading space" "$F/0/tid_arr" " 1" \
	"$ENOENT"
damon_expect_fail "tid_arr rejects more than 4096 ids" "$F/0/tid_arr" \
	1-5000 "$ENOMEM"
damon_expect_fail "tid_arr rejects a range of 2^31 ids" "$F/0/tid_arr" \
	0-2147483647 "$ENOMEM"
damon_expect_fail "nr_filters rejects -1" "$F/nr_filters" -1 "$EINVAL"
before=$(cat "$F/nr_filters")
if damon_write "$F/nr_filters" 2147483647; then
	ktap_test_fail "nr_filters 2147483647 is refused (accepted)"
elif [ "$DAMON_ERR" != "$ENOMEM" ] && [ "$DAMON_ERR" != "$EINVAL" ]; then
	ktap_test_fail "nr_filters 2147483647 is refused ($DAMON_ERR)"
elif [ "$(cat "$F/nr_filters")" != "$before" ] || [ ! -d "$F/0" ]; then
	ktap_test_fail "nr_filters 2147483647 is refused (filters changed)"
else
	ktap_test_pass "nr_filters 2147483647 is refused ($DAMON_ERR), filters kept"
fi
ktap_test_result "no kernel splat from the bad input" \
	[ "$(dmesg | grep -cE "$SPLAT")" = "$splats_before" ]

# ----- "on" refuses what the core refuses -----

sleep 1000 &
victim=$!
echo 1 > "$C/targets/nr_targets"
echo "$victim" > "$C/targets/0/pid_target"
echo 0 > "$F/nr_filters"

set_primitives Y Y
damon_expect_refused "on with both primitives Y" on
set_primitives N N
damon_expect_refused "on with both primitives N" on
set_primitives N Y
echo 1 > "$F/nr_filters"
echo threads > "$F/0/type"
damon_expect_refused "on with a threads filter whose tid_arr was never written" on
set_primitives Y N
damon_expect_refused "on (page_table) with a threads filter without tid_arr" on
damon_expect_read "the refused ons left the kdamond off" "$K/pid" -1

# ----- a running kdamond: refused commits, and commits into page_fault -----

damon_numa_balancing_off
stage_filters "$victim"
if damon_write "$K/state" on; then
	ktap_test_pass "on with page_table and three filters"
else
	ktap_test_fail "on with page_table and three filters ($DAMON_ERR)"
fi
pid=$(cat "$K/pid")

# a refused commit must not apply even the marker sample_us of 4000
echo 4000 > "$IV/sample_us"
set_primitives Y Y
damon_expect_refused "commit of both primitives Y" commit
set_primitives N N
damon_expect_refused "commit of both primitives N" commit
set_primitives N Y
echo 4 > "$F/nr_filters"
echo threads > "$F/3/type"
damon_expect_refused "commit of a threads filter without tid_arr" commit
damon_expect_read "refused commits kept the running sample_us" \
	<(running_sample_us) 5000

echo 4000 > "$IV/sample_us"
set_primitives N Y
stage_filters "$victim"
if damon_write "$K/state" commit; then
	ktap_test_pass "commit of page_fault with three filters while running"
else
	ktap_test_fail "commit of page_fault with three filters while running ($DAMON_ERR)"
fi
damon_expect_read "the commit applied (running sample_us 4000)" \
	<(running_sample_us) 4000
sleep 1
ktap_test_result "the kdamond runs on in the page-fault mode" \
	[ "$(cat "$K/state")" = on -a "$(cat "$K/pid")" = "$pid" ]

echo 5000 > "$IV/sample_us"
set_primitives Y N
echo 0 > "$F/nr_filters"
if damon_write "$K/state" commit &&
   [ "$(running_sample_us)" = 5000 ] && [ "$(cat "$K/pid")" = "$pid" ]; then
	ktap_test_pass "commit back to page_table without filters"
else
	ktap_test_fail "commit back to page_table without filters ($DAMON_ERR)"
fi
damon_write "$K/state" off

set_primitives N Y
stage_filters "$victim"
if damon_write "$K/state" on; then
	ktap_test_pass "on straight into page_fault with three filters"
else
	ktap_test_fail "on straight into page_fault with three filters ($DAMON_ERR)"
fi
sleep 1
damon_expect_read "it runs in the page-fault mode" "$K/state" on
damon_write "$K/state" off
damon_numa_balancing_restore

# ----- uid 65534 -----

problems=
for f in $(nobody_writes); do
	before=$(cat "$f")
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "echo 1 > '$f'" 2>&1)
	if [ "${err##*: }" != "$EACCES" ] || [ "$(cat "$f")" != "$before" ]
	then
		problems="$problems ${f#"$SA"/}:${err##*: }"
	fi
done
if [ -z "$problems" ]; then
	ktap_test_pass "uid 65534 gets EACCES on every file of sample/"
else
	ktap_test_fail "uid 65534 gets EACCES on every file of sample/ ($problems)"
fi

kill "$victim"
wait "$victim" 2>/dev/null
damon_reset
ktap_test_result "no kernel splat during the test" \
	[ "$(dmesg | grep -cE "$SPLAT")" = "$splats_before" ]
ktap_finished

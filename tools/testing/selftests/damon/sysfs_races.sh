#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bounded races on the DAMON sysfs interface and the DAMON modules:
#
#  1. on/off while the monitored process exits at a random moment (it
#     lives 0-90 ms and is killed 0-90 ms after "on");
#  2. commit storms: two writers alternating two valid configurations
#     (intervals and nr_regions), each committing after every change,
#     with the kdamond refreshing the files every millisecond (refresh_ms);
#  3. update_schemes_tried_regions/_bytes walks from one writer against
#     off/on/clear_schemes_tried_regions from another, refresh_ms 1 too;
#  4. nr_* resizes (kdamonds, schemes, targets, regions, filters, goals,
#     dests) while running, against commits from another writer; then
#     that a staged resize takes effect at the next commit, not before;
#  5. DAMON_RECLAIM, DAMON_LRU_SORT and DAMON_STAT enabling against a
#     sysfs "on" from another process: exactly one side wins each round.
#
# Only the errors the ABI gives for each race are tolerated (EBUSY for a
# contended lock or a running exclusive user, EINVAL for a target that
# exited or a command that needs a running kdamond, ...); any other error
# is printed and fails its loop.  Afterwards no kdamond runs, no state file
# reads "on", every module is disabled with kdamond_pid -1, the kernel log
# has no new splat and nr_kdamonds can be written back to 0.
#
# Iterations per loop: the first argument, or $DAMON_RACE_ITERS, or 300.
# Measured under QEMU TCG (2 vCPUs), 300 iterations, while the 2-core host
# also ran a kernel build and another guest: loops of 11 to 45 s (the exit
# and the module loops are the long ones), 165 s in the script, 195 s with
# the kselftest runner.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

ITERS=${1:-${DAMON_RACE_ITERS:-300}}
EINVAL="Invalid argument"
EBUSY="Device or resource busy"
U64_MAX=18446744073709551615
SPLAT='WARNING:|BUG:|KASAN:|UBSAN:|kmemleak|Oops|general protection|cut here'
SPLAT+='|possible circular|possible recursive|INFO: task|detected stall'
MODS="damon_reclaim damon_lru_sort damon_stat"

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0
IV=$C/monitoring_attrs/intervals
NRR=$C/monitoring_attrs/nr_regions

TMP=$(mktemp -d)
mkfifo "$TMP/fifo"
# read -t on a fifo nobody writes: a sleep that does not fork
exec {NAP_FD}<> "$TMP/fifo"

# wr FILE VALUE: write without forking; the error text is left in $ERR.
wr() {
	local f=$TMP/err.$BASHPID

	ERR=
	{ printf '%s\n' "$2" > "$1"; } 2> "$f" && return 0
	read -r ERR < "$f"
	ERR=${ERR##*: }
	return 1
}

# rd FILE: print the first line of FILE.
rd() {
	local v

	read -r v < "$1"
	printf '%s' "$v"
}

# get FILE: its first line in $V, without forking (for the loops).
get() {
	V=
	read -r V < "$1"
}

nap() { read -rt "$1" -u "$NAP_FD" _; :; }

# unexpected WHAT: an error the race may not cause; record it (from any
# of the loop's processes) for the loop's result.
unexpected() {
	echo "$LOOP: $*" >> "$TMP/unexpected"
}

# wr_ok FILE VALUE TOLERATED...: write; a failure with one of the
# TOLERATED error texts is fine, any other is unexpected.
wr_ok() {
	local f=$1 v=$2 t

	shift 2
	wr "$f" "$v" && return 0
	for t in "$@"; do
		[ "$ERR" = "$t" ] && return 1
	done
	unexpected "${f#"$DAMON_ADMIN"/}=$v: $ERR"
	return 1
}

splats() { dmesg | grep -cE "$SPLAT"; }

# loop_begin NAME / loop_end DESC: time a loop, collect what went wrong
# in it and report it as one result.
loop_begin() {
	LOOP=$1
	: > "$TMP/unexpected"
	LOOP_SPLATS=$(splats)
	LOOP_START=$EPOCHREALTIME
}

loop_end() {
	local n secs new

	secs=$(awk -v a="$LOOP_START" -v b="$EPOCHREALTIME" \
		'BEGIN { printf "%.1f", b - a }')
	new=$(($(splats) - LOOP_SPLATS))
	[ "$new" -gt 0 ] && echo "$LOOP: $new new kernel splat lines" >> \
		"$TMP/unexpected"
	n=$(wc -l < "$TMP/unexpected")
	ktap_print_msg "$LOOP: $ITERS iterations in $secs s"
	head -n 8 "$TMP/unexpected" | while read -r line; do
		ktap_print_msg "$line"
	done
	ktap_test_result "$1" [ "$n" -eq 0 ]
}

# stage OPS: a fresh kdamond with a "stat" scheme matching every region;
# vaddr monitors $victim, paddr the biggest System RAM range.
stage() {
	damon_reset
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" &&
	echo 1 > "$K/contexts/nr_contexts" &&
	echo "$1" > "$C/operations" &&
	echo 1 > "$C/targets/nr_targets" &&
	if [ "$1" = paddr ]; then
		echo 1 > "$C/targets/0/regions/nr_regions" &&
		echo "$RAM_START" > "$C/targets/0/regions/0/start" &&
		echo "$RAM_END" > "$C/targets/0/regions/0/end"
	else
		echo "$victim" > "$C/targets/0/pid_target"
	fi &&
	stage_scheme 0
}

# stage_scheme N: scheme N acts ("stat") on every region.
stage_scheme() {
	local s=$C/schemes/$1

	{ [ -d "$s" ] || echo $(($1 + 1)) > "$C/schemes/nr_schemes"; } &&
	echo stat > "$s/action" &&
	echo $U64_MAX > "$s/access_pattern/sz/max" &&
	echo $U64_MAX > "$s/access_pattern/nr_accesses/max" &&
	echo $U64_MAX > "$s/access_pattern/age/max"
}

# biggest_ram: start and end of the biggest System RAM range.
biggest_ram() {
	local line a b s=0 e=0
	local re='^([0-9a-f]+)-([0-9a-f]+) : System RAM$'

	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		a=$((16#${BASH_REMATCH[1]}))
		b=$((16#${BASH_REMATCH[2]} + 1))
		[ $((b - a)) -gt $((e - s)) ] && s=$a e=$b
	done < /proc/iomem
	echo "$s $e"
}

# ------------------------------------------------------------ 1. exit

race_exit() {
	local i pid on_ok ons=0

	loop_begin exit
	stage vaddr
	for ((i = 0; i < ITERS; i++)); do
		( nap "0.0$((RANDOM % 10))" ) &
		pid=$!
		wr_ok "$C/targets/0/pid_target" "$pid"
		on_ok=0
		wr_ok "$K/state" on "$EINVAL" && on_ok=1 ons=$((ons + 1))
		nap "0.0$((RANDOM % 10))"
		kill "$pid" 2>/dev/null
		# off succeeds on a context that stopped by itself; only a
		# failed on may leave no context to stop
		if [ $on_ok = 1 ]; then
			wr_ok "$K/state" off
		else
			wr_ok "$K/state" off "$EINVAL"
		fi
		wait "$pid" 2>/dev/null
		get "$K/state"
		[ "$V" = off ] || unexpected "state $V after off"
	done
	ktap_print_msg "exit: $ons of $ITERS on succeeded"
	loop_end "on/off while the monitored process exits"
}

# ----------------------------------------------------------- 2. storm

# storm_writer SAMPLE AGGR MIN MAX NAME: stage one configuration and
# commit it, ITERS times.  Any mix with the other writer's is valid.
storm_writer() {
	local i ok=0

	for ((i = 0; i < ITERS; i++)); do
		wr_ok "$IV/sample_us" "$1"
		wr_ok "$IV/aggr_us" "$2"
		wr_ok "$NRR/min" "$3"
		wr_ok "$NRR/max" "$4"
		wr_ok "$K/state" commit "$EBUSY" && ok=$((ok + 1))
	done
	echo "$ok" > "$TMP/commits.$5"
}

# runs_intervals SAMPLE AGGR: a commit of them succeeds and the kdamond
# then reports them as its intervals.
runs_intervals() {
	wr "$K/state" commit && wr "$K/state" update_tuned_intervals &&
		[ "$(rd "$IV/sample_us") $(rd "$IV/aggr_us")" = "$1 $2" ]
}

# refresh_off: no refresh of the staged files from now on.  Commands run
# in the kdamond one after the other, so once one has returned no refresh
# is still writing.
refresh_off() {
	echo 0 > "$K/refresh_ms"
	[ "$(rd "$K/state")" = on ] || return 0
	wr_ok "$K/state" update_schemes_stats
}

race_commit() {
	local pid0 a b ok

	loop_begin commit
	if ! { stage vaddr && echo on > "$K/state"; }; then
		unexpected "cannot start"
	fi
	pid0=$(rd "$K/pid")
	# the kdamond's refresh takes the sysfs lock too (trylock), and
	# writes the staged intervals: any mix stays valid
	echo 1 > "$K/refresh_ms"
	storm_writer 5000 100000 10 1000 a &
	a=$!
	storm_writer 10000 200000 20 500 b &
	b=$!
	wait "$a" "$b"
	refresh_off
	ok=$(($(rd "$TMP/commits.a") + $(rd "$TMP/commits.b")))
	ktap_print_msg "commit: $ok of $((2 * ITERS)) commits won the lock"
	[ "$ok" -gt 0 ] || unexpected "no commit succeeded"
	[ "$(rd "$K/state") $(rd "$K/pid")" = "on $pid0" ] ||
		unexpected "kdamond $(rd "$K/state") pid $(rd "$K/pid"), was $pid0"
	loop_end "commit storm from two writers"

	# the last commit is what runs
	echo 7000 > "$IV/sample_us"
	echo 140000 > "$IV/aggr_us"
	ktap_test_result "after the storm the last commit is what runs" \
		runs_intervals 7000 140000
	echo off > "$K/state"
}

# ---------------------------------------------------- 3. tried regions

walker() {
	local i cmd ok=0

	for ((i = 0; i < ITERS; i++)); do
		cmd=update_schemes_tried_regions
		[ $((i % 2)) = 1 ] && cmd=update_schemes_tried_bytes
		# EINVAL: the other writer had it off
		wr_ok "$K/state" "$cmd" "$EBUSY" "$EINVAL" && ok=$((ok + 1))
	done
	ktap_print_msg "walks: $ok of $ITERS walks done"
}

switcher() {
	local i

	for ((i = 0; i < ITERS; i++)); do
		wr_ok "$K/state" off "$EBUSY"
		# EBUSY: contended, or still running because off lost
		wr_ok "$K/state" on "$EBUSY"
		wr_ok "$K/state" clear_schemes_tried_regions "$EBUSY"
	done
}

race_walks() {
	local a b

	loop_begin walks
	stage vaddr
	echo 2000 > "$IV/sample_us"
	echo 20000 > "$IV/aggr_us"
	echo on > "$K/state" || unexpected "cannot start"
	echo 1 > "$K/refresh_ms"
	walker &
	a=$!
	switcher &
	b=$!
	wait "$a" "$b"
	refresh_off
	# whatever state the race left: a walk on a running kdamond works
	[ "$(rd "$K/state")" = on ] || wr_ok "$K/state" on
	wr_ok "$K/state" update_schemes_tried_regions
	[ -d "$S/tried_regions/0" ] || unexpected "no tried region after a walk"
	wr_ok "$K/state" off
	loop_end "tried-regions walks against on/off/clear"
}

# ----------------------------------------------------------- 4. resize

# resizer: nr_* files change while running; only nr_kdamonds is refused.
resizer() {
	local i n s0=$S

	for ((i = 0; i < ITERS; i++)); do
		n=$((i % 3))
		if wr "$DAMON_ADMIN/kdamonds/nr_kdamonds" 1; then
			unexpected "nr_kdamonds accepted while running"
		elif [ "$ERR" != "$EBUSY" ]; then
			unexpected "nr_kdamonds"
		fi
		wr_ok "$C/schemes/nr_schemes" $n "$EBUSY"
		if [ -d "$s0" ]; then
			wr_ok "$s0/ops_filters/nr_filters" $((i % 2)) "$EBUSY"
			wr_ok "$s0/core_filters/nr_filters" $((i % 2)) "$EBUSY"
			wr_ok "$s0/quotas/goals/nr_goals" $((i % 2)) "$EBUSY"
			wr_ok "$s0/dests/nr_dests" $((i % 2)) "$EBUSY"
		fi
		if [ $((i % 10)) = 0 ]; then
			wr_ok "$C/targets/nr_targets" 1 "$EBUSY"
			wr_ok "$C/targets/0/pid_target" "$victim"
		fi
		wr_ok "$C/targets/0/regions/nr_regions" $((i % 2)) "$EBUSY" &&
		if [ $((i % 2)) = 1 ]; then
			wr_ok "$C/targets/0/regions/0/start" "$VMA_START"
			wr_ok "$C/targets/0/regions/0/end" "$VMA_END"
		fi
	done
}

# committer: a half-resized tree may not commit (EINVAL: pid_target or
# a region not written yet), but the kdamond must go on.
committer() {
	local i ok=0

	for ((i = 0; i < ITERS; i++)); do
		wr_ok "$K/state" commit "$EBUSY" "$EINVAL" && ok=$((ok + 1))
	done
	ktap_print_msg "resize: $ok of $ITERS commits applied"
}

total_bytes() { rd "$C/schemes/$1/tried_regions/total_bytes"; }

# takes_effect_at_commit: scheme 1, staged while one scheme runs, is not
# walked before the commit that installs it and is walked after.
takes_effect_at_commit() {
	local before after

	echo 1 > "$C/targets/nr_targets"
	echo "$victim" > "$C/targets/0/pid_target"
	echo 1 > "$C/schemes/nr_schemes"
	stage_scheme 0 && wr "$K/state" commit || return 1
	echo 2 > "$C/schemes/nr_schemes"
	stage_scheme 0 && stage_scheme 1 &&
		wr "$K/state" update_schemes_tried_bytes || return 1
	before=$(total_bytes 1)
	wr "$K/state" commit && wr "$K/state" update_schemes_tried_bytes ||
		return 1
	after=$(total_bytes 1)
	ktap_print_msg "resize: scheme 1 total_bytes $before before its commit, $after after"
	[ "$before" = 0 ] && [ "$after" -gt 0 ]
}

race_resize() {
	local a b pid0

	loop_begin resize
	if ! { stage vaddr && echo on > "$K/state"; }; then
		unexpected "cannot start"
	fi
	pid0=$(rd "$K/pid")
	resizer &
	a=$!
	committer &
	b=$!
	wait "$a" "$b"
	[ "$(rd "$K/state") $(rd "$K/pid")" = "on $pid0" ] ||
		unexpected "kdamond $(rd "$K/state") pid $(rd "$K/pid"), was $pid0"
	loop_end "nr_* resizes while running, against commits"

	ktap_test_result "a staged resize takes effect at the next commit" \
		takes_effect_at_commit
	echo off > "$K/state"
}

# ---------------------------------------------------------- 5. modules

mod_param() { echo "/sys/module/$1/parameters/$2"; }

# try WHAT FILE VALUE: one side of a round; its outcome goes to $TMP/WHAT.
try() {
	if wr "$2" "$3"; then
		echo ok > "$TMP/$1"
	else
		echo "$ERR" > "$TMP/$1"
	fi
}

race_modules() {
	local i m mods=() a b ra rb wins_m=0 wins_s=0

	loop_begin modules
	for m in $MODS; do
		[ -d "/sys/module/$m/parameters" ] && mods+=("$m")
	done
	stage paddr
	for ((i = 0; i < ITERS; i++)); do
		m=${mods[i % ${#mods[@]}]}
		try a "/sys/module/$m/parameters/enabled" Y &
		a=$!
		try b "$K/state" on &
		b=$!
		wait "$a" "$b"
		get "$TMP/a"
		ra=$V
		get "$TMP/b"
		rb=$V
		get "/sys/module/$m/parameters/enabled"
		if [ "$ra,$rb" = "ok,$EBUSY" ]; then
			wins_m=$((wins_m + 1))
			[ "$V" = Y ] || unexpected "$m won but reads $V"
		elif [ "$ra,$rb" = "$EBUSY,ok" ]; then
			wins_s=$((wins_s + 1))
			[ "$V" = N ] || unexpected "$m lost but reads $V"
		else
			unexpected "round $i: $m enabled=Y: $ra, sysfs on: $rb"
		fi
		[ "$ra" = ok ] && wr_ok "/sys/module/$m/parameters/enabled" N
		[ "$rb" = ok ] && wr_ok "$K/state" off
	done
	ktap_print_msg "modules: the module won $wins_m rounds, sysfs $wins_s"
	loop_end "module enabling against sysfs on: one side wins"
}

# Module parameters the test changes, and DAMON_STAT's state (it may be
# enabled at boot), to put back at the end.
save_modules() {
	local m p

	SAVED=()
	for m in $MODS; do
		[ -d "/sys/module/$m/parameters" ] || continue
		for p in wmarks_interval monitor_region_start monitor_region_end \
			 enabled; do
			[ -e "$(mod_param "$m" $p)" ] &&
				SAVED+=("$(mod_param "$m" $p)=$(rd "$(mod_param "$m" $p)")")
		done
		[ -e "$(mod_param "$m" enabled)" ] &&
			echo N > "$(mod_param "$m" enabled)"
		# a stop waits for the watermarks check of an inactive scheme
		[ -e "$(mod_param "$m" wmarks_interval)" ] &&
			echo 10000 > "$(mod_param "$m" wmarks_interval)"
	done
}

restore_modules() {
	local kv

	for kv in "${SAVED[@]}"; do
		[[ $kv == */enabled=N ]] && continue
		echo "${kv#*=}" > "${kv%%=*}"
	done
}

# ------------------------------------------------------------ the end

no_kdamond() { ! pgrep kdamond > /dev/null; }

removes_all() { wr "$DAMON_ADMIN/kdamonds/nr_kdamonds" 0 && [ ! -e "$K" ]; }

final_checks() {
	local s m bad=""

	for s in "$DAMON_ADMIN"/kdamonds/*/state; do
		[ -f "$s" ] && [ "$(rd "$s")" = on ] && bad="$bad $s"
	done
	ktap_test_result "every state file reads off" [ -z "$bad" ]
	for m in $MODS; do
		[ -d "/sys/module/$m/parameters" ] || continue
		[ "$(rd "$(mod_param "$m" enabled)")" = N ] || bad="$bad $m"
		[ "$(rd "$(mod_param "$m" kdamond_pid)")" = -1 ] || bad="$bad $m"
	done
	ktap_test_result "every module disabled, kdamond_pid -1" [ -z "$bad" ]
	ktap_test_result "no kdamond thread left" damon_wait_for 10 no_kdamond
	ktap_test_result "nr_kdamonds can be written back to 0" \
		removes_all
	ktap_test_result "no kernel splat during the test" \
		[ "$(splats)" -eq "$SPLATS0" ]
}

# A subshell killed right after its fork, before it reset the traps it
# inherited, runs the EXIT trap: only the test's own shell cleans up.
cleanup() {
	[ "$BASHPID" = "$MAIN_PID" ] || return
	damon_reset 2>/dev/null
	restore_modules
	[ -n "$victim" ] && kill "$victim" 2>/dev/null
	exec {NAP_FD}>&-
	rm -rf "$TMP"
}

damon_require_root
damon_require_sysfs
for m in damon_reclaim damon_lru_sort damon_stat; do
	if [ -d "/sys/module/$m/parameters" ] &&
	   [ "$(rd "$(mod_param "$m" enabled)")" = Y ] && [ $m != damon_stat ]
	then
		damon_skip_all "$m runs"
	fi
done
ktap_set_plan 12
MAIN_PID=$BASHPID
START=$EPOCHREALTIME
trap cleanup EXIT
SPLATS0=$(splats)
save_modules
read -r RAM_START RAM_END < <(biggest_ram)
sleep 1000 &
victim=$!
read -r VMA_START VMA_END < <(awk -F'[- ]' 'NR == 1 { print "0x" $1, "0x" $2 }' \
	"/proc/$victim/maps")

race_exit
race_commit
race_walks
race_resize
race_modules

damon_reset
final_checks
restore_modules
ktap_print_msg "$(awk -v a="$START" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "%.0f s in all", b - a }')"
ktap_finished

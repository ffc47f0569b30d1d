#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DAMOS actions of the vaddr and fvaddr operation sets, driven through the
# DAMON sysfs interface only: each action is applied to the buffer of a
# damos_vaddr_target process and its visible effect is checked.
#
#   pageout     the buffer moves to (zram) swap: RssAnon falls, VmSwap rises
#   cold        the buffer's pages lose their Referenced state (smaps)
#   willneed    a file mapping whose page cache was dropped is read ahead
#               (the file lives on ext4 on a zram disk: /tmp is tmpfs)
#   hugepage    the buffer's VMA gets the "hg" flag (smaps VmFlags)
#   nohugepage  ... the "nh" flag
#   collapse    the buffer becomes AnonHugePages
#   lru_prio, lru_deprio (paddr-only actions) are tried but apply nothing
#
# The schemes match every region whatever its access pattern, so nothing
# depends on access sampling.  fvaddr targets get the buffer as their only
# region; vaddr ones get an "addr" core filter that cuts the regions to it.
# Each check also expects the scheme's sz_applied statistic to be non-zero.
# The regions are kept few (min nr_regions 3): collapse only works on huge
# pages that lie entirely in one region.
# Everything set up (kdamond, swap, zram disks, mounts, THP mode, workload)
# is undone on exit, failure included.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0
THP=/sys/kernel/mm/transparent_hugepage
ULONG_MAX=18446744073709551615
BUF_MIB=16
TIMEOUT_S=20

TMP=$(mktemp -d)
WL_PID=
FS_ZRAM=
THP_SAVED=

cleanup() {
	damon_reset 2>/dev/null
	stop_workload
	damon_zram_swap_off
	if [ -n "$FS_ZRAM" ]; then
		umount "$TMP/mnt" 2>/dev/null
		damon_zram_remove "$FS_ZRAM"
	fi
	[ -n "$THP_SAVED" ] && echo "$THP_SAVED" > "$THP/enabled"
	rm -rf "$TMP"
}
trap cleanup EXIT

# ===== zram devices =====

setup_fs() {
	local dev

	command -v mkfs.ext4 > /dev/null || return 1
	grep -qw ext4 /proc/filesystems || return 1
	dev=$(damon_zram_get) || return 1
	mkdir -p "$TMP/mnt"
	echo 64M > "/sys/block/$dev/disksize" &&
		mkfs.ext4 -q "/dev/$dev" &&
		mount -t ext4 "/dev/$dev" "$TMP/mnt" ||
		{ damon_zram_remove "$dev"; return 1; }
	FS_ZRAM=$dev
}

# ===== The workload =====

# start_workload ARGS...: run damos_vaddr_target ARGS in the background and
# set BUF_START and BUF_END (decimal) from the range it prints.
start_workload() {
	local start end i

	"$DIR/damos_vaddr_target" "$@" > "$TMP/wl.out" &
	WL_PID=$!
	for i in $(seq 300); do
		[ -s "$TMP/wl.out" ] && break
		kill -0 "$WL_PID" 2>/dev/null || break
		sleep 0.1
	done
	read -r start end < "$TMP/wl.out" || return 1
	BUF_START=$((16#$start))
	BUF_END=$((16#$end))
}

stop_workload() {
	[ -n "$WL_PID" ] || return 0
	kill "$WL_PID" 2>/dev/null
	wait "$WL_PID" 2>/dev/null
	WL_PID=
}

# status_kb FIELD: a kB field of the workload's /proc/<pid>/status.
status_kb() {
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$WL_PID/status"
}

# vma_field FIELD: the value of FIELD in the smaps entry of the buffer.
vma_field() {
	awk -v start="$(printf %08x "$BUF_START")" -v f="$1:" '
		/^[0-9a-f]+-[0-9a-f]+ / {
			split($1, a, "-")
			in_buf = (a[1] == start)
			next
		}
		in_buf && $1 == f { $1 = ""; print substr($0, 2); exit }
	' "/proc/$WL_PID/smaps"
}

# ===== DAMON =====

# stage OPS ACTION: one kdamond on the workload with one scheme of ACTION
# that matches any region; restricted to the buffer (see the header).
stage() {
	local ops=$1 action=$2 f

	damon_reset
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" &&
	echo 1 > "$K/contexts/nr_contexts" &&
	echo "$ops" > "$C/operations" &&
	echo 5000 > "$C/monitoring_attrs/intervals/sample_us" &&
	echo 100000 > "$C/monitoring_attrs/intervals/aggr_us" &&
	echo 3 > "$C/monitoring_attrs/nr_regions/min" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo "$WL_PID" > "$C/targets/0/pid_target" &&
	echo 1 > "$C/schemes/nr_schemes" &&
	echo "$action" > "$S/action" &&
	echo $ULONG_MAX > "$S/access_pattern/sz/max" &&
	echo $ULONG_MAX > "$S/access_pattern/nr_accesses/max" &&
	echo $ULONG_MAX > "$S/access_pattern/age/max" || return 1

	if [ "$ops" = fvaddr ]; then
		echo 1 > "$C/targets/0/regions/nr_regions" &&
		echo "$BUF_START" > "$C/targets/0/regions/0/start" &&
		echo "$BUF_END" > "$C/targets/0/regions/0/end"
		return
	fi
	f=$S/core_filters/0
	echo 1 > "$S/core_filters/nr_filters" &&
	echo addr > "$f/type" &&
	echo Y > "$f/matching" &&
	echo Y > "$f/allow" &&
	echo "$BUF_START" > "$f/addr_start" &&
	echo "$BUF_END" > "$f/addr_end"
}

# scheme_stat NAME: a statistic of the scheme, freshly updated.
scheme_stat() {
	echo update_schemes_stats > "$K/state" && cat "$S/stats/$1"
}

# wait_for CMD...: run CMD every 0.5 s until it succeeds; fail on timeout.
wait_for() {
	local i

	for i in $(seq $((TIMEOUT_S * 2))); do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

# run_action DESC OPS ACTION DONE_CMD WORKLOAD_ARGS...: apply ACTION to a
# fresh workload until DONE_CMD tells its effect is visible and the scheme
# reports applied bytes, then report DESC.  DONE_CMD may set $GOT, which is
# shown either way.  BEFORE_CMD, if set, runs before DAMON starts.
run_action() {
	local desc=$1 ops=$2 action=$3 done_cmd=$4

	shift 4
	GOT=
	if ! start_workload "$@"; then
		ktap_test_fail "$desc (workload did not start)"
		stop_workload
		return
	fi
	if [ -n "$BEFORE_CMD" ] && ! $BEFORE_CMD; then
		ktap_test_fail "$desc (precondition: $GOT)"
	elif ! stage "$ops" "$action" || ! damon_write "$K/state" on; then
		ktap_test_fail "$desc (cannot start DAMON: $DAMON_ERR)"
	elif wait_for applied_and "$done_cmd"; then
		ktap_test_pass "$desc ($GOT)"
	else
		ktap_test_fail "$desc ($GOT, sz_applied $(scheme_stat sz_applied))"
	fi
	damon_reset
	stop_workload
}

applied_and() {
	[ "$(scheme_stat sz_applied)" -gt 0 ] && "$1"
}

# ===== Effects =====

BUF_KB=$((BUF_MIB * 1024))

pageout_before() {
	RSS0=$(status_kb RssAnon)
	SWAP0=$(status_kb VmSwap)
	GOT="RssAnon $RSS0 kB"
	[ "$RSS0" -ge "$BUF_KB" ]
}

paged_out() {
	local rss swap

	rss=$(status_kb RssAnon)
	swap=$(status_kb VmSwap)
	GOT="RssAnon $RSS0 -> $rss kB, VmSwap $SWAP0 -> $swap kB"
	[ $((RSS0 - rss)) -ge $((BUF_KB * 3 / 4)) ] &&
		[ $((swap - SWAP0)) -ge $((BUF_KB * 3 / 4)) ]
}

referenced_before() {
	REF0=$(vma_field Referenced | cut -d' ' -f1)
	GOT="Referenced $REF0 kB"
	[ "$REF0" -ge $((BUF_KB * 3 / 4)) ]
}

cold() {
	local ref

	ref=$(vma_field Referenced | cut -d' ' -f1)
	GOT="Referenced $REF0 -> $ref kB of $BUF_KB"
	[ "$ref" -le $((BUF_KB / 10)) ]
}

# resident_pages: "<resident> <total>" of the workload's file
resident_pages() {
	"$DIR/damos_vaddr_target" resident "$TMP/mnt/file"
}

dropped_before() {
	local res total

	read -r res total < <(resident_pages)
	GOT="$res of $total pages cached"
	[ "$res" -le $((total / 10)) ]
}

read_ahead() {
	local res total

	read -r res total < <(resident_pages)
	GOT="$res of $total pages cached"
	# one read-ahead window per region and application: it takes a few
	[ "$res" -ge $((total / 2)) ]
}

has_vmflag() {
	GOT="VmFlags: $(vma_field VmFlags)"
	vma_field VmFlags | grep -qw "$1"
}

flag_hg() { has_vmflag hg; }
flag_nh() { has_vmflag nh; }

collapsed() {
	local thp

	thp=$(vma_field AnonHugePages | cut -d' ' -f1)
	GOT="AnonHugePages $thp kB of $BUF_KB"
	[ "$thp" -ge $((BUF_KB / 2)) ]
}

# lru_prio/lru_deprio: tried on the buffer, applied to nothing, no error.
tried_not_applied() {
	local tried applied

	tried=$(scheme_stat sz_tried)
	applied=$(scheme_stat sz_applied)
	GOT="sz_tried $tried, sz_applied $applied, state $(cat "$K/state")"
	[ "$tried" -gt 0 ] && [ "$applied" = 0 ] &&
		[ "$(cat "$K/state")" = on ]
}

check_unsupported() {
	local action=$1

	if ! start_workload anon "$BUF_MIB"; then
		ktap_test_fail "$action on vaddr (workload did not start)"
	elif ! stage vaddr "$action" || ! damon_write "$K/state" on; then
		ktap_test_fail "$action on vaddr (cannot start DAMON: $DAMON_ERR)"
	elif wait_for tried_not_applied; then
		ktap_test_pass "$action on vaddr applies nothing ($GOT)"
	else
		ktap_test_fail "$action on vaddr applies nothing ($GOT)"
	fi
	damon_reset
	stop_workload
}

# ===== Main =====

damon_begin vaddr fvaddr
if [ ! -x "$DIR/damos_vaddr_target" ]; then
	damon_skip_all "damos_vaddr_target is not built"
fi
ktap_set_plan 8

if damon_zram_swap_on 256M; then
	BEFORE_CMD=pageout_before run_action \
		"pageout (vaddr) moves the buffer to swap" vaddr pageout \
		paged_out anon "$BUF_MIB"
else
	ktap_test_skip "pageout: cannot set up zram swap"
fi

BEFORE_CMD=referenced_before run_action \
	"cold (fvaddr) clears the buffer's referenced state" fvaddr cold \
	cold anon "$BUF_MIB"

if setup_fs; then
	BEFORE_CMD=dropped_before run_action \
		"willneed (fvaddr) reads a dropped file mapping ahead" \
		fvaddr willneed read_ahead file "$TMP/mnt/file" "$BUF_MIB"
else
	ktap_test_skip "willneed: cannot set up an ext4 file system on zram"
fi

if [ -w "$THP/enabled" ]; then
	THP_SAVED=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP/enabled")
	echo madvise > "$THP/enabled"
	run_action "hugepage (vaddr) sets VM_HUGEPAGE" vaddr hugepage \
		flag_hg anon "$BUF_MIB"
	run_action "nohugepage (fvaddr) sets VM_NOHUGEPAGE" fvaddr \
		nohugepage flag_nh anon "$BUF_MIB"
	run_action "collapse (fvaddr) makes the buffer huge pages" fvaddr \
		collapse collapsed anon "$BUF_MIB"
else
	ktap_test_skip "hugepage: no transparent huge pages"
	ktap_test_skip "nohugepage: no transparent huge pages"
	ktap_test_skip "collapse: no transparent huge pages"
fi

check_unsupported lru_prio
check_unsupported lru_deprio

ktap_finished

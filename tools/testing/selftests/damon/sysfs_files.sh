#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Staging files of the DAMON sysfs interface, without starting anything:
# default values, round trips of valid values, rejection of bad input with
# the errno of the ABI and without side effects, and nr_* resizing.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

EINVAL="Invalid argument"
ERANGE="Numerical result out of range"
ENOMEM="Cannot allocate memory"

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0
P=$C/monitoring_attrs/probes

# path (relative to kdamonds/0) and default value
DEFAULTS=(
	"state" "off"
	"pid" "-1"
	"refresh_ms" "0"
	"contexts/nr_contexts" "1"
	"contexts/0/operations" "vaddr"
	"contexts/0/addr_unit" "1"
	"contexts/0/pause" "N"
	"contexts/0/monitoring_attrs/intervals/sample_us" "5000"
	"contexts/0/monitoring_attrs/intervals/aggr_us" "100000"
	"contexts/0/monitoring_attrs/intervals/update_us" "60000000"
	"contexts/0/monitoring_attrs/intervals/intervals_goal/access_bp" "0"
	"contexts/0/monitoring_attrs/intervals/intervals_goal/aggrs" "0"
	"contexts/0/monitoring_attrs/nr_regions/min" "10"
	"contexts/0/monitoring_attrs/nr_regions/max" "1000"
	"contexts/0/monitoring_attrs/probes/nr_probes" "1"
	"contexts/0/monitoring_attrs/probes/0/weight" "0"
	"contexts/0/monitoring_attrs/probes/0/preps/nr_preps" "1"
	"contexts/0/monitoring_attrs/probes/0/preps/0/prep_action" "set_pgidle"
	"contexts/0/monitoring_attrs/probes/0/filters/nr_filters" "1"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "anon"
	"contexts/0/monitoring_attrs/probes/0/filters/0/matching" "N"
	"contexts/0/monitoring_attrs/probes/0/filters/0/allow" "N"
	"contexts/0/monitoring_attrs/probes/0/filters/0/path" ""
	"contexts/0/monitoring_attrs/probes/0/filters/0/min" "0"
	"contexts/0/monitoring_attrs/probes/0/filters/0/max" "0"
	"contexts/0/targets/0/pid_target" "0"
	"contexts/0/targets/0/obsolete_target" "N"
	"contexts/0/targets/0/regions/0/start" "0"
	"contexts/0/schemes/0/action" "stat"
	"contexts/0/schemes/0/target_nid" "-1"
	"contexts/0/schemes/0/apply_interval_us" "0"
	"contexts/0/schemes/0/access_pattern/sz/max" "0"
	"contexts/0/schemes/0/quotas/goal_tuner" "consist"
	"contexts/0/schemes/0/quotas/effective_bytes" "0"
	"contexts/0/schemes/0/quotas/weights/age_permil" "0"
	"contexts/0/schemes/0/quotas/goals/0/target_metric" "user_input"
	"contexts/0/schemes/0/quotas/goals/0/path" ""
	"contexts/0/schemes/0/watermarks/metric" "none"
	"contexts/0/schemes/0/ops_filters/0/type" "anon"
	"contexts/0/schemes/0/ops_filters/0/matching" "N"
	"contexts/0/schemes/0/ops_filters/0/allow" "N"
	"contexts/0/schemes/0/ops_filters/0/memcg_path" ""
	"contexts/0/schemes/0/core_filters/nr_filters" "1"
	"contexts/0/schemes/0/dests/0/weight" "0"
	"contexts/0/schemes/0/stats/nr_snapshots" "0"
	"contexts/0/schemes/0/stats/max_nr_snapshots" "0"
	"contexts/0/schemes/0/tried_regions/total_bytes" "0"
)

# path, value written, value read back
ROUND_TRIPS=(
	"refresh_ms" "1000" "1000"
	"contexts/0/operations" "paddr" "paddr"
	"contexts/0/operations" "fvaddr" "fvaddr"
	"contexts/0/addr_unit" "0x1000" "4096"
	"contexts/0/pause" "1" "Y"
	"contexts/0/monitoring_attrs/intervals/sample_us" "010" "8"
	"contexts/0/targets/0/pid_target" "-5" "-5"
	"contexts/0/targets/0/obsolete_target" "on" "Y"
	"contexts/0/schemes/0/action" "collapse" "collapse"
	"contexts/0/schemes/0/action" "migrate_cold" "migrate_cold"
	"contexts/0/schemes/0/access_pattern/sz/max" "18446744073709551615" "18446744073709551615"
	"contexts/0/schemes/0/quotas/goal_tuner" "temporal" "temporal"
	"contexts/0/schemes/0/quotas/fail_charge_denom" "1024" "1024"
	"contexts/0/schemes/0/quotas/goals/0/target_metric"
		"node_memcg_free_bp" "node_memcg_free_bp"
	"contexts/0/schemes/0/quotas/goals/0/path" "/foo" "/foo"
	"contexts/0/schemes/0/watermarks/metric" "free_mem_rate" "free_mem_rate"
	"contexts/0/schemes/0/core_filters/0/type" "addr" "addr"
	"contexts/0/schemes/0/ops_filters/0/type" "hugepage_size" "hugepage_size"
	"contexts/0/schemes/0/filters/0/type" "target" "target"
	"contexts/0/schemes/0/ops_filters/0/memcg_path" "/a/b" "/a/b"
	"contexts/0/schemes/0/stats/max_nr_snapshots" "3" "3"
	"contexts/0/schemes/0/core_filters/0/type" "probe_hits_wsum"
		"probe_hits_wsum"
	"contexts/0/schemes/0/filters/0/type" "probe_hits_wsum" "probe_hits_wsum"
	"contexts/0/monitoring_attrs/probes/0/weight" "0x10" "16"
	"contexts/0/monitoring_attrs/probes/0/weight" "4294967295" "4294967295"
	"contexts/0/monitoring_attrs/probes/0/preps/0/prep_action" "set_pgidle"
		"set_pgidle"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "memcg" "memcg"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "pgidle_unset"
		"pgidle_unset"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "pgidle_set"
		"pgidle_set"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "hugepage_size"
		"hugepage_size"
	"contexts/0/monitoring_attrs/probes/0/filters/0/matching" "Y" "Y"
	"contexts/0/monitoring_attrs/probes/0/filters/0/allow" "1" "Y"
	"contexts/0/monitoring_attrs/probes/0/filters/0/path" "/a/b" "/a/b"
	"contexts/0/monitoring_attrs/probes/0/filters/0/min" "0x200000" "2097152"
	"contexts/0/monitoring_attrs/probes/0/filters/0/max" "18446744073709551615"
		"18446744073709551615"
)

# path, bad value, expected strerror()
BAD=(
	"state" "foo" "$EINVAL"
	"state" "on " "$EINVAL"
	"refresh_ms" "-1" "$EINVAL"
	"contexts/nr_contexts" "2" "$EINVAL"
	"contexts/nr_contexts" "-1" "$EINVAL"
	"contexts/0/operations" "vaddrx" "$EINVAL"
	"contexts/0/addr_unit" "0" "$EINVAL"
	"contexts/0/monitoring_attrs/intervals/sample_us" "18446744073709551616" "$ERANGE"
	"contexts/0/monitoring_attrs/intervals/aggr_us" "1.5" "$EINVAL"
	"contexts/0/targets/nr_targets" "x" "$EINVAL"
	"contexts/0/targets/0/pid_target" "99999999999" "$EINVAL"
	"contexts/0/targets/0/obsolete_target" "maybe" "$EINVAL"
	"contexts/0/schemes/0/action" "nothing" "$EINVAL"
	"contexts/0/schemes/0/target_nid" "2147483648" "$ERANGE"
	"contexts/0/schemes/0/quotas/ms" "18446744073709551616" "$EINVAL"
	"contexts/0/schemes/0/quotas/bytes" "-1" "$EINVAL"
	"contexts/0/schemes/0/quotas/goal_tuner" "fast" "$EINVAL"
	"contexts/0/schemes/0/quotas/weights/sz_permil" "4294967296" "$ERANGE"
	"contexts/0/schemes/0/quotas/goals/0/target_metric" "psi" "$EINVAL"
	"contexts/0/schemes/0/watermarks/metric" "free" "$EINVAL"
	"contexts/0/schemes/0/core_filters/0/type" "anon" "$EINVAL"
	"contexts/0/schemes/0/ops_filters/0/type" "addr" "$EINVAL"
	"contexts/0/schemes/0/filters/0/type" "foo" "$EINVAL"
	"contexts/0/schemes/0/dests/nr_dests" "-3" "$EINVAL"
	"contexts/0/schemes/0/ops_filters/0/type" "probe_hits_wsum" "$EINVAL"
	# at most DAMON_MAX_PROBES, refused at write time; probe 0 stays
	"contexts/0/monitoring_attrs/probes/nr_probes" "5" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/nr_probes" "-1" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/weight" "-1" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/weight" "4294967296" "$ERANGE"
	"contexts/0/monitoring_attrs/probes/0/preps/nr_preps" "-1" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/preps/0/prep_action" "set_pgidl"
		"$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/preps/0/prep_action" "mkold"
		"$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/filters/nr_filters" "-1" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "young" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/filters/0/type" "probe_hits_wsum"
		"$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/filters/0/matching" "maybe"
		"$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/filters/0/min" "-1" "$EINVAL"
	"contexts/0/monitoring_attrs/probes/0/filters/0/max"
		"18446744073709551616" "$ERANGE"
	# too many to allocate: refused quietly (no allocator WARN), and the
	# existing scheme, filter and region stay
	"contexts/0/schemes/nr_schemes" "2147483647" "$ENOMEM"
	"contexts/0/schemes/0/filters/nr_filters" "2147483647" "$ENOMEM"
	"contexts/0/targets/0/regions/nr_regions" "2147483647" "$ENOMEM"
)

# Build a tree with one of everything.
stage_one_of_each() {
	echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" &&
	echo 1 > "$K/contexts/nr_contexts" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo 1 > "$C/targets/0/regions/nr_regions" &&
	echo 1 > "$C/schemes/nr_schemes" &&
	echo 1 > "$S/quotas/goals/nr_goals" &&
	for d in filters core_filters ops_filters; do
		echo 1 > "$S/$d/nr_filters" || return 1
	done &&
	echo 1 > "$S/dests/nr_dests" &&
	echo 1 > "$P/nr_probes" &&
	echo 1 > "$P/0/preps/nr_preps" &&
	echo 1 > "$P/0/filters/nr_filters"
}

# The directories the INT_MAX resizes of BAD must have left alone.
staged_tree_intact() {
	[ -d "$S/quotas" ] && [ -d "$S/filters/0" ] &&
		[ -d "$C/targets/0/regions/0" ] && [ -d "$P/0/filters/0" ]
}

# The probes/ tree: layout, modes, nr_probes limits and resizing.
test_probes() {
	local f entries modes=

	for f in nr_probes 0/weight 0/preps/nr_preps 0/preps/0/prep_action \
		 0/filters/nr_filters 0/filters/0/type 0/filters/0/matching \
		 0/filters/0/allow 0/filters/0/path 0/filters/0/min \
		 0/filters/0/max; do
		modes="$modes$(stat -c %a "$P/$f")"
	done
	ktap_test_result "probes/ files are 0600" \
		[ "$modes" = "$(printf '600%.0s' $(seq 11))" ]
	entries=$(cd "$P/0" && echo *)
	if [ "$entries" = "filters preps weight" ]; then
		ktap_test_pass "probes/<P>/ has only weight, preps/ and filters/"
	else
		ktap_test_fail "probes/<P>/ has only weight, preps/ and filters/ (has $entries)"
	fi

	echo /x > "$P/0/filters/0/path"
	damon_write "$P/0/filters/0/path" "/a"
	ktap_test_result "path keeps what was written, newline included" \
		[ "$(od -An -c "$P/0/filters/0/path" | tr -d ' ')" = '/a\n\n' ]

	echo 7 > "$P/0/weight"
	if damon_write "$P/nr_probes" 4 &&
	   [ "$(ls -d "$P"/[0-9]* | wc -l)" = 4 ] &&
	   [ "$(cat "$P/0/weight")" = 0 ] && [ -d "$P/3/preps" ] &&
	   [ "$(cat "$P/3/filters/nr_filters")" = 0 ]; then
		ktap_test_pass "nr_probes 4 recreates the probes with defaults"
	else
		ktap_test_fail "nr_probes 4 recreates the probes with defaults"
	fi
	damon_expect_fail "nr_probes 5 is refused and keeps 4 probes" \
		"$P/nr_probes" 5 "$EINVAL"
	damon_write "$P/nr_probes" 0
	ktap_test_result "nr_probes 0 removes every probe" [ ! -e "$P/0" ]
}

test_resizing() {
	local n

	echo 7 > "$C/targets/0/pid_target"
	if damon_write "$C/targets/nr_targets" 3 &&
	   [ "$(ls -d "$C"/targets/[0-9]* | wc -l)" = 3 ] &&
	   [ "$(cat "$C/targets/0/pid_target")" = 0 ]; then
		ktap_test_pass "nr_targets recreates the targets with defaults"
	else
		ktap_test_fail "nr_targets recreates the targets with defaults"
	fi

	damon_write "$C/targets/nr_targets" 1
	n=$(ls -d "$C"/targets/[0-9]* | wc -l)
	ktap_test_result "nr_targets shrinks" [ "$n" = 1 ]

	damon_write "$C/schemes/nr_schemes" 0
	ktap_test_result "nr_schemes 0 removes every scheme" \
		[ ! -e "$C/schemes/0" ]
	damon_write "$C/schemes/nr_schemes" 2
	ktap_test_result "nr_schemes grows" \
		[ -d "$C/schemes/1/quotas/goals" ]

	for f in nr_tried sz_tried nr_applied sz_applied qt_exceeds \
		 sz_ops_filter_passed nr_snapshots; do
		[ "$(stat -c %a "$C/schemes/0/stats/$f")" = 400 ] || break
	done
	ktap_test_result "stats files are read-only" \
		[ "$(stat -c %a "$C/schemes/0/stats/$f")" = 400 ]
	ktap_test_result "avail_operations is read-only" \
		[ "$(stat -c %a "$C/avail_operations")" = 400 ]
}

damon_require_root
damon_require_sysfs
ktap_set_plan $(( ${#DEFAULTS[@]} / 2 + ${#ROUND_TRIPS[@]} / 3 + \
		  ${#BAD[@]} / 3 + 8 + 6 ))

damon_reset
if ! stage_one_of_each; then
	ktap_exit_fail_msg "could not stage the tree"
fi

for ((i = 0; i < ${#DEFAULTS[@]}; i += 2)); do
	damon_expect_read "default of ${DEFAULTS[i]}" "$K/${DEFAULTS[i]}" \
		"${DEFAULTS[i + 1]}"
done
for ((i = 0; i < ${#ROUND_TRIPS[@]}; i += 3)); do
	damon_expect_write "${ROUND_TRIPS[i]} takes '${ROUND_TRIPS[i + 1]}'" \
		"$K/${ROUND_TRIPS[i]}" "${ROUND_TRIPS[i + 1]}" \
		"${ROUND_TRIPS[i + 2]}"
done
for ((i = 0; i < ${#BAD[@]}; i += 3)); do
	damon_expect_fail "${BAD[i]} rejects '${BAD[i + 1]}'" \
		"$K/${BAD[i]}" "${BAD[i + 1]}" "${BAD[i + 2]}"
done
ktap_test_result "refused resizes leave the directories" staged_tree_intact

test_resizing
test_probes
damon_reset
ktap_test_result "nr_kdamonds 0 removes every kdamond" \
	[ ! -e "$DAMON_ADMIN/kdamonds/0" ]
ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data-attribute probes through the DAMON sysfs interface: what damo's
# feature detection stages, the probes "on" and "commit" refuse (with the
# kdamond left as it was), and the probes of a running kdamond showing up
# in tried_regions/<N>/probes/<P>/hits.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

EINVAL="Invalid argument"

K=$DAMON_ADMIN/kdamonds/0
C=$K/contexts/0
S=$C/schemes/0
P=$C/monitoring_attrs/probes
IV=$C/monitoring_attrs/intervals
TR=$S/tried_regions

# damo 3.4.3's second feature-detection step: a paddr context, one target
# without regions, no scheme, one probe with one anon filter, weight 0.
# Every write must succeed.
stage_damo_probe() {
	echo paddr > "$C/operations" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo 0 > "$C/schemes/nr_schemes" &&
	echo 1 > "$P/nr_probes" &&
	echo 1 > "$P/0/preps/nr_preps" &&
	echo set_pgidle > "$P/0/preps/0/prep_action" &&
	echo 1 > "$P/0/filters/nr_filters" &&
	echo anon > "$P/0/filters/0/type" &&
	echo Y > "$P/0/filters/0/matching" &&
	echo N > "$P/0/filters/0/allow" &&
	echo 0 > "$P/0/weight"
}

# A vaddr kdamond over process $1 with one "stat" scheme matching every
# region, and two probes: 0 without filters (a hit on every sample), 1
# counting anonymous pages.
stage() {
	echo vaddr > "$C/operations" &&
	echo 1 > "$C/targets/nr_targets" &&
	echo "$1" > "$C/targets/0/pid_target" &&
	echo 1 > "$C/schemes/nr_schemes" &&
	echo 18446744073709551615 > "$S/access_pattern/sz/max" &&
	echo 18446744073709551615 > "$S/access_pattern/nr_accesses/max" &&
	echo 18446744073709551615 > "$S/access_pattern/age/max" &&
	echo 2 > "$P/nr_probes" &&
	echo 1 > "$P/1/filters/nr_filters" &&
	echo anon > "$P/1/filters/0/type" &&
	echo Y > "$P/1/filters/0/matching" &&
	echo Y > "$P/1/filters/0/allow"
}

# Number of probes/<P> directories of every tried region, one per line.
tried_probe_counts() {
	local r

	for r in "$TR"/[0-9]*; do
		[ -d "$r" ] || continue
		ls -d "$r"/probes/[0-9]* 2>/dev/null | wc -l
	done
}

# tried_probes_are N: there are tried regions, and each has N probes.
tried_probes_are() {
	local counts

	counts=$(tried_probe_counts | sort -u)
	[ -n "$counts" ] && [ "$counts" = "$1" ]
}

# Highest hits of probe $1 over the tried regions.
max_hits() {
	cat "$TR"/[0-9]*/probes/"$1"/hits 2>/dev/null | sort -n | tail -1
}

damon_begin vaddr paddr
ktap_set_plan 24

# ----- damo's feature detection (staging only) -----

if stage_damo_probe; then
	ktap_test_pass "damo's probe feature staging is accepted"
else
	ktap_test_fail "damo's probe feature staging is accepted"
fi
ktap_test_result "probes/0 has weight, preps/ and filters/0/min" \
	[ -f "$P/0/weight" -a -d "$P/0/preps" -a -f "$P/0/filters/0/min" ]

# ----- "on" refuses bad probes and stays off -----

damon_reset
echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds"
echo 1 > "$K/contexts/nr_contexts"
sleep 1000 &
victim=$!
stage $victim || ktap_exit_fail_msg "could not stage the kdamond"

echo memcg > "$P/1/filters/0/type"
damon_expect_refused "on with a memcg probe filter whose path was never written" on
echo /damon-no-such-cgroup > "$P/1/filters/0/path"
damon_expect_refused "on with a memcg probe filter path that does not exist" on
echo hugepage_size > "$P/1/filters/0/type"
echo 2097152 > "$P/1/filters/0/min"
echo 4096 > "$P/1/filters/0/max"
damon_expect_refused "on with a hugepage_size probe filter min above max" on
echo 4096 > "$P/1/filters/0/min"
echo 2097152 > "$P/1/filters/0/max"
echo 1 > "$P/0/weight"
echo 1000 > "$IV/sample_us"
echo 300000 > "$IV/aggr_us"
damon_expect_refused "on with a weight and 300 samples per aggregation" on
echo 0 > "$P/0/weight"
echo 5000 > "$IV/sample_us"
echo 100000 > "$IV/aggr_us"
echo 1 > "$S/core_filters/nr_filters"
echo probe_hits_wsum > "$S/core_filters/0/type"
echo 10 > "$S/core_filters/0/min"
echo 9 > "$S/core_filters/0/max"
damon_expect_refused "on with a probe_hits_wsum DAMOS filter min above max" on
echo 0 > "$S/core_filters/nr_filters"
damon_expect_read "the refused ons left the kdamond off" "$K/state" off

echo memcg > "$P/1/filters/0/type"
echo / > "$P/1/filters/0/path"
if damon_write "$K/state" on; then
	ktap_test_pass "on with a memcg probe filter on the root cgroup"
else
	ktap_test_fail "on with a memcg probe filter on the root cgroup ($DAMON_ERR)"
fi
damon_write "$K/state" off
echo anon > "$P/1/filters/0/type"

# ----- a running kdamond's probes in tried_regions/ -----

if damon_write "$K/state" on; then
	ktap_test_pass "on with two probes starts the kdamond"
else
	ktap_test_fail "on with two probes starts the kdamond ($DAMON_ERR)"
fi
pid=$(cat "$K/pid")
sleep 1
damon_write "$K/state" update_schemes_tried_regions
ktap_test_result "every tried region has probes/0 and probes/1" \
	tried_probes_are 2
ktap_test_result "probes/<P>/hits is a read-only file" \
	[ "$(stat -c %a "$TR/0/probes/1/hits" 2>/dev/null)" = 400 ]
ktap_test_result "tried_regions/<N>/probes/ holds no regular file" \
	[ -z "$(find "$TR/0/probes" -maxdepth 1 -type f)" ]
hits=$(max_hits 0)
ktap_test_result "probe 0 (no filters) hits in some region ($hits)" \
	[ "${hits:-0}" -gt 0 ]
ktap_test_result "no region has more hits than samples per aggregation" \
	[ "${hits:-0}" -le 20 -a "$(max_hits 1)" -le "${hits:-0}" ]

damon_write "$K/state" update_schemes_tried_bytes
ktap_test_result "update_schemes_tried_bytes makes no region directory" \
	[ ! -e "$TR/0" -a "$(cat "$TR/total_bytes")" -gt 0 ]

# ----- "commit" refuses bad probes and keeps the running ones -----

echo 3 > "$P/nr_probes"
echo 1 > "$P/2/filters/nr_filters"
echo memcg > "$P/2/filters/0/type"
echo /damon-no-such-cgroup > "$P/2/filters/0/path"
damon_expect_refused "commit with a memcg probe filter path that does not exist" \
	commit
echo hugepage_size > "$P/2/filters/0/type"
echo 1 > "$P/2/filters/0/min"
echo 0 > "$P/2/filters/0/max"
damon_expect_refused "commit with a hugepage_size probe filter min above max" \
	commit
echo 0 > "$P/2/filters/0/max"
echo anon > "$P/2/filters/0/type"
echo 1 > "$P/2/weight"
echo 1000 > "$IV/sample_us"
echo 300000 > "$IV/aggr_us"
damon_expect_refused "commit of a weight with 300 samples per aggregation" commit
echo 5000 > "$IV/sample_us"
echo 100000 > "$IV/aggr_us"
echo 0 > "$P/2/weight"
damon_write "$K/state" update_schemes_tried_regions
ktap_test_result "refused commits left the kdamond with its two probes" \
	[ "$(cat "$K/state")" = on -a "$(cat "$K/pid")" = "$pid" ] &&
	tried_probes_are 2

if damon_write "$K/state" commit &&
   damon_write "$K/state" update_schemes_tried_regions &&
   tried_probes_are 3; then
	ktap_test_pass "a commit of three probes shows three in tried regions"
else
	ktap_test_fail "a commit of three probes shows three in tried regions"
fi
echo 0 > "$P/nr_probes"
if damon_write "$K/state" commit &&
   damon_write "$K/state" update_schemes_tried_regions &&
   tried_probes_are 0 && [ -d "$TR/0/probes" ]; then
	ktap_test_pass "without probes every tried region has an empty probes/"
else
	ktap_test_fail "without probes every tried region has an empty probes/"
fi

# ----- attributes-only mode -----

echo 1 > "$P/nr_probes"
echo 1 > "$P/0/weight"
if damon_write "$K/state" commit; then
	ktap_test_pass "commit of a weighted probe"
else
	ktap_test_fail "commit of a weighted probe ($DAMON_ERR)"
fi
sleep 1
damon_write "$K/state" update_schemes_tried_regions
ktap_test_result "attributes-only: nr_accesses 0, probe 0 hits" \
	[ "$(cat "$TR"/[0-9]*/nr_accesses | sort -u)" = 0 -a \
	  "$(max_hits 0)" -gt 0 ]

damon_write "$K/state" off
kill $victim
wait $victim 2>/dev/null
damon_reset
ktap_finished

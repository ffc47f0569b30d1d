#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the real damo tool against the running kernel, in the guest:
# features, start on a workload, report access, tune, stop.  One line per step:
#   HARNESS-RESULT damo:<step> PASS|FAIL|SKIP <detail>

WORKLOAD=$BUILD/bin/workload
ADMIN=/sys/kernel/mm/damon/admin

result() { echo "HARNESS-RESULT damo:$1 $2 ${3:-}"; }

step() {	# step NAME COMMAND...: run, show output, PASS on exit 0
	local name=$1 out rc
	shift
	echo "# damo:$name: $*"
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/#   /' | head -150
	LAST_OUT=$out
	[ $rc -eq 0 ]
}

if ! command -v damo >/dev/null; then
	for s in features start report-access tune stop features-probes \
		report-probes record-probes sample-write-only module-reclaim \
		module-lru-sort module-stat; do
		result $s FAIL "damo is not installed"
	done
	exit 0
fi
damo version

if step features damo features supported &&
   echo "$LAST_OUT" | grep -q "interface/damon_sysfs"; then
	result features PASS
else
	result features FAIL "damo features failed or found no sysfs interface"
fi

# damo itself takes seconds per command under TCG: keep the workload alive
# for long enough, and kill it at the end
"$WORKLOAD" --mib 64 --phase-s 4 --phases 100 --tlb-refresh-ms 20 --log /tmp/workload.log &
wl=$!
sleep 1

if step start damo start "$wl" && grep -q on $ADMIN/kdamonds/0/state 2>/dev/null; then
	result start PASS
else
	result start FAIL "damo start failed or no kdamond is on"
fi

sleep 3
if step report-access damo report access &&
   echo "$LAST_OUT" | grep -qE "[0-9]+ +(B|KiB|MiB|GiB)"; then
	result report-access PASS
else
	result report-access FAIL "no regions reported"
fi

# an online update: add a stat scheme to the running kdamond
if step tune damo tune "$wl" --damos_action stat &&
   grep -q on $ADMIN/kdamonds/0/state &&
   [ "$(cat $ADMIN/kdamonds/0/contexts/0/schemes/nr_schemes 2>/dev/null)" = 1 ]; then
	result tune PASS
else
	result tune FAIL "damo tune failed, stopped DAMON or did not add the scheme"
fi

if step stop damo stop && ! grep -q on $ADMIN/kdamonds/*/state 2>/dev/null &&
   [ -d $ADMIN ]; then
	result stop PASS
else
	result stop FAIL "damo stop failed or a kdamond is still on"
fi
kill $wl 2>/dev/null
wait 2>/dev/null

# Data attributes monitoring: damo detects every probe feature, drives
# probes on a workload (anon and memcg) and reports their hits, from a
# snapshot and from a record of the damon_region_aggregated tracepoint.
PROBE_FEATURES="sysfs/attrs_monitoring sysfs/probe_type_anon
	sysfs/probe_type_memcg trace/damon_region_aggregated sysfs/probe_weights
	sysfs/probe_preps sysfs/probe_prep_set_pgidle
	sysfs/probe_type_pgidle_unset sysfs/probe_type_pgidle_set
	sysfs/damos_filter_probe_hits_wsum sysfs/probe_type_hugepage_size"
missing=
if step features-probes damo features supported; then
	for f in $PROBE_FEATURES; do
		echo "$LAST_OUT" | grep -qx "$f" || missing="$missing $f"
	done
	# what may stay unsupported: the debugfs interface and two damon/next
	# hacks (never to be created)
	step features-unsupported damo features unsupported
	missing="$missing $(echo "$LAST_OUT" | grep -E '^[a-z]+/' |
		grep -vxE 'debugfs/.*|interface/damon_debugfs|sysfs/damos_quota_goal_complement|sysfs/ops_attrs' |
		tr '\n' ' ')"
	missing=${missing%% }
	[ -z "${missing// /}" ] && result features-probes PASS ||
		result features-probes FAIL "not supported:$missing"
else
	result features-probes FAIL "damo features failed"
fi

CG=/sys/fs/cgroup/damo_probes
# a child cgroup has a memcg only if the root delegates the controller
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p $CG
( echo "$BASHPID" > $CG/cgroup.procs &&
  exec "$WORKLOAD" --mib 64 --phase-s 4 --phases 100 --tlb-refresh-ms 20 \
	--log /tmp/workload-probes.log ) &
wl=$!
sleep 1
# region lines: index, start, size, access hz, age, then one count per probe
probe_hits_shown() {
	echo "$LAST_OUT" | grep -q probe_hits &&
	echo "$LAST_OUT" | awk '$1 ~ /^[0-9]+$/ && NF >= 2 &&
		$(NF - 1) ~ /^[0-9]+$/ && $(NF - 1) > 0 { found = 1 }
		END { exit !found }'
}
if step start-probes damo start "$wl" --probe --probe_filter allow anon \
	--probe --probe_filter allow memcg /damo_probes &&
   [ "$(cat $ADMIN/kdamonds/0/contexts/0/monitoring_attrs/probes/nr_probes)" = 2 ] &&
   sleep 3 && step report-probes damo report access && probe_hits_shown; then
	result report-probes PASS
else
	result report-probes FAIL "no probes installed or no probe hits reported"
fi
step stop-probes damo stop
# the record is kept as perf wrote it: "damo report trace -i" parses that
# (without -i it streams live events until killed)
if (cd /tmp && step record-probes damo record "$wl" --probe \
	--probe_filter allow anon --do_record damon_trace_events \
	--output_type perf_data --timeout 6 &&
    step report-trace timeout 300 damo report trace -i damon.data &&
    echo "$LAST_OUT" | grep -q damon_region_aggregated); then
	result record-probes PASS
else
	result record-probes FAIL "damo record/report trace showed no damon_region_aggregated"
fi
damo stop >/dev/null 2>&1
kill $wl 2>/dev/null
wait 2>/dev/null
rmdir $CG 2>/dev/null

# Access-sample control: write-only monitoring by page faults.  The
# workload only reads area A and only writes area B; "damo report access"
# (raw numbers) must show B hot and A cold.  NUMA balancing would take the
# faults: off for the step.
SWL=$BUILD/bin/sample_workload
A_START=$((0x600000000000)) B_START=$((0x600010000000)) AREA=$((8 << 20))
# share of [$1, $1 + AREA) in regions with a non-zero access rate
hot_share() {
	echo "$LAST_OUT" | python3 -c '
import re, sys
lo = int(sys.argv[1]); hi = lo + int(sys.argv[2]); hot = 0
for l in sys.stdin:
    m = re.search(r"addr (\d+) +size (\d+) +access (\d+)", l)
    if m and int(m.group(3)):
        s = int(m.group(1)); e = s + int(m.group(2))
        hot += max(0, min(e, hi) - max(s, lo))
print("%.2f" % (hot / (hi - lo)))' "$1" $AREA
}
numa=$(cat /proc/sys/kernel/numa_balancing)
echo 0 > /proc/sys/kernel/numa_balancing
"$SWL" rw 300 > /tmp/sample_workload.out &
swl=$!
sleep 1
if step start-sample damo start "$swl" --exp_ops_use_reports y \
	--exp_ops_write_only y &&
   [ "$(cat $ADMIN/kdamonds/0/contexts/0/monitoring_attrs/sample/primitives/page_fault)" = Y ] &&
   sleep 5 && step report-sample damo report access --raw_number; then
	a=$(hot_share $A_START) b=$(hot_share $B_START)
	echo "# damo:sample-write-only: hot share of the read area $a, of the written area $b"
	if python3 -c "import sys; sys.exit(not (float('$b') >= 0.5 and float('$a') <= 0.2))"; then
		result sample-write-only PASS
	else
		result sample-write-only FAIL "read area $a hot, written area $b hot"
	fi
else
	result sample-write-only FAIL "damo start with --exp_ops_write_only or report failed"
fi
damo stop >/dev/null 2>&1
kill $swl 2>/dev/null
wait 2>/dev/null
echo "$numa" > /proc/sys/kernel/numa_balancing

# The modules: damo reads (and for DAMON_STAT writes) their parameters.
if step module-reclaim damo module reclaim status &&
   echo "$LAST_OUT" | grep -q "min_age"; then
	result module-reclaim PASS
else
	result module-reclaim FAIL "damo module reclaim status failed"
fi
if step module-lru-sort damo module lru_sort status &&
   echo "$LAST_OUT" | grep -q "hot_thres_access_freq"; then
	result module-lru-sort PASS
else
	result module-lru-sort FAIL "damo module lru_sort status failed"
fi
# DAMON_STAT refreshes its outputs every 5 s.
if step module-stat-on damo module stat write enabled Y && sleep 8 &&
   step module-stat damo module stat read &&
   echo "$LAST_OUT" | grep -q "estimated_memory_bandwidth" &&
   step module-stat-idle damo module stat read idle_time_percentiles &&
   step module-stat-off damo module stat write enabled N &&
   [ "$(cat /sys/module/damon_stat/parameters/enabled)" = N ]; then
	result module-stat PASS
else
	result module-stat FAIL "damo module stat write/read failed"
	echo N > /sys/module/damon_stat/parameters/enabled
fi
exit 0

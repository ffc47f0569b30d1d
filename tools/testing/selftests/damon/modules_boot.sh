#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot-time enabling of the DAMON modules: for each damon_<module>.enabled=Y
# on the kernel command line, the module must run now, with the other
# command-line parameters applied.  Boot with, e.g.,
#   damon_reclaim.enabled=Y damon_reclaim.min_age=30000000
# Skips if no module was enabled on the command line.

. "$(dirname "$(readlink -f "$0")")/_common.sh"

ktap_print_header

damon_require_root

read -r cmdline < /proc/cmdline
mods=""
for m in damon_reclaim damon_lru_sort damon_stat; do
	[[ " $cmdline " == *" $m.enabled=Y "* ]] && mods="$mods $m"
done
if [ -z "$mods" ]; then
	damon_skip_all "no damon_*.enabled=Y on the kernel command line"
fi

ktap_set_plan $(( $(echo $mods | wc -w) * 3 ))
first=""
for m in $mods; do
	d=/sys/module/$m/parameters
	# Only one exclusive user can run: the first one enabled wins.
	if [ -z "$first" ] && [ "$(cat $d/enabled)" = Y ]; then
		first=$m
		ktap_test_pass "$m: enabled at boot runs"
		pid=$(cat $d/kdamond_pid)
		if [ "$pid" -gt 0 ] && grep -q '^kdamond' "/proc/$pid/comm"; then
			ktap_test_pass "$m: kdamond_pid is a kdamond"
		else
			ktap_test_fail "$m: kdamond_pid is a kdamond"
		fi
		ok=1
		for kv in $cmdline; do
			[[ $kv == "$m."* ]] || continue
			k=${kv#"$m."}; k=${k%%=*}; v=${kv#*=}
			[ "$k" = enabled ] && continue
			[ "$(cat "$d/$k")" = "$v" ] || ok=0
		done
		[ $ok = 1 ] && ktap_test_pass "$m: command-line parameters applied" ||
			ktap_test_fail "$m: command-line parameters applied"
		echo N > $d/enabled
	else
		# Lost the race for exclusivity: must read N and hold no kdamond.
		[ "$(cat $d/enabled)" = N ] && ktap_test_pass "$m: second exclusive user reads N" ||
			ktap_test_fail "$m: second exclusive user reads N"
		[ "$(cat $d/kdamond_pid)" = -1 ] && ktap_test_pass "$m: no kdamond" ||
			ktap_test_fail "$m: no kdamond"
		ktap_test_pass "$m: nothing to apply"
	fi
done
ktap_finished

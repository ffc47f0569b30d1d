#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak.sh begin|end - the leak check around the debug phase (guest side).
#
#   begin  scan once and clear: whatever is unreferenced before the tests
#          (boot-time objects of other subsystems) is not reported later
#   end    wait out kmemleak's minimum object age, scan twice and print
#          every unreferenced object that was allocated from DAMON code,
#          then one line for the host:
#            HARNESS-RESULT debug:kmemleak PASS|FAIL <detail>
#
# An object is DAMON's when a function of its allocation backtrace is one
# of ours (damon_*, damos_*, kdamond_*): objects leaked by other subsystems
# during the run are listed as a note but do not fail the check.

KL=/sys/kernel/debug/kmemleak
OURS='(damon|damos|kdamond)_[a-z0-9_]*[+]0x'

if [ ! -w "$KL" ]; then
	[ "$1" = end ] && echo "HARNESS-RESULT debug:kmemleak FAIL no $KL (CONFIG_DEBUG_KMEMLEAK?)"
	exit 0
fi

case $1 in
begin)
	echo scan > "$KL"
	echo clear > "$KL"
	;;
end)
	# kmemleak skips objects younger than 5 s; a second scan catches
	# those whose last reference was a stale register or stack slot
	sleep 6
	echo scan > "$KL"
	sleep 1
	echo scan > "$KL"
	report=$(cat "$KL")
	# one record per "unreferenced object" paragraph
	ours=$(printf '%s\n' "$report" | awk -v re="$OURS" '
		/^unreferenced object/ { if (rec != "" && rec ~ re) { print rec; n++ } rec = "" }
		{ rec = rec $0 "\n" }
		END { if (rec != "" && rec ~ re) { print rec; n++ } }')
	nr_all=$(printf '%s\n' "$report" | grep -c '^unreferenced object')
	nr_ours=$(printf '%s\n' "$ours" | grep -c '^unreferenced object')
	if [ "$nr_ours" -gt 0 ]; then
		echo "# kmemleak: $nr_ours object(s) leaked from DAMON code:"
		printf '%s\n' "$ours" | sed 's/^/# /'
		echo "HARNESS-RESULT debug:kmemleak FAIL $nr_ours unreferenced object(s) allocated by DAMON"
	else
		echo "# kmemleak: $nr_all unreferenced object(s), none allocated by DAMON"
		[ "$nr_all" -gt 0 ] && printf '%s\n' "$report" | head -40 | sed 's/^/# other: /'
		echo "HARNESS-RESULT debug:kmemleak PASS"
	fi
	;;
*)
	echo "usage: kmemleak.sh begin|end" >&2
	exit 2
	;;
esac

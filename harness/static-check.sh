#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static-check.sh - compile mm/damon/ with the checks 0-day runs: W=1 (extra
# gcc warnings) and sparse (C=2, every file), in the test configuration (with
# KUnit: VISIBLE_IF_KUNIT symbols are global) and in the bench one (without:
# they are static).  Only mm/damon/ objects are built, in object directories
# of their own ($BUILD/static-<config>), so the test kernel is not touched.
#
# Output: "PASS|FAIL static:<check>-<config> -- detail" lines; exit status 1
# if one failed.  Logs in $BUILD/static-<config>/{w1,sparse}.log.
#
# Sparse cannot see locks taken inside functions that are not annotated.
# The page-table walkers of mm/ all get "context imbalance" reports for it
# (pte_offset_map_lock() takes rcu_read_lock() out of line, and
# pmd_trans_huge_lock() and page_vma_mapped_walk() take the page-table lock
# conditionally): mm/madvise.c, mm/mprotect.c and mm/khugepaged.c get the
# same ones.  Those reports, for our walkers listed in SPARSE_LOCK_WALKERS,
# are expected; any other sparse report fails.
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$HARNESS")}
BUILD=${BUILD:-$REPO/build}
CC="ccache gcc"
command -v ccache >/dev/null || CC=gcc
export CCACHE_BASEDIR=$BUILD
SPARSE_LOCK_WALKERS="mkold_pmd_entry young_pmd_entry migrate_pmd_entry folio_young_one"

command -v sparse >/dev/null || { echo "FAIL static:sparse -- sparse is not installed (harness/deps.sh)"; exit 1; }
src=$("$HARNESS/tree.sh" ours | tail -1)
bad=0

configure() {	# $1: object dir, $2...: config fragments
	local obj=$1
	shift
	mkdir -p "$obj"
	make -s -C "$src" O="$obj" CC="$CC" x86_64_defconfig >/dev/null
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "$src/kernel/configs/kvm_guest.config" "$@") \
		>"$obj/merge_config.log" 2>&1
	make -s -C "$src" O="$obj" CC="$CC" olddefconfig >/dev/null
}

# Build mm/damon/ of $1 with make arguments $3..., log in $2; force a
# rebuild so that every file is checked.
check_build() {
	local obj=$1 log=$2
	shift 2
	rm -f "$obj"/mm/damon/*.o "$obj"/mm/damon/tests/*.o
	make -s -C "$src" O="$obj" CC="$CC" -j"$(nproc)" "$@" mm/damon/ >"$log" 2>&1
}

for cfg in test bench; do
	obj=$BUILD/static-$cfg
	configure "$obj" "$HARNESS/config/base.config" "$HARNESS/config/$cfg.config"

	if ! check_build "$obj" "$obj/w1.log" W=1; then
		echo "FAIL static:w1-$cfg -- build failed, see $obj/w1.log"
		bad=1
	elif grep -q "warning:" "$obj/w1.log"; then
		echo "FAIL static:w1-$cfg -- $(grep -c 'warning:' "$obj/w1.log") warning(s), see $obj/w1.log"
		bad=1
	else
		echo "PASS static:w1-$cfg"
	fi

	if ! check_build "$obj" "$obj/sparse.log" C=2; then
		echo "FAIL static:sparse-$cfg -- build failed, see $obj/sparse.log"
		bad=1
		continue
	fi
	pattern=$(echo "$SPARSE_LOCK_WALKERS" | sed "s/ /|/g")
	others=$(grep "warning:\|error:" "$obj/sparse.log" |
		 grep -Ev "context imbalance in '($pattern)'" || true)
	expected=$(grep -Ec "context imbalance in '($pattern)'" "$obj/sparse.log" || true)
	if [ -n "$others" ]; then
		echo "FAIL static:sparse-$cfg -- $(echo "$others" | head -1)"
		bad=1
	else
		echo "PASS static:sparse-$cfg -- $expected expected lock-context report(s) of page-table walkers"
	fi
done
exit $bad

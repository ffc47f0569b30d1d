#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# config-matrix.sh - build small kernels with DAMON in several configurations
# that 0-day would try: tinyconfig plus a set of DAMON options, with and
# without the features DAMON uses when they are there (MEMCG, NUMA, THP,
# MIGRATION, SWAP, ADVISE_SYSCALLS, NUMA_BALANCING, HUGETLB_PAGE).  Each is
# linked (vmlinux), since missing symbols only show at the link.
#
# Usage: config-matrix.sh [NAME ...]   (default: every configuration below)
# Output: one "PASS|FAIL <name>" line per configuration, build logs in
# $BUILD/cfg-<name>/build.log; exit status 1 if one failed.
# Not part of make test (a cold run takes tens of minutes): `make
# config-matrix`.
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$HARNESS")}
BUILD=${BUILD:-$REPO/build}
CC="ccache gcc"
command -v ccache >/dev/null || CC=gcc

# name: the options to set on top of tinyconfig (a "-" prefix unsets)
declare -A MATRIX=(
	[all-bare]="DAMON DAMON_VADDR DAMON_PADDR DAMON_SYSFS DAMON_RECLAIM DAMON_LRU_SORT DAMON_STAT -ADVISE_SYSCALLS"
	[vaddr-only]="DAMON DAMON_VADDR -ADVISE_SYSCALLS"
	[paddr-reclaim]="DAMON DAMON_PADDR DAMON_RECLAIM BLOCK SWAP"
	[sysfs-full]="DAMON DAMON_VADDR DAMON_PADDR DAMON_SYSFS DAMON_LRU_SORT BLOCK CGROUPS MEMCG SMP NUMA TRANSPARENT_HUGEPAGE MIGRATION SWAP ADVISE_SYSCALLS NUMA_BALANCING HUGETLBFS HUGETLB_PAGE"
)
# the options every configuration needs to have DAMON at all
BASE="64BIT MMU SYSFS"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${!MATRIX[@]}")
"$HARNESS/tree.sh" ours >/dev/null
src="$BUILD/src"
bad=0
for name in "${names[@]}"; do
	opts=${MATRIX[$name]:?unknown configuration $name}
	out="$BUILD/cfg-$name"
	mkdir -p "$out"
	frag="$out/damon.frag"
	: >"$frag"
	for o in $BASE $opts; do
		if [ "${o#-}" != "$o" ]; then
			echo "# CONFIG_${o#-} is not set" >>"$frag"
		else
			echo "CONFIG_$o=y" >>"$frag"
		fi
	done
	if ! {
		make -s -C "$src" O="$out" CC="$CC" tinyconfig &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "$frag" >/dev/null &&
		make -s -C "$src" O="$out" CC="$CC" olddefconfig
	} >"$out/build.log" 2>&1; then
		echo "FAIL $name (configuration)"
		bad=1
		continue
	fi
	# what was asked must be what we got (a dependency may drop an option)
	missing=""
	for o in $opts; do
		if [ "${o#-}" = "$o" ] && ! grep -q "^CONFIG_$o=y" "$out/.config"; then
			missing="$missing $o"
		fi
	done
	if [ -n "$missing" ]; then
		echo "FAIL $name (not set:$missing)"
		bad=1
		continue
	fi
	if make -s -C "$src" O="$out" CC="$CC" -j"$(nproc)" vmlinux \
		>>"$out/build.log" 2>&1 &&
	   ! grep -q "warning:" "$out/build.log"; then
		echo "PASS $name"
	else
		echo "FAIL $name (see $out/build.log)"
		bad=1
	fi
done
exit $bad

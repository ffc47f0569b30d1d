#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh - configure and build a kernel for the harness.
#
#   build.sh test    our DAMON, test config (KUnit, lockdep, debug options)
#   build.sh debug   our DAMON, test config plus KASAN and kmemleak
#   build.sh bench   our DAMON, benchmark config (no debug options)
#   build.sh ref     upstream's DAMON left in place, benchmark config
#   build.sh ref-test  upstream's DAMON left in place, test config
#
# Out-of-tree object directories $BUILD/obj-<kind> (ours) and
# $BUILD/ref/obj-<test|bench> (reference); ccache; all cores.
# Prints the path of the bzImage on the last line.
set -euo pipefail

HARNESS=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$HARNESS")}
BUILD=${BUILD:-$REPO/build}
export REPO BUILD

die() { echo "build.sh: $*" >&2; exit 1; }

kind=${1:-test}
case $kind in
test|bench|debug) src=$("$HARNESS/tree.sh" ours | tail -1); frag=$kind ;;
ref)		src=$("$HARNESS/tree.sh" ref | tail -1); frag=bench ;;
ref-test)	src=$("$HARNESS/tree.sh" ref | tail -1); frag=test ;;
*)		die "usage: build.sh test|bench|debug|ref|ref-test" ;;
esac
base=$(dirname "$src")
obj=$base/obj-${kind#ref-}
[ "$kind" = ref ] && obj=$base/obj-bench
mkdir -p "$obj"

# Our tree and the reference tree sit at the same depth below their base
# directories, so with CCACHE_BASEDIR the compiler command lines match and
# the reference build mostly hits the cache.
export CCACHE_BASEDIR=$base
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export KBUILD_BUILD_TIMESTAMP="2024-01-01"
export KBUILD_BUILD_USER=damon KBUILD_BUILD_HOST=harness
CC="ccache gcc"
command -v ccache >/dev/null || CC=gcc
JOBS=${JOBS:-$(nproc)}
MAKE=(make -s -C "$src" O="$obj" CC="$CC" HOSTCC="$CC" -j"$JOBS")

frags=("$HARNESS/config/base.config" "$HARNESS/config/$frag.config")
# the debug kernel is the test kernel with the memory checkers added
[ "$frag" = debug ] && frags=("$HARNESS/config/base.config"
	"$HARNESS/config/test.config" "$HARNESS/config/debug.config")
# Re-merge the fragments when they or DAMON's Kconfig change (a new symbol
# named in a fragment would otherwise stay at its default).
want_hash=$(cat "${frags[@]}" "$src/mm/damon/Kconfig" | sha1sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments-hash" 2>/dev/null)" != "$want_hash" ]; then
	echo "build.sh: configuring $obj ($frag)"
	"${MAKE[@]}" x86_64_defconfig >/dev/null
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "$src/kernel/configs/kvm_guest.config" "${frags[@]}") \
		> "$obj/merge_config.log" 2>&1 || { cat "$obj/merge_config.log"; die "merge_config failed"; }
	"${MAKE[@]}" olddefconfig >/dev/null
	echo "$want_hash" > "$obj/.fragments-hash"
fi

# Options we rely on must have survived olddefconfig; DAMON sub-options are
# checked only when our Kconfig defines them.
need=(CONFIG_SMP CONFIG_NUMA CONFIG_9P_FS CONFIG_NET_9P_VIRTIO CONFIG_ZRAM
      CONFIG_SWAP CONFIG_MEMCG CONFIG_TRANSPARENT_HUGEPAGE CONFIG_MIGRATION
      CONFIG_EVENT_TRACING CONFIG_PERF_EVENTS CONFIG_DAMON)
case $frag in test|debug)
	need+=(CONFIG_KUNIT CONFIG_PROVE_LOCKING CONFIG_DEBUG_ATOMIC_SLEEP
	       CONFIG_DEBUG_LIST CONFIG_DEBUG_VM) ;;
esac
[ "$frag" = debug ] && need+=(CONFIG_KASAN CONFIG_KASAN_GENERIC CONFIG_DEBUG_KMEMLEAK)
for o in "${need[@]}"; do
	grep -q "^$o=y" "$obj/.config" || die "$o is not =y in $obj/.config"
done
if [ "$kind" = test ] || [ "$kind" = debug ]; then
	for o in $(grep -o '^config DAMON[A-Z_]*KUNIT_TEST' "$src/mm/damon/Kconfig" | cut -d' ' -f2); do
		grep -q "^CONFIG_$o=y" "$obj/.config" ||
			die "CONFIG_$o is defined but not built in: add it to config/test.config"
	done
fi

echo "build.sh: building $kind kernel in $obj"
"${MAKE[@]}" bzImage
echo "$obj/arch/x86/boot/bzImage"

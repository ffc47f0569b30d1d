#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tree.sh - prepare the kernel source trees our DAMON is built in.
#
#   tree.sh ours   pristine Debian linux-source-6.12, upstream DAMON removed,
#                  our DAMON overlaid (re-run after every edit: only files
#                  whose content changed are touched, so make rebuilds little)
#   tree.sh ref    the same source with upstream's DAMON left in place
#                  (reference kernel for side-by-side comparisons)
#   tree.sh upstream-selftests
#                  upstream's 6.12 DAMON selftests, unchanged, for the yardstick
#
# Environment: REPO (default: this repository), BUILD (default: $REPO/build).
set -euo pipefail

REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$REPO/build}
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
TOP=linux-source-6.12

die() { echo "tree.sh: $*" >&2; exit 1; }

# Paths that belong to DAMON and are replaced wholesale by ours.
UPSTREAM_DAMON_PATHS=(
	mm/damon
	include/linux/damon.h
	include/trace/events/damon.h
	Documentation/admin-guide/mm/damon
	Documentation/mm/damon
	Documentation/ABI/testing/sysfs-kernel-mm-damon
	tools/testing/selftests/damon
	samples/damon
)

check_tarball() {
	[ -f "$TARBALL" ] || die "$TARBALL missing (apt install linux-source-6.12)"
}

# Extract the pristine tree into $1 unless it is already there.
extract() {
	local dest=$1
	[ -f "$dest/.pristine-extracted" ] && return 0
	check_tarball
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp"
	echo "tree.sh: extracting $TARBALL into $dest"
	tar -C "$dest.tmp" -xJf "$TARBALL"
	mv "$dest.tmp/$TOP" "$dest"
	rmdir "$dest.tmp"
	local v p
	v=$(sed -n 's/^VERSION = //p' "$dest/Makefile")
	p=$(sed -n 's/^PATCHLEVEL = //p' "$dest/Makefile")
	[ "$v.$p" = "6.12" ] || die "expected a 6.12.y tree, got $v.$p"
	cp "$dest/MAINTAINERS" "$dest/.MAINTAINERS.pristine"
	touch "$dest/.pristine-extracted"
}

# Replace the "DATA ACCESS MONITOR" entry of MAINTAINERS (entries are
# separated by blank lines) with the file $2, or drop it if $2 is empty.
replace_maintainers_entry() {
	awk -v entry="$2" 'BEGIN { skip = 0 }
	     /^DATA ACCESS MONITOR$/ {
		skip = 1
		if (entry != "") {
			while ((getline line < entry) > 0)
				print line
		}
		next
	     }
	     skip && /^$/ { skip = 0; if (entry == "") next }
	     !skip { print }' "$1" > "$1.new"
	mv "$1.new" "$1"
}

# Copy $1 to $2 only if the content differs, so make sees no change otherwise.
sync_file() {
	local src=$1 dst=$2
	if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
		return 0
	fi
	mkdir -p "$(dirname "$dst")"
	cp "$src" "$dst"
}

sync_dir() {
	local src=$1 dst=$2
	mkdir -p "$dst"
	rsync -r --checksum --delete --exclude='*.o' --exclude='.*.cmd' \
		--exclude='*.ko' --exclude='*.mod*' "$src/" "$dst/"
}

strip_upstream() {
	local t=$1 p
	[ -f "$t/.upstream-damon-removed" ] && return 0
	for p in "${UPSTREAM_DAMON_PATHS[@]}"; do
		rm -rf "${t:?}/$p"
	done
	replace_maintainers_entry "$t/MAINTAINERS" ""
	touch "$t/.upstream-damon-removed"
}

apply_patches() {
	local t=$1 p
	[ -d "$REPO/patches" ] || return 0
	for p in "$REPO"/patches/*.patch; do
		[ -e "$p" ] || continue
		if patch -d "$t" -p1 -R --dry-run -s -f < "$p" >/dev/null 2>&1; then
			continue	# already applied
		fi
		patch -d "$t" -p1 -s -f < "$p" || die "patch $p does not apply"
	done
}

overlay() {
	local t=$1 f
	mkdir -p "$t/mm/damon"
	if [ -d "$REPO/mm/damon" ]; then
		rsync -r --checksum --delete \
			--exclude=/Kconfig --exclude=/Makefile \
			"$REPO/mm/damon/" "$t/mm/damon/"
	fi
	sync_file "$REPO/Kconfig.damon" "$t/mm/damon/Kconfig"
	sync_file "$REPO/Makefile.damon" "$t/mm/damon/Makefile"
	for f in include/linux/damon.h include/trace/events/damon.h \
		 Documentation/ABI/testing/sysfs-kernel-mm-damon; do
		if [ -f "$REPO/$f" ]; then
			sync_file "$REPO/$f" "$t/$f"
		else
			rm -f "$t/$f"
		fi
	done
	for f in Documentation/admin-guide/mm/damon Documentation/mm/damon \
		 tools/testing/selftests/damon; do
		if [ -d "$REPO/$f" ]; then
			sync_dir "$REPO/$f" "$t/$f"
		else
			rm -rf "${t:?}/$f"
		fi
	done
	if [ -f "$REPO/MAINTAINERS.damon" ]; then
		if ! cmp -s "$REPO/MAINTAINERS.damon" "$t/.maintainers-entry" 2>/dev/null; then
			# rebuild MAINTAINERS from the pristine copy each time the entry changes
			cp "$t/.MAINTAINERS.pristine" "$t/MAINTAINERS"
			replace_maintainers_entry "$t/MAINTAINERS" "$REPO/MAINTAINERS.damon"
			cp "$REPO/MAINTAINERS.damon" "$t/.maintainers-entry"
		fi
	fi
	apply_patches "$t"
}

cmd=${1:-ours}
case $cmd in
ours)
	extract "$BUILD/src"
	strip_upstream "$BUILD/src"
	overlay "$BUILD/src"
	echo "$BUILD/src"
	;;
ref)
	# same depth below its own base as ours, so that relative paths in
	# compiler command lines (and hence ccache hits) are the same
	extract "$BUILD/ref/src"
	echo "$BUILD/ref/src"
	;;
upstream-selftests)
	dest=$BUILD/upstream-selftests
	if [ ! -f "$dest/.done" ]; then
		check_tarball
		rm -rf "$dest" && mkdir -p "$dest"
		tar -C "$dest" -xJf "$TARBALL" --strip-components=5 \
			"$TOP/tools/testing/selftests/damon"
		touch "$dest/.done"
	fi
	echo "$dest"
	;;
*)
	die "usage: tree.sh ours|ref|upstream-selftests"
	;;
esac

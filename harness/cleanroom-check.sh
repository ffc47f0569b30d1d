#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cleanroom-check.sh - list runs of six or more lines that our DAMON shares
# with upstream's (same lines, or same shape with other names), using the
# `duplicates` tool.  Only locations are printed, never upstream's code, so
# the check itself keeps the clean room.  Needs the reference tree
# (tree.sh ref).  Exit status 1 if any pair crosses ours and upstream's.
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$HARNESS")}
BUILD=${BUILD:-$REPO/build}
export REPO BUILD

command -v duplicates >/dev/null || { echo "cleanroom-check: no duplicates tool"; exit 4; }
ref=$("$HARNESS/tree.sh" ref | tail -1)
# outside any git checkout, so that duplicates reads every file
work=$(mktemp -d "${TMPDIR:-/tmp}/damon-cleanroom.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ours" "$work/upstream"

for p in mm/damon include/linux/damon.h include/trace/events/damon.h \
	 tools/testing/selftests/damon; do
	if [ -e "$REPO/$p" ]; then
		mkdir -p "$work/ours/$(dirname "$p")"
		cp -r "$REPO/$p" "$work/ours/$p"
	fi
	if [ -e "$ref/$p" ]; then
		mkdir -p "$work/upstream/$(dirname "$p")"
		cp -r "$ref/$p" "$work/upstream/$p"
	fi
done
# Upstream's selftests are run unchanged as a yardstick and may be shared
# helpers' models; our own selftests are compared too, but kselftest
# boilerplate is expected to look alike.
out=$(duplicates --repo "$work" --most 200 --seconds 300 --min-lines "${MIN_LINES:-6}")
cross=$(echo "$out" | grep -E '^D[0-9]+ ' | grep -E '(ours/.* ~ upstream/|upstream/.* ~ ours/)' || true)
echo "$out" | head -1
if [ -n "$cross" ]; then
	echo "cleanroom-check: runs shared between ours and upstream's DAMON:"
	echo "$cross"
	exit 1
fi
echo "cleanroom-check: no run shared with upstream's DAMON"

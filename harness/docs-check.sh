#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs-check.sh - the documentation checks of make test (phase "docs") and of
# make docs.  No kernel build, no guest:
#
#   docs:htmldocs      make htmldocs SPHINXDIRS="admin-guide/mm/damon mm/damon"
#                      (Debian's Sphinx and sphinx_rtd_theme) in $BUILD/obj-docs,
#                      re-reading every page; any warning or error that names one
#                      of our files (the DAMON docs, include/linux/damon.h,
#                      include/trace/events/damon.h, mm/damon/) fails it
#   docs:kernel-doc    scripts/kernel-doc -none -Wall on the two headers and on
#                      every .c and .h of mm/damon/ and mm/damon/tests/ is silent
#   docs:api-coverage  every public API is kernel-doc'd and on the API page
#   docs:interfaces    every sysfs file, module parameter and tracepoint is
#                      named in the admin guide
#   docs:abi           Documentation/ABI/testing/sysfs-kernel-mm-damon has an
#                      entry for every file of the sysfs tree and none more,
#                      and scripts/get_abi.pl validates and renders it without
#                      a warning (all three: harness/docs-coverage.py)
#
# One result line per check, as run-tests.py prints them:
#   PASS  docs:<check>  -- detail        (FAIL lines list the problems above them)
# Exit status 1 if any check failed.  Environment: REPO, BUILD as for tree.sh.
set -uo pipefail

HARNESS=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$HARNESS")}
BUILD=${BUILD:-$REPO/build}
export REPO BUILD
OBJ=$BUILD/obj-docs
OUT=$OBJ/Documentation/output
LOG=$OBJ/htmldocs.log
SPHINXDIRS="admin-guide/mm/damon mm/damon"
# what counts as ours in a warning
OURS='Documentation/(admin-guide/)?mm/damon/|include/linux/damon\.h|include/trace/events/damon\.h|mm/damon/'

failed=0
result() {	# result STATUS ID DETAIL
	printf '%-5s %s%s\n' "$1" "$2" "${3:+  -- $3}"
	[ "$1" = PASS ] || failed=1
}
now() { date +%s.%N; }
since() { printf '%.1fs' "$(echo "$(now) - $1" | bc)"; }

start=$(now)
src=$("$HARNESS/tree.sh" ours | tail -1) || { echo "docs-check: tree.sh failed" >&2; exit 1; }
mkdir -p "$OBJ"

# ---- docs:htmldocs
t=$(now)
if ! command -v sphinx-build >/dev/null; then
	result FAIL docs:htmldocs "sphinx-build not found (harness/deps.sh installs python3-sphinx)"
else
	# Debian's Sphinx runs on Debian's python3; use it (and its yaml, for
	# the netlink pages the docs Makefile generates) for the whole build.
	# -E: read every page again, so that warnings are not lost to the cache.
	PATH=/usr/bin:/bin:$PATH make -C "$src" O="$OBJ" PYTHON3=/usr/bin/python3 \
		DOCS_THEME=sphinx_rtd_theme SPHINXOPTS="-E -q" \
		SPHINXDIRS="$SPHINXDIRS" htmldocs > "$LOG" 2>&1
	rc=$?
	# first lines of warnings only (Sphinx continues some on the next lines)
	ours=$(grep -E '(WARNING|ERROR|SEVERE|CRITICAL|[Ww]arning|[Ee]rror):' "$LOG" |
	       grep -E "$OURS" || true)
	n=0; [ -n "$ours" ] && n=$(echo "$ours" | wc -l)
	others=$(grep -cE '(WARNING|ERROR|[Ww]arning|[Ee]rror):' "$LOG" || true)
	others=$((others - n))
	if [ "$rc" -ne 0 ]; then
		tail -20 "$LOG"
		result FAIL docs:htmldocs "make htmldocs exited with $rc (log: $LOG)"
	elif [ "$n" -gt 0 ]; then
		echo "$ours" | sed "s|$src/||g" | head -40
		result FAIL docs:htmldocs "$n warning(s) from our files in $(since "$t") (log: $LOG)"
	else
		result PASS docs:htmldocs "no warning from our files, $others elsewhere; $(since "$t")"
	fi
fi

# ---- docs:kernel-doc
t=$(now)
files=(include/linux/damon.h include/trace/events/damon.h)
for f in "$src"/mm/damon/*.[ch] "$src"/mm/damon/tests/*.[ch]; do
	files+=("${f#"$src"/}")
done
kd=$(cd "$src" && scripts/kernel-doc -none -Wall "${files[@]}" 2>&1)
if [ -n "$kd" ]; then
	echo "$kd" | head -40
	result FAIL docs:kernel-doc "$(echo "$kd" | wc -l) line(s) from scripts/kernel-doc -Wall"
else
	result PASS docs:kernel-doc "${#files[@]} files clean with -Wall; $(since "$t")"
fi

# ---- docs:api-coverage, docs:interfaces, docs:abi
for check in api interfaces abi; do
	id=docs:$check; [ $check = api ] && id=docs:api-coverage
	t=$(now)
	if [ $check = api ] && [ ! -f "$OUT/mm/damon/objects.inv" ]; then
		result FAIL $id "no html inventory: the htmldocs build failed"
		continue
	fi
	out=$("$HARNESS/docs-coverage.py" --src "$src" --html "$OUT" $check 2>&1)
	if [ $? -eq 0 ]; then
		result PASS $id "$out; $(since "$t")"
	else
		echo "$out"
		result FAIL $id "$(echo "$out" | wc -l) problem(s)"
	fi
done

echo "docs-check: done in $(since "$start"); html in $OUT"
exit $failed

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh - install what is needed, build the test kernel with our DAMON and
# run every test: KUnit, our kselftests, upstream's 6.12 DAMON selftests and
# a damo smoke test.  Last line: "N passed, N failed, N skipped".
#
# test.sh --debug instead builds the debug kernel (KASAN, kmemleak; see
# config/debug.config) and runs KUnit and our kselftests on it with a
# kmemleak check (phases kunit,debug): `make test-debug`.
#
# Other arguments go to run-tests.py (e.g. --phases kunit,ours, --under-load).
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)

kind=test
extra=()
if [ "${1:-}" = --debug ]; then
	shift
	kind=debug
	extra=(--phases kunit,debug)
fi

"$HARNESS/deps.sh"
kernel=$("$HARNESS/build.sh" "$kind" | tail -1)
echo "test: $kind kernel built in $(( $(date +%s) - start ))s"
exec "$HARNESS/run-tests.py" --kernel "$kernel" "${extra[@]}" "$@"

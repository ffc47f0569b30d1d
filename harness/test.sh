#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh - install what is needed, build the test kernel with our DAMON and
# run every test: KUnit, our kselftests, upstream's 6.12 DAMON selftests and
# a damo smoke test.  Last line: "N passed, N failed, N skipped".
# Extra arguments go to run-tests.py (e.g. --phases kunit,ours).
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)

"$HARNESS/deps.sh"
kernel=$("$HARNESS/build.sh" test | tail -1)
echo "test: kernel built in $(( $(date +%s) - start ))s"
exec "$HARNESS/run-tests.py" --kernel "$kernel" "$@"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reference.sh - run upstream's selftests and the damo smoke test against the
# reference kernel (upstream's own DAMON, same tree and test config, same
# guest), with every failed test retried and no known-failures list.  This
# is the evidence a known-failures entry needs.  Not part of `make test`.
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(dirname "$HARNESS")/build}

"$HARNESS/deps.sh"
kernel=$("$HARNESS/build.sh" ref-test | tail -1)
exec "$HARNESS/run-tests.py" --kernel "$kernel" --phases "${PHASES:-upstream,damo}" \
	--known-failures none --retry-all --results-dir "$BUILD/test-results-ref" "$@"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - build Linux 6.12 with our DAMON, boot it, and show DAMON
# monitoring a workload with a known access pattern (virtual, then physical
# address space).  Extra arguments go to demo/report.py in the guest.
set -euo pipefail
HARNESS=$(cd "$(dirname "$0")" && pwd)
KIND=${KIND:-test}

"$HARNESS/deps.sh"
kernel=$("$HARNESS/build.sh" "$KIND" | tail -1)
mkdir -p "${BUILD:-$HARNESS/../build}/bin"
gcc -O2 -Wall -o "${BUILD:-$HARNESS/../build}/bin/workload" "$HARNESS/demo/workload.c"
echo "demo: booting $kernel under QEMU (takes a while under TCG)"
set +e
"$HARNESS/vm.py" --kernel "$kernel" --timeout 900 -- "$HARNESS/guest/demo.sh" "$@"
rc=$?
set -e
if [ $rc -ne 0 ]; then
	status=$(cat "$(ls -td "${BUILD:-$HARNESS/../build}"/vm/vm-* | head -1)/exit-status" 2>/dev/null || echo "?")
	if [ "$status" = 3 ]; then
		echo "demo: INCOMPLETE - the kernel booted, but a part of DAMON the demo needs is missing (see above)."
		exit 0
	fi
	echo "demo: FAILED (guest status $status)"
	exit 1
fi
echo "demo: done"

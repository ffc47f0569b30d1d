#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - what the benchmark report needs on the host beyond
# harness/deps.sh: numpy and matplotlib (pip).  Idempotent.
set -euo pipefail

if ! python3 -c 'import numpy, matplotlib' 2>/dev/null; then
	echo "bench/deps.sh: installing numpy and matplotlib (pip)"
	if ! python3 -m pip --version >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends python3-pip >/dev/null
	fi
	# Debian's own python3 refuses pip installs without the flag (PEP 668)
	python3 -m pip install -q numpy matplotlib 2>/dev/null ||
		python3 -m pip install -q --break-system-packages numpy matplotlib
fi
python3 -c 'import numpy, matplotlib' ||
	{ echo "bench/deps.sh: numpy/matplotlib not importable" >&2; exit 1; }

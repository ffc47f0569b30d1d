#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install what building, booting and testing need (Debian 12).
# Idempotent and quick when everything is already there.
set -euo pipefail

PKGS=(linux-source-6.12 qemu-system-x86 ccache gcc make flex bison bc
      libelf-dev libssl-dev cpio kmod rsync python3 busybox-static
      iproute2 procps sparse
      python3-sphinx python3-sphinx-rtd-theme python3-yaml)	# docs-check.sh

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps.sh: installing ${missing[*]}"
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

# The real DAMON user-space tool; the guest sees it through the shared root.
if ! command -v damo >/dev/null 2>&1; then
	echo "deps.sh: installing damo (pip)"
	if ! python3 -m pip --version >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends python3-pip >/dev/null
	fi
	# Debian's own python3 refuses pip installs without the flag (PEP 668)
	python3 -m pip install -q damo 2>/dev/null ||
		python3 -m pip install -q --break-system-packages damo
	hash -r
fi
command -v damo >/dev/null || { echo "deps.sh: damo not on PATH" >&2; exit 1; }

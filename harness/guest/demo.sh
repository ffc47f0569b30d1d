#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: the demo, first on the workload's virtual address space,
# then on physical memory.
demo=$(dirname "$(readlink -f "$0")")/../demo/report.py
rc=0
for ops in vaddr paddr; do
	echo "##### DAMON monitoring the demo workload with the '$ops' operation set"
	python3 "$demo" "$ops" "$@"
	r=$?
	[ $r -gt $rc ] && rc=$r
done
exit $rc

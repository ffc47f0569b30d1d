#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: the demo, first on the workload's virtual address space,
# then on physical memory; then, with a workload that only reads in odd
# phases and only writes in even ones, the virtual address space once as
# usual and once counting only writes (page-fault access reports).
demo=$(dirname "$(readlink -f "$0")")/../demo/report.py
rc=0
run() {
	echo "##### DAMON monitoring the demo workload with the '$1' operation set$2"
	shift 2
	python3 "$demo" "$@"
	r=$?
	[ $r -gt $rc ] && rc=$r
}
run vaddr "" vaddr "$@"
run paddr "" paddr "$@"
run vaddr ", read and write phases" vaddr --rw-phases "$@"
run vaddr ", read and write phases, writes only" vaddr --write-only "$@"
exit $rc

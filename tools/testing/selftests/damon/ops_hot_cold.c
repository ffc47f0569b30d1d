// SPDX-License-Identifier: GPL-2.0
/*
 * A workload with a known access pattern for testing DAMON's operation sets:
 * two 8 MiB anonymous ranges at fixed addresses, both written once, then only
 * the "hot" one is touched, page by page, until the given number of seconds
 * has passed.  Used by the damon_vaddr_live KUnit suite
 * (mm/damon/tests/vaddr_live_kunit.c), which spawns it and must know the
 * addresses.
 *
 * Under QEMU TCG a CPU may keep a translation, and so never set an Accessed
 * bit again, until its TLB is reloaded.  A child process pinned to the same
 * CPU and yielding in a loop makes the scheduler switch address spaces all
 * the time, which reloads it.
 *
 * Usage: ops_hot_cold [seconds]	(default 10)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define HOT_ADDR	0x600000000000UL
#define COLD_ADDR	0x600010000000UL
#define RANGE_SZ	(8UL << 20)

static char *map_fixed(unsigned long addr)
{
	char *p = mmap((void *)addr, RANGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);

	if (p != (char *)addr)
		exit(1);
	/* Keep khugepaged from replacing cold pages with fresh ones. */
	madvise(p, RANGE_SZ, MADV_NOHUGEPAGE);
	memset(p, 1, RANGE_SZ);
	return p;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	volatile char *hot;
	time_t end;
	cpu_set_t cpu0;
	pid_t child;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);

	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			sched_yield();
	}

	hot = map_fixed(HOT_ADDR);
	map_fixed(COLD_ADDR);

	end = time(NULL) + secs;
	while (time(NULL) < end) {
		unsigned long off;

		for (off = 0; off < RANGE_SZ; off += 4096)
			hot[off]++;
		sched_yield();
	}
	if (child > 0)
		kill(child, SIGKILL);
	return 0;
}

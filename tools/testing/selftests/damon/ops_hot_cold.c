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
 * The ranges are made of base pages by default; "thp" asks for
 * transparent huge pages (MADV_HUGEPAGE; the ranges are 2 MiB aligned) and
 * "hugetlb" maps them from the hugetlb pool (MAP_HUGETLB; the pool needs 8
 * free default-sized huge pages per range).
 *
 * Usage: ops_hot_cold [seconds [page|thp|hugetlb]]	(default 10, page)
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

enum backing { BASE_PAGES, THP, HUGETLB };

static char *map_fixed(unsigned long addr, enum backing backing)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	char *p;

	if (backing == HUGETLB)
		flags |= MAP_HUGETLB;
	p = mmap((void *)addr, RANGE_SZ, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p != (char *)addr)
		exit(1);
	/*
	 * With base pages, keep khugepaged from replacing cold pages with
	 * fresh ones; with THP, fault in huge pages right away.
	 */
	if (backing == BASE_PAGES)
		madvise(p, RANGE_SZ, MADV_NOHUGEPAGE);
	else if (backing == THP && madvise(p, RANGE_SZ, MADV_HUGEPAGE))
		exit(1);
	memset(p, 1, RANGE_SZ);
	return p;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	const char *mode = argc > 2 ? argv[2] : "page";
	enum backing backing;
	char *hot;
	time_t end;
	cpu_set_t cpu0;
	pid_t child;

	if (!strcmp(mode, "page"))
		backing = BASE_PAGES;
	else if (!strcmp(mode, "thp"))
		backing = THP;
	else if (!strcmp(mode, "hugetlb"))
		backing = HUGETLB;
	else
		return 2;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);

	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			sched_yield();
	}

	hot = map_fixed(HOT_ADDR, backing);
	map_fixed(COLD_ADDR, backing);

	end = time(NULL) + secs;
	while (time(NULL) < end) {
		unsigned long off;

		/* atomic accesses, so that the compiler keeps every one */
		for (off = 0; off < RANGE_SZ; off += 4096)
			__atomic_store_n(&hot[off],
					 __atomic_load_n(&hot[off], __ATOMIC_RELAXED) + 1,
					 __ATOMIC_RELAXED);
		sched_yield();
	}
	if (child > 0)
		kill(child, SIGKILL);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Workload for damos_paddr_actions.sh: fills an anonymous buffer of MIB
 * MiB allocated on node NODE (-1: anywhere), then sleeps.  It reports, on
 * stdout, one line "buf ADDR BYTES" and then "range LO HI" lines: the
 * physical address range (bytes, HI exclusive) holding the buffer's
 * present pages, read from /proc/self/pagemap (needs root).  SIGUSR1 asks
 * for a new "range" line (after migration); SIGUSR2 writes the whole buffer
 * once more and then reports "touched".
 *
 * Usage: damos_paddr_workload MIB NODE
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_DEFAULT	0
#define MPOL_BIND	2
#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)

/* set by the signal handler, taken by the main loop (lock-free atomics) */
static int want_range, want_touch;

static void on_signal(int sig)
{
	__atomic_store_n(sig == SIGUSR1 ? &want_range : &want_touch, 1,
			 __ATOMIC_RELAXED);
}

static int set_policy(int mode, int node)
{
	unsigned long mask = node >= 0 ? 1UL << node : 0;

	return syscall(SYS_set_mempolicy, mode, node >= 0 ? &mask : NULL,
		       node >= 0 ? sizeof(mask) * 8 : 0);
}

static void touch(char *buf, size_t len, long page)
{
	static char round;
	size_t off;

	round++;
	for (off = 0; off < len; off += page)
		buf[off] = round;
}

/* Print the physical range of the buffer's present pages. */
static int report_range(char *buf, size_t len, long page)
{
	uint64_t lo = UINT64_MAX, hi = 0, e;
	size_t i, nr = len / page;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		off_t at = ((uintptr_t)buf / page + i) * sizeof(e);

		if (pread(fd, &e, sizeof(e), at) != sizeof(e)) {
			close(fd);
			return -1;
		}
		if (!(e & PM_PRESENT) || !(e & PM_PFN_MASK))
			continue;
		e = (e & PM_PFN_MASK) * page;
		if (e < lo)
			lo = e;
		if (e + page > hi)
			hi = e + page;
	}
	close(fd);
	if (!hi)
		return -1;
	printf("range %llu %llu\n", (unsigned long long)lo,
	       (unsigned long long)hi);
	fflush(stdout);
	return 0;
}

int main(int argc, char *argv[])
{
	long page = sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_handler = on_signal };
	size_t len;
	char *buf;
	int node;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MIB NODE\n", argv[0]);
		return 1;
	}
	len = strtoul(argv[1], NULL, 0) << 20;
	node = atoi(argv[2]);
	if (node >= 0 && set_policy(MPOL_BIND, node)) {
		perror("set_mempolicy");
		return 1;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	touch(buf, len, page);
	/* from now on DAMON decides where the pages live */
	set_policy(MPOL_DEFAULT, -1);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	printf("buf %lx %zu\n", (unsigned long)buf, len);
	if (report_range(buf, len, page)) {
		fprintf(stderr, "cannot read pagemap: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		pause();
		if (__atomic_exchange_n(&want_touch, 0, __ATOMIC_RELAXED)) {
			touch(buf, len, page);
			printf("touched\n");
			fflush(stdout);
		}
		if (__atomic_exchange_n(&want_range, 0, __ATOMIC_RELAXED))
			report_range(buf, len, page);
	}
}

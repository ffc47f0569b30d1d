// SPDX-License-Identifier: GPL-2.0
/*
 * A workload with a known memory bandwidth, in DAMON's terms: it writes one
 * byte of every page of an anonymous buffer PASSES times a second, so
 * MIB * PASSES MiB of pages are found accessed per second.
 *
 * Under QEMU TCG a page that stays in the CPU's software TLB does not get
 * its Accessed bit set again after DAMON cleared it.  Before every pass the
 * workload ping-pongs a byte with a child pinned to the same CPU; switching
 * between the two address spaces reloads the TLB, so every pass is seen.
 *
 * The buffer is populated and then moved to the inactive LRU list
 * (MADV_COLD) before the passes start, and its address is printed on the
 * first line of the output, for tests that look at its pages.
 *
 * Usage: touch_rate MIB PASSES SECONDS
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	size_t page = sysconf(_SC_PAGESIZE), len, off;
	int to_child[2], from_child[2];
	double passes, end, next;
	cpu_set_t cpu0;
	char *buf, c = 0;

	if (argc != 4 || atol(argv[1]) <= 0 || atof(argv[2]) <= 0) {
		fprintf(stderr, "usage: %s MIB PASSES SECONDS\n", argv[0]);
		return 2;
	}
	len = (size_t)atol(argv[1]) << 20;
	passes = atof(argv[2]);

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	if (pipe(to_child) || pipe(from_child))
		return 1;
	/* Fork before the buffer exists, so that it is never shared. */
	if (fork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		while (read(to_child[0], &c, 1) == 1)
			if (write(from_child[1], &c, 1) != 1)
				break;
		_exit(0);
	}

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	madvise(buf, len, MADV_NOHUGEPAGE);
	for (off = 0; off < len; off += page)
		buf[off] = 1;
	madvise(buf, len, MADV_COLD);
	printf("%p\n", (void *)buf);
	fflush(stdout);

	end = now() + atof(argv[3]);
	for (next = now() + 1 / passes; ; next += 1 / passes) {
		sleep_until(next < end ? next : end);
		if (next >= end)
			break;
		if (write(to_child[1], &c, 1) != 1 ||
		    read(from_child[0], &c, 1) != 1)
			return 1;
		for (off = 0; off < len; off += page)
			buf[off]++;
	}
	return 0;
}

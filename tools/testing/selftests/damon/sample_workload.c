// SPDX-License-Identifier: GPL-2.0
/*
 * A workload whose accesses differ in kind, CPU and thread, for the
 * access-sample control tests (sample_faults.py and damo-smoke): two 8 MiB
 * anonymous areas of base pages at fixed addresses, A at 0x600000000000 and
 * B at 0x600010000000, both written once before "ready" is printed, then
 *
 *   rw:     one thread on CPU 0 only reads A and only writes B;
 *   split:  a thread on CPU 0 reads and writes A, a second thread on CPU 1
 *           reads and writes B;
 *
 * page by page, until the given number of seconds has passed.
 *
 * With "ping", a child process pinned to each CPU used yields in a loop,
 * so that the address-space switches reload QEMU TCG's software TLB and the
 * Accessed bits are set again (the page-table primitive needs that under
 * TCG; the page-fault primitive does not, since arming flushes the page).
 *
 * Prints "tids <tid of the A thread> <tid of the B thread>" and "ready";
 * then, at each SIGUSR1, "loops <N>": the passes of the main thread so far,
 * which tell that it still makes progress.
 *
 * Usage: sample_workload rw|split seconds [ping]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define A_ADDR	0x600000000000UL
#define B_ADDR	0x600010000000UL
#define AREA_SZ	(8UL << 20)
#define STEP	4096

static time_t end;
static char *area_a, *area_b;
static pid_t tid_b;
static unsigned long loops;

static void report_loops(int sig)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "loops %lu\n",
			 __atomic_load_n(&loops, __ATOMIC_RELAXED));

	if (write(STDOUT_FILENO, buf, n) != n)
		_exit(1);
}

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static char *map_area(unsigned long addr)
{
	char *p = mmap((void *)addr, AREA_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);

	if (p != (char *)addr)
		fail("mmap");
	/* base pages: khugepaged must not replace them while monitored */
	if (madvise(p, AREA_SZ, MADV_NOHUGEPAGE))
		fail("madvise");
	memset(p, 1, AREA_SZ);
	return p;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("sched_setaffinity");
}

static void start_pinger(int cpu)
{
	pid_t child = fork();

	if (child < 0)
		fail("fork");
	if (child)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin(cpu);
	for (;;)
		sched_yield();
}

/* Atomic accesses, so that the compiler keeps every one. */
static void read_area(char *p)
{
	unsigned long off;

	for (off = 0; off < AREA_SZ; off += STEP)
		(void)__atomic_load_n(&p[off], __ATOMIC_RELAXED);
}

static void write_area(char *p)
{
	unsigned long off;

	for (off = 0; off < AREA_SZ; off += STEP)
		__atomic_store_n(&p[off], 2, __ATOMIC_RELAXED);
}

static void touch_area(char *p)
{
	unsigned long off;

	for (off = 0; off < AREA_SZ; off += STEP)
		__atomic_fetch_add(&p[off], 1, __ATOMIC_RELAXED);
}

static void *b_thread(void *arg)
{
	__atomic_store_n(&tid_b, syscall(SYS_gettid), __ATOMIC_RELEASE);
	pin(1);
	while (time(NULL) < end) {
		touch_area(area_b);
		sched_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int split = argc > 1 && !strcmp(argv[1], "split");
	int secs = argc > 2 ? atoi(argv[2]) : 10;
	int ping = argc > 3 && !strcmp(argv[3], "ping");
	pthread_t thread;

	if (argc < 3 || (!split && strcmp(argv[1], "rw")))
		return 2;
	end = time(NULL) + secs;
	pin(0);
	/* before the areas exist: no copy-on-write after the fork */
	if (ping) {
		start_pinger(0);
		if (split)
			start_pinger(1);
	}
	area_a = map_area(A_ADDR);
	area_b = map_area(B_ADDR);

	if (split) {
		if (pthread_create(&thread, NULL, b_thread, NULL))
			fail("pthread_create");
		while (!__atomic_load_n(&tid_b, __ATOMIC_ACQUIRE))
			sched_yield();
	} else {
		tid_b = syscall(SYS_gettid);
	}
	signal(SIGUSR1, report_loops);
	printf("tids %ld %d\nready\n", (long)syscall(SYS_gettid), tid_b);
	fflush(stdout);

	while (time(NULL) < end) {
		if (split) {
			touch_area(area_a);
		} else {
			read_area(area_a);
			write_area(area_b);
		}
		__atomic_fetch_add(&loops, 1, __ATOMIC_RELAXED);
		sched_yield();
	}
	if (split)
		pthread_join(thread, NULL);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * A workload that keeps changing its memory while DAMON arms its pages for
 * access faults, for sample_stress.py: an 8 MiB anonymous area A at a fixed
 * address is touched all the time, and each round also
 *
 *   - forks a child that writes part of A (copy-on-write of armed pages)
 *     and exits;
 *   - runs a thread that touches A and exits;
 *   - maps a 4 MiB area C, touches it, drops half of it (MADV_DONTNEED) and
 *     unmaps it;
 *   - makes half of A read-only and writable again (mprotect() over armed
 *     entries);
 *   - moves 64 pages of A to the other NUMA node and back (move_pages();
 *     failures are fine on a one-node machine).
 *
 * After the given number of seconds it touches every page of A once more
 * (armed entries left behind must fault back normally), prints
 * "done <rounds>" and exits 0; any failure exits non-zero.
 *
 * Usage: sample_churn seconds
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define A_ADDR	0x600000000000UL
#define C_ADDR	0x600020000000UL
#define A_SZ	(8UL << 20)
#define C_SZ	(4UL << 20)
#define STEP	4096
#define NR_MOVE	64
#define MPOL_MF_MOVE	(1 << 1)

static char *area_a;

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static void touch(char *p, unsigned long sz)
{
	unsigned long off;

	for (off = 0; off < sz; off += STEP)
		__atomic_fetch_add(&p[off], 1, __ATOMIC_RELAXED);
}

static void *thread_fn(void *arg)
{
	touch(area_a, A_SZ);
	return NULL;
}

static void fork_writer(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork");
	if (!pid) {
		touch(area_a, A_SZ / 2);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("child");
}

static void run_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_fn, NULL) || pthread_join(t, NULL))
		fail("thread");
}

static void map_and_drop(void)
{
	char *c = mmap((void *)C_ADDR, C_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (c != (char *)C_ADDR)
		fail("mmap C");
	touch(c, C_SZ);
	if (madvise(c, C_SZ / 2, MADV_DONTNEED))
		fail("madvise");
	touch(c, C_SZ);
	if (munmap(c, C_SZ))
		fail("munmap");
}

static void flip_protection(void)
{
	if (mprotect(area_a, A_SZ / 2, PROT_READ))
		fail("mprotect ro");
	touch(area_a + A_SZ / 2, A_SZ / 2);
	if (mprotect(area_a, A_SZ / 2, PROT_READ | PROT_WRITE))
		fail("mprotect rw");
}

static void move_some(int round)
{
	void *pages[NR_MOVE];
	int nodes[NR_MOVE], status[NR_MOVE], i;

	for (i = 0; i < NR_MOVE; i++) {
		pages[i] = area_a + (unsigned long)((round * 7 + i * 31) %
						    (A_SZ / STEP)) * STEP;
		nodes[i] = round & 1;
	}
	/* ENOENT/EINVAL etc. on a machine without a second node: fine */
	syscall(SYS_move_pages, 0, NR_MOVE, pages, nodes, status,
		MPOL_MF_MOVE);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	time_t end = time(NULL) + secs;
	unsigned long rounds = 0;

	area_a = mmap((void *)A_ADDR, A_SZ, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (area_a != (char *)A_ADDR)
		fail("mmap A");
	memset(area_a, 1, A_SZ);
	printf("ready\n");
	fflush(stdout);

	while (time(NULL) < end) {
		touch(area_a, A_SZ);
		fork_writer();
		run_thread();
		map_and_drop();
		flip_protection();
		move_some(rounds);
		rounds++;
	}
	touch(area_a, A_SZ);
	printf("done %lu\n", rounds);
	return 0;
}

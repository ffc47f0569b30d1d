/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlb_refresh.h - keep QEMU TCG's software TLB from hiding accesses, for
 * the workloads of the demo (harness/demo/workload.c) and the benchmarks
 * (bench/workload.c).
 *
 * A page that stays in QEMU's software TLB does not get its Accessed bit
 * set again after DAMON clears it.  A switch between user address spaces
 * (a CR3 write) flushes that TLB, so the workload ping-pongs one byte with
 * a child process: on one CPU that is two such switches per round trip.
 * Start the child before the workload's buffer exists: a child sharing the
 * buffer would turn every first write after the fork into a copy-on-write.
 */
#ifndef TLB_REFRESH_H
#define TLB_REFRESH_H

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct tlb_refresher {
	pid_t child;	/* 0: not started */
	int to, from;	/* pipe ends to and from the child */
};

/* The child: echo every byte back until the parent closes its end. */
static void tlb_refresher_echo(int rfd, int wfd)
{
	char c;

	while (read(rfd, &c, 1) == 1)
		if (write(wfd, &c, 1) != 1)
			break;
	_exit(0);
}

/* Fork the echoing child.  Returns 0, or -1 with errno set. */
static int tlb_refresher_start(struct tlb_refresher *t)
{
	int to[2], from[2];

	if (pipe(to) || pipe(from))
		return -1;
	t->child = fork();
	if (t->child < 0) {
		t->child = 0;
		return -1;
	}
	if (t->child == 0) {
		close(to[1]);
		close(from[0]);
		tlb_refresher_echo(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	t->to = to[1];
	t->from = from[0];
	return 0;
}

/* One round trip with the child; 0, or -1 if it failed. */
static int tlb_refresh(struct tlb_refresher *t)
{
	char b = 0;

	if (!t->child)
		return 0;
	if (write(t->to, &b, 1) != 1 || read(t->from, &b, 1) != 1)
		return -1;
	return 0;
}

/* Let the child exit and reap it. */
static void tlb_refresher_stop(struct tlb_refresher *t)
{
	if (!t->child)
		return;
	close(t->to);
	waitpid(t->child, NULL, 0);
	t->child = 0;
}

#endif /* TLB_REFRESH_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * A workload whose data attributes are known, for the probes tests
 * (probes_attrs.py): a 64 MiB buffer at a fixed address, made of
 *
 *   [ 0, 16) MiB  anonymous, faulted in the cgroup the workload starts in;
 *   [16, 32) MiB  anonymous, faulted after the workload moved itself into
 *                 the cgroup whose cgroup.procs file is given (if any);
 *   [32, 64) MiB  a shared mapping of a memfd (shmem: not anonymous),
 *                 written before the move, so charged to the first cgroup.
 *
 * Base pages only (MADV_NOHUGEPAGE), every page written once, nothing
 * touched afterwards: only the attributes matter, not the accesses.
 * Prints "ready" once the layout is in place, then sleeps until the given
 * number of seconds has passed.
 *
 * Usage: probes_workload seconds [cgroup.procs]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BASE	0x600000000000UL
#define MIB	(1UL << 20)
#define BUF_SZ	(64 * MIB)

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static void move_to_cgroup(const char *procs)
{
	FILE *f = fopen(procs, "w");

	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		fail(procs);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 30;
	char *buf, *file;
	int fd;

	buf = mmap((void *)BASE, BUF_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (buf != (char *)BASE)
		fail("mmap");
	if (madvise(buf, BUF_SZ, MADV_NOHUGEPAGE))
		fail("madvise");

	fd = memfd_create("probes_workload", 0);
	if (fd < 0 || ftruncate(fd, 32 * MIB))
		fail("memfd");
	file = mmap(buf + 32 * MIB, 32 * MIB, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
	if (file != buf + 32 * MIB)
		fail("mmap memfd");
	madvise(file, 32 * MIB, MADV_NOHUGEPAGE);
	memset(file, 1, 32 * MIB);
	memset(buf, 1, 16 * MIB);
	if (argc > 2)
		move_to_cgroup(argv[2]);
	memset(buf + 16 * MIB, 1, 16 * MIB);

	printf("ready\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}

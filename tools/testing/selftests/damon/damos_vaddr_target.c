// SPDX-License-Identifier: GPL-2.0
/*
 * A process for damos_vaddr_actions.sh to apply DAMOS actions to, and a
 * page cache probe.
 *
 *   damos_vaddr_target anon MIB
 *	Map MIB MiB of anonymous memory at a 2 MiB aligned address, between
 *	two PROT_NONE guard mappings (so that the buffer stays a mapping of
 *	its own, and a region that covers it has no hole), write every page
 *	with distinct data, print "<start> <end>" of the buffer in hex, then
 *	sleep without touching it until killed.
 *
 *   damos_vaddr_target file PATH MIB
 *	Write a MIB MiB file at PATH, sync it and drop it from the page
 *	cache, map it shared read-only without reading it, print "<start>
 *	<end>" of the mapping and sleep until killed.
 *
 *   damos_vaddr_target resident PATH
 *	Print how many pages of PATH are in the page cache and how many it
 *	has ("<resident> <total>"), without reading it: mincore() on a file
 *	mapping reports the page cache.
 *
 * Exit status 1 and a message on stderr on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB		(1024UL * 1024)
#define HPAGE_SZ	(2 * MIB)

static void die(const char *what)
{
	fprintf(stderr, "damos_vaddr_target: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void report_and_sleep(void *buf, size_t sz)
{
	printf("%lx %lx\n", (unsigned long)buf, (unsigned long)buf + sz);
	fflush(stdout);
	for (;;)
		pause();
}

static void run_anon(size_t sz)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t base, start;
	size_t i;
	char *buf;

	/* Room for a guard page on both sides of a 2 MiB aligned buffer. */
	base = (uintptr_t)mmap(NULL, sz + 2 * HPAGE_SZ, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
	if (base == (uintptr_t)MAP_FAILED)
		die("mmap");
	start = (base + page + HPAGE_SZ - 1) & ~(HPAGE_SZ - 1);
	buf = (char *)start;
	if (mprotect(buf, sz, PROT_READ | PROT_WRITE))
		die("mprotect");
	for (i = 0; i < sz; i += page)
		snprintf(buf + i, page, "page %zu of the damos_vaddr buffer", i);
	report_and_sleep(buf, sz);
}

static void run_file(const char *path, size_t sz)
{
	static char chunk[MIB];
	size_t i;
	void *map;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(path);
	for (i = 0; i < sz; i += sizeof(chunk)) {
		memset(chunk, (int)(i / MIB) + 1, sizeof(chunk));
		if (write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
			die("write");
	}
	if (fsync(fd))
		die("fsync");
	errno = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (errno)
		die("posix_fadvise");
	map = mmap(NULL, sz, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	report_and_sleep(map, sz);
}

static void run_resident(const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t nr, i, resident = 0;
	unsigned char *vec;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(path);
	nr = (st.st_size + page - 1) / page;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	vec = malloc(nr);
	if (map == MAP_FAILED || !vec)
		die("mmap");
	if (mincore(map, st.st_size, vec))
		die("mincore");
	for (i = 0; i < nr; i++)
		resident += vec[i] & 1;
	printf("%zu %zu\n", resident, nr);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "anon"))
		run_anon(strtoul(argv[2], NULL, 0) * MIB);
	if (argc == 4 && !strcmp(argv[1], "file"))
		run_file(argv[2], strtoul(argv[3], NULL, 0) * MIB);
	if (argc == 3 && !strcmp(argv[1], "resident")) {
		run_resident(argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: see the header of damos_vaddr_target.c\n");
	return 1;
}

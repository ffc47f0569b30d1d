// SPDX-License-Identifier: GPL-2.0
/*
 * workload - a process with a known, time-varying memory access pattern.
 *
 * The mapping is cut into NR_AREAS equal areas.  In phase p the area
 * (p % NR_AREAS) is hot (every page touched on every pass), the area half
 * way round is warm (touched on one pass in WARM_EVERY), and the rest stay
 * cold (touched once, at start).  Each phase change is logged with a
 * monotonic timestamp and the hot and warm address ranges, so a report can
 * be checked against the ground truth.
 *
 * Under QEMU TCG a page that stays in the software TLB does not get its
 * Accessed bit set again after DAMON clears it; with --tlb-refresh-ms the
 * workload ping-pongs with a child pinned to the same CPU, and the switch
 * between user processes reloads the TLB.
 *
 * With --rw-phases the hot and warm areas are only read in odd phases and
 * only written in even ones, for the write-only monitoring demo (a write
 * without a read first, so that the first access to a page is a write).
 *
 * Usage: workload [--mib N] [--phase-s S] [--phases N] [--tlb-refresh-ms M]
 *                 [--rw-phases] [--log FILE]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tlb_refresh.h"

#define NR_AREAS	8
#define WARM_EVERY	8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum access { READ_WRITE, READ_ONLY, WRITE_ONLY };

static const char * const access_names[] = { "rw", "read", "write" };

static void touch(char *p, size_t len, size_t page, enum access how)
{
	for (size_t off = 0; off < len; off += page) {
		switch (how) {
		case READ_WRITE:
			p[off]++;
			break;
		case READ_ONLY:
			(void)*(volatile char *)&p[off];
			break;
		case WRITE_ONLY:
			*(volatile char *)&p[off] = 1;
			break;
		}
	}
}

static void pin_to_current_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	size_t mib = 256, page = sysconf(_SC_PAGESIZE);
	double phase_s = 5, refresh_ms = 0;
	int nr_phases = 8, rw_phases = 0;
	struct tlb_refresher tlb = { 0 };
	FILE *log = stdout;
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "phase-s", required_argument, NULL, 's' },
		{ "phases", required_argument, NULL, 'n' },
		{ "tlb-refresh-ms", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "rw-phases", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 's': phase_s = atof(optarg); break;
		case 'n': nr_phases = atoi(optarg); break;
		case 't': refresh_ms = atof(optarg); break;
		case 'r': rw_phases = 1; break;
		case 'l':
			log = fopen(optarg, "w");
			if (!log) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [--mib N] [--phase-s S] [--phases N] [--tlb-refresh-ms M] [--rw-phases] [--log F]\n",
				argv[0]);
			return 2;
		}
	}
	if (!mib || phase_s <= 0 || nr_phases <= 0) {
		fprintf(stderr, "workload: bad arguments\n");
		return 2;
	}

	/* before the buffer exists: see tlb_refresh.h */
	if (refresh_ms > 0) {
		pin_to_current_cpu();
		if (tlb_refresher_start(&tlb)) {
			perror("tlb refresher");
			return 1;
		}
	}

	size_t len = mib << 20, area = len / NR_AREAS;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Keep the demo's regions page-grained, like most of a real heap. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	touch(buf, len, page, READ_WRITE);

	double t0 = now(), last_refresh = t0;

	/* t0 is CLOCK_MONOTONIC, so readers can line events up with it. */
	fprintf(log, "workload pid=%d start=%#lx end=%#lx areas=%d area_bytes=%zu t0=%.3f\n",
		getpid(), (unsigned long)buf, (unsigned long)(buf + len),
		NR_AREAS, area, t0);
	fflush(log);

	for (int p = 0; p < nr_phases; p++) {
		int hot = p % NR_AREAS, warm = (hot + NR_AREAS / 2) % NR_AREAS;
		double end = t0 + (p + 1) * phase_s;
		enum access how = !rw_phases ? READ_WRITE :
			p % 2 ? READ_ONLY : WRITE_ONLY;
		unsigned long pass = 0;

		fprintf(log, "t=%.3f phase=%d hot=%#lx-%#lx warm=%#lx-%#lx access=%s\n",
			now() - t0, p,
			(unsigned long)(buf + hot * area),
			(unsigned long)(buf + (hot + 1) * area),
			(unsigned long)(buf + warm * area),
			(unsigned long)(buf + (warm + 1) * area),
			access_names[how]);
		fflush(log);
		while (now() < end) {
			touch(buf + hot * area, area, page, how);
			if (pass++ % WARM_EVERY == 0)
				touch(buf + warm * area, area, page, how);
			if (tlb.child && (now() - last_refresh) * 1000 >= refresh_ms) {
				if (tlb_refresh(&tlb))
					break;
				last_refresh = now();
			}
		}
	}
	fprintf(log, "t=%.3f done\n", now() - t0);
	fflush(log);
	tlb_refresher_stop(&tlb);
	return 0;
}

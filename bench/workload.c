// SPDX-License-Identifier: GPL-2.0
/*
 * workload - memory access patterns with a known ground truth, for the
 * DAMON benchmarks (bench/run.py).
 *
 * One anonymous buffer of --mib MiB is cut into NR_AREAS equal areas.  A
 * scenario decides, phase by phase, which address ranges are hot and how
 * often each is touched: a range with period P has every one of its pages
 * written on one pass in P.  Everything else stays cold (written once at
 * start, so that it is mapped and resident).  Every phase change is logged
 * with a CLOCK_MONOTONIC time relative to t0 and the exact ranges, which is
 * the ground truth bench/report.py scores DAMON against.
 *
 * Scenarios:
 *   static    one area (chosen by --seed) hot, the rest cold, all phases
 *   stairs    the hot area walks across the buffer, one area per phase
 *   zigzag    the hot area jumps between the low and the high half:
 *             0, 15, 1, 14, 2, ... (with 16 areas)
 *   islands   NR_ISLANDS small hot islands at seeded random places
 *   gradient  eight bands; band b is touched on one pass in 2^b
 *   churn     area 0 hot; every CHURN_MS (at most) one other area
 *             (seeded random) is unmapped and mapped again at the same
 *             address while DAMON watches, then written once; each remap
 *             is logged with its duration, as the hot area is not touched
 *             meanwhile
 *   size      one hot range of HOT_FIXED_MIB in the middle of the buffer,
 *             whatever --mib is (for CPU cost against monitored size)
 *
 * Protocol with the driver: after the buffer is populated the header line
 * ("workload pid=... start=... end=...") is logged and the workload waits
 * for a line on stdin; then it runs its phases, logs "done" and waits for
 * another line before exiting, so that the driver can read DAMON's state
 * while the target still exists.
 *
 * TLB freshness under QEMU TCG: a page that stays in QEMU's software TLB
 * does not get its Accessed bit set again after DAMON clears it.  Every
 * --tlb-refresh-ms the workload ping-pongs one byte with a child process
 * over pipes; with one vCPU that forces two switches between user address
 * spaces (two CR3 writes), and each one flushes QEMU's TLB.  The child is
 * forked before the buffer exists so that it shares none of it (a shared
 * buffer would turn every first write into a copy-on-write).  The cost
 * (a pipe round trip) is the same whichever kernel runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness/tlb_refresh.h"

#define NR_AREAS	16
#define NR_ISLANDS	32
#define ISLAND_KIB	64
#define NR_BANDS	8
#define HOT_FIXED_MIB	64
#define CHURN_MS	200
#define MAX_HOT		64

struct hot_range {
	char *start;
	size_t len;
	unsigned int period;	/* touched on one pass in @period */
};

struct phase {
	struct hot_range hot[MAX_HOT];
	int nr_hot;
};

static struct {
	const char *scenario;
	size_t len, area, page;
	char *buf;
	unsigned int seed;
	double t0, refresh_ms;
	struct tlb_refresher tlb;
	FILE *log;
} W;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A small deterministic generator, so that both kernels see one layout. */
static unsigned int rnd(void)
{
	W.seed = W.seed * 1103515245u + 12345u;
	return (W.seed >> 8) & 0xffffff;
}

static unsigned long touch(char *p, size_t len)
{
	unsigned long n = 0;

	for (size_t off = 0; off < len; off += W.page, n++)
		p[off]++;
	return n;
}

static void wait_driver(void)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin))
		return;	/* no driver: go on */
}

static void set_hot(struct phase *ph, char *start, size_t len, unsigned int period)
{
	if (ph->nr_hot >= MAX_HOT)
		return;
	ph->hot[ph->nr_hot++] = (struct hot_range){ start, len, period };
}

/* The ground truth of phase @p of the scenario. */
static void plan_phase(int p, struct phase *ph, int first_area,
		       char **islands)
{
	int a;

	ph->nr_hot = 0;
	if (!strcmp(W.scenario, "static") || !strcmp(W.scenario, "churn")) {
		a = !strcmp(W.scenario, "churn") ? 0 : first_area;
		set_hot(ph, W.buf + a * W.area, W.area, 1);
	} else if (!strcmp(W.scenario, "stairs")) {
		a = (first_area + p) % NR_AREAS;
		set_hot(ph, W.buf + a * W.area, W.area, 1);
	} else if (!strcmp(W.scenario, "zigzag")) {
		a = (p % 2) ? NR_AREAS - 1 - (p / 2) % (NR_AREAS / 2) : (p / 2) % (NR_AREAS / 2);
		set_hot(ph, W.buf + a * W.area, W.area, 1);
	} else if (!strcmp(W.scenario, "islands")) {
		for (int i = 0; i < NR_ISLANDS; i++)
			set_hot(ph, islands[i], ISLAND_KIB << 10, 1);
	} else if (!strcmp(W.scenario, "gradient")) {
		size_t band = W.len / NR_BANDS;

		for (int b = 0; b < NR_BANDS; b++)
			set_hot(ph, W.buf + b * band, band, 1u << b);
	} else if (!strcmp(W.scenario, "size")) {
		size_t hot = (size_t)HOT_FIXED_MIB << 20;

		if (hot > W.len / 2)
			hot = W.len / 2;
		set_hot(ph, W.buf + (W.len / 2 - hot / 2) / W.page * W.page, hot, 1);
	}
}

static void log_phase(int p, const struct phase *ph)
{
	fprintf(W.log, "t=%.6f phase=%d hot=", now() - W.t0, p);
	for (int i = 0; i < ph->nr_hot; i++)
		fprintf(W.log, "%s%#lx-%#lx:%u", i ? "," : "",
			(unsigned long)ph->hot[i].start,
			(unsigned long)(ph->hot[i].start + ph->hot[i].len),
			ph->hot[i].period);
	fprintf(W.log, "\n");
	fflush(W.log);
}

/* Unmap one cold area and map it again at the same place (scenario churn). */
static void churn_one(void)
{
	int a = 1 + rnd() % (NR_AREAS - 1);
	char *p = W.buf + a * W.area;

	if (munmap(p, W.area)) {
		perror("workload: munmap");
		exit(1);
	}
	if (mmap(p, W.area, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p) {
		perror("workload: mmap");
		exit(1);
	}
	madvise(p, W.area, MADV_NOHUGEPAGE);
	madvise(p, W.area, MADV_POPULATE_WRITE);
	touch(p, W.area);
}

/* Pick NR_ISLANDS distinct, island-aligned places in the buffer. */
static void place_islands(char **islands)
{
	size_t isl = (size_t)ISLAND_KIB << 10, slots = W.len / isl;

	for (int i = 0; i < NR_ISLANDS; i++) {
		size_t s;
		int dup;

		do {
			s = rnd() % slots;
			dup = 0;
			for (int j = 0; j < i; j++)
				dup |= islands[j] == W.buf + s * isl;
		} while (dup);
		islands[i] = W.buf + s * isl;
	}
}

static long majflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_majflt;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s --scenario static|stairs|zigzag|islands|gradient|churn|size\n"
		"       [--mib N] [--phase-s S] [--phases N] [--seed N] [--tlb-refresh-ms M] [--log F]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 'S' },
		{ "mib", required_argument, NULL, 'm' },
		{ "phase-s", required_argument, NULL, 's' },
		{ "phases", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'r' },
		{ "tlb-refresh-ms", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	size_t mib = 256;
	double phase_s = 5;
	int nr_phases = 4, c, first_area;
	unsigned int seed0;
	char *islands[NR_ISLANDS];

	W.scenario = "static";
	W.seed = 1;
	W.refresh_ms = 2;
	W.log = stdout;
	W.page = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'S': W.scenario = optarg; break;
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 's': phase_s = atof(optarg); break;
		case 'n': nr_phases = atoi(optarg); break;
		case 'r': W.seed = strtoul(optarg, NULL, 0); break;
		case 't': W.refresh_ms = atof(optarg); break;
		case 'l':
			W.log = fopen(optarg, "w");
			if (!W.log) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!mib || phase_s <= 0 || nr_phases <= 0)
		usage(argv[0]);
	if (!strstr(" static stairs zigzag islands gradient churn size ", W.scenario))
		usage(argv[0]);

	if (W.refresh_ms > 0 && tlb_refresher_start(&W.tlb)) {
		perror("workload: refresher");
		return 1;
	}

	W.len = mib << 20;
	W.area = W.len / NR_AREAS / W.page * W.page;
	W.buf = mmap(NULL, W.len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (W.buf == MAP_FAILED) {
		perror("workload: mmap");
		return 1;
	}
	/* Page-grained memory, like most of a real heap, on both kernels. */
	madvise(W.buf, W.len, MADV_NOHUGEPAGE);
	/* One call instead of a fault per page: TCG emulates faults slowly. */
	madvise(W.buf, W.len, MADV_POPULATE_WRITE);
	touch(W.buf, W.len);
	seed0 = W.seed;
	first_area = rnd() % NR_AREAS;
	place_islands(islands);

	fprintf(W.log, "workload pid=%d scenario=%s start=%#lx end=%#lx bytes=%zu areas=%d seed=%u\n",
		getpid(), W.scenario, (unsigned long)W.buf,
		(unsigned long)(W.buf + W.len), W.len, NR_AREAS, seed0);
	fflush(W.log);
	wait_driver();

	W.t0 = now();
	fprintf(W.log, "go t0=%.6f majflt=%ld\n", W.t0, majflt());
	fflush(W.log);

	double last_refresh = W.t0, next_churn = W.t0 + CHURN_MS / 1e3;
	unsigned long total = 0;

	for (int p = 0; p < nr_phases; p++) {
		struct phase ph;
		double end = W.t0 + (p + 1) * phase_s, t;
		unsigned long pass = 0, touches = 0;

		plan_phase(p, &ph, first_area, islands);
		log_phase(p, &ph);
		while ((t = now()) < end) {
			for (int i = 0; i < ph.nr_hot; i++)
				if (pass % ph.hot[i].period == 0)
					touches += touch(ph.hot[i].start, ph.hot[i].len);
			pass++;
			if ((t - last_refresh) * 1e3 >= W.refresh_ms) {
				if (tlb_refresh(&W.tlb)) {
					perror("workload: tlb refresh");
					exit(1);
				}
				last_refresh = now();
			}
			if (!strcmp(W.scenario, "churn") && t >= next_churn) {
				double c0 = now();

				churn_one();
				/* the hot area is not touched meanwhile: log how long */
				fprintf(W.log, "t=%.6f churn ms=%.1f\n", c0 - W.t0,
					(now() - c0) * 1e3);
				/* no catching up: churn must not starve the hot area */
				next_churn = now() + CHURN_MS / 1e3;
			}
		}
		total += touches;
		fprintf(W.log, "t=%.6f end=%d passes=%lu touches=%lu majflt=%ld\n",
			now() - W.t0, p, pass, touches, majflt());
		fflush(W.log);
	}
	fprintf(W.log, "t=%.6f done touches=%lu majflt=%ld\n", now() - W.t0,
		total, majflt());
	fflush(W.log);
	wait_driver();
	tlb_refresher_stop(&W.tlb);
	return 0;
}

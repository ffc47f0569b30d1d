// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON_STAT: always-on, whole-system access monitoring summarised in
 * read-only module parameters.
 *
 * One physical address space context covers all System RAM with
 * auto-tuned intervals and no schemes.  Every few seconds its kdamond
 * turns the regions into an estimated memory bandwidth and percentiles of
 * idle time.  See Documentation/admin-guide/mm/damon/stat.rst.
 */

#define pr_fmt(fmt) "damon-stat: " fmt

#include <linux/damon.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "modules-common.h"

#ifdef MODULE_PARAM_PREFIX
#undef MODULE_PARAM_PREFIX
#endif
#define MODULE_PARAM_PREFIX "damon_stat."

/* Minimum time between two refreshes of the outputs. */
#define STAT_REFRESH_INTERVAL	(5 * HZ)
#define STAT_NR_PERCENTILES	101

/* ===== Outputs ===== */

/*
 * Bytes per second seen accessed, averaged over the aggregation intervals
 * completed between the last two refreshes.
 */
static unsigned long estimated_memory_bandwidth __read_mostly;
module_param(estimated_memory_bandwidth, ulong, 0400);
MODULE_PARM_DESC(estimated_memory_bandwidth,
		 "Estimated memory bandwidth in bytes per second");

/*
 * memory_idle_ms_percentiles[p]: p percent of memory has been idle for at
 * most this many milliseconds.  Negative values are for memory that is
 * being accessed, for minus that long.
 */
static long memory_idle_ms_percentiles[STAT_NR_PERCENTILES] __read_mostly;
module_param_array(memory_idle_ms_percentiles, long, NULL, 0400);
MODULE_PARM_DESC(memory_idle_ms_percentiles,
		 "Percentiles of the idle time of memory in milliseconds");

/* The (auto-tuned) aggregation interval at the last refresh. */
static unsigned long aggr_interval_us __read_mostly;
module_param(aggr_interval_us, ulong, 0400);
MODULE_PARM_DESC(aggr_interval_us,
		 "Aggregation interval of the last refresh in microseconds");

/* ===== Metrics ===== */

/* A region reduced to what the metrics need. */
struct idle_chunk {
	long idle;		/* aggregation intervals; < 0: accessed */
	unsigned long sz;	/* bytes */
};

static unsigned long next_refresh;	/* jiffies; only the kdamond uses it */

/*
 * The aggregation intervals completed since the last refresh, kept by the
 * kdamond (stat_refresh() runs in every iteration of its main loop): their
 * bytes seen accessed, summed, and their length.  One interval alone
 * depends on where a few big regions happened to be sampled (readings of
 * 0 to 3.3x the true bandwidth were seen in the test guest); the sum over
 * the ~5 s between refreshes averages that out.
 */
static struct {
	u64 bytes;		/* sum of region size x nr_accesses */
	u64 us;			/* sum of aggregation intervals */
	/* &damon_ctx->next_aggregation_sis seen; 0: nothing seen yet */
	unsigned long aggr_sis;
	unsigned long aggr_us;	/* aggr_interval the open window runs with */
} windows;

static int cmp_idle(const void *a, const void *b)
{
	const struct idle_chunk *x = a, *y = b;

	if (x->idle == y->idle)
		return 0;
	return x->idle < y->idle ? -1 : 1;
}

/*
 * A region's idle time, in aggregation intervals: how long it has kept its
 * current access frequency, counted negative if that frequency is not zero.
 * The "+ 1" keeps a region that was just accessed apart from one that just
 * turned idle.  The moving sum rather than nr_accesses: the refresh runs at
 * any point of an aggregation interval, where nr_accesses is partial.
 */
static long region_idle(struct damon_region *r, struct damon_ctx *ctx)
{
	long idle = (long)r->age + 1;

	return damon_nr_accesses_mvsum(r, ctx) ? -idle : idle;
}

static unsigned long nr_regions(struct damon_ctx *ctx)
{
	struct damon_target *t;
	unsigned long nr = 0;

	damon_for_each_target(t, ctx)
		nr += damon_nr_regions(t);
	return nr;
}

/*
 * Account the aggregation interval that just ended, if one did since the
 * last call: each region contributes its size times the number of samples
 * it was found accessed in, the bytes accessed in that interval.  Right
 * after the end the moving sum is the completed count.  The interval's
 * length is the one seen before it ended: auto-tuning changes it at the
 * end.
 */
static void account_window(struct damon_ctx *ctx)
{
	struct damon_target *t;
	struct damon_region *r;

	/* the kdamond's setup makes next_aggregation_sis non-zero */
	if (windows.aggr_sis && ctx->next_aggregation_sis != windows.aggr_sis) {
		damon_for_each_target(t, ctx)
			damon_for_each_region(r, t)
				windows.bytes += (u64)damon_sz_region(r) *
					ctx->addr_unit *
					damon_nr_accesses_mvsum(r, ctx);
		windows.us += windows.aggr_us;
	}
	windows.aggr_sis = ctx->next_aggregation_sis;
	windows.aggr_us = ctx->attrs.aggr_interval;
}

/* estimated_memory_bandwidth from the windows since the last refresh. */
static void set_bandwidth(void)
{
	if (!windows.us)	/* none ended: keep the last estimate */
		return;
	WRITE_ONCE(estimated_memory_bandwidth,
		   mul_u64_u64_div_u64(windows.bytes, USEC_PER_SEC,
				       windows.us));
	windows.bytes = 0;
	windows.us = 0;
}

/* Fill @chunks from the regions of @ctx and return their total size. */
static u64 collect(struct damon_ctx *ctx, struct idle_chunk *chunks)
{
	struct damon_target *t;
	struct damon_region *r;
	unsigned long i = 0;
	u64 total = 0;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			u64 sz = (u64)damon_sz_region(r) * ctx->addr_unit;

			chunks[i].idle = region_idle(r, ctx);
			chunks[i].sz = sz;
			total += sz;
			i++;
		}
	}
	return total;
}

/*
 * Percentiles of idle time, weighted by size:
 *
 * 1. sort the regions by idle time, most recently accessed first;
 * 2. walk them adding up their sizes; after each region, every percentile
 *    p not set yet with p% of the total size <= the running sum gets the
 *    region's idle time.
 *
 * E.g. regions of 1, 1 and 2 GiB idle for -3, 5 and 9 intervals: after the
 * first, 25% of memory is covered, so percentiles 0..25 get -3; after the
 * second (50%) 26..50 get 5; the last sets 51..100 to 9.
 */
static void set_percentiles(struct idle_chunk *chunks, unsigned long nr,
			    u64 total, unsigned long aggr_us)
{
	unsigned long i;
	u64 covered = 0;
	int p = 0;

	sort(chunks, nr, sizeof(*chunks), cmp_idle, NULL);
	for (i = 0; i < nr && p < STAT_NR_PERCENTILES; i++) {
		long ms = chunks[i].idle * (long)aggr_us / 1000;
		u64 pct;

		covered += chunks[i].sz;
		pct = div64_u64(covered * 100, total);
		for (; p < STAT_NR_PERCENTILES && p <= pct; p++)
			WRITE_ONCE(memory_idle_ms_percentiles[p], ms);
	}
}

static int stat_refresh(struct damon_ctx *ctx)
{
	struct idle_chunk *chunks;
	unsigned long nr;
	u64 total;

	account_window(ctx);
	if (time_before(jiffies, next_refresh))
		return 0;
	next_refresh = jiffies + STAT_REFRESH_INTERVAL;

	WRITE_ONCE(aggr_interval_us, ctx->attrs.aggr_interval);
	set_bandwidth();
	nr = nr_regions(ctx);
	if (!nr)
		return 0;
	/* Not fatal: the percentiles stay as they were. */
	chunks = kmalloc_array(nr, sizeof(*chunks), GFP_KERNEL | __GFP_NOWARN);
	if (!chunks)
		return 0;
	total = collect(ctx, chunks);
	if (total)
		set_percentiles(chunks, nr, total, ctx->attrs.aggr_interval);
	kfree(chunks);
	return 0;
}

/* ===== Building the context ===== */

static int stat_build(struct damon_ctx **ctxp)
{
	struct damon_attrs attrs = {
		.sample_interval = 5000,
		.aggr_interval = 100000,
		.ops_update_interval = 60000000,
		.min_nr_regions = 10,
		.max_nr_regions = 1000,
		/* Aim at 4% of the possible accesses seen. */
		.intervals_goal = {
			.access_bp = 400,
			.aggrs = 3,
			.min_sample_us = 5000,
			.max_sample_us = 10000000,
		},
	};
	struct damon_addr_range span;
	struct damon_target *target;
	struct damon_ctx *ctx;
	int err;

	err = damon_modules_new_paddr_ctx_target(&ctx, &target);
	if (err)
		return err;
	err = damon_set_attrs(ctx, &attrs);
	if (err)
		goto out;
	err = damon_modules_system_ram_span(ctx->addr_unit, &span);
	if (err)
		goto out;
	err = damon_set_regions(target, &span, 1, ctx->min_region_sz);
	if (err)
		goto out;
	/* Let the regions settle before the first refresh. */
	next_refresh = jiffies + STAT_REFRESH_INTERVAL;
	memset(&windows, 0, sizeof(windows));
	*ctxp = ctx;
	return 0;
out:
	damon_destroy_ctx(ctx);
	return err;
}

static struct damon_module stat = {
	.name = "damon_stat",
	.build = stat_build,
	.refresh = stat_refresh,
	.enabled = IS_ENABLED(CONFIG_DAMON_STAT_ENABLED_DEFAULT),
};

/* ===== User interface: enabled, kdamond_pid ===== */

DAMON_MODULE_CONTROL_PARAMS(stat, "DAMON_STAT");

static int __init damon_stat_init(void)
{
	return damon_module_init(&stat);
}
module_init(damon_stat_init);

// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON_RECLAIM: page out physical memory that DAMON found cold.
 *
 * One scheme on the physical address space pages out regions that were not
 * accessed for min_age, oldest first, within time and size quotas, while
 * free memory is between the watermarks.  Everything is set through module
 * parameters; see Documentation/admin-guide/mm/damon/reclaim.rst.
 */

#define pr_fmt(fmt) "damon-reclaim: " fmt

#include <linux/damon.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "modules-common.h"

#ifdef MODULE_PARAM_PREFIX
#undef MODULE_PARAM_PREFIX
#endif
#define MODULE_PARAM_PREFIX "damon_reclaim."

/* ===== Parameters ===== */

/* Coldness threshold: regions not accessed for this many us are paged out. */
static unsigned long min_age __read_mostly = 120000000;
module_param(min_age, ulong, 0600);

/* Quotas: time (ms) and size (bytes) per quota_reset_interval_ms; 0 = none. */
static unsigned long quota_ms __read_mostly = 10;
module_param(quota_ms, ulong, 0600);

static unsigned long quota_sz __read_mostly = SZ_128M;
module_param(quota_sz, ulong, 0600);

static unsigned long quota_reset_interval_ms __read_mostly = 1000;
module_param(quota_reset_interval_ms, ulong, 0600);

/* Quota auto-tuning: target "some" memory PSI stall time per reset (us). */
static unsigned long quota_mem_pressure_us __read_mostly;
module_param(quota_mem_pressure_us, ulong, 0600);

/* Quota auto-tuning: user feedback, 10000 meaning "just right". */
static unsigned long quota_autotune_feedback __read_mostly;
module_param(quota_autotune_feedback, ulong, 0600);

/* Free memory watermarks, in permil of total memory, checked every 5 s. */
DAMON_MODULES_WMARKS_PARAMS(5000000, 500, 400, 200);

DAMON_MODULES_MON_ATTRS_PARAMS();

/* Monitored range; by default the biggest System RAM resource. */
DAMON_MODULES_MON_REGION_PARAMS(damon_reclaim_addr_unit);

/* Do not reclaim anonymous pages. */
static bool skip_anon __read_mostly;
module_param(skip_anon, bool, 0600);

/* Statistics of the scheme, refreshed while running. */
static unsigned long nr_reclaim_tried_regions;
module_param(nr_reclaim_tried_regions, ulong, 0400);

static unsigned long bytes_reclaim_tried_regions;
module_param(bytes_reclaim_tried_regions, ulong, 0400);

static unsigned long nr_reclaimed_regions;
module_param(nr_reclaimed_regions, ulong, 0400);

static unsigned long bytes_reclaimed_regions;
module_param(bytes_reclaimed_regions, ulong, 0400);

static unsigned long nr_quota_exceeds;
module_param(nr_quota_exceeds, ulong, 0400);

static const struct damon_modules_stat_params stat_params = {
	.nr_tried = &nr_reclaim_tried_regions,
	.sz_tried = &bytes_reclaim_tried_regions,
	.nr_applied = &nr_reclaimed_regions,
	.sz_applied = &bytes_reclaimed_regions,
	.qt_exceeds = &nr_quota_exceeds,
};

/* ===== Building the context ===== */

static struct damos *new_scheme(void)
{
	struct damos_access_pattern pattern = {
		.min_sz_region = PAGE_SIZE,
		.max_sz_region = ULONG_MAX,
		.min_nr_accesses = 0,
		.max_nr_accesses = 0,
		.min_age_region = min_t(unsigned long, min_age / aggr_interval,
					UINT_MAX),
		.max_age_region = UINT_MAX,
	};
	struct damos_quota quota = {
		.ms = quota_ms,
		.sz = quota_sz,
		.reset_interval = quota_reset_interval_ms,
		/* The older the better: age is the only priority. */
		.weight_age = 1,
	};
	struct damos_watermarks wmarks = {
		.metric = DAMOS_WMARK_FREE_MEM_RATE,
		.interval = wmarks_interval,
		.high = wmarks_high,
		.mid = wmarks_mid,
		.low = wmarks_low,
	};

	return damon_new_scheme(&pattern, DAMOS_PAGEOUT, 0, &quota, &wmarks,
				NUMA_NO_NODE);
}

static int add_goal(struct damos *s, enum damos_quota_goal_metric metric,
		    unsigned long target, unsigned long current_value)
{
	struct damos_quota_goal *g;

	g = damos_new_quota_goal(metric, target);
	if (!g)
		return -ENOMEM;
	g->current_value = current_value;
	damos_add_quota_goal(&s->quota, g);
	return 0;
}

static int add_scheme_inputs(struct damos *s)
{
	struct damos_filter *f;
	int err;

	if (quota_mem_pressure_us) {
		err = add_goal(s, DAMOS_QUOTA_SOME_MEM_PSI_US,
			       quota_mem_pressure_us, 0);
		if (err)
			return err;
	}
	if (quota_autotune_feedback) {
		err = add_goal(s, DAMOS_QUOTA_USER_INPUT, 10000,
			       quota_autotune_feedback);
		if (err)
			return err;
	}
	if (skip_anon) {
		f = damos_new_filter(DAMOS_FILTER_TYPE_ANON, true, false);
		if (!f)
			return -ENOMEM;
		damos_add_filter(s, f);
	}
	return 0;
}

static int check_params(void)
{
	int err;

	err = damon_modules_check_intervals(sample_interval, aggr_interval);
	if (err)
		return err;
	return damon_modules_check_wmarks(wmarks_high, wmarks_mid, wmarks_low);
}

static int reclaim_build(struct damon_ctx **ctxp)
{
	struct damon_attrs attrs;
	struct damon_target *target;
	struct damon_ctx *ctx;
	struct damos *scheme;
	unsigned long au = damon_reclaim_addr_unit;
	unsigned long min_sz;
	int err;

	err = check_params();
	if (err)
		return err;
	err = damon_modules_min_region_sz(au, &min_sz);
	if (err)
		return err;
	err = damon_modules_new_paddr_ctx_target(&ctx, &target);
	if (err)
		return err;
	ctx->addr_unit = au;
	ctx->min_region_sz = min_sz;
	attrs = ctx->attrs;
	attrs.sample_interval = sample_interval;
	attrs.aggr_interval = aggr_interval;
	attrs.min_nr_regions = min_nr_regions;
	attrs.max_nr_regions = max_nr_regions;
	err = damon_set_attrs(ctx, &attrs);
	if (err)
		goto out;
	err = damon_modules_set_region(target, &monitor_region_start,
				       &monitor_region_end, au, min_sz, false);
	if (err)
		goto out;
	scheme = new_scheme();
	if (!scheme) {
		err = -ENOMEM;
		goto out;
	}
	damon_add_scheme(ctx, scheme);
	err = add_scheme_inputs(scheme);
	if (err)
		goto out;
	*ctxp = ctx;
	return 0;
out:
	damon_destroy_ctx(ctx);
	return err;
}

static int reclaim_refresh(struct damon_ctx *ctx)
{
	struct damos *s;

	damon_for_each_scheme(s, ctx)
		damon_modules_publish_stat(s, &stat_params);
	return 0;
}

static struct damon_module reclaim = {
	.name = "damon_reclaim",
	.build = reclaim_build,
	.refresh = reclaim_refresh,
};

/* ===== User interface: enabled, commit_inputs, kdamond_pid ===== */

DAMON_MODULE_CONTROL_PARAMS(reclaim, "DAMON_RECLAIM");
DAMON_MODULE_COMMIT_PARAM(reclaim, "DAMON_RECLAIM");

static int __init damon_reclaim_init(void)
{
	return damon_module_init(&reclaim);
}
module_init(damon_reclaim_init);

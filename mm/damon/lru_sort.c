// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON_LRU_SORT: order the LRU lists by what DAMON found hot and cold.
 *
 * Two schemes on the physical address space share one pair of watermarks:
 * one moves the pages of frequently accessed regions to the head of their
 * LRU list (lru_prio), the other moves those of long unaccessed regions to
 * the tail (lru_deprio).  Each gets half of the time quota.  Everything is
 * set through module parameters; see
 * Documentation/admin-guide/mm/damon/lru_sort.rst.
 */

#define pr_fmt(fmt) "damon-lru-sort: " fmt

#include <linux/damon.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "modules-common.h"

#ifdef MODULE_PARAM_PREFIX
#undef MODULE_PARAM_PREFIX
#endif
#define MODULE_PARAM_PREFIX "damon_lru_sort."

/* ===== Parameters ===== */

/*
 * Target ratio of active to all LRU memory, in basis points; 0 = no goal.
 * Auto-tunes both quotas toward it.
 */
static unsigned long active_mem_bp __read_mostly;
module_param(active_mem_bp, ulong, 0600);

/* Let DAMON tune the monitoring intervals instead of the two below. */
static bool autotune_monitoring_intervals __read_mostly;
module_param(autotune_monitoring_intervals, bool, 0600);

/* Double-check hotness and coldness with the page's own Accessed bits. */
static bool filter_young_pages __read_mostly;
module_param(filter_young_pages, bool, 0600);

/* Hotness threshold, in permil of the highest possible access frequency. */
static unsigned long hot_thres_access_freq __read_mostly = 500;
module_param(hot_thres_access_freq, ulong, 0600);

/* Coldness threshold: regions not accessed for this many us. */
static unsigned long cold_min_age __read_mostly = 120000000;
module_param(cold_min_age, ulong, 0600);

/* Time quota (ms) per quota_reset_interval_ms, split between the schemes. */
static unsigned long quota_ms __read_mostly = 10;
module_param(quota_ms, ulong, 0600);

static unsigned long quota_reset_interval_ms __read_mostly = 1000;
module_param(quota_reset_interval_ms, ulong, 0600);

/* Free memory watermarks, in permil of total memory, checked every 5 s. */
DAMON_MODULES_WMARKS_PARAMS(5000000, 200, 150, 50);

DAMON_MODULES_MON_ATTRS_PARAMS();

/* Monitored range; by default all System RAM. */
DAMON_MODULES_MON_REGION_PARAMS(damon_lru_sort_addr_unit);

/* Statistics of the two schemes, refreshed while running. */
static unsigned long nr_lru_sort_tried_hot_regions;
module_param(nr_lru_sort_tried_hot_regions, ulong, 0400);

static unsigned long bytes_lru_sort_tried_hot_regions;
module_param(bytes_lru_sort_tried_hot_regions, ulong, 0400);

static unsigned long nr_lru_sorted_hot_regions;
module_param(nr_lru_sorted_hot_regions, ulong, 0400);

static unsigned long bytes_lru_sorted_hot_regions;
module_param(bytes_lru_sorted_hot_regions, ulong, 0400);

static unsigned long nr_hot_quota_exceeds;
module_param(nr_hot_quota_exceeds, ulong, 0400);

static unsigned long nr_lru_sort_tried_cold_regions;
module_param(nr_lru_sort_tried_cold_regions, ulong, 0400);

static unsigned long bytes_lru_sort_tried_cold_regions;
module_param(bytes_lru_sort_tried_cold_regions, ulong, 0400);

static unsigned long nr_lru_sorted_cold_regions;
module_param(nr_lru_sorted_cold_regions, ulong, 0400);

static unsigned long bytes_lru_sorted_cold_regions;
module_param(bytes_lru_sorted_cold_regions, ulong, 0400);

static unsigned long nr_cold_quota_exceeds;
module_param(nr_cold_quota_exceeds, ulong, 0400);

static const struct damon_modules_stat_params hot_stat_params = {
	.nr_tried = &nr_lru_sort_tried_hot_regions,
	.sz_tried = &bytes_lru_sort_tried_hot_regions,
	.nr_applied = &nr_lru_sorted_hot_regions,
	.sz_applied = &bytes_lru_sorted_hot_regions,
	.qt_exceeds = &nr_hot_quota_exceeds,
};

static const struct damon_modules_stat_params cold_stat_params = {
	.nr_tried = &nr_lru_sort_tried_cold_regions,
	.sz_tried = &bytes_lru_sort_tried_cold_regions,
	.nr_applied = &nr_lru_sorted_cold_regions,
	.sz_applied = &bytes_lru_sorted_cold_regions,
	.qt_exceeds = &nr_cold_quota_exceeds,
};

/* ===== Building the context ===== */

/* The two schemes, in the order they are added to the context. */
enum sort_scheme {
	SORT_HOT,	/* lru_prio of hot regions */
	SORT_COLD,	/* lru_deprio of cold regions */
	SORT_NR,
};

static void get_attrs(struct damon_attrs *attrs)
{
	if (!autotune_monitoring_intervals) {
		attrs->sample_interval = sample_interval;
		attrs->aggr_interval = aggr_interval;
		attrs->intervals_goal = (struct damon_intervals_goal){};
		return;
	}
	/*
	 * Start from the usual 5 ms / 100 ms and aim at 0.4% of the possible
	 * accesses seen, tuning every three aggregations.
	 */
	attrs->sample_interval = 5000;
	attrs->aggr_interval = 100000;
	attrs->intervals_goal = (struct damon_intervals_goal){
		.access_bp = 40,
		.aggrs = 3,
		.min_sample_us = 5000,
		.max_sample_us = 10000000,
	};
}

static struct damos *new_scheme(enum sort_scheme which,
				const struct damon_attrs *attrs)
{
	unsigned long hot_thres = damon_max_nr_accesses(attrs) *
		hot_thres_access_freq / 1000;
	struct damos_access_pattern pattern = {
		.min_sz_region = PAGE_SIZE,
		.max_sz_region = ULONG_MAX,
		.max_age_region = UINT_MAX,
	};
	struct damos_quota quota = {
		.ms = quota_ms / 2,
		.reset_interval = quota_reset_interval_ms,
		.weight_nr_accesses = 1,
		.weight_age = 1,
	};
	struct damos_watermarks wmarks = {
		.metric = DAMOS_WMARK_FREE_MEM_RATE,
		.interval = wmarks_interval,
		.high = wmarks_high,
		.mid = wmarks_mid,
		.low = wmarks_low,
	};

	if (which == SORT_HOT) {
		pattern.min_nr_accesses = min_t(unsigned long, hot_thres, UINT_MAX);
		pattern.max_nr_accesses = UINT_MAX;
		return damon_new_scheme(&pattern, DAMOS_LRU_PRIO, 0, &quota,
					&wmarks, NUMA_NO_NODE);
	}
	pattern.min_age_region = min_t(unsigned long, UINT_MAX,
				       cold_min_age / attrs->aggr_interval);
	return damon_new_scheme(&pattern, DAMOS_LRU_DEPRIO, 0, &quota, &wmarks,
				NUMA_NO_NODE);
}

static int add_scheme_inputs(struct damos *s, enum sort_scheme which)
{
	bool hot = which == SORT_HOT;
	struct damos_quota_goal *g;
	struct damos_filter *f;

	if (active_mem_bp) {
		/* The cold goal is the complement plus two basis points. */
		g = hot ? damos_new_quota_goal(DAMOS_QUOTA_ACTIVE_MEM_BP,
					       active_mem_bp) :
			damos_new_quota_goal(DAMOS_QUOTA_INACTIVE_MEM_BP,
					     10000 - active_mem_bp + 2);
		if (!g)
			return -ENOMEM;
		damos_add_quota_goal(&s->quota, g);
	}
	if (filter_young_pages) {
		/* hot: reject pages that are not young; cold: young ones. */
		f = damos_new_filter(DAMOS_FILTER_TYPE_YOUNG, !hot, false);
		if (!f)
			return -ENOMEM;
		damos_add_filter(s, f);
	}
	return 0;
}

static int check_params(unsigned long *min_sz)
{
	int err;

	if (active_mem_bp > 10000)
		return -EINVAL;
	err = damon_modules_check_intervals(sample_interval, aggr_interval);
	if (err)
		return err;
	err = damon_modules_check_wmarks(wmarks_high, wmarks_mid, wmarks_low);
	if (err)
		return err;
	return damon_modules_min_region_sz(damon_lru_sort_addr_unit, min_sz);
}

static int add_schemes(struct damon_ctx *ctx)
{
	enum sort_scheme which;
	struct damos *s;
	int err;

	for (which = SORT_HOT; which < SORT_NR; which++) {
		s = new_scheme(which, &ctx->attrs);
		if (!s)
			return -ENOMEM;
		damon_add_scheme(ctx, s);
		err = add_scheme_inputs(s, which);
		if (err)
			return err;
	}
	return 0;
}

static int lru_sort_build(struct damon_ctx **ctxp)
{
	unsigned long au = damon_lru_sort_addr_unit;
	struct damon_target *target;
	struct damon_attrs attrs;
	struct damon_ctx *ctx;
	unsigned long min_sz;
	int err;

	err = check_params(&min_sz);
	if (err)
		return err;
	err = damon_modules_new_paddr_ctx_target(&ctx, &target);
	if (err)
		return err;
	ctx->addr_unit = au;
	ctx->min_region_sz = min_sz;
	attrs = ctx->attrs;
	get_attrs(&attrs);
	attrs.min_nr_regions = min_nr_regions;
	attrs.max_nr_regions = max_nr_regions;
	err = damon_set_attrs(ctx, &attrs);
	if (err)
		goto out;
	err = damon_modules_set_region(target, &monitor_region_start,
				       &monitor_region_end, au, min_sz, true);
	if (err)
		goto out;
	err = add_schemes(ctx);
	if (err)
		goto out;
	*ctxp = ctx;
	return 0;
out:
	damon_destroy_ctx(ctx);
	return err;
}

static int lru_sort_refresh(struct damon_ctx *ctx)
{
	enum sort_scheme which = SORT_HOT;
	struct damos *s;

	damon_for_each_scheme(s, ctx) {
		if (which == SORT_HOT)
			damon_modules_publish_stat(s, &hot_stat_params);
		else if (which == SORT_COLD)
			damon_modules_publish_stat(s, &cold_stat_params);
		which++;
	}
	return 0;
}

static struct damon_module lru_sort = {
	.name = "damon_lru_sort",
	.build = lru_sort_build,
	.refresh = lru_sort_refresh,
};

/* ===== User interface: enabled, commit_inputs, kdamond_pid ===== */

DAMON_MODULE_CONTROL_PARAMS(lru_sort, "DAMON_LRU_SORT");
DAMON_MODULE_COMMIT_PARAM(lru_sort, "DAMON_LRU_SORT");

static int __init damon_lru_sort_init(void)
{
	return damon_module_init(&lru_sort);
}
module_init(damon_lru_sort_init);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON core-private declarations, shared by the core files, the DAMOS
 * engine and the KUnit tests.  Nothing here is API.
 */
#ifndef _MM_DAMON_INTERNAL_H
#define _MM_DAMON_INTERNAL_H

#include <linux/damon.h>
#include <linux/minmax.h>
#include <linux/sched.h>

/*
 * damon_assert_owner() - WARN if the caller may not touch @ctx's internals.
 *
 * While a kdamond runs only it may touch the context (targets, regions,
 * schemes, attrs); everybody else goes through damon_call().  A racy read of
 * ctx->kdamond is fine here: it can only change under us if we are not the
 * kdamond, and then the caller is already wrong.
 */
static inline void __damon_assert_owner(struct damon_ctx *ctx,
					const char *caller)
{
	struct task_struct *kdamond = READ_ONCE(ctx->kdamond);

	WARN_ONCE(kdamond && kdamond != current,
		  "damon: %s() on a context run by another thread\n", caller);
}

#define damon_assert_owner(ctx) __damon_assert_owner(ctx, __func__)

/* ===== context.c, damos.c: the objects ===== */

void damon_destroy_targets(struct damon_ctx *ctx);
void damon_free_ctx(struct damon_ctx *ctx);
void damos_copy_quota_params(struct damos_quota *dst,
			     const struct damos_quota *src);
void damos_copy_wmarks_params(struct damos_watermarks *dst,
			      const struct damos_watermarks *src);
void damos_free_migrate_dests(struct damos_migrate_dests *dests);

/* ===== attrs.c, tuning.c: intervals ===== */

/* @us in sampling intervals, at least 1. */
static inline unsigned long damon_us_to_sis(const struct damon_attrs *attrs,
					    unsigned long us)
{
	if (!attrs->sample_interval)
		return 1;
	return max(us / attrs->sample_interval, 1UL);
}

/*
 * damos_apply_interval_sis() - A scheme's apply interval in sampling
 * intervals, at least 1; the aggregation interval if it has none of its own.
 */
static inline unsigned long damos_apply_interval_sis(struct damon_ctx *ctx,
						     struct damos *s)
{
	unsigned long us = s->apply_interval_us ? s->apply_interval_us :
		ctx->attrs.aggr_interval;

	if (!ctx->attrs.sample_interval)
		return max(ctx->attrs.aggr_samples, 1UL);
	return max(us / ctx->attrs.sample_interval, 1UL);
}

void damon_rescale_regions(struct damon_ctx *ctx,
			   const struct damon_attrs *old,
			   const struct damon_attrs *new);
void damon_update_deadlines(struct damon_ctx *ctx);
void damon_apply_attrs(struct damon_ctx *ctx, const struct damon_attrs *attrs);
void damon_tune_intervals_step(struct damon_ctx *ctx);

/* ===== probes.c: data-attribute probes ===== */

void damon_destroy_probes(struct damon_ctx *ctx);
void damon_probes_refresh(struct damon_ctx *ctx);
int damon_commit_probes(struct damon_ctx *dst, struct damon_ctx *src);
unsigned int damon_probe_hits_wsum_max(struct damon_ctx *ctx);
int damon_valid_probe_params(struct damon_ctx *ctx,
			     const struct damon_attrs *attrs);

/* ===== sample.c: access-sample control and access reports ===== */

void damon_destroy_sample_filters(struct damon_sample_control *ctrl);
int damon_valid_sample_control(const struct damon_sample_control *ctrl);
int damon_commit_sample_control(struct damon_sample_control *dst,
				const struct damon_sample_control *src);
bool damon_sample_sync(struct damon_ctx *ctx);
void damon_sample_stop(struct damon_ctx *ctx);
unsigned int damon_check_reports(struct damon_ctx *ctx);

/* ===== call.c: the kdamond's side of damon_call() and damos_walk() ===== */

bool kdamond_run_calls(struct damon_ctx *ctx, bool cancel);
struct damos_walk_control *kdamond_walk_begin(struct damon_ctx *ctx);
void kdamond_walk_end(struct damon_ctx *ctx);
void kdamond_walk_finish(struct damon_ctx *ctx, bool canceled);

/* ===== regions.c: region lists and the adaptive regions adjustment ===== */

int damon_regions_init(void);
struct damon_region *damon_cut_region(struct damon_target *t,
				      struct damon_region *r,
					   unsigned long sz_r);
unsigned long damon_ctx_total_sz(struct damon_ctx *ctx);
void damon_adjust_merge(struct damon_ctx *ctx, unsigned int thres);
void damon_adjust_split(struct damon_ctx *ctx);
void damon_age_region(struct damon_region *r,
		      const struct damon_attrs *attrs);
void damon_age_region_wsum(struct damon_region *r, struct damon_ctx *ctx,
			   unsigned int thres);
void damon_region_new_window(struct damon_region *r);
struct damon_region *damon_alloc_region(unsigned long start, unsigned long end,
					bool probes);
void damon_fit_region_storage(struct damon_ctx *ctx);
#if IS_ENABLED(CONFIG_KUNIT)
bool damon_region_hits(const struct damon_region *r, unsigned long *lo,
		       unsigned long *hi);
void damon_region_set_hits(struct damon_region *r, unsigned long lo,
			   unsigned long hi);
#endif
bool damon_regions_valid(struct damon_target *t);
bool damon_regions_fit(struct damon_target *t, unsigned long min_region_sz);
void damon_ensure_min_nr_regions(struct damon_ctx *ctx);

/* ===== The DAMOS engine (schemes.c, quota.c), driven by the kdamond ===== */

/*
 * damos_apply_schemes() is called by the kdamond once per sampling interval,
 * after the access check and after the aggregation-boundary work (so that
 * at a boundary it sees the new window's regions and the closed window's
 * results), with ctx->passed_sample_intervals already counting the interval
 * just sampled.
 * It must apply every scheme whose s->next_apply_sis has been reached and
 * advance s->next_apply_sis by damos_apply_interval_sis().  With a @walk
 * (the damos_walk() the kdamond serves), it calls @walk->walk_fn for each
 * region a scheme's action was tried on, right after ops.apply_scheme()
 * (only then is sz_filter_passed known), unless that scheme already did its
 * round of the walk, and marks each scheme that ran a round, active or not,
 * with s->walk_completed.  The kdamond finishes the walk afterwards.  The
 * engine calls nothing in the files above.
 */
void damos_apply_schemes(struct damon_ctx *ctx,
			 struct damos_walk_control *walk);
/*
 * damos_wmarks_wait_us() - How long the kdamond should sleep before the next
 * sampling because no scheme is active (0: monitor now).  In schemes.c.
 */
unsigned long damos_wmarks_wait_us(struct damon_ctx *ctx);

/* ===== Internals visible to the KUnit suites ===== */

#if IS_ENABLED(CONFIG_KUNIT)
unsigned int damon_weighted_avg(unsigned int a, unsigned long wa,
				unsigned int b, unsigned long wb);
void damon_merge_target_regions(struct damon_target *t, unsigned int thres,
				unsigned long sz_limit,
				struct damon_ctx *wsum_ctx);
unsigned int damon_split_target_regions(struct damon_target *t,
					unsigned int nr_pieces,
					unsigned int nr_samples,
					unsigned long min_region_sz);
unsigned long damon_total_nr_regions(struct damon_ctx *ctx);
bool damon_sample_filters_pass(const struct damon_sample_control *ctrl,
			       const struct damon_access_report *r);
unsigned long damon_tuned_sample_us(const struct damon_intervals_goal *goal,
				    unsigned long long nr_events,
				    unsigned long long max_nr_events,
				    unsigned long cur_sample_us);
#endif

#endif /* _MM_DAMON_INTERNAL_H */

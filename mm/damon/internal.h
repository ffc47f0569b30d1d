/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON core-private declarations, shared by the core files, the DAMOS
 * engine and the KUnit tests.  Nothing here is API.
 */
#ifndef _MM_DAMON_INTERNAL_H
#define _MM_DAMON_INTERNAL_H

#include <linux/damon.h>
#include <linux/sched.h>

/*
 * damon_assert_owner() - WARN if the caller may not touch @ctx's internals.
 *
 * While a kdamond runs only it may touch the context (targets, regions,
 * schemes, attrs); everybody else goes through damon_call().  A racy read of
 * ctx->kdamond is fine here: it can only change under us if we are not the
 * kdamond, and then the caller is already wrong.
 */
#define damon_assert_owner(ctx)						\
	WARN_ONCE(READ_ONCE((ctx)->kdamond) &&				\
		  READ_ONCE((ctx)->kdamond) != current,			\
		  "damon: %s() on a context run by another thread\n",	\
		  __func__)

/* ===== regions.c: region lists and the adaptive regions adjustment ===== */

int damon_regions_init(void);
struct damon_region *damon_cut_region(struct damon_target *t,
				      struct damon_region *r,
					   unsigned long sz_r);
unsigned int damon_weighted_avg(unsigned int a, unsigned long wa,
				unsigned int b, unsigned long wb);
void damon_merge_target_regions(struct damon_target *t, unsigned int thres,
				unsigned long sz_limit);
unsigned int damon_split_target_regions(struct damon_target *t,
					unsigned int nr_pieces,
					unsigned int nr_samples,
					unsigned long min_region_sz);
unsigned long damon_total_nr_regions(struct damon_ctx *ctx);
unsigned long damon_merge_sz_limit(struct damon_ctx *ctx);
void damon_adjust_merge(struct damon_ctx *ctx, unsigned int thres);
void damon_adjust_split(struct damon_ctx *ctx);
void damon_age_region(struct damon_region *r,
		      const struct damon_attrs *attrs);
void damon_region_new_window(struct damon_region *r);
bool damon_regions_valid(struct damon_target *t);
bool damon_regions_fit(struct damon_target *t, unsigned long min_region_sz);
void damon_ensure_min_nr_regions(struct damon_ctx *ctx);

/* ===== core.c internals visible to tests ===== */

unsigned long damon_tuned_sample_us(const struct damon_intervals_goal *goal,
				    unsigned long long nr_events,
				    unsigned long long max_nr_events,
				    unsigned long cur_sample_us);
void damon_tune_intervals_step(struct damon_ctx *ctx);
unsigned long damos_apply_interval_sis(struct damon_ctx *ctx, struct damos *s);

/* ===== The DAMOS engine hook ===== */

/*
 * damos_apply_schemes() is called by the kdamond once per sampling interval,
 * after the access check and after the aggregation-boundary work (so that
 * at a boundary it sees the new window's regions and the closed window's
 * results), with ctx->passed_sample_intervals already counting the interval
 * just sampled.
 * It must apply every scheme whose s->next_apply_sis has been reached and
 * advance s->next_apply_sis by damos_apply_interval_sis().  For damos_walk():
 *  - call damos_walk_report() for each region the action was tried on,
 *    right after ops.apply_scheme() (only then is sz_filter_passed known);
 *  - call damos_walk_round_done() once per scheme per apply round, including
 *    rounds in which the scheme is inactive (watermarks) or did nothing.
 * The DAMOS engine (mm/damon/schemes.c) implements it.
 */
void damos_apply_schemes(struct damon_ctx *ctx);
/*
 * damos_wmarks_wait_us() - How long the kdamond should sleep before the next
 * sampling because no scheme is active (0: monitor now).  In schemes.c.
 */
unsigned long damos_wmarks_wait_us(struct damon_ctx *ctx);

bool damos_pattern_match(struct damon_ctx *ctx, struct damon_region *r,
			 struct damos *s);
void damos_walk_report(struct damon_ctx *ctx, struct damon_target *t,
		       struct damon_region *r, struct damos *s,
			  unsigned long sz_filter_passed);
void damos_walk_round_done(struct damon_ctx *ctx, struct damos *s);

#endif /* _MM_DAMON_INTERNAL_H */

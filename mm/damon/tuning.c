// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON intervals auto-tuning: every intervals_goal.aggrs aggregation
 * intervals the kdamond scales the sampling and aggregation intervals
 * together so that the share of samples that find an access approaches the
 * goal's access_bp.
 */

#include <kunit/visibility.h>
#include <linux/damon.h>
#include <linux/math64.h>

#include <trace/events/damon.h>

#include "internal.h"

/**
 * damon_tuned_sample_us() - Compute the next sampling interval.
 * @goal:		The intervals goal.
 * @nr_events:		Access events observed since the last tuning.
 * @max_nr_events:	Access events that could have been observed.
 * @cur_sample_us:	The current sampling interval.
 *
 * Too few events mean the intervals are too short to see accesses: grow
 * them.  Too many mean they are longer than needed: shrink them.  The
 * factor is 1 + (goal - observed) / goal, limited to [1/2, 2] so one step
 * never more than doubles or halves, and the result is clamped to
 * [@goal->min_sample_us, @goal->max_sample_us].  Example: goal 400 bp,
 * observed 100 bp: factor 1.75.  Observed 800 bp: factor 0 -> 1/2.
 *
 * Context: Any context.
 * Return: The new sampling interval, in microseconds.
 */
VISIBLE_IF_KUNIT unsigned long
damon_tuned_sample_us(const struct damon_intervals_goal *goal,
		      unsigned long long nr_events,
		      unsigned long long max_nr_events,
		      unsigned long cur_sample_us)
{
	unsigned long long ratio_bp;
	long long factor_bp;
	unsigned long next;

	if (!goal->access_bp)
		return clamp(cur_sample_us, goal->min_sample_us,
			     goal->max_sample_us);
	ratio_bp = max_nr_events ?
		div64_u64(nr_events * 10000, max_nr_events) : 0;
	factor_bp = 10000 + div64_s64(((long long)goal->access_bp -
				       (long long)ratio_bp) * 10000,
				      goal->access_bp);
	factor_bp = clamp_t(long long, factor_bp, 5000, 20000);
	next = mul_u64_u64_div_u64(max(cur_sample_us, 1UL), factor_bp, 10000);
	return clamp(next, goal->min_sample_us, goal->max_sample_us);
}
EXPORT_SYMBOL_IF_KUNIT(damon_tuned_sample_us);

/**
 * damon_tune_intervals_step() - Apply one intervals auto-tuning step.
 * @ctx:	The context.
 *
 * Scales the sampling and aggregation intervals together (their ratio,
 * and hence the meaning of nr_accesses, is kept), rescales the regions'
 * ages to the new aggregation interval and emits
 * damon_monitor_intervals_tune.
 *
 * Context: Caller owns @ctx.
 */
void damon_tune_intervals_step(struct damon_ctx *ctx)
{
	struct damon_attrs *attrs = &ctx->attrs;
	struct damon_attrs old = *attrs;
	unsigned long sample_us;

	sample_us = damon_tuned_sample_us(&attrs->intervals_goal,
					  ctx->nr_accesses_sum,
					  ctx->max_nr_samples_sum,
					  attrs->sample_interval);
	ctx->nr_accesses_sum = 0;
	ctx->max_nr_samples_sum = 0;
	attrs->sample_interval = sample_us;
	attrs->aggr_interval = sample_us * attrs->aggr_samples;
	/*
	 * Ages count aggregation intervals: keep them meaning the same time,
	 * or a region would look idle for far longer than DAMON has watched
	 * it once the intervals grow.
	 */
	damon_rescale_regions(ctx, &old, attrs);
	ctx->next_ops_update_sis = ctx->passed_sample_intervals +
		damon_us_to_sis(attrs, attrs->ops_update_interval);
	trace_damon_monitor_intervals_tune(sample_us);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON monitoring attributes: their validation, and setting them on a
 * context, which rescales the regions' counters and moves the kdamond's
 * deadlines.  Attributes are validated where they enter a context:
 * damon_set_attrs() and damon_commit_ctx().
 */

#include <linux/damon.h>
#include <linux/math64.h>

#include "internal.h"

/**
 * damon_validate_attrs() - Check monitoring attributes.
 * @attrs:	The attributes.
 *
 * Rules: min_nr_regions >= 3, min_nr_regions <= max_nr_regions,
 * sample_interval <= aggr_interval, and, when intervals auto-tuning is on
 * (intervals_goal.aggrs != 0), min_sample_us <= max_sample_us.
 *
 * Context: Any context.
 * Return: 0 if valid, -EINVAL otherwise.
 */
int damon_validate_attrs(struct damon_attrs *attrs)
{
	const struct damon_intervals_goal *goal = &attrs->intervals_goal;
	bool tuning = goal->aggrs != 0;
	bool ok = attrs->min_nr_regions >= 3 &&
		attrs->max_nr_regions >= attrs->min_nr_regions &&
		attrs->aggr_interval >= attrs->sample_interval &&
		(!tuning || goal->max_sample_us >= goal->min_sample_us);

	return ok ? 0 : -EINVAL;
}

/* @val counted in units of @old_unit, recounted in units of @new_unit. */
static unsigned int damon_rescale(unsigned int val, unsigned long old_unit,
				  unsigned long new_unit)
{
	if (!new_unit || old_unit == new_unit)
		return val;
	return min_t(u64, mul_u64_u64_div_u64(val, old_unit, new_unit),
		     UINT_MAX);
}

/* The probe hit counters are sample counts too, on 8 bits. */
static void damon_rescale_probe_hits(struct damon_region *r,
				     unsigned long new_n, unsigned long old_n)
{
	int i;

	for (i = 0; damon_region_has_probes(r) && i < DAMON_MAX_PROBES; i++) {
		r->probe_hits[i] = min(damon_rescale(r->probe_hits[i], new_n,
						     old_n), U8_MAX);
		r->last_probe_hits[i] = min(damon_rescale(r->last_probe_hits[i],
							  new_n, old_n),
					    U8_MAX);
	}
}

/*
 * Re-express the counters of every region of @ctx in @new: nr_accesses, the
 * previous window's count and the probe hits count samples per aggregation
 * interval, age
 * counts aggregation intervals.  Also used by intervals auto-tuning.
 */
void damon_rescale_regions(struct damon_ctx *ctx,
			   const struct damon_attrs *old,
			   const struct damon_attrs *new)
{
	unsigned long old_n = damon_nr_samples_per_aggr(old);
	unsigned long new_n = damon_nr_samples_per_aggr(new);
	struct damon_target *t;
	struct damon_region *r;

	if (old_n == new_n && old->aggr_interval == new->aggr_interval)
		return;
	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			/* samples-per-aggr ratios: scale by new_n / old_n */
			r->nr_accesses = damon_rescale(r->nr_accesses, new_n,
						       old_n);
			r->last_nr_accesses = damon_rescale(r->last_nr_accesses,
							    new_n, old_n);
			r->age = damon_rescale(r->age, old->aggr_interval,
					       new->aggr_interval);
			damon_rescale_probe_hits(r, new_n, old_n);
		}
	}
}

/* Recompute the sample-count deadlines from the current attrs. */
void damon_update_deadlines(struct damon_ctx *ctx)
{
	unsigned long now = ctx->passed_sample_intervals;
	struct damos *s;

	ctx->next_aggregation_sis = now + ctx->attrs.aggr_samples;
	ctx->next_ops_update_sis = now +
		damon_us_to_sis(&ctx->attrs, ctx->attrs.ops_update_interval);
	ctx->next_intervals_tune_sis = now + ctx->attrs.aggr_samples *
		ctx->attrs.intervals_goal.aggrs;
	damon_for_each_scheme(s, ctx)
		s->next_apply_sis = now + damos_apply_interval_sis(ctx, s);
}

/*
 * Make @attrs, already validated, the attributes of @ctx; see
 * damon_set_attrs().  damon_commit_ctx() validates its source once, up
 * front, and applies it with this.
 */
void damon_apply_attrs(struct damon_ctx *ctx, const struct damon_attrs *attrs)
{
	struct damon_attrs new = *attrs;
	bool timing_changed;

	damon_assert_owner(ctx);
	new.aggr_samples = damon_nr_samples_per_aggr(&new);
	damon_rescale_regions(ctx, &ctx->attrs, &new);
	/* don't postpone the next aggregation etc. on no-op updates */
	timing_changed = new.sample_interval != ctx->attrs.sample_interval ||
		new.aggr_interval != ctx->attrs.aggr_interval ||
		new.ops_update_interval != ctx->attrs.ops_update_interval ||
		new.intervals_goal.aggrs != ctx->attrs.intervals_goal.aggrs;
	ctx->attrs = new;
	if (timing_changed)
		damon_update_deadlines(ctx);
}

/**
 * damon_set_attrs() - Set the monitoring attributes of a context.
 * @ctx:	The context.
 * @attrs:	The new attributes (validated with damon_validate_attrs()).
 *
 * Existing regions' access counters and ages are rescaled to the new
 * intervals, and the next aggregation, ops update, intervals tuning and
 * scheme apply points are recomputed from now.
 *
 * Context: Caller owns @ctx: not running, or from its kdamond (e.g. in a
 * damon_call() function).
 * Return: 0 on success, -EINVAL if @attrs is invalid (nothing changed).
 */
int damon_set_attrs(struct damon_ctx *ctx, struct damon_attrs *attrs)
{
	int err = damon_validate_attrs(attrs);

	if (err)
		return err;
	damon_apply_attrs(ctx, attrs);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * DAMOS engine: applies the schemes of a context to the regions that match
 * them, honouring watermarks, core filters and quotas, and keeps the
 * schemes' statistics.
 */

#include <kunit/visibility.h>
#include <linux/damon.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/vmstat.h>

#include <trace/events/damon.h>

#include "damos.h"
#include "internal.h"

/**
 * DOC: How a scheme is applied
 *
 * The kdamond calls damos_apply_schemes() once per sampling interval, after
 * closing the aggregation interval if one ended.  A scheme whose apply time
 * (&damos->next_apply_sis) has come runs one *apply round*, on the results
 * of the last completed aggregation interval (damos_pattern_match()): all
 * rounds up to the next aggregation boundary see the same results, so the
 * regions a scheme tries follow its apply interval.
 *
 * 1. If the scheme is inactive (its watermarks are out of band, or it
 *    already took &damos->max_nr_snapshots snapshots) the round is empty.
 * 2. Otherwise its quota window is renewed if due, and the effective quota
 *    recomputed (quota.c); the filters' defaults are derived; the round's
 *    score cut-off is decided from a histogram of the candidates
 *    (damos_quota_prioritise()).
 * 3. Each region of each target, in address order, is then
 *
 *    a. skipped unless it matches the access pattern;
 *    b. if it scores exactly the quota cut-off, skipped until the point
 *       where the previous window ran out of quota (so that equally good
 *       regions take turns across windows);
 *    c. cut at the boundaries of the address filters, then skipped if the
 *       core filters reject it;
 *    d. skipped if it scores below the cut-off, or cut at the quota
 *       boundary if only its head fits;
 *    e. traced (damos_before_apply), counted as tried, handed to the
 *       operation set's &damon_operations->apply_scheme, which evaluates the
 *       ops filters and returns the bytes it applied the action to;
 *    f. reported to the damos_walk() being served, if any, counted as
 *       applied, charged to the quota, and its age reset unless the action
 *       is %DAMOS_STAT.
 * 4. The snapshot is counted and traced (damos_stat_after_apply_interval),
 *    the next apply time set, and the scheme marked as having done its
 *    round of the walk (&damos->walk_completed).
 *
 * The engine calls nothing of the core: the kdamond hands it the walk it
 * serves, and finishes the walk itself once every scheme did its round.
 *
 * Memory a core filter rejects is not "tried"; memory an ops filter
 * rejects is (the operation set decides on it inside the action).
 *
 * Example: a 10 MiB region matches a pageout scheme whose quota has 4 MiB
 * left; the region is cut into 4 MiB + 6 MiB, the action is tried on the
 * first part, and the second is left for the next window.
 */

/* ===== Watermarks ===== */

/**
 * damos_wmark_metric_value() - Read a watermark metric.
 * @metric:	The metric.
 *
 * Context: Any context.
 * Return: The current value of @metric; 0 for %DAMOS_WMARK_NONE.
 */
VISIBLE_IF_KUNIT unsigned long damos_wmark_metric_value(enum damos_wmark_metric metric)
{
	unsigned long total;

	switch (metric) {
	case DAMOS_WMARK_FREE_MEM_RATE:
		total = totalram_pages();
		if (!total)
			return 0;
		return global_zone_page_state(NR_FREE_PAGES) * 1000 / total;
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(damos_wmark_metric_value);

/**
 * damos_wmarks_step() - Advance the watermarks state machine of a scheme.
 * @wm:		The watermarks.
 * @metric:	The current value of @wm->metric.
 *
 * Two states, active and inactive.  Above @wm->high or below @wm->low a
 * scheme becomes inactive; an inactive scheme becomes active again once
 * the metric is in [@wm->low, @wm->mid).  Between @wm->mid and @wm->high
 * the state is kept: that gap is the hysteresis that keeps a scheme from
 * flapping when the metric hovers around one threshold.  With
 * %DAMOS_WMARK_NONE the scheme is always active.
 *
 * Context: The kdamond.
 * Return: Whether the scheme is active.
 */
VISIBLE_IF_KUNIT bool damos_wmarks_step(struct damos_watermarks *wm, unsigned long metric)
{
	if (wm->metric == DAMOS_WMARK_NONE) {
		wm->activated = true;
		return true;
	}
	if (metric > wm->high || metric < wm->low)
		wm->activated = false;
	else if (!wm->activated && metric < wm->mid)
		wm->activated = true;
	return wm->activated;
}
EXPORT_SYMBOL_IF_KUNIT(damos_wmarks_step);

/**
 * damos_wmarks_wait_us() - Update watermarks; tell how long to sleep.
 * @ctx:	The context.
 *
 * Called by the kdamond before each sampling interval.  The metrics are
 * cheap global counters, so every scheme is re-evaluated each time;
 * &damos_watermarks->interval only bounds how long the kdamond sleeps
 * while nothing is active.
 *
 * Context: The kdamond of @ctx.
 * Return: 0 if some scheme is active or there is none (monitor now);
 * otherwise the smallest check interval of the schemes, in microseconds
 * (the sampling interval if that is 0).
 */
unsigned long damos_wmarks_wait_us(struct damon_ctx *ctx)
{
	unsigned long wait = ULONG_MAX;
	bool active = false;
	struct damos *s;

	if (list_empty(&ctx->schemes))
		return 0;
	damon_for_each_scheme(s, ctx) {
		unsigned long metric = damos_wmark_metric_value(s->wmarks.metric);

		if (damos_wmarks_step(&s->wmarks, metric))
			active = true;
		wait = min(wait, s->wmarks.interval);
	}
	if (active)
		return 0;
	return wait ?: max(ctx->attrs.sample_interval, 1UL);
}

/* ===== Filters ===== */

/**
 * damos_set_filters_default() - Derive what happens to undecided memory.
 * @s:	The scheme.
 *
 * Memory that no filter of a layer is about gets the opposite of the last
 * filter's verdict: after a list of "allow" filters the rest is rejected,
 * after "reject" filters the rest is allowed.  An empty layer allows.  The
 * ops layer reads &damos->ops_filters_default_reject in its apply_scheme.
 *
 * Context: The kdamond of @s's context, before an apply round.
 */
VISIBLE_IF_KUNIT void damos_set_filters_default(struct damos *s)
{
	struct damos_filter *f;

	s->core_filters_default_reject = false;
	damos_for_each_core_filter(f, s)
		s->core_filters_default_reject = f->allow;
	s->ops_filters_default_reject = false;
	damos_for_each_ops_filter(f, s)
		s->ops_filters_default_reject = f->allow;
}
EXPORT_SYMBOL_IF_KUNIT(damos_set_filters_default);

/**
 * damos_core_filter_match() - Tell whether a region has a filter's property.
 * @ctx:	The region's context.
 * @f:		A core filter.
 * @t:		The region's target.
 * @tidx:	Index of @t in its context.
 * @r:		The region, already cut at @f's address boundaries.
 *
 * A weighted probe hits filter looks at the moving sums of the region's hits
 * (damon_probe_hits_wsum()).  An address-range filter looks at where the
 * region starts: after the cut
 * the region is entirely in or out, unless the range boundary was not
 * aligned to the minimum region size, in which case the region's start
 * decides.
 *
 * Context: The kdamond.
 * Return: true if @r has @f's property (whatever @f->matching says).
 */
static bool damos_core_filter_match(struct damon_ctx *ctx,
				    struct damos_filter *f,
				    struct damon_target *t, unsigned int tidx,
				    struct damon_region *r)
{
	unsigned long wsum;

	switch (f->type) {
	case DAMOS_FILTER_TYPE_ADDR:
		return f->addr_range.start <= r->ar.start &&
			r->ar.start < f->addr_range.end;
	case DAMOS_FILTER_TYPE_TARGET:
		return f->target_idx >= 0 && tidx == f->target_idx;
	case DAMOS_FILTER_TYPE_PROBE_HITS_WSUM:
		wsum = damon_probe_hits_wsum(r, false, true, ctx);
		return f->range_min <= wsum && wsum <= f->range_max;
	default:
		WARN_ONCE(1, "damon: ops filter %d in core list\n", f->type);
		return false;
	}
}

/* Cut @r at @addr if @addr falls strictly inside it, aligned down. */
static void damos_cut_at(struct damon_ctx *ctx, struct damon_target *t,
			 struct damon_region *r, unsigned long addr)
{
	unsigned long off;

	if (addr <= r->ar.start || addr >= r->ar.end)
		return;
	off = rounddown(addr - r->ar.start, max(ctx->min_region_sz, 1UL));
	if (off)
		damon_cut_region(t, r, off);	/* on -ENOMEM, r stays whole */
}

/* Make @r lie entirely inside or outside of every address filter of @s. */
static void damos_cut_at_filters(struct damon_ctx *ctx, struct damon_target *t,
				 struct damon_region *r, struct damos *s)
{
	struct damos_filter *f;

	damos_for_each_core_filter(f, s) {
		if (f->type != DAMOS_FILTER_TYPE_ADDR)
			continue;
		damos_cut_at(ctx, t, r, f->addr_range.start);
		damos_cut_at(ctx, t, r, f->addr_range.end);
	}
}

/**
 * damos_core_filters_allow() - Evaluate the core filters on a region.
 * @ctx:	The context.
 * @t:		The region's target.
 * @tidx:	Index of @t in @ctx.
 * @r:		The region; may be cut at address filter boundaries, the
 *		rest becoming the next region of @t.
 * @s:		The scheme.
 *
 * The first filter that is about @r (its property equals its
 * &damos_filter->matching) decides; if none is, the layer default set by
 * damos_set_filters_default() does.
 *
 * Context: The kdamond of @ctx.
 * Return: true if the action may be applied to @r.
 */
VISIBLE_IF_KUNIT bool damos_core_filters_allow(struct damon_ctx *ctx,
					       struct damon_target *t,
					       unsigned int tidx,
					       struct damon_region *r,
					       struct damos *s)
{
	struct damos_filter *f;

	if (list_empty(&s->core_filters))
		return true;
	damos_cut_at_filters(ctx, t, r, s);
	damos_for_each_core_filter(f, s) {
		if (damos_core_filter_match(ctx, f, t, tidx, r) == f->matching)
			return f->allow;
	}
	return !s->core_filters_default_reject;
}
EXPORT_SYMBOL_IF_KUNIT(damos_core_filters_allow);

/* ===== Application ===== */

/**
 * damos_scheme_active() - Tell whether a scheme may act in this round.
 * @s:	The scheme.
 *
 * Context: The kdamond of @s's context.
 * Return: false if the watermarks deactivated @s or it took its maximum
 * number of snapshots.
 */
VISIBLE_IF_KUNIT bool damos_scheme_active(struct damos *s)
{
	if (!s->wmarks.activated)
		return false;
	return !s->max_nr_snapshots || s->stat.nr_snapshots < s->max_nr_snapshots;
}
EXPORT_SYMBOL_IF_KUNIT(damos_scheme_active);

/* Shrink @r to what the round allows for @score; false if nothing fits. */
static bool damos_fit_quota(struct damon_ctx *ctx, struct damon_target *t,
			    struct damon_region *r, struct damos_round *round,
			    unsigned int score)
{
	unsigned long allowance = damos_round_allowance(round, score);
	unsigned long cut;

	if (damon_sz_region(r) <= allowance)
		return true;
	cut = rounddown(allowance, max(ctx->min_region_sz, 1UL));
	if (!cut)
		return false;
	return damon_cut_region(t, r, cut);
}

/* Steps 3e and 3f of "How a scheme is applied", on one admitted region. */
static void damos_act(struct damon_ctx *ctx, struct damon_target *t,
		      unsigned int tidx, struct damon_region *r,
		      struct damos *s, unsigned int sidx,
		      struct damos_round *round, unsigned int score)
{
	unsigned long sz = damon_sz_region(r);
	unsigned long sz_applied = 0, sz_passed = 0;
	u64 begin, ns;

	if (trace_damos_before_apply_enabled())
		trace_damos_before_apply(t, r, damon_nr_accesses_mvsum(r, ctx),
					 sidx, tidx);
	s->stat.nr_tried++;
	s->stat.sz_tried += sz;

	begin = ktime_get_ns();
	if (ctx->ops.apply_scheme)
		sz_applied = ctx->ops.apply_scheme(ctx, t, r, s, &sz_passed);
	ns = ktime_get_ns() - begin;

	if (round->walk)
		round->walk->walk_fn(round->walk->data, ctx, t, r, s, sz_passed);
	if (sz_applied) {
		s->stat.nr_applied++;
		s->stat.sz_applied += sz_applied;
	}
	s->stat.sz_ops_filter_passed += sz_passed;
	damos_quota_charge(s, round, score, sz, sz_applied, ns);
	if (s->action != DAMOS_STAT)
		r->age = 0;
	if (round->quota_on && !round->budget) {
		/* the next window starts after this region */
		s->quota.charge_target_from = t;
		s->quota.charge_addr_from = r->ar.end;
	}
}

/*
 * Where the previous window ran out of quota.  Regions before it that score
 * exactly the cut-off wait for the next round, so that equally good regions
 * take turns; better regions are never held back, their share of the quota
 * is reserved anyway.  The target is only compared, never dereferenced, so
 * one destroyed since is harmless: it is never found, and the mark is
 * dropped at the end of the round.
 */
struct damos_resume {
	struct damon_target *t;
	unsigned long addr;
};

/* Is @r before the mark?  Drops the mark once reached. */
static bool damos_before_mark(struct damos_resume *from,
			      struct damon_target *t, struct damon_region *r)
{
	if (!from->t)
		return false;
	if (t != from->t || r->ar.end <= from->addr)
		return true;
	from->t = NULL;
	return false;
}

static void damos_apply_targets(struct damon_ctx *ctx, struct damos *s,
				unsigned int sidx, struct damos_round *round)
{
	struct damos_resume from = {
		.t = s->quota.charge_target_from,
		.addr = s->quota.charge_addr_from,
	};
	struct damon_target *t;
	struct damon_region *r;
	unsigned int tidx = 0;

	s->quota.charge_target_from = NULL;
	damon_for_each_target(t, ctx) {
		/* a cut region's rest is linked next and visited in turn */
		damon_for_each_region(r, t) {
			unsigned int score;
			bool waits;

			if (!damos_pattern_match(ctx, r, s))
				continue;
			waits = damos_before_mark(&from, t, r);
			if (!damos_core_filters_allow(ctx, t, tidx, r, s))
				continue;
			score = round->quota_on ?
				damos_region_score(ctx, r, s) : 0;
			if (waits && score == round->min_score)
				continue;
			if (!damos_round_admits(round, score) ||
			    !damos_fit_quota(ctx, t, r, round, score))
				continue;
			damos_act(ctx, t, tidx, r, s, sidx, round, score);
		}
		tidx++;
	}
}

/**
 * damos_apply_round() - Run one apply round of a scheme.
 * @ctx:	The context.
 * @s:		The scheme, whose apply time has come.
 * @sidx:	Index of @s in @ctx.
 * @now:	The time, in jiffies, for the quota windows.
 * @walk:	The damos_walk() the kdamond serves, or NULL.
 *
 * See "How a scheme is applied".
 *
 * Context: The kdamond of @ctx.
 */
VISIBLE_IF_KUNIT void damos_apply_round(struct damon_ctx *ctx, struct damos *s,
					unsigned int sidx, unsigned long now,
					struct damos_walk_control *walk)
{
	struct damos_round round;

	damon_assert_owner(ctx);
	if (damos_scheme_active(s)) {
		if (damos_quota_is_set(&s->quota))
			damos_quota_tick(ctx, s, sidx, now);
		damos_set_filters_default(s);
		s->last_applied = NULL;
		damos_quota_prioritise(ctx, s, &round);
		round.walk = s->walk_completed ? NULL : walk;
		if (!round.quota_on || round.budget)
			damos_apply_targets(ctx, s, sidx, &round);
		s->stat.nr_snapshots++;
	}
	trace_damos_stat_after_apply_interval(0, sidx, &s->stat);
	s->next_apply_sis = ctx->passed_sample_intervals +
		damos_apply_interval_sis(ctx, s);
	if (walk)
		s->walk_completed = true;
}
EXPORT_SYMBOL_IF_KUNIT(damos_apply_round);

/**
 * damos_apply_schemes() - Apply the schemes whose apply time has come.
 * @ctx:	The context.
 * @walk:	The damos_walk() the kdamond serves, or NULL.
 *
 * Called by the kdamond once per sampling interval; see
 * mm/damon/internal.h for where in the loop.
 *
 * Context: The kdamond of @ctx.
 */
void damos_apply_schemes(struct damon_ctx *ctx,
			 struct damos_walk_control *walk)
{
	unsigned long now = jiffies;
	unsigned int sidx = 0;
	struct damos *s;

	damon_assert_owner(ctx);
	damon_for_each_scheme(s, ctx) {
		if (ctx->passed_sample_intervals >= s->next_apply_sis)
			damos_apply_round(ctx, s, sidx, now, walk);
		sidx++;
	}
}

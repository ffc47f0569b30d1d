// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON data-attribute probes: the probe, filter and preparation objects of
 * a context, their validation and online update, and the arithmetic on the
 * per-region hit counters that the core and DAMOS read.
 *
 * Counting the hits is the operation sets' job (ops-common.c), as only they
 * can look at the sampled folio; the counters' life through splits, merges
 * and new windows is in regions.c.
 *
 * Nothing here takes a lock: the caller owns the context (it is not
 * running, or the caller is its kdamond).
 */

#include <linux/damon.h>
#include <linux/limits.h>
#include <linux/slab.h>

#include "internal.h"

/* ===== Objects ===== */

/**
 * damon_new_probe() - Allocate a data-attribute probe.
 *
 * The probe has weight 0, no preparation steps and no filters: added to a
 * context as it is, it hits every sample.
 *
 * Context: Process context; may sleep.
 * Return: The probe, or NULL on allocation failure.
 */
struct damon_probe *damon_new_probe(void)
{
	struct damon_probe *p = kmalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return NULL;
	p->weight = 0;
	INIT_LIST_HEAD(&p->preps);
	INIT_LIST_HEAD(&p->filters);
	INIT_LIST_HEAD(&p->list);
	return p;
}

/**
 * damon_add_probe() - Append a probe to a context.
 * @ctx:	The context.
 * @p:		The probe; it takes the next counter slot of the regions.
 *
 * A context may hold more than %DAMON_MAX_PROBES probes while it is being
 * built; damon_start() and damon_commit_ctx() refuse it with -EINVAL.
 *
 * Context: Caller owns @ctx.
 */
void damon_add_probe(struct damon_ctx *ctx, struct damon_probe *p)
{
	list_add_tail(&p->list, &ctx->probes);
	ctx->nr_probes++;
}

/**
 * damon_destroy_probe() - Unlink a probe from its context and free it.
 * @p:		The probe, with its filters and preparation steps.
 * @ctx:	The context @p is in.
 *
 * Context: Caller owns @ctx.
 */
void damon_destroy_probe(struct damon_probe *p, struct damon_ctx *ctx)
{
	struct damon_filter *f, *fnext;
	struct damon_prep *prep, *pnext;

	damon_for_each_filter_safe(f, fnext, p)
		damon_destroy_filter(f);
	damon_for_each_prep_safe(prep, pnext, p)
		damon_destroy_prep(prep);
	list_del(&p->list);
	ctx->nr_probes--;
	kfree(p);
}

/* Destroy every probe of @ctx. */
void damon_destroy_probes(struct damon_ctx *ctx)
{
	struct damon_probe *p, *next;

	damon_for_each_probe_safe(p, next, ctx)
		damon_destroy_probe(p, ctx);
}

/**
 * damon_new_filter() - Allocate a probe filter.
 * @type:	What the filter tests.
 * @matching:	Whether it is about samples that have @type or have not.
 * @allow:	Whether the samples it is about are hits.
 *
 * The type's argument (&damon_filter->memcg_id, &damon_filter->sz_range)
 * starts at zero.
 *
 * Context: Process context; may sleep.
 * Return: The filter, or NULL on allocation failure.
 */
struct damon_filter *damon_new_filter(enum damon_filter_type type,
				      bool matching, bool allow)
{
	struct damon_filter *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	f->type = type;
	f->matching = matching;
	f->allow = allow;
	INIT_LIST_HEAD(&f->list);
	return f;
}

/**
 * damon_add_filter() - Append a filter to a probe.
 * @p:	The probe.
 * @f:	The filter; evaluated after those already in @p.
 *
 * Context: Caller owns the context of @p.
 */
void damon_add_filter(struct damon_probe *p, struct damon_filter *f)
{
	list_add_tail(&f->list, &p->filters);
}

/**
 * damon_destroy_filter() - Unlink a probe filter and free it.
 * @f:	The filter.
 *
 * Context: Caller owns the context of the filter's probe.
 */
void damon_destroy_filter(struct damon_filter *f)
{
	list_del(&f->list);
	kfree(f);
}

/**
 * damon_new_prep() - Allocate a probe preparation step.
 * @action:	What the step does to each sampled page.
 *
 * Context: Process context; may sleep.
 * Return: The step, or NULL on allocation failure.
 */
struct damon_prep *damon_new_prep(enum damon_prep_action action)
{
	struct damon_prep *prep = kmalloc(sizeof(*prep), GFP_KERNEL);

	if (!prep)
		return NULL;
	prep->action = action;
	INIT_LIST_HEAD(&prep->list);
	return prep;
}

/**
 * damon_add_prep() - Append a preparation step to a probe.
 * @p:		The probe.
 * @prep:	The step.
 *
 * Context: Caller owns the context of @p.
 */
void damon_add_prep(struct damon_probe *p, struct damon_prep *prep)
{
	list_add_tail(&prep->list, &p->preps);
}

/**
 * damon_destroy_prep() - Unlink a preparation step and free it.
 * @prep:	The step.
 *
 * Context: Caller owns the context of the step's probe.
 */
void damon_destroy_prep(struct damon_prep *prep)
{
	list_del(&prep->list);
	kfree(prep);
}

/* ===== Validation and state ===== */

/* Whether a probe filter's parameters make sense on their own. */
static bool damon_valid_filter(const struct damon_filter *f)
{
	switch (f->type) {
	case DAMON_FILTER_TYPE_ANON:
	case DAMON_FILTER_TYPE_MEMCG:
	case DAMON_FILTER_TYPE_PGIDLE_UNSET:
	case DAMON_FILTER_TYPE_PGIDLE_SET:
		return true;
	case DAMON_FILTER_TYPE_HUGEPAGE_SIZE:
		return f->sz_range.min <= f->sz_range.max;
	}
	return false;
}

/**
 * damon_valid_probe_params() - Check the probes of a context.
 * @ctx:	The context whose probes to check.
 * @attrs:	The attributes they will run with (those of @ctx, or of a
 *		commit's source).
 *
 * At most %DAMON_MAX_PROBES probes, known filter types and actions, and
 * size ranges with min <= max.  With weights (the attributes-only mode),
 * the hit counters must be able to hold a whole aggregation interval (at
 * most 255 samples per aggregation) and the weighted sum of a region's hits
 * must fit an unsigned int.
 *
 * Context: Caller owns @ctx.
 * Return: 0, or -EINVAL.
 */
int damon_valid_probe_params(struct damon_ctx *ctx,
			     const struct damon_attrs *attrs)
{
	u64 samples = damon_nr_samples_per_aggr(attrs), wsum_max = 0;
	struct damon_filter *f;
	struct damon_prep *prep;
	struct damon_probe *p;

	if (ctx->nr_probes > DAMON_MAX_PROBES)
		return -EINVAL;
	damon_for_each_probe(p, ctx) {
		damon_for_each_filter(f, p)
			if (!damon_valid_filter(f))
				return -EINVAL;
		damon_for_each_prep(prep, p)
			if (prep->action != DAMON_PREP_SET_PGIDLE)
				return -EINVAL;
		/* at most 4 terms of 32 x 8 bits: no u64 overflow */
		wsum_max += (u64)p->weight * samples;
	}
	if (!wsum_max)
		return 0;
	if (samples > U8_MAX || wsum_max > UINT_MAX)
		return -EINVAL;
	return 0;
}

/*
 * Refresh what the kdamond's loop reads of the probes once per interval
 * instead of walking them: whether some probe has a weight, a set_pgidle
 * step, or a filter on page idleness.  Called when the kdamond starts and
 * after each commit.
 */
void damon_probes_refresh(struct damon_ctx *ctx)
{
	struct damon_filter *f;
	struct damon_prep *prep;
	struct damon_probe *p;

	ctx->probes_attrs_only = false;
	ctx->probes_set_pgidle = false;
	ctx->probes_pgidle = false;
	damon_for_each_probe(p, ctx) {
		if (p->weight)
			ctx->probes_attrs_only = true;
		damon_for_each_prep(prep, p)
			if (prep->action == DAMON_PREP_SET_PGIDLE)
				ctx->probes_set_pgidle = true;
		damon_for_each_filter(f, p)
			if (f->type == DAMON_FILTER_TYPE_PGIDLE_UNSET ||
			    f->type == DAMON_FILTER_TYPE_PGIDLE_SET)
				ctx->probes_pgidle = true;
	}
}

/* ===== Online update ===== */

static void damon_copy_filter(struct damon_filter *dst,
			      const struct damon_filter *src)
{
	dst->type = src->type;
	dst->matching = src->matching;
	dst->allow = src->allow;
	if (src->type == DAMON_FILTER_TYPE_HUGEPAGE_SIZE)
		dst->sz_range = src->sz_range;
	else
		dst->memcg_id = src->memcg_id;
}

/* Make @dst's filters those of @src, matched by index. */
static int damon_commit_filters(struct damon_probe *dst,
				struct damon_probe *src)
{
	struct list_head *dpos = dst->filters.next;
	struct damon_filter *s, *d;

	damon_for_each_filter(s, src) {
		if (dpos != &dst->filters) {
			d = list_entry(dpos, struct damon_filter, list);
			dpos = dpos->next;
		} else {
			d = damon_new_filter(s->type, s->matching, s->allow);
			if (!d)
				return -ENOMEM;
			damon_add_filter(dst, d);
			dpos = &dst->filters;
		}
		damon_copy_filter(d, s);
	}
	while (dpos != &dst->filters) {
		d = list_entry(dpos, struct damon_filter, list);
		dpos = dpos->next;
		damon_destroy_filter(d);
	}
	return 0;
}

/* Make @dst's preparation steps those of @src, matched by index. */
static int damon_commit_preps(struct damon_probe *dst, struct damon_probe *src)
{
	struct list_head *dpos = dst->preps.next;
	struct damon_prep *s, *d;

	damon_for_each_prep(s, src) {
		if (dpos != &dst->preps) {
			d = list_entry(dpos, struct damon_prep, list);
			dpos = dpos->next;
		} else {
			d = damon_new_prep(s->action);
			if (!d)
				return -ENOMEM;
			damon_add_prep(dst, d);
			dpos = &dst->preps;
		}
		d->action = s->action;
	}
	while (dpos != &dst->preps) {
		d = list_entry(dpos, struct damon_prep, list);
		dpos = dpos->next;
		damon_destroy_prep(d);
	}
	return 0;
}

/*
 * Make @dst's probes those of @src, validated by the caller: probe i of
 * @dst takes the weight, steps and filters of probe i of @src, surplus
 * probes go, missing ones are appended.  The regions' counters are kept:
 * slot i goes on counting under probe i's new definition.
 */
int damon_commit_probes(struct damon_ctx *dst, struct damon_ctx *src)
{
	struct list_head *dpos = dst->probes.next;
	struct damon_probe *s, *d;
	int err;

	damon_for_each_probe(s, src) {
		if (dpos != &dst->probes) {
			d = list_entry(dpos, struct damon_probe, list);
			dpos = dpos->next;
		} else {
			d = damon_new_probe();
			if (!d)
				return -ENOMEM;
			damon_add_probe(dst, d);
			dpos = &dst->probes;
		}
		d->weight = s->weight;
		err = damon_commit_preps(d, s);
		if (!err)
			err = damon_commit_filters(d, s);
		if (err)
			return err;
	}
	while (dpos != &dst->probes) {
		d = list_entry(dpos, struct damon_probe, list);
		dpos = dpos->next;
		damon_destroy_probe(d, dst);
	}
	damon_probes_refresh(dst);
	return 0;
}

/* ===== Counters ===== */

/*
 * Share of the current aggregation window still to come, as a fraction
 * @left / @total of sampling intervals: the weight the previous window's
 * count keeps in a moving sum.
 */
static void damon_window_left(const struct damon_ctx *ctx, unsigned long *left,
			      unsigned long *total)
{
	unsigned long next = ctx->next_aggregation_sis;
	unsigned long now = ctx->passed_sample_intervals;

	*total = max(ctx->attrs.aggr_samples, 1UL);
	*left = next > now ? min(next - now, *total) : 0;
}

/**
 * damon_probe_hits_mvsum() - Moving-sum estimate of a probe's hits.
 * @idx:	Slot of the probe (its index in &damon_ctx->probes).
 * @r:		The region.
 * @ctx:	The region's context.
 *
 * The hits over the last aggregation interval's length: the current
 * window's count plus the previous window's, scaled by the part of the
 * current window still to come.  Right at a window boundary this is the
 * previous window's count.
 *
 * Context: The kdamond of @ctx, or @ctx is not running.
 * Return: The estimate, 0 to 255.
 */
unsigned char damon_probe_hits_mvsum(int idx, struct damon_region *r,
				     struct damon_ctx *ctx)
{
	unsigned long left, total, sum;

	if (idx < 0 || idx >= DAMON_MAX_PROBES || !damon_region_has_probes(r))
		return 0;
	damon_window_left(ctx, &left, &total);
	sum = r->probe_hits[idx] + r->last_probe_hits[idx] * left / total;
	return min_t(unsigned long, sum, U8_MAX);
}

/**
 * damon_probe_hits_wsum() - Weighted sum of a region's probe hits.
 * @r:		The region.
 * @last:	Use the previous aggregation interval's counts.
 * @mv:		Use the moving sums (damon_probe_hits_mvsum()); ignored if
 *		@last is set.
 * @ctx:	The region's context, whose probes give the weights.
 *
 * Context: The kdamond of @ctx, or @ctx is not running.
 * Return: The sum over the probes of hits times &damon_probe->weight, which
 * damon_valid_probe_params() keeps within an unsigned int.
 */
unsigned int damon_probe_hits_wsum(struct damon_region *r, bool last, bool mv,
				   struct damon_ctx *ctx)
{
	struct damon_probe *p;
	unsigned int sum = 0;
	int i = 0;

	if (!damon_region_has_probes(r))
		return 0;
	damon_for_each_probe(p, ctx) {
		unsigned int hits;

		if (i >= DAMON_MAX_PROBES)
			break;
		if (last)
			hits = r->last_probe_hits[i];
		else if (mv)
			hits = damon_probe_hits_mvsum(i, r, ctx);
		else
			hits = r->probe_hits[i];
		sum += hits * p->weight;
		i++;
	}
	return sum;
}

/**
 * damon_nr_accesses_mvsum() - Moving-sum estimate of a region's accesses.
 * @r:		The region.
 * @ctx:	The region's context.
 *
 * The accesses over the last aggregation interval's length, as for
 * damon_probe_hits_mvsum(): the current window's count plus the previous
 * window's, scaled by the part of the current window still to come.  Right
 * at a window boundary this is the completed window's count.  Computed
 * when asked, so the region keeps no running estimate.
 *
 * Context: The kdamond of @ctx, or @ctx is not running.
 * Return: The estimate, in samples.
 */
unsigned int damon_nr_accesses_mvsum(struct damon_region *r,
				     struct damon_ctx *ctx)
{
	unsigned long left, total;
	u64 sum;

	damon_window_left(ctx, &left, &total);
	sum = r->nr_accesses + div_u64((u64)r->last_nr_accesses * left, total);
	return min_t(u64, sum, UINT_MAX);
}

/*
 * Highest weighted sum a region can reach in one aggregation interval: each
 * probe hitting every sample.  The merge threshold of the attributes-only
 * mode grows up to it.
 */
unsigned int damon_probe_hits_wsum_max(struct damon_ctx *ctx)
{
	u64 samples = damon_nr_samples_per_aggr(&ctx->attrs), sum = 0;
	struct damon_probe *p;

	damon_for_each_probe(p, ctx)
		sum += (u64)p->weight * samples;
	return min_t(u64, sum, UINT_MAX);
}

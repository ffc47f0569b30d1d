// SPDX-License-Identifier: GPL-2.0
/*
 * DAMOS objects: schemes, their filters, quota goals and migration
 * destinations -- allocation, linking into a context and freeing.  How a
 * scheme is applied is the engine's business (schemes.c, quota.c); how a
 * running context's schemes are updated is commit.c's.
 *
 * Nothing here takes a lock: the caller owns the context (it is not
 * running, or the caller is its kdamond).
 */

#include <linux/damon.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * damos_new_filter() - Allocate a DAMOS filter.
 * @type:	What the filter tests.
 * @matching:	Whether it is about memory matching @type.
 * @allow:	Whether that memory is allowed (else rejected).
 *
 * Context: Process context; may sleep.
 * Return: The filter, or NULL on allocation failure.
 */
struct damos_filter *damos_new_filter(enum damos_filter_type type,
				      bool matching, bool allow)
{
	struct damos_filter *f = kmalloc(sizeof(*f), GFP_KERNEL);

	if (f)
		*f = (struct damos_filter){
			.type = type,
			.matching = matching,
			.allow = allow,
			.list = LIST_HEAD_INIT(f->list),
		};
	return f;
}

/**
 * damos_filter_for_ops() - Tell which layer evaluates a filter type.
 * @type:	The filter type.
 *
 * Context: Any context.
 * Return: true if the operation set evaluates @type, false if the core does.
 */
bool damos_filter_for_ops(enum damos_filter_type type)
{
	switch (type) {
	case DAMOS_FILTER_TYPE_ADDR:
	case DAMOS_FILTER_TYPE_TARGET:
	case DAMOS_FILTER_TYPE_PROBE_HITS_WSUM:
		return false;
	default:
		return true;
	}
}

/**
 * damos_add_filter() - Append a filter to the right list of a scheme.
 * @s:	The scheme.
 * @f:	The filter.
 *
 * Context: Caller owns the scheme's context.
 */
void damos_add_filter(struct damos *s, struct damos_filter *f)
{
	if (damos_filter_for_ops(f->type))
		list_add_tail(&f->list, &s->ops_filters);
	else
		list_add_tail(&f->list, &s->core_filters);
}

/**
 * damos_destroy_filter() - Unlink and free a filter.
 * @f:	The filter.
 *
 * Context: Caller owns the filter's scheme, if any.
 */
void damos_destroy_filter(struct damos_filter *f)
{
	list_del(&f->list);
	kfree(f);
}

/**
 * damos_new_quota_goal() - Allocate a quota auto-tuning goal.
 * @metric:		What the goal measures.
 * @target_value:	The value to aim at.
 *
 * Context: Process context; may sleep.
 * Return: The goal, or NULL on allocation failure.
 */
struct damos_quota_goal *damos_new_quota_goal(enum damos_quota_goal_metric metric,
					      unsigned long target_value)
{
	struct damos_quota_goal *g = kmalloc(sizeof(*g), GFP_KERNEL);

	if (g)
		*g = (struct damos_quota_goal){
			.metric = metric,
			.target_value = target_value,
			.list = LIST_HEAD_INIT(g->list),
		};
	return g;
}

/**
 * damos_add_quota_goal() - Append a goal to a quota.
 * @q:	The quota.
 * @g:	The goal.
 *
 * Context: Caller owns the quota's context.
 */
void damos_add_quota_goal(struct damos_quota *q, struct damos_quota_goal *g)
{
	list_add_tail(&g->list, &q->goals);
}

/**
 * damos_destroy_quota_goal() - Unlink and free a goal.
 * @g:	The goal.
 *
 * Context: Caller owns the goal's context.
 */
void damos_destroy_quota_goal(struct damos_quota_goal *g)
{
	list_del(&g->list);
	kfree(g);
}

/* The user-settable part of a quota: not its goals nor its state. */
void damos_copy_quota_params(struct damos_quota *dst,
			     const struct damos_quota *src)
{
	dst->reset_interval = src->reset_interval;
	dst->ms = src->ms;
	dst->sz = src->sz;
	dst->goal_tuner = src->goal_tuner;
	dst->fail_charge_num = src->fail_charge_num;
	dst->fail_charge_denom = src->fail_charge_denom;
	dst->weight_sz = src->weight_sz;
	dst->weight_nr_accesses = src->weight_nr_accesses;
	dst->weight_age = src->weight_age;
}

/* The user-settable part of watermarks: not whether they are active. */
void damos_copy_wmarks_params(struct damos_watermarks *dst,
			      const struct damos_watermarks *src)
{
	dst->metric = src->metric;
	dst->interval = src->interval;
	dst->high = src->high;
	dst->mid = src->mid;
	dst->low = src->low;
}

/**
 * damon_new_scheme() - Allocate a DAMON-based operation scheme.
 * @pattern:		Access pattern to act on (copied).
 * @action:		What to do.
 * @apply_interval_us:	Apply interval in microseconds (0: aggregation
 *			interval).
 * @quota:		Quota; its user-settable parameters are copied, not
 *			its goals.
 * @wmarks:		Watermarks (copied).
 * @target_nid:		Migration destination node, or %NUMA_NO_NODE.
 *
 * The new scheme has no filters and no quota goals, zeroed statistics and
 * an effective quota to be computed by the DAMOS engine.
 *
 * Context: Process context; may sleep.
 * Return: The scheme, or NULL on allocation failure.
 */
struct damos *
damon_new_scheme(struct damos_access_pattern *pattern,
		 enum damos_action action, unsigned long apply_interval_us,
		 struct damos_quota *quota, struct damos_watermarks *wmarks,
		 int target_nid)
{
	struct damos *s = kmalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	*s = (struct damos){
		.pattern = *pattern,
		.action = action,
		.apply_interval_us = apply_interval_us,
		.target_nid = target_nid,
		.core_filters = LIST_HEAD_INIT(s->core_filters),
		.ops_filters = LIST_HEAD_INIT(s->ops_filters),
		.list = LIST_HEAD_INIT(s->list),
	};
	damos_copy_quota_params(&s->quota, quota);
	INIT_LIST_HEAD(&s->quota.goals);
	damos_copy_wmarks_params(&s->wmarks, wmarks);
	/* active until the first watermarks check says otherwise */
	s->wmarks.activated = true;
	return s;
}

/**
 * damon_add_scheme() - Append a scheme to a context.
 * @ctx:	The context.
 * @s:		The scheme.
 *
 * Context: Caller owns @ctx (kdamond via damon_call(), or not running).
 */
void damon_add_scheme(struct damon_ctx *ctx, struct damos *s)
{
	s->next_apply_sis = ctx->passed_sample_intervals +
		damos_apply_interval_sis(ctx, s);
	list_add_tail(&s->list, &ctx->schemes);
}

/* Free the destination arrays of @dests and leave it empty. */
void damos_free_migrate_dests(struct damos_migrate_dests *dests)
{
	kfree(dests->node_id_arr);
	kfree(dests->weight_arr);
	dests->node_id_arr = NULL;
	dests->weight_arr = NULL;
	dests->nr_dests = 0;
}

/* Free the filters on @head, which is a scheme's core or ops list. */
static void damos_destroy_filter_list(struct list_head *head)
{
	struct damos_filter *f, *next;

	list_for_each_entry_safe(f, next, head, list)
		damos_destroy_filter(f);
}

/**
 * damon_destroy_scheme() - Unlink and free a scheme with its filters, goals
 *			    and migration destinations.
 * @s:	The scheme.
 *
 * Context: Caller owns the scheme's context.
 */
void damon_destroy_scheme(struct damos *s)
{
	struct damos_quota_goal *g, *gnext;

	damos_for_each_quota_goal_safe(g, gnext, &s->quota)
		damos_destroy_quota_goal(g);
	damos_destroy_filter_list(&s->core_filters);
	damos_destroy_filter_list(&s->ops_filters);
	damos_free_migrate_dests(&s->migrate_dests);
	list_del(&s->list);
	kfree(s);
}

/**
 * damon_set_schemes() - Replace all schemes of a context.
 * @ctx:	The context.
 * @schemes:	The new schemes.
 * @nr_schemes:	Number of entries in @schemes.
 *
 * Context: Caller owns @ctx; it must not be running.
 */
void damon_set_schemes(struct damon_ctx *ctx, struct damos **schemes,
		       ssize_t nr_schemes)
{
	struct damos *s, *next;
	ssize_t i;

	damon_assert_owner(ctx);
	damon_for_each_scheme_safe(s, next, ctx)
		damon_destroy_scheme(s);
	for (i = 0; i < nr_schemes; i++)
		damon_add_scheme(ctx, schemes[i]);
}

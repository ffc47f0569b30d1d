// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON core: context, target and scheme lifecycle, operation set
 * registration, the kdamond thread and its main loop, start/stop, and the
 * online update of running contexts.
 */

#define pr_fmt(fmt) "damon: " fmt

#include <linux/damon.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>

#define CREATE_TRACE_POINTS
#include <trace/events/damon.h>

#include "internal.h"

/*
 * Lock ordering:
 *
 *   damon_lock			(running count, exclusivity)
 *     ctx->kdamond_lock	(ctx->kdamond)
 *       ctx->call_controls_lock	(ctx->call_controls)
 *       ctx->walk_control_lock	(ctx->walk_control)
 *   damon_ops_lock		(registered operation sets; a leaf)
 *
 * None of these is held while the kdamond monitors or runs callbacks: the
 * operation set callbacks (which may take mmap_lock, the rmap locks and
 * folio locks), damon_call() functions and damos_walk() functions all run in
 * the kdamond with no DAMON lock held.
 *
 * Ownership: while a context runs, its kdamond alone touches its targets,
 * regions, schemes and attrs; other threads hand work to it with
 * damon_call() and damos_walk().  When it does not run, the caller owns it.
 */

/* Protects damon_nr_running and damon_running_exclusive. */
static DEFINE_MUTEX(damon_lock);
static int damon_nr_running;
static bool damon_running_exclusive;

/* Protects damon_registered_ops. */
static DEFINE_MUTEX(damon_ops_lock);
static struct damon_operations damon_registered_ops[NR_DAMON_OPS];
static bool damon_ops_registered[NR_DAMON_OPS];

static bool damon_core_ready __read_mostly;

/* ===== Operation sets ===== */

/**
 * damon_is_registered_ops() - Tell whether an operation set is registered.
 * @id:	Id of the operation set.
 *
 * Context: Process context; takes damon_ops_lock.
 * Return: true if @id is registered.
 */
bool damon_is_registered_ops(enum damon_ops_id id)
{
	if (id >= NR_DAMON_OPS)
		return false;
	guard(mutex)(&damon_ops_lock);
	return damon_ops_registered[id];
}

/**
 * damon_register_ops() - Register an operation set.
 * @ops:	The operation set; registered under @ops->id.
 *
 * Context: Process context; takes damon_ops_lock.
 * Return: 0 on success, -EINVAL if @ops->id is invalid or already taken.
 */
int damon_register_ops(struct damon_operations *ops)
{
	if (ops->id >= NR_DAMON_OPS)
		return -EINVAL;
	guard(mutex)(&damon_ops_lock);
	/* the first registration of an id wins for the kernel's lifetime */
	if (damon_ops_registered[ops->id])
		return -EINVAL;
	damon_registered_ops[ops->id] = *ops;
	damon_ops_registered[ops->id] = true;
	return 0;
}

/**
 * damon_select_ops() - Make a context use a registered operation set.
 * @ctx:	The context.
 * @id:		Id of the operation set.
 *
 * Context: Process context; takes damon_ops_lock.  Caller owns @ctx.
 * Return: 0 on success, -EINVAL if @id is not registered.
 */
int damon_select_ops(struct damon_ctx *ctx, enum damon_ops_id id)
{
	if (id >= NR_DAMON_OPS)
		return -EINVAL;
	guard(mutex)(&damon_ops_lock);
	if (!damon_ops_registered[id])
		return -EINVAL;
	ctx->ops = damon_registered_ops[id];
	return 0;
}

/* ===== Filters, quota goals and schemes ===== */

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
struct damos_quota_goal *damos_new_quota_goal(
		enum damos_quota_goal_metric metric,
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

static void damos_copy_quota_goal(struct damos_quota_goal *dst,
				  const struct damos_quota_goal *src)
{
	if (dst->metric != src->metric)
		dst->last_psi_total = 0;
	dst->metric = src->metric;
	dst->target_value = src->target_value;
	if (src->metric == DAMOS_QUOTA_USER_INPUT)
		dst->current_value = src->current_value;
	switch (src->metric) {
	case DAMOS_QUOTA_USER_INPUT:
	case DAMOS_QUOTA_SOME_MEM_PSI_US:
	case DAMOS_QUOTA_ACTIVE_MEM_BP:
	case DAMOS_QUOTA_INACTIVE_MEM_BP:
		/* no node/memcg; the union may hold PSI state */
		break;
	default:
		dst->nid = src->nid;
		dst->memcg_id = src->memcg_id;
		break;
	}
}

/**
 * damos_commit_quota_goals() - Make a quota's goals equal another's.
 * @dst:	The quota to update.
 * @src:	The quota to copy the goals of.
 *
 * Goals are matched by index: existing ones are updated in place (keeping
 * their measurement state), missing ones added, extra ones removed.
 *
 * Context: Caller owns @dst's context; may sleep.
 * Return: 0 on success, -ENOMEM on allocation failure (@dst partially
 * updated).
 */
int damos_commit_quota_goals(struct damos_quota *dst, struct damos_quota *src)
{
	struct damos_quota_goal *d, *s;
	struct list_head *dpos = dst->goals.next;

	damos_for_each_quota_goal(s, src) {
		if (dpos != &dst->goals) {
			d = list_entry(dpos, struct damos_quota_goal, list);
			dpos = dpos->next;
		} else {
			d = damos_new_quota_goal(s->metric, s->target_value);
			if (!d)
				return -ENOMEM;
			damos_add_quota_goal(dst, d);
			dpos = &dst->goals;
		}
		damos_copy_quota_goal(d, s);
	}
	/* whatever is left from dpos on has no counterpart */
	while (dpos != &dst->goals) {
		d = list_entry(dpos, struct damos_quota_goal, list);
		dpos = dpos->next;
		damos_destroy_quota_goal(d);
	}
	return 0;
}

static void damos_copy_quota_params(struct damos_quota *dst,
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

static void damos_copy_wmarks_params(struct damos_watermarks *dst,
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
 * damos_apply_interval_sis() - A scheme's apply interval in samples.
 * @ctx:	The scheme's context.
 * @s:		The scheme.
 *
 * Context: Caller owns @ctx.
 * Return: The apply interval of @s in sampling intervals, at least 1.
 */
unsigned long damos_apply_interval_sis(struct damon_ctx *ctx, struct damos *s)
{
	unsigned long us = s->apply_interval_us ? s->apply_interval_us :
		ctx->attrs.aggr_interval;

	if (!ctx->attrs.sample_interval)
		return max(ctx->attrs.aggr_samples, 1UL);
	return max(us / ctx->attrs.sample_interval, 1UL);
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

static void damos_free_migrate_dests(struct damos_migrate_dests *dests)
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

/* ===== Targets and contexts ===== */

/**
 * damon_new_target() - Allocate a monitoring target.
 *
 * The target has no pid and no regions.
 *
 * Context: Process context; may sleep.
 * Return: The target, or NULL on allocation failure.
 */
struct damon_target *damon_new_target(void)
{
	struct damon_target *t = kmalloc(sizeof(*t), GFP_KERNEL);

	if (t)
		*t = (struct damon_target){
			.regions_list = LIST_HEAD_INIT(t->regions_list),
			.list = LIST_HEAD_INIT(t->list),
		};
	return t;
}

/**
 * damon_add_target() - Append a target to a context.
 * @ctx:	The context.
 * @t:		The target.
 *
 * Context: Caller owns @ctx.
 */
void damon_add_target(struct damon_ctx *ctx, struct damon_target *t)
{
	list_add_tail(&t->list, &ctx->adaptive_targets);
}

/**
 * damon_targets_empty() - Tell whether a context has no target.
 * @ctx:	The context.
 *
 * Context: Caller owns @ctx.
 * Return: true if @ctx has no target.
 */
bool damon_targets_empty(struct damon_ctx *ctx)
{
	return list_empty(&ctx->adaptive_targets);
}

/**
 * damon_free_target() - Free a target and its regions.
 * @t:	The target; must not be linked in a context.
 *
 * Does not call &damon_operations->cleanup_target; see
 * damon_destroy_target().
 *
 * Context: Caller owns @t.
 */
void damon_free_target(struct damon_target *t)
{
	struct damon_region *r, *next;

	damon_for_each_region_safe(r, next, t)
		damon_destroy_region(r, t);
	kfree(t);
}

/**
 * damon_destroy_target() - Release, unlink and free a target.
 * @t:		The target.
 * @ctx:	The context whose operation set owns @t's resources, or NULL
 *		if there are none to release.
 *
 * Calls @ctx's &damon_operations->cleanup_target (e.g. to drop the pid
 * reference) before freeing @t and its regions.
 *
 * Context: Caller owns @t's context.
 */
void damon_destroy_target(struct damon_target *t, struct damon_ctx *ctx)
{
	if (ctx && ctx->ops.cleanup_target)
		ctx->ops.cleanup_target(t);
	list_del(&t->list);
	damon_free_target(t);
}

/* What a new context monitors with until told otherwise. */
static const struct damon_attrs damon_default_attrs = {
	.sample_interval = 5 * USEC_PER_MSEC,
	.aggr_interval = 100 * USEC_PER_MSEC,
	.aggr_samples = 100 / 5,
	.ops_update_interval = 60 * USEC_PER_SEC,
	.min_nr_regions = 10,
	.max_nr_regions = 1000,
};

/**
 * damon_new_ctx() - Allocate a monitoring context with default attributes.
 *
 * Defaults: 5 ms sampling, 100 ms aggregation and 60 s ops update
 * intervals, 10 to 1000 regions, address unit 1, minimum region size
 * %DAMON_MIN_REGION_SZ, and no operation set (id %NR_DAMON_OPS).
 *
 * Context: Process context; may sleep.
 * Return: The context, or NULL on allocation failure.
 */
struct damon_ctx *damon_new_ctx(void)
{
	struct damon_ctx *ctx = kmalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return NULL;
	*ctx = (struct damon_ctx){
		.attrs = damon_default_attrs,
		.addr_unit = 1,
		.min_region_sz = DAMON_MIN_REGION_SZ,
		.ops.id = NR_DAMON_OPS,
		.adaptive_targets = LIST_HEAD_INIT(ctx->adaptive_targets),
		.schemes = LIST_HEAD_INIT(ctx->schemes),
		.call_controls = LIST_HEAD_INIT(ctx->call_controls),
	};
	/* each lock gets its lockdep class here, so not in the literal */
	mutex_init(&ctx->kdamond_lock);
	mutex_init(&ctx->walk_control_lock);
	mutex_init(&ctx->call_controls_lock);
	init_completion(&ctx->kdamond_started);
	return ctx;
}

static void damon_destroy_targets(struct damon_ctx *ctx)
{
	struct damon_target *t, *next;

	damon_for_each_target_safe(t, next, ctx)
		damon_destroy_target(t, ctx);
}

/**
 * damon_destroy_ctx() - Free a context with its targets and schemes.
 * @ctx:	The context; must not be running.
 *
 * Context: Process context; caller owns @ctx.  Takes damon_lock and
 * kdamond_lock.
 */
void damon_destroy_ctx(struct damon_ctx *ctx)
{
	struct damos *s, *next;
	bool running;

	/*
	 * A kdamond that exits by itself drops kdamond_lock while holding
	 * damon_lock, and touches @ctx no more after releasing damon_lock.
	 * Taking damon_lock here thus makes sure that it is entirely done
	 * with @ctx, including its mutex_unlock() of kdamond_lock, which may
	 * still access the mutex after a waiter got it.
	 */
	mutex_lock(&damon_lock);
	running = damon_is_running(ctx);
	mutex_unlock(&damon_lock);
	if (WARN_ON_ONCE(running))
		return;
	damon_destroy_targets(ctx);
	damon_for_each_scheme_safe(s, next, ctx)
		damon_destroy_scheme(s);
	mutex_destroy(&ctx->kdamond_lock);
	mutex_destroy(&ctx->call_controls_lock);
	mutex_destroy(&ctx->walk_control_lock);
	kfree(ctx);
}

/* ===== Attributes ===== */

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

	if (attrs->min_nr_regions < 3)
		return -EINVAL;
	if (attrs->min_nr_regions > attrs->max_nr_regions)
		return -EINVAL;
	if (attrs->sample_interval > attrs->aggr_interval)
		return -EINVAL;
	if (goal->aggrs && goal->min_sample_us > goal->max_sample_us)
		return -EINVAL;
	return 0;
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

/*
 * Re-express the counters of every region in the new attrs: nr_accesses and
 * its moving sum count samples per aggregation interval, age counts
 * aggregation intervals.
 */
static void damon_rescale_regions(struct damon_ctx *ctx,
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
			r->nr_accesses_bp = damon_rescale(r->nr_accesses_bp,
							  new_n, old_n);
			r->age = damon_rescale(r->age, old->aggr_interval,
					       new->aggr_interval);
		}
	}
}

static unsigned long damon_us_to_sis(const struct damon_attrs *attrs,
				     unsigned long us)
{
	if (!attrs->sample_interval)
		return 1;
	return max(us / attrs->sample_interval, 1UL);
}

/* Recompute the sample-count deadlines from the current attrs. */
static void damon_update_deadlines(struct damon_ctx *ctx)
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
	struct damon_attrs new = *attrs;
	bool timing_changed;
	int err;

	damon_assert_owner(ctx);
	err = damon_validate_attrs(&new);
	if (err)
		return err;
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
	return 0;
}

/* ===== Online update (commit) ===== */

static int damon_commit_target_regions(struct damon_target *dst,
				       struct damon_target *src,
				       unsigned long min_region_sz)
{
	struct damon_addr_range *ranges;
	struct damon_region *r;
	unsigned int i = 0;
	int err;

	if (!src->nr_regions)
		return 0;
	/* as many as the user made region directories: may be big */
	ranges = kvmalloc_array(src->nr_regions, sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	damon_for_each_region(r, src)
		ranges[i++] = r->ar;
	err = damon_set_regions(dst, ranges, i, min_region_sz);
	kvfree(ranges);
	return err;
}

/*
 * Each context holds a pid reference for each of its targets when its
 * operation set works on processes; the ops' cleanup_target drops it.
 */
static int damon_commit_target(struct damon_ctx *dst_ctx,
			       struct damon_target *dst,
			       struct damon_ctx *src_ctx,
			       struct damon_target *src)
{
	if (dst->pid != src->pid) {
		if (damon_target_has_pid(dst_ctx))
			put_pid(dst->pid);
		if (damon_target_has_pid(src_ctx))
			get_pid(src->pid);
		dst->pid = src->pid;
	}
	return damon_commit_target_regions(dst, src, dst_ctx->min_region_sz);
}

static int damon_commit_targets(struct damon_ctx *dst,
				struct damon_ctx *src)
{
	struct list_head *dpos = dst->adaptive_targets.next;
	struct damon_target *s, *d;
	int err;

	damon_for_each_target(s, src) {
		if (dpos != &dst->adaptive_targets) {
			d = list_entry(dpos, struct damon_target, list);
			dpos = dpos->next;
			if (s->obsolete) {
				damon_destroy_target(d, dst);
				continue;
			}
		} else {
			if (s->obsolete)
				continue;
			d = damon_new_target();
			if (!d)
				return -ENOMEM;
			damon_add_target(dst, d);
			dpos = &dst->adaptive_targets;
		}
		err = damon_commit_target(dst, d, src, s);
		if (err)
			return err;
	}
	while (dpos != &dst->adaptive_targets) {
		d = list_entry(dpos, struct damon_target, list);
		dpos = dpos->next;
		damon_destroy_target(d, dst);
	}
	return 0;
}

/* Give @dst the parameters of @src: everything but the list link. */
static void damos_copy_filter(struct damos_filter *dst,
			      const struct damos_filter *src)
{
	struct list_head link = dst->list;

	*dst = *src;
	dst->list = link;
}

static int damos_commit_filter_list(struct damos *dst_s,
				    struct list_head *dst,
				    struct list_head *src)
{
	struct list_head *dpos = dst->next;
	struct damos_filter *s, *d;

	list_for_each_entry(s, src, list) {
		if (dpos != dst) {
			d = list_entry(dpos, struct damos_filter, list);
			dpos = dpos->next;
		} else {
			d = damos_new_filter(s->type, s->matching, s->allow);
			if (!d)
				return -ENOMEM;
			list_add_tail(&d->list, dst);
			dpos = dst;
		}
		damos_copy_filter(d, s);
	}
	while (dpos != dst) {
		d = list_entry(dpos, struct damos_filter, list);
		dpos = dpos->next;
		damos_destroy_filter(d);
	}
	return 0;
}

static int damos_commit_migrate_dests(struct damos_migrate_dests *dst,
				      struct damos_migrate_dests *src)
{
	unsigned int *nodes, *weights;

	if (dst->nr_dests != src->nr_dests) {
		damos_free_migrate_dests(dst);
		if (!src->nr_dests)
			return 0;
		nodes = kmalloc_array(src->nr_dests, sizeof(*nodes),
				      GFP_KERNEL);
		weights = kmalloc_array(src->nr_dests, sizeof(*weights),
					GFP_KERNEL);
		if (!nodes || !weights) {
			kfree(nodes);
			kfree(weights);
			return -ENOMEM;
		}
		dst->node_id_arr = nodes;
		dst->weight_arr = weights;
		dst->nr_dests = src->nr_dests;
	}
	if (!src->nr_dests)
		return 0;
	memcpy(dst->node_id_arr, src->node_id_arr,
	       src->nr_dests * sizeof(*dst->node_id_arr));
	memcpy(dst->weight_arr, src->weight_arr,
	       src->nr_dests * sizeof(*dst->weight_arr));
	return 0;
}

/* Update @dst in place to @src's parameters; stats and state are kept. */
static int damos_commit(struct damon_ctx *ctx, struct damos *dst,
			struct damos *src)
{
	int err;

	dst->pattern = src->pattern;
	dst->action = src->action;
	if (dst->apply_interval_us != src->apply_interval_us) {
		dst->apply_interval_us = src->apply_interval_us;
		dst->next_apply_sis = ctx->passed_sample_intervals +
			damos_apply_interval_sis(ctx, dst);
	}
	damos_copy_quota_params(&dst->quota, &src->quota);
	err = damos_commit_quota_goals(&dst->quota, &src->quota);
	if (err)
		return err;
	damos_copy_wmarks_params(&dst->wmarks, &src->wmarks);
	dst->target_nid = src->target_nid;
	err = damos_commit_migrate_dests(&dst->migrate_dests,
					 &src->migrate_dests);
	if (err)
		return err;
	dst->max_nr_snapshots = src->max_nr_snapshots;
	err = damos_commit_filter_list(dst, &dst->core_filters,
				       &src->core_filters);
	if (err)
		return err;
	return damos_commit_filter_list(dst, &dst->ops_filters,
					&src->ops_filters);
}

static int damon_commit_schemes(struct damon_ctx *dst, struct damon_ctx *src)
{
	struct list_head *dpos = dst->schemes.next;
	struct damos *s, *d;
	int err;

	damon_for_each_scheme(s, src) {
		if (dpos != &dst->schemes) {
			d = list_entry(dpos, struct damos, list);
			dpos = dpos->next;
		} else {
			d = damon_new_scheme(&s->pattern, s->action,
					     s->apply_interval_us, &s->quota,
					     &s->wmarks, s->target_nid);
			if (!d)
				return -ENOMEM;
			damon_add_scheme(dst, d);
			dpos = &dst->schemes;
		}
		err = damos_commit(dst, d, s);
		if (err)
			return err;
	}
	while (dpos != &dst->schemes) {
		d = list_entry(dpos, struct damos, list);
		dpos = dpos->next;
		damon_destroy_scheme(d);
	}
	return 0;
}

/* Reject target regions damon_set_regions() would, before changing @dst. */
static int damon_validate_commit_targets(struct damon_ctx *src)
{
	struct damon_target *t;

	damon_for_each_target(t, src) {
		if (!t->obsolete && !damon_regions_fit(t, src->min_region_sz))
			return -EINVAL;
	}
	return 0;
}

/*
 * Intervals auto-tuning moves the intervals away from the user-set ones.
 * An update that keeps the same tuning goal and samples-per-aggregation
 * ratio (e.g. one that only changes a scheme) keeps the tuned intervals
 * instead of restarting the tuning from the user-set ones.
 */
static void damon_keep_tuned_intervals(struct damon_attrs *new,
				       const struct damon_attrs *cur)
{
	const struct damon_intervals_goal *ng = &new->intervals_goal;
	const struct damon_intervals_goal *cg = &cur->intervals_goal;

	if (!ng->aggrs || ng->aggrs != cg->aggrs ||
	    ng->access_bp != cg->access_bp ||
	    ng->min_sample_us != cg->min_sample_us ||
	    ng->max_sample_us != cg->max_sample_us)
		return;
	if (damon_nr_samples_per_aggr(new) != cur->aggr_samples)
		return;
	new->sample_interval = cur->sample_interval;
	new->aggr_interval = cur->aggr_interval;
}

/**
 * damon_commit_ctx() - Copy the user parameters of a context to another.
 * @dst:	The context to update, possibly running.
 * @src:	The context holding the new parameters.
 *
 * Copies the operation set, address unit, minimum region size, pause
 * state, attributes (rescaling @dst's counters), targets and schemes of
 * @src into @dst while keeping @dst's monitoring results.  Targets and
 * schemes are matched by index: matched ones are updated in place (a
 * target's regions are set to @src's with damon_set_regions() if @src's
 * target has any; a scheme keeps its statistics), missing ones are created,
 * extra ones destroyed.  A @src target marked &damon_target->obsolete
 * removes the @dst target of the same index.  With intervals auto-tuning
 * on and its goal unchanged, @dst keeps its tuned intervals.
 *
 * Context: Caller owns @dst: not running, or from its kdamond via
 * damon_call().  May sleep.
 * Return: 0 on success; -EINVAL if @src's attrs are invalid or its target
 * regions overlap once aligned to its min_region_sz (nothing changed);
 * -ENOMEM if an allocation failed midway, in which case @dst is
 * marked possibly corrupted and its kdamond, if any, stops.
 */
int damon_commit_ctx(struct damon_ctx *dst, struct damon_ctx *src)
{
	struct damon_attrs attrs = src->attrs;
	int err;

	damon_assert_owner(dst);
	err = damon_validate_attrs(&attrs);
	if (err)
		return err;
	err = damon_validate_commit_targets(src);
	if (err)
		return err;
	damon_keep_tuned_intervals(&attrs, &dst->attrs);

	dst->ops = src->ops;
	dst->addr_unit = src->addr_unit;
	dst->min_region_sz = src->min_region_sz;
	dst->pause = src->pause;
	err = damon_set_attrs(dst, &attrs);
	if (!err)
		err = damon_commit_targets(dst, src);
	if (!err)
		err = damon_commit_schemes(dst, src);
	/* a failure midway leaves @dst half updated: its kdamond stops */
	dst->maybe_corrupted = err != 0;
	return err;
}

/* ===== damon_call() and damos_walk() ===== */

/*
 * Run the pending damon_call() requests.  One-shot requests are completed
 * and dropped, repeat ones stay queued.  With @cancel, every request is
 * cancelled instead (the kdamond is exiting).
 *
 * The requests are taken off the shared list first so that no lock is held
 * while their functions run.  Paired with damon_call(), which queues only
 * while holding kdamond_lock and seeing a kdamond, and kdamond_teardown(),
 * which cancels while holding kdamond_lock before clearing ctx->kdamond.
 */
static void kdamond_run_calls(struct damon_ctx *ctx, bool cancel)
{
	struct damon_call_control *c, *next;
	LIST_HEAD(todo);
	LIST_HEAD(keep);

	if (cancel)
		lockdep_assert_held(&ctx->kdamond_lock);
	/* before looking: a request queued from now on sets it again */
	WRITE_ONCE(ctx->requests_pending, false);
	mutex_lock(&ctx->call_controls_lock);
	list_splice_init(&ctx->call_controls, &todo);
	mutex_unlock(&ctx->call_controls_lock);

	list_for_each_entry_safe(c, next, &todo, list) {
		list_del_init(&c->list);
		if (cancel) {
			c->canceled = true;
			if (c->repeat && c->dealloc_on_cancel)
				kfree(c);
			else
				complete(&c->completion);
			continue;
		}
		c->return_code = c->fn(c->data);
		if (c->repeat)
			list_add_tail(&c->list, &keep);
		else
			complete(&c->completion);
	}
	if (list_empty(&keep))
		return;
	mutex_lock(&ctx->call_controls_lock);
	list_splice(&keep, &ctx->call_controls);
	mutex_unlock(&ctx->call_controls_lock);
}

/**
 * damon_call() - Run a function in a context's kdamond.
 * @ctx:	The context.
 * @control:	The request: function, argument, and whether to repeat.
 *
 * The kdamond runs @control->fn(@control->data) at the start of its next
 * main-loop iteration (at most one sampling interval later), with no DAMON
 * lock held, and stores the result in @control->return_code.  There it may
 * freely read and update the context (e.g. with damon_commit_ctx()).
 *
 * A one-shot request (!@control->repeat) waits for that.  A repeat request
 * returns at once; its function then runs in every iteration until the
 * kdamond stops, when the request is cancelled (and kfree()d if
 * @control->dealloc_on_cancel).
 *
 * Context: Process context, not the kdamond of @ctx; sleeps.  Takes
 * kdamond_lock and call_controls_lock.
 * Return: 0 on success; -EINVAL if @ctx is not running; -ECANCELED if the
 * kdamond stopped before handling a one-shot request.
 */
int damon_call(struct damon_ctx *ctx, struct damon_call_control *control)
{
	init_completion(&control->completion);
	control->canceled = false;
	INIT_LIST_HEAD(&control->list);

	mutex_lock(&ctx->kdamond_lock);
	if (!ctx->kdamond) {
		mutex_unlock(&ctx->kdamond_lock);
		return -EINVAL;
	}
	if (WARN_ON_ONCE(ctx->kdamond == current)) {
		mutex_unlock(&ctx->kdamond_lock);
		return -EDEADLK;
	}
	mutex_lock(&ctx->call_controls_lock);
	list_add_tail(&control->list, &ctx->call_controls);
	mutex_unlock(&ctx->call_controls_lock);
	/* cut an idle sleep short; paired with kdamond_wait() */
	WRITE_ONCE(ctx->requests_pending, true);
	wake_up_process(ctx->kdamond);
	mutex_unlock(&ctx->kdamond_lock);

	if (control->repeat)
		return 0;
	wait_for_completion(&control->completion);
	return control->canceled ? -ECANCELED : 0;
}

/**
 * damos_walk() - Look at the regions the schemes of a context act on.
 * @ctx:	The context.
 * @control:	The request: function and argument.
 *
 * From the next apply round of each scheme on, the kdamond calls
 * @control->walk_fn for every region that scheme is about to apply its
 * action to.  Returns once every scheme has completed one such round.
 *
 * Context: Process context, not the kdamond of @ctx; sleeps.  Takes
 * kdamond_lock and walk_control_lock.
 * Return: 0 on success; -EINVAL if @ctx is not running; -EBUSY if another
 * walk is pending on @ctx; -ECANCELED if the kdamond stopped first.
 */
int damos_walk(struct damon_ctx *ctx, struct damos_walk_control *control)
{
	int err = 0;

	init_completion(&control->completion);
	control->canceled = false;

	mutex_lock(&ctx->kdamond_lock);
	if (!ctx->kdamond) {
		err = -EINVAL;
	} else if (WARN_ON_ONCE(ctx->kdamond == current)) {
		err = -EDEADLK;
	} else {
		mutex_lock(&ctx->walk_control_lock);
		if (ctx->walk_control)
			err = -EBUSY;
		else
			WRITE_ONCE(ctx->walk_control, control);
		mutex_unlock(&ctx->walk_control_lock);
		if (!err) {
			WRITE_ONCE(ctx->requests_pending, true);
			wake_up_process(ctx->kdamond);
		}
	}
	mutex_unlock(&ctx->kdamond_lock);
	if (err)
		return err;

	wait_for_completion(&control->completion);
	return control->canceled ? -ECANCELED : 0;
}

static void damos_walk_finish(struct damon_ctx *ctx, bool canceled)
{
	struct damos_walk_control *w;

	mutex_lock(&ctx->walk_control_lock);
	w = ctx->walk_control;
	WRITE_ONCE(ctx->walk_control, NULL);
	mutex_unlock(&ctx->walk_control_lock);
	ctx->walk_active = NULL;
	if (!w)
		return;
	w->canceled = canceled;
	complete(&w->completion);
}

/*
 * Pick up a newly requested walk.  Called before the schemes are applied so
 * that a walk only ever sees whole apply rounds.
 */
static void kdamond_walk_begin(struct damon_ctx *ctx)
{
	struct damos_walk_control *w;
	struct damos *s;

	if (ctx->walk_active)
		return;
	mutex_lock(&ctx->walk_control_lock);
	w = ctx->walk_control;
	mutex_unlock(&ctx->walk_control_lock);
	if (!w)
		return;
	ctx->walk_active = w;
	damon_for_each_scheme(s, ctx)
		s->walk_completed = false;
	if (list_empty(&ctx->schemes))
		damos_walk_finish(ctx, false);
}

/**
 * damos_walk_report() - Report a region to the pending damos_walk().
 * @ctx:		The context.
 * @t:			The region's target.
 * @r:			The region.
 * @s:			The scheme about to apply its action to @r.
 * @sz_filter_passed:	Bytes of @r that passed the ops-layer filters.
 *
 * Called by the DAMOS engine right before applying @s's action to @r.
 *
 * Context: The kdamond of @ctx.
 */
void damos_walk_report(struct damon_ctx *ctx, struct damon_target *t,
		       struct damon_region *r, struct damos *s,
			  unsigned long sz_filter_passed)
{
	struct damos_walk_control *w = ctx->walk_active;

	if (!w || s->walk_completed)
		return;
	w->walk_fn(w->data, ctx, t, r, s, sz_filter_passed);
}

/**
 * damos_walk_round_done() - Note that a scheme finished an apply round.
 * @ctx:	The context.
 * @s:		The scheme.
 *
 * Completes the pending damos_walk() once every scheme finished a round.
 *
 * Context: The kdamond of @ctx.
 */
void damos_walk_round_done(struct damon_ctx *ctx, struct damos *s)
{
	struct damos *iter;

	if (!ctx->walk_active)
		return;
	s->walk_completed = true;
	damon_for_each_scheme(iter, ctx)
		if (!iter->walk_completed)
			return;
	damos_walk_finish(ctx, false);
}

/* ===== The DAMOS hook ===== */

/**
 * damos_pattern_match() - Tell whether a region fits a scheme's pattern.
 * @ctx:	The context.
 * @r:		The region.
 * @s:		The scheme.
 *
 * Matches the monitoring results of the last completed aggregation
 * interval: its access count (&damon_region->last_nr_accesses) and the age
 * after it.  Every apply round between two aggregation boundaries thus
 * sees the same results, so a scheme applied N times per aggregation
 * interval tries N times the regions a scheme applied once does, however
 * noisy the samples are and however late the kdamond runs (a moving sum,
 * which changes with every sample, would make that ratio depend on the
 * access rate).  Sizes are in address units, the unit of the access
 * pattern's size bounds.
 *
 * Context: Caller owns @ctx.
 * Return: true if @r matches @s->pattern.
 */
bool damos_pattern_match(struct damon_ctx *ctx, struct damon_region *r,
			 struct damos *s)
{
	const struct damos_access_pattern *p = &s->pattern;
	unsigned long sz = damon_sz_region(r);
	unsigned int nr_accesses = r->last_nr_accesses;

	return p->min_sz_region <= sz && sz <= p->max_sz_region &&
		p->min_nr_accesses <= nr_accesses &&
		nr_accesses <= p->max_nr_accesses &&
		p->min_age_region <= r->age && r->age <= p->max_age_region;
}

static void kdamond_run_schemes(struct damon_ctx *ctx)
{
	kdamond_walk_begin(ctx);
	if (!list_empty(&ctx->schemes))
		damos_apply_schemes(ctx);
}

/* ===== Intervals auto-tuning ===== */

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
unsigned long damon_tuned_sample_us(const struct damon_intervals_goal *goal,
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

/* ===== The kdamond ===== */

/*
 * kdamond life cycle (one thread per running context):
 *
 *   starting:	damon_start() created it and waits, holding damon_lock and
 *		ctx->kdamond_lock, until it has set up the operation set and
 *		the initial regions and signalled kdamond_started; so the setup
 *		(ops.init included) must not take either lock.
 *   running:	kdamond_main()'s loop, one iteration per sampling interval.
 *   exiting:	kdamond_teardown(): targets destroyed, pending damon_call()
 *		and damos_walk() requests cancelled, ctx->kdamond cleared, running
 *		count dropped -- the last two atomically with respect to
 *		damon_start(), damon_call() and damos_walk().
 */

static bool kdamond_targets_valid(struct damon_ctx *ctx)
{
	struct damon_target *t;

	if (!ctx->ops.target_valid)
		return true;
	damon_for_each_target(t, ctx)
		if (ctx->ops.target_valid(t))
			return true;
	return false;
}

static bool kdamond_should_exit(struct damon_ctx *ctx)
{
	if (kthread_should_stop() || READ_ONCE(ctx->maybe_corrupted))
		return true;
	return !kdamond_targets_valid(ctx);
}

/*
 * Sleep @us.  Wake early to stop and, with @idle (not monitoring, so not
 * in the middle of a sample), to serve damon_call() or damos_walk().
 */
static void kdamond_wait(struct damon_ctx *ctx, unsigned long us, bool idle)
{
	ktime_t expires = ktime_add_us(ktime_get(), us);
	u64 slack = min_t(u64, us * NSEC_PER_USEC / 16, 100 * NSEC_PER_USEC);

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		/* paired with damon_call() and damos_walk() */
		if (idle && READ_ONCE(ctx->requests_pending))
			break;
		if (!schedule_hrtimeout_range(&expires, slack,
					      HRTIMER_MODE_ABS))
			break;
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * Not monitoring (paused, or no scheme active): no scheme will apply
 * anything, so a pending damos_walk() is answered with an empty walk
 * rather than left waiting.
 */
static void kdamond_idle(struct damon_ctx *ctx, unsigned long us)
{
	kdamond_walk_begin(ctx);
	if (ctx->walk_active)
		damos_walk_finish(ctx, false);
	kdamond_wait(ctx, us, true);
}

static void kdamond_setup(struct damon_ctx *ctx)
{
	struct damon_target *t;
	struct damos *s;

	if (ctx->ops.init)
		ctx->ops.init(ctx);
	damon_ensure_min_nr_regions(ctx);
	ctx->attrs.aggr_samples = damon_nr_samples_per_aggr(&ctx->attrs);
	ctx->passed_sample_intervals = 0;
	ctx->nr_accesses_sum = 0;
	ctx->max_nr_samples_sum = 0;
	ctx->walk_active = NULL;
	damon_update_deadlines(ctx);
	damon_for_each_scheme(s, ctx)
		s->walk_completed = false;
	damon_for_each_target(t, ctx)
		WARN_ONCE(!damon_regions_valid(t),
			  "damon: bad initial regions\n");
}

/* Stop the kdamond on an internal inconsistency; never BUG. */
static void kdamond_check_regions(struct damon_ctx *ctx)
{
	struct damon_target *t;

	damon_for_each_target(t, ctx) {
		if (damon_regions_valid(t))
			continue;
		WARN_ONCE(1, "damon: inconsistent regions; stopping kdamond\n");
		ctx->maybe_corrupted = true;
		return;
	}
}

/* Everything that happens at the end of an aggregation interval. */
static void kdamond_end_window(struct damon_ctx *ctx, unsigned int max_nr)
{
	unsigned int nr_samples = damon_max_nr_accesses(&ctx->attrs);
	bool trace = trace_damon_aggregated_enabled();
	struct damon_target *t;
	struct damon_region *r;
	unsigned long tidx = 0;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			ctx->nr_accesses_sum += r->nr_accesses;
			ctx->max_nr_samples_sum += nr_samples;
			damon_age_region(r, &ctx->attrs);
			if (trace)
				trace_damon_aggregated(tidx, t->nr_regions, r);
		}
		tidx++;
	}

	damon_adjust_merge(ctx, max(max_nr / 10, 1U));
	/* before the new window: guided cuts read this window's samples */
	damon_adjust_split(ctx);
	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			damon_region_new_window(r);
	kdamond_check_regions(ctx);

	ctx->next_aggregation_sis = ctx->passed_sample_intervals +
		ctx->attrs.aggr_samples;

	if (ctx->attrs.intervals_goal.aggrs &&
	    ctx->passed_sample_intervals >= ctx->next_intervals_tune_sis) {
		damon_tune_intervals_step(ctx);
		ctx->next_intervals_tune_sis = ctx->passed_sample_intervals +
			ctx->attrs.aggr_samples *
			ctx->attrs.intervals_goal.aggrs;
	}
}

/* One sampling interval of monitoring. */
static void kdamond_sample_once(struct damon_ctx *ctx)
{
	unsigned int max_nr = 0;

	if (ctx->ops.prepare_access_checks)
		ctx->ops.prepare_access_checks(ctx);
	kdamond_wait(ctx, ctx->attrs.sample_interval, false);
	if (ctx->ops.check_accesses)
		max_nr = ctx->ops.check_accesses(ctx);
	ctx->passed_sample_intervals++;

	/*
	 * The window is closed (aged, merged, split) before the schemes run,
	 * so that a scheme applied at the boundary sees the same regions and
	 * results as those applied within the next window.
	 */
	if (ctx->passed_sample_intervals >= ctx->next_aggregation_sis)
		kdamond_end_window(ctx, max_nr);

	kdamond_run_schemes(ctx);

	if (ctx->passed_sample_intervals >= ctx->next_ops_update_sis) {
		if (ctx->ops.update)
			ctx->ops.update(ctx);
		ctx->next_ops_update_sis = ctx->passed_sample_intervals +
			damon_us_to_sis(&ctx->attrs,
					ctx->attrs.ops_update_interval);
	}
}

/*
 * The last touches of @ctx by its kdamond.  kdamond_lock is released while
 * damon_lock is held, which damon_destroy_ctx() relies on.
 */
static void kdamond_teardown(struct damon_ctx *ctx)
{
	damon_destroy_targets(ctx);

	mutex_lock(&damon_lock);
	mutex_lock(&ctx->kdamond_lock);
	kdamond_run_calls(ctx, true);
	damos_walk_finish(ctx, true);
	ctx->kdamond = NULL;
	mutex_unlock(&ctx->kdamond_lock);
	if (!--damon_nr_running)
		damon_running_exclusive = false;
	mutex_unlock(&damon_lock);
}

static int kdamond_main(void *data)
{
	struct damon_ctx *ctx = data;

	pr_debug("kdamond (%d) starts\n", current->pid);
	kdamond_setup(ctx);
	/* damon_start() returns once the initial regions exist */
	complete(&ctx->kdamond_started);
	while (!kdamond_should_exit(ctx)) {
		unsigned long wait_us;

		cond_resched();
		kdamond_run_calls(ctx, false);
		if (kdamond_should_exit(ctx))
			break;
		if (READ_ONCE(ctx->pause)) {
			kdamond_idle(ctx, ctx->attrs.sample_interval);
			continue;
		}
		wait_us = damos_wmarks_wait_us(ctx);
		if (wait_us) {
			kdamond_idle(ctx, wait_us);
			continue;
		}
		kdamond_sample_once(ctx);
	}

	pr_debug("kdamond (%d) finishes\n", current->pid);
	kdamond_teardown(ctx);
	return 0;
}

/* ===== Execution control ===== */

/**
 * damon_nr_running_ctxs() - Number of running contexts.
 *
 * Context: Process context; takes damon_lock.
 * Return: The number of contexts whose kdamond is running.
 */
int damon_nr_running_ctxs(void)
{
	guard(mutex)(&damon_lock);
	return damon_nr_running;
}

static int damon_start_one(struct damon_ctx *ctx)
	__must_hold(&damon_lock)
{
	struct task_struct *k;
	int err = 0;

	lockdep_assert_held(&damon_lock);
	mutex_lock(&ctx->kdamond_lock);
	if (ctx->kdamond) {
		err = -EBUSY;
		goto out;
	}
	reinit_completion(&ctx->kdamond_started);
	ctx->maybe_corrupted = false;
	k = kthread_create(kdamond_main, ctx, "kdamond.%d", damon_nr_running);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto out;
	}
	ctx->kdamond = k;
	damon_nr_running++;
	wake_up_process(k);
	/* kdamond_main() signals this after its setup, which takes no lock */
	wait_for_completion(&ctx->kdamond_started);
out:
	mutex_unlock(&ctx->kdamond_lock);
	return err;
}

/**
 * damon_start() - Start monitoring with a group of contexts.
 * @ctxs:	The contexts.
 * @nr_ctxs:	Number of entries in @ctxs.
 * @exclusive:	Refuse to run along any other context.
 *
 * Creates one kdamond thread (named kdamond.N, N being the number of
 * contexts running before it) per context and waits until each has started.
 * An exclusive group starts only when nothing runs, and nothing starts while
 * an exclusive group runs.
 *
 * Context: Process context, sleeps.  Takes damon_lock and kdamond_lock.
 * Return: 0 on success; -EBUSY if exclusivity forbids starting or a context
 * is already running; another negative errno if a kthread could not be
 * created.  On error the contexts before the failing one keep running.
 */
int damon_start(struct damon_ctx **ctxs, int nr_ctxs, bool exclusive)
{
	int i, err = 0;

	guard(mutex)(&damon_lock);
	/* an exclusive group runs alone, whichever side comes second */
	if (exclusive ? damon_nr_running : damon_running_exclusive)
		return -EBUSY;
	for (i = 0; i < nr_ctxs && !err; i++)
		err = damon_start_one(ctxs[i]);
	if (exclusive && damon_nr_running)
		damon_running_exclusive = true;
	return err;
}

/* The kdamond of @ctx with a reference held, or NULL if it is not running. */
static struct task_struct *damon_get_kdamond(struct damon_ctx *ctx)
{
	guard(mutex)(&ctx->kdamond_lock);
	if (ctx->kdamond)
		get_task_struct(ctx->kdamond);
	return ctx->kdamond;
}

/*
 * kthread_stop() the kdamond of @ctx.  kdamond_teardown() clears ctx->kdamond
 * before the thread ends, so after this @ctx is not running any more.
 */
static int damon_stop_one(struct damon_ctx *ctx)
{
	struct task_struct *k = damon_get_kdamond(ctx);

	if (!k)
		return -EPERM;
	kthread_stop_put(k);
	return 0;
}

/**
 * damon_stop() - Stop the kdamonds of a group of contexts.
 * @ctxs:	The contexts.
 * @nr_ctxs:	Number of entries in @ctxs.
 *
 * Waits until each kdamond has exited.  Contexts that are not running are
 * skipped.
 *
 * Context: Process context, not a kdamond of @ctxs; sleeps.  Takes
 * kdamond_lock.
 * Return: 0 if every context was running, -EPERM otherwise (the running
 * ones are still stopped).  Callers may ignore it.
 */
int damon_stop(struct damon_ctx **ctxs, int nr_ctxs)
{
	int i, err = 0, ret;

	for (i = 0; i < nr_ctxs; i++) {
		ret = damon_stop_one(ctxs[i]);
		if (ret && !err)
			err = ret;
	}
	return err;
}

/**
 * damon_is_running() - Tell whether a context's kdamond is running.
 * @ctx:	The context.
 *
 * Context: Process context; takes kdamond_lock.
 * Return: true if @ctx has a kdamond.
 */
bool damon_is_running(struct damon_ctx *ctx)
{
	/* a kdamond is a kernel thread, never pid 0 */
	return damon_kdamond_pid(ctx) > 0;
}

/**
 * damon_kdamond_pid() - Pid of a context's kdamond.
 * @ctx:	The context.
 *
 * Context: Process context; takes kdamond_lock.
 * Return: The pid, or -EINVAL if @ctx is not running.
 */
int damon_kdamond_pid(struct damon_ctx *ctx)
{
	guard(mutex)(&ctx->kdamond_lock);
	return ctx->kdamond ? ctx->kdamond->pid : -EINVAL;
}

/* ===== Physical address space helpers ===== */

struct damon_ram_walk {
	unsigned long start;
	unsigned long end;
};

static int damon_biggest_ram_cb(struct resource *res, void *arg)
{
	struct damon_ram_walk *w = arg;

	if (resource_size(res) > w->end - w->start) {
		w->start = res->start;
		w->end = res->end + 1;
	}
	return 0;
}

/**
 * damon_set_region_biggest_system_ram_default() - Set a target's region to
 *	a given range, by default the biggest System RAM resource.
 * @t:			The target.
 * @start:		In: start address (bytes), or 0 with @end 0 for the
 *			default.  Out: the start used.
 * @end:		In/out: end address, as @start.
 * @addr_unit:		Bytes per address unit of the target's context.
 * @min_region_sz:	Minimum region size of the target's context.
 *
 * Context: Process context; caller owns @t.  May sleep.
 * Return: 0 on success; -EINVAL if @start > @end or no System RAM exists;
 * -ENOMEM on allocation failure.
 */
int damon_set_region_biggest_system_ram_default(struct damon_target *t,
		unsigned long *start, unsigned long *end,
		unsigned long addr_unit, unsigned long min_region_sz)
{
	struct damon_addr_range range;

	if (*start > *end)
		return -EINVAL;
	if (!addr_unit)
		return -EINVAL;
	if (!*start && !*end) {
		struct damon_ram_walk w = {};

		walk_system_ram_res(0, -1, &w, damon_biggest_ram_cb);
		if (w.end <= w.start)
			return -EINVAL;
		*start = w.start;
		*end = w.end;
	}
	range.start = *start / addr_unit;
	range.end = *end / addr_unit;
	if (range.start >= range.end)
		return -EINVAL;
	return damon_set_regions(t, &range, 1, min_region_sz);
}

/* ===== Initialisation ===== */

/**
 * damon_initialized() - Tell whether the DAMON core finished initialisation.
 *
 * Modules that may be enabled from the kernel command line use this to defer
 * their start until the core can serve them.
 *
 * Context: Any context.
 * Return: true once damon_init() has run successfully.
 */
bool damon_initialized(void)
{
	return READ_ONCE(damon_core_ready);
}

static int __init damon_init(void)
{
	int err;

	err = damon_regions_init();
	if (err) {
		pr_err("cannot create the region cache\n");
		return err;
	}
	WRITE_ONCE(damon_core_ready, true);
	return 0;
}
subsys_initcall(damon_init);

// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON contexts and targets: allocation with defaults, linking and
 * freeing.  Starting, stopping and destroying a context that may have run
 * is core.c's business.
 *
 * Nothing here takes a lock: the caller owns the context (it is not
 * running, or the caller is its kdamond).
 */

#include <linux/damon.h>
#include <linux/slab.h>

#include "internal.h"

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
 * %DAMON_MIN_REGION_SZ, no probes, access samples from page tables with no
 * sample filter, and no operation set (id %NR_DAMON_OPS).
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
		.probes = LIST_HEAD_INIT(ctx->probes),
		.sample_control = {
			.primitives_enabled.page_table = true,
			.sample_filters = LIST_HEAD_INIT(
				ctx->sample_control.sample_filters),
		},
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

/* Destroy every target of @ctx, releasing them through its operation set. */
void damon_destroy_targets(struct damon_ctx *ctx)
{
	struct damon_target *t, *next;

	damon_for_each_target_safe(t, next, ctx)
		damon_destroy_target(t, ctx);
}

/*
 * Free @ctx with its targets, probes and schemes.  The caller made sure no kdamond
 * touches it any more: see damon_destroy_ctx() in core.c, which is there
 * because it must synchronise with the exit of a kdamond.
 */
void damon_free_ctx(struct damon_ctx *ctx)
{
	struct damos *s, *next;

	damon_destroy_targets(ctx);
	damon_destroy_probes(ctx);
	damon_destroy_sample_filters(&ctx->sample_control);
	damon_for_each_scheme_safe(s, next, ctx)
		damon_destroy_scheme(s);
	mutex_destroy(&ctx->kdamond_lock);
	mutex_destroy(&ctx->call_controls_lock);
	mutex_destroy(&ctx->walk_control_lock);
	kfree(ctx);
}

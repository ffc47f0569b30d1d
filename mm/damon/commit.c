// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON online update: damon_commit_ctx() copies the user parameters of a
 * staging context into a (possibly running) one, keeping its monitoring
 * results, and damos_commit_quota_goals() does the same for one quota's
 * goals.  Everything is validated before anything changes; see
 * damon_commit_ctx() for what a failure midway does.
 *
 * Nothing here takes a lock: the caller owns the destination (it is not
 * running, or the caller is its kdamond, via damon_call()).
 */

#include <linux/damon.h>
#include <linux/pid.h>
#include <linux/slab.h>

#include "internal.h"

/* ===== Quota goals ===== */

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

/* ===== Targets ===== */

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
/* ===== Schemes ===== */

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

/* ===== Contexts ===== */

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
 * state, attributes (rescaling @dst's counters), targets, probes and
 * schemes of @src into @dst while keeping @dst's monitoring results.
 * Targets, probes (with their filters and steps) and schemes are matched by
 * index; a probe's region counters are kept.  Targets and schemes: matched
 * ones are updated in place (a target's regions are set to @src's with
 * damon_set_regions() if @src's target has any; a scheme keeps its
 * statistics), missing ones are created, extra ones destroyed.  A @src
 * target marked &damon_target->obsolete removes the @dst target of the
 * same index.  With intervals auto-tuning on and its goal unchanged, @dst
 * keeps its tuned intervals.
 *
 * Context: Caller owns @dst: not running, or from its kdamond via
 * damon_call().  May sleep.
 * Return: 0 on success; -EINVAL if @src's attrs, probes or sample control
 * are invalid (see damon_valid_probe_params() and
 * damon_valid_sample_control()) or its target regions overlap once aligned
 * to its min_region_sz (nothing changed);
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
	err = damon_valid_probe_params(src, &attrs);
	if (err)
		return err;
	err = damon_valid_sample_control(&src->sample_control);
	if (err)
		return err;
	damon_keep_tuned_intervals(&attrs, &dst->attrs);

	dst->ops = src->ops;
	dst->addr_unit = src->addr_unit;
	dst->min_region_sz = src->min_region_sz;
	dst->pause = src->pause;
	damon_apply_attrs(dst, &attrs);
	err = damon_commit_sample_control(&dst->sample_control,
					  &src->sample_control);
	if (!err)
		err = damon_commit_targets(dst, src);
	if (!err)
		err = damon_commit_probes(dst, src);
	if (!err)
		err = damon_commit_schemes(dst, src);
	/* the committed regions and probes may need other region objects */
	if (!err)
		damon_fit_region_storage(dst);
	/* a failure midway leaves @dst half updated: its kdamond stops */
	dst->maybe_corrupted = err != 0;
	return err;
}

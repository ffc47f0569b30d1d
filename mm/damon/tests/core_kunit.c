// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DAMON core: context/target/scheme lifecycle,
 * attributes validation and rescaling, damon_commit_ctx(), intervals
 * auto-tuning, start/stop/exclusivity, damon_call()/damos_walk(), and a run
 * of a real kdamond on a fake operation set whose accesses are
 * deterministic: exactly the addresses of a known "hot" range are accessed.
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <trace/events/damon.h>

#include "../damos.h"
#include "../internal.h"
#include "fake_ops.h"

#define MSZ	DAMON_MIN_REGION_SZ

/* ===== The fake operation set ===== */

/*
 * Test state shared with the fake callbacks, which only get the context.
 * The suite's cases run one at a time, so one instance is enough.
 */
static struct {
	unsigned long hot_start, hot_end;	/* the accessed range */
	bool targets_valid;
	atomic_t nr_cleanups;
	atomic_t nr_inits;
} fake;

static void fake_init(struct damon_ctx *ctx)
{
	atomic_inc(&fake.nr_inits);
}

static void fake_prepare_access_checks(struct damon_ctx *ctx)
{
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			r->sampling_addr = r->ar.start +
				get_random_u32_below(damon_sz_region(r));
}

static bool fake_sample_is_hot(const struct damon_region *r)
{
	return r->sampling_addr >= fake.hot_start &&
		r->sampling_addr < fake.hot_end;
}

static unsigned int fake_check_accesses(struct damon_ctx *ctx)
{
	return damon_test_sample_all(ctx, fake_sample_is_hot);
}

static bool fake_target_valid(struct damon_target *t)
{
	return READ_ONCE(fake.targets_valid);
}

static void fake_cleanup_target(struct damon_target *t)
{
	atomic_inc(&fake.nr_cleanups);
}

static const struct damon_operations fake_ops = {
	.id = DAMON_OPS_PADDR,
	.init = fake_init,
	.prepare_access_checks = fake_prepare_access_checks,
	.check_accesses = fake_check_accesses,
	.target_valid = fake_target_valid,
	.cleanup_target = fake_cleanup_target,
};

static void fake_reset(void)
{
	fake.hot_start = 40 * MSZ;
	fake.hot_end = 60 * MSZ;
	WRITE_ONCE(fake.targets_valid, true);
	atomic_set(&fake.nr_cleanups, 0);
	atomic_set(&fake.nr_inits, 0);
}

/* A stopped context on the fake ops with one target of @nr_pages pages. */
static struct damon_ctx *new_fake_ctx(struct kunit *test,
				      unsigned long nr_pages)
{
	struct damon_addr_range range = { 0, nr_pages * MSZ };
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->ops = fake_ops;
	ctx->attrs.sample_interval = 1000;
	ctx->attrs.aggr_interval = 20000;
	ctx->attrs.aggr_samples = 20;
	ctx->attrs.min_nr_regions = 10;
	ctx->attrs.max_nr_regions = 100;
	t = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, t);
	damon_add_target(ctx, t);
	KUNIT_ASSERT_EQ(test, damon_set_regions(t, &range, 1, MSZ), 0);
	return ctx;
}

static struct damos *new_stat_scheme(struct kunit *test)
{
	struct damos_access_pattern pattern = {
		.max_sz_region = ULONG_MAX, .max_nr_accesses = UINT_MAX,
		.max_age_region = UINT_MAX,
	};
	struct damos_quota quota = {};
	struct damos_watermarks wmarks = { .metric = DAMOS_WMARK_NONE };
	struct damos *s;

	s = damon_new_scheme(&pattern, DAMOS_STAT, 0, &quota, &wmarks,
			     NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, s);
	return s;
}

/* Stop @ctx if running; a kunit action so a failed assert can't leak it. */
static void stop_ctx_action(void *data)
{
	struct damon_ctx *ctx = data;

	damon_stop(&ctx, 1);
}

static void destroy_ctx_action(void *data)
{
	damon_destroy_ctx(data);
}

/* Destroy @ctx when the case ends, even after a failed assertion. */
static void defer_destroy_ctx(struct kunit *test, struct damon_ctx *ctx)
{
	int err = kunit_add_action_or_reset(test, destroy_ctx_action, ctx);

	KUNIT_ASSERT_EQ(test, err, 0);
}

static void start_fake_ctx(struct kunit *test, struct damon_ctx *ctx,
			   bool exclusive)
{
	KUNIT_ASSERT_EQ(test, damon_start(&ctx, 1, exclusive), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, stop_ctx_action,
							ctx), 0);
}

/* ===== Test cases ===== */

static void damon_core_is_initialized(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, damon_initialized());
}

static void damon_core_new_ctx_defaults(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_EXPECT_EQ(test, ctx->attrs.sample_interval, 5000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_interval, 100000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.ops_update_interval, 60000000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.min_nr_regions, 10);
	KUNIT_EXPECT_EQ(test, ctx->attrs.max_nr_regions, 1000);
	KUNIT_EXPECT_EQ(test, ctx->addr_unit, 1);
	KUNIT_EXPECT_EQ(test, ctx->min_region_sz, DAMON_MIN_REGION_SZ);
	KUNIT_EXPECT_EQ(test, ctx->ops.id, NR_DAMON_OPS);
	KUNIT_EXPECT_TRUE(test, damon_targets_empty(ctx));
	KUNIT_EXPECT_FALSE(test, damon_is_running(ctx));
	KUNIT_EXPECT_EQ(test, damon_kdamond_pid(ctx), -EINVAL);
	damon_destroy_ctx(ctx);
}

static void damon_core_target_destroy_cleans_up(struct kunit *test)
{
	struct damon_ctx *ctx;

	fake_reset();
	ctx = new_fake_ctx(test, 10);
	KUNIT_EXPECT_FALSE(test, damon_targets_empty(ctx));
	damon_destroy_ctx(ctx);
	KUNIT_EXPECT_EQ(test, atomic_read(&fake.nr_cleanups), 1);
}

static void damon_core_ops_registration(struct kunit *test)
{
	struct damon_operations bad = { .id = NR_DAMON_OPS };
	struct damon_ctx *ctx = damon_new_ctx();
	enum damon_ops_id id;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_EXPECT_EQ(test, damon_register_ops(&bad), -EINVAL);
	KUNIT_EXPECT_FALSE(test, damon_is_registered_ops(NR_DAMON_OPS));
	KUNIT_EXPECT_EQ(test, damon_select_ops(ctx, NR_DAMON_OPS), -EINVAL);
	for (id = 0; id < NR_DAMON_OPS; id++) {
		struct damon_operations dup = { .id = id };

		if (damon_is_registered_ops(id)) {
			/* a second registration of a taken id fails */
			KUNIT_EXPECT_EQ(test, damon_register_ops(&dup),
					-EINVAL);
			KUNIT_EXPECT_EQ(test, damon_select_ops(ctx, id), 0);
			KUNIT_EXPECT_EQ(test, ctx->ops.id, id);
		} else {
			KUNIT_EXPECT_EQ(test, damon_select_ops(ctx, id),
					-EINVAL);
		}
	}
	damon_destroy_ctx(ctx);
}

static void damon_core_scheme_lifecycle(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damos_filter *f1, *f2;
	struct damos_quota_goal *g;
	struct damos *s;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	s = new_stat_scheme(test);
	KUNIT_EXPECT_EQ(test, s->target_nid, NUMA_NO_NODE);
	KUNIT_EXPECT_TRUE(test, list_empty(&s->quota.goals));
	f1 = damos_new_filter(DAMOS_FILTER_TYPE_ANON, true, false);
	f2 = damos_new_filter(DAMOS_FILTER_TYPE_ADDR, false, true);
	g = damos_new_quota_goal(DAMOS_QUOTA_USER_INPUT, 100);
	KUNIT_ASSERT_NOT_NULL(test, f1);
	KUNIT_ASSERT_NOT_NULL(test, f2);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_EXPECT_TRUE(test, f2->allow);
	KUNIT_EXPECT_FALSE(test, f2->matching);
	damos_add_filter(s, f1);
	damos_add_filter(s, f2);
	damos_add_quota_goal(&s->quota, g);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&s->ops_filters,
						   struct damos_filter, list),
			    f1);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&s->core_filters,
						   struct damos_filter, list),
			    f2);
	KUNIT_EXPECT_TRUE(test, damos_filter_for_ops(DAMOS_FILTER_TYPE_YOUNG));
	KUNIT_EXPECT_FALSE(test,
			   damos_filter_for_ops(DAMOS_FILTER_TYPE_TARGET));
	damon_add_scheme(ctx, s);
	/* destroying the context frees the scheme, its filters and goals */
	damon_destroy_ctx(ctx);
}

struct attrs_case {
	const char *name;
	struct damon_attrs attrs;
	int err;
};

static const struct attrs_case attrs_cases[] = {
	{ "valid", { .sample_interval = 5000, .aggr_interval = 100000,
		     .min_nr_regions = 10, .max_nr_regions = 1000 }, 0 },
	{ "min_nr_regions below 3", { .sample_interval = 5000,
		     .aggr_interval = 100000, .min_nr_regions = 2,
		     .max_nr_regions = 1000 }, -EINVAL },
	{ "min above max", { .sample_interval = 5000,
		     .aggr_interval = 100000, .min_nr_regions = 100,
		     .max_nr_regions = 10 }, -EINVAL },
	{ "sample above aggr", { .sample_interval = 200000,
		     .aggr_interval = 100000, .min_nr_regions = 10,
		     .max_nr_regions = 1000 }, -EINVAL },
	{ "inverted intervals goal bounds", { .sample_interval = 5000,
		     .aggr_interval = 100000, .min_nr_regions = 10,
		     .max_nr_regions = 1000,
		     .intervals_goal = { .access_bp = 400, .aggrs = 3,
					 .min_sample_us = 10000,
					 .max_sample_us = 100 } }, -EINVAL },
	{ "goal bounds ignored when tuning is off", {
		     .sample_interval = 5000, .aggr_interval = 100000,
		     .min_nr_regions = 10, .max_nr_regions = 1000,
		     .intervals_goal = { .min_sample_us = 10000,
					 .max_sample_us = 100 } }, 0 },
};

KUNIT_ARRAY_PARAM_DESC(attrs, attrs_cases, name);

static void damon_core_attrs_validation(struct kunit *test)
{
	const struct attrs_case *c = test->param_value;
	struct damon_attrs attrs = c->attrs;
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_attrs before;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	before = ctx->attrs;
	KUNIT_EXPECT_EQ(test, damon_validate_attrs(&attrs), c->err);
	KUNIT_EXPECT_EQ(test, damon_set_attrs(ctx, &attrs), c->err);
	if (c->err)
		KUNIT_EXPECT_EQ(test, ctx->attrs.sample_interval,
				before.sample_interval);
	else
		KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_samples,
				attrs.aggr_interval / attrs.sample_interval);
	damon_destroy_ctx(ctx);
}

static void damon_core_attrs_rescaling(struct kunit *test)
{
	struct damon_ctx *ctx;
	struct damon_attrs attrs;
	struct damon_region *r;
	struct damos *s;

	fake_reset();
	ctx = new_fake_ctx(test, 10);
	defer_destroy_ctx(test, ctx);
	s = new_stat_scheme(test);
	damon_add_scheme(ctx, s);
	r = damon_first_region(list_first_entry(&ctx->adaptive_targets,
						struct damon_target, list));
	/* 20 samples per aggregation: 10 accesses is half of the maximum */
	r->nr_accesses = 10;
	r->last_nr_accesses = 20;
	r->age = 10;

	attrs = ctx->attrs;
	attrs.sample_interval = 500;	/* 40 samples per aggregation */
	attrs.aggr_interval = 20000;
	KUNIT_ASSERT_EQ(test, damon_set_attrs(ctx, &attrs), 0);
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_samples, 40);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 20);
	KUNIT_EXPECT_EQ(test, r->last_nr_accesses, 40);
	KUNIT_EXPECT_EQ(test, r->age, 10);	/* same aggregation interval */
	KUNIT_EXPECT_EQ(test, ctx->next_aggregation_sis,
			ctx->passed_sample_intervals + 40);
	KUNIT_EXPECT_EQ(test, s->next_apply_sis,
			ctx->passed_sample_intervals + 40);

	attrs.aggr_interval = 40000;	/* twice longer: age halves */
	attrs.sample_interval = 1000;	/* still 40 samples */
	KUNIT_ASSERT_EQ(test, damon_set_attrs(ctx, &attrs), 0);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 20);
	KUNIT_EXPECT_EQ(test, r->age, 5);
}

static void damon_core_commit_ctx(struct kunit *test)
{
	struct damon_ctx *dst, *src;
	struct damon_target *t, *dst_t[3], *src_t[4];
	struct damos *ds, *ss;
	struct damos_filter *f;
	struct damon_addr_range range = { 0, 20 * MSZ };
	int i;

	fake_reset();
	dst = damon_new_ctx();
	src = damon_new_ctx();
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, src);
	defer_destroy_ctx(test, dst);
	defer_destroy_ctx(test, src);
	dst->ops = fake_ops;
	src->ops = fake_ops;

	for (i = 0; i < 3; i++) {
		dst_t[i] = damon_new_target();
		KUNIT_ASSERT_NOT_NULL(test, dst_t[i]);
		damon_add_target(dst, dst_t[i]);
		KUNIT_ASSERT_EQ(test, damon_set_regions(dst_t[i], &range, 1,
							MSZ), 0);
		damon_first_region(dst_t[i])->nr_accesses = 7;
	}
	for (i = 0; i < 4; i++) {
		src_t[i] = damon_new_target();
		KUNIT_ASSERT_NOT_NULL(test, src_t[i]);
		damon_add_target(src, src_t[i]);
	}
	/* target 0: same regions; 1: obsolete; 2: no regions; 3: new */
	KUNIT_ASSERT_EQ(test, damon_set_regions(src_t[0], &range, 1, MSZ), 0);
	src_t[1]->obsolete = true;
	KUNIT_ASSERT_EQ(test, damon_set_regions(src_t[3], &range, 1, MSZ), 0);

	ds = new_stat_scheme(test);
	damon_add_scheme(dst, ds);
	ds->stat.nr_tried = 5;
	ss = new_stat_scheme(test);
	ss->action = DAMOS_PAGEOUT;
	ss->pattern.min_nr_accesses = 3;
	ss->quota.sz = 4096;
	f = damos_new_filter(DAMOS_FILTER_TYPE_ADDR, true, false);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->addr_range = range;
	damos_add_filter(ss, f);
	damon_add_scheme(src, ss);
	damon_add_scheme(src, new_stat_scheme(test));

	src->attrs.max_nr_regions = 500;
	KUNIT_ASSERT_EQ(test, damon_commit_ctx(dst, src), 0);

	KUNIT_EXPECT_EQ(test, dst->attrs.max_nr_regions, 500);
	i = 0;
	damon_for_each_target(t, dst)
		i++;
	KUNIT_EXPECT_EQ(test, i, 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&fake.nr_cleanups), 1);
	t = list_first_entry(&dst->adaptive_targets, struct damon_target, list);
	KUNIT_EXPECT_PTR_EQ(test, t, dst_t[0]);
	/* regions set to the same range: counters preserved */
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->nr_accesses, 7);
	t = list_next_entry(t, list);
	KUNIT_EXPECT_PTR_EQ(test, t, dst_t[2]);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 1);	/* kept as is */
	t = list_next_entry(t, list);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 1);	/* the new one */
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->nr_accesses, 0);

	/* the scheme is updated in place, keeping its stats */
	ds = list_first_entry(&dst->schemes, struct damos, list);
	KUNIT_EXPECT_EQ(test, ds->action, DAMOS_PAGEOUT);
	KUNIT_EXPECT_EQ(test, ds->pattern.min_nr_accesses, 3);
	KUNIT_EXPECT_EQ(test, ds->quota.sz, 4096);
	KUNIT_EXPECT_EQ(test, ds->stat.nr_tried, 5);
	KUNIT_EXPECT_FALSE(test, list_empty(&ds->core_filters));
	i = 0;
	damon_for_each_scheme(ds, dst)
		i++;
	KUNIT_EXPECT_EQ(test, i, 2);

	/* regions colliding once page-aligned: rejected, nothing changed */
	t = list_first_entry(&src->adaptive_targets, struct damon_target, list);
	damon_first_region(t)->ar.end = 100;
	KUNIT_ASSERT_EQ(test, damon_set_regions(src_t[3], &range, 0, MSZ), 0);
	{
		struct damon_region *a = damon_new_region(0, 100);
		struct damon_region *b = damon_new_region(200, 300);

		KUNIT_ASSERT_NOT_NULL(test, a);
		KUNIT_ASSERT_NOT_NULL(test, b);
		damon_add_region(a, src_t[3]);
		damon_add_region(b, src_t[3]);
	}
	KUNIT_EXPECT_EQ(test, damon_commit_ctx(dst, src), -EINVAL);
	KUNIT_EXPECT_FALSE(test, dst->maybe_corrupted);
	t = list_first_entry(&dst->adaptive_targets, struct damon_target, list);
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->ar.end, 20 * MSZ);
	damon_first_region(list_first_entry(&src->adaptive_targets,
					    struct damon_target,
					    list))->ar.end = 20 * MSZ;
	KUNIT_ASSERT_EQ(test, damon_set_regions(src_t[3], &range, 0, MSZ), 0);
	KUNIT_ASSERT_EQ(test, damon_set_regions(src_t[3], &range, 1, MSZ), 0);

	/* invalid attrs: rejected, nothing changed */
	src->attrs.min_nr_regions = 1;
	KUNIT_EXPECT_EQ(test, damon_commit_ctx(dst, src), -EINVAL);
	KUNIT_EXPECT_EQ(test, dst->attrs.min_nr_regions, 10);

	/* fewer schemes in src: the extra ones go */
	src->attrs.min_nr_regions = 10;
	damon_destroy_scheme(list_last_entry(&src->schemes, struct damos,
					     list));
	KUNIT_EXPECT_EQ(test, damon_commit_ctx(dst, src), 0);
	i = 0;
	damon_for_each_scheme(ds, dst)
		i++;
	KUNIT_EXPECT_EQ(test, i, 1);
}

static void damon_core_commit_keeps_tuned_intervals(struct kunit *test)
{
	struct damon_intervals_goal goal = {
		.access_bp = 400, .aggrs = 3,
		.min_sample_us = 1000, .max_sample_us = 100000,
	};
	struct damon_ctx *dst = damon_new_ctx(), *src = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, src);
	defer_destroy_ctx(test, dst);
	defer_destroy_ctx(test, src);
	src->attrs.intervals_goal = goal;
	KUNIT_ASSERT_EQ(test, damon_commit_ctx(dst, src), 0);
	/* as if tuned: 5 ms -> 20 ms, ratio kept */
	dst->attrs.sample_interval = 20000;
	dst->attrs.aggr_interval = 400000;

	src->attrs.max_nr_regions = 2000;	/* unrelated change */
	KUNIT_ASSERT_EQ(test, damon_commit_ctx(dst, src), 0);
	KUNIT_EXPECT_EQ(test, dst->attrs.sample_interval, 20000);
	KUNIT_EXPECT_EQ(test, dst->attrs.max_nr_regions, 2000);

	src->attrs.intervals_goal.access_bp = 800;	/* new goal */
	KUNIT_ASSERT_EQ(test, damon_commit_ctx(dst, src), 0);
	KUNIT_EXPECT_EQ(test, dst->attrs.sample_interval, 5000);
	KUNIT_EXPECT_EQ(test, dst->attrs.aggr_interval, 100000);
}

static void damon_core_commit_quota_goals(struct kunit *test)
{
	struct damos_quota dst = {}, src = {};
	struct damos_quota_goal *g, *next;
	int i;

	INIT_LIST_HEAD(&dst.goals);
	INIT_LIST_HEAD(&src.goals);
	for (i = 0; i < 2; i++) {
		g = damos_new_quota_goal(DAMOS_QUOTA_NODE_MEM_FREE_BP,
					 100 + i);
		KUNIT_ASSERT_NOT_NULL(test, g);
		g->nid = i;
		damos_add_quota_goal(&src, g);
	}
	KUNIT_ASSERT_EQ(test, damos_commit_quota_goals(&dst, &src), 0);
	i = 0;
	damos_for_each_quota_goal(g, &dst) {
		KUNIT_EXPECT_EQ(test, g->target_value, 100 + i);
		KUNIT_EXPECT_EQ(test, g->nid, i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, 2);
	damos_destroy_quota_goal(list_last_entry(&src.goals,
						 struct damos_quota_goal,
						 list));
	KUNIT_ASSERT_EQ(test, damos_commit_quota_goals(&dst, &src), 0);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&dst.goals));
	damos_for_each_quota_goal_safe(g, next, &dst)
		damos_destroy_quota_goal(g);
	damos_for_each_quota_goal_safe(g, next, &src)
		damos_destroy_quota_goal(g);
}

static int return_42(void *data)
{
	return 42;
}

static void walk_count(void *data, struct damon_ctx *ctx,
		       struct damon_target *t, struct damon_region *r,
		       struct damos *s, unsigned long sz_filter_passed)
{
	(*(int *)data)++;
}

static void damon_core_call_walk_stopped(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_call_control call = { .fn = return_42 };
	struct damos_walk_control walk = { .walk_fn = walk_count };

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_EXPECT_EQ(test, damon_call(ctx, &call), -EINVAL);
	KUNIT_EXPECT_EQ(test, damos_walk(ctx, &walk), -EINVAL);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), -EPERM);
	damon_destroy_ctx(ctx);
}

static void damon_core_tune_direction(struct kunit *test)
{
	struct damon_intervals_goal goal = {
		.access_bp = 400, .aggrs = 3,
		.min_sample_us = 1000, .max_sample_us = 100000,
	};

	/* too few events: grow; none at all: double */
	KUNIT_EXPECT_GT(test, damon_tuned_sample_us(&goal, 1, 10000, 5000),
			5000);
	KUNIT_EXPECT_EQ(test, damon_tuned_sample_us(&goal, 0, 10000, 5000),
			10000);
	/* too many: shrink, at most by half */
	KUNIT_EXPECT_LT(test, damon_tuned_sample_us(&goal, 600, 10000, 5000),
			5000);
	KUNIT_EXPECT_EQ(test, damon_tuned_sample_us(&goal, 10000, 10000,
						    5000), 2500);
	/* on target: unchanged */
	KUNIT_EXPECT_EQ(test, damon_tuned_sample_us(&goal, 400, 10000, 5000),
			5000);
	/* clamped to the bounds */
	KUNIT_EXPECT_EQ(test, damon_tuned_sample_us(&goal, 0, 10000, 80000),
			100000);
	KUNIT_EXPECT_EQ(test, damon_tuned_sample_us(&goal, 10000, 10000,
						    1500), 1000);
}

/* One tuning step, aiming at 4% of events, after windows that saw none. */
static void tune_after_idle_window(struct damon_ctx *ctx)
{
	ctx->attrs.intervals_goal = (struct damon_intervals_goal){
		.access_bp = 400, .aggrs = 3,
		.min_sample_us = 1000, .max_sample_us = 100000,
	};
	ctx->nr_accesses_sum = 0;
	ctx->max_nr_samples_sum = 1000;
	damon_tune_intervals_step(ctx);
}

static void damon_core_tune_keeps_ratio(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	tune_after_idle_window(ctx);
	KUNIT_EXPECT_EQ(test, ctx->attrs.sample_interval, 10000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_interval, 200000);
	KUNIT_EXPECT_EQ(test, ctx->max_nr_samples_sum, 0);
	damon_destroy_ctx(ctx);
}

/* Growing the intervals must not make regions look idle for longer. */
static void damon_core_tune_rescales_ages(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t;
	struct damon_region *r;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	t = damon_new_target();
	r = damon_new_region(0, 100 * MSZ);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, r);
	damon_add_target(ctx, t);
	damon_add_region(r, t);
	r->age = 10;
	r->nr_accesses = 3;
	/* no access seen: the intervals double, 100 ms -> 200 ms */
	tune_after_idle_window(ctx);
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_interval, 200000);
	KUNIT_EXPECT_EQ(test, r->age, 5);
	/* samples per aggregation are unchanged, and so is nr_accesses */
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 3);
	damon_destroy_ctx(ctx);
}

/* ===== Data-attribute probes ===== */

/* Append to @ctx a probe of @weight with one filter of @type, if >= 0. */
static struct damon_probe *add_probe(struct kunit *test, struct damon_ctx *ctx,
				     unsigned int weight, int type)
{
	struct damon_probe *p = damon_new_probe();
	struct damon_filter *f;

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->weight = weight;
	damon_add_probe(ctx, p);
	if (type < 0)
		return p;
	f = damon_new_filter(type, true, true);
	KUNIT_ASSERT_NOT_NULL(test, f);
	damon_add_filter(p, f);
	return p;
}

struct probes_case {
	const char *name;
	unsigned long sample_us, aggr_us;
	unsigned int nr_probes, weight;
	int filter_type;		/* -1: none */
	unsigned long sz_min, sz_max;	/* of a hugepage_size filter */
	int err;
};

static const struct probes_case probes_cases[] = {
	{ "none", 5000, 100000, 0, 0, -1, 0, 0, 0 },
	{ "four without filters", 5000, 100000, 4, 0, -1, 0, 0, 0 },
	{ "five", 5000, 100000, 5, 0, -1, 0, 0, -EINVAL },
	{ "size range", 5000, 100000, 1, 0, DAMON_FILTER_TYPE_HUGEPAGE_SIZE,
	  4096, 4096, 0 },
	{ "inverted size range", 5000, 100000, 1, 0,
	  DAMON_FILTER_TYPE_HUGEPAGE_SIZE, 8192, 4096, -EINVAL },
	{ "unknown filter type", 5000, 100000, 1, 0, 42, 0, 0, -EINVAL },
	{ "weights, 255 samples", 1000, 255000, 1, 1, -1, 0, 0, 0 },
	{ "weights, 256 samples", 1000, 256000, 1, 1, -1, 0, 0, -EINVAL },
	{ "no weights, 256 samples", 1000, 256000, 1, 0, -1, 0, 0, 0 },
	{ "weighted sum at UINT_MAX", 1000, 255000, 1, UINT_MAX / 255,
	  -1, 0, 0, 0 },
	{ "weighted sum above UINT_MAX", 1000, 255000, 2, UINT_MAX / 255,
	  -1, 0, 0, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(probes, probes_cases, name);

/*
 * The probe rules: damon_valid_probe_params(), and damon_start() and
 * damon_commit_ctx() refusing what it refuses, changing nothing.
 */
static void damon_core_probe_validation(struct kunit *test)
{
	const struct probes_case *c = test->param_value;
	struct damon_ctx *ctx, *dst;
	struct damon_probe *p;
	unsigned int i;

	fake_reset();
	ctx = new_fake_ctx(test, 10);
	defer_destroy_ctx(test, ctx);
	ctx->attrs.sample_interval = c->sample_us;
	ctx->attrs.aggr_interval = c->aggr_us;
	for (i = 0; i < c->nr_probes; i++) {
		p = add_probe(test, ctx, c->weight, c->filter_type);
		if (c->filter_type == DAMON_FILTER_TYPE_HUGEPAGE_SIZE) {
			struct damon_filter *f = list_first_entry(&p->filters,
						struct damon_filter, list);

			f->sz_range.min = c->sz_min;
			f->sz_range.max = c->sz_max;
		}
	}
	KUNIT_EXPECT_EQ(test, damon_valid_probe_params(ctx, &ctx->attrs),
			c->err);

	dst = damon_new_ctx();
	KUNIT_ASSERT_NOT_NULL(test, dst);
	defer_destroy_ctx(test, dst);
	dst->ops = fake_ops;
	KUNIT_EXPECT_EQ(test, damon_commit_ctx(dst, ctx), c->err);
	KUNIT_EXPECT_EQ(test, damon_nr_probes(dst), c->err ? 0 : c->nr_probes);
	KUNIT_EXPECT_FALSE(test, dst->maybe_corrupted);

	if (!c->err || damon_nr_running_ctxs())
		return;
	KUNIT_EXPECT_EQ(test, damon_start(&ctx, 1, false), c->err);
	KUNIT_EXPECT_FALSE(test, damon_is_running(ctx));
}

/*
 * Probes are committed by index: kept probes take the new weight, filters
 * and steps, surplus ones go, and the regions' counters stay.
 */
static void damon_core_commit_probes(struct kunit *test)
{
	struct damon_ctx *dst, *src;
	struct damon_filter *f;
	struct damon_region *r;
	struct damon_probe *p;
	struct damon_target *t;
	struct damon_prep *prep;
	int i;

	fake_reset();
	dst = new_fake_ctx(test, 10);
	defer_destroy_ctx(test, dst);
	src = damon_new_ctx();
	KUNIT_ASSERT_NOT_NULL(test, src);
	defer_destroy_ctx(test, src);
	src->ops = fake_ops;
	/* a target without regions keeps those of dst's first target */
	t = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, t);
	damon_add_target(src, t);
	for (i = 0; i < 3; i++)
		add_probe(test, dst, 0, DAMON_FILTER_TYPE_ANON);
	add_probe(test, src, 7, DAMON_FILTER_TYPE_MEMCG);
	p = add_probe(test, src, 0, -1);
	prep = damon_new_prep(DAMON_PREP_SET_PGIDLE);
	KUNIT_ASSERT_NOT_NULL(test, prep);
	damon_add_prep(p, prep);
	list_first_entry(&list_first_entry(&src->probes, struct damon_probe,
					   list)->filters,
			 struct damon_filter, list)->memcg_id = 42;
	damon_fit_region_storage(dst);
	r = damon_first_region(list_first_entry(&dst->adaptive_targets,
						struct damon_target, list));
	KUNIT_ASSERT_TRUE(test, damon_region_has_probes(r));
	r->probe_hits[0] = 9;
	r->last_probe_hits[1] = 3;

	KUNIT_ASSERT_EQ(test, damon_commit_ctx(dst, src), 0);
	KUNIT_EXPECT_EQ(test, damon_nr_probes(dst), 2);
	KUNIT_EXPECT_TRUE(test, dst->probes_attrs_only);
	KUNIT_EXPECT_TRUE(test, dst->probes_set_pgidle);
	p = list_first_entry(&dst->probes, struct damon_probe, list);
	KUNIT_EXPECT_EQ(test, p->weight, 7);
	f = list_first_entry(&p->filters, struct damon_filter, list);
	KUNIT_EXPECT_EQ(test, f->type, DAMON_FILTER_TYPE_MEMCG);
	KUNIT_EXPECT_EQ(test, f->memcg_id, 42);
	p = list_next_entry(p, list);
	KUNIT_EXPECT_TRUE(test, list_empty(&p->filters));
	KUNIT_EXPECT_FALSE(test, list_empty(&p->preps));
	KUNIT_EXPECT_EQ(test, r->probe_hits[0], 9);
	KUNIT_EXPECT_EQ(test, r->last_probe_hits[1], 3);
}

/* The moving sum blends the previous window by the part still to come. */
static void damon_core_probe_hits_mvsum(struct kunit *test)
{
	struct damon_ctx *ctx = new_fake_ctx(test, 1);
	struct damon_region *r;

	defer_destroy_ctx(test, ctx);
	add_probe(test, ctx, 3, -1);
	damon_fit_region_storage(ctx);
	r = damon_first_region(list_first_entry(&ctx->adaptive_targets,
						struct damon_target, list));
	KUNIT_ASSERT_TRUE(test, damon_region_has_probes(r));
	ctx->attrs.aggr_samples = 10;
	ctx->passed_sample_intervals = 100;
	ctx->next_aggregation_sis = 104;	/* 4 of 10 to come */
	r->probe_hits[0] = 3;
	r->last_probe_hits[0] = 10;
	r->nr_accesses = 3;
	r->last_nr_accesses = 10;
	KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 7);
	KUNIT_EXPECT_EQ(test, damon_probe_hits_mvsum(0, r, ctx), 7);
	KUNIT_EXPECT_EQ(test, damon_probe_hits_wsum(r, false, true, ctx), 21);
	KUNIT_EXPECT_EQ(test, damon_probe_hits_wsum(r, false, false, ctx), 9);
	KUNIT_EXPECT_EQ(test, damon_probe_hits_wsum(r, true, false, ctx), 30);
	/* right at a boundary: the previous window's count */
	ctx->next_aggregation_sis = 110;
	r->probe_hits[0] = 0;
	r->nr_accesses = 0;
	KUNIT_EXPECT_EQ(test, damon_probe_hits_mvsum(0, r, ctx), 10);
	KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 10);
	/* slots beyond the probes, and bad indices, read 0 */
	KUNIT_EXPECT_EQ(test, damon_probe_hits_mvsum(-1, r, ctx), 0);
	KUNIT_EXPECT_EQ(test, damon_probe_hits_mvsum(DAMON_MAX_PROBES, r, ctx),
			0);
}

static void damon_core_start_stop_busy(struct kunit *test)
{
	struct damon_ctx *a, *b;
	int base = damon_nr_running_ctxs();

	if (base)
		kunit_skip(test, "other DAMON contexts are running");
	fake_reset();
	a = new_fake_ctx(test, 100);
	b = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, a);
	defer_destroy_ctx(test, b);

	start_fake_ctx(test, a, true);
	KUNIT_EXPECT_TRUE(test, damon_is_running(a));
	KUNIT_EXPECT_GT(test, damon_kdamond_pid(a), 0);
	KUNIT_EXPECT_EQ(test, damon_nr_running_ctxs(), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fake.nr_inits), 1);
	/* an exclusive group runs: nothing else starts */
	KUNIT_EXPECT_EQ(test, damon_start(&b, 1, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, damon_start(&a, 1, true), -EBUSY);
	KUNIT_EXPECT_EQ(test, damon_stop(&a, 1), 0);
	KUNIT_EXPECT_FALSE(test, damon_is_running(a));
	KUNIT_EXPECT_EQ(test, damon_nr_running_ctxs(), 0);
	/* the kdamond released its targets on exit */
	KUNIT_EXPECT_TRUE(test, damon_targets_empty(a));
	KUNIT_EXPECT_EQ(test, atomic_read(&fake.nr_cleanups), 1);

	/* non-exclusive: a second one may join, an exclusive one may not */
	start_fake_ctx(test, b, false);
	KUNIT_EXPECT_EQ(test, damon_start(&a, 1, true), -EBUSY);
	KUNIT_EXPECT_EQ(test, damon_start(&b, 1, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, damon_stop(&b, 1), 0);
	KUNIT_EXPECT_EQ(test, damon_nr_running_ctxs(), 0);
}

static int count_calls(void *data)
{
	atomic_inc(data);
	return 0;
}

static void damon_core_call_and_walk_running(struct kunit *test)
{
	struct damon_call_control call = { .fn = return_42 };
	struct damon_call_control *repeat;
	struct damos_walk_control walk = { .walk_fn = walk_count };
	static atomic_t nr_repeats;
	struct damon_ctx *ctx;
	int nr_walked = 0, i;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	damon_add_scheme(ctx, new_stat_scheme(test));
	start_fake_ctx(test, ctx, false);

	KUNIT_EXPECT_EQ(test, damon_call(ctx, &call), 0);
	KUNIT_EXPECT_EQ(test, call.return_code, 42);

	walk.data = &nr_walked;
	KUNIT_EXPECT_EQ(test, damos_walk(ctx, &walk), 0);
	/* the scheme matches everything: every region was walked */
	KUNIT_EXPECT_GE(test, nr_walked, 10);

	atomic_set(&nr_repeats, 0);
	repeat = kzalloc(sizeof(*repeat), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, repeat);
	repeat->fn = count_calls;
	repeat->data = &nr_repeats;
	repeat->repeat = true;
	repeat->dealloc_on_cancel = true;
	KUNIT_ASSERT_EQ(test, damon_call(ctx, repeat), 0);
	/* bounded wait for at least two runs; not a timing assertion */
	for (i = 0; i < 1000 && atomic_read(&nr_repeats) < 2; i++)
		usleep_range(5000, 10000);
	KUNIT_EXPECT_GE(test, atomic_read(&nr_repeats), 2);
	/* stopping cancels (and frees) the repeat request */
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
	KUNIT_EXPECT_EQ(test, damon_call(ctx, &call), -EINVAL);
}

static void damon_core_stops_on_invalid_targets(struct kunit *test)
{
	struct damon_ctx *ctx;
	int i;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	start_fake_ctx(test, ctx, false);
	WRITE_ONCE(fake.targets_valid, false);
	/* bounded wait; the kdamond checks once per sampling interval */
	for (i = 0; i < 1000 && damon_is_running(ctx); i++)
		usleep_range(5000, 10000);
	KUNIT_EXPECT_FALSE(test, damon_is_running(ctx));
}

static int read_passed_sis(void *data)
{
	struct damon_ctx *ctx = data;

	return ctx->passed_sample_intervals;
}

static void damon_core_paused_serves_requests(struct kunit *test)
{
	struct damon_call_control call = { .fn = read_passed_sis };
	struct damos_walk_control walk = { .walk_fn = walk_count };
	struct damon_ctx *ctx;
	int nr_walked = 0;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	damon_add_scheme(ctx, new_stat_scheme(test));
	ctx->pause = true;
	start_fake_ctx(test, ctx, false);

	call.data = ctx;
	KUNIT_EXPECT_EQ(test, damon_call(ctx, &call), 0);
	/* paused: nothing sampled */
	KUNIT_EXPECT_EQ(test, call.return_code, 0);
	/* nothing is applied while paused: an empty walk, not a hang */
	walk.data = &nr_walked;
	KUNIT_EXPECT_EQ(test, damos_walk(ctx, &walk), 0);
	KUNIT_EXPECT_EQ(test, nr_walked, 0);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
}

static void damon_core_paused_does_not_spin(struct kunit *test)
{
	struct damon_call_control *repeat;
	static atomic_t nr_runs;
	struct damon_ctx *ctx;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	ctx->attrs.sample_interval = 10000;
	ctx->attrs.aggr_interval = 200000;
	ctx->pause = true;
	start_fake_ctx(test, ctx, false);

	atomic_set(&nr_runs, 0);
	repeat = kzalloc(sizeof(*repeat), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, repeat);
	repeat->fn = count_calls;
	repeat->data = &nr_runs;
	repeat->repeat = true;
	repeat->dealloc_on_cancel = true;
	KUNIT_ASSERT_EQ(test, damon_call(ctx, repeat), 0);
	msleep(100);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
	/*
	 * About one run per 10 ms sampling interval, so ~10 here (fewer on a
	 * slow machine).  A kdamond busy-looping on its queued repeat
	 * request would run it thousands of times.
	 */
	KUNIT_EXPECT_LT(test, atomic_read(&nr_runs), 200);
}

/* A damon_call() or damos_walk() issued from a helper thread. */
struct async_req {
	struct damon_ctx *ctx;
	struct damon_call_control call;
	struct damos_walk_control walk;
	bool is_walk;
	int ret;
	struct completion done;
};

static int async_req_fn(void *data)
{
	struct async_req *req = data;

	if (req->is_walk)
		req->ret = damos_walk(req->ctx, &req->walk);
	else
		req->ret = damon_call(req->ctx, &req->call);
	complete(&req->done);
	return 0;
}

static void start_async_req(struct kunit *test, struct async_req *req)
{
	struct task_struct *k;

	init_completion(&req->done);
	k = kthread_run(async_req_fn, req, "damon-kunit-req");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
}

static bool wait_done(struct async_req *req)
{
	/* generous bound: the kdamond stops within a few sampling intervals */
	return wait_for_completion_timeout(&req->done, 30 * HZ);
}

static void damon_core_walk_busy_and_canceled(struct kunit *test)
{
	struct async_req *req = kzalloc(sizeof(*req), GFP_KERNEL);
	struct damos_walk_control walk2 = { .walk_fn = walk_count };
	struct damon_ctx *ctx;
	struct damos *s;
	int nr_walked = 0, i;
	bool pending = false;

	KUNIT_ASSERT_NOT_NULL(test, req);
	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	/* a scheme that won't complete an apply round during the test */
	s = new_stat_scheme(test);
	s->apply_interval_us = 3600UL * USEC_PER_SEC;
	damon_add_scheme(ctx, s);
	start_fake_ctx(test, ctx, false);

	req->ctx = ctx;
	req->is_walk = true;
	req->walk.walk_fn = walk_count;
	req->walk.data = &nr_walked;
	start_async_req(test, req);
	for (i = 0; i < 1000 && !pending; i++) {
		mutex_lock(&ctx->walk_control_lock);
		pending = ctx->walk_control;
		mutex_unlock(&ctx->walk_control_lock);
		if (!pending)
			usleep_range(1000, 2000);
	}
	KUNIT_ASSERT_TRUE(test, pending);
	KUNIT_EXPECT_EQ(test, damos_walk(ctx, &walk2), -EBUSY);

	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
	/* on timeout, leak @req: the helper may still use it */
	KUNIT_ASSERT_TRUE(test, wait_done(req));
	KUNIT_EXPECT_EQ(test, req->ret, -ECANCELED);
	KUNIT_EXPECT_EQ(test, nr_walked, 0);
	kfree(req);
}

/* A request that makes the kdamond exit once another one is queued. */
struct exit_trigger {
	struct damon_ctx *ctx;
	struct completion running;
};

static int invalidate_and_wait(void *data)
{
	struct exit_trigger *trig = data;
	struct damon_ctx *ctx = trig->ctx;
	bool queued = false;
	int i;

	WRITE_ONCE(fake.targets_valid, false);
	complete(&trig->running);
	/* bounded, so that a broken test can't hang the kdamond forever */
	for (i = 0; i < 3000 && !queued; i++) {
		mutex_lock(&ctx->call_controls_lock);
		queued = !list_empty(&ctx->call_controls);
		mutex_unlock(&ctx->call_controls_lock);
		if (!queued)
			usleep_range(1000, 2000);
	}
	return 0;
}

static void damon_core_call_canceled(struct kunit *test)
{
	struct {
		struct damon_call_control call;
		struct exit_trigger trig;
	} *trigger;
	struct async_req *req;
	struct damon_ctx *ctx;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	start_fake_ctx(test, ctx, false);

	/*
	 * Not kunit-managed: if a bug leaves the kdamond or the helper
	 * holding them when an assertion ends the test, leak them rather
	 * than free memory still in use.
	 */
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	trigger = kzalloc(sizeof(*trigger), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, trigger);
	req->ctx = ctx;
	req->call.fn = return_42;
	trigger->trig.ctx = ctx;
	init_completion(&trigger->trig.running);
	trigger->call.fn = invalidate_and_wait;
	trigger->call.data = &trigger->trig;
	trigger->call.repeat = true;

	/*
	 * The trigger runs in the kdamond and holds it there until the
	 * one-shot request is queued behind it; then the kdamond sees no
	 * valid target and exits, cancelling the request unrun.
	 */
	KUNIT_ASSERT_EQ(test, damon_call(ctx, &trigger->call), 0);
	KUNIT_ASSERT_TRUE(test,
			  wait_for_completion_timeout(&trigger->trig.running,
						      30 * HZ));
	start_async_req(test, req);
	KUNIT_ASSERT_TRUE(test, wait_done(req));
	KUNIT_EXPECT_EQ(test, req->ret, -ECANCELED);
	KUNIT_EXPECT_NE(test, req->call.return_code, 42);
	KUNIT_EXPECT_FALSE(test, damon_is_running(ctx));
	/* the repeat trigger was cancelled too */
	KUNIT_EXPECT_TRUE(test, trigger->call.canceled);
	kfree(trigger);
	kfree(req);
}

struct commit_args {
	struct damon_ctx *dst, *src;
};

static int commit_in_kdamond(void *data)
{
	struct commit_args *args = data;

	return damon_commit_ctx(args->dst, args->src);
}

static void damon_core_commit_while_running(struct kunit *test)
{
	struct damon_call_control call = { .fn = commit_in_kdamond };
	struct commit_args args;
	struct damon_ctx *ctx, *src;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	src = new_fake_ctx(test, 50);
	defer_destroy_ctx(test, ctx);
	defer_destroy_ctx(test, src);
	src->attrs.aggr_interval = 40000;
	damon_add_scheme(src, new_stat_scheme(test));
	start_fake_ctx(test, ctx, false);

	args.dst = ctx;
	args.src = src;
	call.data = &args;
	KUNIT_ASSERT_EQ(test, damon_call(ctx, &call), 0);
	KUNIT_EXPECT_EQ(test, call.return_code, 0);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
	/* stopped: the context is ours again */
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_interval, 40000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_samples, 40);
	KUNIT_EXPECT_FALSE(test, list_empty(&ctx->schemes));
}

static void damon_core_biggest_system_ram(struct kunit *test)
{
	struct damon_target *t = damon_new_target();
	unsigned long start = 8 * MSZ, end = 4 * MSZ;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, t);
	err = damon_set_region_biggest_system_ram_default(t, &start, &end, 1,
							  MSZ);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	end = 16 * MSZ;
	err = damon_set_region_biggest_system_ram_default(t, &start, &end, 1,
							  MSZ);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 1);
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->ar.start, 8 * MSZ);
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->ar.end, 16 * MSZ);
	/* with an address unit, regions are in units */
	err = damon_set_region_biggest_system_ram_default(t, &start, &end, 4,
							  1);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->ar.start, 2 * MSZ);
	start = 0;
	end = 0;
	if (damon_set_region_biggest_system_ram_default(t, &start, &end, 1,
							MSZ) == 0)
		KUNIT_EXPECT_LT(test, start, end);
	damon_free_target(t);
}

/* The fake ops' update: the target's memory moves to where none was. */
static unsigned int fake_nr_moves;

static void fake_update_move(struct damon_ctx *ctx)
{
	unsigned long base = (fake_nr_moves++ % 2) ? 1000 * MSZ : 0;
	struct damon_addr_range range = { base, base + 100 * MSZ };
	struct damon_target *t;

	damon_for_each_target(t, ctx)
		damon_set_regions(t, &range, 1, MSZ);
}

struct nr_regions_watch {
	struct damon_ctx *ctx;
	unsigned long lowest;
};

static int watch_nr_regions(void *data)
{
	struct nr_regions_watch *w = data;

	w->lowest = min(w->lowest, damon_total_nr_regions(w->ctx));
	return 0;
}

/*
 * An operation set update that replaces every region with one new region
 * (a process whose memory moved) must not leave fewer than min_nr_regions
 * regions for the schemes and snapshots that come before the next split:
 * what upstream's damon_nr_regions.py saw under load ("16" with a minimum
 * of 20).  The update runs every sample; damon_call() functions run between
 * an iteration's update and the next iteration's schemes.
 */
static void damon_core_update_keeps_min_nr_regions(struct kunit *test)
{
	struct nr_regions_watch w = { .lowest = ULONG_MAX };
	struct damon_call_control control = {
		.fn = watch_nr_regions, .data = &w,
	};
	struct damon_ctx *ctx;
	int i;

	fake_reset();
	fake_nr_moves = 0;
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	ctx->ops.update = fake_update_move;
	ctx->attrs.ops_update_interval = ctx->attrs.sample_interval;
	w.ctx = ctx;
	start_fake_ctx(test, ctx, false);
	for (i = 0; i < 20; i++)
		KUNIT_ASSERT_EQ(test, damon_call(ctx, &control), 0);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);

	KUNIT_EXPECT_GE(test, READ_ONCE(fake_nr_moves), 10U);
	KUNIT_EXPECT_GE(test, w.lowest, ctx->attrs.min_nr_regions);
}

/* Tracepoint probes: the tracepoints double as a test seam. */
static atomic_t nr_tune_events;
static unsigned long last_tuned_sample_us;
static atomic_t nr_aggregated_events;

static void probe_intervals_tune(void *data, unsigned long sample_us)
{
	WRITE_ONCE(last_tuned_sample_us, sample_us);
	atomic_inc(&nr_tune_events);
}

static void probe_aggregated(void *data, unsigned long target_id,
			     unsigned int nr_regions, struct damon_region *r)
{
	atomic_inc(&nr_aggregated_events);
}

static void damon_core_kdamond_tunes_intervals(struct kunit *test)
{
	struct damon_ctx *ctx;
	int i, err;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	fake_reset();
	/* one hot page of 100: far fewer events than the 50% goal */
	fake.hot_start = 0;
	fake.hot_end = MSZ;
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	ctx->attrs.intervals_goal = (struct damon_intervals_goal){
		.access_bp = 5000, .aggrs = 1,
		.min_sample_us = 100, .max_sample_us = 4000,
	};
	atomic_set(&nr_tune_events, 0);
	atomic_set(&nr_aggregated_events, 0);
	err = register_trace_damon_monitor_intervals_tune(probe_intervals_tune,
							  NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	err = register_trace_damon_aggregated(probe_aggregated, NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	start_fake_ctx(test, ctx, false);

	/* bounded wait for enough tuning steps to hit the upper bound */
	for (i = 0; i < 1000 && atomic_read(&nr_tune_events) < 4; i++)
		usleep_range(5000, 10000);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
	unregister_trace_damon_monitor_intervals_tune(probe_intervals_tune,
						      NULL);
	unregister_trace_damon_aggregated(probe_aggregated, NULL);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_GE(test, atomic_read(&nr_tune_events), 4);
	/* grown (x2 per step at most) and clamped: 1000 -> ... -> 4000 */
	KUNIT_EXPECT_EQ(test, READ_ONCE(last_tuned_sample_us), 4000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.sample_interval, 4000);
	KUNIT_EXPECT_EQ(test, ctx->attrs.aggr_interval, 4000 * 20);
	/* every aggregation reported at least min_nr_regions regions */
	KUNIT_EXPECT_GE(test, atomic_read(&nr_aggregated_events),
			4 * (int)ctx->attrs.min_nr_regions);
}

/* State of the hot range search, read in the kdamond through damon_call(). */
struct hot_search {
	struct damon_ctx *ctx;
	unsigned long aggregations;
	bool found;
};

/*
 * The hot range [40, 60) pages is "found" when the regions DAMON saw
 * accessed in at least half the samples of the last aggregation cover at
 * least 90% of it and reach at most 10% of its size beyond it.
 */
static int check_hot_found(void *data)
{
	struct hot_search *hs = data;
	struct damon_ctx *ctx = hs->ctx;
	unsigned int half = damon_max_nr_accesses(&ctx->attrs) / 2;
	unsigned long hot_sz = fake.hot_end - fake.hot_start;
	unsigned long in = 0, out = 0;
	struct damon_target *t;
	struct damon_region *r;

	hs->aggregations = ctx->passed_sample_intervals /
		max(ctx->attrs.aggr_samples, 1UL);
	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			unsigned long s, e;

			if (r->last_nr_accesses < half)
				continue;
			s = max(r->ar.start, fake.hot_start);
			e = min(r->ar.end, fake.hot_end);
			if (s < e)
				in += e - s;
			out += damon_sz_region(r) - (s < e ? e - s : 0);
		}
	}
	hs->found = in * 10 >= hot_sz * 9 && out * 10 <= hot_sz;
	if (hs->found)
		damon_for_each_target(t, ctx)
			damon_for_each_region(r, t)
				pr_debug("hot search: %lu-%lu: %u\n",
					 r->ar.start / MSZ, r->ar.end / MSZ,
					 r->last_nr_accesses);
	return 0;
}

static void damon_core_kdamond_finds_hot_range(struct kunit *test)
{
	struct hot_search hs = {};
	struct damon_call_control call = {
		.fn = check_hot_found, .data = &hs,
	};
	struct damon_ctx *ctx;
	const unsigned long max_aggregations = 300;

	fake_reset();
	ctx = new_fake_ctx(test, 100);
	hs.ctx = ctx;
	defer_destroy_ctx(test, ctx);
	start_fake_ctx(test, ctx, false);

	/*
	 * Bounded in aggregations, not in time: however slow the machine,
	 * the search ends when found or after max_aggregations.
	 */
	while (!hs.found && hs.aggregations < max_aggregations) {
		KUNIT_ASSERT_EQ(test, damon_call(ctx, &call), 0);
		usleep_range(10000, 20000);
	}
	KUNIT_EXPECT_TRUE_MSG(test, hs.found,
			      "hot range not found in %lu aggregations",
			      hs.aggregations);
	kunit_info(test, "hot range found after %lu aggregations\n",
		   hs.aggregations);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
}

/*
 * Apply intervals keep their ratio whatever the samples say.  Samples of
 * the hot range find an access only 3 times in 10, so region counts are
 * noisy around the pattern's bounds: the regime where a busy host left the
 * ratio of upstream's damos_apply_interval.py selftest at 5 instead of 10.
 * A scheme applied every 2 samples must still try exactly as many regions
 * as ten schemes applied at every aggregation would, less the current
 * window's rounds not run yet.
 */
struct ratio_probe {
	struct damon_ctx *ctx;
	unsigned long at_sis;			/* record at this boundary */
	unsigned long tried_aggr, tried_fast, matching;
	bool done;
};

static bool fake_sample_noisy(const struct damon_region *r)
{
	return fake_sample_is_hot(r) && get_random_u32_below(10) < 3;
}

static unsigned int fake_check_noisy(struct damon_ctx *ctx)
{
	return damon_test_sample_all(ctx, fake_sample_noisy);
}

/* Every iteration; records once, at the first boundary past at_sis. */
static int record_ratio(void *data)
{
	struct ratio_probe *rp = data;
	struct damon_ctx *ctx = rp->ctx;
	struct damos *aggr, *fast;
	struct damon_target *t;
	struct damon_region *r;

	if (rp->done || ctx->passed_sample_intervals < rp->at_sis ||
	    ctx->passed_sample_intervals % ctx->attrs.aggr_samples)
		return 0;
	aggr = list_first_entry(&ctx->schemes, struct damos, list);
	fast = list_next_entry(aggr, list);
	rp->tried_aggr = aggr->stat.nr_tried;
	rp->tried_fast = fast->stat.nr_tried;
	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			rp->matching += damos_pattern_match(ctx, r, fast);
	WRITE_ONCE(rp->done, true);
	return 0;
}

static void damon_core_apply_intervals_keep_ratio(struct kunit *test)
{
	struct ratio_probe *rp = kunit_kzalloc(test, sizeof(*rp), GFP_KERNEL);
	struct damon_call_control *call;
	struct damon_ctx *ctx;
	struct damos *aggr, *fast;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	call = kunit_kzalloc(test, sizeof(*call), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, call);
	fake_reset();
	ctx = new_fake_ctx(test, 100);
	defer_destroy_ctx(test, ctx);
	ctx->ops.check_accesses = fake_check_noisy;
	aggr = new_stat_scheme(test);
	fast = new_stat_scheme(test);
	/* [4, 20] accesses for at least one interval, as the selftest's */
	for (i = 0; i < 2; i++) {
		struct damos *s = i ? fast : aggr;

		s->pattern.min_nr_accesses = 4;
		s->pattern.min_age_region = 1;
	}
	fast->apply_interval_us = ctx->attrs.aggr_interval / 10;
	damon_add_scheme(ctx, aggr);
	damon_add_scheme(ctx, fast);
	rp->ctx = ctx;
	rp->at_sis = 100 * ctx->attrs.aggr_samples;
	*call = (struct damon_call_control){
		.fn = record_ratio, .data = rp, .repeat = true,
	};
	start_fake_ctx(test, ctx, false);
	KUNIT_ASSERT_EQ(test, damon_call(ctx, call), 0);

	/* 2000 samples of 1 ms; the deadline only bounds a stuck kdamond */
	for (i = 0; i < 600 && !READ_ONCE(rp->done); i++)
		msleep(100);
	KUNIT_ASSERT_TRUE_MSG(test, READ_ONCE(rp->done),
			      "no aggregation boundary past %lu samples in 60 s",
			      rp->at_sis);
	KUNIT_EXPECT_EQ(test, damon_stop(&ctx, 1), 0);
	kunit_info(test, "tried: %lu every aggregation, %lu every 2 samples\n",
		   rp->tried_aggr, rp->tried_fast);
	KUNIT_EXPECT_GT(test, rp->tried_aggr, 0UL);
	/* 10 rounds a window for the fast one, 9 of this window still due */
	KUNIT_EXPECT_EQ(test, rp->tried_fast + 9 * rp->matching,
			10 * rp->tried_aggr);
}

static struct kunit_case damon_core_test_cases[] = {
	KUNIT_CASE(damon_core_is_initialized),
	KUNIT_CASE(damon_core_new_ctx_defaults),
	KUNIT_CASE(damon_core_target_destroy_cleans_up),
	KUNIT_CASE(damon_core_ops_registration),
	KUNIT_CASE(damon_core_scheme_lifecycle),
	KUNIT_CASE_PARAM(damon_core_attrs_validation, attrs_gen_params),
	KUNIT_CASE(damon_core_attrs_rescaling),
	KUNIT_CASE(damon_core_commit_ctx),
	KUNIT_CASE(damon_core_commit_keeps_tuned_intervals),
	KUNIT_CASE(damon_core_commit_quota_goals),
	KUNIT_CASE(damon_core_call_walk_stopped),
	KUNIT_CASE(damon_core_tune_direction),
	KUNIT_CASE(damon_core_tune_keeps_ratio),
	KUNIT_CASE(damon_core_tune_rescales_ages),
	KUNIT_CASE_PARAM(damon_core_probe_validation, probes_gen_params),
	KUNIT_CASE(damon_core_commit_probes),
	KUNIT_CASE(damon_core_probe_hits_mvsum),
	KUNIT_CASE(damon_core_start_stop_busy),
	KUNIT_CASE(damon_core_call_and_walk_running),
	KUNIT_CASE(damon_core_stops_on_invalid_targets),
	KUNIT_CASE(damon_core_paused_serves_requests),
	KUNIT_CASE(damon_core_paused_does_not_spin),
	KUNIT_CASE(damon_core_walk_busy_and_canceled),
	KUNIT_CASE(damon_core_call_canceled),
	KUNIT_CASE(damon_core_commit_while_running),
	KUNIT_CASE(damon_core_biggest_system_ram),
	KUNIT_CASE(damon_core_update_keeps_min_nr_regions),
	KUNIT_CASE(damon_core_kdamond_tunes_intervals),
	KUNIT_CASE_SLOW(damon_core_kdamond_finds_hot_range),
	KUNIT_CASE_SLOW(damon_core_apply_intervals_keep_ratio),
	{}
};

static struct kunit_suite damon_core_test_suite = {
	.name = "damon_core",
	.test_cases = damon_core_test_cases,
};

kunit_test_suite(damon_core_test_suite);

MODULE_DESCRIPTION("KUnit tests for the DAMON core");
MODULE_LICENSE("GPL");

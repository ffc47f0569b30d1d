// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DAMOS engine: access pattern edges, the watermarks
 * state machine, core filter evaluation and address-filter cuts, and whole
 * apply rounds on a fake operation set (statistics, the quota-boundary
 * split, prioritisation order, windows taking turns, snapshots limits).
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/sizes.h>

#include "../damos.h"
#include "../internal.h"
#include "fake_ops.h"

#define MSZ	DAMON_MIN_REGION_SZ

/* ===== The fake operation set ===== */

/*
 * The fake scores a region by its age, applies the action to
 * @applied_permil of each region and lets @passed_permil pass its ops
 * filters; it logs the start of every region it is given.  Cases run one at
 * a time, so one instance is enough.
 */
static struct {
	unsigned int applied_permil;
	unsigned int passed_permil;
	unsigned int nr_calls;
	unsigned long starts[32];
	unsigned long sizes[32];
} fake;

static int fake_score(struct damon_ctx *ctx, struct damon_region *r,
		      struct damos *s)
{
	return r->age;
}

static unsigned long fake_apply(struct damon_ctx *ctx, struct damon_target *t,
				struct damon_region *r, struct damos *s,
				unsigned long *sz_filter_passed)
{
	unsigned long sz = damon_sz_region(r);

	if (fake.nr_calls < ARRAY_SIZE(fake.starts)) {
		fake.starts[fake.nr_calls] = r->ar.start;
		fake.sizes[fake.nr_calls] = sz;
	}
	fake.nr_calls++;
	*sz_filter_passed = sz / 1000 * fake.passed_permil;
	return sz / 1000 * fake.applied_permil;
}

static struct damos_access_pattern match_all = {
	.min_sz_region = 0, .max_sz_region = ULONG_MAX,
	.min_nr_accesses = 0, .max_nr_accesses = UINT_MAX,
	.min_age_region = 0, .max_age_region = UINT_MAX,
};

static void free_ctx(void *ctx)
{
	damon_destroy_ctx(ctx);
}

static struct damon_target *add_target(struct kunit *test,
				       struct damon_ctx *ctx, unsigned int nr,
				       unsigned long start, unsigned long sz)
{
	struct damon_target *t = damon_new_target();
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	damon_add_target(ctx, t);
	for (i = 0; i < nr; i++) {
		struct damon_region *r = damon_new_region(start + i * sz,
							  start + (i + 1) * sz);

		KUNIT_ASSERT_NOT_NULL(test, r);
		damon_add_region(r, t);
	}
	return t;
}

/* A context on the fake ops with one target of @nr regions of @sz bytes. */
static struct damon_ctx *new_ctx(struct kunit *test, unsigned int nr,
				 unsigned long sz)
{
	struct damon_ctx *ctx = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_ctx, ctx),
			0);
	ctx->ops.id = DAMON_OPS_PADDR;
	ctx->ops.get_scheme_score = fake_score;
	ctx->ops.apply_scheme = fake_apply;
	memset(&fake, 0, sizeof(fake));
	fake.applied_permil = 1000;
	fake.passed_permil = 1000;
	add_target(test, ctx, nr, 0, sz);
	return ctx;
}

static struct damos *new_scheme(struct kunit *test, struct damon_ctx *ctx,
				enum damos_action action,
				struct damos_quota *quota,
				struct damos_watermarks *wmarks)
{
	struct damos_watermarks none = { .metric = DAMOS_WMARK_NONE };
	struct damos_quota unlimited = {};
	struct damos *s;

	s = damon_new_scheme(&match_all, action, 0, quota ?: &unlimited,
			     wmarks ?: &none, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, s);
	damon_add_scheme(ctx, s);
	return s;
}

static void add_filter(struct kunit *test, struct damos *s,
		       enum damos_filter_type type, bool matching, bool allow,
		       unsigned long a, unsigned long b)
{
	struct damos_filter *f = damos_new_filter(type, matching, allow);

	KUNIT_ASSERT_NOT_NULL(test, f);
	if (type == DAMOS_FILTER_TYPE_ADDR) {
		f->addr_range.start = a;
		f->addr_range.end = b;
	} else {
		f->target_idx = a;
	}
	damos_add_filter(s, f);
}

static struct damon_target *first_target(struct damon_ctx *ctx)
{
	return list_first_entry(&ctx->adaptive_targets, struct damon_target,
				list);
}

/* ===== Access pattern edges ===== */

struct pattern_case {
	const char *desc;
	unsigned long sz;
	unsigned int nr_accesses, age;
	bool want;
};

/* Pattern: sz [2, 4] pages, nr_accesses [3, 5], age [10, 20]; all closed. */
static const struct pattern_case pattern_cases[] = {
	{ "inside", 3 * MSZ, 4, 15, true },
	{ "all lower edges", 2 * MSZ, 3, 10, true },
	{ "all upper edges", 4 * MSZ, 5, 20, true },
	{ "size below", 1 * MSZ, 4, 15, false },
	{ "size above", 5 * MSZ, 4, 15, false },
	{ "accesses below", 3 * MSZ, 2, 15, false },
	{ "accesses above", 3 * MSZ, 6, 15, false },
	{ "age below", 3 * MSZ, 4, 9, false },
	{ "age above", 3 * MSZ, 4, 21, false },
};

KUNIT_ARRAY_PARAM_DESC(pattern, pattern_cases, desc);

static void damon_schemes_pattern_edges(struct kunit *test)
{
	const struct pattern_case *c = test->param_value;
	struct damon_ctx *ctx = new_ctx(test, 1, c->sz);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	struct damon_region *r = damon_first_region(first_target(ctx));

	s->pattern = (struct damos_access_pattern){
		.min_sz_region = 2 * MSZ, .max_sz_region = 4 * MSZ,
		.min_nr_accesses = 3, .max_nr_accesses = 5,
		.min_age_region = 10, .max_age_region = 20,
	};
	/* the pattern is matched on the last completed window's count */
	r->last_nr_accesses = c->nr_accesses;
	r->age = c->age;
	KUNIT_EXPECT_EQ(test, damos_pattern_match(ctx, r, s), c->want);

	/* and the engine agrees: tried iff matched */
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, c->want ? 1UL : 0UL);
}

/* ===== Watermarks ===== */

struct wmarks_case {
	const char *desc;
	bool start;
	unsigned long metrics[4];
	bool want[4];
};

/* high 800, mid 500, low 200 */
static const struct wmarks_case wmarks_cases[] = {
	{ "active stays in band", true, { 700, 300, 200, 800 },
	  { true, true, true, true } },
	{ "above high deactivates", true, { 801, 700, 499, 499 },
	  { false, false, true, true } },
	{ "below low deactivates", true, { 199, 100, 200, 600 },
	  { false, false, true, true } },
	{ "inactive waits for below mid", false, { 600, 500, 499, 900 },
	  { false, false, true, false } },
	{ "hysteresis between mid and high", true, { 650, 810, 650, 400 },
	  { true, false, false, true } },
};

KUNIT_ARRAY_PARAM_DESC(wmarks, wmarks_cases, desc);

static void damon_schemes_wmarks_state_machine(struct kunit *test)
{
	const struct wmarks_case *c = test->param_value;
	struct damos_watermarks wm = {
		.metric = DAMOS_WMARK_FREE_MEM_RATE,
		.high = 800, .mid = 500, .low = 200, .activated = c->start,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(c->metrics); i++)
		KUNIT_EXPECT_EQ_MSG(test, damos_wmarks_step(&wm, c->metrics[i]),
				    c->want[i], "step %d", i);
}

static void damon_schemes_wmarks_none_always_active(struct kunit *test)
{
	struct damos_watermarks wm = { .metric = DAMOS_WMARK_NONE };

	KUNIT_EXPECT_TRUE(test, damos_wmarks_step(&wm, 0));
	KUNIT_EXPECT_TRUE(test, damos_wmarks_step(&wm, ULONG_MAX));
}

/* The real free memory rate is out of band: the kdamond is told to wait. */
static void damon_schemes_wmarks_wait(struct kunit *test)
{
	struct damos_watermarks wm = {
		.metric = DAMOS_WMARK_FREE_MEM_RATE, .interval = 12345,
		.high = 1000, .mid = 1000, .low = 1000,
	};
	struct damon_ctx *ctx = new_ctx(test, 2, MSZ);
	unsigned long rate = damos_wmark_metric_value(DAMOS_WMARK_FREE_MEM_RATE);
	struct damos *s;

	KUNIT_EXPECT_EQ(test, damos_wmarks_wait_us(ctx), 0);	/* no scheme */
	KUNIT_ASSERT_LT(test, rate, 1000UL);	/* below low */
	s = new_scheme(test, ctx, DAMOS_STAT, NULL, &wm);
	KUNIT_EXPECT_EQ(test, damos_wmarks_wait_us(ctx), 12345);
	KUNIT_EXPECT_FALSE(test, s->wmarks.activated);

	/* an inactive scheme's round is empty but still ends */
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 0);
	KUNIT_EXPECT_EQ(test, s->stat.nr_snapshots, 0);
	KUNIT_EXPECT_GT(test, s->next_apply_sis, ctx->passed_sample_intervals);

	/* one always-active scheme keeps the kdamond monitoring */
	new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	KUNIT_EXPECT_EQ(test, damos_wmarks_wait_us(ctx), 0);
}

/* ===== Core filters ===== */

struct filter_spec {
	enum damos_filter_type type;
	bool matching, allow;
	unsigned long a, b;	/* addr range, or a = target index */
};

struct filter_case {
	const char *desc;
	struct filter_spec filters[3];
	int nr_filters;
	unsigned int tidx;	/* the region [4, 8) pages is in target tidx */
	bool want;
};

#define ADDR(m, al, s, e) { DAMOS_FILTER_TYPE_ADDR, m, al, (s) * MSZ, (e) * MSZ }
#define TGT(m, al, i) { DAMOS_FILTER_TYPE_TARGET, m, al, i, 0 }

static const struct filter_case filter_cases[] = {
	{ "no filter allows", {}, 0, 0, true },
	{ "reject matching addr", { ADDR(true, false, 0, 100) }, 1, 0,
	  false },
	{ "reject non-matching addr", { ADDR(false, false, 0, 100) }, 1, 0,
	  true },
	{ "allow matching addr", { ADDR(true, true, 0, 100) }, 1, 0, true },
	{ "allow elsewhere rejects by default", { ADDR(true, true, 50, 100) },
	  1, 0, false },
	{ "reject elsewhere allows by default",
	  { ADDR(true, false, 50, 100) }, 1, 0, true },
	{ "first deciding filter wins",
	  { TGT(true, true, 1), TGT(true, false, 1) }, 2, 1, true },
	{ "later filter decides when earlier is not about it",
	  { TGT(true, false, 0), ADDR(true, true, 0, 100) }, 2, 1, true },
	{ "default follows the last filter",
	  { TGT(true, false, 5), TGT(true, true, 6) }, 2, 0, false },
	{ "negated target", { TGT(false, false, 1) }, 1, 0, false },
};

KUNIT_ARRAY_PARAM_DESC(filter, filter_cases, desc);

static void damon_schemes_core_filters(struct kunit *test)
{
	const struct filter_case *c = test->param_value;
	struct damon_ctx *ctx = new_ctx(test, 0, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	struct damon_target *t = first_target(ctx);
	struct damon_region *r = damon_new_region(4 * MSZ, 8 * MSZ);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	damon_add_region(r, t);
	for (i = 0; i < c->nr_filters; i++) {
		const struct filter_spec *f = &c->filters[i];

		add_filter(test, s, f->type, f->matching, f->allow, f->a, f->b);
	}
	damos_set_filters_default(s);
	KUNIT_EXPECT_EQ(test, damos_core_filters_allow(ctx, t, c->tidx, r, s),
			c->want);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 1);	/* nothing to cut */
}

/* The ops layer's default is derived too, for the ops' apply_scheme. */
static void damon_schemes_ops_filters_default(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 1, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);

	damos_set_filters_default(s);
	KUNIT_EXPECT_FALSE(test, s->ops_filters_default_reject);
	damos_add_filter(s, damos_new_filter(DAMOS_FILTER_TYPE_ANON, true,
					     true));
	damos_set_filters_default(s);
	KUNIT_EXPECT_TRUE(test, s->ops_filters_default_reject);
	KUNIT_EXPECT_FALSE(test, s->core_filters_default_reject);
	damos_add_filter(s, damos_new_filter(DAMOS_FILTER_TYPE_YOUNG, true,
					     false));
	damos_set_filters_default(s);
	KUNIT_EXPECT_FALSE(test, s->ops_filters_default_reject);
}

/*
 * An address filter cuts the regions it partly covers, so that only the
 * covered part is rejected: [0, 10) pages with "reject [3, 6)" leaves
 * [0, 3) and [6, 10) tried.
 */
static void damon_schemes_addr_filter_cuts(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 1, 10 * MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	struct damon_target *t = first_target(ctx);

	add_filter(test, s, DAMOS_FILTER_TYPE_ADDR, true, false, 3 * MSZ,
		   6 * MSZ);
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 3);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 2);
	KUNIT_EXPECT_EQ(test, s->stat.sz_tried, 7 * MSZ);
	KUNIT_ASSERT_EQ(test, fake.nr_calls, 2);
	KUNIT_EXPECT_EQ(test, fake.starts[0], 0);
	KUNIT_EXPECT_EQ(test, fake.sizes[0], 3 * MSZ);
	KUNIT_EXPECT_EQ(test, fake.starts[1], 6 * MSZ);
	KUNIT_EXPECT_EQ(test, fake.sizes[1], 4 * MSZ);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
}

/* ===== Apply rounds ===== */

/* Tried, applied, passed and snapshots, over two rounds. */
static void damon_schemes_stats_accounting(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 3, 4 * MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_PAGEOUT, NULL, NULL);
	struct damon_region *r;

	fake.applied_permil = 500;
	fake.passed_permil = 250;
	damon_for_each_region(r, first_target(ctx))
		r->age = 7;
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 3);
	KUNIT_EXPECT_EQ(test, s->stat.sz_tried, 12 * MSZ);
	KUNIT_EXPECT_EQ(test, s->stat.nr_applied, 3);
	KUNIT_EXPECT_EQ(test, s->stat.sz_applied, 3 * (4 * MSZ / 1000 * 500));
	KUNIT_EXPECT_EQ(test, s->stat.sz_ops_filter_passed,
			3 * (4 * MSZ / 1000 * 250));
	KUNIT_EXPECT_EQ(test, s->stat.nr_snapshots, 1);
	KUNIT_EXPECT_EQ(test, s->stat.qt_exceeds, 0);
	/* a real action resets the age */
	damon_for_each_region(r, first_target(ctx))
		KUNIT_EXPECT_EQ(test, r->age, 0);

	/* nothing applied: tried but not applied */
	fake.applied_permil = 0;
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 6);
	KUNIT_EXPECT_EQ(test, s->stat.nr_applied, 3);
	KUNIT_EXPECT_EQ(test, s->stat.nr_snapshots, 2);
}

/* DAMOS_STAT keeps the age; an ops set without apply_scheme applies 0. */
static void damon_schemes_stat_keeps_age(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 2, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	struct damon_region *r;

	ctx->ops.apply_scheme = NULL;
	damon_for_each_region(r, first_target(ctx))
		r->age = 9;
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 2);
	KUNIT_EXPECT_EQ(test, s->stat.nr_applied, 0);
	damon_for_each_region(r, first_target(ctx))
		KUNIT_EXPECT_EQ(test, r->age, 9);
}

struct split_case {
	const char *desc;
	unsigned long quota;	/* pages */
	unsigned int nr_regions_after;
	unsigned long sz_tried;	/* pages */
	unsigned long qt_exceeds;
};

/* One target of two 8-page regions, all of score 0. */
static const struct split_case split_cases[] = {
	{ "quota inside the first region", 5, 3, 5, 1 },
	{ "quota at the region boundary", 8, 2, 8, 1 },
	{ "quota inside the second region", 11, 3, 11, 1 },
	{ "quota covers all", 16, 2, 16, 1 },
	{ "quota above all", 17, 2, 16, 0 },
};

KUNIT_ARRAY_PARAM_DESC(split, split_cases, desc);

static void damon_schemes_quota_split(struct kunit *test)
{
	const struct split_case *c = test->param_value;
	struct damos_quota quota = {
		.sz = c->quota * MSZ, .reset_interval = 1000,
	};
	struct damon_ctx *ctx = new_ctx(test, 2, 8 * MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, &quota, NULL);
	struct damon_target *t = first_target(ctx);

	damos_apply_round(ctx, s, 0, 1000, NULL);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), c->nr_regions_after);
	KUNIT_EXPECT_EQ(test, s->stat.sz_tried, c->sz_tried * MSZ);
	KUNIT_EXPECT_EQ(test, s->stat.qt_exceeds, c->qt_exceeds);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));

	/* same window: only what is left of the quota */
	damos_apply_round(ctx, s, 0, 1001, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.sz_tried, min(c->quota, 32UL) * MSZ);
}

/* A quota smaller than one region applies nothing rather than too much. */
static void damon_schemes_quota_below_min_region(struct kunit *test)
{
	struct damos_quota quota = { .sz = MSZ - 1, .reset_interval = 1000 };
	struct damon_ctx *ctx = new_ctx(test, 2, 8 * MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, &quota, NULL);

	damos_apply_round(ctx, s, 0, 1000, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 0);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(first_target(ctx)), 2);
}

/*
 * The best regions go first, wherever they are: quota 8 pages, regions of
 * 4 pages scoring 10, 50, 10, 90, 50: the 90 one and the first 50 one.
 */
static void damon_schemes_priority_order(struct kunit *test)
{
	static const unsigned int scores[] = { 10, 50, 10, 90, 50 };
	struct damos_quota quota = { .sz = 8 * MSZ, .reset_interval = 1000 };
	struct damon_ctx *ctx = new_ctx(test, 5, 4 * MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, &quota, NULL);
	struct damon_region *r;
	int i = 0;

	damon_for_each_region(r, first_target(ctx))
		r->age = scores[i++];
	damos_apply_round(ctx, s, 0, 1000, NULL);
	KUNIT_ASSERT_EQ(test, fake.nr_calls, 2);
	KUNIT_EXPECT_EQ(test, fake.starts[0], 4 * MSZ);		/* 50 */
	KUNIT_EXPECT_EQ(test, fake.starts[1], 12 * MSZ);	/* 90 */
}

/*
 * Equally good regions take turns: quota 2 of 4 equal regions; the next
 * window starts where the previous ran out.
 */
static void damon_schemes_windows_take_turns(struct kunit *test)
{
	struct damos_quota quota = { .sz = 2 * MSZ, .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 4, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, &quota, NULL);
	unsigned long now = 1000;

	damos_apply_round(ctx, s, 0, now, NULL);
	now += msecs_to_jiffies(100);
	damos_apply_round(ctx, s, 0, now, NULL);
	KUNIT_ASSERT_EQ(test, fake.nr_calls, 4);
	KUNIT_EXPECT_EQ(test, fake.starts[0], 0);
	KUNIT_EXPECT_EQ(test, fake.starts[1], MSZ);
	KUNIT_EXPECT_EQ(test, fake.starts[2], 2 * MSZ);
	KUNIT_EXPECT_EQ(test, fake.starts[3], 3 * MSZ);
	KUNIT_EXPECT_EQ(test, s->stat.qt_exceeds, 2);
}

/*
 * Taking turns never holds back a better region: scores 50, 10, 10, 10 and
 * room for two; the second window still starts with the 50 one.
 */
static void damon_schemes_turns_keep_priority(struct kunit *test)
{
	static const unsigned int scores[] = { 50, 10, 10, 10 };
	struct damos_quota quota = { .sz = 2 * MSZ, .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 4, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, &quota, NULL);
	unsigned long now = 1000;
	struct damon_region *r;
	int i = 0;

	damon_for_each_region(r, first_target(ctx))
		r->age = scores[i++];
	damos_apply_round(ctx, s, 0, now, NULL);
	now += msecs_to_jiffies(100);
	damos_apply_round(ctx, s, 0, now, NULL);
	KUNIT_ASSERT_EQ(test, fake.nr_calls, 4);
	KUNIT_EXPECT_EQ(test, fake.starts[0], 0);
	KUNIT_EXPECT_EQ(test, fake.starts[1], MSZ);
	KUNIT_EXPECT_EQ(test, fake.starts[2], 0);
	KUNIT_EXPECT_EQ(test, fake.starts[3], 2 * MSZ);
}

/* Failed applies charge only the configured fraction. */
static void damon_schemes_fail_charge(struct kunit *test)
{
	struct damos_quota quota = {
		.sz = 8 * MSZ, .reset_interval = 1000,
		.fail_charge_num = 0, .fail_charge_denom = 1,
	};
	struct damon_ctx *ctx = new_ctx(test, 4, 4 * MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_PAGEOUT, &quota, NULL);

	fake.applied_permil = 0;	/* every apply fails: charged 0 */
	damos_apply_round(ctx, s, 0, 1000, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 4);
	KUNIT_EXPECT_EQ(test, s->quota.charged_sz, 0);
}

/* max_nr_snapshots deactivates the scheme after that many rounds. */
static void damon_schemes_max_nr_snapshots(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 1, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	int i;

	s->max_nr_snapshots = 3;
	for (i = 0; i < 5; i++)
		damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_snapshots, 3);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 3);
	KUNIT_EXPECT_FALSE(test, damos_scheme_active(s));
}

/* Only schemes whose apply time came run; the next time is set. */
static void damon_schemes_apply_interval(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 1, MSZ);
	struct damos *fast, *slow;
	int i;

	ctx->attrs.sample_interval = 1000;
	ctx->attrs.aggr_interval = 10000;
	fast = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	fast->apply_interval_us = 2000;
	fast->next_apply_sis = 2;
	slow = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);
	slow->next_apply_sis = 10;	/* the aggregation interval */
	for (i = 0; i < 20; i++) {
		ctx->passed_sample_intervals++;
		damos_apply_schemes(ctx, NULL);
	}
	KUNIT_EXPECT_EQ(test, fast->stat.nr_snapshots, 10);
	KUNIT_EXPECT_EQ(test, slow->stat.nr_snapshots, 2);
}

/* Two targets, a target filter: only the allowed target is tried. */
static void damon_schemes_target_filter(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test, 2, MSZ);
	struct damos *s = new_scheme(test, ctx, DAMOS_STAT, NULL, NULL);

	add_target(test, ctx, 3, 100 * MSZ, MSZ);
	add_filter(test, s, DAMOS_FILTER_TYPE_TARGET, true, true, 1, 0);
	damos_apply_round(ctx, s, 0, jiffies, NULL);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 3);
	KUNIT_EXPECT_EQ(test, fake.starts[0], 100 * MSZ);
}

/* ===== On a running kdamond ===== */

static bool fake_always(const struct damon_region *r)
{
	return true;
}

/* Every sampled address is accessed. */
static unsigned int fake_check_all(struct damon_ctx *ctx)
{
	return damon_test_sample_all(ctx, fake_always);
}

static void stop_ctx(void *ctx)
{
	damon_stop((struct damon_ctx **)&ctx, 1);
}

/* A running context: 64 pages, sampling 1 ms, aggregation 10 ms. */
static struct damon_ctx *start_ctx(struct kunit *test, struct damos *s)
{
	struct damon_ctx *ctx = new_ctx(test, 8, 8 * MSZ);

	ctx->ops.check_accesses = fake_check_all;
	ctx->attrs.sample_interval = 1000;
	ctx->attrs.aggr_interval = 10000;
	ctx->attrs.aggr_samples = 10;
	ctx->attrs.min_nr_regions = 3;
	ctx->attrs.max_nr_regions = 100;
	damon_add_scheme(ctx, s);
	KUNIT_ASSERT_EQ(test, damon_start(&ctx, 1, false), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, stop_ctx, ctx),
			0);
	return ctx;
}

static struct damos *new_detached_scheme(struct kunit *test,
					 struct damos_quota *quota,
					 struct damos_watermarks *wmarks)
{
	struct damos *s = damon_new_scheme(&match_all, DAMOS_STAT, 0, quota,
					   wmarks, NUMA_NO_NODE);

	KUNIT_ASSERT_NOT_NULL(test, s);
	return s;
}

static void sum_walk(void *data, struct damon_ctx *ctx,
		     struct damon_target *t, struct damon_region *r,
		     struct damos *s, unsigned long sz_filter_passed)
{
	*(unsigned long *)data += damon_sz_region(r);
}

/*
 * What upstream's damos_quota.py checks, in miniature: a damos_walk() round
 * sees at most the quota, and exactly the quota when there is more to do.
 * A zero reset interval makes every apply round a window of its own.
 */
static void damon_schemes_kdamond_walk_within_quota(struct kunit *test)
{
	struct damos_watermarks none = { .metric = DAMOS_WMARK_NONE };
	struct damos_quota quota = { .sz = 8 * MSZ };
	struct damos *s = new_detached_scheme(test, &quota, &none);
	struct damon_ctx *ctx = start_ctx(test, s);
	unsigned long sum;
	struct damos_walk_control control = {
		.walk_fn = sum_walk, .data = &sum,
	};
	int i;

	for (i = 0; i < 5; i++) {
		sum = 0;
		KUNIT_ASSERT_EQ(test, damos_walk(ctx, &control), 0);
		KUNIT_EXPECT_EQ(test, sum, 8 * MSZ);
	}
	stop_ctx(ctx);
	KUNIT_EXPECT_GE(test, s->stat.qt_exceeds, 5);
	KUNIT_EXPECT_EQ(test, s->stat.sz_tried % (8 * MSZ), 0);
}

/*
 * A scheme out of its watermarks band: the kdamond stops sampling, yet a
 * damos_walk() is answered.  Free memory can't be above 100%, so a band
 * of [1001, 1001] is never reached.
 */
static void damon_schemes_kdamond_sleeps_when_inactive(struct kunit *test)
{
	struct damos_watermarks wm = {
		.metric = DAMOS_WMARK_FREE_MEM_RATE, .interval = 5000,
		.high = 1001, .mid = 1001, .low = 1001,
	};
	struct damos_quota quota = {};
	struct damos *s = new_detached_scheme(test, &quota, &wm);
	struct damon_ctx *ctx = start_ctx(test, s);
	unsigned long sum = 0;
	struct damos_walk_control control = {
		.walk_fn = sum_walk, .data = &sum,
	};

	msleep(50);
	KUNIT_EXPECT_EQ(test, damos_walk(ctx, &control), 0);
	KUNIT_EXPECT_EQ(test, sum, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->passed_sample_intervals), 0);
	stop_ctx(ctx);
	KUNIT_EXPECT_EQ(test, s->stat.nr_tried, 0);
}

static struct kunit_case damon_schemes_test_cases[] = {
	KUNIT_CASE_PARAM(damon_schemes_pattern_edges, pattern_gen_params),
	KUNIT_CASE_PARAM(damon_schemes_wmarks_state_machine,
			 wmarks_gen_params),
	KUNIT_CASE(damon_schemes_wmarks_none_always_active),
	KUNIT_CASE(damon_schemes_wmarks_wait),
	KUNIT_CASE_PARAM(damon_schemes_core_filters, filter_gen_params),
	KUNIT_CASE(damon_schemes_ops_filters_default),
	KUNIT_CASE(damon_schemes_addr_filter_cuts),
	KUNIT_CASE(damon_schemes_stats_accounting),
	KUNIT_CASE(damon_schemes_stat_keeps_age),
	KUNIT_CASE_PARAM(damon_schemes_quota_split, split_gen_params),
	KUNIT_CASE(damon_schemes_quota_below_min_region),
	KUNIT_CASE(damon_schemes_priority_order),
	KUNIT_CASE(damon_schemes_windows_take_turns),
	KUNIT_CASE(damon_schemes_turns_keep_priority),
	KUNIT_CASE(damon_schemes_fail_charge),
	KUNIT_CASE(damon_schemes_max_nr_snapshots),
	KUNIT_CASE(damon_schemes_apply_interval),
	KUNIT_CASE(damon_schemes_target_filter),
	KUNIT_CASE(damon_schemes_kdamond_walk_within_quota),
	KUNIT_CASE(damon_schemes_kdamond_sleeps_when_inactive),
	{}
};

static struct kunit_suite damon_schemes_test_suite = {
	.name = "damon_schemes",
	.test_cases = damon_schemes_test_cases,
};

kunit_test_suite(damon_schemes_test_suite);

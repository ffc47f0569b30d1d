// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the helpers shared by DAMON's operation sets: the scheme
 * priority scores (range, monotonicity in each sub-score, hot/cold mirror,
 * weights, dispatch by action), the choice of sampling addresses, and the
 * data-attribute probes' filter decisions and counter saturation.  Regions
 * and contexts are built by hand and never monitored.
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/sizes.h>

#include "../internal.h"
#include "../ops-common.h"

/*
 * Have @fn(@arg) run when the test ends (on failure too); the resource is
 * released right away if that cannot be arranged.
 */
static void defer(struct kunit *test, kunit_action_t *fn, void *arg)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fn, arg), 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(destroy_ctx, damon_destroy_ctx,
			    struct damon_ctx *);

/* 100 ms aggregation of 20 samples of 5 ms, as in the score example. */
static struct damon_ctx *new_ctx(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	defer(test, destroy_ctx, ctx);
	ctx->attrs.sample_interval = 5000;
	ctx->attrs.aggr_interval = 100000;
	return ctx;
}

static struct damos *new_scheme(struct kunit *test, enum damos_action action,
				unsigned int w_sz, unsigned int w_freq,
				unsigned int w_age)
{
	struct damos *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->action = action;
	s->quota.weight_sz = w_sz;
	s->quota.weight_nr_accesses = w_freq;
	s->quota.weight_age = w_age;
	return s;
}

/*
 * A region of @sz bytes seen in @nr of the 20 samples of the last window,
 * for @age intervals.
 */
static struct damon_region region(unsigned long sz, unsigned int nr,
				  unsigned int age)
{
	struct damon_region r = {
		.ar = { .start = 0, .end = sz },
		.last_nr_accesses = nr,
		.age = age,
	};

	return r;
}

/* ===== Test cases ===== */

/* The worked example of the comment above the score code in ops-common.c. */
static void damon_ops_common_score_example(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damos *s = new_scheme(test, DAMOS_LRU_PRIO, 1, 1, 1);
	struct damon_region r = region(SZ_2M, 10, 50);

	if (PAGE_SIZE != SZ_4K)
		kunit_skip(test, "the example assumes 4 KiB pages");
	KUNIT_EXPECT_EQ(test, damon_hot_score(ctx, &r, s), 54);
	KUNIT_EXPECT_EQ(test, damon_cold_score(ctx, &r, s), 33);
}

struct score_input {
	unsigned long sz;
	unsigned int nr;
	unsigned int age;
};

static const struct score_input extremes[] = {
	{ PAGE_SIZE, 0, 0 },
	{ PAGE_SIZE, 20, 0 },
	{ ULONG_MAX & PAGE_MASK, 20, UINT_MAX },
	{ ULONG_MAX & PAGE_MASK, 0, UINT_MAX },
	{ SZ_1M, 5000, 1 },	/* more accesses than samples: clamped */
};

/* Whatever the input and weights, scores stay in 0..DAMOS_MAX_SCORE. */
static void damon_ops_common_score_in_range(struct kunit *test)
{
	const unsigned int weights[][3] = {
		{ 1, 1, 1 }, { 0, 0, 1 }, { UINT_MAX, UINT_MAX, UINT_MAX },
		{ 0, UINT_MAX, 0 }, { 7, 0, 3 },
	};
	struct damon_ctx *ctx = new_ctx(test);
	unsigned int i, w;

	for (w = 0; w < ARRAY_SIZE(weights); w++) {
		struct damos *s = new_scheme(test, DAMOS_STAT, weights[w][0],
					     weights[w][1], weights[w][2]);

		for (i = 0; i < ARRAY_SIZE(extremes); i++) {
			struct damon_region r = region(extremes[i].sz,
						       extremes[i].nr,
						       extremes[i].age);
			int hot = damon_hot_score(ctx, &r, s);
			int cold = damon_cold_score(ctx, &r, s);

			KUNIT_EXPECT_GE_MSG(test, hot, 0, "w%u i%u", w, i);
			KUNIT_EXPECT_LE_MSG(test, hot, DAMOS_MAX_SCORE,
					    "w%u i%u", w, i);
			KUNIT_EXPECT_GE_MSG(test, cold, 0, "w%u i%u", w, i);
			KUNIT_EXPECT_LE_MSG(test, cold, DAMOS_MAX_SCORE,
					    "w%u i%u", w, i);
		}
	}
}

/* More accesses never make a region less hot, nor more cold. */
static void damon_ops_common_score_follows_frequency(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damos *s = new_scheme(test, DAMOS_STAT, 1, 1, 1);
	int prev_hot = -1, prev_cold = DAMOS_MAX_SCORE + 1;
	unsigned int nr;

	for (nr = 0; nr <= 20; nr++) {
		struct damon_region r = region(SZ_1M, nr, 10);
		int hot = damon_hot_score(ctx, &r, s);
		int cold = damon_cold_score(ctx, &r, s);

		KUNIT_EXPECT_GE_MSG(test, hot, prev_hot, "nr %u", nr);
		KUNIT_EXPECT_LE_MSG(test, cold, prev_cold, "nr %u", nr);
		prev_hot = hot;
		prev_cold = cold;
	}
}

/*
 * Age strengthens what the frequency says: an old accessed region is hotter
 * than a young one, an old idle region colder than a young idle one.
 */
static void damon_ops_common_score_age_strengthens(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damos *s = new_scheme(test, DAMOS_STAT, 0, 0, 1);
	struct damon_region busy_young = region(SZ_1M, 20, 1);
	struct damon_region busy_old = region(SZ_1M, 20, 10000);
	struct damon_region idle_young = region(SZ_1M, 0, 1);
	struct damon_region idle_old = region(SZ_1M, 0, 10000);

	KUNIT_EXPECT_GT(test, damon_hot_score(ctx, &busy_old, s),
			damon_hot_score(ctx, &busy_young, s));
	KUNIT_EXPECT_GT(test, damon_cold_score(ctx, &idle_old, s),
			damon_cold_score(ctx, &idle_young, s));
	KUNIT_EXPECT_LT(test, damon_hot_score(ctx, &idle_old, s),
			damon_hot_score(ctx, &idle_young, s));
}

/* Size counts the same way for hot and cold: bigger is worth more. */
static void damon_ops_common_score_size(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damos *s = new_scheme(test, DAMOS_STAT, 1, 0, 0);
	struct damon_region small = region(PAGE_SIZE, 3, 3);
	struct damon_region big = region(SZ_1G, 3, 3);

	KUNIT_EXPECT_GT(test, damon_hot_score(ctx, &big, s),
			damon_hot_score(ctx, &small, s));
	KUNIT_EXPECT_GT(test, damon_cold_score(ctx, &big, s),
			damon_cold_score(ctx, &small, s));
}

/* Without any weight there is no preference: all regions tie. */
static void damon_ops_common_score_no_weights_ties(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damos *s = new_scheme(test, DAMOS_PAGEOUT, 0, 0, 0);
	struct damon_region a = region(PAGE_SIZE, 0, 0);
	struct damon_region b = region(SZ_1G, 20, 1000);

	KUNIT_EXPECT_EQ(test, damon_scheme_score(ctx, &a, s),
			damon_scheme_score(ctx, &b, s));
}

/* Actions on cold memory get the cold score, the others the hot score. */
static void damon_ops_common_score_by_action(struct kunit *test)
{
	const enum damos_action cold[] = {
		DAMOS_COLD, DAMOS_PAGEOUT, DAMOS_NOHUGEPAGE, DAMOS_LRU_DEPRIO,
		DAMOS_MIGRATE_COLD,
	};
	const enum damos_action hot[] = {
		DAMOS_WILLNEED, DAMOS_HUGEPAGE, DAMOS_COLLAPSE,
		DAMOS_LRU_PRIO, DAMOS_MIGRATE_HOT, DAMOS_STAT,
	};
	struct damon_ctx *ctx = new_ctx(test);
	struct damon_region r = region(SZ_1M, 17, 100);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cold); i++) {
		struct damos *s = new_scheme(test, cold[i], 1, 2, 3);

		KUNIT_EXPECT_EQ_MSG(test, damon_scheme_score(ctx, &r, s),
				    damon_cold_score(ctx, &r, s),
				    "action %d", cold[i]);
	}
	for (i = 0; i < ARRAY_SIZE(hot); i++) {
		struct damos *s = new_scheme(test, hot[i], 1, 2, 3);

		KUNIT_EXPECT_EQ_MSG(test, damon_scheme_score(ctx, &r, s),
				    damon_hot_score(ctx, &r, s),
				    "action %d", hot[i]);
	}
}

/* Sampling addresses are inside the region and on the asked granularity. */
static void damon_ops_common_sampling_addr(struct kunit *test)
{
	struct damon_region r = { .ar = { SZ_1M, SZ_1M + 16 * PAGE_SIZE } };
	struct damon_region tiny = { .ar = { SZ_1M, SZ_1M + PAGE_SIZE } };
	bool seen_other = false;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		unsigned long addr = damon_pick_sampling_addr(&r, PAGE_SIZE);

		KUNIT_ASSERT_GE(test, addr, r.ar.start);
		KUNIT_ASSERT_LT(test, addr, r.ar.end);
		KUNIT_ASSERT_EQ(test, (addr - r.ar.start) % PAGE_SIZE, 0);
		seen_other |= addr != r.ar.start;
	}
	/* 1000 draws among 16 slots all landing on the first: ~2^-4000. */
	KUNIT_EXPECT_TRUE(test, seen_other);
	KUNIT_EXPECT_EQ(test, damon_pick_sampling_addr(&tiny, PAGE_SIZE),
			tiny.ar.start);
}

/* ===== Probe filters ===== */

struct probe_filter_spec {
	int type;		/* -1 ends the list */
	bool matching, allow;
};

struct probe_decision_case {
	const char *name;
	struct probe_filter_spec filters[3];
	bool hit;
};

/*
 * Decisions on a sample with no folio, which has none of the properties:
 * the first filter about the sample decides, otherwise the opposite of the
 * last filter, and no filter means a hit.
 */
static const struct probe_decision_case probe_decision_cases[] = {
	{ "no filters", { { -1 } }, true },
	{ "allow anon: not about it, default reject", {
		{ DAMON_FILTER_TYPE_ANON, true, true }, { -1 } }, false },
	{ "allow non-anon", {
		{ DAMON_FILTER_TYPE_ANON, false, true }, { -1 } }, true },
	{ "reject non-anon", {
		{ DAMON_FILTER_TYPE_ANON, false, false }, { -1 } }, false },
	{ "reject anon: default allow", {
		{ DAMON_FILTER_TYPE_ANON, true, false }, { -1 } }, true },
	{ "first about it decides", {
		{ DAMON_FILTER_TYPE_ANON, true, true },
		{ DAMON_FILTER_TYPE_MEMCG, false, false },
		{ DAMON_FILTER_TYPE_PGIDLE_UNSET, false, true } }, false },
	{ "none about it: opposite of the last", {
		{ DAMON_FILTER_TYPE_ANON, true, false },
		{ DAMON_FILTER_TYPE_PGIDLE_SET, true, true }, { -1 } }, false },
	{ "no folio is not idle either", {
		{ DAMON_FILTER_TYPE_PGIDLE_SET, true, true },
		{ DAMON_FILTER_TYPE_PGIDLE_UNSET, true, true }, { -1 } },
	  false },
	{ "no folio has no size", {
		{ DAMON_FILTER_TYPE_HUGEPAGE_SIZE, false, true }, { -1 } },
	  true },
};

KUNIT_ARRAY_PARAM_DESC(probe_decision, probe_decision_cases, name);

static void damon_ops_common_probe_decision(struct kunit *test)
{
	const struct probe_decision_case *c = test->param_value;
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t = damon_new_target();
	struct damon_region *r = damon_alloc_region(0, PAGE_SIZE, true);
	struct damon_probe *p = damon_new_probe();
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	defer(test, destroy_ctx, ctx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, p);
	damon_add_target(ctx, t);
	damon_add_region(r, t);
	damon_add_probe(ctx, p);
	for (i = 0; i < ARRAY_SIZE(c->filters) && c->filters[i].type >= 0;
	     i++) {
		struct damon_filter *f = damon_new_filter(c->filters[i].type,
							  c->filters[i].matching,
							  c->filters[i].allow);

		KUNIT_ASSERT_NOT_NULL(test, f);
		damon_add_filter(p, f);
	}
	damon_probes_hit(ctx, r, NULL, false);
	KUNIT_EXPECT_EQ(test, r->probe_hits[0], c->hit);
}

/* A counter stops at 255; the slots beyond the context's probes stay 0. */
static void damon_ops_common_probe_saturates(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t = damon_new_target();
	struct damon_region *r = damon_alloc_region(0, PAGE_SIZE, true);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	defer(test, destroy_ctx, ctx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, r);
	damon_add_target(ctx, t);
	damon_add_region(r, t);
	for (i = 0; i < DAMON_MAX_PROBES + 1; i++) {
		struct damon_probe *p = damon_new_probe();

		KUNIT_ASSERT_NOT_NULL(test, p);
		damon_add_probe(ctx, p);
	}
	r->probe_hits[0] = 254;
	damon_probes_hit(ctx, r, NULL, false);
	damon_probes_hit(ctx, r, NULL, false);
	KUNIT_EXPECT_EQ(test, r->probe_hits[0], 255);
	KUNIT_EXPECT_EQ(test, r->probe_hits[DAMON_MAX_PROBES - 1], 2);
	KUNIT_EXPECT_EQ(test, r->last_probe_hits[0], 0);
}

static struct kunit_case damon_ops_common_test_cases[] = {
	KUNIT_CASE(damon_ops_common_score_example),
	KUNIT_CASE(damon_ops_common_score_in_range),
	KUNIT_CASE(damon_ops_common_score_follows_frequency),
	KUNIT_CASE(damon_ops_common_score_age_strengthens),
	KUNIT_CASE(damon_ops_common_score_size),
	KUNIT_CASE(damon_ops_common_score_no_weights_ties),
	KUNIT_CASE(damon_ops_common_score_by_action),
	KUNIT_CASE(damon_ops_common_sampling_addr),
	KUNIT_CASE_PARAM(damon_ops_common_probe_decision,
			 probe_decision_gen_params),
	KUNIT_CASE(damon_ops_common_probe_saturates),
	{}
};

static struct kunit_suite damon_ops_common_test_suite = {
	.name = "damon_ops_common",
	.test_cases = damon_ops_common_test_cases,
};

kunit_test_suite(damon_ops_common_test_suite);

MODULE_DESCRIPTION("KUnit tests for DAMON's operation-set helpers");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for DAMOS quotas: the effective quota from the static limits,
 * charging per window, prioritisation by score, and the goal tuners,
 * including the consist tuner's response to a step change of the goal.
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/jiffies.h>
#include <linux/sizes.h>

#include "../damos.h"
#include "../internal.h"

#define MSZ	DAMON_MIN_REGION_SZ

/* ===== Fixtures ===== */

/* Score of a region = its age, so that tests set scores directly. */
static int fake_score(struct damon_ctx *ctx, struct damon_region *r,
		      struct damos *s)
{
	return r->age;
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

/* A context with one target whose regions are @nr of @sz bytes each. */
static struct damon_ctx *new_ctx(struct kunit *test, unsigned int nr,
				 unsigned long sz)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_ctx, ctx),
			0);
	ctx->ops.id = DAMON_OPS_PADDR;
	ctx->ops.get_scheme_score = fake_score;
	t = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, t);
	damon_add_target(ctx, t);
	for (i = 0; i < nr; i++) {
		struct damon_region *r = damon_new_region(i * sz, (i + 1) * sz);

		KUNIT_ASSERT_NOT_NULL(test, r);
		damon_add_region(r, t);
	}
	return ctx;
}

static struct damos *new_scheme(struct kunit *test, struct damon_ctx *ctx,
				struct damos_quota *quota)
{
	struct damos_watermarks wmarks = { .metric = DAMOS_WMARK_NONE };
	struct damos *s;

	s = damon_new_scheme(&match_all, DAMOS_STAT, 0, quota, &wmarks,
			     NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, s);
	damon_add_scheme(ctx, s);
	return s;
}

static struct damos_quota_goal *add_goal(struct kunit *test, struct damos *s,
					 unsigned long target)
{
	struct damos_quota_goal *g;

	g = damos_new_quota_goal(DAMOS_QUOTA_USER_INPUT, target);
	KUNIT_ASSERT_NOT_NULL(test, g);
	damos_add_quota_goal(&s->quota, g);
	return g;
}

/* ===== The consist tuner, one step ===== */

struct consist_case {
	const char *desc;
	unsigned long cur, score, step, cap, want;
};

static const struct consist_case consist_cases[] = {
	{ "nothing achieved grows by half", SZ_1M, 0, MSZ, ULONG_MAX,
	  SZ_1M + SZ_512K },
	{ "goal met keeps", SZ_1M, 10000, MSZ, ULONG_MAX, SZ_1M },
	{ "half achieved grows by a quarter", SZ_1M, 5000, MSZ, ULONG_MAX,
	  SZ_1M + SZ_256K },
	{ "over-achieved 1.5x shrinks by a quarter", SZ_1M, 15000, MSZ,
	  ULONG_MAX, SZ_512K + SZ_256K },
	{ "over-achieved 2x halves", SZ_1M, 20000, MSZ, ULONG_MAX, SZ_512K },
	{ "over-achieved 10x still only halves", SZ_1M, 100000, MSZ,
	  ULONG_MAX, SZ_512K },
	{ "growing from the floor adds one step", 1, 0, MSZ, ULONG_MAX,
	  1 + MSZ },
	{ "shrinking stops at the floor", 1, 30000, MSZ, ULONG_MAX, 1 },
	{ "growth is capped", SZ_1M, 0, MSZ, SZ_1M + SZ_4K, SZ_1M + SZ_4K },
	{ "zero cap still leaves the floor", SZ_1M, 0, MSZ, 0, 1 },
	{ "no overflow near the top", ULONG_MAX - 1, 0, MSZ, ULONG_MAX,
	  ULONG_MAX },
};

KUNIT_ARRAY_PARAM_DESC(consist, consist_cases, desc);

static void damon_quota_consist_step(struct kunit *test)
{
	const struct consist_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, damos_consist_next_esz(c->cur, c->score,
						     c->step, c->cap),
			c->want);
}

/* ===== The consist tuner, closed loop ===== */

/*
 * A plant: the score the quota @esz achieves when @good bytes meet the goal
 * exactly, for a response of degree @deg (1: proportional, 2: quadratic).
 */
static unsigned long plant_score(unsigned long esz, unsigned long good,
				 unsigned int deg)
{
	u64 score = DAMOS_GOAL_MET_BP;
	unsigned int i;

	for (i = 0; i < deg; i++)
		score = div64_u64(score * esz, good);
	return min_t(u64, score, 1000000);
}

/* Run the loop @n steps from @esz; track the extremes of the ratio to @good. */
static unsigned long run_loop(unsigned long esz, unsigned long good,
			      unsigned int deg, unsigned int n,
			      unsigned long *lo, unsigned long *hi)
{
	unsigned int i;

	*lo = ULONG_MAX;
	*hi = 0;
	for (i = 0; i < n; i++) {
		esz = damos_consist_next_esz(esz, plant_score(esz, good, deg),
					     MSZ, ULONG_MAX);
		*lo = min(*lo, esz);
		*hi = max(*hi, esz);
	}
	return esz;
}

/* Within 0.1%: integer rounding and the one-region minimum growth. */
#define NEAR(x)	((x) / 1000)

/*
 * Step response, the bound documented in quota.c.  A proportional plant is
 * followed from the side it started on (no overshoot) after a step up and a
 * step down of the goal; a quadratic one approaches from below without
 * overshoot and from above undershoots to no less than 0.7 of the goal;
 * both settle within 1% in 30 intervals.
 */
static void damon_quota_consist_step_response(struct kunit *test)
{
	unsigned long esz, lo, hi;
	unsigned int deg;

	for (deg = 1; deg <= 2; deg++) {
		/* goal needs 64 MiB; start from 1 MiB */
		esz = run_loop(SZ_1M, SZ_64M, deg, 30, &lo, &hi);
		KUNIT_EXPECT_LE_MSG(test, hi, SZ_64M + NEAR(SZ_64M),
				    "overshoot up, degree %u", deg);
		KUNIT_EXPECT_GE(test, esz, SZ_64M / 100 * 99);
		KUNIT_EXPECT_LE(test, esz, SZ_64M / 100 * 101);

		/* step change: the goal now needs 8 MiB */
		esz = run_loop(esz, SZ_8M, deg, 30, &lo, &hi);
		if (deg == 1)
			KUNIT_EXPECT_GE_MSG(test, lo, SZ_8M - NEAR(SZ_8M),
					    "undershoot down, degree %u", deg);
		else
			KUNIT_EXPECT_GE(test, lo, SZ_8M / 10 * 7);
		KUNIT_EXPECT_GE(test, esz, SZ_8M / 100 * 99);
		KUNIT_EXPECT_LE(test, esz, SZ_8M / 100 * 101);
	}
}

/*
 * A steep plant (degree 4) may cross the goal, but once the quota is
 * within [0.5x, 1.5x] of the size that meets the goal it stays there.
 */
static void damon_quota_consist_steep_plant_bounded(struct kunit *test)
{
	unsigned long esz, lo, hi;

	esz = run_loop(SZ_1M, SZ_64M, 4, 40, &lo, &hi);
	KUNIT_EXPECT_LE(test, hi, SZ_64M + SZ_32M);
	esz = run_loop(esz, SZ_64M, 4, 20, &lo, &hi);
	KUNIT_EXPECT_GE(test, lo, (unsigned long)SZ_32M);
	KUNIT_EXPECT_LE(test, hi, SZ_64M + SZ_32M);
}

/* ===== Goal scores ===== */

struct score_case {
	const char *desc;
	unsigned long current_value, target, want;
};

static const struct score_case score_cases[] = {
	{ "met", 100, 100, 10000 },
	{ "half", 50, 100, 5000 },
	{ "double", 200, 100, 20000 },
	{ "nothing", 0, 100, 0 },
	{ "no target", 100, 0, 0 },
	{ "huge values do not overflow", ULONG_MAX, ULONG_MAX, 10000 },
};

KUNIT_ARRAY_PARAM_DESC(score, score_cases, desc);

static void damon_quota_goal_score(struct kunit *test)
{
	const struct score_case *c = test->param_value;
	struct damos_quota_goal g = {
		.metric = DAMOS_QUOTA_USER_INPUT,
		.target_value = c->target,
		.current_value = c->current_value,
	};

	KUNIT_EXPECT_EQ(test, damos_goal_score_bp(&g), c->want);
}

/* ===== Static limits ===== */

struct base_case {
	const char *desc;
	unsigned long ms, sz, charged_sz, charged_ns, want;
};

static const struct base_case base_cases[] = {
	{ "no limit", 0, 0, 0, 0, ULONG_MAX },
	{ "size only", 0, SZ_1M, 0, 0, SZ_1M },
	{ "time at 1 MiB/ms", 10, 0, SZ_1M, NSEC_PER_MSEC, 10 * SZ_1M },
	{ "time smaller than size", 1, SZ_4M, SZ_1M, NSEC_PER_MSEC, SZ_1M },
	{ "size smaller than time", 10, SZ_1M, SZ_1M, NSEC_PER_MSEC, SZ_1M },
	{ "time without history uses the guess", 2, 0, 0, 0, 200 * SZ_1K },
	{ "slow action still allows one region", 1, 0, 1, NSEC_PER_SEC, MSZ },
};

KUNIT_ARRAY_PARAM_DESC(base, base_cases, desc);

static void damon_quota_base_esz(struct kunit *test)
{
	const struct base_case *c = test->param_value;
	struct damos_quota q = {
		.ms = c->ms, .sz = c->sz,
		.total_charged_sz = c->charged_sz,
		.total_charged_ns = c->charged_ns,
	};

	KUNIT_EXPECT_EQ(test, damos_quota_base_esz(&q, MSZ), c->want);
}

/* ===== Charging and windows ===== */

static void damon_quota_window_and_exceeds(struct kunit *test)
{
	struct damos_quota quota = { .sz = 10 * MSZ, .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 4, 8 * MSZ);
	unsigned long now = 1000, win = msecs_to_jiffies(100);
	struct damos_round round;
	struct damos *s = new_scheme(test, ctx, &quota);

	damos_quota_tick(ctx, s, 0, now);
	KUNIT_EXPECT_EQ(test, s->quota.esz, 10 * MSZ);
	damos_quota_prioritise(ctx, s, &round);
	KUNIT_EXPECT_TRUE(test, round.quota_on);
	KUNIT_EXPECT_EQ(test, round.budget, 10 * MSZ);

	damos_quota_charge(s, &round, 0, 6 * MSZ, 6 * MSZ, 1000);
	KUNIT_EXPECT_EQ(test, damos_quota_remaining(&s->quota), 4 * MSZ);
	KUNIT_EXPECT_EQ(test, s->stat.qt_exceeds, 0);
	damos_quota_charge(s, &round, 0, 4 * MSZ, 4 * MSZ, 1000);
	KUNIT_EXPECT_EQ(test, damos_quota_remaining(&s->quota), 0);
	KUNIT_EXPECT_EQ(test, s->stat.qt_exceeds, 1);
	/* once per window */
	damos_quota_charge(s, &round, 0, MSZ, MSZ, 1000);
	KUNIT_EXPECT_EQ(test, s->stat.qt_exceeds, 1);

	/* the window is not over yet */
	damos_quota_tick(ctx, s, 0, now + win - 1);
	KUNIT_EXPECT_EQ(test, damos_quota_remaining(&s->quota), 0);
	/* now it is */
	damos_quota_tick(ctx, s, 0, now + win);
	KUNIT_EXPECT_EQ(test, damos_quota_remaining(&s->quota), 10 * MSZ);
	KUNIT_EXPECT_EQ(test, s->quota.charged_from, now + win);
}

struct charge_case {
	const char *desc;
	unsigned int num, denom;
	unsigned long tried, applied, want;
};

static const struct charge_case charge_cases[] = {
	{ "no ratio charges all tried", 0, 0, 1000, 600, 1000 },
	{ "ratio 1/4 of the failed part", 1, 4, 1000, 600, 700 },
	{ "ratio 0/1 charges the applied part only", 0, 1, 1000, 600, 600 },
	{ "full success ignores the ratio", 1, 4, 1000, 1000, 1000 },
	{ "spec example 1/1024", 1, 1024, 1000 * SZ_1M, 700 * SZ_1M,
	  700 * SZ_1M + 300 * SZ_1K },
};

KUNIT_ARRAY_PARAM_DESC(charge, charge_cases, desc);

static void damon_quota_fail_charge(struct kunit *test)
{
	const struct charge_case *c = test->param_value;
	struct damos_quota quota = {
		.sz = ULONG_MAX - 1, .reset_interval = 100,
		.fail_charge_num = c->num, .fail_charge_denom = c->denom,
	};
	struct damon_ctx *ctx = new_ctx(test, 1, MSZ);
	struct damos *s = new_scheme(test, ctx, &quota);
	struct damos_round round;

	damos_quota_tick(ctx, s, 0, 1000);
	damos_quota_prioritise(ctx, s, &round);
	damos_quota_charge(s, &round, 0, c->tried, c->applied, 1000);
	KUNIT_EXPECT_EQ(test, s->quota.charged_sz, c->want);
}

/* ===== Prioritisation ===== */

struct prio_case {
	const char *desc;
	unsigned int scores[6];		/* region i (8 pages) scores this */
	unsigned long quota;
	unsigned int want_min_score;
	unsigned long want_boundary;
};

static const struct prio_case prio_cases[] = {
	{ "everything fits", { 1, 2, 3, 4, 5, 6 }, 100 * MSZ, 0, 52 * MSZ },
	{ "the best two fit exactly", { 9, 1, 9, 1, 1, 1 }, 16 * MSZ, 9,
	  16 * MSZ },
	{ "cut-off shares the rest", { 90, 60, 10, 60, 10, 10 }, 20 * MSZ,
	  60, 12 * MSZ },
	{ "best region alone exceeds", { 50, 99, 50, 50, 50, 50 }, 4 * MSZ,
	  99, 4 * MSZ },
	{ "equal scores share all", { 7, 7, 7, 7, 7, 7 }, 10 * MSZ, 7,
	  10 * MSZ },
	{ "out-of-range scores are clamped", { 200, 0, 0, 0, 0, 0 },
	  4 * MSZ, 99, 4 * MSZ },
};

KUNIT_ARRAY_PARAM_DESC(prio, prio_cases, desc);

static void damon_quota_prioritise(struct kunit *test)
{
	const struct prio_case *c = test->param_value;
	struct damos_quota quota = { .sz = c->quota, .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 6, 8 * MSZ);
	struct damos *s = new_scheme(test, ctx, &quota);
	struct damon_target *t;
	struct damon_region *r;
	struct damos_round round;
	int i = 0;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			r->age = c->scores[i++];
	damos_quota_tick(ctx, s, 0, 1000);
	damos_quota_prioritise(ctx, s, &round);
	KUNIT_EXPECT_EQ(test, round.min_score, c->want_min_score);
	KUNIT_EXPECT_EQ(test, s->quota.min_score, c->want_min_score);
	KUNIT_EXPECT_EQ(test, round.boundary_budget, c->want_boundary);
	KUNIT_EXPECT_EQ(test, round.budget, c->quota);
	/* better regions get the whole budget, worse ones nothing */
	KUNIT_EXPECT_EQ(test, damos_round_allowance(&round, 99), c->quota);
	if (c->want_min_score)
		KUNIT_EXPECT_FALSE(test,
				   damos_round_admits(&round,
						      c->want_min_score - 1));
}

/* ===== Tuners on a context ===== */

/*
 * The upstream selftest damos_quota_goal.py in miniature: a user-input goal
 * with no static limit; the effective quota must move up while the score is
 * below the goal and down while above, every window.
 */
static void damon_quota_user_goal_direction(struct kunit *test)
{
	static const unsigned long inputs[] = { 0, 15000, 5000, 18000 };
	struct damos_quota quota = { .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 10, SZ_1M);
	struct damos *s = new_scheme(test, ctx, &quota);
	struct damos_quota_goal *g = add_goal(test, s, 10000);
	unsigned long now = 1000, prev;
	int i, j;

	damos_quota_tick(ctx, s, 0, now);
	for (i = 0; i < ARRAY_SIZE(inputs); i++) {
		g->current_value = inputs[i];
		for (j = 0; j < 5; j++) {
			prev = s->quota.esz;
			now += msecs_to_jiffies(100);
			damos_quota_tick(ctx, s, 0, now);
			if (inputs[i] < 10000)
				KUNIT_EXPECT_GT(test, s->quota.esz, prev);
			else
				KUNIT_EXPECT_LT(test, s->quota.esz, prev);
		}
	}
}

/* A goal can only lower the static limit, never raise it. */
static void damon_quota_goal_capped_by_size(struct kunit *test)
{
	struct damos_quota quota = { .sz = 2 * SZ_1M, .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 10, SZ_1M);
	struct damos *s = new_scheme(test, ctx, &quota);
	unsigned long now = 1000;
	int i;

	add_goal(test, s, 10000);	/* current 0: always under-achieved */
	for (i = 0; i < 20; i++) {
		now += msecs_to_jiffies(100);
		damos_quota_tick(ctx, s, 0, now);
		KUNIT_EXPECT_LE(test, s->quota.esz, 2 * SZ_1M);
	}
	KUNIT_EXPECT_EQ(test, s->quota.esz, 2 * SZ_1M);
}

static void damon_quota_temporal_tuner(struct kunit *test)
{
	struct damos_quota quota = {
		.sz = 3 * SZ_1M, .reset_interval = 100,
		.goal_tuner = DAMOS_QUOTA_GOAL_TUNER_TEMPORAL,
	};
	struct damon_ctx *ctx = new_ctx(test, 10, SZ_1M);
	struct damos *s = new_scheme(test, ctx, &quota);
	struct damos_quota_goal *g = add_goal(test, s, 10000);

	g->current_value = 9999;
	damos_quota_tick(ctx, s, 0, 1000);
	KUNIT_EXPECT_EQ(test, s->quota.esz, 3 * SZ_1M);
	g->current_value = 10000;
	damos_quota_tick(ctx, s, 0, 1000 + msecs_to_jiffies(100));
	KUNIT_EXPECT_EQ(test, s->quota.esz, 0);
	g->current_value = 0;
	damos_quota_tick(ctx, s, 0, 1000 + msecs_to_jiffies(200));
	KUNIT_EXPECT_EQ(test, s->quota.esz, 3 * SZ_1M);
}

/* With several goals, the best-achieved one decides. */
static void damon_quota_best_goal_wins(struct kunit *test)
{
	struct damos_quota quota = { .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 10, SZ_1M);
	struct damos *s = new_scheme(test, ctx, &quota);
	struct damos_quota_goal *a = add_goal(test, s, 10000);
	struct damos_quota_goal *b = add_goal(test, s, 100);
	unsigned long first;

	a->current_value = 0;		/* far from met */
	b->current_value = 150;		/* over-achieved */
	damos_quota_tick(ctx, s, 0, 1000);
	first = s->quota.esz;
	damos_quota_tick(ctx, s, 0, 1000 + msecs_to_jiffies(100));
	KUNIT_EXPECT_LT(test, s->quota.esz, first);
}

/* No quota at all: everything is admitted, nothing is cut. */
static void damon_quota_unset_admits_all(struct kunit *test)
{
	struct damos_quota quota = { .reset_interval = 100 };
	struct damon_ctx *ctx = new_ctx(test, 3, SZ_1M);
	struct damos *s = new_scheme(test, ctx, &quota);
	struct damos_round round;

	KUNIT_EXPECT_FALSE(test, damos_quota_is_set(&s->quota));
	damos_quota_prioritise(ctx, s, &round);
	KUNIT_EXPECT_FALSE(test, round.quota_on);
	KUNIT_EXPECT_TRUE(test, damos_round_admits(&round, 0));
	KUNIT_EXPECT_EQ(test, damos_round_allowance(&round, 0), ULONG_MAX);
}

static struct kunit_case damon_quota_test_cases[] = {
	KUNIT_CASE_PARAM(damon_quota_consist_step, consist_gen_params),
	KUNIT_CASE(damon_quota_consist_step_response),
	KUNIT_CASE(damon_quota_consist_steep_plant_bounded),
	KUNIT_CASE_PARAM(damon_quota_goal_score, score_gen_params),
	KUNIT_CASE_PARAM(damon_quota_base_esz, base_gen_params),
	KUNIT_CASE(damon_quota_window_and_exceeds),
	KUNIT_CASE_PARAM(damon_quota_fail_charge, charge_gen_params),
	KUNIT_CASE_PARAM(damon_quota_prioritise, prio_gen_params),
	KUNIT_CASE(damon_quota_user_goal_direction),
	KUNIT_CASE(damon_quota_goal_capped_by_size),
	KUNIT_CASE(damon_quota_temporal_tuner),
	KUNIT_CASE(damon_quota_best_goal_wins),
	KUNIT_CASE(damon_quota_unset_admits_all),
	{}
};

static struct kunit_suite damon_quota_test_suite = {
	.name = "damon_quota",
	.test_cases = damon_quota_test_cases,
};

kunit_test_suite(damon_quota_test_suite);

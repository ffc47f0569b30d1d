// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for DAMON's region lists and adaptive regions adjustment:
 * list operations, damon_set_regions() edge cases, split bounds, guided
 * cuts and how fast they isolate a hot range, merge threshold, aging, the
 * moving-sum access estimate, and the probe hit counters through splits,
 * merges, new windows and rescaling, with the attributes-only mode's merge
 * and age rules.  Everything runs on contexts that are
 * never started, so the tests own them.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/damon.h>
#include <linux/sizes.h>
#include <linux/sort.h>

#include "../internal.h"

#define MSZ	DAMON_MIN_REGION_SZ

struct range_spec {
	unsigned long start, end;
};

/* A target whose regions are @specs, in address units. */
/* A target of regions @specs, with the probe counters if @probes. */
static struct damon_target *new_target_of(struct kunit *test,
					  const struct range_spec *specs,
					  int nr, bool probes)
{
	struct damon_target *t = damon_new_target();
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < nr; i++) {
		struct damon_region *r;

		r = damon_alloc_region(specs[i].start, specs[i].end, probes);
		KUNIT_ASSERT_NOT_NULL(test, r);
		damon_add_region(r, t);
	}
	return t;
}

static struct damon_target *new_target_with(struct kunit *test,
					    const struct range_spec *specs,
					    int nr)
{
	return new_target_of(test, specs, nr, false);
}

static void expect_regions(struct kunit *test, struct damon_target *t,
			   const struct range_spec *specs, int nr)
{
	struct damon_region *r;
	int i = 0;

	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), nr);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
	damon_for_each_region(r, t) {
		if (i >= nr)
			break;
		KUNIT_EXPECT_EQ_MSG(test, r->ar.start, specs[i].start,
				    "region %d", i);
		KUNIT_EXPECT_EQ_MSG(test, r->ar.end, specs[i].end,
				    "region %d", i);
		i++;
	}
}

static struct damon_region *nth_region(struct damon_target *t, int n)
{
	struct damon_region *r;

	damon_for_each_region(r, t)
		if (!n--)
			return r;
	return NULL;
}

/* ===== Test cases ===== */

static void damon_regions_list_ops(struct kunit *test)
{
	struct damon_target *t = damon_new_target();
	struct damon_region *a, *b, *c;

	KUNIT_ASSERT_NOT_NULL(test, t);
	a = damon_new_region(0, 10);
	c = damon_new_region(20, 30);
	b = damon_new_region(10, 20);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, a->nr_accesses, 0);
	KUNIT_EXPECT_EQ(test, a->age, 0);

	damon_add_region(a, t);
	damon_add_region(c, t);
	damon_insert_region(b, a, c, t);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 3);
	KUNIT_EXPECT_PTR_EQ(test, damon_first_region(t), a);
	KUNIT_EXPECT_PTR_EQ(test, damon_last_region(t), c);
	KUNIT_EXPECT_PTR_EQ(test, damon_next_region(a), b);
	KUNIT_EXPECT_PTR_EQ(test, damon_prev_region(c), b);
	KUNIT_EXPECT_EQ(test, damon_sz_region(b), 10);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));

	damon_destroy_region(b, t);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 2);
	damon_free_target(t);
}

static void damon_regions_split_at_keeps_counters(struct kunit *test)
{
	static const struct range_spec init[] = { {0, 100} };
	struct damon_target *t = new_target_with(test, init, 1);
	struct damon_region *r = damon_first_region(t), *n;

	r->nr_accesses = 7;
	r->age = 3;
	r->last_nr_accesses = 5;
	n = damon_cut_region(t, r, 25);
	KUNIT_ASSERT_NOT_NULL(test, n);
	KUNIT_EXPECT_EQ(test, r->ar.end, 25);
	KUNIT_EXPECT_EQ(test, n->ar.start, 25);
	KUNIT_EXPECT_EQ(test, n->ar.end, 100);
	KUNIT_EXPECT_EQ(test, n->nr_accesses, 7);
	KUNIT_EXPECT_EQ(test, n->age, 3);
	KUNIT_EXPECT_EQ(test, n->last_nr_accesses, 5);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 2);
	damon_free_target(t);
}

/* set_regions: a table of (existing regions, ranges, alignment) -> result */
struct set_regions_case {
	const char *name;
	struct range_spec init[4];
	int nr_init;
	struct damon_addr_range ranges[4];
	int nr_ranges;
	unsigned long msz;
	int err;
	struct range_spec expect[6];
	int nr_expect;
};

static const struct set_regions_case set_regions_cases[] = {
	{
		.name = "empty target gets one region per range",
		.nr_init = 0,
		.ranges = { {0, 10}, {20, 30} }, .nr_ranges = 2, .msz = 1,
		.expect = { {0, 10}, {20, 30} }, .nr_expect = 2,
	}, {
		.name = "ranges widened to the alignment",
		.nr_init = 0,
		.ranges = { {100, 5000} }, .nr_ranges = 1, .msz = 4096,
		.expect = { {0, 8192} }, .nr_expect = 1,
	}, {
		.name = "overlapping ranges rejected",
		.init = { {0, 10} }, .nr_init = 1,
		.ranges = { {0, 20}, {10, 30} }, .nr_ranges = 2, .msz = 1,
		.err = -EINVAL,
		.expect = { {0, 10} }, .nr_expect = 1,
	}, {
		.name = "ranges overlapping after alignment rejected",
		.nr_init = 0,
		.ranges = { {0, 100}, {200, 300} }, .nr_ranges = 2,
		.msz = 4096, .err = -EINVAL, .nr_expect = 0,
	}, {
		.name = "unsorted ranges rejected",
		.nr_init = 0,
		.ranges = { {20, 30}, {0, 10} }, .nr_ranges = 2, .msz = 1,
		.err = -EINVAL, .nr_expect = 0,
	}, {
		.name = "empty range rejected",
		.init = { {0, 10} }, .nr_init = 1,
		.ranges = { {5, 5} }, .nr_ranges = 1, .msz = 1,
		.err = -EINVAL,
		.expect = { {0, 10} }, .nr_expect = 1,
	}, {
		.name = "no range removes every region",
		.init = { {0, 10}, {10, 20} }, .nr_init = 2,
		.nr_ranges = 0, .msz = 1, .nr_expect = 0,
	}, {
		.name = "holes inside a range are filled",
		.init = { {0, 10}, {20, 30}, {50, 60} }, .nr_init = 3,
		.ranges = { {0, 60} }, .nr_ranges = 1, .msz = 1,
		.expect = { {0, 10}, {10, 20}, {20, 30}, {30, 50}, {50, 60} },
		.nr_expect = 5,
	}, {
		.name = "regions trimmed, stretched and dropped",
		.init = { {0, 10}, {15, 25}, {40, 50}, {70, 80} }, .nr_init = 4,
		.ranges = { {5, 30}, {35, 45} }, .nr_ranges = 2, .msz = 1,
		.expect = { {5, 10}, {10, 15}, {15, 30}, {35, 45} },
		.nr_expect = 4,
	}, {
		.name = "a region spanning two ranges is split",
		.init = { {0, 100} }, .nr_init = 1,
		.ranges = { {10, 20}, {50, 60} }, .nr_ranges = 2, .msz = 1,
		.expect = { {10, 20}, {50, 60} }, .nr_expect = 2,
	},
};

KUNIT_ARRAY_PARAM_DESC(set_regions, set_regions_cases, name);

static void damon_regions_set_regions(struct kunit *test)
{
	const struct set_regions_case *c = test->param_value;
	struct damon_target *t = new_target_with(test, c->init, c->nr_init);
	struct damon_region *r;
	int err;

	damon_for_each_region(r, t) {
		r->nr_accesses = 42;
		r->age = 9;
	}
	err = damon_set_regions(t, (struct damon_addr_range *)c->ranges,
				c->nr_ranges, c->msz);
	KUNIT_EXPECT_EQ(test, err, c->err);
	expect_regions(test, t, c->expect, c->nr_expect);
	damon_free_target(t);
}

static void damon_regions_set_regions_keeps_counters(struct kunit *test)
{
	static const struct range_spec init[] = { {0, 100} };
	struct damon_addr_range ranges[] = { {10, 20}, {50, 60} };
	struct damon_target *t = new_target_with(test, init, 1);
	struct damon_region *r;

	damon_first_region(t)->nr_accesses = 5;
	damon_first_region(t)->age = 4;
	KUNIT_ASSERT_EQ(test, damon_set_regions(t, ranges, 2, 1), 0);
	damon_for_each_region(r, t) {
		KUNIT_EXPECT_EQ(test, r->nr_accesses, 5);
		KUNIT_EXPECT_EQ(test, r->age, 4);
	}
	/* a filled hole starts from zero */
	ranges[0].end = 60;
	KUNIT_ASSERT_EQ(test, damon_set_regions(t, ranges, 1, 1), 0);
	KUNIT_ASSERT_EQ(test, damon_nr_regions(t), 3);
	KUNIT_EXPECT_EQ(test, nth_region(t, 1)->nr_accesses, 0);
	KUNIT_EXPECT_EQ(test, nth_region(t, 1)->ar.start, 20);
	KUNIT_EXPECT_EQ(test, nth_region(t, 1)->ar.end, 50);
	damon_free_target(t);
}

static void damon_regions_merge_threshold(struct kunit *test)
{
	static const struct range_spec init[] = {
		{0, 10}, {10, 20}, {20, 30}, {30, 40}, {40, 50}, {60, 70},
	};
	static const unsigned int nr[] = { 0, 1, 5, 6, 20, 20 };
	static const struct range_spec expect[] = {
		{0, 20}, {20, 40}, {40, 50}, {60, 70},
	};
	struct damon_target *t = new_target_with(test, init, 6);
	struct damon_region *r;
	int i = 0;

	damon_for_each_region(r, t)
		r->nr_accesses = nr[i++];
	damon_merge_target_regions(t, 1, 1000, NULL);
	/* 0~1 and 5~6 merge; 20 and 20 don't touch (hole at 50..60) */
	expect_regions(test, t, expect, 4);
	KUNIT_EXPECT_EQ(test, nth_region(t, 1)->nr_accesses, 5);

	/* the size limit wins over the threshold */
	damon_merge_target_regions(t, 100, 20, NULL);
	expect_regions(test, t, expect, 4);
	damon_merge_target_regions(t, 100, 100, NULL);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 2);
	damon_free_target(t);
}

static void damon_regions_merge_weighted(struct kunit *test)
{
	static const struct range_spec init[] = { {0, 30}, {30, 40} };
	struct damon_target *t = new_target_with(test, init, 2);
	struct damon_region *a = nth_region(t, 0), *b = nth_region(t, 1);

	a->nr_accesses = 4;
	a->age = 10;
	b->nr_accesses = 8;
	b->age = 2;
	damon_merge_target_regions(t, 10, 100, NULL);
	KUNIT_ASSERT_EQ(test, damon_nr_regions(t), 1);
	a = damon_first_region(t);
	KUNIT_EXPECT_EQ(test, a->nr_accesses, 5);	/* (4*30 + 8*10) / 40 */
	KUNIT_EXPECT_EQ(test, a->age, 8);		/* (10*30 + 2*10) / 40 */

	/* weights too big for a plain 64-bit product */
	KUNIT_EXPECT_EQ(test, damon_weighted_avg(100, ULONG_MAX / 2,
						 0, ULONG_MAX / 2), 50);
	damon_free_target(t);
}

static void damon_regions_split_bounds(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	static const struct range_spec init[] = { {0, 1000 * MSZ} };
	struct damon_target *t;
	struct damon_region *r;
	int round;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->attrs.max_nr_regions = 40;
	t = new_target_with(test, init, 1);
	damon_add_target(ctx, t);
	for (round = 0; round < 20; round++) {
		damon_adjust_split(ctx);
		KUNIT_EXPECT_LE(test, damon_total_nr_regions(ctx), 40);
		KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
		damon_for_each_region(r, t) {
			KUNIT_EXPECT_GE(test, damon_sz_region(r), MSZ);
			KUNIT_EXPECT_EQ(test, r->ar.start % MSZ, 0);
		}
	}
	KUNIT_EXPECT_GT(test, damon_total_nr_regions(ctx), 20);
	damon_destroy_ctx(ctx);
}

static void damon_regions_split_too_small(struct kunit *test)
{
	static const struct range_spec init[] = { {0, MSZ}, {MSZ, 3 * MSZ} };
	struct damon_target *t = new_target_with(test, init, 2);

	/* the one-unit region can't be split; the two-unit one only once */
	KUNIT_EXPECT_EQ(test, damon_split_target_regions(t, 3, 0, MSZ), 1);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 3);
	KUNIT_EXPECT_EQ(test, damon_split_target_regions(t, 2, 0, MSZ), 0);
	damon_free_target(t);
}

/* A guided split case: one region [0, 100) pages sampled 20 times. */
struct guided_case {
	const char *desc;
	unsigned long hit_start, hit_end;	/* in pages; end 0: no hits */
	unsigned int nr_accesses, nr_pieces;
	int nr_out;				/* 0: a random cut is expected */
	struct range_spec out[3];		/* in pages */
};

static const struct guided_case guided_cases[] = {
	{ "hot middle, three pieces", 40, 60, 8, 3,
	  3, { {0, 40}, {40, 60}, {60, 100} } },
	{ "hot middle, two pieces: the bigger idle part goes", 30, 60, 8, 2,
	  2, { {0, 60}, {60, 100} } },
	{ "idle part below 2/20 of the region is kept", 5, 60, 8, 3,
	  2, { {0, 60}, {60, 100} } },
	{ "hot to the end: one cut", 50, 100, 10, 3,
	  2, { {0, 50}, {50, 100} } },
	{ "one accessed sample: its page is cut out", 40, 41, 1, 3,
	  3, { {0, 40}, {40, 41}, {41, 100} } },
	{ "one accessed sample near the start: still cut out", 3, 4, 1, 3,
	  3, { {0, 3}, {3, 4}, {4, 100} } },
	{ "one accessed sample on the first page: one cut", 0, 1, 1, 3,
	  2, { {0, 1}, {1, 100} } },
	{ "no accessed sample", 0, 0, 0, 3, 0 },
	{ "accessed samples everywhere", 2, 99, 20, 3, 0 },
};

KUNIT_ARRAY_PARAM_DESC(guided, guided_cases, desc);

static void damon_regions_guided_split(struct kunit *test)
{
	const struct guided_case *c = test->param_value;
	static const struct range_spec init[] = { {0, 100 * MSZ} };
	struct damon_target *t = new_target_with(test, init, 1);
	struct damon_region *r = damon_first_region(t);
	struct range_spec out[3];
	int i;

	r->nr_accesses = c->nr_accesses;
	if (c->hit_end)
		/* not page aligned: cuts round outwards to whole pages */
		damon_region_set_hits(r, c->hit_start * MSZ + 7,
				      c->hit_end * MSZ - 5);
	if (!c->nr_out) {
		KUNIT_EXPECT_EQ(test,
				damon_split_target_regions(t, c->nr_pieces, 20,
							   MSZ), 1);
		KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
		damon_free_target(t);
		return;
	}
	for (i = 0; i < c->nr_out; i++)
		out[i] = (struct range_spec){ c->out[i].start * MSZ,
					      c->out[i].end * MSZ };
	KUNIT_EXPECT_EQ(test, damon_split_target_regions(t, c->nr_pieces, 20,
							 MSZ), c->nr_out - 1);
	expect_regions(test, t, out, c->nr_out);
	/* the accessed samples stay with the pieces they fell in */
	damon_for_each_region(r, t) {
		unsigned long lo, hi;

		if (damon_region_hits(r, &lo, &hi))
			KUNIT_EXPECT_TRUE(test, r->ar.start <= lo &&
					  lo < hi && hi <= r->ar.end);
	}
	damon_free_target(t);
}

/*
 * Edge cuts: a cold region next to a small hot one gives it a piece of the
 * hot one's size; not next to a big one, nor to one only a sample hotter.
 */
static void damon_regions_edge_split(struct kunit *test)
{
	static const struct range_spec init[] = {
		{0, 100 * MSZ}, {100 * MSZ, 104 * MSZ}, {104 * MSZ, 200 * MSZ},
		{200 * MSZ, 300 * MSZ}, {300 * MSZ, 400 * MSZ},
	};
	static const unsigned int acc[] = { 0, 20, 0, 1, 0 };
	static const struct range_spec out[] = {
		{0, 96 * MSZ}, {96 * MSZ, 100 * MSZ}, {100 * MSZ, 104 * MSZ},
		{104 * MSZ, 108 * MSZ}, {108 * MSZ, 200 * MSZ},
	};
	struct damon_target *t = new_target_with(test, init, 5);
	struct damon_region *r;
	int i = 0;

	damon_for_each_region(r, t)
		r->nr_accesses = acc[i++];
	/* regions 0, 2: edge cuts; 1 (hot, no hits): random; 3, 4: random */
	KUNIT_EXPECT_EQ(test, damon_split_target_regions(t, 3, 20, MSZ), 5);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
	/* pieces 2 and 3 are the hot region's random halves */
	KUNIT_EXPECT_EQ(test, nth_region(t, 0)->ar.end, out[0].end);
	KUNIT_EXPECT_EQ(test, nth_region(t, 1)->ar.end, out[1].end);
	KUNIT_EXPECT_EQ(test, nth_region(t, 4)->ar.start, out[2].end);
	KUNIT_EXPECT_EQ(test, nth_region(t, 4)->ar.end, out[3].end);
	KUNIT_EXPECT_EQ(test, nth_region(t, 5)->ar.end, out[4].end);
	damon_free_target(t);
}

/*
 * Random cuts back off with age: a young region is cut, an old one only at
 * ages 2^n - 1; accessed samples cut a region whatever its age.
 */
static void damon_regions_random_cut_backoff(struct kunit *test)
{
	static const struct range_spec init[] = { {0, 100 * MSZ} };
	static const struct { unsigned int age; bool hit; int added; } c[] = {
		{ 0, false, 1 }, { 7, false, 1 }, { 8, false, 0 },
		{ 20, false, 0 }, { 31, false, 1 }, { 32, false, 0 },
		{ 20, true, 2 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct damon_target *t = new_target_with(test, init, 1);
		struct damon_region *r = damon_first_region(t);

		r->age = c[i].age;
		if (c[i].hit) {
			r->nr_accesses = 1;
			damon_region_set_hits(r, 50 * MSZ, 51 * MSZ);
		}
		KUNIT_EXPECT_EQ_MSG(test, damon_split_target_regions(t, 3, 20,
								     MSZ),
				    c[i].added, "age %u", c[i].age);
		damon_free_target(t);
	}
}

/*
 * The simulations: a context of one target over @init with 20 samples per
 * aggregation, adjusted as the kdamond does.
 */
static struct damon_ctx *sim_new_ctx(struct kunit *test,
				     const struct range_spec *init,
				     unsigned int max_nr_regions,
				     struct damon_target **tp)
{
	struct damon_ctx *ctx = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->attrs.sample_interval = 5000;
	ctx->attrs.aggr_interval = 100000;
	ctx->attrs.aggr_samples = 20;
	ctx->attrs.min_nr_regions = 10;
	ctx->attrs.max_nr_regions = max_nr_regions;
	*tp = new_target_with(test, init, 1);
	damon_add_target(ctx, *tp);
	damon_ensure_min_nr_regions(ctx);
	return ctx;
}

/*
 * One aggregation's samples of @t at random addresses, accessed where
 * @hot(@arg, address) says.  Return: the highest nr_accesses.
 */
static unsigned int sim_sample_window(struct damon_ctx *ctx,
				      struct damon_target *t,
				      bool (*hot)(const void *arg,
						  unsigned long addr),
				      const void *arg)
{
	unsigned int nr_samples = damon_max_nr_accesses(&ctx->attrs);
	unsigned int highest = 0, i;
	struct damon_region *r;

	for (i = 0; i < nr_samples; i++)
		damon_for_each_region(r, t) {
			bool accessed;

			r->sampling_addr = r->ar.start +
				get_random_u32_below(damon_sz_region(r));
			accessed = hot(arg, r->sampling_addr);
			damon_update_region_access_rate(r, accessed,
							&ctx->attrs);
			highest = max(highest, r->nr_accesses);
		}
	return highest;
}

/* The hot range of the isolation runs, in pages of a 1000-page target. */
#define SIM_HOT_START	437
#define SIM_HOT_END	471
#define SIM_MAX_WINDOWS	100

static bool sim_sample_hot(const void *arg, unsigned long addr)
{
	return addr >= SIM_HOT_START * MSZ && addr < SIM_HOT_END * MSZ;
}

/*
 * Whether the regions that read hot (at least half the samples) cover 90%
 * of the hot range and at most 10% of its size besides.
 */
static bool sim_isolated(struct damon_ctx *ctx)
{
	unsigned int half = damon_max_nr_accesses(&ctx->attrs) / 2;
	unsigned long hs = SIM_HOT_START * MSZ, he = SIM_HOT_END * MSZ;
	unsigned long in = 0, out = 0;
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t) {
			unsigned long s = max(r->ar.start, hs);
			unsigned long e = min(r->ar.end, he);
			unsigned long both = s < e ? e - s : 0;

			if (r->nr_accesses < half)
				continue;
			in += both;
			out += damon_sz_region(r) - both;
		}
	return in * 10 >= (he - hs) * 9 && out * 10 <= he - hs;
}

/*
 * Aggregation intervals until the hot range is isolated, adjusting the
 * regions as the kdamond does, with guided cuts or random cuts only.
 */
static unsigned int sim_windows_to_isolate(struct kunit *test, bool guided)
{
	static const struct range_spec init[] = { {0, 1000 * MSZ} };
	struct damon_target *t;
	struct damon_ctx *ctx = sim_new_ctx(test, init, 100, &t);
	struct damon_region *r;
	unsigned int w;

	for (w = 1; w < SIM_MAX_WINDOWS; w++) {
		unsigned int highest = sim_sample_window(ctx, t, sim_sample_hot,
							 NULL);

		if (sim_isolated(ctx))
			break;
		damon_adjust_merge(ctx, max(highest / 10, 1U));
		if (guided)
			damon_adjust_split(ctx);
		else if (t->nr_regions <= ctx->attrs.max_nr_regions / 2)
			damon_split_target_regions(t, 2, 0, MSZ);
		KUNIT_EXPECT_LE(test, t->nr_regions,
				ctx->attrs.max_nr_regions);
		damon_for_each_region(r, t)
			damon_region_new_window(r);
	}
	damon_destroy_ctx(ctx);
	return w;
}

static int cmp_uint(const void *a, const void *b)
{
	return *(const unsigned int *)a - *(const unsigned int *)b;
}

/*
 * Guided cuts find a 34-page hot range in 1000 pages in a few aggregation
 * intervals.  Random cuts alone are measured too, to log the difference.
 */
static void damon_regions_guided_isolates_fast(struct kunit *test)
{
	unsigned int guided[15], rnd[15];
	int i;

	for (i = 0; i < ARRAY_SIZE(guided); i++) {
		guided[i] = sim_windows_to_isolate(test, true);
		rnd[i] = sim_windows_to_isolate(test, false);
	}
	sort(guided, ARRAY_SIZE(guided), sizeof(guided[0]), cmp_uint, NULL);
	sort(rnd, ARRAY_SIZE(rnd), sizeof(rnd[0]), cmp_uint, NULL);
	kunit_info(test, "aggregations to isolate: guided median %u max %u, random-only median %u max %u\n",
		   guided[7], guided[14], rnd[7], rnd[14]);
	KUNIT_EXPECT_LE(test, guided[7], 6);
	KUNIT_EXPECT_LT(test, guided[14], SIM_MAX_WINDOWS);
	KUNIT_EXPECT_LE(test, guided[7], rnd[7]);
}

/*
 * The islands scenario of the benchmark, simulated: 32 hot islands of 16
 * pages at random places in 65536 pages, min 10 and max 1000 regions, 20
 * samples per aggregation.  The regions of at least 2 accessed samples read
 * hot; F1 of hot pages per aggregation.
 */
#define ISL_PAGES	65536
#define ISL_NR		32
#define ISL_LEN		16
#define ISL_WINDOWS	80

struct isl_sim {
	unsigned long *hot;		/* bitmap of hot pages */
	unsigned long nr_hot;
};

static bool isl_sample_hot(const void *arg, unsigned long addr)
{
	const struct isl_sim *sim = arg;

	return test_bit(addr / MSZ, sim->hot);
}

static unsigned int isl_f1_permille(const struct isl_sim *sim,
				    struct damon_target *t)
{
	unsigned long tp = 0, pred = 0, p;
	struct damon_region *r;

	damon_for_each_region(r, t) {
		if (r->nr_accesses < 2)
			continue;
		pred += damon_sz_region(r) / MSZ;
		for (p = r->ar.start / MSZ; p < r->ar.end / MSZ; p++)
			tp += test_bit(p, sim->hot);
	}
	return 2000 * tp / (sim->nr_hot + pred);
}

/*
 * One run: mean F1 (permille) of all aggregations in @f1_all, of those from
 * @from on in the return value; the most regions seen in @max_regions.
 */
static unsigned int sim_islands(struct kunit *test, unsigned int from,
				unsigned int *f1_all, unsigned int *max_regions)
{
	static const struct range_spec init[] = { {0, ISL_PAGES * MSZ} };
	unsigned int w, f1, f1_sum = 0, all_sum = 0;
	struct isl_sim sim = {};
	struct damon_target *t;
	struct damon_region *r;
	struct damon_ctx *ctx;

	sim.hot = kunit_kzalloc(test, BITS_TO_LONGS(ISL_PAGES) *
				sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim.hot);
	while (sim.nr_hot < ISL_NR * ISL_LEN) {
		unsigned long at = get_random_u32_below(ISL_PAGES / ISL_LEN) *
			ISL_LEN;

		if (test_bit(at, sim.hot))
			continue;
		bitmap_set(sim.hot, at, ISL_LEN);
		sim.nr_hot += ISL_LEN;
	}
	ctx = sim_new_ctx(test, init, 1000, &t);
	*max_regions = 0;

	for (w = 0; w < ISL_WINDOWS; w++) {
		unsigned int highest = sim_sample_window(ctx, t, isl_sample_hot,
							 &sim);

		f1 = isl_f1_permille(&sim, t);
		all_sum += f1;
		if (w >= from)
			f1_sum += f1;
		damon_adjust_merge(ctx, max(highest / 10, 1U));
		damon_adjust_split(ctx);
		damon_ensure_min_nr_regions(ctx);
		*max_regions = max(*max_regions, t->nr_regions);
		damon_for_each_region(r, t)
			damon_region_new_window(r);
	}
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
	damon_destroy_ctx(ctx);
	*f1_all = all_sum / ISL_WINDOWS;
	return f1_sum / (ISL_WINDOWS - from);
}

/*
 * Single accessed samples cut out their page, and edge cuts grow a hot
 * region into its cold neighbours: the islands are found within 2 s
 * (20 aggregations) of simulated time and then read hot, with little cold
 * memory beside them.
 */
static void damon_regions_finds_islands(struct kunit *test)
{
	unsigned int f1, f1_all, nr_regions, worst = 1000, i;

	for (i = 0; i < 5; i++) {
		f1 = sim_islands(test, 20, &f1_all, &nr_regions);
		worst = min(worst, f1);
		kunit_info(test, "islands: mean F1 %u permille from 2 s, %u from the start; at most %u regions\n",
			   f1, f1_all, nr_regions);
		KUNIT_EXPECT_LE(test, nr_regions, 1000);
	}
	KUNIT_EXPECT_GE(test, worst, 800);
}

/*
 * 130 pages in two targets, min_nr_regions 10: pieces of at most 13 pages,
 * near-equal within each target, and no more regions than the minimum:
 * 8 of the 100 pages, then the 30 pages only in two.
 */
static void damon_regions_ensure_min(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	static const struct range_spec a[] = { {0, 100 * MSZ} };
	static const struct range_spec b[] = { {1000 * MSZ, 1030 * MSZ} };
	struct damon_target *ta, *tb;
	struct damon_region *r;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->attrs.min_nr_regions = 10;
	ta = new_target_with(test, a, 1);
	tb = new_target_with(test, b, 1);
	damon_add_target(ctx, ta);
	damon_add_target(ctx, tb);
	damon_ensure_min_nr_regions(ctx);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(ta), 8);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(tb), 2);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(ta));
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(tb));
	damon_for_each_region(r, ta) {
		KUNIT_EXPECT_GE(test, damon_sz_region(r), 12 * MSZ);
		KUNIT_EXPECT_LE(test, damon_sz_region(r), 13 * MSZ);
	}
	damon_for_each_region(r, tb)
		KUNIT_EXPECT_EQ(test, damon_sz_region(r), 15 * MSZ);

	/* already enough regions: nothing changes */
	damon_ensure_min_nr_regions(ctx);
	KUNIT_EXPECT_EQ(test, damon_total_nr_regions(ctx), 10);
	damon_destroy_ctx(ctx);
}

/*
 * The case merging leaves behind: one region far bigger than its share and
 * small ones merged up to theirs.  The minimum is reached exactly, so a
 * minimum equal to max_nr_regions is not overshot.
 */
static void damon_regions_ensure_min_exact(struct kunit *test)
{
	static const struct range_spec specs[] = {
		{0, MSZ}, {MSZ, 2 * MSZ}, {2 * MSZ, 1000 * MSZ},
	};
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t = new_target_with(test, specs, 3);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->attrs.min_nr_regions = 10;
	ctx->attrs.max_nr_regions = 10;
	damon_add_target(ctx, t);
	damon_ensure_min_nr_regions(ctx);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 10);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
	KUNIT_EXPECT_EQ(test, damon_sz_region(damon_first_region(t)), MSZ);
	damon_destroy_ctx(ctx);
}

static void damon_regions_age_reset(struct kunit *test)
{
	struct damon_attrs attrs = {
		.sample_interval = 1000, .aggr_interval = 20000,
	};
	struct damon_target *t = damon_new_target();
	struct damon_region *r = damon_new_region(0, 10);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, r);
	damon_add_region(r, t);
	r->age = 5;
	r->last_nr_accesses = 10;
	r->nr_accesses = 11;	/* within 20 / 10 = 2: not significant */
	damon_age_region(r, &attrs);
	KUNIT_EXPECT_EQ(test, r->age, 6);
	r->nr_accesses = 12;	/* a difference of 2: significant */
	damon_age_region(r, &attrs);
	KUNIT_EXPECT_EQ(test, r->age, 0);
	r->nr_accesses = 10;
	damon_age_region(r, &attrs);
	KUNIT_EXPECT_EQ(test, r->age, 1);
	damon_free_target(t);
}

static void damon_regions_moving_sum(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t = damon_new_target();
	struct damon_region *r = damon_new_region(0, 10);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, r);
	ctx->attrs.sample_interval = 1000;
	ctx->attrs.aggr_interval = 10000;
	ctx->attrs.aggr_samples = 10;
	damon_add_target(ctx, t);
	damon_add_region(r, t);

	/* always accessed: the estimate stays at the maximum */
	r->nr_accesses = 10;
	damon_region_new_window(r);
	ctx->next_aggregation_sis = ctx->passed_sample_intervals + 10;
	KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 10);
	for (i = 0; i < 10; i++) {
		damon_update_region_access_rate(r, true, &ctx->attrs);
		ctx->passed_sample_intervals++;
		KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 10);
	}
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 10);

	/* stops being accessed: decays linearly to zero in one interval */
	damon_region_new_window(r);
	ctx->next_aggregation_sis = ctx->passed_sample_intervals + 10;
	for (i = 0; i < 5; i++) {
		damon_update_region_access_rate(r, false, &ctx->attrs);
		ctx->passed_sample_intervals++;
	}
	KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 5);
	for (i = 0; i < 5; i++) {
		damon_update_region_access_rate(r, false, &ctx->attrs);
		ctx->passed_sample_intervals++;
	}
	KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 0);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 0);

	/* half accessed: ends at exactly nr_accesses */
	damon_region_new_window(r);
	ctx->next_aggregation_sis = ctx->passed_sample_intervals + 10;
	for (i = 0; i < 10; i++) {
		damon_update_region_access_rate(r, i % 2, &ctx->attrs);
		ctx->passed_sample_intervals++;
	}
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 5);
	KUNIT_EXPECT_EQ(test, damon_nr_accesses_mvsum(r, ctx), 5);
	damon_destroy_ctx(ctx);
}

/* ===== Probe hit counters ===== */

/* A context of one probe per entry of @weights, never started. */
static struct damon_ctx *new_probes_ctx(struct kunit *test,
					const unsigned int *weights, int nr)
{
	struct damon_ctx *ctx = damon_new_ctx();
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	for (i = 0; i < nr; i++) {
		struct damon_probe *p = damon_new_probe();

		KUNIT_ASSERT_NOT_NULL(test, p);
		p->weight = weights[i];
		damon_add_probe(ctx, p);
	}
	damon_probes_refresh(ctx);
	return ctx;
}

/*
 * A split keeps every counter in both parts; a merge averages them by size;
 * a new window moves them to the previous window's copy.
 */
static void damon_regions_probe_hits_lifecycle(struct kunit *test)
{
	const struct range_spec specs[] = { { 0, 4 * MSZ } };
	struct damon_target *t = new_target_of(test, specs, 1, true);
	struct damon_region *l = damon_first_region(t), *r;

	memcpy(l->probe_hits, ((u8[]){ 8, 0, 255, 1 }), 4);
	memcpy(l->last_probe_hits, ((u8[]){ 4, 2, 0, 1 }), 4);
	r = damon_cut_region(t, l, MSZ);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_MEMEQ(test, r->probe_hits, l->probe_hits, 4);
	KUNIT_EXPECT_MEMEQ(test, r->last_probe_hits, l->last_probe_hits, 4);

	/* l is 1 MSZ, r 3 MSZ: the result is weighted 1:3 */
	memcpy(r->probe_hits, ((u8[]){ 0, 4, 255, 1 }), 4);
	memcpy(r->last_probe_hits, ((u8[]){ 8, 6, 0, 1 }), 4);
	damon_merge_target_regions(t, UINT_MAX, ULONG_MAX, NULL);
	KUNIT_ASSERT_EQ(test, damon_nr_regions(t), 1);
	KUNIT_EXPECT_MEMEQ(test, l->probe_hits, ((u8[]){ 2, 3, 255, 1 }), 4);
	KUNIT_EXPECT_MEMEQ(test, l->last_probe_hits, ((u8[]){ 7, 5, 0, 1 }),
			   4);

	damon_region_new_window(l);
	KUNIT_EXPECT_MEMEQ(test, l->last_probe_hits, ((u8[]){ 2, 3, 255, 1 }),
			   4);
	KUNIT_EXPECT_MEMEQ(test, l->probe_hits, ((u8[]){ 0, 0, 0, 0 }), 4);
	damon_free_target(t);
}

/*
 * Rescaling for new intervals scales the hit counters as sample counts,
 * saturating at 255 rather than wrapping.
 */
static void damon_regions_probe_hits_rescale(struct kunit *test)
{
	const struct range_spec specs[] = { { 0, MSZ } };
	struct damon_attrs old = { .sample_interval = 1000,
				   .aggr_interval = 100000 };
	struct damon_attrs new = { .sample_interval = 1000,
				   .aggr_interval = 400000 };
	struct damon_ctx *ctx = new_probes_ctx(test, (unsigned int[]){ 0 }, 1);
	struct damon_target *t = new_target_of(test, specs, 1, true);
	struct damon_region *r = damon_first_region(t);

	damon_add_target(ctx, t);
	r->probe_hits[0] = 50;		/* 100 -> 400 samples: x4 */
	r->last_probe_hits[0] = 70;	/* 280: saturates */
	damon_rescale_regions(ctx, &old, &new);
	KUNIT_EXPECT_EQ(test, r->probe_hits[0], 200);
	KUNIT_EXPECT_EQ(test, r->last_probe_hits[0], 255);
	damon_rescale_regions(ctx, &new, &old);
	KUNIT_EXPECT_EQ(test, r->probe_hits[0], 50);
	damon_destroy_ctx(ctx);
}

/*
 * The attributes-only mode scores regions by the weighted sum of hits:
 * regions whose accesses differ but whose weighted hits are alike merge;
 * an unweighted probe's hits do not count.
 */
static void damon_regions_probe_merge_by_wsum(struct kunit *test)
{
	const struct range_spec specs[] = {
		{ 0, MSZ }, { MSZ, 2 * MSZ }, { 2 * MSZ, 3 * MSZ },
	};
	struct damon_ctx *ctx = new_probes_ctx(test,
					       (unsigned int[]){ 2, 0 }, 2);
	struct damon_target *t = new_target_of(test, specs, 3, true);

	damon_add_target(ctx, t);
	/* wsums 20, 22, 2: the first two are within 2 of each other */
	nth_region(t, 0)->probe_hits[0] = 10;
	nth_region(t, 0)->nr_accesses = 0;
	nth_region(t, 1)->probe_hits[0] = 11;
	nth_region(t, 1)->nr_accesses = 20;
	nth_region(t, 1)->probe_hits[1] = 200;	/* weight 0: ignored */
	nth_region(t, 2)->probe_hits[0] = 1;
	KUNIT_EXPECT_EQ(test, damon_probe_hits_wsum(nth_region(t, 1), false,
						    false, ctx), 22);
	damon_merge_target_regions(t, 2, ULONG_MAX, ctx);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 2);
	KUNIT_EXPECT_EQ(test, damon_first_region(t)->ar.end, 2 * MSZ);
	damon_destroy_ctx(ctx);
}

/*
 * Aging on weighted hits: a change below the threshold ages, one at it
 * resets, and hits that appear or vanish reset however small they are.
 */
static void damon_regions_probe_age_wsum(struct kunit *test)
{
	struct damon_ctx *ctx = new_probes_ctx(test, (unsigned int[]){ 1 }, 1);
	const struct range_spec specs[] = { { 0, MSZ } };
	struct damon_target *t = new_target_of(test, specs, 1, true);
	struct damon_region *r = damon_first_region(t);

	damon_add_target(ctx, t);
	r->age = 3;
	r->last_probe_hits[0] = 10;
	r->probe_hits[0] = 12;
	damon_age_region_wsum(r, ctx, 5);
	KUNIT_EXPECT_EQ(test, r->age, 4);
	r->probe_hits[0] = 15;
	damon_age_region_wsum(r, ctx, 5);
	KUNIT_EXPECT_EQ(test, r->age, 0);
	r->age = 3;
	r->last_probe_hits[0] = 0;
	r->probe_hits[0] = 1;
	damon_age_region_wsum(r, ctx, 5);
	KUNIT_EXPECT_EQ(test, r->age, 0);
	r->last_probe_hits[0] = 0;
	r->probe_hits[0] = 0;
	damon_age_region_wsum(r, ctx, 5);
	KUNIT_EXPECT_EQ(test, r->age, 1);
	damon_destroy_ctx(ctx);
}

/* ===== Region object size and the packed accessed-sample bounds ===== */

/* Regions of any size get back bounds covering the stored ones, within a unit. */
static void damon_regions_hit_bounds_packed(struct kunit *test)
{
	static const unsigned long sizes[] = {
		10 * MSZ, 100 * SZ_1M, SZ_1G, ULONG_MAX / 4096, ULONG_MAX / 2,
	};
	int i;

	KUNIT_EXPECT_LE(test, DAMON_REGION_BASE_SIZE,
			IS_ENABLED(CONFIG_64BIT) ? 56 : 36);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned long start = 16 * MSZ, sz = sizes[i];
		unsigned long unit = max(sz >> 14, 1UL), lo, hi;
		unsigned long a = start + sz / 3 + 5, b = start + sz / 2 + 3;
		const struct range_spec spec = { start, start + sz };
		struct damon_target *t = new_target_with(test, &spec, 1);
		struct damon_region *r = damon_first_region(t);

		KUNIT_EXPECT_FALSE(test, damon_region_hits(r, &lo, &hi));
		damon_region_set_hits(r, a, b);
		KUNIT_ASSERT_TRUE(test, damon_region_hits(r, &lo, &hi));
		KUNIT_EXPECT_TRUE(test, lo <= a && a - lo < unit);
		KUNIT_EXPECT_TRUE(test, hi >= b && hi - b < unit);
		/* a hit at the very end, and one outside, which is ignored */
		damon_region_set_hits(r, start + sz - 1, start + sz + 100);
		KUNIT_ASSERT_TRUE(test, damon_region_hits(r, &lo, &hi));
		KUNIT_EXPECT_EQ(test, hi, start + sz);
		damon_region_set_hits(r, 0, start);
		KUNIT_EXPECT_FALSE(test, damon_region_hits(r, &lo, &hi));
		damon_free_target(t);
	}
}

/* The bounds follow the pieces of a cut and the result of a merge. */
static void damon_regions_hit_bounds_cut_merge(struct kunit *test)
{
	const struct range_spec specs[] = { { 0, SZ_1G } };
	struct damon_target *t = new_target_with(test, specs, 1);
	struct damon_region *l = damon_first_region(t), *r;
	unsigned long lo, hi;

	damon_region_set_hits(l, SZ_128M, SZ_256M);
	r = damon_cut_region(t, l, SZ_512M);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_TRUE(test, damon_region_hits(l, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, SZ_128M);
	KUNIT_EXPECT_EQ(test, hi, SZ_256M);
	KUNIT_EXPECT_FALSE(test, damon_region_hits(r, &lo, &hi));

	damon_region_set_hits(r, SZ_512M + SZ_256M, SZ_512M + SZ_256M + MSZ);
	damon_merge_target_regions(t, UINT_MAX, ULONG_MAX, NULL);
	KUNIT_ASSERT_EQ(test, damon_nr_regions(t), 1);
	KUNIT_ASSERT_TRUE(test, damon_region_hits(l, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, SZ_128M);
	/* 1 GiB in units of 64 KiB: the end rounds up to one */
	KUNIT_EXPECT_EQ(test, hi, SZ_512M + SZ_256M + SZ_64K);
	damon_free_target(t);
}

/*
 * A context gets the probe counters in its regions only while it has
 * probes; what else the regions hold survives the reallocation both ways.
 */
static void damon_regions_fit_probe_storage(struct kunit *test)
{
	const struct range_spec specs[] = { { 0, MSZ }, { MSZ, 5 * MSZ } };
	struct damon_ctx *ctx = new_probes_ctx(test, NULL, 0);
	struct damon_target *t = new_target_with(test, specs, 2);
	struct damon_probe *p = damon_new_probe();
	struct damon_region *r;
	unsigned long lo, hi;

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->weight = 1;
	damon_add_target(ctx, t);
	r = nth_region(t, 1);
	r->sampling_addr = 2 * MSZ;
	r->nr_accesses = 7;
	r->last_nr_accesses = 9;
	r->age = 11;
	damon_region_set_hits(r, 2 * MSZ, 3 * MSZ);

	damon_fit_region_storage(ctx);
	KUNIT_EXPECT_PTR_EQ(test, nth_region(t, 1), r);
	KUNIT_EXPECT_FALSE(test, damon_region_has_probes(r));
	damon_add_probe(ctx, p);
	damon_probes_refresh(ctx);
	KUNIT_EXPECT_EQ(test, damon_probe_hits_wsum(r, false, false, ctx), 0);

	damon_fit_region_storage(ctx);
	KUNIT_EXPECT_EQ(test, damon_nr_regions(t), 2);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
	KUNIT_EXPECT_TRUE(test, damon_region_has_probes(nth_region(t, 0)));
	r = nth_region(t, 1);
	KUNIT_ASSERT_TRUE(test, damon_region_has_probes(r));
	KUNIT_EXPECT_MEMEQ(test, r->probe_hits, ((u8[]){ 0, 0, 0, 0 }), 4);
	KUNIT_EXPECT_EQ(test, r->sampling_addr, 2 * MSZ);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 7);
	KUNIT_EXPECT_EQ(test, r->last_nr_accesses, 9);
	KUNIT_EXPECT_EQ(test, r->age, 11);
	KUNIT_ASSERT_TRUE(test, damon_region_hits(r, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, 2 * MSZ);
	KUNIT_EXPECT_EQ(test, hi, 3 * MSZ);
	r->probe_hits[0] = 3;
	KUNIT_EXPECT_EQ(test, damon_probe_hits_wsum(r, false, false, ctx), 3);

	damon_destroy_probes(ctx);
	damon_fit_region_storage(ctx);
	r = nth_region(t, 1);
	KUNIT_EXPECT_FALSE(test, damon_region_has_probes(r));
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 7);
	KUNIT_EXPECT_EQ(test, r->age, 11);
	KUNIT_EXPECT_TRUE(test, damon_regions_valid(t));
	damon_destroy_ctx(ctx);
}

static struct kunit_case damon_regions_test_cases[] = {
	KUNIT_CASE(damon_regions_list_ops),
	KUNIT_CASE(damon_regions_split_at_keeps_counters),
	KUNIT_CASE_PARAM(damon_regions_set_regions, set_regions_gen_params),
	KUNIT_CASE(damon_regions_set_regions_keeps_counters),
	KUNIT_CASE(damon_regions_merge_threshold),
	KUNIT_CASE(damon_regions_merge_weighted),
	KUNIT_CASE(damon_regions_split_bounds),
	KUNIT_CASE(damon_regions_split_too_small),
	KUNIT_CASE_PARAM(damon_regions_guided_split, guided_gen_params),
	KUNIT_CASE(damon_regions_guided_isolates_fast),
	KUNIT_CASE(damon_regions_edge_split),
	KUNIT_CASE(damon_regions_random_cut_backoff),
	KUNIT_CASE_SLOW(damon_regions_finds_islands),
	KUNIT_CASE(damon_regions_ensure_min),
	KUNIT_CASE(damon_regions_ensure_min_exact),
	KUNIT_CASE(damon_regions_age_reset),
	KUNIT_CASE(damon_regions_moving_sum),
	KUNIT_CASE(damon_regions_probe_hits_lifecycle),
	KUNIT_CASE(damon_regions_probe_hits_rescale),
	KUNIT_CASE(damon_regions_probe_merge_by_wsum),
	KUNIT_CASE(damon_regions_probe_age_wsum),
	KUNIT_CASE(damon_regions_hit_bounds_packed),
	KUNIT_CASE(damon_regions_hit_bounds_cut_merge),
	KUNIT_CASE(damon_regions_fit_probe_storage),
	{}
};

static struct kunit_suite damon_regions_test_suite = {
	.name = "damon_regions",
	.test_cases = damon_regions_test_cases,
};

kunit_test_suite(damon_regions_test_suite);

MODULE_DESCRIPTION("KUnit tests for DAMON's adaptive regions adjustment");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for what the operation sets do with a scheme's action: the
 * ops-layer filter decision (on a table of fake folio properties, so every
 * combination of matching, allow and default is covered without real
 * memory), the weighted choice of migration destinations, and paddr's
 * apply_scheme on a real, unmapped page-cache folio at several address
 * units (filters, sz_filter_passed and the LRU actions).
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/swap.h>

#include "../damos.h"
#include "../ops-common.h"
#include "real_folio.h"

KUNIT_DEFINE_ACTION_WRAPPER(destroy_scheme, damon_destroy_scheme,
			    struct damos *);

static struct damos *new_scheme(struct kunit *test, enum damos_action action)
{
	struct damos_access_pattern all = {
		.max_sz_region = ULONG_MAX,
		.max_nr_accesses = UINT_MAX,
		.max_age_region = UINT_MAX,
	};
	struct damos_watermarks none = { .metric = DAMOS_WMARK_NONE };
	struct damos_quota unlimited = {};
	struct damos *s = damon_new_scheme(&all, action, 0, &unlimited, &none,
					   NUMA_NO_NODE);

	KUNIT_ASSERT_NOT_NULL(test, s);
	defer(test, destroy_scheme, s);
	return s;
}

static struct damos_filter *add_filter(struct kunit *test, struct damos *s,
				       enum damos_filter_type type,
				       bool matching, bool allow)
{
	struct damos_filter *f = damos_new_filter(type, matching, allow);

	KUNIT_ASSERT_NOT_NULL(test, f);
	damos_add_filter(s, f);
	damos_set_filters_default(s);
	return f;
}

/* ===== Filter decision table ===== */

/* What a fake folio "has": one bit per filter type, and a call counter. */
struct fake_folio {
	unsigned long types;
	unsigned int nr_calls;
};

static bool fake_has_type(const struct damos_filter *f, void *arg)
{
	struct fake_folio *folio = arg;

	folio->nr_calls++;
	return folio->types & BIT(f->type);
}

struct filter_spec {
	enum damos_filter_type type;
	bool matching;
	bool allow;
};

/*
 * One row: up to two ops filters, the fake folio's properties, the
 * expected decision and how many filters had to be looked at.
 */
struct filter_case {
	const char *desc;
	unsigned int nr;
	struct filter_spec f[2];
	unsigned long types;
	bool allowed;
	unsigned int nr_calls;
};

#define ANON	DAMOS_FILTER_TYPE_ANON
#define ACTIVE	DAMOS_FILTER_TYPE_ACTIVE

static const struct filter_case filter_cases[] = {
	{ "empty list allows", 0, {}, 0, true, 0 },
	{ "empty list allows anything", 0, {}, BIT(ANON), true, 0 },
	/* one filter: the four matching x allow combos, on both folios */
	{ "match allow, has", 1, { { ANON, true, true } }, BIT(ANON), true, 1 },
	{ "match allow, lacks -> default reject", 1, { { ANON, true, true } },
	  0, false, 1 },
	{ "match reject, has", 1, { { ANON, true, false } }, BIT(ANON),
	  false, 1 },
	{ "match reject, lacks -> default allow", 1,
	  { { ANON, true, false } }, 0, true, 1 },
	{ "nomatch allow, lacks", 1, { { ANON, false, true } }, 0, true, 1 },
	{ "nomatch allow, has -> default reject", 1,
	  { { ANON, false, true } }, BIT(ANON), false, 1 },
	{ "nomatch reject, lacks", 1, { { ANON, false, false } }, 0, false, 1 },
	{ "nomatch reject, has -> default allow", 1,
	  { { ANON, false, false } }, BIT(ANON), true, 1 },
	/* first match wins, later filters are not evaluated */
	{ "first wins: reject before allow", 2,
	  { { ANON, true, false }, { ACTIVE, true, true } },
	  BIT(ANON) | BIT(ACTIVE), false, 1 },
	{ "first wins: allow before reject", 2,
	  { { ANON, true, true }, { ACTIVE, true, false } },
	  BIT(ANON) | BIT(ACTIVE), true, 1 },
	{ "second decides", 2,
	  { { ANON, true, false }, { ACTIVE, true, true } },
	  BIT(ACTIVE), true, 2 },
	/* the default follows the last filter, not the first */
	{ "default from last: reject then allow", 2,
	  { { ANON, true, false }, { ACTIVE, true, true } }, 0, false, 2 },
	{ "default from last: allow then reject", 2,
	  { { ANON, true, true }, { ACTIVE, true, false } }, 0, true, 2 },
};

KUNIT_ARRAY_PARAM_DESC(filter_case, filter_cases, desc);

static void damon_ops_filters_table(struct kunit *test)
{
	const struct filter_case *c = test->param_value;
	struct damos *s = new_scheme(test, DAMOS_STAT);
	struct fake_folio folio = { .types = c->types };
	unsigned int i;

	damos_set_filters_default(s);
	for (i = 0; i < c->nr; i++)
		add_filter(test, s, c->f[i].type, c->f[i].matching,
			   c->f[i].allow);
	KUNIT_EXPECT_EQ(test, damon_ops_filters_allow(s, fake_has_type,
						      &folio), c->allowed);
	KUNIT_EXPECT_EQ(test, folio.nr_calls, c->nr_calls);
}

/* Core filters are not the ops layer's business. */
static void damon_ops_filters_ignore_core(struct kunit *test)
{
	struct damos *s = new_scheme(test, DAMOS_STAT);
	struct fake_folio folio = {};

	add_filter(test, s, DAMOS_FILTER_TYPE_ADDR, true, true);
	KUNIT_EXPECT_TRUE(test, damon_ops_filters_allow(s, fake_has_type,
							&folio));
	KUNIT_EXPECT_EQ(test, folio.nr_calls, 0);
}

/* ===== Weighted destinations ===== */

#define NR_KEYS	10000

/* Count the picks of NR_KEYS consecutive keys (e.g. pfns). */
static void count_picks(const unsigned int *weights, unsigned int nr,
			unsigned int *counts)
{
	unsigned long key;

	memset(counts, 0, nr * sizeof(*counts));
	for (key = 0x12345; key < 0x12345 + NR_KEYS; key++)
		counts[damon_pick_dest(weights, nr, key)]++;
}

/* Within 3 percentage points of @share_pct of NR_KEYS. */
#define EXPECT_SHARE(test, count, share_pct)				\
	KUNIT_EXPECT_LE(test, abs((int)(count) * 100 - (share_pct) * NR_KEYS), \
			3 * NR_KEYS)

static void damon_pick_dest_proportions(struct kunit *test)
{
	const unsigned int weights[] = { 1, 3 };
	const unsigned int three[] = { 2, 5, 3 };
	unsigned int counts[3];

	count_picks(weights, 2, counts);
	EXPECT_SHARE(test, counts[0], 25);
	EXPECT_SHARE(test, counts[1], 75);

	count_picks(three, 3, counts);
	EXPECT_SHARE(test, counts[0], 20);
	EXPECT_SHARE(test, counts[1], 50);
	EXPECT_SHARE(test, counts[2], 30);
}

static void damon_pick_dest_zero_weights(struct kunit *test)
{
	const unsigned int one_nonzero[] = { 0, 7, 0 };
	const unsigned int all_zero[] = { 0, 0 };
	unsigned int counts[3];

	count_picks(one_nonzero, 3, counts);
	KUNIT_EXPECT_EQ(test, counts[0], 0);
	KUNIT_EXPECT_EQ(test, counts[1], NR_KEYS);
	KUNIT_EXPECT_EQ(test, counts[2], 0);

	/* no preference at all: an even spread */
	count_picks(all_zero, 2, counts);
	EXPECT_SHARE(test, counts[0], 50);
	EXPECT_SHARE(test, counts[1], 50);
}

static void damon_pick_dest_single_and_stable(struct kunit *test)
{
	const unsigned int single[] = { 1 };
	const unsigned int big[] = { UINT_MAX, UINT_MAX };
	unsigned int counts[2];
	unsigned long key;

	count_picks(single, 1, counts);
	KUNIT_EXPECT_EQ(test, counts[0], NR_KEYS);
	/* sums beyond 32 bits must not overflow */
	count_picks(big, 2, counts);
	EXPECT_SHARE(test, counts[0], 50);
	/* the same key always gets the same destination */
	for (key = 0; key < 100; key++)
		KUNIT_EXPECT_EQ(test, damon_pick_dest(big, 2, key),
				damon_pick_dest(big, 2, key));
}

/* ===== paddr apply_scheme on a real folio ===== */

/* A paddr context and region covering exactly the page of @folio. */
static struct damon_region *new_region(struct kunit *test,
				       struct folio *folio,
				       unsigned long unit,
				       struct damon_ctx **ctxp)
{
	*ctxp = new_ctx(test, PFN_PHYS(folio_pfn(folio)), unit);
	return only_region(*ctxp);
}

static unsigned long apply(struct damon_ctx *ctx, struct damon_region *r,
			   struct damos *s, unsigned long *passed)
{
	struct damon_target *t = list_first_entry(&ctx->adaptive_targets,
						  struct damon_target, list);
	unsigned long applied;

	damos_set_filters_default(s);
	applied = ctx->ops.apply_scheme(ctx, t, r, s, passed);
	/* the LRU actions may leave the folio in another CPU's batch */
	lru_add_drain_all();
	return applied;
}

/*
 * sz_filter_passed and the applied size are in address units: a page is
 * PAGE_SIZE / unit of them.  The folio is unmapped page cache.
 */
static void damon_paddr_filter_units(struct kunit *test)
{
	const unsigned long *unit = test->param_value;
	unsigned long page_units = PAGE_SIZE / *unit;
	struct folio *folio = new_lru_folio(test, "damon_paddr_actions_kunit");
	struct damos *s = new_scheme(test, DAMOS_STAT);
	struct damos_filter *f;
	struct damon_ctx *ctx;
	struct damon_region *r = new_region(test, folio, *unit, &ctx);
	unsigned long passed;

	/* no ops filter: everything passes without a walk */
	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), page_units);
	KUNIT_EXPECT_EQ(test, passed, page_units);

	f = add_filter(test, s, DAMOS_FILTER_TYPE_UNMAPPED, true, true);
	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), page_units);
	KUNIT_EXPECT_EQ(test, passed, page_units);

	/* page cache is not anonymous: an allow-anon list rejects it */
	f->type = DAMOS_FILTER_TYPE_ANON;
	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), page_units);
	KUNIT_EXPECT_EQ(test, passed, 0);

	/* an order-0 folio is within [PAGE_SIZE, PAGE_SIZE] */
	f->type = DAMOS_FILTER_TYPE_HUGEPAGE_SIZE;
	f->sz_range.min = PAGE_SIZE;
	f->sz_range.max = PAGE_SIZE;
	apply(ctx, r, s, &passed);
	KUNIT_EXPECT_EQ(test, passed, page_units);
	f->sz_range.min = PAGE_SIZE + 1;
	f->sz_range.max = ULONG_MAX;
	apply(ctx, r, s, &passed);
	KUNIT_EXPECT_EQ(test, passed, 0);
}

/* lru_deprio and lru_prio move the folio between the LRU lists. */
static void damon_paddr_lru_actions(struct kunit *test)
{
	const unsigned long *unit = test->param_value;
	unsigned long page_units = PAGE_SIZE / *unit;
	struct folio *folio = new_lru_folio(test, "damon_paddr_actions_kunit");
	struct damos *prio = new_scheme(test, DAMOS_LRU_PRIO);
	struct damos *deprio = new_scheme(test, DAMOS_LRU_DEPRIO);
	struct damon_ctx *ctx;
	struct damon_region *r = new_region(test, folio, *unit, &ctx);
	unsigned long passed;

	if (lru_gen_enabled())
		kunit_skip(test, "MGLRU has no active/inactive lists");
	KUNIT_EXPECT_EQ(test, apply(ctx, r, prio, &passed), page_units);
	KUNIT_EXPECT_EQ(test, passed, page_units);
	KUNIT_EXPECT_TRUE(test, folio_test_active(folio));

	KUNIT_EXPECT_EQ(test, apply(ctx, r, deprio, &passed), page_units);
	KUNIT_EXPECT_FALSE(test, folio_test_active(folio));

	/* a rejecting filter keeps the action off the folio */
	add_filter(test, prio, DAMOS_FILTER_TYPE_UNMAPPED, true, false);
	KUNIT_EXPECT_EQ(test, apply(ctx, r, prio, &passed), 0);
	KUNIT_EXPECT_EQ(test, passed, 0);
	KUNIT_EXPECT_FALSE(test, folio_test_active(folio));
}

/* Actions that mean nothing for physical memory apply to nothing. */
static void damon_paddr_madvise_actions_apply_nothing(struct kunit *test)
{
	struct folio *folio = new_lru_folio(test, "damon_paddr_actions_kunit");
	struct damos *s = new_scheme(test, DAMOS_WILLNEED);
	struct damon_ctx *ctx;
	struct damon_region *r = new_region(test, folio, 1, &ctx);
	unsigned long passed = 1;

	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), 0);
	KUNIT_EXPECT_EQ(test, passed, 0);
}

/*
 * Migration to no node (target_nid -1, or an invalid id) leaves the folio
 * where it is, back on its LRU list.
 */
static void damon_paddr_migrate_nowhere(struct kunit *test)
{
	struct folio *folio = new_lru_folio(test, "damon_paddr_actions_kunit");
	struct damos *s = new_scheme(test, DAMOS_MIGRATE_COLD);
	struct damon_ctx *ctx;
	struct damon_region *r = new_region(test, folio, 1, &ctx);
	int nid = folio_nid(folio);
	unsigned long passed;

	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), 0);
	KUNIT_EXPECT_EQ(test, passed, PAGE_SIZE);
	/* put back on its LRU list, on its node */
	KUNIT_EXPECT_TRUE(test, folio_test_lru(folio));
	KUNIT_EXPECT_EQ(test, folio_nid(folio), nid);

	/* nor to node ids that are no node at all */
	s->target_nid = MAX_NUMNODES;
	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), 0);
	s->target_nid = INT_MAX;
	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), 0);
	KUNIT_EXPECT_TRUE(test, folio_test_lru(folio));

	/* nor to the node it is already on */
	s->target_nid = nid;
	KUNIT_EXPECT_EQ(test, apply(ctx, r, s, &passed), 0);
	KUNIT_EXPECT_TRUE(test, folio_test_lru(folio));
}

static struct kunit_case damon_ops_actions_test_cases[] = {
	KUNIT_CASE_PARAM(damon_ops_filters_table, filter_case_gen_params),
	KUNIT_CASE(damon_ops_filters_ignore_core),
	KUNIT_CASE(damon_pick_dest_proportions),
	KUNIT_CASE(damon_pick_dest_zero_weights),
	KUNIT_CASE(damon_pick_dest_single_and_stable),
	KUNIT_CASE_PARAM(damon_paddr_filter_units, addr_unit_gen_params),
	KUNIT_CASE_PARAM(damon_paddr_lru_actions, addr_unit_gen_params),
	KUNIT_CASE(damon_paddr_madvise_actions_apply_nothing),
	KUNIT_CASE(damon_paddr_migrate_nowhere),
	{}
};

static struct kunit_suite damon_ops_actions_test_suite = {
	.name = "damon_ops_actions",
	.test_cases = damon_ops_actions_test_cases,
};

kunit_test_suite(damon_ops_actions_test_suite);

MODULE_DESCRIPTION("KUnit tests for DAMON's ops-layer filters and actions");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the paddr operation set on real page frames: a page-cache
 * folio of a kernel-internal shmem file is sampled through the registered
 * operation set, with and without an access in between, at several address
 * units; frames DAMON must not touch (not on an LRU list, beyond memory) are
 * skipped safely; data-attribute probes count what they see of the folio.
 * The folio is never mapped, so this exercises the PG_idle
 * half of the sampling protocol; mapped folios need a process and are left
 * to the live vaddr test and the selftests.  Also checked: the default
 * regions covering all System RAM.
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/err.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/swap.h>

#include "../internal.h"
#include "../ops-common.h"
#include "real_folio.h"

KUNIT_DEFINE_ACTION_WRAPPER(free_target, damon_free_target,
			    struct damon_target *);
static void free_one_page(void *page)
{
	__free_page(page);
}

/* A page-cache folio whose accesses set PG_idle/PG_young to watch. */
static struct folio *new_watched_folio(struct kunit *test)
{
	/* MGLRU counts folio_mark_accessed() in its own bits, not PG_idle. */
	if (lru_gen_enabled())
		kunit_skip(test, "page-cache accesses are invisible with MGLRU");
	return new_lru_folio(test, "damon_paddr_kunit");
}

/* One sampling interval: prepare, optionally access, check. */
static unsigned int sample(struct damon_ctx *ctx, struct folio *accessed)
{
	ctx->ops.prepare_access_checks(ctx);
	if (accessed) {
		folio_mark_accessed(accessed);
		/* Activation may park the folio off-LRU in a per-CPU batch. */
		lru_add_drain_all();
	}
	return ctx->ops.check_accesses(ctx);
}

/* ===== Test cases ===== */

/*
 * An access through the page cache (folio_mark_accessed(), as read() does)
 * is seen in the interval it happens in, and only then; the address unit
 * only changes how the region names the frame.
 */
static void damon_paddr_sees_page_cache_access(struct kunit *test)
{
	const unsigned long *unit = test->param_value;
	struct folio *folio = new_watched_folio(test);
	struct damon_ctx *ctx = new_ctx(test, PFN_PHYS(folio_pfn(folio)),
					*unit);
	struct damon_region *r = only_region(ctx);

	KUNIT_EXPECT_EQ(test, sample(ctx, NULL), 0);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 0);
	KUNIT_EXPECT_TRUE(test, folio_test_idle(folio));

	KUNIT_EXPECT_EQ(test, sample(ctx, folio), 1);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 1);

	KUNIT_EXPECT_EQ(test, sample(ctx, NULL), 1);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 1);
	KUNIT_EXPECT_EQ(test, r->sampling_addr, r->ar.start);
}

/* The folio helpers alone: PG_idle starts the sample, clearing it ends it. */
static void damon_paddr_folio_protocol(struct kunit *test)
{
	struct folio *folio = new_watched_folio(test);
	struct folio *got = damon_get_folio(folio_pfn(folio));

	KUNIT_ASSERT_PTR_EQ(test, got, folio);
	damon_folio_mkold(got);
	KUNIT_EXPECT_FALSE(test, damon_folio_young(got));
	folio_mark_accessed(got);
	KUNIT_EXPECT_TRUE(test, damon_folio_young(got));
	folio_put(got);
}

/* Frames that are not LRU folios are never sampled, and never "accessed". */
static void damon_paddr_skips_non_lru(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct damon_ctx *ctx;

	KUNIT_ASSERT_NOT_NULL(test, page);
	defer(test, free_one_page, page);
	KUNIT_EXPECT_NULL(test, damon_get_folio(page_to_pfn(page)));
	ctx = new_ctx(test, page_to_phys(page), 1);
	KUNIT_EXPECT_EQ(test, sample(ctx, NULL), 0);
	KUNIT_EXPECT_EQ(test, sample(ctx, NULL), 0);
}

static void damon_paddr_skips_missing_frames(struct kunit *test)
{
	struct damon_ctx *ctx;

	/* Beyond the highest pfn there is no struct page at all. */
	KUNIT_EXPECT_NULL(test, damon_get_folio(max_pfn + 1));
	ctx = new_ctx(test, PFN_PHYS((phys_addr_t)max_pfn + 1), 1);
	KUNIT_EXPECT_EQ(test, sample(ctx, NULL), 0);
}

/* Append to @ctx a probe with one filter of @type allowing what has it. */
static void add_typed_probe(struct kunit *test, struct damon_ctx *ctx,
			    int type, unsigned long sz_min,
			    unsigned long sz_max)
{
	struct damon_probe *p = damon_new_probe();
	struct damon_filter *f;

	KUNIT_ASSERT_NOT_NULL(test, p);
	damon_add_probe(ctx, p);
	if (type < 0)
		return;
	f = damon_new_filter(type, true, true);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->sz_range.min = sz_min;
	f->sz_range.max = sz_max;
	damon_add_filter(p, f);
}

/*
 * The probes see the sampled folio of the access check: a page-cache folio
 * of one page is not anonymous, is of size PAGE_SIZE, and was accessed in
 * the second interval only.  A frame with no folio hits only probes that
 * allow what has no property.
 */
static void damon_paddr_probes_see_the_folio(struct kunit *test)
{
	struct folio *folio = new_watched_folio(test);
	struct damon_ctx *ctx = new_ctx(test, PFN_PHYS(folio_pfn(folio)), 1);
	struct damon_region *r;

	add_typed_probe(test, ctx, -1, 0, 0);
	add_typed_probe(test, ctx, DAMON_FILTER_TYPE_ANON, 0, 0);
	add_typed_probe(test, ctx, DAMON_FILTER_TYPE_HUGEPAGE_SIZE, PAGE_SIZE,
			PAGE_SIZE);
	add_typed_probe(test, ctx, DAMON_FILTER_TYPE_PGIDLE_UNSET, 0, 0);
	KUNIT_ASSERT_EQ(test, damon_valid_probe_params(ctx, &ctx->attrs), 0);
	damon_fit_region_storage(ctx);
	r = only_region(ctx);
	KUNIT_ASSERT_TRUE(test, damon_region_has_probes(r));

	sample(ctx, NULL);
	KUNIT_EXPECT_MEMEQ(test, r->probe_hits, ((u8[]){ 1, 0, 1, 0 }), 4);
	sample(ctx, folio);
	KUNIT_EXPECT_MEMEQ(test, r->probe_hits, ((u8[]){ 2, 0, 2, 1 }), 4);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 1);

	/* the attributes-only callbacks count hits, not accesses */
	ctx->probes_pgidle = true;
	ctx->probes_set_pgidle = true;
	ctx->ops.prep_probes(ctx);
	folio_mark_accessed(folio);
	lru_add_drain_all();
	ctx->ops.apply_probes(ctx);
	KUNIT_EXPECT_MEMEQ(test, r->probe_hits, ((u8[]){ 3, 0, 3, 2 }), 4);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 1);
}

/*
 * The all-System-RAM default covers at least the biggest System RAM
 * resource, in sorted regions, at several address units.
 */
static void damon_paddr_system_rams_default(struct kunit *test)
{
	const unsigned long *unit = test->param_value;
	unsigned long msz = max(PAGE_SIZE / *unit, 1UL);
	unsigned long start = 0, end = 0, big_start = 0, big_end = 0;
	struct damon_target *all, *big;
	struct damon_region *r;
	bool covered = false;
	int err;

	all = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, all);
	defer(test, free_target, all);
	big = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, big);
	defer(test, free_target, big);

	err = damon_set_region_biggest_system_ram_default(big, &big_start,
							  &big_end, *unit,
							  msz);
	if (err)
		kunit_skip(test, "no System RAM resource: %d", err);
	err = damon_set_region_system_rams_default(all, &start, &end, *unit,
						   msz);
	KUNIT_ASSERT_EQ(test, err, 0);

	KUNIT_EXPECT_GT(test, damon_nr_regions(all), 0);
	KUNIT_EXPECT_LE(test, start, big_start);
	KUNIT_EXPECT_GE(test, end, big_end);
	damon_for_each_region(r, all) {
		KUNIT_EXPECT_LT(test, r->ar.start, r->ar.end);
		if (r->ar.start <= big_start / *unit &&
		    big_end / *unit <= r->ar.end)
			covered = true;
	}
	KUNIT_EXPECT_TRUE(test, covered);
}

static struct kunit_case damon_paddr_test_cases[] = {
	KUNIT_CASE_PARAM(damon_paddr_sees_page_cache_access,
			 addr_unit_gen_params),
	KUNIT_CASE(damon_paddr_folio_protocol),
	KUNIT_CASE(damon_paddr_skips_non_lru),
	KUNIT_CASE(damon_paddr_skips_missing_frames),
	KUNIT_CASE(damon_paddr_probes_see_the_folio),
	KUNIT_CASE_PARAM(damon_paddr_system_rams_default, addr_unit_gen_params),
	{}
};

static struct kunit_suite damon_paddr_test_suite = {
	.name = "damon_paddr",
	.test_cases = damon_paddr_test_cases,
};

kunit_test_suite(damon_paddr_test_suite);

MODULE_DESCRIPTION("KUnit tests for DAMON's physical address operation set");
MODULE_LICENSE("GPL");

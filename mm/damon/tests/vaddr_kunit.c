// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for how the vaddr operation set turns a process's mappings into
 * monitoring regions: the three-range construction from synthetic mapping
 * layouts (typical, tiny, adjacent, single mappings, ties, rounding to the
 * minimum region size) and the update of existing regions when the mappings
 * change.  No process is involved: layouts are fed mapping by mapping, the
 * way the VMA walk feeds them.
 *
 * It also checks which madvise() advice each DAMOS action stands for, and
 * what the actions report without a process to apply them to: the effect
 * on a live process is checked by selftests/damon/damos_vaddr_actions.sh.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/damon.h>
#include <linux/mman.h>
#include <linux/sizes.h>

#include "../ops-common.h"
#include "../vaddr.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define MAX_MAPS	8

/*
 * Have @fn(@arg) run when the test ends (on failure too); the resource is
 * released right away if that cannot be arranged.
 */
static void defer(struct kunit *test, kunit_action_t *fn, void *arg)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fn, arg), 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(free_target, damon_free_target,
			    struct damon_target *);
KUNIT_DEFINE_ACTION_WRAPPER(destroy_ctx, damon_destroy_ctx,
			    struct damon_ctx *);

static struct damon_va_layout layout_of(const struct damon_addr_range *maps,
					unsigned int nr)
{
	struct damon_va_layout layout = {};
	unsigned int i;

	for (i = 0; i < nr; i++)
		damon_va_layout_add(&layout, maps[i].start, maps[i].end);
	return layout;
}

/* A target whose regions are @ranges, freed when the test ends. */
static struct damon_target *new_target(struct kunit *test,
				       const struct damon_addr_range *ranges,
				       unsigned int nr)
{
	struct damon_target *t = damon_new_target();
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	defer(test, free_target, t);
	for (i = 0; i < nr; i++) {
		struct damon_region *r;

		r = damon_new_region(ranges[i].start, ranges[i].end);
		KUNIT_ASSERT_NOT_NULL(test, r);
		damon_add_region(r, t);
	}
	return t;
}

static void expect_regions(struct kunit *test, struct damon_target *t,
			   const struct damon_addr_range *want,
			   unsigned int nr)
{
	struct damon_region *r;
	unsigned int i = 0;

	KUNIT_ASSERT_EQ(test, damon_nr_regions(t), nr);
	damon_for_each_region(r, t) {
		KUNIT_EXPECT_EQ_MSG(test, r->ar.start, want[i].start,
				    "region %u", i);
		KUNIT_EXPECT_EQ_MSG(test, r->ar.end, want[i].end,
				    "region %u", i);
		i++;
	}
}

static struct damon_region *nth_region(struct damon_target *t,
				       unsigned int n)
{
	struct damon_region *r;

	damon_for_each_region(r, t)
		if (!n--)
			return r;
	return NULL;
}

/* ===== Test cases ===== */

struct layout_case {
	const char *name;
	struct damon_addr_range maps[MAX_MAPS];
	unsigned int nr_maps;
	unsigned long min_region_sz;
	struct damon_addr_range want[3];
	unsigned int nr_want;
};

/* Addresses stay below 4 GiB so that the table also works on 32-bit. */
static const struct layout_case layout_cases[] = {
	{
		.name = "typical process: exe+heap, libraries, stack",
		.maps = {
			{ 0x400000, 0x401000 },		/* text */
			{ 0x401000, 0x402000 },		/* rodata */
			{ 0x402000, 0x403000 },		/* data */
			{ 0x1000000, 0x1100000 },	/* heap */
			{ 0x40000000, 0x40100000 },	/* libc */
			{ 0x40100000, 0x40200000 },	/* anon mmap */
			{ 0xbff00000, 0xc0000000 },	/* stack */
		},
		.nr_maps = 7,
		.want = {
			{ 0x400000, 0x1100000 },
			{ 0x40000000, 0x40200000 },
			{ 0xbff00000, 0xc0000000 },
		},
		.nr_want = 3,
	},
	{
		.name = "single mapping",
		.maps = { { SZ_1M, SZ_2M } },
		.nr_maps = 1,
		.want = { { SZ_1M, SZ_2M } },
		.nr_want = 1,
	},
	{
		.name = "single page",
		.maps = { { SZ_1M, SZ_1M + PAGE_SIZE } },
		.nr_maps = 1,
		.want = { { SZ_1M, SZ_1M + PAGE_SIZE } },
		.nr_want = 1,
	},
	{
		.name = "adjacent mappings have no hole",
		.maps = {
			{ SZ_1M, SZ_2M },
			{ SZ_2M, SZ_4M },
			{ SZ_4M, SZ_8M },
		},
		.nr_maps = 3,
		.want = { { SZ_1M, SZ_8M } },
		.nr_want = 1,
	},
	{
		.name = "two mappings, one hole",
		.maps = { { SZ_1M, SZ_2M }, { SZ_64M, SZ_128M } },
		.nr_maps = 2,
		.want = { { SZ_1M, SZ_2M }, { SZ_64M, SZ_128M } },
		.nr_want = 2,
	},
	{
		.name = "tiny mappings, biggest hole after second biggest",
		.maps = {
			{ 0x10000, 0x11000 },
			{ 0x13000, 0x14000 },	/* hole 2 pages */
			{ 0x20000, 0x21000 },	/* hole 12 pages: 2nd */
			{ 0x22000, 0x23000 },	/* hole 1 page */
			{ 0x40000, 0x41000 },	/* hole 29 pages: 1st */
			{ 0x43000, 0x44000 },	/* hole 2 pages */
		},
		.nr_maps = 6,
		.want = {
			{ 0x10000, 0x14000 },
			{ 0x20000, 0x23000 },
			{ 0x40000, 0x44000 },
		},
		.nr_want = 3,
	},
	{
		.name = "equal holes: the lower ones are left out",
		.maps = {
			{ 0x10000, 0x11000 },
			{ 0x12000, 0x13000 },
			{ 0x14000, 0x15000 },
			{ 0x16000, 0x17000 },
		},
		.nr_maps = 4,
		.want = {
			{ 0x10000, 0x11000 },
			{ 0x12000, 0x13000 },
			{ 0x14000, 0x17000 },
		},
		.nr_want = 3,
	},
	{
		.name = "overlapping input only extends the span",
		.maps = { { SZ_1M, SZ_4M }, { SZ_2M, SZ_8M } },
		.nr_maps = 2,
		.want = { { SZ_1M, SZ_8M } },
		.nr_want = 1,
	},
	{
		.name = "holes below the minimum region size vanish",
		.maps = {
			{ 0x100000, 0x101000 },
			{ 0x102000, 0x103000 },		/* 1-page hole */
			{ 0x400000, 0x401000 },		/* big hole */
		},
		.nr_maps = 3,
		.min_region_sz = SZ_64K,
		.want = { { 0x100000, 0x110000 }, { 0x400000, 0x410000 } },
		.nr_want = 2,
	},
	{
		.name = "no mapping",
		.nr_maps = 0,
		.nr_want = 0,
	},
};

KUNIT_ARRAY_PARAM_DESC(layout, layout_cases, name);

static void damon_vaddr_ranges_leave_out_biggest_holes(struct kunit *test)
{
	const struct layout_case *c = test->param_value;
	struct damon_va_layout layout = layout_of(c->maps, c->nr_maps);
	struct damon_addr_range got[3];
	unsigned long msz = c->min_region_sz ?: PAGE_SIZE;
	unsigned int nr, i;

	nr = damon_va_layout_ranges(&layout, got, msz);
	KUNIT_ASSERT_EQ(test, nr, c->nr_want);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ_MSG(test, got[i].start, c->want[i].start,
				    "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].end, c->want[i].end,
				    "range %u", i);
	}
}

/* The ranges of a layout become the regions of a fresh target. */
static void damon_vaddr_initial_regions_from_layout(struct kunit *test)
{
	const struct layout_case *c = &layout_cases[0];
	struct damon_va_layout layout = layout_of(c->maps, c->nr_maps);
	struct damon_target *t = new_target(test, NULL, 0);

	KUNIT_ASSERT_EQ(test, 0, damon_va_apply_layout(t, &layout, PAGE_SIZE));
	expect_regions(test, t, c->want, c->nr_want);
}

/*
 * Mappings change between two updates: the first cluster loses its front
 * page and grows at its end, the middle one disappears and a new one takes
 * its place elsewhere, the stack grows down.  Regions shrink and grow with
 * them, keep their counters, and a region that no longer covers anything
 * goes away.
 */
static void damon_vaddr_update_follows_mappings(struct kunit *test)
{
	const struct damon_addr_range before[] = {
		{ 0x400000, 0x800000 },
		{ 0x800000, 0x1100000 },
		{ 0x40000000, 0x40200000 },
		{ 0xbff00000, 0xc0000000 },
	};
	const struct damon_addr_range maps[] = {
		{ 0x401000, 0x1200000 },
		{ 0x70000000, 0x70100000 },
		{ 0xbfe00000, 0xc0000000 },
	};
	const struct damon_addr_range want[] = {
		{ 0x401000, 0x800000 },
		{ 0x800000, 0x1200000 },
		{ 0x70000000, 0x70100000 },
		{ 0xbfe00000, 0xc0000000 },
	};
	struct damon_va_layout layout = layout_of(maps, ARRAY_SIZE(maps));
	struct damon_target *t = new_target(test, before, ARRAY_SIZE(before));
	struct damon_region *r;
	unsigned int i = 0;

	/* Give every region distinct counters to follow them. */
	damon_for_each_region(r, t) {
		r->nr_accesses = 10 + i;
		r->age = 20 + i;
		i++;
	}

	KUNIT_ASSERT_EQ(test, 0, damon_va_apply_layout(t, &layout, PAGE_SIZE));
	expect_regions(test, t, want, ARRAY_SIZE(want));

	/* The first two regions are the surviving originals. */
	r = nth_region(t, 0);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 10);
	KUNIT_EXPECT_EQ(test, r->age, 20);
	r = nth_region(t, 1);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 11);
	KUNIT_EXPECT_EQ(test, r->age, 21);
	/* The stack region grew and kept its counters. */
	r = nth_region(t, 3);
	KUNIT_EXPECT_EQ(test, r->nr_accesses, 13);
	KUNIT_EXPECT_EQ(test, r->age, 23);
}

/* Regions already matching the mappings are left exactly as they are. */
static void damon_vaddr_update_without_change_keeps_regions(struct kunit *test)
{
	const struct layout_case *c = &layout_cases[0];
	struct damon_va_layout layout = layout_of(c->maps, c->nr_maps);
	struct damon_target *t = new_target(test, c->want, c->nr_want);
	struct damon_region *r;

	damon_for_each_region(r, t)
		r->nr_accesses = 7;
	KUNIT_ASSERT_EQ(test, 0, damon_va_apply_layout(t, &layout, PAGE_SIZE));
	expect_regions(test, t, c->want, c->nr_want);
	damon_for_each_region(r, t)
		KUNIT_EXPECT_EQ(test, r->nr_accesses, 7);
}

/* A process caught without mappings (exec, exit) keeps its old regions. */
static void damon_vaddr_update_without_mappings_keeps_regs(struct kunit *test)
{
	const struct layout_case *c = &layout_cases[0];
	struct damon_va_layout empty = {};
	struct damon_target *t = new_target(test, c->want, c->nr_want);

	KUNIT_ASSERT_EQ(test, 0, damon_va_apply_layout(t, &empty, PAGE_SIZE));
	expect_regions(test, t, c->want, c->nr_want);
}

/*
 * A process with a large number of mappings: the layout keeps O(1) state and
 * still finds the two biggest holes wherever they are.
 */
static void damon_vaddr_many_mappings(struct kunit *test)
{
	struct damon_va_layout layout = {};
	struct damon_addr_range got[3];
	unsigned long addr = SZ_1M;
	unsigned int i;

	for (i = 0; i < 10000; i++) {
		unsigned long hole = PAGE_SIZE;

		if (i == 1234)
			hole = SZ_16M;
		else if (i == 5678)
			hole = SZ_8M;
		addr += hole;
		damon_va_layout_add(&layout, addr, addr + PAGE_SIZE);
		addr += PAGE_SIZE;
	}

	KUNIT_ASSERT_EQ(test, damon_va_layout_ranges(&layout, got, PAGE_SIZE),
			3);
	KUNIT_EXPECT_EQ(test, got[0].start, SZ_1M + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, got[1].start - got[0].end, SZ_16M);
	KUNIT_EXPECT_EQ(test, got[2].start - got[1].end, SZ_8M);
	KUNIT_EXPECT_EQ(test, got[2].end, addr);
}

struct advice_case {
	const char *name;
	enum damos_action action;
	int advice;		/* -EINVAL: not an madvise() action */
};

static const struct advice_case advice_cases[] = {
	{ "willneed", DAMOS_WILLNEED, MADV_WILLNEED },
	{ "cold", DAMOS_COLD, MADV_COLD },
	{ "pageout", DAMOS_PAGEOUT, MADV_PAGEOUT },
	{ "hugepage", DAMOS_HUGEPAGE, MADV_HUGEPAGE },
	{ "nohugepage", DAMOS_NOHUGEPAGE, MADV_NOHUGEPAGE },
	{ "collapse", DAMOS_COLLAPSE, MADV_COLLAPSE },
	{ "lru_prio", DAMOS_LRU_PRIO, -EINVAL },
	{ "lru_deprio", DAMOS_LRU_DEPRIO, -EINVAL },
	{ "migrate_hot", DAMOS_MIGRATE_HOT, -EINVAL },
	{ "migrate_cold", DAMOS_MIGRATE_COLD, -EINVAL },
	{ "stat", DAMOS_STAT, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(advice, advice_cases, name);

/* Each madvise() action maps to its advice, the other actions to none. */
static void damon_vaddr_action_advice(struct kunit *test)
{
	const struct advice_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, damon_va_action_advice(c->action), c->advice);
}

/* The table above covers every action. */
static void damon_vaddr_action_advice_covers_all(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, ARRAY_SIZE(advice_cases), NR_DAMOS_ACTIONS);
}

/*
 * Without a process behind the target (it exited, or never was), no action
 * applies to any byte, except stat which "applies" by doing nothing; and
 * no byte ever passes operation filters, which vaddr does not have.  Both
 * vaddr and fvaddr, which share the code, are checked.
 */
static void damon_vaddr_actions_without_process(struct kunit *test)
{
	static const enum damon_ops_id ids[] = {
		DAMON_OPS_VADDR, DAMON_OPS_FVADDR
	};
	struct damos *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned int i;
	int a;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		struct damon_ctx *ctx = damon_new_ctx();
		struct damon_target *t;
		struct damon_region *r;

		KUNIT_ASSERT_NOT_NULL(test, ctx);
		defer(test, destroy_ctx, ctx);
		if (damon_select_ops(ctx, ids[i]))
			kunit_skip(test, "ops %d is not registered", ids[i]);
		t = damon_new_target();
		KUNIT_ASSERT_NOT_NULL(test, t);
		damon_add_target(ctx, t);
		r = damon_new_region(SZ_1M, SZ_2M);
		KUNIT_ASSERT_NOT_NULL(test, r);
		damon_add_region(r, t);

		for (a = 0; a < NR_DAMOS_ACTIONS; a++) {
			unsigned long passed = ULONG_MAX;
			unsigned long applied;

			s->action = a;
			applied = ctx->ops.apply_scheme(ctx, t, r, s, &passed);
			KUNIT_EXPECT_EQ_MSG(test, applied,
					    a == DAMOS_STAT ? SZ_1M : 0,
					    "ops %d action %d", ids[i], a);
			KUNIT_EXPECT_EQ_MSG(test, passed, 0,
					    "ops %d action %d", ids[i], a);
		}
	}
}

static struct kunit_case damon_vaddr_test_cases[] = {
	KUNIT_CASE_PARAM(damon_vaddr_ranges_leave_out_biggest_holes,
			 layout_gen_params),
	KUNIT_CASE(damon_vaddr_initial_regions_from_layout),
	KUNIT_CASE(damon_vaddr_update_follows_mappings),
	KUNIT_CASE(damon_vaddr_update_without_change_keeps_regions),
	KUNIT_CASE(damon_vaddr_update_without_mappings_keeps_regs),
	KUNIT_CASE(damon_vaddr_many_mappings),
	KUNIT_CASE_PARAM(damon_vaddr_action_advice, advice_gen_params),
	KUNIT_CASE(damon_vaddr_action_advice_covers_all),
	KUNIT_CASE(damon_vaddr_actions_without_process),
	{}
};

static struct kunit_suite damon_vaddr_test_suite = {
	.name = "damon_vaddr",
	.test_cases = damon_vaddr_test_cases,
};

kunit_test_suite(damon_vaddr_test_suite);

MODULE_DESCRIPTION("KUnit tests for DAMON's virtual address operation sets");
MODULE_LICENSE("GPL");

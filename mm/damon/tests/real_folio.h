/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the KUnit suites that run the paddr operation set on a real
 * page frame (typically an unmapped page-cache folio of a kernel-internal
 * shmem file), through a context with one single-page region, at several
 * address units.
 */
#ifndef _DAMON_TESTS_REAL_FOLIO_H
#define _DAMON_TESTS_REAL_FOLIO_H

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/swap.h>

/*
 * Have @fn(@arg) run when the test ends (on failure too); the resource is
 * released right away if that cannot be arranged.
 */
static inline void defer(struct kunit *test, kunit_action_t *fn, void *arg)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fn, arg), 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(destroy_ctx, damon_destroy_ctx,
			    struct damon_ctx *);
KUNIT_DEFINE_ACTION_WRAPPER(put_file, fput, struct file *);
KUNIT_DEFINE_ACTION_WRAPPER(put_folio, folio_put, struct folio *);

/* A paddr context with one single-page region at physical address @paddr. */
static struct damon_ctx *new_ctx(struct kunit *test, phys_addr_t paddr,
				 unsigned long addr_unit)
{
	struct damon_ctx *ctx = damon_new_ctx();
	struct damon_target *t;
	struct damon_region *r;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	defer(test, destroy_ctx, ctx);
	if (damon_select_ops(ctx, DAMON_OPS_PADDR))
		kunit_skip(test, "paddr is not registered");
	ctx->addr_unit = addr_unit;
	/* One page, so the sampling address is its first unit. */
	ctx->min_region_sz = max(PAGE_SIZE / addr_unit, 1UL);

	t = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, t);
	damon_add_target(ctx, t);
	r = damon_new_region(div_u64(paddr, addr_unit),
			     div_u64(paddr + PAGE_SIZE, addr_unit));
	KUNIT_ASSERT_NOT_NULL(test, r);
	damon_add_region(r, t);
	return ctx;
}

static struct damon_region *only_region(struct damon_ctx *ctx)
{
	struct damon_target *t = list_first_entry(&ctx->adaptive_targets,
						  struct damon_target, list);

	return damon_first_region(t);
}

/*
 * An unmapped page-cache folio, on its LRU list, held until the test ends.
 * @name names the shmem file.
 */
static struct folio *new_lru_folio(struct kunit *test, const char *name)
{
	struct file *file;
	struct folio *folio;

	file = shmem_kernel_file_setup(name, PAGE_SIZE, VM_NORESERVE);
	if (IS_ERR(file))
		kunit_skip(test, "no shmem file: %ld", PTR_ERR(file));
	defer(test, put_file, file);
	folio = shmem_read_folio(file->f_mapping, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
	defer(test, put_folio, folio);
	/* New folios sit in a per-CPU batch until drained onto the LRU. */
	lru_add_drain_all();
	if (!folio_test_lru(folio))
		kunit_skip(test, "folio did not reach an LRU list");
	return folio;
}

/* The address units the real-folio cases run at (parameter addr_unit). */
static const unsigned long addr_units[] = { 1, 4, PAGE_SIZE };

static void addr_unit_desc(const unsigned long *unit, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "addr_unit %lu", *unit);
}

KUNIT_ARRAY_PARAM(addr_unit, addr_units, addr_unit_desc);

#endif /* _DAMON_TESTS_REAL_FOLIO_H */

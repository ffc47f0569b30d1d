/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the KUnit suites that run the paddr operation set on a real
 * page frame: an unmapped page-cache folio of a kernel-internal shmem file,
 * at several address units.
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
#define defer(test, fn, arg)						\
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fn, arg), 0)

KUNIT_DEFINE_ACTION_WRAPPER(destroy_ctx, damon_destroy_ctx,
			    struct damon_ctx *);
KUNIT_DEFINE_ACTION_WRAPPER(put_file, fput, struct file *);
KUNIT_DEFINE_ACTION_WRAPPER(put_folio, folio_put, struct folio *);

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

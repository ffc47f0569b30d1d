/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for KUnit suites that run DAMON on fake operations, where an
 * access is whatever the test says it is.
 */
#ifndef _DAMON_TESTS_FAKE_OPS_H
#define _DAMON_TESTS_FAKE_OPS_H

#include <linux/damon.h>

/**
 * damon_test_sample_all() - Give every region of a context one sample.
 * @ctx:	The context, owned by the caller or its kdamond.
 * @seen:	Decides whether the region's sample found an access.
 *
 * The check_accesses of a fake operation set, given the test's notion of
 * an access.
 *
 * Return: the highest &damon_region->nr_accesses afterwards.
 */
static inline unsigned int
damon_test_sample_all(struct damon_ctx *ctx,
		      bool (*seen)(const struct damon_region *r))
{
	unsigned int highest = 0;
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t) {
			damon_update_region_access_rate(r, seen(r), &ctx->attrs);
			if (r->nr_accesses > highest)
				highest = r->nr_accesses;
		}
	return highest;
}

#endif /* _DAMON_TESTS_FAKE_OPS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DAMON core.
 */

#include <kunit/test.h>
#include <linux/damon.h>

/* ===== Test cases ===== */

static void damon_core_is_initialized(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, damon_initialized());
}

static struct kunit_case damon_core_test_cases[] = {
	KUNIT_CASE(damon_core_is_initialized),
	{}
};

static struct kunit_suite damon_core_test_suite = {
	.name = "damon_core",
	.test_cases = damon_core_test_cases,
};
kunit_test_suite(damon_core_test_suite);

MODULE_DESCRIPTION("KUnit tests for the DAMON core");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the input parsing of the DAMON sysfs interface: every
 * field file parses its input with damon_sysfs_parse() and every keyword
 * file (and "state") with damon_sysfs_keyword(), so checking those two
 * against a table of inputs covers the accepted syntax and the errnos of
 * the whole tree; the integer lists of sample filters' tid_arr are parsed
 * and printed by damon_sysfs_parse_ints() and damon_sysfs_format_ints().
 * Nothing here touches sysfs itself.
 */

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>

#include "../sysfs-common.h"

struct parse_case {
	const char *desc;
	enum damon_sysfs_kind kind;
	bool einval;
	const char *input;
	int err;
	unsigned long val;
};

static const char * const names[] = { "alpha", NULL, "beta" };

static const struct parse_case parse_cases[] = {
	{ "ulong decimal", DAMON_SYSFS_ULONG, false, "123", 0, 123 },
	{ "ulong trailing newline", DAMON_SYSFS_ULONG, false, "7\n", 0, 7 },
	{ "ulong hex", DAMON_SYSFS_ULONG, false, "0x10", 0, 16 },
	{ "ulong octal", DAMON_SYSFS_ULONG, false, "010", 0, 8 },
	{ "ulong plus sign", DAMON_SYSFS_ULONG, false, "+5", 0, 5 },
	{ "ulong max", DAMON_SYSFS_ULONG, false, "18446744073709551615", 0,
	  ULONG_MAX },
	{ "ulong overflow", DAMON_SYSFS_ULONG, false, "18446744073709551616",
	  -ERANGE, 0 },
	{ "ulong overflow as einval", DAMON_SYSFS_ULONG, true,
	  "18446744073709551616", -EINVAL, 0 },
	{ "ulong negative", DAMON_SYSFS_ULONG, false, "-1", -EINVAL, 0 },
	{ "ulong empty", DAMON_SYSFS_ULONG, false, "", -EINVAL, 0 },
	{ "ulong trailing junk", DAMON_SYSFS_ULONG, false, "12a", -EINVAL, 0 },
	{ "ulong two newlines", DAMON_SYSFS_ULONG, false, "1\n\n", -EINVAL, 0 },
	{ "uint max", DAMON_SYSFS_UINT, false, "4294967295", 0, UINT_MAX },
	{ "uint overflow", DAMON_SYSFS_UINT, false, "4294967296", -ERANGE, 0 },
	{ "int negative", DAMON_SYSFS_INT, false, "-1", 0, (unsigned long)-1L },
	{ "int overflow", DAMON_SYSFS_INT, false, "2147483648", -ERANGE, 0 },
	{ "int junk as einval", DAMON_SYSFS_INT, true, "abc", -EINVAL, 0 },
	{ "bool Y", DAMON_SYSFS_BOOL, false, "Y\n", 0, 1 },
	{ "bool 0", DAMON_SYSFS_BOOL, false, "0", 0, 0 },
	{ "bool on", DAMON_SYSFS_BOOL, false, "on", 0, 1 },
	{ "bool junk", DAMON_SYSFS_BOOL, false, "x", -EINVAL, 0 },
	{ "keyword first", DAMON_SYSFS_KEYWORD, false, "alpha", 0, 0 },
	{ "keyword after hole", DAMON_SYSFS_KEYWORD, false, "beta\n", 0, 2 },
	{ "keyword prefix", DAMON_SYSFS_KEYWORD, false, "alph", -EINVAL, 0 },
	{ "keyword longer", DAMON_SYSFS_KEYWORD, false, "alphaa", -EINVAL, 0 },
	{ "keyword empty", DAMON_SYSFS_KEYWORD, false, "", -EINVAL, 0 },
	{ "string is no number", DAMON_SYSFS_STRING, false, "1", -EINVAL, 0 },
};

KUNIT_ARRAY_PARAM_DESC(parse, parse_cases, desc);

/* Integer lists (sample filters' tid_arr), get_options() syntax. */
struct ints_case {
	const char *desc;
	const char *input;
	int max;
	int nr;			/* or the errno */
	int vals[8];
};

static const struct ints_case ints_cases[] = {
	{ "one", "41", 8, 1, { 41 } },
	{ "two, newline", "41,42\n", 8, 2, { 41, 42 } },
	{ "range expands", "7-9", 8, 3, { 7, 8, 9 } },
	{ "range of one", "5-5", 8, 1, { 5 } },
	{ "values and ranges", "1,3-4,0x10", 8, 4, { 1, 3, 4, 16 } },
	{ "octal and negative", "010,-2", 8, 2, { 8, -2 } },
	{ "negative range", "-2-0", 8, 3, { -2, -1, 0 } },
	{ "stops at garbage", "41,abc,42", 8, 1, { 41 } },
	{ "stops at a space", "41, 42", 8, 1, { 41 } },
	{ "stops after a number", "41 42", 8, 1, { 41 } },
	{ "trailing comma", "41,", 8, 1, { 41 } },
	{ "empty", "", 8, 0 },
	{ "newline only", "\n", 8, 0 },
	{ "leading space", " 41", 8, 0 },
	{ "garbage", "abc", 8, 0 },
	{ "sign only", "-", 8, 0 },
	{ "descending range", "9-7", 8, 0 },
	{ "range without end", "1-", 8, 0 },
	{ "values after a descending range", "1,9-7,3", 8, 1, { 1 } },
	{ "exactly max", "1-8", 8, 8, { 1, 2, 3, 4, 5, 6, 7, 8 } },
	{ "one above max", "1-9", 8, -E2BIG },
	{ "values above max", "1,2,3", 2, -E2BIG },
	{ "huge range", "0-2147483647", 8, -E2BIG },
	{ "whole int range", "-2147483648-2147483647", 8, -E2BIG },
};

KUNIT_ARRAY_PARAM_DESC(ints, ints_cases, desc);

/* ===== Test cases ===== */

static void damon_sysfs_parse_follows_the_abi(struct kunit *test)
{
	const struct parse_case *c = test->param_value;
	struct damon_sysfs_field f = {
		.kind = c->kind,
		.einval = c->einval,
		.names = names,
		.nr_names = ARRAY_SIZE(names),
	};
	unsigned long val = 0;
	int err;

	err = damon_sysfs_parse(&f, c->input, &val);
	KUNIT_EXPECT_EQ_MSG(test, err, c->err, "input \"%s\"", c->input);
	if (!c->err)
		KUNIT_EXPECT_EQ_MSG(test, val, c->val, "input \"%s\"",
				    c->input);
}

static void damon_sysfs_keyword_skips_holes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, damon_sysfs_keyword(names, ARRAY_SIZE(names),
						  "beta"), 2);
	KUNIT_EXPECT_EQ(test, damon_sysfs_keyword(names, ARRAY_SIZE(names),
						  "(null)"), -EINVAL);
	KUNIT_EXPECT_EQ(test, damon_sysfs_keyword(names, 1, "beta"), -EINVAL);
}

/* Counting (NULL) and storing agree, and nothing is stored past @max. */
static void damon_sysfs_parse_ints_like_get_options(struct kunit *test)
{
	const struct ints_case *c = test->param_value;
	int vals[ARRAY_SIZE(c->vals) + 1];
	int i, nr;

	nr = damon_sysfs_parse_ints(c->input, NULL, c->max);
	KUNIT_EXPECT_EQ_MSG(test, nr, c->nr, "counting \"%s\"", c->input);
	for (i = 0; i < (int)ARRAY_SIZE(vals); i++)
		vals[i] = 12345;
	nr = damon_sysfs_parse_ints(c->input, vals, c->max);
	KUNIT_EXPECT_EQ_MSG(test, nr, c->nr, "parsing \"%s\"", c->input);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, vals[i], c->vals[i],
				    "value %d of \"%s\"", i, c->input);
	KUNIT_EXPECT_EQ(test, vals[c->max], 12345);
}

static void damon_sysfs_format_ints_joins_and_cuts(struct kunit *test)
{
	static const int vals[] = { 41, -2, 1000 };
	char buf[16];

	KUNIT_EXPECT_EQ(test, damon_sysfs_format_ints(buf, sizeof(buf), vals,
						      3), 11);
	KUNIT_EXPECT_STREQ(test, buf, "41,-2,1000\n");
	KUNIT_EXPECT_EQ(test, damon_sysfs_format_ints(buf, sizeof(buf), NULL,
						      0), 1);
	KUNIT_EXPECT_STREQ(test, buf, "\n");
	/* "41,-2,1000\n" needs 12 bytes with the NUL: the last one is cut */
	KUNIT_EXPECT_EQ(test, damon_sysfs_format_ints(buf, 11, vals, 3), 6);
	KUNIT_EXPECT_STREQ(test, buf, "41,-2\n");
	KUNIT_EXPECT_EQ(test, damon_sysfs_format_ints(buf, 12, vals, 3), 11);
	KUNIT_EXPECT_EQ(test, damon_sysfs_format_ints(buf, 2, vals, 3), 1);
	KUNIT_EXPECT_STREQ(test, buf, "\n");
}

static struct kunit_case damon_sysfs_test_cases[] = {
	KUNIT_CASE_PARAM(damon_sysfs_parse_follows_the_abi, parse_gen_params),
	KUNIT_CASE(damon_sysfs_keyword_skips_holes),
	KUNIT_CASE_PARAM(damon_sysfs_parse_ints_like_get_options,
			 ints_gen_params),
	KUNIT_CASE(damon_sysfs_format_ints_joins_and_cuts),
	{},
};

static struct kunit_suite damon_sysfs_test_suite = {
	.name = "damon_sysfs",
	.test_cases = damon_sysfs_test_cases,
};

kunit_test_suite(damon_sysfs_test_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for the DAMON sysfs interface");
MODULE_LICENSE("GPL");

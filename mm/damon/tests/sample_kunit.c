// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for access-sample control: the sample filter table (AND of
 * allow and reject filters, matching, CPU masks, thread lists), validation
 * of the primitives, commit of primitives and filters, and the accounting
 * of access reports into regions (once per region and interval, once per
 * context, drops counted, the ring's size, address units, per-process
 * matching).
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "../internal.h"

/* ===== The filter table ===== */

struct sfilter {
	enum damon_sample_filter_type type;
	bool matching, allow;
	int cpu;			/* cpumask: one CPU */
	pid_t tids[2];			/* threads: up to two */
};

struct sfilter_case {
	const char *name;
	unsigned int nr;
	struct sfilter f[3];
	struct damon_access_report report;
	bool pass;
};

#define W(m, a)		{ DAMON_FILTER_TYPE_WRITE, m, a }
#define C(m, a, c)	{ DAMON_FILTER_TYPE_CPUMASK, m, a, c }
#define T(m, a, t0, t1)	{ DAMON_FILTER_TYPE_THREADS, m, a, 0, { t0, t1 } }
#define R(c, t, w)	{ .cpu = c, .tid = t, .is_write = w }

static const struct sfilter_case sfilter_cases[] = {
	{ "no filter keeps all", 0, {}, R(1, 7, false), true },
	{ "allow write: write", 1, { W(true, true) }, R(0, 7, true), true },
	{ "allow write: read", 1, { W(true, true) }, R(0, 7, false), false },
	{ "reject write: write", 1, { W(true, false) }, R(0, 7, true), false },
	{ "reject write: read", 1, { W(true, false) }, R(0, 7, false), true },
	{ "allow non-write: read", 1, { W(false, true) }, R(0, 7, false),
	  true },
	{ "allow cpu 0: cpu 0", 1, { C(true, true, 0) }, R(0, 7, false), true },
	{ "allow cpu 0: cpu 1", 1, { C(true, true, 0) }, R(1, 7, false),
	  false },
	{ "allow cpu 0: cpu out of range", 1, { C(true, true, 0) },
	  R(UINT_MAX, 7, false), false },
	{ "allow threads: listed", 1, { T(true, true, 41, 42) },
	  R(0, 42, false), true },
	{ "allow threads: not listed", 1, { T(true, true, 41, 42) },
	  R(0, 43, false), false },
	{ "reject threads: not listed", 1, { T(true, false, 41, 42) },
	  R(0, 43, false), true },
	{ "write AND cpu 0: write on 0", 2, { W(true, true), C(true, true, 0) },
	  R(0, 7, true), true },
	{ "write AND cpu 0: write on 1", 2, { W(true, true), C(true, true, 0) },
	  R(1, 7, true), false },
	{ "write AND cpu 0: read on 0", 2, { W(true, true), C(true, true, 0) },
	  R(0, 7, false), false },
	{ "a trailing reject does not drop the others", 2,
	  { W(true, true), T(true, false, 9, 9) }, R(0, 7, true), true },
	{ "all three", 3,
	  { W(true, true), C(true, true, 0), T(true, true, 7, 8) },
	  R(0, 8, true), true },
};

KUNIT_ARRAY_PARAM_DESC(sfilter, sfilter_cases, name);

static struct damon_sample_filter *add_sfilter(struct kunit *test,
		struct damon_sample_control *ctrl, const struct sfilter *sf)
{
	struct damon_sample_filter *f;

	f = damon_new_sample_filter(sf->type, sf->matching, sf->allow);
	KUNIT_ASSERT_NOT_NULL(test, f);
	if (sf->type == DAMON_FILTER_TYPE_CPUMASK)
		cpumask_set_cpu(sf->cpu, &f->cpumask);
	if (sf->type == DAMON_FILTER_TYPE_THREADS) {
		f->tid_arr = kmemdup_array(sf->tids, 2, sizeof(pid_t),
					   GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->tid_arr);
		f->nr_tids = 2;
	}
	damon_add_sample_filter(ctrl, f);
	return f;
}

static struct damon_ctx *new_ctx(struct kunit *test)
{
	struct damon_ctx *ctx = damon_new_ctx();

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	return ctx;
}

static void damon_sample_filter_table(struct kunit *test)
{
	const struct sfilter_case *c = test->param_value;
	struct damon_ctx *ctx = new_ctx(test);
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		add_sfilter(test, &ctx->sample_control, &c->f[i]);
	KUNIT_EXPECT_EQ(test, damon_sample_filters_pass(&ctx->sample_control,
							&c->report), c->pass);
	damon_destroy_ctx(ctx);
}

/* ===== Validation and commit ===== */

static void damon_sample_validation(struct kunit *test)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damon_sample_control *ctrl = &ctx->sample_control;
	struct damon_primitives_enabled *p = &ctrl->primitives_enabled;
	struct damon_sample_filter *f;

	/* the defaults of a new context */
	KUNIT_EXPECT_TRUE(test, p->page_table);
	KUNIT_EXPECT_FALSE(test, p->page_fault);
	KUNIT_EXPECT_TRUE(test, list_empty(&ctrl->sample_filters));
	KUNIT_EXPECT_EQ(test, damon_valid_sample_control(ctrl), 0);

	p->page_fault = true;
	KUNIT_EXPECT_EQ(test, damon_valid_sample_control(ctrl), -EINVAL);
	p->page_table = false;
	KUNIT_EXPECT_EQ(test, damon_valid_sample_control(ctrl),
			IS_ENABLED(CONFIG_NUMA_BALANCING) ? 0 : -EINVAL);
	p->page_fault = false;
	KUNIT_EXPECT_EQ(test, damon_valid_sample_control(ctrl), -EINVAL);
	p->page_table = true;

	/* a threads filter must name a thread */
	f = damon_new_sample_filter(DAMON_FILTER_TYPE_THREADS, true, true);
	KUNIT_ASSERT_NOT_NULL(test, f);
	damon_add_sample_filter(ctrl, f);
	KUNIT_EXPECT_EQ(test, damon_valid_sample_control(ctrl), -EINVAL);
	/* and damon_start() refuses it without starting anything */
	KUNIT_EXPECT_EQ(test, damon_start(&ctx, 1, false), -EINVAL);
	KUNIT_EXPECT_FALSE(test, damon_is_running(ctx));
	damon_destroy_ctx(ctx);
}

static void damon_sample_commit(struct kunit *test)
{
	struct damon_ctx *dst = new_ctx(test), *src = new_ctx(test);
	static const struct sfilter old = C(false, false, 1);
	static const struct sfilter fs[] = {
		W(true, true), C(true, true, 0), T(true, false, 5, 6),
	};
	struct damon_sample_filter *f, *bad;
	unsigned int i = 0;

	add_sfilter(test, &dst->sample_control, &old);
	for (i = 0; i < ARRAY_SIZE(fs); i++)
		add_sfilter(test, &src->sample_control, &fs[i]);
	src->sample_control.primitives_enabled =
		(struct damon_primitives_enabled){ false, true };

	if (!IS_ENABLED(CONFIG_NUMA_BALANCING)) {
		KUNIT_EXPECT_EQ(test, damon_commit_ctx(dst, src), -EINVAL);
		goto out;
	}
	KUNIT_ASSERT_EQ(test, damon_commit_ctx(dst, src), 0);
	KUNIT_EXPECT_TRUE(test,
			  dst->sample_control.primitives_enabled.page_fault);
	KUNIT_EXPECT_FALSE(test,
			   dst->sample_control.primitives_enabled.page_table);
	/* exactly @src's filters, in order, with their arguments */
	i = 0;
	damon_for_each_sample_filter(f, &dst->sample_control) {
		KUNIT_ASSERT_LT(test, i, (unsigned int)ARRAY_SIZE(fs));
		KUNIT_EXPECT_EQ(test, f->type, fs[i].type);
		KUNIT_EXPECT_EQ(test, f->matching, fs[i].matching);
		KUNIT_EXPECT_EQ(test, f->allow, fs[i].allow);
		if (f->type == DAMON_FILTER_TYPE_CPUMASK) {
			KUNIT_EXPECT_TRUE(test, cpumask_test_cpu(0, &f->cpumask));
			KUNIT_EXPECT_EQ(test, cpumask_weight(&f->cpumask), 1);
		}
		if (f->type == DAMON_FILTER_TYPE_THREADS) {
			KUNIT_EXPECT_EQ(test, f->nr_tids, 2);
			KUNIT_EXPECT_EQ(test, f->tid_arr[1], 6);
		}
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, (unsigned int)ARRAY_SIZE(fs));

	/* an invalid @src changes nothing */
	bad = damon_new_sample_filter(DAMON_FILTER_TYPE_THREADS, true, true);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	damon_add_sample_filter(&src->sample_control, bad);
	src->sample_control.primitives_enabled =
		(struct damon_primitives_enabled){ true, false };
	KUNIT_EXPECT_EQ(test, damon_commit_ctx(dst, src), -EINVAL);
	KUNIT_EXPECT_TRUE(test,
			  dst->sample_control.primitives_enabled.page_fault);
	i = 0;
	damon_for_each_sample_filter(f, &dst->sample_control)
		i++;
	KUNIT_EXPECT_EQ(test, i, (unsigned int)ARRAY_SIZE(fs));
out:
	damon_destroy_ctx(dst);
	damon_destroy_ctx(src);
}

/* ===== Reports into regions ===== */

static struct damon_target *first_target(struct damon_ctx *ctx)
{
	return list_first_entry(&ctx->adaptive_targets, struct damon_target,
				list);
}

/* A context of @id with one target of regions [0,100) [100,200) [200,300). */
static struct damon_ctx *reports_ctx(struct kunit *test, enum damon_ops_id id)
{
	struct damon_ctx *ctx = new_ctx(test);
	struct damon_target *t = damon_new_target();
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	ctx->ops.id = id;
	damon_add_target(ctx, t);
	for (i = 0; i < 3; i++) {
		struct damon_region *r = damon_new_region(i * 100,
							  (i + 1) * 100);

		KUNIT_ASSERT_NOT_NULL(test, r);
		damon_add_region(r, t);
	}
	ctx->sample_control.primitives_enabled =
		(struct damon_primitives_enabled){ false, true };
	/* the smallest ring: 1024 reports */
	ctx->attrs.max_nr_regions = 100;
	KUNIT_ASSERT_TRUE(test, damon_sample_sync(ctx));
	return ctx;
}

static void reports_ctx_free(struct damon_ctx *ctx)
{
	damon_sample_stop(ctx);
	damon_destroy_ctx(ctx);
}

static void report(unsigned long paddr, unsigned long vaddr, pid_t tgid)
{
	struct damon_access_report r = {
		.paddr = paddr, .vaddr = vaddr, .size = PAGE_SIZE,
		.tid = tgid, .tgid = tgid,
	};

	damon_report_access(&r);
}

static void expect_nr_accesses(struct kunit *test, struct damon_ctx *ctx,
			       unsigned int a, unsigned int b, unsigned int c)
{
	unsigned int want[] = { a, b, c }, i = 0;
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			KUNIT_EXPECT_EQ_MSG(test, r->nr_accesses, want[i++],
					    "region %u", i);
}

static void damon_sample_reports_count(struct kunit *test)
{
	struct damon_ctx *ctx = reports_ctx(test, DAMON_OPS_PADDR);

	/* reports made before the context entered the mode do not count */
	report(150, 0, 0);
	damon_sample_stop(ctx);
	report(10, 0, 0);
	KUNIT_ASSERT_TRUE(test, damon_sample_sync(ctx));

	/* two reports in one region count once */
	report(150, 0, 0);
	report(160, 0, 0);
	report(299, 0, 0);
	report(300, 0, 0);	/* outside every region */
	KUNIT_EXPECT_EQ(test, damon_check_reports(ctx), 1U);
	expect_nr_accesses(test, ctx, 0, 1, 1);
	/* the accessed page becomes the region's sample (guided cuts) */
	KUNIT_EXPECT_EQ(test, damon_last_region(first_target(ctx))->
			sampling_addr, 299UL);

	/* read once: the next interval without reports counts nothing */
	KUNIT_EXPECT_EQ(test, damon_check_reports(ctx), 1U);
	expect_nr_accesses(test, ctx, 0, 1, 1);
	report(50, 0, 0);
	KUNIT_EXPECT_EQ(test, damon_check_reports(ctx), 1U);
	expect_nr_accesses(test, ctx, 1, 1, 1);
	KUNIT_EXPECT_EQ(test, ctx->sample_control.nr_dropped, 0UL);
	reports_ctx_free(ctx);
}

static void damon_sample_reports_per_context(struct kunit *test)
{
	struct damon_ctx *a = reports_ctx(test, DAMON_OPS_PADDR);
	struct damon_ctx *b = reports_ctx(test, DAMON_OPS_PADDR);

	/* address units: @b's regions are in units of 4 bytes */
	b->addr_unit = 4;
	report(120, 0, 0);
	report(1000, 0, 0);	/* unit 250 */
	KUNIT_EXPECT_EQ(test, damon_check_reports(a), 1U);
	KUNIT_EXPECT_EQ(test, damon_check_reports(b), 1U);
	expect_nr_accesses(test, a, 0, 1, 0);
	expect_nr_accesses(test, b, 1, 0, 1);
	reports_ctx_free(a);
	reports_ctx_free(b);
}

static void damon_sample_reports_dropped(struct kunit *test)
{
	struct damon_ctx *ctx = reports_ctx(test, DAMON_OPS_PADDR);
	unsigned int i;

	/* more than the ring (1024) holds: the oldest are lost, and counted */
	report(50, 0, 0);
	for (i = 0; i < 1024 + 9; i++)
		report(150, 0, 0);
	KUNIT_EXPECT_EQ(test, damon_check_reports(ctx), 1U);
	expect_nr_accesses(test, ctx, 0, 1, 0);
	KUNIT_EXPECT_EQ(test, ctx->sample_control.nr_dropped, 10UL);
	reports_ctx_free(ctx);
}

/* The ring is sized for the biggest context; growing loses what it held. */
static void damon_sample_reports_ring_grows(struct kunit *test)
{
	struct damon_ctx *a = reports_ctx(test, DAMON_OPS_PADDR);
	struct damon_ctx *b = reports_ctx(test, DAMON_OPS_PADDR);
	unsigned int i;

	report(150, 0, 0);
	/* @b enters the mode anew with 1000 regions: a ring of 4096 */
	damon_sample_stop(b);
	b->attrs.max_nr_regions = 1000;
	KUNIT_ASSERT_TRUE(test, damon_sample_sync(b));
	for (i = 0; i < 4000; i++)
		report(250, 0, 0);
	damon_check_reports(a);
	damon_check_reports(b);
	expect_nr_accesses(test, a, 0, 0, 1);
	expect_nr_accesses(test, b, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, a->sample_control.nr_dropped, 1UL);
	KUNIT_EXPECT_EQ(test, b->sample_control.nr_dropped, 0UL);
	reports_ctx_free(a);
	reports_ctx_free(b);
}

static void damon_sample_reports_filtered(struct kunit *test)
{
	struct damon_ctx *ctx = reports_ctx(test, DAMON_OPS_PADDR);
	static const struct sfilter w = W(true, true);
	struct damon_access_report r = { .paddr = 250, .is_write = true };

	add_sfilter(test, &ctx->sample_control, &w);
	report(50, 0, 0);		/* a read */
	damon_report_access(&r);	/* a write */
	damon_check_reports(ctx);
	expect_nr_accesses(test, ctx, 0, 0, 1);
	reports_ctx_free(ctx);
}

/* A virtual-address target counts only the reports of its own process. */
static void damon_sample_reports_per_process(struct kunit *test)
{
	struct damon_ctx *ctx = reports_ctx(test, DAMON_OPS_VADDR);
	struct damon_target *t = first_target(ctx);
	pid_t me = task_tgid_nr(current);

	t->pid = get_task_pid(current, PIDTYPE_PID);
	report(0, 50, me);
	report(0, 150, me + 1);		/* another process */
	report(250, 0, me);		/* paddr is not looked at: vaddr 0 */
	damon_check_reports(ctx);
	expect_nr_accesses(test, ctx, 1, 0, 0);
	/* a target without a process gets nothing, and still decays */
	put_pid(t->pid);
	t->pid = NULL;
	report(0, 150, me);
	damon_check_reports(ctx);
	expect_nr_accesses(test, ctx, 1, 0, 0);
	reports_ctx_free(ctx);
}

static struct kunit_case damon_sample_test_cases[] = {
	KUNIT_CASE_PARAM(damon_sample_filter_table, sfilter_gen_params),
	KUNIT_CASE(damon_sample_validation),
	KUNIT_CASE(damon_sample_commit),
	KUNIT_CASE(damon_sample_reports_count),
	KUNIT_CASE(damon_sample_reports_per_context),
	KUNIT_CASE(damon_sample_reports_dropped),
	KUNIT_CASE(damon_sample_reports_ring_grows),
	KUNIT_CASE(damon_sample_reports_filtered),
	KUNIT_CASE(damon_sample_reports_per_process),
	{}
};

static struct kunit_suite damon_sample_test_suite = {
	.name = "damon_sample",
	.test_cases = damon_sample_test_cases,
};

kunit_test_suite(damon_sample_test_suite);

MODULE_DESCRIPTION("KUnit tests for DAMON's access-sample control");
MODULE_LICENSE("GPL");

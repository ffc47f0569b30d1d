// SPDX-License-Identifier: GPL-2.0
/*
 * Live KUnit test of the vaddr and fvaddr operation sets: a real kdamond
 * monitors a real process with a known access pattern and must see its hot
 * range accessed and its cold range not, then stop by itself, without leaks
 * or splats, when the process exits.
 *
 * The process is tools/testing/selftests/damon/ops_hot_cold.c, spawned as a
 * usermode helper.  Its path is the "workload" parameter; without it, or
 * before user space can run (built-in suites run at boot before the root
 * file system is mounted), the test skips.  To run it in a booted system:
 *
 *   printf %s /path/to/ops_hot_cold > /sys/module/vaddr_live_kunit/parameters/workload
 *   echo 1 > /sys/kernel/debug/kunit/damon_vaddr_live/run
 *   cat /sys/kernel/debug/kunit/damon_vaddr_live/results
 */

#include <kunit/test.h>
#include <linux/damon.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/umh.h>

static char *workload;
module_param(workload, charp, 0644);
MODULE_PARM_DESC(workload, "Path of the ops_hot_cold workload binary");

/* Must match ops_hot_cold.c. */
#define HOT_ADDR	0x600000000000UL
#define COLD_ADDR	0x600010000000UL
#define RANGE_SZ	(8UL << 20)
#define WORKLOAD_SECS	"15"

/*
 * The workload's setup writes both ranges, so the observation starts only
 * once both are populated and two more aggregation intervals have passed
 * (the moving sum covers the last full one): on a loaded machine the
 * setup alone may take seconds.  SETUP_TIMEOUT_MS only bounds a stuck run.
 */
#define SETUP_TIMEOUT_MS	10000
#define OBSERVE_MS	3000
/* The workload exits after WORKLOAD_SECS; the kdamond must follow soon. */
#define STOP_TIMEOUT_MS	20000

KUNIT_DEFINE_ACTION_WRAPPER(destroy_ctx, damon_destroy_ctx,
			    struct damon_ctx *);

/* Deferred before destroy_ctx runs, also when an assertion failed. */
static void stop_ctx(void *ctx)
{
	struct damon_ctx *c = ctx;

	if (damon_is_running(c))
		damon_stop(&c, 1);
}

static char *workload_envp[] = { "HOME=/", "PATH=/sbin:/bin:/usr/bin", NULL };

static int record_pid(struct subprocess_info *info, struct cred *new)
{
	struct pid **pid = info->data;

	*pid = get_task_pid(current, PIDTYPE_PID);
	return 0;
}

/* Start the workload; return its pid, with a reference the target owns. */
static struct pid *spawn_workload(struct kunit *test)
{
	char *argv[3] = { workload, WORKLOAD_SECS, NULL };
	struct subprocess_info *info;
	struct pid *pid = NULL;
	int err;

	if (!workload || !*workload)
		kunit_skip(test, "no workload (see the header of this file)");
	info = call_usermodehelper_setup(workload, argv, workload_envp,
					 GFP_KERNEL, record_pid, NULL, &pid);
	KUNIT_ASSERT_NOT_NULL(test, info);
	err = call_usermodehelper_exec(info, UMH_WAIT_EXEC);
	if (err) {
		put_pid(pid);
		kunit_skip(test, "cannot run %s: %d", workload, err);
	}
	KUNIT_ASSERT_NOT_NULL(test, pid);
	return pid;
}

struct observation {
	struct damon_ctx *ctx;
	unsigned int hot_max;		/* max accesses of a region in HOT */
	unsigned int cold_max;		/* ... of one in COLD but not HOT */
	unsigned int nr_cold_regions;	/* regions seen in COLD but not HOT */
	unsigned long sis;		/* the kdamond's sampling intervals */
};

static bool overlaps(struct damon_region *r, unsigned long start)
{
	return r->ar.start < start + RANGE_SZ && start < r->ar.end;
}

/*
 * Runs in the kdamond through damon_call().  The moving sum is meaningful
 * at any point of an aggregation interval, unlike nr_accesses.
 */
static int observe(void *data)
{
	struct observation *o = data;
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, o->ctx) {
		damon_for_each_region(r, t) {
			unsigned int nr = damon_nr_accesses_mvsum(r, o->ctx);

			if (overlaps(r, HOT_ADDR))
				o->hot_max = max(o->hot_max, nr);
			/*
			 * vaddr may merge the cold range with the unmapped
			 * hole before it, which is never accessed either.
			 */
			if (overlaps(r, COLD_ADDR) && !overlaps(r, HOT_ADDR)) {
				o->cold_max = max(o->cold_max, nr);
				o->nr_cold_regions++;
			}
		}
	}
	return 0;
}

static int read_sis(void *data)
{
	struct observation *o = data;

	o->sis = o->ctx->passed_sample_intervals;
	return 0;
}

/* Has the workload of @t written both ranges?  Its anonymous RSS says. */
static bool workload_set_up(struct damon_target *t)
{
	struct task_struct *task = get_pid_task(t->pid, PIDTYPE_PID);
	unsigned long anon;
	struct mm_struct *mm;

	if (!task)
		return false;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return false;
	anon = get_mm_counter(mm, MM_ANONPAGES);
	mmput(mm);
	return anon >= 2 * RANGE_SZ / PAGE_SIZE;
}

/*
 * Wait for the workload's setup and two aggregation intervals after it;
 * false if that took longer than SETUP_TIMEOUT_MS.
 */
static bool wait_settled(struct damon_ctx *ctx, struct damon_target *t,
			 struct observation *o)
{
	struct damon_call_control call = { .fn = read_sis, .data = o };
	unsigned long deadline = jiffies + msecs_to_jiffies(SETUP_TIMEOUT_MS);
	unsigned long until = 0;

	for (;;) {
		if (time_after(jiffies, deadline) || damon_call(ctx, &call))
			return false;
		if (!until && workload_set_up(t))
			until = o->sis + 2 * ctx->attrs.aggr_samples + 1;
		if (until && o->sis >= until)
			return true;
		msleep(20);
	}
}

static bool wait_stopped(struct damon_ctx *ctx, unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);

	while (damon_is_running(ctx)) {
		if (time_after(jiffies, deadline))
			return false;
		msleep(100);
	}
	return true;
}

/* ===== Test cases ===== */

static const struct live_ops_case {
	enum damon_ops_id id;
	const char *name;
} live_ops[] = {
	{ DAMON_OPS_VADDR, "vaddr" },
	{ DAMON_OPS_FVADDR, "fvaddr" },
};

KUNIT_ARRAY_PARAM_DESC(live_ops, live_ops, name);

static void damon_vaddr_live_hot_cold(struct kunit *test)
{
	const struct live_ops_case *ops = test->param_value;
	struct damon_addr_range ranges[] = {
		{ HOT_ADDR, HOT_ADDR + RANGE_SZ },
		{ COLD_ADDR, COLD_ADDR + RANGE_SZ },
	};
	struct observation o = {};
	struct damon_attrs attrs;
	struct damon_call_control call = { .fn = observe, .data = &o };
	struct damon_target *t;
	struct damon_ctx *ctx;
	unsigned int waited;

	ctx = damon_new_ctx();
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, destroy_ctx, ctx), 0);
	KUNIT_ASSERT_EQ(test, damon_select_ops(ctx, ops->id), 0);
	/*
	 * The workload maps its ranges only after it started, far from its
	 * other mappings: vaddr must pick them up in an update.
	 */
	attrs = ctx->attrs;
	attrs.ops_update_interval = 100 * USEC_PER_MSEC;
	KUNIT_ASSERT_EQ(test, damon_set_attrs(ctx, &attrs), 0);
	o.ctx = ctx;

	t = damon_new_target();
	KUNIT_ASSERT_NOT_NULL(test, t);
	damon_add_target(ctx, t);
	if (ops->id == DAMON_OPS_FVADDR)
		KUNIT_ASSERT_EQ(test, damon_set_regions(t, ranges, 2,
							PAGE_SIZE), 0);
	t->pid = spawn_workload(test);

	KUNIT_ASSERT_EQ(test, damon_start(&ctx, 1, false), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, stop_ctx, ctx),
			0);
	KUNIT_ASSERT_TRUE_MSG(test, wait_settled(ctx, t, &o),
			      "workload not set up in %d ms", SETUP_TIMEOUT_MS);
	for (waited = 0; waited < OBSERVE_MS; waited += 100) {
		KUNIT_ASSERT_EQ_MSG(test, damon_call(ctx, &call), 0,
				    "kdamond stopped early");
		msleep(100);
	}

	kunit_info(test, "hot: up to %u accesses; cold: up to %u in %u regions",
		   o.hot_max, o.cold_max, o.nr_cold_regions);
	KUNIT_EXPECT_GT_MSG(test, o.hot_max, 0, "hot range never seen");
	KUNIT_EXPECT_EQ_MSG(test, o.cold_max, 0, "cold range seen accessed");
	KUNIT_EXPECT_GT(test, o.nr_cold_regions, 0);

	/* The workload exits by itself: its target becomes invalid. */
	KUNIT_EXPECT_TRUE_MSG(test, wait_stopped(ctx, STOP_TIMEOUT_MS),
			      "kdamond still running after the target exited");
}

static struct kunit_case damon_vaddr_live_test_cases[] = {
	KUNIT_CASE_PARAM_ATTR(damon_vaddr_live_hot_cold, live_ops_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

/*
 * KUnit keeps the last status of each case and, on the next run, takes a
 * SKIPPED one for "filtered out" and does not run it (lib/kunit/test.c,
 * kunit_run_tests()).  This suite always skips at boot, for lack of user
 * space, so a run from debugfs would never get to run it: forget the last
 * run first.  The suite is not meant to be filtered.
 */
static int damon_vaddr_live_suite_init(struct kunit_suite *suite)
{
	struct kunit_case *c;

	kunit_suite_for_each_test_case(suite, c)
		c->status = KUNIT_SUCCESS;
	return 0;
}

static struct kunit_suite damon_vaddr_live_test_suite = {
	.name = "damon_vaddr_live",
	.suite_init = damon_vaddr_live_suite_init,
	.test_cases = damon_vaddr_live_test_cases,
};

kunit_test_suite(damon_vaddr_live_test_suite);

MODULE_DESCRIPTION("Live KUnit test of DAMON's virtual address operation sets");
MODULE_LICENSE("GPL");

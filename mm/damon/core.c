// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON core: the kdamond thread and its main loop, and starting, stopping
 * and destroying contexts.  The rest of DAMON is in pieces this file calls
 * and that never call back (Documentation/mm/damon/design.rst, "Source
 * files", has the map):
 *
 *   context.c, damos.c		contexts, targets and DAMOS objects
 *   attrs.c, tuning.c		monitoring attributes, intervals auto-tuning
 *   commit.c			online update of a context
 *   call.c			damon_call() and damos_walk()
 *   regions.c			regions and their adaptive adjustment
 *   schemes.c, quota.c		the DAMOS engine
 *   ops-registry.c		operation set registry
 *   trace.c			tracepoint definitions
 */

#define pr_fmt(fmt) "damon-core: " fmt

#include <linux/damon.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include <trace/events/damon.h>

#include "internal.h"

/*
 * Lock ordering:
 *
 *   damon_lock			(running count, exclusivity)
 *     ctx->kdamond_lock	(ctx->kdamond)
 *       ctx->call_controls_lock	(ctx->call_controls)
 *       ctx->walk_control_lock	(ctx->walk_control)
 *   damon_ops_lock		(registered operation sets, ops-registry.c;
 *				 a leaf)
 *
 * None of these is held while the kdamond monitors or runs callbacks: the
 * operation set callbacks (which may take mmap_lock, the rmap locks and
 * folio locks), damon_call() functions and damos_walk() functions all run in
 * the kdamond with no DAMON lock held.
 *
 * Ownership: while a context runs, its kdamond alone touches its targets,
 * regions, schemes and attrs; other threads hand work to it with
 * damon_call() and damos_walk().  When it does not run, the caller owns it.
 */

/* Protects damon_nr_running and damon_running_exclusive. */
static DEFINE_MUTEX(damon_lock);
static int damon_nr_running;
static bool damon_running_exclusive;

static bool damon_core_ready __read_mostly;

/* ===== The kdamond ===== */

/*
 * kdamond life cycle (one thread per running context):
 *
 *   starting:	damon_start() created it and waits, holding damon_lock and
 *		ctx->kdamond_lock, until it has set up the operation set and
 *		the initial regions and signalled kdamond_started; so the setup
 *		(ops.init included) must not take either lock.
 *   running:	kdamond_main()'s loop, one iteration per sampling interval.
 *   exiting:	kdamond_teardown(): targets destroyed, pending damon_call()
 *		and damos_walk() requests cancelled, ctx->kdamond cleared, running
 *		count dropped -- the last two atomically with respect to
 *		damon_start(), damon_call() and damos_walk().
 */

static bool kdamond_targets_valid(struct damon_ctx *ctx)
{
	struct damon_target *t;

	if (!ctx->ops.target_valid)
		return true;
	damon_for_each_target(t, ctx)
		if (ctx->ops.target_valid(t))
			return true;
	return false;
}

static bool kdamond_should_exit(struct damon_ctx *ctx)
{
	if (kthread_should_stop() || READ_ONCE(ctx->maybe_corrupted))
		return true;
	return !kdamond_targets_valid(ctx);
}

/*
 * Sleep @us.  Wake early to stop and, with @idle (not monitoring, so not
 * in the middle of a sample), to serve damon_call() or damos_walk().
 */
static void kdamond_wait(struct damon_ctx *ctx, unsigned long us, bool idle)
{
	ktime_t expires = ktime_add_us(ktime_get(), us);
	u64 slack = min_t(u64, us * NSEC_PER_USEC / 16, 100 * NSEC_PER_USEC);

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		/* paired with damon_call() and damos_walk() */
		if (idle && READ_ONCE(ctx->requests_pending))
			break;
		if (!schedule_hrtimeout_range(&expires, slack,
					      HRTIMER_MODE_ABS))
			break;
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * Not monitoring (paused, or no scheme active): no scheme will apply
 * anything, so a pending damos_walk() is answered with an empty walk
 * rather than left waiting.
 */
static void kdamond_idle(struct damon_ctx *ctx, unsigned long us)
{
	if (kdamond_walk_begin(ctx))
		kdamond_walk_finish(ctx, false);
	kdamond_wait(ctx, us, true);
}

static void kdamond_setup(struct damon_ctx *ctx)
{
	struct damon_target *t;
	struct damos *s;

	if (ctx->ops.init)
		ctx->ops.init(ctx);
	damon_ensure_min_nr_regions(ctx);
	damon_probes_refresh(ctx);
	damon_fit_region_storage(ctx);
	ctx->attrs.aggr_samples = damon_nr_samples_per_aggr(&ctx->attrs);
	ctx->passed_sample_intervals = 0;
	ctx->nr_accesses_sum = 0;
	ctx->max_nr_samples_sum = 0;
	ctx->walk_active = NULL;
	damon_update_deadlines(ctx);
	damon_for_each_scheme(s, ctx)
		s->walk_completed = false;
	damon_for_each_target(t, ctx)
		WARN_ONCE(!damon_regions_valid(t),
			  "damon: bad initial regions\n");
}

/* Stop the kdamond on an internal inconsistency; never BUG. */
static void kdamond_check_regions(struct damon_ctx *ctx)
{
	struct damon_target *t;

	damon_for_each_target(t, ctx) {
		if (damon_regions_valid(t))
			continue;
		WARN_ONCE(1, "damon: inconsistent regions; stopping kdamond\n");
		ctx->maybe_corrupted = true;
		return;
	}
}

/* Everything that happens at the end of an aggregation interval. */
static void kdamond_end_window(struct damon_ctx *ctx, unsigned int max_nr)
{
	unsigned int nr_samples = damon_max_nr_accesses(&ctx->attrs);
	unsigned int nr_probes = min(ctx->nr_probes, DAMON_MAX_PROBES);
	bool attrs_only = ctx->probes_attrs_only;
	bool trace = trace_damon_aggregated_enabled();
	bool trace_probes = nr_probes &&
		trace_damon_region_aggregated_enabled();
	unsigned int age_thres = 0, wsum;
	struct damon_target *t;
	struct damon_region *r;
	unsigned long tidx = 0;

	/* regions made since the last call (set_regions) lack the counters */
	if (nr_probes)
		damon_fit_region_storage(ctx);
	/* the attributes-only mode ages and merges on weighted probe hits */
	if (attrs_only)
		age_thres = max(damon_probe_hits_wsum_max(ctx) / 10, 1U);
	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			ctx->nr_accesses_sum += r->nr_accesses;
			ctx->max_nr_samples_sum += nr_samples;
			if (attrs_only) {
				damon_age_region_wsum(r, ctx, age_thres);
				wsum = damon_probe_hits_wsum(r, false, false,
							     ctx);
				max_nr = max(max_nr, wsum);
			} else {
				damon_age_region(r, &ctx->attrs);
			}
			if (trace)
				trace_damon_aggregated(tidx, t->nr_regions, r);
			if (trace_probes)
				trace_damon_region_aggregated(tidx,
							      t->nr_regions,
							      r, nr_probes);
		}
		tidx++;
	}

	damon_adjust_merge(ctx, max(max_nr / 10, 1U));
	/* before the new window: guided cuts read this window's samples */
	damon_adjust_split(ctx);
	/* merging next to a region bigger than its limit can go below it */
	damon_ensure_min_nr_regions(ctx);
	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			damon_region_new_window(r);
	kdamond_check_regions(ctx);

	ctx->next_aggregation_sis = ctx->passed_sample_intervals +
		ctx->attrs.aggr_samples;

	/* no access is counted in the attributes-only mode: nothing to tune */
	if (ctx->attrs.intervals_goal.aggrs && !attrs_only &&
	    ctx->passed_sample_intervals >= ctx->next_intervals_tune_sis) {
		damon_tune_intervals_step(ctx);
		ctx->next_intervals_tune_sis = ctx->passed_sample_intervals +
			ctx->attrs.aggr_samples *
			ctx->attrs.intervals_goal.aggrs;
	}
}

/*
 * The DAMOS hook: the engine applies the schemes that are due, showing the
 * regions it tries to the walk being served; once it returned, the walk is
 * finished if every scheme did its round.
 */
static void kdamond_run_schemes(struct damon_ctx *ctx)
{
	struct damos_walk_control *walk = kdamond_walk_begin(ctx);

	if (list_empty(&ctx->schemes))
		return;
	damos_apply_schemes(ctx, walk);
	kdamond_walk_end(ctx);
}

/* The start of a sampling interval in the fault-report mode. */
static void kdamond_prepare_faults(struct damon_ctx *ctx)
{
	if (ctx->ops.prepare_access_faults)
		ctx->ops.prepare_access_faults(ctx);
}

/*
 * The end of it: the reports give the accesses; the probes, which need no
 * access check, still look at each region's sampled page.
 */
static unsigned int kdamond_check_faults(struct damon_ctx *ctx)
{
	unsigned int max_nr = damon_check_reports(ctx);

	if (damon_nr_probes(ctx) && ctx->ops.apply_probes)
		ctx->ops.apply_probes(ctx);
	return max_nr;
}

/*
 * One sampling interval of monitoring.  In the attributes-only mode the
 * probes take the place of the access checks; in the fault-report mode the
 * access reports do; otherwise check_accesses counts the probe hits along
 * with the accesses.
 */
static void kdamond_sample_once(struct damon_ctx *ctx)
{
	bool attrs_only = ctx->probes_attrs_only;
	bool faults = damon_sample_sync(ctx);
	unsigned int max_nr = 0;

	if (attrs_only) {
		if (ctx->ops.prep_probes)
			ctx->ops.prep_probes(ctx);
	} else if (faults) {
		kdamond_prepare_faults(ctx);
	} else if (ctx->ops.prepare_access_checks) {
		ctx->ops.prepare_access_checks(ctx);
	}
	kdamond_wait(ctx, ctx->attrs.sample_interval, false);
	if (attrs_only) {
		if (ctx->ops.apply_probes)
			ctx->ops.apply_probes(ctx);
	} else if (faults) {
		max_nr = kdamond_check_faults(ctx);
	} else if (ctx->ops.check_accesses) {
		max_nr = ctx->ops.check_accesses(ctx);
	}
	ctx->passed_sample_intervals++;

	/*
	 * The window is closed (aged, merged, split) before the schemes run,
	 * so that a scheme applied at the boundary sees the same regions and
	 * results as those applied within the next window.
	 */
	if (ctx->passed_sample_intervals >= ctx->next_aggregation_sis)
		kdamond_end_window(ctx, max_nr);

	kdamond_run_schemes(ctx);

	if (ctx->passed_sample_intervals >= ctx->next_ops_update_sis) {
		if (ctx->ops.update) {
			ctx->ops.update(ctx);
			damon_ensure_min_nr_regions(ctx);
			damon_fit_region_storage(ctx);
		}
		ctx->next_ops_update_sis = ctx->passed_sample_intervals +
			damon_us_to_sis(&ctx->attrs,
					ctx->attrs.ops_update_interval);
	}
}

/*
 * The last touches of @ctx by its kdamond.  kdamond_lock is released while
 * damon_lock is held, which damon_destroy_ctx() relies on.
 */
static void kdamond_teardown(struct damon_ctx *ctx)
{
	damon_sample_stop(ctx);
	damon_destroy_targets(ctx);

	mutex_lock(&damon_lock);
	mutex_lock(&ctx->kdamond_lock);
	kdamond_run_calls(ctx, true);
	kdamond_walk_finish(ctx, true);
	ctx->kdamond = NULL;
	mutex_unlock(&ctx->kdamond_lock);
	if (!--damon_nr_running)
		damon_running_exclusive = false;
	mutex_unlock(&damon_lock);
}

static int kdamond_main(void *data)
{
	struct damon_ctx *ctx = data;

	pr_debug("kdamond (%d) starts\n", current->pid);
	kdamond_setup(ctx);
	/* damon_start() returns once the initial regions exist */
	complete(&ctx->kdamond_started);
	while (!kdamond_should_exit(ctx)) {
		unsigned long wait_us;

		cond_resched();
		/* a commit may have set regions anew or raised the minimum */
		if (kdamond_run_calls(ctx, false))
			damon_ensure_min_nr_regions(ctx);
		if (kdamond_should_exit(ctx))
			break;
		if (READ_ONCE(ctx->pause)) {
			kdamond_idle(ctx, ctx->attrs.sample_interval);
			continue;
		}
		wait_us = damos_wmarks_wait_us(ctx);
		if (wait_us) {
			kdamond_idle(ctx, wait_us);
			continue;
		}
		kdamond_sample_once(ctx);
	}

	pr_debug("kdamond (%d) finishes\n", current->pid);
	kdamond_teardown(ctx);
	return 0;
}

/* ===== Execution control ===== */

/**
 * damon_nr_running_ctxs() - Number of running contexts.
 *
 * Context: Process context; takes damon_lock.
 * Return: The number of contexts whose kdamond is running.
 */
int damon_nr_running_ctxs(void)
{
	guard(mutex)(&damon_lock);
	return damon_nr_running;
}

static int damon_start_one(struct damon_ctx *ctx)
	__must_hold(&damon_lock)
{
	struct task_struct *k;
	int err = 0;

	lockdep_assert_held(&damon_lock);
	mutex_lock(&ctx->kdamond_lock);
	if (ctx->kdamond) {
		err = -EBUSY;
		goto out;
	}
	err = damon_valid_probe_params(ctx, &ctx->attrs);
	if (!err)
		err = damon_valid_sample_control(&ctx->sample_control);
	if (err)
		goto out;
	reinit_completion(&ctx->kdamond_started);
	ctx->maybe_corrupted = false;
	k = kthread_create(kdamond_main, ctx, "kdamond.%d", damon_nr_running);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto out;
	}
	ctx->kdamond = k;
	damon_nr_running++;
	wake_up_process(k);
	/* kdamond_main() signals this after its setup, which takes no lock */
	wait_for_completion(&ctx->kdamond_started);
out:
	mutex_unlock(&ctx->kdamond_lock);
	return err;
}

/**
 * damon_start() - Start monitoring with a group of contexts.
 * @ctxs:	The contexts.
 * @nr_ctxs:	Number of entries in @ctxs.
 * @exclusive:	Refuse to run along any other context.
 *
 * Creates one kdamond thread (named kdamond.N, N being the number of
 * contexts running before it) per context and waits until each has started.
 * An exclusive group starts only when nothing runs, and nothing starts while
 * an exclusive group runs.
 *
 * Context: Process context, sleeps.  Takes damon_lock and kdamond_lock.
 * Return: 0 on success; -EBUSY if exclusivity forbids starting or a context
 * is already running; -EINVAL if a context's probes or sample control are
 * invalid (see damon_valid_probe_params() and damon_valid_sample_control());
 * another negative errno if a kthread could
 * not be created.  On error the contexts before the failing one keep running.
 */
int damon_start(struct damon_ctx **ctxs, int nr_ctxs, bool exclusive)
{
	int i, err = 0;

	guard(mutex)(&damon_lock);
	/* an exclusive group runs alone, whichever side comes second */
	if (exclusive ? damon_nr_running : damon_running_exclusive)
		return -EBUSY;
	for (i = 0; i < nr_ctxs && !err; i++)
		err = damon_start_one(ctxs[i]);
	if (exclusive && damon_nr_running)
		damon_running_exclusive = true;
	return err;
}

/* The kdamond of @ctx with a reference held, or NULL if it is not running. */
static struct task_struct *damon_get_kdamond(struct damon_ctx *ctx)
{
	guard(mutex)(&ctx->kdamond_lock);
	if (ctx->kdamond)
		get_task_struct(ctx->kdamond);
	return ctx->kdamond;
}

/*
 * kthread_stop() the kdamond of @ctx.  kdamond_teardown() clears ctx->kdamond
 * before the thread ends, so after this @ctx is not running any more.
 */
static int damon_stop_one(struct damon_ctx *ctx)
{
	struct task_struct *k = damon_get_kdamond(ctx);

	if (!k)
		return -EPERM;
	kthread_stop_put(k);
	return 0;
}

/**
 * damon_stop() - Stop the kdamonds of a group of contexts.
 * @ctxs:	The contexts.
 * @nr_ctxs:	Number of entries in @ctxs.
 *
 * Waits until each kdamond has exited.  Contexts that are not running are
 * skipped.
 *
 * Context: Process context, not a kdamond of @ctxs; sleeps.  Takes
 * kdamond_lock.
 * Return: 0 if every context was running, -EPERM otherwise (the running
 * ones are still stopped).  Callers may ignore it.
 */
int damon_stop(struct damon_ctx **ctxs, int nr_ctxs)
{
	int i, err = 0, ret;

	for (i = 0; i < nr_ctxs; i++) {
		ret = damon_stop_one(ctxs[i]);
		if (ret && !err)
			err = ret;
	}
	return err;
}

/**
 * damon_is_running() - Tell whether a context's kdamond is running.
 * @ctx:	The context.
 *
 * Context: Process context; takes kdamond_lock.
 * Return: true if @ctx has a kdamond.
 */
bool damon_is_running(struct damon_ctx *ctx)
{
	/* a kdamond is a kernel thread, never pid 0 */
	return damon_kdamond_pid(ctx) > 0;
}

/**
 * damon_kdamond_pid() - Pid of a context's kdamond.
 * @ctx:	The context.
 *
 * Context: Process context; takes kdamond_lock.
 * Return: The pid, or -EINVAL if @ctx is not running.
 */
int damon_kdamond_pid(struct damon_ctx *ctx)
{
	guard(mutex)(&ctx->kdamond_lock);
	return ctx->kdamond ? ctx->kdamond->pid : -EINVAL;
}

/**
 * damon_destroy_ctx() - Free a context with its targets and schemes.
 * @ctx:	The context; must not be running.
 *
 * Context: Process context; caller owns @ctx.  Takes damon_lock and
 * kdamond_lock.
 */
void damon_destroy_ctx(struct damon_ctx *ctx)
{
	bool running;

	/*
	 * A kdamond that exits by itself drops kdamond_lock while holding
	 * damon_lock, and touches @ctx no more after releasing damon_lock.
	 * Taking damon_lock here thus makes sure that it is entirely done
	 * with @ctx, including its mutex_unlock() of kdamond_lock, which may
	 * still access the mutex after a waiter got it.
	 */
	mutex_lock(&damon_lock);
	running = damon_is_running(ctx);
	mutex_unlock(&damon_lock);
	if (WARN_ON_ONCE(running))
		return;
	damon_free_ctx(ctx);
}

/* ===== Initialisation ===== */

/**
 * damon_initialized() - Tell whether the DAMON core finished initialisation.
 *
 * Modules that may be enabled from the kernel command line use this to defer
 * their start until the core can serve them.
 *
 * Context: Any context.
 * Return: true once damon_init() has run successfully.
 */
bool damon_initialized(void)
{
	return READ_ONCE(damon_core_ready);
}

static int __init damon_init(void)
{
	int err;

	err = damon_regions_init();
	if (err) {
		pr_err("cannot create the region cache\n");
		return err;
	}
	WRITE_ONCE(damon_core_ready, true);
	return 0;
}
subsys_initcall(damon_init);

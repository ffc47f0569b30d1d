// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the DAMON modules: building a physical address space
 * context, checking the module parameters the core does not check, choosing
 * the monitored region and publishing scheme statistics.
 */

#define pr_fmt(fmt) "damon-modules: " fmt

#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/overflow.h>

#include "modules-common.h"

/**
 * damon_modules_new_paddr_ctx_target() - Make a context for physical memory.
 * @ctxp:	Receives the new context.
 * @targetp:	Receives its only target, which has no region yet.
 *
 * Context: Process context.
 * Return: 0 on success; -ENOMEM; -EINVAL if the paddr operation set is not
 * registered.
 */
int damon_modules_new_paddr_ctx_target(struct damon_ctx **ctxp,
				       struct damon_target **targetp)
{
	struct damon_target *target;
	struct damon_ctx *ctx;
	int err;

	ctx = damon_new_ctx();
	if (!ctx)
		return -ENOMEM;
	err = damon_select_ops(ctx, DAMON_OPS_PADDR);
	if (err)
		goto free_ctx;
	target = damon_new_target();
	if (!target) {
		err = -ENOMEM;
		goto free_ctx;
	}
	damon_add_target(ctx, target);
	*ctxp = ctx;
	*targetp = target;
	return 0;

free_ctx:
	damon_destroy_ctx(ctx);
	return err;
}

/**
 * damon_modules_check_wmarks() - Check free memory watermarks for order.
 * @high:	Watermark above which the schemes are deactivated.
 * @mid:	Watermark below which the schemes are activated.
 * @low:	Watermark below which the schemes are deactivated.
 *
 * Context: Any context.
 * Return: 0 if @high >= @mid >= @low, -EINVAL otherwise.
 */
int damon_modules_check_wmarks(unsigned long high, unsigned long mid,
			       unsigned long low)
{
	if (high < mid || mid < low)
		return -EINVAL;
	return 0;
}

/**
 * damon_modules_check_intervals() - Check the two monitoring intervals.
 * @sample_us:	Sampling interval in microseconds.
 * @aggr_us:	Aggregation interval in microseconds.
 *
 * The modules divide by both intervals, so zero is refused here, before
 * anything is built.
 *
 * Context: Any context.
 * Return: 0 if both are non-zero and @sample_us <= @aggr_us, else -EINVAL.
 */
int damon_modules_check_intervals(unsigned long sample_us,
				  unsigned long aggr_us)
{
	if (!sample_us || !aggr_us || sample_us > aggr_us)
		return -EINVAL;
	return 0;
}

/**
 * damon_modules_min_region_sz() - Minimum region size for an address unit.
 * @addr_unit:		Bytes per address unit.
 * @min_region_sz:	Receives max(PAGE_SIZE / @addr_unit, 1).
 *
 * Regions are cut and aligned in multiples of the minimum region size, so
 * it must be a power of two: an @addr_unit such as 3 (1365 units a page)
 * would make regions that straddle pages.  Every module refuses it.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if @addr_unit is 0 or the size is not a power of 2.
 */
int damon_modules_min_region_sz(unsigned long addr_unit,
				unsigned long *min_region_sz)
{
	if (!addr_unit)
		return -EINVAL;
	*min_region_sz = max(PAGE_SIZE / addr_unit, 1UL);
	return is_power_of_2(*min_region_sz) ? 0 : -EINVAL;
}

static int widen_span(struct resource *res, void *arg)
{
	struct resource *span = arg;

	if (!span->end) {
		span->start = res->start;
		span->end = res->end;
		return 0;
	}
	span->start = min(span->start, res->start);
	span->end = max(span->end, res->end);
	return 0;
}

/**
 * damon_modules_system_ram_span() - The range from the first to the last
 *	byte of System RAM.
 * @addr_unit:	Bytes per address unit of the result.
 * @span:	Receives the range, in address units.
 *
 * Holes between System RAM resources are included; the paddr operation set
 * finds nothing to sample there, so they only cost regions.
 *
 * Context: Process context.
 * Return: 0 on success; -EINVAL if there is no System RAM or @addr_unit is 0.
 */
int damon_modules_system_ram_span(unsigned long addr_unit,
				  struct damon_addr_range *span)
{
	struct resource ram = {};
	u64 start, end;

	if (!addr_unit)
		return -EINVAL;
	walk_system_ram_res(0, -1, &ram, widen_span);
	if (ram.end <= ram.start)
		return -EINVAL;
	start = div64_u64(ram.start, addr_unit);
	end = div64_u64((u64)ram.end + addr_unit, addr_unit);
	span->start = start;
	span->end = min_t(u64, end, ULONG_MAX);
	return 0;
}

static int note_ram(struct resource *res, void *arg)
{
	*(bool *)arg = true;
	return 1;
}

/*
 * Does [@start, @end) in @addr_unit units overlap System RAM?  A range
 * beyond the physical address space (its byte address overflows) does not.
 */
static bool damon_modules_range_has_ram(unsigned long start,
					unsigned long end,
					unsigned long addr_unit)
{
	u64 first, last;
	bool found = false;

	if (check_mul_overflow((u64)start, (u64)addr_unit, &first))
		return false;
	if (check_mul_overflow((u64)end, (u64)addr_unit, &last))
		last = U64_MAX;
	walk_system_ram_res(first, last - 1, &found, note_ram);
	return found;
}

/**
 * damon_modules_set_region() - Set the one region of a module's target.
 * @t:			The target.
 * @start:		In/out: start of the region in address units.
 * @end:		In/out: end of the region in address units.
 * @addr_unit:		Bytes per address unit.
 * @min_region_sz:	Minimum region size of the context.
 * @whole_ram:		How to pick the default region.
 *
 * If *@start and *@end are both zero the default is used and written back:
 * the biggest System RAM resource, or with @whole_ram the span of all of
 * System RAM.
 *
 * A region given by the user must overlap System RAM: one that does not
 * would be accepted, monitored and never find anything, which is a mistake
 * (a typo, or a unit confused with bytes) better reported when it is made.
 *
 * Context: Process context; caller owns @t.
 * Return: 0 on success; -EINVAL if *@start >= *@end, the region holds no
 * System RAM, or nothing to monitor was found; -ENOMEM.
 */
int damon_modules_set_region(struct damon_target *t, unsigned long *start,
			     unsigned long *end, unsigned long addr_unit,
			     unsigned long min_region_sz, bool whole_ram)
{
	struct damon_addr_range range = { .start = *start, .end = *end };
	unsigned long bytes_start = 0, bytes_end = 0;
	int err;

	if (!addr_unit)
		return -EINVAL;
	if (range.start || range.end) {
		if (range.start >= range.end ||
		    !damon_modules_range_has_ram(range.start, range.end,
						 addr_unit))
			return -EINVAL;
		return damon_set_regions(t, &range, 1, min_region_sz);
	}
	if (whole_ram) {
		err = damon_modules_system_ram_span(addr_unit, &range);
		if (!err)
			err = damon_set_regions(t, &range, 1, min_region_sz);
	} else {
		/* The core helper takes and returns bytes. */
		err = damon_set_region_biggest_system_ram_default(t,
								  &bytes_start,
								  &bytes_end,
								  addr_unit,
								  min_region_sz);
		range.start = bytes_start / addr_unit;
		range.end = bytes_end / addr_unit;
	}
	if (err)
		return err;
	*start = range.start;
	*end = range.end;
	return 0;
}

/**
 * damon_modules_publish_stat() - Copy a scheme's statistics to parameters.
 * @s:	The scheme.
 * @p:	The parameters receiving the values.
 *
 * Context: The kdamond running @s (e.g. a damon_call() function), or @s's
 * context is not running.
 */
void damon_modules_publish_stat(const struct damos *s,
				const struct damon_modules_stat_params *p)
{
	WRITE_ONCE(*p->nr_tried, s->stat.nr_tried);
	WRITE_ONCE(*p->sz_tried, s->stat.sz_tried);
	WRITE_ONCE(*p->nr_applied, s->stat.nr_applied);
	WRITE_ONCE(*p->sz_applied, s->stat.sz_applied);
	WRITE_ONCE(*p->qt_exceeds, s->stat.qt_exceeds);
}

/* ===== Module instances ===== */

/**
 * damon_module_parse_bool() - Parse a bool module parameter value.
 * @val:	The value; NULL (a bare "param" on the command line) means Y.
 * @res:	Receives the result.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if @val is not a boolean.
 */
static int damon_module_parse_bool(const char *val, bool *res)
{
	if (!val) {
		*res = true;
		return 0;
	}
	return kstrtobool(val, res);
}

/**
 * damon_module_running() - Tell whether a module's kdamond runs.
 * @m:	The module.
 *
 * Context: Process context.
 * Return: true if @m has a context and its kdamond runs.
 */
static bool damon_module_running(struct damon_module *m)
{
	return m->ctx && damon_is_running(m->ctx);
}

/**
 * damon_module_kdamond_pid() - The pid of a module's kdamond.
 * @m:	The module.
 *
 * Context: Process context.
 * Return: The pid, or -1 if it does not run.
 */
static int damon_module_kdamond_pid(struct damon_module *m)
{
	int pid;

	if (!m->ctx)
		return -1;
	pid = damon_kdamond_pid(m->ctx);
	return pid < 0 ? -1 : pid;
}

static int refresh_fn(void *data)
{
	struct damon_module *m = data;

	return m->refresh(m->ctx);
}

static void drop_ctx(struct damon_module *m)
{
	if (!m->ctx)
		return;
	damon_stop(&m->ctx, 1);
	damon_destroy_ctx(m->ctx);
	m->ctx = NULL;
}

static int start(struct damon_module *m)
{
	struct damon_ctx *ctx;
	int err;

	/* A context whose kdamond stopped by itself is rebuilt from scratch. */
	drop_ctx(m);
	err = m->build(&ctx);
	if (err)
		return err;
	err = damon_start(&ctx, 1, true);
	if (err) {
		damon_destroy_ctx(ctx);
		return err;
	}
	m->ctx = ctx;
	if (!m->refresh)
		return 0;
	m->refresh_call = (struct damon_call_control){
		.fn = refresh_fn,
		.data = m,
		.repeat = true,
	};
	err = damon_call(ctx, &m->refresh_call);
	if (err)
		drop_ctx(m);
	return err;
}

/**
 * damon_module_turn() - Start or stop a module.
 * @m:	The module.
 * @on:	Whether it should run.
 *
 * Doing what is already done is a no-op.  Starting builds a new context
 * with @m->build and runs it exclusively: nothing else may run in DAMON.
 *
 * Context: Process context, @m->ready; caller serialises calls for @m.
 * Return: 0 on success; -EBUSY if another DAMON context runs; the error of
 * @m->build, damon_start() or damon_call() otherwise.
 */
static int damon_module_turn(struct damon_module *m, bool on)
{
	if (on == damon_module_running(m))
		return 0;
	if (!on) {
		drop_ctx(m);
		return 0;
	}
	return start(m);
}

static int commit_fn(void *data)
{
	struct damon_ctx **ctxs = data;

	return damon_commit_ctx(ctxs[0], ctxs[1]);
}

/**
 * damon_module_commit() - Apply the module parameters to a running module.
 * @m:	The module.
 *
 * Builds a context from the parameters with @m->build, which validates
 * them, and has the kdamond copy it into the running context.  If the
 * parameters are invalid nothing changes; if applying them fails midway
 * the module is stopped, as its context may be inconsistent.
 *
 * Context: Process context, @m->ready; caller serialises calls for @m.
 * Return: 0 on success or if @m does not run; the error of @m->build;
 * the error of damon_commit_ctx() or damon_call(), after stopping @m.
 */
static int damon_module_commit(struct damon_module *m)
{
	struct damon_call_control call = { .fn = commit_fn };
	struct damon_ctx *ctxs[2];
	int err;

	if (!damon_module_running(m))
		return 0;
	err = m->build(&ctxs[1]);
	if (err)
		return err;
	ctxs[0] = m->ctx;
	call.data = ctxs;
	err = damon_call(m->ctx, &call);
	if (!err)
		err = call.return_code;
	damon_destroy_ctx(ctxs[1]);
	if (err) {
		pr_warn("%s: applying the new parameters failed (%d); stopping\n",
			m->name, err);
		drop_ctx(m);
	}
	return err;
}

/**
 * damon_module_init() - Make a module ready; start it if asked to at boot.
 * @m:	The module.
 *
 * A failure to start is reported and leaves the module disabled; it does
 * not fail the initcall, so the parameters stay usable.
 *
 * Context: The module's init function.
 * Return: 0, or -ENODEV if the DAMON core did not initialise.
 */
int damon_module_init(struct damon_module *m)
{
	int err;

	if (!damon_initialized()) {
		pr_err("%s: the DAMON core is not available\n", m->name);
		m->enabled = false;
		return -ENODEV;
	}
	m->ready = true;
	if (!m->enabled)
		return 0;
	err = damon_module_turn(m, true);
	if (err) {
		pr_warn("%s: cannot start (%d)\n", m->name, err);
		m->enabled = false;
	}
	return 0;
}

/* ===== Parameter operations ===== */

static int enabled_store(const char *val, const struct kernel_param *kp)
{
	struct damon_module *m = kp->arg;
	bool on;
	int err;

	err = damon_module_parse_bool(val, &on);
	if (err)
		return err;
	/* From the command line: damon_module_init() acts on it later. */
	if (!m->ready) {
		m->enabled = on;
		return 0;
	}
	err = damon_module_turn(m, on);
	m->enabled = damon_module_running(m);
	return err;
}

static int enabled_show(char *buf, const struct kernel_param *kp)
{
	struct damon_module *m = kp->arg;
	bool on = m->ready ? damon_module_running(m) : m->enabled;

	return sprintf(buf, "%c\n", on ? 'Y' : 'N');
}

const struct kernel_param_ops damon_module_enabled_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = enabled_store,
	.get = enabled_show,
};

static int commit_store(const char *val, const struct kernel_param *kp)
{
	struct damon_module *m = kp->arg;
	bool commit;
	int err;

	err = damon_module_parse_bool(val, &commit);
	if (err)
		return err;
	if (!commit)
		return 0;
	if (!m->ready)
		return -EINVAL;
	/* Synchronous: once the write returns, the inputs are applied. */
	return damon_module_commit(m);
}

static int commit_show(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "N\n");
}

const struct kernel_param_ops damon_module_commit_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = commit_store,
	.get = commit_show,
};

static int kdamond_pid_store(const char *val, const struct kernel_param *kp)
{
	return 0;	/* read-only; a command-line value is ignored */
}

static int kdamond_pid_show(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%d\n", damon_module_kdamond_pid(kp->arg));
}

const struct kernel_param_ops damon_module_kdamond_pid_ops = {
	.set = kdamond_pid_store,
	.get = kdamond_pid_show,
};

static int addr_unit_store(const char *val, const struct kernel_param *kp)
{
	unsigned long v;
	int err;

	err = kstrtoul(val, 0, &v);
	if (err)
		return err;
	if (!v)
		return -EINVAL;
	*(unsigned long *)kp->arg = v;
	return 0;
}

const struct kernel_param_ops damon_modules_addr_unit_ops = {
	.set = addr_unit_store,
	.get = param_get_ulong,
};

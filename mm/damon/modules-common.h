/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the DAMON modules: DAMON_RECLAIM, DAMON_LRU_SORT and
 * DAMON_STAT.  They only use the public DAMON API of <linux/damon.h>.
 */
#ifndef _MM_DAMON_MODULES_COMMON_H
#define _MM_DAMON_MODULES_COMMON_H

#include <linux/damon.h>
#include <linux/moduleparam.h>

/**
 * struct damon_modules_stat_params - Where a module publishes scheme stats.
 * @nr_tried:		Receives &damos_stat->nr_tried.
 * @sz_tried:		Receives &damos_stat->sz_tried.
 * @nr_applied:		Receives &damos_stat->nr_applied.
 * @sz_applied:		Receives &damos_stat->sz_applied.
 * @qt_exceeds:		Receives &damos_stat->qt_exceeds.
 */
struct damon_modules_stat_params {
	unsigned long *nr_tried;
	unsigned long *sz_tried;
	unsigned long *nr_applied;
	unsigned long *sz_applied;
	unsigned long *qt_exceeds;
};

/**
 * struct damon_module - One running instance of a DAMON module.
 * @name:	Name for messages, e.g. "damon_reclaim".
 * @build:	Makes a new, not running context from the module parameters.
 *		Returns 0 or a negative errno; may be called repeatedly.
 * @refresh:	Called with the running context from its kdamond in every
 *		main-loop iteration, to publish statistics.  May be NULL.
 * @ctx:	The context; NULL while none exists.  Kept after its kdamond
 *		exited by itself until the next start or stop.
 * @enabled:	Whether the module was asked to run before @ready.
 * @ready:	The module's init function ran: starting is possible.
 * @refresh_call: The repeating damon_call() request running @refresh.
 *
 * All fields are only touched by parameter handlers, which the module
 * parameter lock serialises, and by the module's init function, which runs
 * before user space can write parameters.  @refresh runs in the kdamond and
 * must only read @ctx's state.
 */
struct damon_module {
	const char *name;
	int (*build)(struct damon_ctx **ctxp);
	int (*refresh)(struct damon_ctx *ctx);
	struct damon_ctx *ctx;
	bool enabled;
	bool ready;
	struct damon_call_control refresh_call;
};

/*
 * Parameter operations whose kernel_param.arg is a struct damon_module:
 * "enabled" (bool; before the module's init only recorded), "commit_inputs"
 * (bool; Y applies the parameters, reads N) and "kdamond_pid" (int; -1 if
 * not running, writes ignored).  "addr_unit" takes an unsigned long, not 0.
 */
extern const struct kernel_param_ops damon_module_enabled_ops;
extern const struct kernel_param_ops damon_module_commit_ops;
extern const struct kernel_param_ops damon_module_kdamond_pid_ops;
extern const struct kernel_param_ops damon_modules_addr_unit_ops;

/*
 * DAMON_MODULE_CONTROL_PARAMS() - The "enabled" and "kdamond_pid"
 * parameters of module @m (a struct damon_module), whose name for humans
 * is @title.  DAMON_MODULE_COMMIT_PARAM() adds "commit_inputs".
 */
#define DAMON_MODULE_CONTROL_PARAMS(m, title)				\
	module_param_cb(enabled, &damon_module_enabled_ops, &m, 0600);	\
	MODULE_PARM_DESC(enabled, "Enable or disable " title);		\
	module_param_cb(kdamond_pid, &damon_module_kdamond_pid_ops, &m,	\
			0400);						\
	MODULE_PARM_DESC(kdamond_pid, "PID of " title "'s kdamond, or -1")

#define DAMON_MODULE_COMMIT_PARAM(m, title)				\
	module_param_cb(commit_inputs, &damon_module_commit_ops, &m, 0600); \
	MODULE_PARM_DESC(commit_inputs,					\
			 "Apply the other parameters to the running " title)

/*
 * The parameters DAMON_RECLAIM and DAMON_LRU_SORT share, each defining
 * file-local variables named after the parameter (the admin guides say
 * what each means):
 *
 * DAMON_MODULES_WMARKS_PARAMS() - wmarks_interval, wmarks_high, wmarks_mid
 * and wmarks_low, with the given defaults (the modules differ there).
 */
#define DAMON_MODULES_WMARKS_PARAMS(interval, high, mid, low)		\
	static unsigned long wmarks_interval __read_mostly = interval;	\
	module_param(wmarks_interval, ulong, 0600);			\
	static unsigned long wmarks_high __read_mostly = high;		\
	module_param(wmarks_high, ulong, 0600);				\
	static unsigned long wmarks_mid __read_mostly = mid;		\
	module_param(wmarks_mid, ulong, 0600);				\
	static unsigned long wmarks_low __read_mostly = low;		\
	module_param(wmarks_low, ulong, 0600)

/*
 * DAMON_MODULES_MON_ATTRS_PARAMS() - sample_interval (5 ms), aggr_interval
 * (100 ms), min_nr_regions (10) and max_nr_regions (1000).
 */
#define DAMON_MODULES_MON_ATTRS_PARAMS()				\
	static unsigned long sample_interval __read_mostly = 5000;	\
	module_param(sample_interval, ulong, 0600);			\
	static unsigned long aggr_interval __read_mostly = 100000;	\
	module_param(aggr_interval, ulong, 0600);			\
	static unsigned long min_nr_regions __read_mostly = 10;		\
	module_param(min_nr_regions, ulong, 0600);			\
	static unsigned long max_nr_regions __read_mostly = 1000;	\
	module_param(max_nr_regions, ulong, 0600)

/*
 * DAMON_MODULES_MON_REGION_PARAMS() - monitor_region_start and
 * monitor_region_end (address units; both 0: the default range), and
 * addr_unit, kept in @unit_var (default 1).
 */
#define DAMON_MODULES_MON_REGION_PARAMS(unit_var)			\
	static unsigned long monitor_region_start __read_mostly;	\
	module_param(monitor_region_start, ulong, 0600);		\
	static unsigned long monitor_region_end __read_mostly;		\
	module_param(monitor_region_end, ulong, 0600);			\
	static unsigned long unit_var __read_mostly = 1;		\
	module_param_cb(addr_unit, &damon_modules_addr_unit_ops,	\
			&unit_var, 0600)

int damon_module_init(struct damon_module *m);

int damon_modules_new_paddr_ctx_target(struct damon_ctx **ctxp,
				       struct damon_target **targetp);
int damon_modules_check_wmarks(unsigned long high, unsigned long mid,
			       unsigned long low);
int damon_modules_check_intervals(unsigned long sample_us,
				  unsigned long aggr_us);
int damon_modules_min_region_sz(unsigned long addr_unit,
				unsigned long *min_region_sz);
int damon_modules_system_ram_span(unsigned long addr_unit,
				  struct damon_addr_range *span);
int damon_modules_set_region(struct damon_target *t, unsigned long *start,
			     unsigned long *end, unsigned long addr_unit,
			     unsigned long min_region_sz, bool whole_ram);
void damon_modules_publish_stat(const struct damos *s,
				const struct damon_modules_stat_params *p);

#endif /* _MM_DAMON_MODULES_COMMON_H */

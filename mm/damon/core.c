// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON core: context lifecycle and the kdamond thread.
 *
 * This is the skeleton the build, boot and test harness is exercised with;
 * the monitoring core replaces it.
 */

#define pr_fmt(fmt) "damon: " fmt

#include <linux/damon.h>
#include <linux/init.h>
#include <linux/printk.h>

#define CREATE_TRACE_POINTS
#include <trace/events/damon.h>

static bool damon_core_ready;

/**
 * damon_initialized() - Tell whether the DAMON core finished initialisation.
 *
 * Modules that may be enabled from the kernel command line use this to defer
 * their start until the core can serve them.
 *
 * Context: Any context.
 * Return: true once damon_init() has run.
 */
bool damon_initialized(void)
{
	return damon_core_ready;
}

static int __init damon_init(void)
{
	damon_core_ready = true;
	return 0;
}
subsys_initcall(damon_init);

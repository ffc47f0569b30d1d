/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vaddr.c internals shared with its KUnit suite (tests/vaddr_kunit.c):
 * how the initial regions are derived from a process's mappings, and
 * which madvise() advice an action is.  Nothing here is API.
 */
#ifndef _MM_DAMON_VADDR_H
#define _MM_DAMON_VADDR_H

#include <linux/damon.h>

/**
 * struct damon_va_layout - Where a process has mappings, in brief.
 * @span:	From the start of the first mapping to the end of the last;
 *		empty (start == end) until a mapping has been added.
 * @gaps:	The two biggest unmapped holes inside @span, biggest first;
 *		an empty range means "no such hole".
 *
 * Built by feeding the mappings in ascending address order to
 * damon_va_layout_add(), so it needs no memory proportional to the number
 * of mappings and can be filled while walking the VMA tree.
 */
struct damon_va_layout {
	struct damon_addr_range span;
	struct damon_addr_range gaps[2];
};

#if IS_ENABLED(CONFIG_KUNIT)
void damon_va_layout_add(struct damon_va_layout *layout,
			 unsigned long start, unsigned long end);
unsigned int damon_va_layout_ranges(const struct damon_va_layout *layout,
				    struct damon_addr_range ranges[3],
				    unsigned long min_region_sz);
int damon_va_apply_layout(struct damon_target *t,
			  const struct damon_va_layout *layout,
			  unsigned long min_region_sz);
int damon_va_action_advice(enum damos_action action);
#endif

#endif /* _MM_DAMON_VADDR_H */

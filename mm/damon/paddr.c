// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON operation set for the physical address space ("paddr"): samples
 * page frames and asks the reverse map whether anybody accessed them.
 */

#define pr_fmt(fmt) "damon: " fmt

#include <linux/ioport.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/slab.h>

#include "ops-common.h"

/*
 * Region addresses of a paddr context are in units of ctx->addr_unit bytes,
 * which lets a 32-bit unsigned long describe more than 4 GiB of physical
 * memory.  Everything below converts to bytes, as phys_addr_t, right before
 * looking at a page frame.
 */

static unsigned long damon_pa_addr_unit(struct damon_ctx *ctx)
{
	return max(ctx->addr_unit, 1UL);
}

/* The granularity of sampling addresses: one page, in address units. */
static unsigned long damon_pa_sampling_align(struct damon_ctx *ctx)
{
	return max(PAGE_SIZE / damon_pa_addr_unit(ctx), 1UL);
}

/*
 * The folio at @addr if it may be sampled (see damon_get_folio()), with a
 * reference held.
 */
static struct folio *damon_pa_get_folio(struct damon_ctx *ctx,
					unsigned long addr)
{
	phys_addr_t paddr = (phys_addr_t)addr * damon_pa_addr_unit(ctx);

	return damon_get_folio(PHYS_PFN(paddr));
}

/* ===== Sampling ===== */

/*
 * One folio lookup and at most one reverse-map walk per region: the cost of
 * a sampling interval is bounded by the number of regions and the number of
 * mappings of the sampled folios, not by the size of memory.
 */
static void damon_pa_prepare_access_checks(struct damon_ctx *ctx)
{
	unsigned long align = damon_pa_sampling_align(ctx);
	struct damon_target *t;
	struct damon_region *r;
	struct folio *folio;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			r->sampling_addr = damon_pick_sampling_addr(r, align);
			folio = damon_pa_get_folio(ctx, r->sampling_addr);
			if (!folio)
				continue;
			damon_folio_mkold(folio);
			folio_put(folio);
		}
	}
}

static bool damon_pa_young(struct damon_ctx *ctx, unsigned long addr)
{
	struct folio *folio = damon_pa_get_folio(ctx, addr);
	bool young;

	/* Free, offline, isolated or kernel memory: nothing we can see. */
	if (!folio)
		return false;
	young = damon_folio_young(folio);
	folio_put(folio);
	return young;
}

static unsigned int damon_pa_check_accesses(struct damon_ctx *ctx)
{
	unsigned int max_nr_accesses = 0;
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			bool young = damon_pa_young(ctx, r->sampling_addr);

			damon_update_region_access_rate(r, young, &ctx->attrs);
			max_nr_accesses = max(max_nr_accesses, r->nr_accesses);
		}
	}
	return max_nr_accesses;
}

/* ===== Schemes ===== */

/*
 * The DAMOS actions come with the DAMOS engine; until then only
 * %DAMOS_STAT, which does nothing by definition, "applies".  Sizes are in
 * address units, like every region size the core accounts.
 */
static unsigned long damon_pa_apply_scheme(struct damon_ctx *ctx,
					   struct damon_target *t,
					   struct damon_region *r,
					   struct damos *s,
					   unsigned long *sz_filter_passed)
{
	*sz_filter_passed = 0;
	if (s->action == DAMOS_STAT)
		return damon_sz_region(r);
	return 0;
}

/* ===== Default regions ===== */

/* System RAM resources, in address units, collected by walk_system_ram_res(). */
struct ram_walk {
	struct damon_addr_range *ranges;
	unsigned int nr;
	unsigned int max;
	unsigned long addr_unit;
};

static int count_ram(struct resource *res, void *arg)
{
	struct ram_walk *w = arg;

	w->max++;
	return 0;
}

static int collect_ram(struct resource *res, void *arg)
{
	struct ram_walk *w = arg;
	u64 start = div64_u64(res->start, w->addr_unit);
	/* Round the end up: a partial unit at the end is still RAM. */
	u64 end = div64_u64(res->end + (u64)w->addr_unit, w->addr_unit);

	/* Memory hot-added since counting waits for the next call. */
	if (w->nr == w->max)
		return 0;
	/* Units beyond unsigned long cannot be monitored with this unit. */
	end = min_t(u64, end, ULONG_MAX);
	if (start >= end)
		return 0;
	w->ranges[w->nr].start = start;
	w->ranges[w->nr].end = end;
	w->nr++;
	return 0;
}

/**
 * damon_set_region_system_rams_default() - Set a target's regions to given
 *	bounds, by default to every System RAM resource.
 * @t:			The target.
 * @start:		In: start address (bytes), or 0 with @end 0 for the
 *			default.  Out: start of the first range used.
 * @end:		In/out: end address, as @start.
 * @addr_unit:		Bytes per address unit of the target's context.
 * @min_region_sz:	Minimum region size of the target's context.
 *
 * Unlike damon_set_region_biggest_system_ram_default(), which it falls back
 * to when bounds are given, the default covers all System RAM rather than
 * the biggest resource, leaving out only the holes between resources (that
 * are bigger than a region).
 *
 * Context: Process context; caller owns @t.  May sleep.
 * Return: 0 on success; -EINVAL if @start > @end, @addr_unit is 0 or no
 * System RAM exists; -ENOMEM on allocation failure.
 */
int damon_set_region_system_rams_default(struct damon_target *t,
		unsigned long *start, unsigned long *end,
		unsigned long addr_unit, unsigned long min_region_sz)
{
	struct ram_walk w = { .addr_unit = addr_unit };
	unsigned int nr;
	int err;

	if (*start > *end || !addr_unit)
		return -EINVAL;
	if (*start || *end)
		return damon_set_region_biggest_system_ram_default(t, start,
				end, addr_unit, min_region_sz);

	walk_system_ram_res(0, -1, &w, count_ram);
	if (!w.max)
		return -EINVAL;
	w.ranges = kcalloc(w.max, sizeof(*w.ranges), GFP_KERNEL);
	if (!w.ranges)
		return -ENOMEM;
	walk_system_ram_res(0, -1, &w, collect_ram);

	nr = damon_fit_ranges(w.ranges, w.nr, min_region_sz);
	err = nr ? damon_set_regions(t, w.ranges, nr, min_region_sz) : -EINVAL;
	if (!err) {
		*start = w.ranges[0].start * addr_unit;
		*end = w.ranges[nr - 1].end * addr_unit;
	}
	kfree(w.ranges);
	return err;
}

/* ===== Registration ===== */

static int __init damon_pa_initcall(void)
{
	/*
	 * No init/update: paddr regions are what the user (typically through
	 * damon_set_region_biggest_system_ram_default()) set.  No target
	 * validity or cleanup either: physical memory does not exit.
	 */
	struct damon_operations ops = {
		.id = DAMON_OPS_PADDR,
		.prepare_access_checks = damon_pa_prepare_access_checks,
		.check_accesses = damon_pa_check_accesses,
		.get_scheme_score = damon_scheme_score,
		.apply_scheme = damon_pa_apply_scheme,
	};

	return damon_register_ops(&ops);
}
subsys_initcall(damon_pa_initcall);

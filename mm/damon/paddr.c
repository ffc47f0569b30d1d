// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON operation set for the physical address space ("paddr"): samples
 * page frames and asks the reverse map whether anybody accessed them.
 */

#define pr_fmt(fmt) "damon: " fmt

#include <linux/mm.h>
#include <linux/pfn.h>

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

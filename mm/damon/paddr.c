// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON operation set for the physical address space ("paddr"): samples
 * page frames and asks the reverse map whether anybody accessed them.
 */

#include <linux/ioport.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/swap.h>

#include "../internal.h"
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
static void damon_pa_pick_samples(struct damon_ctx *ctx, bool mkold)
{
	unsigned long align = damon_pa_sampling_align(ctx);
	struct damon_target *t;
	struct damon_region *r;
	struct folio *folio;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			r->sampling_addr = damon_pick_sampling_addr(r, align);
			if (!mkold)
				continue;
			folio = damon_pa_get_folio(ctx, r->sampling_addr);
			if (!folio)
				continue;
			damon_folio_mkold(folio);
			folio_put(folio);
		}
	}
}

static void damon_pa_prepare_access_checks(struct damon_ctx *ctx)
{
	damon_pa_pick_samples(ctx, true);
}

/*
 * The fault-report mode: a new sample per region, armed through every
 * mapping of its page (see damon_folio_arm()).  Pages no process maps
 * cannot fault: they are never reported.
 */
static void damon_pa_prepare_access_faults(struct damon_ctx *ctx)
{
	unsigned long align = damon_pa_sampling_align(ctx);
	struct damon_target *t;
	struct damon_region *r;
	struct folio *folio;
	phys_addr_t paddr;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			r->sampling_addr = damon_pick_sampling_addr(r, align);
			folio = damon_pa_get_folio(ctx, r->sampling_addr);
			if (!folio)
				continue;
			paddr = (phys_addr_t)r->sampling_addr *
				damon_pa_addr_unit(ctx);
			damon_folio_arm(folio, PHYS_PFN(paddr));
			folio_put(folio);
		}
	}
}

/*
 * Test @r's sampled page for access (if @access) and count it in the probes
 * (if @probes).  Free, offline, isolated or kernel memory has no folio we
 * can see: never accessed, and a NULL folio for the probes.
 */
static bool damon_pa_sample(struct damon_ctx *ctx, struct damon_region *r,
			    bool access, bool probes)
{
	struct folio *folio = damon_pa_get_folio(ctx, r->sampling_addr);
	bool young = false;

	if (folio && access)
		young = damon_folio_young(folio);
	if (probes)
		damon_probes_hit(ctx, r, folio, young);
	if (folio)
		folio_put(folio);
	return young;
}

static unsigned int damon_pa_check_accesses(struct damon_ctx *ctx)
{
	bool probes = damon_nr_probes(ctx);
	unsigned int max_nr_accesses = 0;
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			bool young = damon_pa_sample(ctx, r, true, probes);

			damon_update_region_access_rate(r, young, &ctx->attrs);
			max_nr_accesses = max(max_nr_accesses, r->nr_accesses);
		}
	}
	return max_nr_accesses;
}

/*
 * The attributes-only mode: a new sample per region, made idle only if a
 * probe has a set_pgidle step (an access check would do it in any case),
 * and tested for access only if a probe filter asks.
 */
static void damon_pa_prep_probes(struct damon_ctx *ctx)
{
	damon_pa_pick_samples(ctx, ctx->probes_set_pgidle);
}

static void damon_pa_apply_probes(struct damon_ctx *ctx)
{
	struct damon_target *t;
	struct damon_region *r;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			damon_pa_sample(ctx, r, ctx->probes_pgidle, true);
}

/* ===== Schemes ===== */

/**
 * DOC: DAMOS actions on physical memory
 *
 * A paddr region is a range of page frames.  Applying a scheme to it walks
 * the range folio by folio:
 *
 * 1. Each page frame that is part of an online folio on an LRU list is
 *    looked up with a reference held (damon_get_folio()); other frames
 *    (free, kernel, isolated, offline memory) are skipped page by page.
 *    A folio may start before the region or end after it: it is acted on
 *    as a whole, but only the part inside the region is counted, and the
 *    walk goes on right after the folio.
 * 2. The scheme's ops filters decide on the folio (damon_ops_filters_allow()
 *    with damon_pa_folio_has_type()).  What they allow is counted as
 *    "passed" (&damos_stat->sz_ops_filter_passed).
 * 3. The action is applied to allowed folios: %DAMOS_LRU_PRIO activates
 *    them, %DAMOS_LRU_DEPRIO deactivates them, both right away;
 *    %DAMOS_PAGEOUT and the migrations isolate them from their LRU lists
 *    and, after the walk, hand the whole batch to reclaim_pages() or
 *    damon_migrate_folios().
 *
 * The bytes returned as applied are those of the allowed folios for the
 * LRU actions, and for pageout and migration what reclaim or migration
 * reported as done, capped to the bytes isolated (both count whole folios,
 * the isolated bytes only their part inside the region).  Other actions
 * (the madvise() ones) have no meaning for physical memory and apply
 * nothing.
 *
 * %DAMOS_STAT with no ops filters does not walk the region at all: it
 * applies to, and passes, the whole region.  With ops filters it walks it
 * to account what the filters let through.
 */

/* Whether @arg, a folio, has the property @f tests; see damon_ops_filters_allow(). */
static bool damon_pa_folio_has_type(const struct damos_filter *f, void *arg)
{
	struct folio *folio = arg;
	bool has;

	switch (f->type) {
	case DAMOS_FILTER_TYPE_ANON:
		return folio_test_anon(folio);
	case DAMOS_FILTER_TYPE_ACTIVE:
		return folio_test_active(folio);
	case DAMOS_FILTER_TYPE_MEMCG:
		return damon_folio_in_memcg(folio, f->memcg_id);
	case DAMOS_FILTER_TYPE_YOUNG:
		/* "accessed since the last check": so the check resets it */
		has = damon_folio_young(folio);
		if (has)
			damon_folio_mkold(folio);
		return has;
	case DAMOS_FILTER_TYPE_HUGEPAGE_SIZE:
		return damon_folio_size_in(folio, &f->sz_range);
	case DAMOS_FILTER_TYPE_UNMAPPED:
		return !folio_mapped(folio);
	default:
		/* core filter types are never on the ops list */
		WARN_ON_ONCE(1);
		return false;
	}
}

/*
 * struct damon_pa_apply - One application of a scheme to one region.
 * @s:		The scheme.
 * @take:	Applies the action to an allowed folio, or queues it on
 *		@folios for after the walk; returns whether it did.
 * @folios:	Folios isolated by @take, each holding its own reference.
 * @sz_passed:	Bytes of the region in folios the ops filters allowed.
 * @sz_taken:	Bytes of the region in folios @take returned true for.
 */
struct damon_pa_apply {
	struct damos *s;
	bool (*take)(struct folio *folio, struct damon_pa_apply *a);
	struct list_head folios;
	u64 sz_passed;
	u64 sz_taken;
};

/* For %DAMOS_STAT: the walk only accounts what the filters pass. */
static bool damon_pa_take_nothing(struct folio *folio,
				  struct damon_pa_apply *a)
{
	return false;
}

static bool damon_pa_take_activate(struct folio *folio,
				   struct damon_pa_apply *a)
{
	folio_activate(folio);
	return true;
}

static bool damon_pa_take_deactivate(struct folio *folio,
				     struct damon_pa_apply *a)
{
	folio_deactivate(folio);
	return true;
}

/* Isolate for reclaim, as MADV_PAGEOUT does: unevictable ones go back. */
static bool damon_pa_take_reclaim(struct folio *folio,
				  struct damon_pa_apply *a)
{
	if (!folio_isolate_lru(folio))
		return false;
	if (folio_test_unevictable(folio)) {
		folio_putback_lru(folio);
		return false;
	}
	list_add(&folio->lru, &a->folios);
	return true;
}

static bool damon_pa_take_migrate(struct folio *folio,
				  struct damon_pa_apply *a)
{
	return damon_isolate_folio(folio, &a->folios);
}

/* Steps 1 and 2 of "DAMOS actions on physical memory", and @a->take. */
static void damon_pa_walk_region(struct damon_ctx *ctx, struct damon_region *r,
				 struct damon_pa_apply *a)
{
	unsigned long unit = damon_pa_addr_unit(ctx);
	phys_addr_t addr = (phys_addr_t)r->ar.start * unit;
	phys_addr_t end = (phys_addr_t)r->ar.end * unit;
	phys_addr_t folio_end;
	struct folio *folio;
	u64 sz;

	while (addr < end) {
		/* a region may span gigabytes of frames that are no folio */
		cond_resched();
		folio = damon_get_folio(PHYS_PFN(addr));
		if (!folio) {
			addr = PFN_PHYS(PHYS_PFN(addr) + 1);
			continue;
		}
		/* our reference keeps the folio from being split */
		folio_end = PFN_PHYS(folio_pfn(folio)) + folio_size(folio);
		sz = min(folio_end, end) - addr;
		if (damon_ops_filters_allow(a->s, damon_pa_folio_has_type,
					    folio)) {
			a->sz_passed += sz;
			if (a->take(folio, a))
				a->sz_taken += sz;
		}
		folio_put(folio);
		addr = folio_end;
	}
}

/* Bytes, as counted by the walk, to address units of @ctx. */
static unsigned long damon_pa_units(struct damon_ctx *ctx, u64 bytes)
{
	return div64_u64(bytes, damon_pa_addr_unit(ctx));
}

/*
 * &damon_operations->apply_scheme of paddr; see "DAMOS actions on physical
 * memory".  Sizes in and out are in address units.  Runs in the kdamond.
 */
static unsigned long damon_pa_apply_scheme(struct damon_ctx *ctx,
					   struct damon_target *t,
					   struct damon_region *r,
					   struct damos *s,
					   unsigned long *sz_filter_passed)
{
	struct damon_pa_apply a = {
		.s = s,
		.folios = LIST_HEAD_INIT(a.folios),
	};
	u64 sz_done;

	*sz_filter_passed = 0;
	switch (s->action) {
	case DAMOS_STAT:
		if (list_empty(&s->ops_filters)) {
			*sz_filter_passed = damon_sz_region(r);
			return damon_sz_region(r);
		}
		a.take = damon_pa_take_nothing;
		break;
	case DAMOS_PAGEOUT:
		a.take = damon_pa_take_reclaim;
		break;
	case DAMOS_LRU_PRIO:
		a.take = damon_pa_take_activate;
		break;
	case DAMOS_LRU_DEPRIO:
		a.take = damon_pa_take_deactivate;
		break;
	case DAMOS_MIGRATE_HOT:
	case DAMOS_MIGRATE_COLD:
		a.take = damon_pa_take_migrate;
		break;
	default:
		return 0;
	}

	damon_pa_walk_region(ctx, r, &a);
	*sz_filter_passed = damon_pa_units(ctx, a.sz_passed);

	switch (s->action) {
	case DAMOS_STAT:
		return damon_sz_region(r);
	case DAMOS_PAGEOUT:
		/* reclaim_pages() puts back what it did not reclaim */
		sz_done = (u64)reclaim_pages(&a.folios) * PAGE_SIZE;
		break;
	case DAMOS_MIGRATE_HOT:
	case DAMOS_MIGRATE_COLD:
		sz_done = damon_migrate_folios(&a.folios, s);
		break;
	default:
		/* activation and deactivation are batched per CPU: flush */
		lru_add_drain();
		sz_done = a.sz_taken;
		break;
	}
	return damon_pa_units(ctx, min(sz_done, a.sz_taken));
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
					 unsigned long addr_unit,
					 unsigned long min_region_sz)
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
		.prep_probes = damon_pa_prep_probes,
		.apply_probes = damon_pa_apply_probes,
		.prepare_access_faults = damon_pa_prepare_access_faults,
		.get_scheme_score = damon_scheme_score,
		.apply_scheme = damon_pa_apply_scheme,
	};

	return damon_register_ops(&ops);
}
subsys_initcall(damon_pa_initcall);

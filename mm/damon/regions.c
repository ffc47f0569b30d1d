// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON regions: region lists, access counters and the adaptive regions
 * adjustment (merge, split, aging) that keeps the monitoring cost bounded,
 * and the helper that gives a physical target its default region.
 */

#include <kunit/visibility.h>
#include <linux/damon.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * DOC: Adaptive regions adjustment
 *
 * DAMON checks one sampled address per region per sampling interval, so the
 * cost of a sample is O(number of regions), whatever the size of the memory
 * watched.  The number of regions is kept between min_nr_regions and
 * max_nr_regions, while the regions follow the access pattern.  When a
 * kdamond starts, regions are cut into near-equal pieces until there are
 * min_nr_regions of them (nothing is known yet to cut better).  Then the
 * following steps run at the end of each aggregation interval:
 *
 * 1. Aging.  A region whose nr_accesses differs from the previous
 *    aggregation's by at least a tenth of the highest possible value (at
 *    least 1) has changed significantly: its age restarts from 0.  Otherwise
 *    it grows by one.
 *
 * 2. Merging.  Adjacent (touching) regions of a target whose nr_accesses
 *    differ by no more than a threshold are merged, unless the result would
 *    be bigger than total monitored size / min_nr_regions (so that merging
 *    alone never takes the count below min_nr_regions).  The threshold is a
 *    tenth of the highest nr_accesses observed in the aggregation (at least
 *    1); while more than max_nr_regions remain, it is doubled and merging
 *    repeated.  The merged region's counters and age are the size-weighted
 *    averages of the two.
 *
 * 3. Splitting.  If the number of regions is at most half of max_nr_regions,
 *    each region of at least twice the minimum region size is cut, at
 *    minimum-size-aligned points, by the first of these rules that gives a
 *    cut:
 *
 *    - Guided cuts.  The lowest and the highest sampled address that found
 *      an access in the aggregation bound the part of the region that is
 *      being accessed.  The region is cut at those bounds, which separates
 *      the accessed part from the idle parts beside it in one step.  One
 *      accessed sample is enough: its page is cut out, and if it lies in a
 *      hot spot, that page reads hot from the next aggregation on (and the
 *      edge cuts grow it), else it merges back.  An idle part is only cut
 *      off if it is big enough to have been likely to get two samples (2 /
 *      samples-per-aggregation of the region): a smaller one is where no
 *      sample happened to fall, not evidence; but an accessed part smaller
 *      than that is cut out whatever is left beside it (a small hot spot is
 *      what the samples point at).  Both bounds are cut (three pieces) while
 *      the number of regions is at most a third of max_nr_regions;
 *      otherwise only the one with the bigger idle part.
 *      Merging keeps the bounds, so a sample is not lost when its region
 *      merges with an idle neighbour first.
 *
 *    - Edge cuts.  A region touching a neighbour that had at least two more
 *      accessed samples and is at most half its size is cut next to that
 *      neighbour, a piece of the neighbour's size off (on both sides if both
 *      neighbours qualify and three pieces are allowed).  If the hot range
 *      goes on into the region, the piece reads hot and merges with the
 *      neighbour; if not, it reads as the region does and merges back.  A
 *      hot spot found by one sample so grows by its own size on each side
 *      per aggregation until its edges are found.  Then its age grows, and
 *      the edge cuts are tried again only at ages 1, 3, 7, 15 ... (2^n - 1),
 *      so that a hot page beside idle ones does not cost two regions in
 *      every aggregation.
 *
 *    - Random cut.  A region without a guided or edge cut is cut in two at a
 *      random point, which keeps looking for hot spots too small to have
 *      been sampled: in every aggregation while the region is younger than
 *      8 aggregations, then only at ages 2^n - 1.  A region whose count has
 *      not changed for long (idle memory, a hot range whose edges are
 *      found) needs no more samples than its own.
 *
 *    The piece counts keep the result within max_nr_regions, and no region
 *    gets below the minimum size.
 *
 *    Why guided cuts: a random cut halves, on average, the part of a region
 *    where a hot/cold boundary can be, once per aggregation interval.  The
 *    accessed samples of one aggregation place the boundary to about a
 *    samples-per-aggregation-th of the region at once.  Why single samples
 *    and edge cuts: a hot spot much smaller than the regions around it (the
 *    benchmark's ``islands``: 32 hot 64 KiB islands in 256 MiB) gets one
 *    sample now and then, rarely two in one aggregation; were two needed,
 *    it would stay inside a cold region for good.  Cutting out the page of
 *    each single sample costs a region for one aggregation when the sample
 *    was a stray one.
 *
 * Example: a 100-page target with a hot 20-page range, min 10 and max 100
 * regions.  The regions covering the hot range get high counts and those
 * elsewhere low ones; merging fuses the cold neighbours and the hot
 * neighbours separately.  A region that straddles an edge of the hot range
 * has accessed samples only on the hot side, so it is cut close to the
 * edge; the pieces then merge with their own kind.
 */

/*
 * Two caches: regions of contexts without probes do not carry the probe
 * counters (the common case: monitoring alone).  SLUB names the first
 * "damon_region", which the benchmark reads.
 */
static struct kmem_cache *damon_region_cache __ro_after_init;
static struct kmem_cache *damon_region_probes_cache __ro_after_init;

/* ===== Region lifecycle ===== */

/**
 * damon_new_region() - Allocate a region.
 * @start:	Start address of the region.
 * @end:	End address of the region (exclusive).
 *
 * The counters and age start at zero.
 *
 * Context: Process context; may sleep.
 * Return: The new region, or NULL on allocation failure.
 */
struct damon_region *damon_new_region(unsigned long start, unsigned long end)
{
	return damon_alloc_region(start, end, false);
}

/**
 * damon_alloc_region() - Allocate a region, with or without probe counters.
 * @start:	Start address of the region.
 * @end:	End address of the region (exclusive).
 * @probes:	Give it &damon_region->probe_hits (for a context with probes).
 *
 * Context: Process context; may sleep.
 * Return: The new region, zeroed but for its range, or NULL.
 */
struct damon_region *damon_alloc_region(unsigned long start, unsigned long end,
					bool probes)
{
	struct kmem_cache *c = probes ? damon_region_probes_cache :
		damon_region_cache;
	struct damon_region *r = kmem_cache_zalloc(c, GFP_KERNEL);

	if (!r)
		return NULL;
	r->ar.start = start;
	r->ar.end = end;
	r->has_probes = probes;
	INIT_LIST_HEAD(&r->list);
	return r;
}

static void damon_free_region(struct damon_region *r)
{
	kmem_cache_free(r->has_probes ? damon_region_probes_cache :
			damon_region_cache, r);
}

/*
 * The accessed-sample bounds (&damon_region->hit_lo, hit_hi) are offsets
 * from the region's start in units of 2^shift bytes, the smallest power of
 * two that brings the region's size below 2^15 units: 15 bits for the
 * lowest, 16 for the rounded-up end.  A cut at such a bound is at most a
 * 1/16384 of the region away from the sample (on the same page for
 * regions below 128 MiB); the unit changes with the size, so whoever
 * changes a range reads the bounds before and stores them again after.
 */
static unsigned int damon_hit_shift(const struct damon_region *r)
{
	unsigned int bits = fls_long(r->ar.end - r->ar.start);

	return bits > 15 ? bits - 15 : 0;
}

/* The accessed-sample bounds of @r as addresses; false if none. */
VISIBLE_IF_KUNIT bool damon_region_hits(const struct damon_region *r,
					 unsigned long *lo, unsigned long *hi)
{
	unsigned int shift = damon_hit_shift(r);

	if (!r->hit_hi)
		return false;
	*lo = r->ar.start + ((unsigned long)r->hit_lo << shift);
	*hi = min(r->ar.start + ((unsigned long)r->hit_hi << shift), r->ar.end);
	return *lo < *hi;
}

/* Store [@lo, @hi) clipped to @r as its accessed-sample bounds. */
VISIBLE_IF_KUNIT void damon_region_set_hits(struct damon_region *r,
					     unsigned long lo, unsigned long hi)
{
	unsigned int shift = damon_hit_shift(r);

	lo = max(lo, r->ar.start);
	hi = min(hi, r->ar.end);
	if (lo >= hi) {
		r->hit_lo = 0;
		r->hit_hi = 0;
		return;
	}
	r->hit_lo = (lo - r->ar.start) >> shift;
	r->hit_hi = (hi - r->ar.start + (1UL << shift) - 1) >> shift;
}

/*
 * Widen the range of @r's accessed samples to cover @addr: in units, the
 * sample's unit is [u, u + 1), so no address needs to be decoded.
 */
static void damon_note_hit(struct damon_region *r, unsigned long addr)
{
	unsigned int u;

	if (addr < r->ar.start || addr >= r->ar.end)
		return;
	u = (addr - r->ar.start) >> damon_hit_shift(r);
	if (!r->hit_hi) {
		r->hit_lo = u;
		r->hit_hi = u + 1;
		return;
	}
	r->hit_lo = min_t(unsigned int, r->hit_lo, u);
	r->hit_hi = max_t(unsigned int, r->hit_hi, u + 1);
}

/* Copy the probe counters of @src to @dst, as far as both have them. */
static void damon_copy_probe_hits(struct damon_region *dst,
				  const struct damon_region *src)
{
	if (!dst->has_probes)
		return;
	if (!src->has_probes) {
		memset(dst->probe_hits, 0, sizeof(dst->probe_hits));
		memset(dst->last_probe_hits, 0, sizeof(dst->last_probe_hits));
		return;
	}
	memcpy(dst->probe_hits, src->probe_hits, sizeof(dst->probe_hits));
	memcpy(dst->last_probe_hits, src->last_probe_hits,
	       sizeof(dst->last_probe_hits));
}

/* Give @dst the access counters, age and probe counters of @src. */
static void damon_copy_counters(struct damon_region *dst,
				const struct damon_region *src)
{
	dst->nr_accesses = src->nr_accesses;
	dst->last_nr_accesses = src->last_nr_accesses;
	dst->age = src->age;
	damon_copy_probe_hits(dst, src);
}

/**
 * damon_add_region() - Append a region to a target.
 * @r:	The region; must lie above every region of @t.
 * @t:	The target.
 *
 * Context: Caller owns @t (kdamond, or the context is not running).
 */
void damon_add_region(struct damon_region *r, struct damon_target *t)
{
	list_add_tail(&r->list, &t->regions_list);
	t->nr_regions++;
}

/**
 * damon_destroy_region() - Unlink a region from its target and free it.
 * @r:	The region.
 * @t:	The target @r belongs to.
 *
 * Context: Caller owns @t (kdamond, or the context is not running).
 */
void damon_destroy_region(struct damon_region *r, struct damon_target *t)
{
	list_del(&r->list);
	t->nr_regions--;
	damon_free_region(r);
}

/**
 * damon_nr_regions() - Number of regions of a target.
 * @t:	The target.
 *
 * Context: Caller owns @t.
 * Return: The number of regions of @t.
 */
unsigned int damon_nr_regions(struct damon_target *t)
{
	return t->nr_regions;
}

/*
 * Split @r so that it keeps its first @sz_r bytes and a new region, inserted
 * right after it, takes the rest with the same counters.  Returns the new
 * region, or NULL (leaving @r alone) on allocation failure.
 */
struct damon_region *damon_cut_region(struct damon_target *t,
				      struct damon_region *r,
					   unsigned long sz_r)
{
	struct damon_region *n;
	unsigned long lo, hi;
	bool hits;

	if (WARN_ON_ONCE(!sz_r || sz_r >= damon_sz_region(r)))
		return NULL;
	n = damon_alloc_region(r->ar.start + sz_r, r->ar.end, r->has_probes);
	if (!n)
		return NULL;
	damon_copy_counters(n, r);
	hits = damon_region_hits(r, &lo, &hi);
	r->ar.end = n->ar.start;
	if (hits) {
		damon_region_set_hits(r, lo, hi);
		damon_region_set_hits(n, lo, hi);
	} else {
		damon_region_set_hits(r, 0, 0);
	}
	damon_insert_region(n, r, damon_next_region(r), t);
	return n;
}

/* A copy of @r in the object size @probes asks for, replacing it. */
static void damon_refit_region(struct damon_region *r, bool probes)
{
	struct damon_region *n = damon_alloc_region(r->ar.start, r->ar.end,
						    probes);

	/* no memory: keep @r, and try again at the next call */
	if (!n)
		return;
	damon_copy_counters(n, r);
	n->sampling_addr = r->sampling_addr;
	n->hit_lo = r->hit_lo;
	n->hit_hi = r->hit_hi;
	list_replace(&r->list, &n->list);
	damon_free_region(r);
}

/**
 * damon_fit_region_storage() - Give the regions the object size the probes
 *				need.
 * @ctx:	The context.
 *
 * Regions of a context with probes get the probe counters, those of a
 * context without lose them.  Regions are created without (e.g. by
 * damon_set_regions()), so this runs where regions or probes change: the
 * kdamond's start, each aggregation boundary and operations update, and
 * damon_commit_ctx().  A region that cannot be reallocated is kept as it
 * is, counting no probe hits, until a later call succeeds.
 *
 * Context: Caller owns @ctx (its kdamond, or @ctx is not running); may
 * sleep.
 */
void damon_fit_region_storage(struct damon_ctx *ctx)
{
	bool probes = damon_nr_probes(ctx) > 0;
	struct damon_region *r, *next;
	struct damon_target *t;

	damon_for_each_target(t, ctx)
		damon_for_each_region_safe(r, next, t)
			if (r->has_probes != probes)
				damon_refit_region(r, probes);
}

/**
 * damon_regions_valid() - Check the invariants of a target's region list.
 * @t:	The target.
 *
 * Regions must be non-empty, sorted, non-overlapping, and counted exactly
 * by @t->nr_regions.
 *
 * Context: Caller owns @t.
 * Return: true if the invariants hold.
 */
bool damon_regions_valid(struct damon_target *t)
{
	struct damon_region *r;
	unsigned long prev_end = 0;
	unsigned int nr = 0;

	damon_for_each_region(r, t) {
		if (r->ar.start >= r->ar.end || (nr && r->ar.start < prev_end))
			return false;
		prev_end = r->ar.end;
		nr++;
	}
	return nr == t->nr_regions;
}

/* ===== set_regions ===== */

/* Give @r a new range, keeping its accessed-sample bounds that lie in it. */
static void damon_set_region_range(struct damon_region *r,
				   unsigned long start, unsigned long end)
{
	unsigned long lo = 0, hi = 0;

	damon_region_hits(r, &lo, &hi);
	r->ar.start = start;
	r->ar.end = end;
	damon_region_set_hits(r, lo, hi);
}

static void damon_align_range(struct damon_addr_range *dst,
			      const struct damon_addr_range *src,
			      unsigned long min_region_sz)
{
	dst->start = rounddown(src->start, min_region_sz);
	dst->end = roundup(src->end, min_region_sz);
}

/*
 * Make every region either fully inside one range or fully outside all, by
 * splitting regions at the range boundaries that fall inside them.  Splits
 * keep the counters, so a failure midway leaves a valid list.
 */
static int damon_split_at_ranges(struct damon_target *t,
				 struct damon_addr_range *ranges,
				 unsigned int nr_ranges, unsigned long msz)
{
	struct damon_region *r;
	unsigned int nr_bounds = nr_ranges * 2, bi = 0;

	damon_for_each_region(r, t) {
		while (bi < nr_bounds) {
			struct damon_addr_range ar;
			unsigned long bound;

			damon_align_range(&ar, &ranges[bi / 2], msz);
			bound = bi % 2 ? ar.end : ar.start;
			if (bound <= r->ar.start) {
				bi++;
				continue;
			}
			if (bound >= r->ar.end)
				break;
			if (!damon_cut_region(t, r, bound - r->ar.start))
				return -ENOMEM;
			/* the rest of @r is the next region of the loop */
			break;
		}
	}
	return 0;
}

/* Destroy the regions that lie in no range (after damon_split_at_ranges()). */
static void damon_drop_outside(struct damon_target *t,
			       struct damon_addr_range *ranges,
			       unsigned int nr_ranges, unsigned long msz)
{
	struct damon_region *r, *next;
	unsigned int i = 0;

	damon_for_each_region_safe(r, next, t) {
		struct damon_addr_range ar = {};

		for (; i < nr_ranges; i++) {
			damon_align_range(&ar, &ranges[i], msz);
			if (ar.end > r->ar.start)
				break;
		}
		if (i == nr_ranges || ar.start >= r->ar.end)
			damon_destroy_region(r, t);
	}
}

/*
 * With every region inside a range, stretch the first and last region of
 * each range to its edges, and fill the holes between them and the ranges
 * without any region with new regions.
 */
static int damon_fill_ranges(struct damon_target *t,
			     struct damon_addr_range *ranges,
			     unsigned int nr_ranges, unsigned long msz)
{
	/* the last region placed */
	struct list_head *pos = &t->regions_list;
	unsigned int i;

	for (i = 0; i < nr_ranges; i++) {
		struct damon_addr_range ar;
		struct damon_region *r, *first = NULL, *last = NULL;

		damon_align_range(&ar, &ranges[i], msz);
		r = list_entry(pos->next, struct damon_region, list);
		while (&r->list != &t->regions_list && r->ar.start < ar.end) {
			if (!first) {
				first = r;
				damon_set_region_range(r, ar.start, r->ar.end);
			} else if (last->ar.end < r->ar.start) {
				struct damon_region *hole;

				hole = damon_new_region(last->ar.end,
							r->ar.start);
				if (!hole)
					return -ENOMEM;
				damon_insert_region(hole, last, r, t);
			}
			last = r;
			pos = &r->list;
			r = damon_next_region(r);
		}
		if (last) {
			damon_set_region_range(last, last->ar.start, ar.end);
			continue;
		}
		r = damon_new_region(ar.start, ar.end);
		if (!r)
			return -ENOMEM;
		__list_add(&r->list, pos, pos->next);
		t->nr_regions++;
		pos = &r->list;
	}
	return 0;
}

/*
 * Whether @ar is a valid damon_set_regions() range following @prev (NULL
 * for the first range): non-empty, and above @prev once both are widened
 * to @msz.
 */
static bool damon_range_fits(const struct damon_addr_range *prev,
			     const struct damon_addr_range *ar,
			     unsigned long msz)
{
	struct damon_addr_range a, p;

	if (ar->start >= ar->end)
		return false;
	damon_align_range(&a, ar, msz);
	if (a.end < a.start)	/* overflowed at the top */
		return false;
	if (!prev)
		return true;
	damon_align_range(&p, prev, msz);
	return p.end <= a.start;
}

/**
 * damon_regions_fit() - Check that a target's regions can be committed.
 * @t:			The target whose regions would be passed to
 *			damon_set_regions().
 * @min_region_sz:	The alignment they would be set with.
 *
 * Context: Caller owns @t.
 * Return: true if damon_set_regions() would accept @t's regions as ranges.
 */
bool damon_regions_fit(struct damon_target *t, unsigned long min_region_sz)
{
	unsigned long msz = max(min_region_sz, 1UL);
	struct damon_region *r, *prev = NULL;

	damon_for_each_region(r, t) {
		if (!damon_range_fits(prev ? &prev->ar : NULL, &r->ar, msz))
			return false;
		prev = r;
	}
	return true;
}

/**
 * damon_set_regions() - Make a target's regions cover exactly given ranges.
 * @t:			The target.
 * @ranges:		Address ranges, sorted and non-overlapping.
 * @nr_ranges:		Number of entries in @ranges; 0 removes all regions.
 * @min_region_sz:	Alignment; each range is widened to it.
 *
 * Regions that intersect no range are removed; intersecting ones are trimmed
 * (split at range edges if they span several ranges) or stretched to the
 * range edges, and the holes are filled with new regions.  Kept regions
 * keep their counters and age.
 *
 * Context: Caller owns @t (kdamond, or the context is not running); may
 * sleep.
 * Return: 0 on success; -EINVAL if a range is empty or the aligned ranges
 * are unsorted or overlapping (nothing changed); -ENOMEM on allocation
 * failure (the regions are then valid but may not cover every range).
 */
int damon_set_regions(struct damon_target *t, struct damon_addr_range *ranges,
		      unsigned int nr_ranges, unsigned long min_region_sz)
{
	unsigned long msz = max(min_region_sz, 1UL);
	unsigned int i;
	int err;

	for (i = 0; i < nr_ranges; i++) {
		if (!damon_range_fits(i ? &ranges[i - 1] : NULL, &ranges[i],
				      msz))
			return -EINVAL;
	}

	err = damon_split_at_ranges(t, ranges, nr_ranges, msz);
	if (err)
		return err;
	damon_drop_outside(t, ranges, nr_ranges, msz);
	return damon_fill_ranges(t, ranges, nr_ranges, msz);
}

/* ===== The default region of physical address space targets ===== */

struct damon_ram_walk {
	unsigned long start;
	unsigned long end;
};

static int damon_biggest_ram_cb(struct resource *res, void *arg)
{
	struct damon_ram_walk *w = arg;

	if (resource_size(res) > w->end - w->start) {
		w->start = res->start;
		w->end = res->end + 1;
	}
	return 0;
}

/**
 * damon_set_region_biggest_system_ram_default() - Set a target's region to
 *	a given range, by default the biggest System RAM resource.
 * @t:			The target.
 * @start:		In: start address (bytes), or 0 with @end 0 for the
 *			default.  Out: the start used.
 * @end:		In/out: end address, as @start.
 * @addr_unit:		Bytes per address unit of the target's context.
 * @min_region_sz:	Minimum region size of the target's context.
 *
 * Context: Process context; caller owns @t.  May sleep.
 * Return: 0 on success; -EINVAL if @start > @end or no System RAM exists;
 * -ENOMEM on allocation failure.
 */
int damon_set_region_biggest_system_ram_default(struct damon_target *t,
						unsigned long *start,
						unsigned long *end,
						unsigned long addr_unit,
						unsigned long min_region_sz)
{
	struct damon_addr_range range;

	if (*start > *end)
		return -EINVAL;
	if (!addr_unit)
		return -EINVAL;
	if (!*start && !*end) {
		struct damon_ram_walk w = {};

		walk_system_ram_res(0, -1, &w, damon_biggest_ram_cb);
		if (w.end <= w.start)
			return -EINVAL;
		*start = w.start;
		*end = w.end;
	}
	range.start = *start / addr_unit;
	range.end = *end / addr_unit;
	if (range.start >= range.end)
		return -EINVAL;
	return damon_set_regions(t, &range, 1, min_region_sz);
}

/* ===== Access counters ===== */

/**
 * damon_update_region_access_rate() - Account one sample of a region.
 * @r:		The region.
 * @accessed:	Whether the sampled address was accessed.
 * @attrs:	The monitoring attributes of the region's context.
 *
 * Also notes where the accessed samples fell, for the guided cuts.
 *
 * Context: The kdamond, from &damon_operations->check_accesses.
 */
void damon_update_region_access_rate(struct damon_region *r, bool accessed,
				     struct damon_attrs *attrs)
{
	if (accessed) {
		r->nr_accesses++;
		damon_note_hit(r, r->sampling_addr);
	}
}

/*
 * Size-weighted average of @a and @b.  The weights are scaled down to 31
 * bits so that the products cannot overflow 64 bits.
 */
VISIBLE_IF_KUNIT unsigned int damon_weighted_avg(unsigned int a,
						 unsigned long wa,
						 unsigned int b,
						 unsigned long wb)
{
	while ((wa | wb) >> 31) {
		wa >>= 1;
		wb >>= 1;
	}
	if (!wa && !wb)
		return (a + b) / 2;
	return div64_u64((u64)a * wa + (u64)b * wb, wa + wb);
}
EXPORT_SYMBOL_IF_KUNIT(damon_weighted_avg);

/* Aging step of the adjustment; see the DOC block. */
void damon_age_region(struct damon_region *r,
		      const struct damon_attrs *attrs)
{
	unsigned int thres = max(damon_max_nr_accesses(attrs) / 10, 1U);
	unsigned int diff = abs_diff(r->nr_accesses, r->last_nr_accesses);

	if (diff >= thres)
		r->age = 0;
	else if (r->age < UINT_MAX)
		r->age++;
}

/*
 * Aging in the attributes-only mode: the same rule on the weighted sums of
 * probe hits (@thres: a tenth of the highest possible one), and a region
 * whose hits appear or vanish is young again however small the change.
 */
void damon_age_region_wsum(struct damon_region *r, struct damon_ctx *ctx,
			   unsigned int thres)
{
	unsigned int cur = damon_probe_hits_wsum(r, false, false, ctx);
	unsigned int last = damon_probe_hits_wsum(r, true, false, ctx);

	if (abs_diff(cur, last) >= thres || !cur != !last)
		r->age = 0;
	else if (r->age < UINT_MAX)
		r->age++;
}

/* Start a new aggregation interval for @r. */
void damon_region_new_window(struct damon_region *r)
{
	if (r->has_probes) {
		memcpy(r->last_probe_hits, r->probe_hits,
		       sizeof(r->probe_hits));
		memset(r->probe_hits, 0, sizeof(r->probe_hits));
	}
	r->last_nr_accesses = r->nr_accesses;
	r->nr_accesses = 0;
	r->hit_lo = 0;
	r->hit_hi = 0;
}

/* ===== Merge ===== */

static void damon_absorb_region(struct damon_target *t, struct damon_region *l,
				struct damon_region *r)
{
	unsigned long sl = damon_sz_region(l), sr = damon_sz_region(r);
	unsigned long l_lo = 0, l_hi = 0, r_lo = 0, r_hi = 0;
	bool l_hits, r_hits;
	int i;

	l->nr_accesses = damon_weighted_avg(l->nr_accesses, sl,
					    r->nr_accesses, sr);
	l->last_nr_accesses = damon_weighted_avg(l->last_nr_accesses, sl,
						 r->last_nr_accesses, sr);
	l->age = damon_weighted_avg(l->age, sl, r->age, sr);
	/* a region without counters counts as no hits */
	for (i = 0; l->has_probes && i < DAMON_MAX_PROBES; i++) {
		u8 *lh = &l->probe_hits[i], *ll = &l->last_probe_hits[i];
		u8 rh = r->has_probes ? r->probe_hits[i] : 0;
		u8 rl = r->has_probes ? r->last_probe_hits[i] : 0;

		*lh = damon_weighted_avg(*lh, sl, rh, sr);
		*ll = damon_weighted_avg(*ll, sl, rl, sr);
	}
	l_hits = damon_region_hits(l, &l_lo, &l_hi);
	r_hits = damon_region_hits(r, &r_lo, &r_hi);
	l->ar.end = r->ar.end;
	if (l_hits || r_hits)
		damon_region_set_hits(l, l_hits ? l_lo : r_lo, r_hits ? r_hi : l_hi);
	else
		damon_region_set_hits(l, 0, 0);
	damon_destroy_region(r, t);
}

/*
 * What merging compares: the access count, or in the attributes-only mode
 * (@wsum_ctx set) the weighted sum of the probe hits.
 */
static unsigned int damon_merge_score(struct damon_region *r,
				      struct damon_ctx *wsum_ctx)
{
	if (wsum_ctx)
		return damon_probe_hits_wsum(r, false, false, wsum_ctx);
	return r->nr_accesses;
}

/**
 * damon_merge_target_regions() - Merge similar adjacent regions of a target.
 * @t:		The target.
 * @thres:	Largest score difference of regions to merge.
 * @sz_limit:	Largest size of a merged region.
 * @wsum_ctx:	NULL to score regions by nr_accesses; in the attributes-only
 *		mode, the context whose probe weights score them.
 *
 * Context: Caller owns @t.
 */
VISIBLE_IF_KUNIT void damon_merge_target_regions(struct damon_target *t,
						 unsigned int thres,
						 unsigned long sz_limit,
						 struct damon_ctx *wsum_ctx)
{
	struct damon_region *r, *next, *prev = NULL;

	damon_for_each_region_safe(r, next, t) {
		if (prev && prev->ar.end == r->ar.start &&
		    abs_diff(damon_merge_score(prev, wsum_ctx),
			     damon_merge_score(r, wsum_ctx)) <= thres &&
		    damon_sz_region(prev) + damon_sz_region(r) <= sz_limit) {
			damon_absorb_region(t, prev, r);
			continue;
		}
		prev = r;
	}
}
EXPORT_SYMBOL_IF_KUNIT(damon_merge_target_regions);

/* Total number of regions of all targets of @ctx. */
VISIBLE_IF_KUNIT unsigned long damon_total_nr_regions(struct damon_ctx *ctx)
{
	struct damon_target *t;
	unsigned long nr = 0;

	damon_for_each_target(t, ctx)
		nr += t->nr_regions;
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(damon_total_nr_regions);

/**
 * damon_ctx_total_sz() - Size of everything a context monitors.
 * @ctx:	The context.
 *
 * Context: Caller owns @ctx.
 * Return: The sum of the sizes of all regions of @ctx, in address units.
 */
unsigned long damon_ctx_total_sz(struct damon_ctx *ctx)
{
	struct damon_target *t;
	struct damon_region *r;
	unsigned long sz = 0;

	damon_for_each_target(t, ctx)
		damon_for_each_region(r, t)
			sz += damon_sz_region(r);
	return sz;
}

/* Largest merged region size that keeps >= min_nr_regions; see DOC. */
static unsigned long damon_merge_sz_limit(struct damon_ctx *ctx)
{
	unsigned long sz = damon_ctx_total_sz(ctx);

	sz /= max(ctx->attrs.min_nr_regions, 1UL);
	return max(sz, max(ctx->min_region_sz, 1UL));
}

/**
 * damon_adjust_merge() - Merging step of the adjustment.
 * @ctx:	The context.
 * @thres:	Initial merge threshold.
 *
 * Context: Caller owns @ctx.
 */
void damon_adjust_merge(struct damon_ctx *ctx, unsigned int thres)
{
	unsigned int max_thres = damon_max_nr_accesses(&ctx->attrs);
	unsigned long sz_limit = damon_merge_sz_limit(ctx);
	struct damon_ctx *wsum_ctx = NULL;
	struct damon_target *t;

	if (ctx->probes_attrs_only) {
		wsum_ctx = ctx;
		max_thres = damon_probe_hits_wsum_max(ctx);
	}
	for (;;) {
		damon_for_each_target(t, ctx)
			damon_merge_target_regions(t, thres, sz_limit,
						   wsum_ctx);
		if (damon_total_nr_regions(ctx) <= ctx->attrs.max_nr_regions ||
		    thres >= max_thres)
			break;
		thres = max(thres * 2, 1U);
	}
}

/* ===== Split ===== */

/* Aggregations a region keeps being cut at random after a change. */
#define DAMON_EXPLORE_AGE	8

/*
 * Cut @r in two at a random @msz-aligned point; see the DOC block.
 * Return: 1 if cut, 0 if too small, -ENOMEM.
 */
static int damon_random_cut(struct damon_target *t, struct damon_region *r,
			    unsigned long msz)
{
	unsigned long units = damon_sz_region(r) / msz;
	unsigned long cut;

	if (units < 2)
		return 0;
	/* a cut in [1, units - 1] units */
	cut = 1 + mul_u64_u32_shr(units - 1, get_random_u32(), 32);
	return damon_cut_region(t, r, cut * msz) ? 1 : -ENOMEM;
}

/*
 * The guided cut points of @r, ascending, in @cuts; see the DOC block.
 * Return: how many (0 to 2).
 */
static unsigned int damon_guided_cuts(struct damon_region *r,
				      unsigned int nr_samples,
				      unsigned long msz, unsigned long cuts[2])
{
	unsigned long sz = damon_sz_region(r), min_idle, lo, hi;
	unsigned int n = 0;

	if (!nr_samples || !damon_region_hits(r, &lo, &hi))
		return 0;
	min_idle = max(msz, sz / nr_samples * 2);
	lo = ALIGN_DOWN(lo, msz);
	hi = ALIGN(hi, msz);
	/* samples that all fell in a small part: cut it out whatever is left */
	if (hi - lo < min_idle)
		min_idle = msz;
	if (lo >= r->ar.start + min_idle && lo < r->ar.end)
		cuts[n++] = lo;
	if (hi > r->ar.start && hi < r->ar.end && r->ar.end - hi >= min_idle)
		cuts[n++] = hi;
	return n;
}

/*
 * Cut @r at the @n ascending points @cuts, all inside it.
 * Return: @n, or -ENOMEM.
 */
static int damon_cut_at(struct damon_target *t, struct damon_region *r,
			const unsigned long *cuts, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		r = damon_cut_region(t, r, cuts[i] - r->ar.start);
		if (!r)
			return -ENOMEM;
	}
	return n;
}

/* Cut @r at up to @max_cuts of its guided cut points. */
static int damon_guided_split(struct damon_target *t, struct damon_region *r,
			      unsigned int max_cuts, unsigned int nr_samples,
			      unsigned long msz)
{
	unsigned long cuts[2];
	unsigned int n = damon_guided_cuts(r, nr_samples, msz, cuts);

	if (n > max_cuts) {
		/* keep the cut that separates the bigger idle part */
		if (cuts[0] - r->ar.start < r->ar.end - cuts[1])
			cuts[0] = cuts[1];
		n = max_cuts;
	}
	return damon_cut_at(t, r, cuts, n);
}

/*
 * Whether @r gets a random cut in this aggregation: while it is young, and
 * then at ages 2^n - 1.  A region whose count has not changed for long
 * (idle memory, or a hot range whose edges are found) needs no more
 * samples than its own; the samples of its random pieces would be spent
 * to learn what the region already tells.  A change resets the age, and
 * accessed samples cut the region whatever its age.
 */
static bool damon_explores(const struct damon_region *r)
{
	return r->age < DAMON_EXPLORE_AGE || is_power_of_2(r->age + 1);
}

/*
 * What the split of a region needs to know of a neighbour, read before the
 * neighbour itself is cut.  All zero: no neighbour.
 */
struct damon_neighbour {
	struct damon_addr_range ar;
	unsigned int nr_accesses;
	unsigned int age;
};

static struct damon_neighbour damon_neighbour_of(const struct damon_region *n)
{
	return (struct damon_neighbour){ .ar = n->ar,
		.nr_accesses = n->nr_accesses, .age = n->age };
}

/*
 * Whether @n is a hot neighbour of @r that an edge cut should grow into
 * @r: at least two more accessed samples than @r (the evidence the guided
 * cuts ask for), small enough that a piece of its size leaves @r at least
 * as much, and of an age that is a power of two minus one (0, 1, 3, 7 ...).
 * A hot spot that grows stays young (its hot pieces reset their age); one
 * whose edges are found is tried again ever more rarely, not in every
 * aggregation.
 */
static bool damon_grows_into(struct damon_region *r,
			     const struct damon_neighbour *n)
{
	unsigned long sz = n->ar.end - n->ar.start;

	return sz && n->nr_accesses >= r->nr_accesses + 2 &&
		sz <= damon_sz_region(r) / 2 && is_power_of_2(n->age + 1);
}

/*
 * Edge cuts of @r, next to hot neighbours that touch it (see the DOC
 * block), ascending in @cuts.  Return: how many (0 to 2).
 */
static unsigned int damon_edge_cuts(struct damon_region *r,
				    const struct damon_neighbour *left,
				    const struct damon_neighbour *right,
				    unsigned long msz, unsigned long cuts[2])
{
	unsigned int n = 0;

	if (left->ar.end == r->ar.start && damon_grows_into(r, left))
		cuts[n++] = r->ar.start +
			ALIGN(left->ar.end - left->ar.start, msz);
	if (right->ar.start == r->ar.end && damon_grows_into(r, right))
		cuts[n++] = r->ar.end -
			ALIGN(right->ar.end - right->ar.start, msz);
	/* two pieces that would meet or cross: keep the left one */
	if (n == 2 && cuts[0] >= cuts[1])
		n = 1;
	return n;
}

/* Cut @r at up to @max_cuts of its edge cut points. */
static int damon_edge_split(struct damon_target *t, struct damon_region *r,
			    const struct damon_neighbour *left,
			    const struct damon_neighbour *right,
			    unsigned int max_cuts, unsigned long msz)
{
	unsigned long cuts[2];
	unsigned int n = damon_edge_cuts(r, left, right, msz, cuts);

	return damon_cut_at(t, r, cuts, min(n, max_cuts));
}

/**
 * damon_split_target_regions() - Split each region of a target in pieces.
 * @t:			The target.
 * @nr_pieces:		Most pieces to split each region into (>= 2).
 * @nr_samples:		Samples per aggregation interval, for guided cuts;
 *			0 for random cuts only.
 * @min_region_sz:	Minimum size and alignment of the pieces.
 *
 * A region is cut where its accessed samples point, else next to a small
 * hot neighbour, else at random (see the DOC block); regions too small to
 * be cut are left alone.  Random cuts make two pieces.
 *
 * Context: Caller owns @t; may sleep.
 * Return: The number of regions added.
 */
VISIBLE_IF_KUNIT unsigned int
damon_split_target_regions(struct damon_target *t, unsigned int nr_pieces,
			   unsigned int nr_samples, unsigned long min_region_sz)
{
	unsigned long msz = max(min_region_sz, 1UL);
	struct damon_region *r, *next;
	struct damon_neighbour left = {}, right;
	unsigned int added = 0;

	damon_for_each_region_safe(r, next, t) {
		struct damon_neighbour self = damon_neighbour_of(r);
		int n;

		/* @next is not cut yet; the pieces of the left one are */
		if (&next->list == &t->regions_list)
			right = (struct damon_neighbour){};
		else
			right = damon_neighbour_of(next);
		n = damon_guided_split(t, r, nr_pieces - 1, nr_samples, msz);
		if (!n)
			n = damon_edge_split(t, r, &left, &right,
					     nr_pieces - 1, msz);
		if (!n && damon_explores(r))
			n = damon_random_cut(t, r, msz);
		if (n < 0)
			break;
		added += n;
		left = self;
	}
	return added;
}
EXPORT_SYMBOL_IF_KUNIT(damon_split_target_regions);

/**
 * damon_adjust_split() - Splitting step of the adjustment.
 * @ctx:	The context.
 *
 * Context: Caller owns @ctx; may sleep.
 */
void damon_adjust_split(struct damon_ctx *ctx)
{
	unsigned long nr = damon_total_nr_regions(ctx);
	unsigned long max_nr = ctx->attrs.max_nr_regions;
	unsigned int nr_samples = damon_max_nr_accesses(&ctx->attrs);
	struct damon_target *t;

	if (nr > max_nr / 2)
		return;
	damon_for_each_target(t, ctx)
		damon_split_target_regions(t, nr <= max_nr / 3 ? 3 : 2,
					   nr_samples, ctx->min_region_sz);
}

/*
 * Cut @r into near-equal pieces of about @piece bytes, all @msz-aligned,
 * adding at most @max_added regions.  Return: the regions added, or
 * -ENOMEM.
 */
static long damon_cut_evenly(struct damon_target *t, struct damon_region *r,
			     unsigned long piece, unsigned long msz,
			     unsigned long max_added)
{
	unsigned long units = damon_sz_region(r) / msz;
	unsigned long nr = DIV_ROUND_UP(damon_sz_region(r), piece);
	long added = 0;

	nr = min3(nr, units, max_added + 1);
	while (nr > 1) {
		/* the first of @nr near-equal pieces */
		unsigned long cut = units / nr;

		r = damon_cut_region(t, r, cut * msz);
		if (!r)
			return -ENOMEM;
		units -= cut;
		nr--;
		added++;
	}
	return added;
}

/**
 * damon_ensure_min_nr_regions() - Split until min_nr_regions is reached.
 * @ctx:	The context.
 *
 * Used when a kdamond starts, as operation sets may set up fewer regions
 * than min_nr_regions, and whenever the regions may have been set anew
 * from outside the adjustment: after an operation set update (a process
 * that mapped new memory gets one new region per new range) and after
 * damon_call() functions, such as a commit (which may also raise
 * min_nr_regions).  Otherwise a snapshot taken before the next split could
 * show fewer regions than min_nr_regions.  It also runs at the end of each
 * aggregation interval: merging keeps a region within the total size /
 * min_nr_regions, but a region that is already bigger (one that an update
 * stretched over new memory, say) lets the others merge below the minimum.
 * Regions bigger than the total size / min_nr_regions are cut, in address
 * order, into near-equal pieces of at most that size, until there are
 * min_nr_regions regions: no more, so that a minimum close to
 * max_nr_regions is not overshot.  The pieces keep the counters and age of
 * the region they come from.  Regions of the minimum size are not cut.
 *
 * Context: Caller owns @ctx; may sleep.
 */
void damon_ensure_min_nr_regions(struct damon_ctx *ctx)
{
	unsigned long msz = max(ctx->min_region_sz, 1UL);
	unsigned long nr = damon_total_nr_regions(ctx);
	unsigned long min_nr = ctx->attrs.min_nr_regions;
	unsigned long piece;
	struct damon_target *t;
	struct damon_region *r, *next;

	if (nr >= min_nr)
		return;
	piece = max(damon_ctx_total_sz(ctx) / max(min_nr, 1UL), msz);
	damon_for_each_target(t, ctx) {
		damon_for_each_region_safe(r, next, t) {
			long added = damon_cut_evenly(t, r, piece, msz,
						      min_nr - nr);

			if (added < 0)
				return;
			nr += added;
			if (nr >= min_nr)
				return;
		}
	}
}

/* ===== Initialisation ===== */

int __init damon_regions_init(void)
{
	/* the budget of issue 18: no bigger than upstream's region */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) && DAMON_REGION_BASE_SIZE > 56);
	damon_region_cache = kmem_cache_create("damon_region",
			DAMON_REGION_BASE_SIZE,
			__alignof__(struct damon_region), 0, NULL);
	damon_region_probes_cache = kmem_cache_create("damon_region_probes",
			sizeof(struct damon_region),
			__alignof__(struct damon_region), 0, NULL);
	if (!damon_region_cache || !damon_region_probes_cache) {
		kmem_cache_destroy(damon_region_cache);
		kmem_cache_destroy(damon_region_probes_cache);
		return -ENOMEM;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON operation-set helpers: how a sampled page is marked and tested for
 * access, and how a region is prioritised for a scheme.
 */

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/mmu_notifier.h>
#include <linux/nodemask.h>
#include <linux/page_idle.h>
#include <linux/percpu.h>
#include <linux/prandom.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/rmap.h>
#include <asm/tlb.h>
#include <kunit/visibility.h>

#include "../internal.h"
#include "ops-common.h"

/**
 * DOC: Sampling protocol
 *
 * DAMON learns whether a page was accessed during a sampling interval the
 * way the CPU tells everybody else: through the Accessed ("young") bit of the
 * page-table entries that map it.  The operation sets do this per sample:
 *
 * 1. Prepare: clear the Accessed bit of every entry that maps the sampled
 *    page (one entry for vaddr, all of them found through the reverse map for
 *    paddr), also in secondary MMUs, and set PG_idle on its folio.
 * 2. Check, one sampling interval later: the page was accessed if an entry
 *    is young again, a secondary MMU reports it young, or PG_idle was
 *    cleared.  The last catches accesses that set no Accessed bit at all:
 *    folio_mark_accessed() clears PG_idle, so read()/write() on an unmapped
 *    page-cache folio counts too -- except with the multi-gen LRU enabled,
 *    whose folio_mark_accessed() counts references in its own bits only.
 *
 * Clearing an Accessed bit destroys information that page reclaim and idle
 * page tracking rely on.  Whenever step 1 clears a bit that was set, it
 * therefore sets PG_young, which folio_referenced() consumes as if it had
 * found the bit itself.  PG_idle is shared with idle page tracking
 * (Documentation/admin-guide/mm/idle_page_tracking.rst): both users only ever
 * set it to start observing and read it to learn about accesses, so running
 * both at once makes each see a few extra idle-looking pages, never miss
 * reclaim-relevant accesses.
 *
 * Nothing here flushes the TLB: like reclaim's aging, a missed access on a
 * CPU that still caches the old entry is an acceptable sampling error, while
 * a flush per sample would make monitoring cost grow with the CPU count.
 */

/* ===== Address ranges ===== */

/**
 * damon_fit_ranges() - Make sorted ranges acceptable to damon_set_regions().
 * @ranges:		Sorted ranges; rewritten in place.
 * @nr:			Number of @ranges.
 * @min_region_sz:	Minimum region size and alignment of the context.
 *
 * Rounds every range out to @min_region_sz and merges the ones that then
 * touch or overlap: a hole smaller than a region cannot be left out anyway.
 *
 * Context: Any context.
 * Return: The number of ranges left in @ranges.
 */
unsigned int damon_fit_ranges(struct damon_addr_range *ranges,
			      unsigned int nr, unsigned long min_region_sz)
{
	unsigned long msz = max(min_region_sz, 1UL);
	unsigned int i, out = 0;

	for (i = 0; i < nr; i++) {
		struct damon_addr_range r = {
			.start = ALIGN_DOWN(ranges[i].start, msz),
			.end = ALIGN(ranges[i].end, msz),
		};

		if (out && r.start <= ranges[out - 1].end) {
			ranges[out - 1].end = max(ranges[out - 1].end, r.end);
			continue;
		}
		ranges[out++] = r;
	}
	return out;
}

/* ===== Sampling addresses and folios ===== */

/*
 * The sampling addresses need to be spread evenly, not to be unpredictable:
 * a per-CPU pseudo-random generator (prandom's LFSR113) is enough, and
 * costs a few shifts where get_random_u32() took 9% of the kdamond's time
 * in the benchmark's static scenario.  Seeded from get_random_u64() on a
 * CPU's first use.
 */
struct damon_rnd {
	struct rnd_state state;
	bool seeded;
};
static DEFINE_PER_CPU(struct damon_rnd, damon_rnd);

static u32 damon_rnd_u32(void)
{
	struct damon_rnd *rnd = get_cpu_ptr(&damon_rnd);
	u32 val;

	if (unlikely(!rnd->seeded)) {
		prandom_seed_state(&rnd->state, get_random_u64());
		rnd->seeded = true;
	}
	val = prandom_u32_state(&rnd->state);
	put_cpu_ptr(&damon_rnd);
	return val;
}

/**
 * damon_pick_sampling_addr() - Pick a random address of a region to sample.
 * @r:		The region.
 * @align:	Granularity of the picked address, relative to @r's start
 *		(PAGE_SIZE for virtual address spaces).
 *
 * Context: Any context.
 * Return: An address in [@r->ar.start, @r->ar.end), @r->ar.start plus a
 * multiple of @align; @r->ar.start if @r is smaller than 2 * @align.
 */
unsigned long damon_pick_sampling_addr(struct damon_region *r,
				       unsigned long align)
{
	unsigned long nr_slots;

	align = max(align, 1UL);
	nr_slots = damon_sz_region(r) / align;
	if (nr_slots < 2)
		return r->ar.start;
	/* Scale a 32-bit random number: uniform enough, and no division. */
	return r->ar.start +
		mul_u64_u32_shr(nr_slots, damon_rnd_u32(), 32) * align;
}

/**
 * damon_get_folio() - Get the folio of a page frame if DAMON may sample it.
 * @pfn:	The page frame number.
 *
 * Only folios on an LRU list are sampled: they are user memory, which is
 * what DAMON is about, and always safe to hand to rmap_walk().  Isolated
 * folios are skipped; there are few of them at any time.
 *
 * Context: Process context.
 * Return: The folio with a reference held, or NULL if @pfn is offline, not
 * the head of an LRU folio when looked at, or the folio is being freed.
 */
struct folio *damon_get_folio(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);
	struct folio *folio = page ? page_folio(page) : NULL;

	/* A cheap look first: most frames are not worth a reference. */
	if (!folio || !folio_test_lru(folio) || !folio_try_get(folio))
		return NULL;
	/* The folio may have been split or freed and reused meanwhile. */
	if (unlikely(page_folio(page) != folio || !folio_test_lru(folio))) {
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/* ===== Single page-table entries (vaddr) ===== */

/**
 * damon_ptep_mkold() - Start sampling the page a PTE maps.
 * @pte:	The page-table entry.
 * @vma:	The VMA the entry belongs to.
 * @addr:	The virtual address the entry maps.
 *
 * Does nothing for entries that are not present or map no normal folio
 * (e.g. the zero page or PFN mappings): there is nothing to observe.
 *
 * Context: Caller holds the page-table lock of @pte.
 */
void damon_ptep_mkold(pte_t *pte, struct vm_area_struct *vma,
		      unsigned long addr)
{
	pte_t entry = ptep_get(pte);
	struct folio *folio;

	if (!pte_present(entry))
		return;
	folio = vm_normal_folio(vma, addr, entry);
	if (!folio)
		return;
	if (ptep_clear_young_notify(vma, addr, pte))
		folio_set_young(folio);
	folio_set_idle(folio);
}

/**
 * damon_pte_young() - Tell whether the page a PTE maps was accessed.
 * @entry:	Value of the page-table entry.
 * @vma:	The VMA the entry belongs to.
 * @addr:	The virtual address the entry maps.
 *
 * Context: Caller holds the page-table lock of the entry.
 * Return: true if the page was accessed since damon_ptep_mkold(); false
 * if not, or if @entry maps nothing DAMON can observe.
 */
bool damon_pte_young(pte_t entry, struct vm_area_struct *vma,
		     unsigned long addr)
{
	struct folio *folio;

	if (!pte_present(entry))
		return false;
	folio = vm_normal_folio(vma, addr, entry);
	if (!folio)
		return false;
	return pte_young(entry) || !folio_test_idle(folio) ||
		mmu_notifier_test_young(vma->vm_mm, addr);
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/**
 * damon_pmdp_mkold() - Start sampling the huge page a PMD maps.
 * @pmd:	The PMD entry, mapping a transparent huge page.
 * @vma:	The VMA the entry belongs to.
 * @addr:	The (huge page aligned) virtual address the entry maps.
 *
 * Context: Caller holds the PMD lock of @pmd.
 */
void damon_pmdp_mkold(pmd_t *pmd, struct vm_area_struct *vma,
		      unsigned long addr)
{
	pmd_t entry = pmdp_get(pmd);
	struct folio *folio;

	if (!pmd_present(entry))
		return;
	folio = vm_normal_folio_pmd(vma, addr, entry);
	if (!folio)
		return;
	if (pmdp_clear_young_notify(vma, addr, pmd))
		folio_set_young(folio);
	folio_set_idle(folio);
}

/**
 * damon_pmd_young() - Tell whether the huge page a PMD maps was accessed.
 * @entry:	Value of the PMD entry.
 * @vma:	The VMA the entry belongs to.
 * @addr:	The (huge page aligned) virtual address the entry maps.
 *
 * Context: Caller holds the PMD lock of the entry.
 * Return: true if the huge page was accessed since damon_pmdp_mkold().
 */
bool damon_pmd_young(pmd_t entry, struct vm_area_struct *vma,
		     unsigned long addr)
{
	struct folio *folio;

	if (!pmd_present(entry))
		return false;
	folio = vm_normal_folio_pmd(vma, addr, entry);
	if (!folio)
		return false;
	return pmd_young(entry) || !folio_test_idle(folio) ||
		mmu_notifier_test_young(vma->vm_mm, addr);
}
#else
/* Without THP no PMD maps a page, so the page walkers never get here. */
void damon_pmdp_mkold(pmd_t *pmd, struct vm_area_struct *vma,
		      unsigned long addr)
{
	WARN_ON_ONCE(1);
}

bool damon_pmd_young(pmd_t entry, struct vm_area_struct *vma,
		     unsigned long addr)
{
	WARN_ON_ONCE(1);
	return false;
}
#endif /* CONFIG_TRANSPARENT_HUGEPAGE */

/* ===== Whole folios, through the reverse map (paddr) ===== */

/* Clear the Accessed bits of one mapping of @folio; rmap_one callback. */
static bool folio_mkold_one(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long addr, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, addr, 0);
	bool *young = arg;

	while (page_vma_mapped_walk(&pvmw)) {
		if (pvmw.pte)
			*young |= ptep_clear_young_notify(vma, pvmw.address,
							  pvmw.pte);
		else if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
			*young |= pmdp_clear_young_notify(vma, pvmw.address,
							  pvmw.pmd);
		else
			WARN_ON_ONCE(1);	/* PMD-mapped without THP? */
	}
	return true;
}

/* Look for a young mapping of @folio; stops the rmap walk at the first. */
static bool folio_young_one(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long addr, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, folio, vma, addr, 0);
	bool *young = arg;

	while (page_vma_mapped_walk(&pvmw)) {
		if (pvmw.pte)
			*young = pte_young(ptep_get(pvmw.pte));
		else if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
			*young = pmd_young(pmdp_get(pvmw.pmd));
		*young = *young ||
			mmu_notifier_test_young(vma->vm_mm, pvmw.address);
		if (*young) {
			page_vma_mapped_walk_done(&pvmw);
			return false;
		}
	}
	return true;
}

/*
 * Run @rmap_one on every mapping of @folio.  File and KSM folios must be
 * locked for rmap_walk(); if somebody else holds the lock we skip the walk
 * rather than sleep: the kdamond must not stall behind I/O, and PG_idle
 * still tells about most accesses.  Return: whether the walk ran.
 */
static bool folio_walk_mappings(struct folio *folio,
				bool (*rmap_one)(struct folio *folio,
						 struct vm_area_struct *vma,
						 unsigned long addr, void *arg),
				void *arg)
{
	struct rmap_walk_control rwc = {
		.arg = arg,
		.rmap_one = rmap_one,
		.anon_lock = folio_lock_anon_vma_read,
	};

	if (!folio_mapped(folio) || !folio_raw_mapping(folio))
		return false;
	/* Plain anonymous folios: the anon_vma lock taken by the walk suffices. */
	if (folio_test_anon(folio) && !folio_test_ksm(folio)) {
		rmap_walk(folio, &rwc);
		return true;
	}
	if (!folio_trylock(folio))
		return false;
	rmap_walk(folio, &rwc);
	folio_unlock(folio);
	return true;
}

/**
 * damon_folio_mkold() - Start sampling a folio, wherever it is mapped.
 * @folio:	The folio, with a reference held (see damon_get_folio()).
 *
 * Context: Process context; may take the folio lock and rmap locks.
 */
void damon_folio_mkold(struct folio *folio)
{
	bool young = false;

	folio_walk_mappings(folio, folio_mkold_one, &young);
	if (young)
		folio_set_young(folio);
	folio_set_idle(folio);
}

/**
 * damon_folio_young() - Tell whether a folio was accessed since
 *			 damon_folio_mkold().
 * @folio:	The folio, with a reference held.
 *
 * Context: Process context; may take the folio lock and rmap locks.
 * Return: true if the folio was accessed through any mapping or through
 * a path that clears PG_idle (e.g. read() of a page-cache folio).
 */
bool damon_folio_young(struct folio *folio)
{
	bool young = false;

	if (!folio_test_idle(folio))
		return true;
	folio_walk_mappings(folio, folio_young_one, &young);
	return young;
}

/* ===== Arming pages for access faults ===== */

/*
 * The VMAs whose pages may be made inaccessible for a fault: those NUMA
 * balancing could scan too (accessible, not hugetlb, not raw PFN or I/O
 * mappings).
 */
static bool damon_vma_armable(struct vm_area_struct *vma)
{
	return vma_is_accessible(vma) && !is_vm_hugetlb_page(vma) &&
		!(vma->vm_flags & (VM_PFNMAP | VM_IO | VM_MIXEDMAP));
}

/* Whether @addr of @vma is mapped by a huge PMD, at the time of looking. */
static bool damon_addr_pmd_mapped(struct vm_area_struct *vma,
				  unsigned long addr)
{
	pmd_t *pmd = mm_find_pmd(vma->vm_mm, addr);

	return pmd && pmd_trans_huge(pmdp_get_lockless(pmd));
}

/**
 * damon_arm_page() - Make the page at an address fault at its next access.
 * @vma:	The VMA of @addr; its mm's mmap_lock is held.
 * @addr:	The address.
 *
 * The page-table entry mapping @addr becomes inaccessible (protnone, as a
 * NUMA hinting entry, see %MM_CP_DAMON) and is flushed from the TLBs; the
 * next access faults, and damon_report_page_fault() reports it while the
 * fault restores the entry.  A huge PMD is armed whole rather than split.
 * Nothing is done in VMAs NUMA balancing would not scan, nor on a kernel
 * without %CONFIG_NUMA_BALANCING.
 *
 * Context: Process context, mmap_lock held (read is enough).  May sleep.
 */
void damon_arm_page(struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long start = addr & PAGE_MASK, end = start + PAGE_SIZE;
	struct mmu_gather tlb;

	if (!IS_ENABLED(CONFIG_NUMA_BALANCING))
		return;
	mmap_assert_locked(vma->vm_mm);
	if (!damon_vma_armable(vma))
		return;
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) &&
	    damon_addr_pmd_mapped(vma, addr)) {
		start = addr & HPAGE_PMD_MASK;
		end = start + HPAGE_PMD_SIZE;
		if (start < vma->vm_start || end > vma->vm_end)
			return;
	}
	tlb_gather_mmu(&tlb, vma->vm_mm);
	change_protection(&tlb, vma, start, end, MM_CP_DAMON);
	tlb_finish_mmu(&tlb);
}

/*
 * rmap_one of damon_folio_arm(): arm the mapping of the page *@arg (a pfn
 * within @folio) in @vma.  The mmap_lock that change_protection() needs is
 * only tried: it nests inside the rmap locks here, the reverse of the
 * usual order, and a busy process just misses one sample.
 */
static bool folio_arm_one(struct folio *folio, struct vm_area_struct *vma,
			  unsigned long addr, void *arg)
{
	unsigned long pfn = *(unsigned long *)arg;

	if (!folio_test_ksm(folio))
		addr = vma_address(vma, folio_pgoff(folio) +
				   (pfn - folio_pfn(folio)), 1);
	if (IS_ERR_VALUE(addr))
		return true;
	if (!mmap_read_trylock(vma->vm_mm))
		return true;
	damon_arm_page(vma, addr);
	mmap_read_unlock(vma->vm_mm);
	return true;
}

/**
 * damon_folio_arm() - Make a page fault at its next access, wherever it is
 *		       mapped.
 * @folio:	The folio of the page, with a reference held.
 * @pfn:	The page frame within @folio.
 *
 * See damon_arm_page(); mappings whose process holds its mmap_lock for
 * writing, and file or KSM folios whose lock is taken, are skipped.
 *
 * Context: Process context; may take the folio lock and rmap locks.
 */
void damon_folio_arm(struct folio *folio, unsigned long pfn)
{
	if (IS_ENABLED(CONFIG_NUMA_BALANCING))
		folio_walk_mappings(folio, folio_arm_one, &pfn);
}

/* ===== Ops-layer filters ===== */

/**
 * damon_ops_filters_allow() - Decide whether a scheme's ops filters let its
 *			       action apply to a piece of memory.
 * @s:		The scheme; &damos->ops_filters_default_reject must be
 *		current (damos_set_filters_default()).
 * @has_type:	Tells whether the memory has the property of a filter's type
 *		(e.g. "is anonymous"), ignoring &damos_filter->matching.
 * @arg:	Passed to @has_type; the memory, typically a folio.
 *
 * The filters are looked at in order; the first one that is about the
 * memory (its type's property is present exactly when the filter is
 * &damos_filter->matching) decides, by its &damos_filter->allow.  Memory
 * no filter is about gets the layer's default.  @has_type is only called
 * until a filter decides, which matters for types whose test has a side
 * effect (%DAMOS_FILTER_TYPE_YOUNG clears what it tests).
 *
 * The decision is kept apart from reading folio properties so that it can
 * be tested without real memory.
 *
 * Context: Whatever @has_type needs.
 * Return: true if the action may be applied to the memory.
 */
bool damon_ops_filters_allow(struct damos *s,
			     bool (*has_type)(const struct damos_filter *f,
					      void *arg),
			     void *arg)
{
	struct damos_filter *f;

	damos_for_each_ops_filter(f, s) {
		if (has_type(f, arg) == f->matching)
			return f->allow;
	}
	return !s->ops_filters_default_reject;
}
EXPORT_SYMBOL_IF_KUNIT(damon_ops_filters_allow);

/* ===== Folio properties, for DAMOS and probe filters ===== */

/**
 * damon_folio_in_memcg() - Tell whether a folio is charged to a memcg.
 * @folio:	The folio, with a reference held.
 * @memcg_id:	The memory cgroup's id (mem_cgroup_id()).
 *
 * Context: Any context; takes the RCU read lock, which keeps the memcg
 * alive while its id is read.
 * Return: true if @folio is charged to the memory cgroup of id @memcg_id.
 */
bool damon_folio_in_memcg(struct folio *folio, u64 memcg_id)
{
	struct mem_cgroup *memcg;
	bool in;

	rcu_read_lock();
	memcg = folio_memcg_check(folio);
	in = memcg && mem_cgroup_id(memcg) == memcg_id;
	rcu_read_unlock();
	return in;
}

/* ===== Data-attribute probes ===== */

/**
 * damon_probe_filter_match() - Tell whether a sample has a probe filter's
 *				property.
 * @f:		The filter.
 * @folio:	The sampled folio, or NULL if there is none DAMON may look at.
 * @young:	Whether the sampled page was accessed in the interval.
 *
 * A NULL folio has none of the properties: a hole or a page DAMON cannot
 * look at is neither anonymous, nor charged, nor known (not) accessed.
 *
 * Context: Any context; see damon_folio_in_memcg().
 * Return: true if the sample has @f's property, whatever @f->matching says.
 */
VISIBLE_IF_KUNIT bool damon_probe_filter_match(const struct damon_filter *f,
					       struct folio *folio, bool young)
{
	if (!folio)
		return false;
	switch (f->type) {
	case DAMON_FILTER_TYPE_ANON:
		return folio_test_anon(folio);
	case DAMON_FILTER_TYPE_MEMCG:
		return damon_folio_in_memcg(folio, f->memcg_id);
	case DAMON_FILTER_TYPE_PGIDLE_UNSET:
		return young;
	case DAMON_FILTER_TYPE_PGIDLE_SET:
		return !young;
	case DAMON_FILTER_TYPE_HUGEPAGE_SIZE:
		return damon_folio_size_in(folio, &f->sz_range);
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(damon_probe_filter_match);

/*
 * Whether @p counts the sample as a hit: the first filter that is about it
 * decides, else the opposite of the last filter; no filters, a hit.
 */
static bool damon_probe_allows(struct damon_probe *p, struct folio *folio,
			       bool young)
{
	struct damon_filter *f;
	bool last_allow = false;

	damon_for_each_filter(f, p) {
		if (damon_probe_filter_match(f, folio, young) == f->matching)
			return f->allow;
		last_allow = f->allow;
	}
	return !last_allow;
}

/**
 * damon_probes_hit() - Count a region's sample in its probe hit counters.
 * @ctx:	The context; its first %DAMON_MAX_PROBES probes count.
 * @r:		The region; @r->sampling_addr was sampled.
 * @folio:	The folio at the sampled address, or NULL if there is none
 *		DAMON may look at.
 * @young:	Whether the sampled page was accessed in the interval.
 *
 * Each probe that allows the sample (see struct damon_probe) adds one to its
 * slot of &damon_region->probe_hits, saturating at 255.
 *
 * Context: The kdamond; atomic context is fine (e.g. under a page-table
 * lock, which keeps @folio alive).
 */
void damon_probes_hit(struct damon_ctx *ctx, struct damon_region *r,
		      struct folio *folio, bool young)
{
	struct damon_probe *p;
	int i = 0;

	if (!damon_region_has_probes(r))
		return;
	damon_for_each_probe(p, ctx) {
		if (i >= DAMON_MAX_PROBES)
			break;
		if (r->probe_hits[i] < U8_MAX &&
		    damon_probe_allows(p, folio, young))
			r->probe_hits[i]++;
		i++;
	}
}

/* ===== Migration ===== */

/**
 * damon_pick_dest() - Pick one of weighted migration destinations.
 * @weights:	Relative weights of the destinations.
 * @nr:		Number of destinations; at least one.
 * @key:	What the pick depends on, e.g. a folio's offset in its mapping.
 *
 * @key is hashed to a point of [0, sum of @weights) and the destination
 * whose cumulative weight interval holds the point is picked, so that over
 * many keys each destination gets a share proportional to its weight and
 * the same key always gets the same destination: a folio is sent to the
 * same node on every try, and no state or random number is needed.  A
 * destination of weight 0 is never picked, unless all weights are 0, in
 * which case all destinations are equally likely.
 *
 * Context: Any context.
 * Return: The index of the picked destination, in [0, @nr).
 */
unsigned int damon_pick_dest(const unsigned int *weights, unsigned int nr,
			     unsigned long key)
{
	u32 point = hash_long(key, 32);
	u64 total = 0, at;
	unsigned int i;

	for (i = 0; i < nr; i++)
		total += weights[i];
	if (!total)
		return mul_u64_u32_shr(nr, point, 32);
	at = mul_u64_u32_shr(total, point, 32);
	for (i = 0; i < nr; i++) {
		if (at < weights[i])
			return i;
		at -= weights[i];
	}
	return nr - 1;	/* not reached: at < total */
}
EXPORT_SYMBOL_IF_KUNIT(damon_pick_dest);

/*
 * What picks the destination of @folio among weighted ones: its position
 * in its file or anonymous mapping, which migration keeps.  A key from the
 * physical address would change with every move and could send a folio
 * back and forth between the destinations on every apply.
 */
static unsigned long damon_folio_dest_key(struct folio *folio)
{
	return folio->index ^ (unsigned long)READ_ONCE(folio->mapping);
}

/*
 * The node @s migrates @folio to: the picked one of &damos->migrate_dests
 * if there are any, else &damos->target_nid.  May be NUMA_NO_NODE or any
 * other invalid node id the user gave.
 */
static int damon_migrate_dest_nid(struct damos *s, struct folio *folio)
{
	struct damos_migrate_dests *md = &s->migrate_dests;
	unsigned int nid;

	if (!md->nr_dests)
		return s->target_nid;
	nid = md->node_id_arr[damon_pick_dest(md->weight_arr, md->nr_dests,
					      damon_folio_dest_key(folio))];
	return nid < MAX_NUMNODES ? nid : NUMA_NO_NODE;
}

/**
 * damon_isolate_folio() - Take a folio off its LRU list for migration.
 * @folio:	The folio, with a reference held by the caller.
 * @folios:	List to add the isolated folio to.
 *
 * The isolated folio holds a reference of its own and is accounted as
 * isolated (NR_ISOLATED_*), as migrate_pages() and putback_movable_pages()
 * expect.  Folios somebody else isolated are left alone, and so is
 * everything without CONFIG_MIGRATION.
 *
 * Context: Process context; the lru_lock must not be held.
 * Return: true if @folio was added to @folios.
 */
bool damon_isolate_folio(struct folio *folio, struct list_head *folios)
{
	/* without migration nobody would put the folio back */
	if (!IS_ENABLED(CONFIG_MIGRATION) || !folio_isolate_lru(folio))
		return false;
	list_add_tail(&folio->lru, folios);
	node_stat_mod_folio(folio, NR_ISOLATED_ANON + folio_is_file_lru(folio),
			    folio_nr_pages(folio));
	return true;
}

/* Migrate the isolated @folios to node @nid; return the pages moved. */
static unsigned int damon_migrate_to_node(struct list_head *folios, int nid)
{
	nodemask_t allowed = nodemask_of_node(nid);
	struct migration_target_control mtc = {
		.nid = nid,
		.nmask = &allowed,
		/* only @nid: a fallback node would defeat the purpose */
		.gfp_mask = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE |
			__GFP_NOWARN | __GFP_NOMEMALLOC,
		.reason = MR_DAMON,
	};
	unsigned int nr_succeeded = 0;

	if (list_empty(folios))
		return 0;
	migrate_pages(folios, alloc_migration_target, NULL,
		      (unsigned long)&mtc, MIGRATE_SYNC, MR_DAMON,
		      &nr_succeeded);
	return nr_succeeded;
}

/**
 * damon_migrate_folios() - Migrate isolated folios where a scheme says.
 * @folios:	Folios isolated with damon_isolate_folio(); emptied.
 * @s:		The scheme (%DAMOS_MIGRATE_HOT or %DAMOS_MIGRATE_COLD).
 *
 * Each folio goes to &damos->target_nid, or to one of
 * &damos->migrate_dests picked in proportion to the weights
 * (damon_pick_dest()) by the folio's offset in its file or anonymous
 * mapping, which migration does not change: a folio keeps its destination
 * from one apply to the next.  The folios are sorted into one batch
 * per destination node, each migrated with one migrate_pages() call that
 * allocates on that node only.  Folios that are already on their
 * destination, whose destination is not an online node, or that failed to
 * migrate, are put back on their LRU lists.
 *
 * Context: Process context, may sleep; no locks held.
 * Return: Bytes migrated (pages that migrate_pages() reported as migrated).
 */
unsigned long damon_migrate_folios(struct list_head *folios, struct damos *s)
{
	struct folio *folio, *next;
	unsigned long nr_migrated = 0;
	LIST_HEAD(stay);
	LIST_HEAD(batch);
	int nid;

	while (!list_empty(folios)) {
		/*
		 * The first folio always joins the batch, even if its key
		 * changed meanwhile (truncation), so that the loop ends.
		 */
		folio = list_first_entry(folios, struct folio, lru);
		nid = damon_migrate_dest_nid(s, folio);
		list_move_tail(&folio->lru, &batch);
		list_for_each_entry_safe(folio, next, folios, lru) {
			if (damon_migrate_dest_nid(s, folio) == nid)
				list_move_tail(&folio->lru, &batch);
		}
		/* already there: nothing to do */
		list_for_each_entry_safe(folio, next, &batch, lru) {
			if (folio_nid(folio) == nid)
				list_move_tail(&folio->lru, &stay);
		}
		/* user input: any int, e.g. beyond MAX_NUMNODES */
		if (nid >= 0 && nid < MAX_NUMNODES && node_online(nid))
			nr_migrated += damon_migrate_to_node(&batch, nid);
		/* what migrate_pages() left, or all if @nid is no node */
		list_splice_init(&batch, &stay);
		cond_resched();
	}
	putback_movable_pages(&stay);
	return nr_migrated * PAGE_SIZE;
}

/* ===== Scheme prioritisation ===== */

/*
 * The score of a region for a scheme blends three sub-scores, each from 0
 * to DAMOS_MAX_SCORE, weighted by the scheme's quota weights:
 *
 * 1. Size: log2 of the region size in pages, so that one big region does
 *    not drown every other consideration; reaches the top at
 *    2^SCORE_SZ_BITS pages (4 TiB with 4 KiB pages).
 * 2. Frequency: the moving-average access count as a share of the highest
 *    possible count per aggregation interval.
 * 3. Age: log2 of the time, in ms, the region has kept its access
 *    frequency (the top is 2^SCORE_AGE_BITS ms, about 17 minutes), folded
 *    so that age strengthens what the frequency says: an accessed region
 *    scores 50..99, more the older it is; a region with no access at all
 *    0..49, less the older it is.  Any access thus outranks none, keeping
 *    the hot score monotonic in the access frequency.
 *
 * The cold score mirrors the frequency and age sub-scores of the hot score
 * and keeps the size sub-score: a big region is a better target for either
 * kind of action.  Example, all weights 1, 100 ms aggregation, 20 samples
 * per aggregation: a 2 MiB region (512 pages, size score 99 * 10 / 30 = 33)
 * accessed in 10 of 20 samples (frequency 99 * 10 / 20 = 49) for 50
 * intervals (5000 ms: 13 bits, 99 * 13 / 20 = 64, folded to 50 + 64 / 2 =
 * 82) has a hot score of (33 + 49 + 82) / 3 = 54 and a cold score of
 * (33 + 50 + 17) / 3 = 33.
 */
#define SCORE_SZ_BITS	30
#define SCORE_AGE_BITS	20

static unsigned int score_sz(struct damon_ctx *ctx, struct damon_region *r)
{
	u64 bytes = (u64)damon_sz_region(r) * max(ctx->addr_unit, 1UL);
	unsigned int bits = fls64(bytes >> PAGE_SHIFT);

	return min(bits, SCORE_SZ_BITS) * DAMOS_MAX_SCORE / SCORE_SZ_BITS;
}

static unsigned int score_freq(struct damon_ctx *ctx, struct damon_region *r)
{
	/* the results the pattern was matched on: see damos_pattern_match() */
	unsigned int max_nr = max(damon_max_nr_accesses(&ctx->attrs), 1U);
	u64 score = div_u64((u64)r->last_nr_accesses * DAMOS_MAX_SCORE, max_nr);

	return min_t(u64, score, DAMOS_MAX_SCORE);
}

static unsigned int score_age(struct damon_ctx *ctx, struct damon_region *r)
{
	u64 age_ms = div_u64((u64)r->age * ctx->attrs.aggr_interval, 1000);
	unsigned int bits = fls64(age_ms);

	return min(bits, SCORE_AGE_BITS) * DAMOS_MAX_SCORE / SCORE_AGE_BITS;
}

static int blend(struct damos_quota *q, unsigned int sz, unsigned int freq,
		 unsigned int age)
{
	u64 total = (u64)q->weight_sz + q->weight_nr_accesses + q->weight_age;
	u64 sum;

	/* No preference at all: every region ties. */
	if (!total)
		return DAMOS_MAX_SCORE;
	sum = (u64)q->weight_sz * sz + (u64)q->weight_nr_accesses * freq +
		(u64)q->weight_age * age;
	return div64_u64(sum, total);
}

/* The hot frequency and age sub-scores of @r. */
static void hot_subscores(struct damon_ctx *ctx, struct damon_region *r,
			  unsigned int *freq, unsigned int *age)
{
	unsigned int half_age = score_age(ctx, r) / 2;

	*freq = score_freq(ctx, r);
	if (r->last_nr_accesses)
		*age = DAMOS_MAX_SCORE / 2 + 1 + half_age;
	else
		*age = DAMOS_MAX_SCORE / 2 - half_age;
}

/**
 * damon_hot_score() - How much a region is worth a scheme that wants hot
 *		       memory (e.g. %DAMOS_LRU_PRIO).
 * @ctx:	The region's context.
 * @r:		The region.
 * @s:		The scheme, whose quota weights are used.
 *
 * Context: The kdamond.
 * Return: 0..%DAMOS_MAX_SCORE, higher for bigger, more often and longer
 * accessed regions.
 */
VISIBLE_IF_KUNIT int damon_hot_score(struct damon_ctx *ctx,
				     struct damon_region *r, struct damos *s)
{
	unsigned int freq, age;

	hot_subscores(ctx, r, &freq, &age);
	return blend(&s->quota, score_sz(ctx, r), freq, age);
}
EXPORT_SYMBOL_IF_KUNIT(damon_hot_score);

/**
 * damon_cold_score() - How much a region is worth a scheme that wants cold
 *			memory (e.g. %DAMOS_PAGEOUT).
 * @ctx:	The region's context.
 * @r:		The region.
 * @s:		The scheme, whose quota weights are used.
 *
 * Context: The kdamond.
 * Return: 0..%DAMOS_MAX_SCORE, higher for bigger, more rarely and longer
 * unaccessed regions.
 */
VISIBLE_IF_KUNIT int damon_cold_score(struct damon_ctx *ctx,
				      struct damon_region *r, struct damos *s)
{
	unsigned int freq, age;

	hot_subscores(ctx, r, &freq, &age);
	return blend(&s->quota, score_sz(ctx, r), DAMOS_MAX_SCORE - freq,
		     DAMOS_MAX_SCORE - age);
}
EXPORT_SYMBOL_IF_KUNIT(damon_cold_score);

/* Whether @action is meant for memory that is not being used. */
static bool action_wants_cold(enum damos_action action)
{
	switch (action) {
	case DAMOS_COLD:
	case DAMOS_PAGEOUT:
	case DAMOS_NOHUGEPAGE:
	case DAMOS_LRU_DEPRIO:
	case DAMOS_MIGRATE_COLD:
		return true;
	default:
		return false;
	}
}

/**
 * damon_scheme_score() - &damon_operations->get_scheme_score of the
 *			  operation sets.
 * @ctx:	The region's context.
 * @r:		The region.
 * @s:		The scheme.
 *
 * Context: The kdamond.
 * Return: damon_cold_score() for actions on cold memory, damon_hot_score()
 * for the others.
 */
int damon_scheme_score(struct damon_ctx *ctx, struct damon_region *r,
		       struct damos *s)
{
	if (action_wants_cold(s->action))
		return damon_cold_score(ctx, r, s);
	return damon_hot_score(ctx, r, s);
}

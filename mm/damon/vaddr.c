// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON operation sets for process address spaces: "vaddr" keeps the regions
 * on what the process has mapped, "fvaddr" monitors fixed, user-given ranges.
 */

#define pr_fmt(fmt) "damon-va: " fmt

#include <linux/hugetlb.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/page_idle.h>
#include <linux/pagewalk.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <kunit/visibility.h>

#include "ops-common.h"
#include "vaddr.h"

/**
 * DOC: Regions of a process address space
 *
 * A process's mappings are a few dense clusters separated by a couple of
 * huge holes: on 64-bit, the one between the heap and the mmap area and the
 * one between the mmap area and the stack each cover terabytes, while the
 * holes inside a cluster are small.  Monitoring the huge holes would waste
 * most regions on memory that cannot be accessed, so vaddr monitors the
 * span of all mappings minus its two biggest holes: three ranges.
 *
 * 1. The VMAs are walked in address order and summarised in a struct
 *    damon_va_layout: the overall span and the two biggest holes seen so
 *    far.  Only O(1) memory, whatever the number of VMAs.
 * 2. The span is cut at the two holes, giving up to three ranges (fewer if
 *    the process has fewer than two holes), which are rounded out to the
 *    context's minimum region size and merged where the rounding made them
 *    meet.
 * 3. damon_set_regions() makes the target's regions cover exactly these
 *    ranges; regions that survive keep their access counters and age.
 *
 * Example: mappings [4M, 5M) [5M, 8M) [64M, 65M) [1T, 1T+32M) [2T-4M, 2T)
 * have holes of 56M, ~1T and ~1T-36M; the ranges are [4M, 65M),
 * [1T, 1T+32M) and [2T-4M, 2T), and the 56M hole stays monitored.
 *
 * This runs when the kdamond starts, for targets the user gave no regions,
 * and again every ops update interval so that regions follow the mappings
 * as they appear, grow, shrink and go away.  fvaddr never does any of it.
 */

/* ===== The layout of mappings ===== */

static bool range_empty(const struct damon_addr_range *r)
{
	return r->start >= r->end;
}

static unsigned long range_sz(const struct damon_addr_range *r)
{
	return range_empty(r) ? 0 : r->end - r->start;
}

/**
 * damon_va_layout_add() - Account one more mapping in a layout.
 * @layout:	The layout, zero-initialised before the first mapping.
 * @start:	Start address of the mapping.
 * @end:	End address of the mapping.
 *
 * Mappings must come in ascending address order; one that starts before the
 * end of the previous ones only extends the span.  Empty ones are ignored.
 *
 * Context: Any context.
 */
VISIBLE_IF_KUNIT void damon_va_layout_add(struct damon_va_layout *layout,
					  unsigned long start,
					  unsigned long end)
{
	struct damon_addr_range hole;

	if (start >= end)
		return;
	if (range_empty(&layout->span)) {
		layout->span.start = start;
		layout->span.end = end;
		return;
	}

	hole.start = layout->span.end;
	hole.end = start;
	layout->span.end = max(layout->span.end, end);

	/* Strictly bigger: of equally big holes, the lower one stays. */
	if (range_sz(&hole) > range_sz(&layout->gaps[0])) {
		layout->gaps[1] = layout->gaps[0];
		layout->gaps[0] = hole;
	} else if (range_sz(&hole) > range_sz(&layout->gaps[1])) {
		layout->gaps[1] = hole;
	}
}
EXPORT_SYMBOL_IF_KUNIT(damon_va_layout_add);

/**
 * damon_va_layout_ranges() - The ranges vaddr monitors for a layout.
 * @layout:		The layout of the process's mappings.
 * @ranges:		Where to store up to three sorted ranges.
 * @min_region_sz:	Minimum region size and alignment of the context.
 *
 * Context: Any context.
 * Return: The number of ranges stored: 0 if @layout has no mapping, else
 * one more than the number of holes left out (at most two).
 */
VISIBLE_IF_KUNIT unsigned int
damon_va_layout_ranges(const struct damon_va_layout *layout,
		       struct damon_addr_range ranges[3],
		       unsigned long min_region_sz)
{
	const struct damon_addr_range *holes[2];
	unsigned int nr_holes = 0, nr = 0, i;
	unsigned long cur;

	if (range_empty(&layout->span))
		return 0;

	for (i = 0; i < ARRAY_SIZE(layout->gaps); i++)
		if (!range_empty(&layout->gaps[i]))
			holes[nr_holes++] = &layout->gaps[i];
	if (nr_holes == 2 && holes[0]->start > holes[1]->start)
		swap(holes[0], holes[1]);

	cur = layout->span.start;
	for (i = 0; i < nr_holes; i++) {
		ranges[nr].start = cur;
		ranges[nr++].end = holes[i]->start;
		cur = holes[i]->end;
	}
	ranges[nr].start = cur;
	ranges[nr++].end = layout->span.end;

	return damon_fit_ranges(ranges, nr, min_region_sz);
}
EXPORT_SYMBOL_IF_KUNIT(damon_va_layout_ranges);

/**
 * damon_va_apply_layout() - Make a target's regions follow a layout.
 * @t:			The target.
 * @layout:		The layout of its process's mappings.
 * @min_region_sz:	Minimum region size and alignment of the context.
 *
 * A layout without mappings (the process is exec()ing, or exiting) leaves
 * the regions alone: better keep stale regions for a moment than drop all
 * counters.
 *
 * Context: Caller owns @t (the kdamond, or the context is not running).
 * Return: 0 on success, a negative errno from damon_set_regions() else.
 */
VISIBLE_IF_KUNIT int damon_va_apply_layout(struct damon_target *t,
					   const struct damon_va_layout *layout,
					   unsigned long min_region_sz)
{
	struct damon_addr_range ranges[3];
	unsigned int nr;

	nr = damon_va_layout_ranges(layout, ranges, min_region_sz);
	if (!nr)
		return 0;
	return damon_set_regions(t, ranges, nr, min_region_sz);
}
EXPORT_SYMBOL_IF_KUNIT(damon_va_apply_layout);

/* ===== Targets ===== */

/*
 * A target names its process by a struct pid whose reference the user took
 * and cleanup_target drops.  The mm is pinned (mm_users) only while a pass
 * over the target's regions runs, so an exiting process tears its address
 * space down as usual -- at worst in the kdamond, when our mmput() is the
 * last -- and from then on damon_va_get_mm() fails and the target is invalid.
 */
static struct mm_struct *damon_va_get_mm(struct damon_target *t)
{
	struct task_struct *task;
	struct mm_struct *mm;

	if (!t->pid)
		return NULL;
	task = get_pid_task(t->pid, PIDTYPE_PID);
	if (!task)
		return NULL;
	mm = get_task_mm(task);
	put_task_struct(task);
	return mm;
}

/*
 * A target stays valid until its task is reaped, not only while it has an
 * mm: users that wait for a monitored process (upstream's selftests among
 * them) still query DAMON about it between its exit and the reaping.  A
 * zombie has no mm; sampling it finds none and sees no access.
 */
static bool damon_va_target_valid(struct damon_target *t)
{
	bool valid;

	rcu_read_lock();
	valid = t->pid && pid_task(t->pid, PIDTYPE_PID);
	rcu_read_unlock();
	return valid;
}

static void damon_va_cleanup_target(struct damon_target *t)
{
	put_pid(t->pid);
	t->pid = NULL;
}

static void damon_va_layout_of(struct mm_struct *mm,
			       struct damon_va_layout *layout)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	for_each_vma(vmi, vma)
		damon_va_layout_add(layout, vma->vm_start, vma->vm_end);
	mmap_read_unlock(mm);
}

static void damon_va_update_target(struct damon_ctx *ctx,
				   struct damon_target *t)
{
	struct damon_va_layout layout = {};
	struct mm_struct *mm;
	int err;

	mm = damon_va_get_mm(t);
	if (!mm)
		return;
	damon_va_layout_of(mm, &layout);
	mmput(mm);

	err = damon_va_apply_layout(t, &layout, ctx->min_region_sz);
	if (err)
		pr_warn_ratelimited("cannot update regions to mappings: %d\n",
				    err);
}

/* Build the initial regions of targets the user gave none. */
static void damon_va_init(struct damon_ctx *ctx)
{
	struct damon_target *t;

	damon_for_each_target(t, ctx) {
		if (!t->nr_regions)
			damon_va_update_target(ctx, t);
	}
}

static void damon_va_update(struct damon_ctx *ctx)
{
	struct damon_target *t;

	damon_for_each_target(t, ctx)
		damon_va_update_target(ctx, t);
}

/* ===== Page-table walks for one sampled address ===== */

/*
 * Both walks look at exactly one page: the one mapping the sampled address.
 * The PMD callback handles both a THP and the PTE table below a PMD by
 * itself, and tells the walker not to descend, so the walker never splits a
 * THP because of us.  Non-present entries (none, swap, migration) were not
 * accessed; they are skipped.
 */

static int mkold_pmd_entry(pmd_t *pmd, unsigned long addr,
			   unsigned long next, struct mm_walk *walk)
{
	spinlock_t *ptl;	/* of the entry we look at */
	pte_t *pte;

	walk->action = ACTION_CONTINUE;
	ptl = pmd_trans_huge_lock(pmd, walk->vma);
	if (ptl) {
		damon_pmdp_mkold(pmd, walk->vma, addr & PMD_MASK);
		spin_unlock(ptl);
		return 0;
	}
	pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!pte)	/* the PTE table went away meanwhile */
		return 0;
	damon_ptep_mkold(pte, walk->vma, addr);
	pte_unmap_unlock(pte, ptl);
	return 0;
}

/*
 * What the young walk of one sample finds.  With @ctx set, the walk also
 * counts the sample in @ctx's probes while the page-table lock keeps the
 * folio it found mapped.
 */
struct damon_va_sample {
	struct damon_ctx *ctx;
	struct damon_region *r;
	bool young;
	bool counted;
};

static void damon_va_probe_folio(struct damon_va_sample *s,
				 struct folio *folio)
{
	if (!s->ctx)
		return;
	damon_probes_hit(s->ctx, s->r, folio, s->young);
	s->counted = true;
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
static void damon_va_young_pmd(pmd_t pmde, unsigned long addr,
			       struct mm_walk *walk)
{
	struct damon_va_sample *s = walk->private;

	s->young = damon_pmd_young(pmde, walk->vma, addr & PMD_MASK);
	if (s->ctx && pmd_present(pmde))
		damon_va_probe_folio(s, vm_normal_folio_pmd(walk->vma, addr,
							    pmde));
}
#else
static void damon_va_young_pmd(pmd_t pmde, unsigned long addr,
			       struct mm_walk *walk)
{
}
#endif

static int young_pmd_entry(pmd_t *pmd, unsigned long addr,
			   unsigned long next, struct mm_walk *walk)
{
	struct damon_va_sample *s = walk->private;
	spinlock_t *ptl;	/* of the entry we look at */
	pte_t *pte, ptent;

	walk->action = ACTION_CONTINUE;
	ptl = pmd_trans_huge_lock(pmd, walk->vma);
	if (ptl) {
		damon_va_young_pmd(pmdp_get(pmd), addr, walk);
		spin_unlock(ptl);
		return 0;
	}
	pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!pte)
		return 0;
	ptent = ptep_get(pte);
	s->young = damon_pte_young(ptent, walk->vma, addr);
	if (s->ctx && pte_present(ptent))
		damon_va_probe_folio(s, vm_normal_folio(walk->vma, addr,
							ptent));
	pte_unmap_unlock(pte, ptl);
	return 0;
}

#ifdef CONFIG_HUGETLB_PAGE
/*
 * mmu_notifier_clear_young(), which has no stub when the kernel is built
 * without mmu notifiers (nothing but the page table can know then).
 */
static bool notifier_clear_young(struct mm_struct *mm, unsigned long start,
				 unsigned long end)
{
#ifdef CONFIG_MMU_NOTIFIER
	return mmu_notifier_clear_young(mm, start, end);
#else
	return false;
#endif
}

/*
 * hugetlb entries may be made of several hardware entries (e.g. contiguous
 * PTEs on arm64), so the Accessed bit is cleared with the same
 * modify-protection sequence mprotect() uses rather than bit operations on
 * one entry.  Only young entries are rewritten.
 */
static int mkold_hugetlb_entry(pte_t *pte, unsigned long hmask,
			       unsigned long addr, unsigned long end,
			       struct mm_walk *walk)
{
	struct vm_area_struct *vma = walk->vma;
	struct hstate *h = hstate_vma(vma);
	unsigned long haddr = addr & hmask;
	struct folio *folio;
	spinlock_t *ptl;	/* of the entry we look at */
	pte_t entry;

	ptl = huge_pte_lock(h, walk->mm, pte);
	entry = huge_ptep_get(walk->mm, haddr, pte);
	if (!pte_present(entry))
		goto out;
	folio = pfn_folio(pte_pfn(entry));
	if (pte_young(entry)) {
		pte_t old = huge_ptep_modify_prot_start(vma, haddr, pte);

		huge_ptep_modify_prot_commit(vma, haddr, pte, old,
					     pte_mkold(old));
		folio_set_young(folio);
	}
	if (notifier_clear_young(walk->mm, haddr, haddr + huge_page_size(h)))
		folio_set_young(folio);
	folio_set_idle(folio);
out:
	spin_unlock(ptl);
	return 0;
}

static int young_hugetlb_entry(pte_t *pte, unsigned long hmask,
			       unsigned long addr, unsigned long end,
			       struct mm_walk *walk)
{
	struct hstate *h = hstate_vma(walk->vma);
	struct damon_va_sample *s = walk->private;
	unsigned long haddr = addr & hmask;
	spinlock_t *ptl;	/* of the entry we look at */
	struct folio *folio;
	pte_t entry;

	ptl = huge_pte_lock(h, walk->mm, pte);
	entry = huge_ptep_get(walk->mm, haddr, pte);
	if (pte_present(entry)) {
		folio = pfn_folio(pte_pfn(entry));
		s->young = pte_young(entry) || !folio_test_idle(folio) ||
			mmu_notifier_test_young(walk->mm, haddr);
		damon_va_probe_folio(s, folio);
	}
	spin_unlock(ptl);
	return 0;
}
#else
#define mkold_hugetlb_entry	NULL
#define young_hugetlb_entry	NULL
#endif /* CONFIG_HUGETLB_PAGE */

static const struct mm_walk_ops mkold_walk_ops = {
	.pmd_entry = mkold_pmd_entry,
	.hugetlb_entry = mkold_hugetlb_entry,
	.walk_lock = PGWALK_RDLOCK,
};

static const struct mm_walk_ops young_walk_ops = {
	.pmd_entry = young_pmd_entry,
	.hugetlb_entry = young_hugetlb_entry,
	.walk_lock = PGWALK_RDLOCK,
};

/*
 * One pass over the sampled pages of a target, in address order.
 *
 * Looking the VMA up was most of a sample's cost (find_vma() was 43% of
 * the kdamond's CPU time in the benchmark's static scenario), so a pass
 * holds mmap_lock for reading and moves a VMA iterator forward with the
 * addresses (the regions are sorted): each VMA is found once per pass,
 * from where the previous one was, not from the root of the tree.  The
 * lock is dropped (and the iterator restarted) whenever a writer waits
 * for it or the kdamond should reschedule, so that the process's own
 * mmap()/munmap() waits for at most one page's walk, however many regions
 * the target has.
 */
struct damon_va_pass {
	struct mm_struct *mm;
	/* valid only while locked: */
	struct vma_iterator vmi;
	struct vm_area_struct *vma;	/* first VMA ending above @addr */
	unsigned long addr;		/* the last address asked for */
	bool locked;
};

static void damon_va_pass_begin(struct damon_va_pass *pass,
				struct mm_struct *mm)
{
	*pass = (struct damon_va_pass){ .mm = mm };
}

static void damon_va_pass_end(struct damon_va_pass *pass)
{
	if (pass->locked)
		mmap_read_unlock(pass->mm);
	pass->locked = false;
}

/* The VMA of @addr with mmap_lock held, or NULL for a hole. */
static struct vm_area_struct *damon_va_pass_vma(struct damon_va_pass *pass,
						unsigned long addr)
{
	struct vm_area_struct *vma;

	if (pass->locked &&
	    (mmap_lock_is_contended(pass->mm) || need_resched())) {
		damon_va_pass_end(pass);
		cond_resched();
	}
	if (!pass->locked || addr < pass->addr) {
		if (!pass->locked)
			mmap_read_lock(pass->mm);
		pass->locked = true;
		vma_iter_init(&pass->vmi, pass->mm, addr);
		pass->vma = vma_next(&pass->vmi);
	}
	pass->addr = addr;
	vma = pass->vma;
	while (vma && vma->vm_end <= addr)
		vma = vma_next(&pass->vmi);
	pass->vma = vma;
	return vma && vma->vm_start <= addr ? vma : NULL;
}

/*
 * The PMD entry of @addr, if there is a PMD table; NULL for nothing mapped
 * or a PUD-sized leaf (a DAX mapping), which is not sampled.  The checks
 * are walk_pmd_range()'s: with mmap_lock held a PUD entry that points to
 * a PMD table cannot go away.
 */
static pmd_t *damon_va_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud, pudval;
	pmd_t *pmd;

	if (pgd_none_or_clear_bad(pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none_or_clear_bad(p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	pudval = pudp_get(pud);
	if (!pud_present(pudval) || pud_leaf(pudval))
		return NULL;
	pmd = pmd_offset(pud, addr);
	return pmd_none(pmdp_get(pmd)) ? NULL : pmd;
}

/*
 * Walk the page mapping @addr.  The descent to the PMD is done here rather
 * than by walk_page_range_vma(): the generic walker's loops over each level
 * were a quarter of the kdamond's time for a walk that visits one entry.
 * hugetlb areas keep the generic walker (their entries are walked in
 * units of the huge page).  As walk_page_range() does, a VM_PFNMAP area is
 * not walked: it has no struct page behind it.
 */
static void damon_va_pass_walk(struct damon_va_pass *pass, unsigned long addr,
			       const struct mm_walk_ops *ops, void *private)
{
	struct vm_area_struct *vma;
	struct mm_walk walk;
	pmd_t *pmd;

	addr = PAGE_ALIGN_DOWN(addr);
	vma = damon_va_pass_vma(pass, addr);
	if (!vma || (vma->vm_flags & VM_PFNMAP))
		return;
	if (is_vm_hugetlb_page(vma)) {
		walk_page_range_vma(vma, addr, addr + PAGE_SIZE, ops, private);
		return;
	}
	pmd = damon_va_pmd(pass->mm, addr);
	if (!pmd)
		return;
	walk = (struct mm_walk){
		.ops = ops, .mm = pass->mm, .vma = vma, .private = private,
	};
	ops->pmd_entry(pmd, addr, addr + PAGE_SIZE, &walk);
}

/* ===== Sampling ===== */

/*
 * Work per sampling interval is one single-page walk per region, so it is
 * bounded by the number of regions, whatever the size of the process.
 */
/* A new sample per region, made idle if @mkold and the process lives. */
static void damon_va_pick_samples(struct damon_ctx *ctx, bool mkold)
{
	struct damon_va_pass pass;
	struct damon_target *t;
	struct damon_region *r;
	struct mm_struct *mm;

	damon_for_each_target(t, ctx) {
		mm = mkold ? damon_va_get_mm(t) : NULL;
		damon_va_pass_begin(&pass, mm);
		damon_for_each_region(r, t) {
			r->sampling_addr = damon_pick_sampling_addr(r,
								    PAGE_SIZE);
			if (mm)
				damon_va_pass_walk(&pass, r->sampling_addr,
						   &mkold_walk_ops, NULL);
		}
		damon_va_pass_end(&pass);
		if (mm)
			mmput(mm);
	}
}

static void damon_va_prepare_access_checks(struct damon_ctx *ctx)
{
	damon_va_pick_samples(ctx, true);
}

/*
 * The fault-report mode: a new sample per region, armed so that its next
 * access faults (see damon_arm_page()).  mmap_lock is held as for the
 * accessed-bit checks (struct damon_va_pass); each arming flushes one page
 * from the TLBs.
 */
static void damon_va_prepare_access_faults(struct damon_ctx *ctx)
{
	struct vm_area_struct *vma;
	struct damon_va_pass pass;
	struct damon_target *t;
	struct damon_region *r;
	struct mm_struct *mm;

	damon_for_each_target(t, ctx) {
		mm = damon_va_get_mm(t);
		damon_va_pass_begin(&pass, mm);
		damon_for_each_region(r, t) {
			r->sampling_addr = damon_pick_sampling_addr(r,
								    PAGE_SIZE);
			if (!mm)
				continue;
			vma = damon_va_pass_vma(&pass, r->sampling_addr);
			if (vma)
				damon_arm_page(vma, r->sampling_addr);
		}
		damon_va_pass_end(&pass);
		if (mm)
			mmput(mm);
	}
}

/*
 * Walk to @r's sampled page in @pass (whose mm is NULL if the process is
 * gone) and tell whether it was accessed; with @probes, count the sample
 * in the probes too (a NULL folio if no page is mapped there).
 */
static bool damon_va_sample(struct damon_ctx *ctx, struct damon_va_pass *pass,
			    struct damon_region *r, bool probes)
{
	struct damon_va_sample s = {
		.ctx = probes ? ctx : NULL,
		.r = r,
	};

	if (pass->mm)
		damon_va_pass_walk(pass, r->sampling_addr, &young_walk_ops,
				   &s);
	if (probes && !s.counted)
		damon_probes_hit(ctx, r, NULL, false);
	return s.young;
}

static unsigned int damon_va_check_accesses(struct damon_ctx *ctx)
{
	bool probes = damon_nr_probes(ctx);
	unsigned int max_nr_accesses = 0;
	struct damon_va_pass pass;
	struct damon_target *t;
	struct damon_region *r;
	struct mm_struct *mm;

	damon_for_each_target(t, ctx) {
		mm = damon_va_get_mm(t);
		damon_va_pass_begin(&pass, mm);
		damon_for_each_region(r, t) {
			bool young = damon_va_sample(ctx, &pass, r, probes);

			damon_update_region_access_rate(r, young, &ctx->attrs);
			max_nr_accesses = max(max_nr_accesses, r->nr_accesses);
		}
		damon_va_pass_end(&pass);
		if (mm)
			mmput(mm);
	}
	return max_nr_accesses;
}

/*
 * The attributes-only mode: a new sample per region, made idle only if a
 * probe has a set_pgidle step (an access check would do it in any case).
 * Reading the Accessed bit on the way to the folio costs nothing more, so
 * apply_probes always does.
 */
static void damon_va_prep_probes(struct damon_ctx *ctx)
{
	damon_va_pick_samples(ctx, ctx->probes_set_pgidle);
}

static void damon_va_apply_probes(struct damon_ctx *ctx)
{
	struct damon_va_pass pass;
	struct damon_target *t;
	struct damon_region *r;
	struct mm_struct *mm;

	damon_for_each_target(t, ctx) {
		mm = damon_va_get_mm(t);
		damon_va_pass_begin(&pass, mm);
		damon_for_each_region(r, t)
			damon_va_sample(ctx, &pass, r, true);
		damon_va_pass_end(&pass);
		if (mm)
			mmput(mm);
	}
}

/* ===== Migration (DAMOS_MIGRATE_HOT, DAMOS_MIGRATE_COLD) ===== */

/*
 * Queue a folio a walked entry maps for migration.  A folio other
 * processes likely map as well is left alone, as migrate_pages(2) without
 * MPOL_MF_MOVE_ALL does: this process's access pattern says little about
 * theirs.  The page-table lock held by the caller keeps the folio mapped,
 * hence referenced, as damon_isolate_folio() requires; a large folio mapped
 * by several entries is isolated by the first only, as isolation takes it
 * off the LRU.
 */
static void migrate_queue_folio(struct folio *folio, struct list_head *folios)
{
	if (folio_is_zone_device(folio) || folio_likely_mapped_shared(folio))
		return;
	damon_isolate_folio(folio, folios);
}

static int migrate_pmd_entry(pmd_t *pmd, unsigned long addr,
			     unsigned long next, struct mm_walk *walk)
{
	struct list_head *folios = walk->private;
	spinlock_t *ptl;	/* of the entries we look at */
	struct folio *folio;
	pte_t *start, *pte;
	pte_t entry;

	walk->action = ACTION_CONTINUE;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	ptl = pmd_trans_huge_lock(pmd, walk->vma);
	if (ptl) {
		pmd_t pmde = pmdp_get(pmd);

		if (pmd_present(pmde)) {
			folio = vm_normal_folio_pmd(walk->vma, addr, pmde);
			if (folio)
				migrate_queue_folio(folio, folios);
		}
		spin_unlock(ptl);
		return 0;
	}
#endif
	start = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!start) {	/* the PTE table went away meanwhile: look again */
		walk->action = ACTION_AGAIN;
		return 0;
	}
	for (pte = start; addr < next; pte++, addr += PAGE_SIZE) {
		entry = ptep_get(pte);
		if (!pte_present(entry))
			continue;
		folio = vm_normal_folio(walk->vma, addr, entry);
		if (folio)
			migrate_queue_folio(folio, folios);
	}
	pte_unmap_unlock(start, ptl);
	return 0;
}

static const struct mm_walk_ops migrate_walk_ops = {
	.pmd_entry = migrate_pmd_entry,
	.walk_lock = PGWALK_RDLOCK,
};

/*
 * Migrate the folios mapped in @r of @t where @s says (see
 * damon_migrate_folios()).  The folios are isolated under the mmap read
 * lock and migrated after it is dropped, so that the process is not held
 * off its own mmap()/munmap() while pages are copied.  hugetlb mappings
 * are not walked.  Return: bytes migrated, at most the region's size.
 */
static unsigned long damon_va_migrate(struct damon_target *t,
				      struct damon_region *r, struct damos *s)
{
	struct mm_struct *mm = damon_va_get_mm(t);
	LIST_HEAD(folios);
	unsigned long migrated;

	if (!mm)
		return 0;
	mmap_read_lock(mm);
	walk_page_range(mm, r->ar.start, r->ar.end, &migrate_walk_ops,
			&folios);
	mmap_read_unlock(mm);
	mmput(mm);
	migrated = damon_migrate_folios(&folios, s);
	return min(migrated, damon_sz_region(r));
}

/* ===== Schemes ===== */

/**
 * DOC: DAMOS actions on a process address space
 *
 * The actions vaddr and fvaddr support are madvise() advice applied to the
 * target process's address space, through the same do_madvise() path the
 * process_madvise() system call takes for another process.  The mm is
 * pinned only while one region is advised.
 *
 * The region is advised one mapping (VMA) at a time, and the bytes
 * "applied" are those of the mappings for which madvise succeeded.  A
 * region that covers a hole between mappings, as vaddr's regions often do,
 * thereby still counts its mapped part; unmapped memory never counts.
 * What "applied" promises depends on the action:
 *
 * - %DAMOS_WILLNEED: read-ahead of the file pages, or swap-in of the
 *   anonymous pages, was started; it has not necessarily completed.  The
 *   kernel reads at most a read-ahead window of a file (the larger of the
 *   device's optimal I/O size and the file's read-ahead size) per call,
 *   from the start of the mapped range: a bigger region is read in over
 *   several applications, as its boundaries move.
 * - %DAMOS_COLD: the process's pages lost their accessed state and were
 *   moved to the inactive LRU lists; pages shared with other processes are
 *   left alone (the same holds for pageout).
 * - %DAMOS_PAGEOUT: the pages were handed to reclaim.  Pages reclaim could
 *   not free (shared, pinned, no swap space for anonymous ones) count as
 *   well: knowing how many were really freed would cost a second walk.
 * - %DAMOS_HUGEPAGE, %DAMOS_NOHUGEPAGE: the mapping's THP flag was set.
 * - %DAMOS_COLLAPSE: every PMD-sized, aligned block of the mapping that
 *   lies entirely in the region is now a huge page; only those blocks
 *   count (madvise succeeds vacuously on the rest).  The kernel collapses
 *   synchronously, in the kdamond.
 *
 * Failures are not reported, they only make the mapping count as not
 * applied: e.g. cold and pageout refuse mlock()ed, hugetlb and PFN
 * mappings; hugepage, nohugepage and collapse fail without THP support.
 * A kernel without CONFIG_ADVISE_SYSCALLS has no madvise(): there every
 * one of these actions applies nothing.
 * madvise checks its permissions against the kdamond, a kernel thread
 * with every capability, so e.g. pageout also pages out shared mappings of
 * files the process cannot write, which its own madvise() would skip.
 *
 * The operation filters (anon, memcg, young, ...) are evaluated by paddr
 * only: vaddr ignores them and reports no byte as having passed them.
 */

/**
 * damon_va_action_advice() - The madvise() advice that implements an action.
 * @action:	A DAMOS action.
 *
 * Context: Any context.
 * Return: The MADV_* value for @action, or -EINVAL if @action is not
 * implemented by madvise().
 */
VISIBLE_IF_KUNIT int damon_va_action_advice(enum damos_action action)
{
	switch (action) {
	case DAMOS_WILLNEED:
		return MADV_WILLNEED;
	case DAMOS_COLD:
		return MADV_COLD;
	case DAMOS_PAGEOUT:
		return MADV_PAGEOUT;
	case DAMOS_HUGEPAGE:
		return MADV_HUGEPAGE;
	case DAMOS_NOHUGEPAGE:
		return MADV_NOHUGEPAGE;
	case DAMOS_COLLAPSE:
		return MADV_COLLAPSE;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(damon_va_action_advice);

/*
 * The part of [@start, @end) that the first mapping at or after @start
 * covers, in @next; false if no mapping is left in the range.  The mapping
 * may change as soon as mmap_lock is dropped: do_madvise() looks again.
 */
static bool next_mapped_range(struct mm_struct *mm, unsigned long start,
			      unsigned long end, struct damon_addr_range *next)
{
	struct vm_area_struct *vma;
	bool found = false;

	mmap_read_lock(mm);
	vma = find_vma(mm, start);
	if (vma && vma->vm_start < end) {
		next->start = max(start, vma->vm_start);
		next->end = min(end, vma->vm_end);
		found = true;
	}
	mmap_read_unlock(mm);
	return found;
}

/* The bytes of [@start, @end) that @advice succeeding is worth. */
static unsigned long advised_bytes(int advice, unsigned long start,
				   unsigned long end)
{
	if (advice == MADV_COLLAPSE) {
		start = ALIGN(start, PMD_SIZE);
		end = ALIGN_DOWN(end, PMD_SIZE);
	}
	return start < end ? end - start : 0;
}

/*
 * Advise the mapped parts of @r one mapping at a time, so that a hole in
 * the region neither fails the whole call (do_madvise() would return
 * -ENOMEM) nor counts as applied.
 *
 * Context: Process context, no lock held: do_madvise() takes mmap_lock,
 * may sleep, and for collapse may even compact and allocate huge pages.
 */
static unsigned long damon_va_advise(struct damon_target *t,
				     struct damon_region *r, int advice)
{
	/* madvise() works on whole pages: only those inside @r */
	unsigned long addr = PAGE_ALIGN(r->ar.start);
	unsigned long end = PAGE_ALIGN_DOWN(r->ar.end);
	struct damon_addr_range next;
	unsigned long applied = 0;
	struct mm_struct *mm;

	mm = damon_va_get_mm(t);
	if (!mm)
		return 0;
	while (addr < end && next_mapped_range(mm, addr, end, &next)) {
		if (!do_madvise(mm, next.start, next.end - next.start, advice))
			applied += advised_bytes(advice, next.start, next.end);
		addr = next.end;
		cond_resched();
	}
	mmput(mm);
	return applied;
}

/*
 * Return the bytes of @r the action was applied to (see "DAMOS actions on
 * a process address space" above); vaddr's address unit is always a byte.
 */
static unsigned long damon_va_apply_scheme(struct damon_ctx *ctx,
					   struct damon_target *t,
					   struct damon_region *r,
					   struct damos *s,
					   unsigned long *sz_filter_passed)
{
	*sz_filter_passed = 0;	/* no operation filters on vaddr */

	switch (s->action) {
	case DAMOS_WILLNEED:
	case DAMOS_COLD:
	case DAMOS_PAGEOUT:
	case DAMOS_HUGEPAGE:
	case DAMOS_NOHUGEPAGE:
	case DAMOS_COLLAPSE:
		/* small kernels may have no madvise(): nothing to apply */
		if (!IS_ENABLED(CONFIG_ADVISE_SYSCALLS))
			return 0;
		return damon_va_advise(t, r, damon_va_action_advice(s->action));
	case DAMOS_MIGRATE_HOT:
	case DAMOS_MIGRATE_COLD:
		return damon_va_migrate(t, r, s);
	case DAMOS_STAT:
		return damon_sz_region(r);
	default:
		return 0;	/* lru_prio, lru_deprio: paddr only */
	}
}

/* ===== Registration ===== */

static int __init damon_va_initcall(void)
{
	struct damon_operations vaddr = {
		.id = DAMON_OPS_VADDR,
		.init = damon_va_init,
		.update = damon_va_update,
		.prepare_access_checks = damon_va_prepare_access_checks,
		.check_accesses = damon_va_check_accesses,
		.prep_probes = damon_va_prep_probes,
		.apply_probes = damon_va_apply_probes,
		.prepare_access_faults = damon_va_prepare_access_faults,
		.get_scheme_score = damon_scheme_score,
		.apply_scheme = damon_va_apply_scheme,
		.target_valid = damon_va_target_valid,
		.cleanup_target = damon_va_cleanup_target,
	};
	struct damon_operations fvaddr = vaddr;
	int err;

	/* fvaddr: the same sampling on the user's ranges, never updated. */
	fvaddr.id = DAMON_OPS_FVADDR;
	fvaddr.init = NULL;
	fvaddr.update = NULL;

	err = damon_register_ops(&vaddr);
	if (err)
		return err;
	return damon_register_ops(&fvaddr);
}
subsys_initcall(damon_va_initcall);

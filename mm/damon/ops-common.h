/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by DAMON's operation sets (vaddr.c, paddr.c) and their
 * tests: the sampling protocol on folios and page-table entries, folio
 * lookup by pfn, and scheme prioritisation.  Nothing here is API.
 */
#ifndef _MM_DAMON_OPS_COMMON_H
#define _MM_DAMON_OPS_COMMON_H

#include <linux/damon.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

struct folio;
struct vm_area_struct;

unsigned int damon_fit_ranges(struct damon_addr_range *ranges,
			      unsigned int nr, unsigned long min_region_sz);

/* ===== Sampling protocol (see the DOC: block in ops-common.c) ===== */

unsigned long damon_pick_sampling_addr(struct damon_region *r,
				       unsigned long align);
struct folio *damon_get_folio(unsigned long pfn);

void damon_ptep_mkold(pte_t *pte, struct vm_area_struct *vma,
		      unsigned long addr);
bool damon_pte_young(pte_t pte, struct vm_area_struct *vma,
		     unsigned long addr);
void damon_pmdp_mkold(pmd_t *pmd, struct vm_area_struct *vma,
		      unsigned long addr);
bool damon_pmd_young(pmd_t pmd, struct vm_area_struct *vma,
		     unsigned long addr);

void damon_folio_mkold(struct folio *folio);
bool damon_folio_young(struct folio *folio);

/* ===== Arming pages for access faults (the page_fault primitive) ===== */

void damon_arm_page(struct vm_area_struct *vma, unsigned long addr);
void damon_folio_arm(struct folio *folio, unsigned long pfn);

/* ===== Folio properties, for DAMOS and probe filters ===== */

bool damon_folio_in_memcg(struct folio *folio, u64 memcg_id);

/* Whether the size of @folio is within the closed range @range. */
static inline bool damon_folio_size_in(struct folio *folio,
				       const struct damon_size_range *range)
{
	return folio_size(folio) >= range->min &&
		folio_size(folio) <= range->max;
}

/* ===== Data-attribute probes ===== */

void damon_probes_hit(struct damon_ctx *ctx, struct damon_region *r,
		      struct folio *folio, bool young);

/* ===== Ops-layer filters and migration ===== */

bool damon_ops_filters_allow(struct damos *s,
			     bool (*has_type)(const struct damos_filter *f,
					      void *arg),
			     void *arg);
unsigned int damon_pick_dest(const unsigned int *weights, unsigned int nr,
			     unsigned long key);
bool damon_isolate_folio(struct folio *folio, struct list_head *folios);
unsigned long damon_migrate_folios(struct list_head *folios, struct damos *s);

/* ===== Scheme prioritisation ===== */

int damon_scheme_score(struct damon_ctx *ctx, struct damon_region *r,
		       struct damos *s);

/* ===== Internals visible to the KUnit suites ===== */

#if IS_ENABLED(CONFIG_KUNIT)
int damon_hot_score(struct damon_ctx *ctx, struct damon_region *r,
		    struct damos *s);
int damon_cold_score(struct damon_ctx *ctx, struct damon_region *r,
		     struct damos *s);
bool damon_probe_filter_match(const struct damon_filter *f,
			      struct folio *folio, bool young);
#endif

#endif /* _MM_DAMON_OPS_COMMON_H */

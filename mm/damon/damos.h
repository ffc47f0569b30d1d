/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMOS engine internals, shared by schemes.c (application, filters,
 * watermarks, stats), quota.c (charging, prioritisation, goal tuning) and
 * their KUnit tests.  Nothing here is API.
 *
 * Everything declared here runs in the kdamond of the context it is given,
 * or on a context that is not running (tests); none of it takes a lock.
 */
#ifndef _MM_DAMON_DAMOS_H
#define _MM_DAMON_DAMOS_H

#include <linux/damon.h>

/* One basis point is 1/10000: a goal is met at a score of this many bp. */
#define DAMOS_GOAL_MET_BP	10000UL

/*
 * struct damos_round - What one apply round of a scheme decided up front.
 * @quota_on:		The scheme has a quota to respect in this round.
 * @min_score:		Regions scoring below this are not candidates.
 * @budget:		Bytes the round may still charge, all scores.
 * @boundary_budget:	Bytes the round may charge to regions scoring
 *			exactly @min_score: what the better regions leave.
 * @walk:		The damos_walk() to show the tried regions to: the one
 *			the kdamond serves, unless this scheme already did
 *			its round of it.  NULL if none.
 *
 * Lives on the stack of one round; see damos_quota_prioritise().
 */
struct damos_round {
	bool quota_on;
	unsigned int min_score;
	unsigned long budget;
	unsigned long boundary_budget;
	struct damos_walk_control *walk;
};

/**
 * damos_pattern_match() - Tell whether a region fits a scheme's pattern.
 * @ctx:	The context.
 * @r:		The region.
 * @s:		The scheme.
 *
 * Matches the monitoring results of the last completed aggregation
 * interval: its access count (&damon_region->last_nr_accesses) and the age
 * after it.  Every apply round between two aggregation boundaries thus
 * sees the same results, so a scheme applied N times per aggregation
 * interval tries N times the regions a scheme applied once does, however
 * noisy the samples are and however late the kdamond runs (a moving sum,
 * which changes with every sample, would make that ratio depend on the
 * access rate).  Sizes are in address units, the unit of the access
 * pattern's size bounds.
 *
 * Context: Caller owns @ctx.
 * Return: true if @r matches @s->pattern.
 */
static inline bool damos_pattern_match(struct damon_ctx *ctx,
				       struct damon_region *r, struct damos *s)
{
	const struct damos_access_pattern *p = &s->pattern;
	unsigned long sz = damon_sz_region(r);
	unsigned int nr_accesses = r->last_nr_accesses;

	return p->min_sz_region <= sz && sz <= p->max_sz_region &&
		p->min_nr_accesses <= nr_accesses &&
		nr_accesses <= p->max_nr_accesses &&
		p->min_age_region <= r->age && r->age <= p->max_age_region;
}

/* ===== quota.c ===== */

bool damos_quota_is_set(const struct damos_quota *q);
void damos_quota_tick(struct damon_ctx *ctx, struct damos *s,
		      unsigned int sidx, unsigned long now);
void damos_quota_prioritise(struct damon_ctx *ctx, struct damos *s,
			    struct damos_round *round);
bool damos_round_admits(struct damos_round *round, unsigned int score);
unsigned long damos_round_allowance(const struct damos_round *round,
				    unsigned int score);
void damos_quota_charge(struct damos *s, struct damos_round *round,
			unsigned int score, unsigned long sz_tried,
			unsigned long sz_applied, u64 ns);
unsigned int damos_region_score(struct damon_ctx *ctx, struct damon_region *r,
				struct damos *s);

/* ===== schemes.c and quota.c internals visible to the KUnit suites ===== */

#if IS_ENABLED(CONFIG_KUNIT)
bool damos_wmarks_step(struct damos_watermarks *wm, unsigned long metric);
unsigned long damos_wmark_metric_value(enum damos_wmark_metric metric);
void damos_set_filters_default(struct damos *s);
bool damos_core_filters_allow(struct damon_ctx *ctx, struct damon_target *t,
			      unsigned int tidx, struct damon_region *r,
			      struct damos *s);
bool damos_scheme_active(struct damos *s);
void damos_apply_round(struct damon_ctx *ctx, struct damos *s,
		       unsigned int sidx, unsigned long now,
		       struct damos_walk_control *walk);
unsigned long damos_quota_remaining(const struct damos_quota *q);
unsigned long damos_quota_base_esz(const struct damos_quota *q,
				   unsigned long min_region_sz);
unsigned long damos_goal_score_bp(struct damos_quota_goal *g);
unsigned long damos_consist_next_esz(unsigned long cur,
				     unsigned long score_bp,
				     unsigned long step, unsigned long cap);
#endif

#endif /* _MM_DAMON_DAMOS_H */

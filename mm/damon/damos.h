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
 *
 * Lives on the stack of one round; see damos_quota_prioritise().
 */
struct damos_round {
	bool quota_on;
	unsigned int min_score;
	unsigned long budget;
	unsigned long boundary_budget;
};

/* ===== quota.c ===== */

bool damos_quota_is_set(const struct damos_quota *q);
unsigned long damos_quota_remaining(const struct damos_quota *q);
unsigned long damos_quota_base_esz(const struct damos_quota *q,
				   unsigned long min_region_sz);
unsigned long damos_goal_score_bp(struct damos_quota_goal *g);
unsigned long damos_consist_next_esz(unsigned long cur,
				     unsigned long score_bp,
				     unsigned long step, unsigned long cap);
void damos_quota_tune(struct damon_ctx *ctx, struct damos *s);
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
unsigned long damos_ctx_total_sz(struct damon_ctx *ctx);
unsigned int damos_region_score(struct damon_ctx *ctx, struct damon_region *r,
				struct damos *s);

/* ===== schemes.c ===== */

bool damos_wmarks_step(struct damos_watermarks *wm, unsigned long metric);
unsigned long damos_wmark_metric_value(enum damos_wmark_metric metric);
void damos_set_filters_default(struct damos *s);
bool damos_core_filter_match(struct damos_filter *f, struct damon_target *t,
			     unsigned int tidx, struct damon_region *r);
bool damos_core_filters_allow(struct damon_ctx *ctx, struct damon_target *t,
			      unsigned int tidx, struct damon_region *r,
			      struct damos *s);
bool damos_scheme_active(struct damos *s);
void damos_apply_round(struct damon_ctx *ctx, struct damos *s,
		       unsigned int sidx, unsigned long now);

#endif /* _MM_DAMON_DAMOS_H */

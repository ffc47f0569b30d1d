// SPDX-License-Identifier: GPL-2.0
/*
 * DAMOS quotas: charging per reset interval, prioritisation of the
 * candidate regions by score, and the goal-driven tuning of the effective
 * size quota.
 */

#include <kunit/visibility.h>
#include <linux/damon.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/psi.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>

#include <trace/events/damon.h>

#include "damos.h"
#include "internal.h"

/*
 * Throughput assumed for the time quota before anything was measured:
 * 100 MiB/s, i.e. about 100 KiB per millisecond.  Deliberately low, so that
 * the first window of a time-limited scheme errs on the short side.
 */
#define DAMOS_GUESS_SZ_PER_MS	(100UL * SZ_1K)

/*
 * Throughput history is halved once it covers this much action time, so
 * that it follows changes of the action's cost within tens of seconds.
 */
#define DAMOS_THROUGHPUT_HORIZON_NS	(10ULL * NSEC_PER_SEC)

/* Where the consist tuner starts when it has no history: 1 MiB. */
#define DAMOS_GOAL_START_SZ	SZ_1M

/*
 * The goal-tuned quota may exceed the memory the context monitors by this
 * factor and no more (anti-windup, see the control law below).
 */
#define DAMOS_GOAL_HEADROOM	16UL

/* ===== Charging ===== */

/**
 * damos_quota_is_set() - Tell whether a quota limits its scheme at all.
 * @q:	The quota.
 *
 * Context: Any context.
 * Return: true if @q has a time quota, a size quota or a goal.
 */
bool damos_quota_is_set(const struct damos_quota *q)
{
	return q->ms || q->sz || !list_empty(&q->goals);
}

/**
 * damos_quota_remaining() - Bytes left in the current charge window.
 * @q:	The quota.
 *
 * Context: The kdamond of the quota's context.
 * Return: @q->esz minus what was charged in this window, or 0.
 */
VISIBLE_IF_KUNIT unsigned long damos_quota_remaining(const struct damos_quota *q)
{
	if (q->charged_sz >= q->esz)
		return 0;
	return q->esz - q->charged_sz;
}
EXPORT_SYMBOL_IF_KUNIT(damos_quota_remaining);

/* Bytes to charge for an action tried on @sz_tried bytes, done on @sz_applied. */
static unsigned long damos_charge_sz(const struct damos_quota *q,
				     unsigned long sz_tried,
				     unsigned long sz_applied)
{
	unsigned long failed;

	if (!q->fail_charge_denom || sz_applied >= sz_tried)
		return sz_tried;
	failed = sz_tried - sz_applied;
	return sz_applied + mult_frac(failed, q->fail_charge_num,
				      q->fail_charge_denom);
}

/* Remember how fast the action goes, for the time quota. */
static void damos_account_throughput(struct damos_quota *q, unsigned long sz,
				     u64 ns)
{
	q->total_charged_sz += sz;
	q->total_charged_ns += ns;
	if (q->total_charged_ns < DAMOS_THROUGHPUT_HORIZON_NS)
		return;
	q->total_charged_sz /= 2;
	q->total_charged_ns /= 2;
}

/**
 * damos_quota_charge() - Charge an action to its scheme's quota.
 * @s:		The scheme.
 * @round:	The current apply round of @s.
 * @score:	Priority score of the region the action was tried on.
 * @sz_tried:	Bytes the action was tried on.
 * @sz_applied:	Bytes the action was applied to.
 * @ns:		Time the action took.
 *
 * Counts a quota excess (&damos_stat->qt_exceeds) once per window, at the
 * charge that uses the window up.
 *
 * Context: The kdamond of @s's context.
 */
void damos_quota_charge(struct damos *s, struct damos_round *round,
			unsigned int score, unsigned long sz_tried,
			unsigned long sz_applied, u64 ns)
{
	struct damos_quota *q = &s->quota;
	unsigned long charge = damos_charge_sz(q, sz_tried, sz_applied);
	bool was_open = q->charged_sz < q->esz;

	damos_account_throughput(q, charge, ns);
	if (!round->quota_on)
		return;
	q->charged_sz += charge;
	round->budget -= min(charge, round->budget);
	if (score <= round->min_score)
		round->boundary_budget -= min(charge, round->boundary_budget);
	if (was_open && q->charged_sz >= q->esz)
		s->stat.qt_exceeds++;
}

/* ===== Prioritisation ===== */

/**
 * damos_region_score() - The priority of a region for a scheme.
 * @ctx:	The context.
 * @r:		The region.
 * @s:		The scheme.
 *
 * Context: The kdamond of @ctx.
 * Return: The operation set's score of @r for @s, clamped to
 * [0, %DAMOS_MAX_SCORE]; 0 if the operation set gives no scores.
 */
unsigned int damos_region_score(struct damon_ctx *ctx, struct damon_region *r,
				struct damos *s)
{
	int score;

	if (!ctx->ops.get_scheme_score)
		return 0;
	score = ctx->ops.get_scheme_score(ctx, r, s);
	return clamp(score, 0, DAMOS_MAX_SCORE);
}

/**
 * damos_quota_prioritise() - Decide which regions an apply round may try.
 * @ctx:	The context.
 * @s:		The scheme about to start an apply round.
 * @round:	Filled with the decision.
 *
 * When the candidates of @s (the regions matching its access pattern) are
 * bigger than what is left of the quota, only the best of them go.  A
 * histogram of candidate bytes per score (&damon_ctx->regions_score_histogram)
 * is summed from the best score down; the score at which the sum reaches the
 * remaining quota is the round's cut-off (&damos_round->min_score, also
 * left in &damos_quota->min_score for debuggers).  Regions scoring above the
 * cut-off all fit; those scoring exactly at it share what they leave
 * (&damos_round->boundary_budget), in address order, the last one being
 * split at the quota boundary.  Because the better regions' share is set
 * aside up front, their address does not matter: a high-score region at the
 * end of the address space is not starved by cut-off regions before it.
 *
 * Example: 10 MiB left, candidates 4 MiB at score 90, 8 MiB at score 60 and
 * 20 MiB at score 10: the cut-off is 60, the 4 MiB go whole, and 6 MiB of
 * the score-60 regions go; nothing of score 10.
 *
 * Without a quota, or when the operation set gives no scores, every
 * candidate is admitted in address order.
 *
 * Context: The kdamond of @ctx.
 */
void damos_quota_prioritise(struct damon_ctx *ctx, struct damos *s,
			    struct damos_round *round)
{
	unsigned long *hist = ctx->regions_score_histogram;
	struct damos_quota *q = &s->quota;
	unsigned long remaining, above = 0;
	struct damon_target *t;
	struct damon_region *r;
	int score;

	remaining = damos_quota_remaining(q);
	round->quota_on = damos_quota_is_set(q) && q->esz != ULONG_MAX;
	round->min_score = 0;
	round->budget = remaining;
	round->boundary_budget = remaining;
	q->min_score = 0;
	if (!round->quota_on || !remaining || !ctx->ops.get_scheme_score)
		return;

	memset(hist, 0, sizeof(ctx->regions_score_histogram));
	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			if (!damos_pattern_match(ctx, r, s))
				continue;
			hist[damos_region_score(ctx, r, s)] +=
				damon_sz_region(r);
		}
	}
	for (score = DAMOS_MAX_SCORE; score > 0; score--) {
		if (hist[score] >= remaining - above)
			break;
		above += hist[score];
	}
	round->min_score = score;
	round->boundary_budget = remaining - above;
	q->min_score = score;
}

/**
 * damos_round_admits() - Tell whether a region may be tried in this round.
 * @round:	The round.
 * @score:	The region's score (ignored without a quota).
 *
 * Context: The kdamond.
 * Return: true if the round has room for a region of @score.
 */
bool damos_round_admits(struct damos_round *round, unsigned int score)
{
	if (!round->quota_on)
		return true;
	return damos_round_allowance(round, score) > 0;
}

/**
 * damos_round_allowance() - Bytes a region may be tried on in this round.
 * @round:	The round.
 * @score:	The region's score.
 *
 * Context: The kdamond.
 * Return: The most bytes of a region of @score the round may try;
 * %ULONG_MAX without a quota; 0 below the cut-off.
 */
unsigned long damos_round_allowance(const struct damos_round *round,
				    unsigned int score)
{
	if (!round->quota_on)
		return ULONG_MAX;
	if (score < round->min_score)
		return 0;
	if (score > round->min_score)
		return round->budget;
	return min(round->budget, round->boundary_budget);
}

/* ===== Goal metrics ===== */

static unsigned long damos_bp(u64 part, u64 total)
{
	if (!total)
		return 0;
	return div64_u64(min(part, total) * 10000, total);
}

static bool damos_nid_valid(int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES && node_online(nid);
}

/* Total and free pages of node @nid. */
static void damos_node_pages(int nid, u64 *total, u64 *free)
{
	struct sysinfo i;

#ifdef CONFIG_NUMA
	si_meminfo_node(&i, nid);
#else
	si_meminfo(&i);		/* the one node is all of memory */
#endif
	*total = i.totalram;
	*free = i.freeram;
}

static unsigned long damos_node_mem_bp(int nid, bool used)
{
	u64 total, free;

	if (!damos_nid_valid(nid))
		return 0;
	damos_node_pages(nid, &total, &free);
	return damos_bp(used ? total - min(free, total) : free, total);
}

/* Pages on the LRU lists of node @nid charged to the cgroup of @memcg_id. */
static u64 damos_memcg_node_pages(u64 memcg_id, int nid)
{
	u64 pages = 0;
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;
	struct lruvec *lruvec;
	enum lru_list lru;

	rcu_read_lock();
	memcg = mem_cgroup_from_id(memcg_id);
	if (memcg) {
		lruvec = mem_cgroup_lruvec(memcg, NODE_DATA(nid));
		for_each_lru(lru)
			pages += lruvec_page_state(lruvec, NR_LRU_BASE + lru);
	}
	rcu_read_unlock();
#endif
	return pages;
}

static unsigned long damos_node_memcg_bp(struct damos_quota_goal *g,
					 bool used)
{
	u64 total, free, memcg;

	if (!damos_nid_valid(g->nid))
		return 0;
	damos_node_pages(g->nid, &total, &free);
	memcg = min(damos_memcg_node_pages(g->memcg_id, g->nid), total);
	return damos_bp(used ? memcg : total - memcg, total);
}

static unsigned long damos_lru_bp(bool active)
{
	u64 act = global_node_page_state(NR_ACTIVE_ANON) +
		global_node_page_state(NR_ACTIVE_FILE);
	u64 inact = global_node_page_state(NR_INACTIVE_ANON) +
		global_node_page_state(NR_INACTIVE_FILE);

	return damos_bp(active ? act : inact, act + inact);
}

/* Memory stall time ("some") since the last call, in microseconds. */
static unsigned long damos_psi_us(struct damos_quota_goal *g)
{
#ifdef CONFIG_PSI
	u64 now = READ_ONCE(psi_system.total[PSI_AVGS][PSI_MEM_SOME]);
	u64 delta = now - g->last_psi_total;

	g->last_psi_total = now;
	return div_u64(delta, NSEC_PER_USEC);
#else
	return 0;
#endif
}

/*
 * Bytes of node @nid in regions eligible for @s (matching its pattern), in
 * bp of the node.  Physical address spaces only: a virtual region says
 * nothing about the node its pages are on.
 */
static unsigned long damos_node_eligible_bp(struct damon_ctx *ctx,
					    struct damos *s, int nid)
{
	u64 nstart, nend, sz = 0, total, free;
	struct damon_target *t;
	struct damon_region *r;

	if (!damos_nid_valid(nid) || ctx->ops.id != DAMON_OPS_PADDR)
		return 0;
	nstart = PFN_PHYS(node_start_pfn(nid));
	nend = PFN_PHYS(node_end_pfn(nid));
	damon_for_each_target(t, ctx) {
		damon_for_each_region(r, t) {
			u64 start = (u64)r->ar.start * ctx->addr_unit;
			u64 end = (u64)r->ar.end * ctx->addr_unit;

			if (!damos_pattern_match(ctx, r, s))
				continue;
			start = max(start, nstart);
			end = min(end, nend);
			if (start < end)
				sz += end - start;
		}
	}
	damos_node_pages(nid, &total, &free);
	return damos_bp(sz >> PAGE_SHIFT, total);
}

/* Refresh @g->current_value, except for user-fed goals. */
static void damos_goal_measure(struct damon_ctx *ctx, struct damos *s,
			       struct damos_quota_goal *g)
{
	bool used;	/* a "used" rather than a "free" metric */

	switch (g->metric) {
	case DAMOS_QUOTA_USER_INPUT:
		return;
	case DAMOS_QUOTA_SOME_MEM_PSI_US:
		g->current_value = damos_psi_us(g);
		return;
	case DAMOS_QUOTA_NODE_MEM_USED_BP:
	case DAMOS_QUOTA_NODE_MEM_FREE_BP:
		used = g->metric == DAMOS_QUOTA_NODE_MEM_USED_BP;
		g->current_value = damos_node_mem_bp(g->nid, used);
		return;
	case DAMOS_QUOTA_NODE_MEMCG_USED_BP:
	case DAMOS_QUOTA_NODE_MEMCG_FREE_BP:
		used = g->metric == DAMOS_QUOTA_NODE_MEMCG_USED_BP;
		g->current_value = damos_node_memcg_bp(g, used);
		return;
	case DAMOS_QUOTA_ACTIVE_MEM_BP:
	case DAMOS_QUOTA_INACTIVE_MEM_BP:
		g->current_value = damos_lru_bp(g->metric ==
						DAMOS_QUOTA_ACTIVE_MEM_BP);
		return;
	case DAMOS_QUOTA_NODE_ELIGIBLE_MEM_BP:
		g->current_value = damos_node_eligible_bp(ctx, s, g->nid);
		return;
	default:
		WARN_ONCE(1, "damon: unknown quota goal metric %d\n", g->metric);
	}
}

/**
 * damos_goal_score_bp() - How well a goal is met.
 * @g:	The goal, with a fresh &damos_quota_goal->current_value.
 *
 * Context: Any context.
 * Return: @g->current_value / @g->target_value in basis points: below
 * %DAMOS_GOAL_MET_BP the goal is under-achieved.  A goal without a target
 * scores 0, so that it never wins over a real goal.
 */
VISIBLE_IF_KUNIT unsigned long damos_goal_score_bp(struct damos_quota_goal *g)
{
	u64 cur = g->current_value, target = g->target_value;

	if (!target)
		return 0;
	/* scale both down until the product fits; the ratio is what counts */
	while (cur > U64_MAX / DAMOS_GOAL_MET_BP) {
		cur >>= 1;
		target >>= 1;
	}
	if (!target)
		return ULONG_MAX;
	return min_t(u64, div64_u64(cur * DAMOS_GOAL_MET_BP, target),
		     ULONG_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(damos_goal_score_bp);

/* ===== Effective quota ===== */

/* The size the time quota allows, from the measured action throughput. */
static unsigned long damos_time_quota_sz(const struct damos_quota *q,
					 unsigned long min_region_sz)
{
	u64 sz, ms_ns;

	if (q->ms > U64_MAX / NSEC_PER_MSEC)
		return ULONG_MAX;
	ms_ns = (u64)q->ms * NSEC_PER_MSEC;
	if (!q->total_charged_ns) {
		if (q->ms > ULONG_MAX / DAMOS_GUESS_SZ_PER_MS)
			return ULONG_MAX;
		sz = (u64)q->ms * DAMOS_GUESS_SZ_PER_MS;
	} else if (div64_u64(q->total_charged_sz, q->total_charged_ns) >=
		   div64_u64(U64_MAX, ms_ns)) {
		return ULONG_MAX;	/* the quotient would overflow */
	} else if (q->total_charged_sz <= div64_u64(U64_MAX, ms_ns)) {
		sz = div64_u64(q->total_charged_sz * ms_ns, q->total_charged_ns);
	} else {
		sz = div64_u64(q->total_charged_sz, q->total_charged_ns) * ms_ns;
	}
	/* never so small that the action can't run and be measured again */
	return clamp_t(u64, sz, min_region_sz, ULONG_MAX);
}

/**
 * damos_quota_base_esz() - The effective quota the static limits allow.
 * @q:			The quota.
 * @min_region_sz:	Smallest region of the context.
 *
 * Context: Any context.
 * Return: The smaller of the size quota and the size the time quota
 * allows at the measured throughput; %ULONG_MAX if neither is set.
 */
VISIBLE_IF_KUNIT unsigned long
damos_quota_base_esz(const struct damos_quota *q, unsigned long min_region_sz)
{
	unsigned long esz = ULONG_MAX;

	if (q->ms)
		esz = damos_time_quota_sz(q, min_region_sz);
	if (q->sz && q->sz < esz)
		esz = q->sz;
	return esz;
}
EXPORT_SYMBOL_IF_KUNIT(damos_quota_base_esz);

/**
 * DOC: The consist goal tuner
 *
 * Each reset interval, the consist tuner moves the goal-driven quota ``E``
 * (&damos_quota->esz_bp, in bytes) toward the goals with a bounded
 * multiplicative proportional step:
 *
 * 1. Measure every goal and take the best score ``S`` (current / target,
 *    in bp; 10000 means met).  The best, because a scheme whose effect
 *    already met one of its goals must not be pushed further.
 * 2. Compute the factor ``F = 1.5 - S / 20000``, clamped to [0.5, 1.5]:
 *    1.5 when nothing is achieved (S = 0), 1 when the goal is met exactly,
 *    0.5 when over-achieved twice or more.
 * 3. ``E' = E * F``; when growing, by at least one minimum region size, so
 *    that a quota at its floor can grow again.
 * 4. Clamp ``E'`` to [1, cap], where cap is the static limit (size quota,
 *    time quota) if any, and ``DAMOS_GOAL_HEADROOM`` (16) times the size of
 *    the monitored memory otherwise.  The effective quota is ``E'``.
 *
 * Why it converges without oscillating.  Write ``x = E / G``, where ``G``
 * is the quota that would meet the goal, and take a plant that answers in
 * proportion, ``S = 10000 * x`` (e.g. bytes freed proportional to bytes
 * paged out).  Then ``x' = 1.5 * x - 0.5 * x^2`` for x <= 2 and
 * ``x' = x / 2`` above: a map whose fixed point is the goal, x = 1, with
 * derivative 0.5 there.  For x < 1 it increases and stays below 1; for
 * 1 < x <= 2, ``x' - 1 = -0.5 * (x - 1) * (x - 2) >= 0`` so it stays above
 * 1.  So a step change of the goal is followed monotonically: **no
 * overshoot** (up to integer rounding and the one-region minimum growth),
 * and near the goal the error at least halves every interval.
 *
 * Steeper plants (``S = 10000 * x^a``, a > 1) may cross the goal, with a
 * bound that holds for any plant: since one step scales ``E`` by a factor
 * in [0.5, 1.5] and only ever toward the goal, ``x`` never crosses to above
 * 1.5 nor below 0.5, and once in [0.5, 1.5] it stays there.  The loop is
 * locally stable for a < 4 (the derivative at the goal is 1 - a / 2);
 * e.g. for a = 2, approaching from above undershoots to at worst
 * x = 0.71 and then settles from below.
 *
 * The headroom cap is the anti-windup: with an unreachable goal ``E``
 * cannot run away to %ULONG_MAX and then need dozens of intervals to come
 * back once the goal becomes reachable; from the cap, four halvings reach
 * the monitored size.
 *
 * Worked example.  Goal: user_input 10000; E = 1 MiB; the user reports 0:
 * F = 1.5, E = 1.5 MiB, 2.25 MiB, 3.4 MiB, ...  The user then reports
 * 15000: F = 0.75, E shrinks by a quarter per interval.  Reported 10000:
 * F = 1, E stays.
 *
 * The temporal tuner is simpler: while any goal is under-achieved (the best
 * score is below 10000) the quota is the static limit (unlimited without
 * one); once met, it is 0 until the goal is missed again.
 */

/**
 * damos_consist_next_esz() - One step of the consist tuner.
 * @cur:	Current goal-driven quota, bytes.
 * @score_bp:	Best goal score, bp.
 * @step:	Least growth when growing (a minimum region size).
 * @cap:	Upper bound of the result.
 *
 * Context: Any context.
 * Return: The next goal-driven quota, in [1, max(@cap, 1)].
 */
VISIBLE_IF_KUNIT unsigned long damos_consist_next_esz(unsigned long cur,
						      unsigned long score_bp,
						      unsigned long step,
						      unsigned long cap)
{
	unsigned long factor_bp;
	u64 next;

	if (score_bp >= 2 * DAMOS_GOAL_MET_BP)
		factor_bp = DAMOS_GOAL_MET_BP / 2;
	else
		factor_bp = DAMOS_GOAL_MET_BP * 3 / 2 - score_bp / 2;
	/* the only step that can overflow is growth near the top */
	if (factor_bp > DAMOS_GOAL_MET_BP && cur > U64_MAX / 3 * 2)
		next = U64_MAX;
	else if (cur <= U64_MAX / (DAMOS_GOAL_MET_BP * 3 / 2))
		next = div_u64((u64)cur * factor_bp, DAMOS_GOAL_MET_BP);
	else
		next = div_u64(cur, DAMOS_GOAL_MET_BP) * factor_bp;
	if (factor_bp > DAMOS_GOAL_MET_BP)
		next = max_t(u64, next, (u64)cur + step);
	return clamp_t(u64, next, 1, max(cap, 1UL));
}
EXPORT_SYMBOL_IF_KUNIT(damos_consist_next_esz);

static unsigned long damos_best_goal_score(struct damon_ctx *ctx,
					   struct damos *s)
{
	struct damos_quota_goal *g;
	unsigned long best = 0;

	damos_for_each_quota_goal(g, &s->quota) {
		damos_goal_measure(ctx, s, g);
		best = max(best, damos_goal_score_bp(g));
	}
	return best;
}

/**
 * damos_quota_tune() - Recompute a scheme's effective size quota.
 * @ctx:	The context.
 * @s:		The scheme.
 *
 * Sets &damos_quota->esz from the static limits and, if there are goals,
 * one step of the selected tuner (see "The consist goal tuner").
 *
 * Context: The kdamond of @ctx, at a charge window start.
 */
static void damos_quota_tune(struct damon_ctx *ctx, struct damos *s)
{
	struct damos_quota *q = &s->quota;
	unsigned long base, cap, cur, score;

	base = damos_quota_base_esz(q, ctx->min_region_sz);
	if (list_empty(&q->goals)) {
		q->esz = base;
		return;
	}
	score = damos_best_goal_score(ctx, s);
	if (q->goal_tuner == DAMOS_QUOTA_GOAL_TUNER_TEMPORAL) {
		q->esz = score < DAMOS_GOAL_MET_BP ? base : 0;
		return;
	}
	cap = damon_ctx_total_sz(ctx);
	cap = cap > ULONG_MAX / DAMOS_GOAL_HEADROOM ? ULONG_MAX :
		cap * DAMOS_GOAL_HEADROOM;
	cap = min(cap, base);
	cur = q->esz_bp ?: min_t(unsigned long, cap, DAMOS_GOAL_START_SZ);
	q->esz_bp = damos_consist_next_esz(cur, score, ctx->min_region_sz, cap);
	q->esz = q->esz_bp;
}

/**
 * damos_quota_tick() - Open a new charge window when the current one ended.
 * @ctx:	The context.
 * @s:		The scheme, about to start an apply round.
 * @sidx:	Index of @s in @ctx, for the damos_esz tracepoint.
 * @now:	The time, in jiffies.
 *
 * A window lasts &damos_quota->reset_interval milliseconds (a zero interval
 * makes every apply round a window of its own).  At each window start the
 * charge is cleared and the effective quota recomputed and traced.
 *
 * Context: The kdamond of @ctx.
 */
void damos_quota_tick(struct damon_ctx *ctx, struct damos *s,
		      unsigned int sidx, unsigned long now)
{
	struct damos_quota *q = &s->quota;

	if (q->charged_from &&
	    time_before(now, q->charged_from +
			msecs_to_jiffies(q->reset_interval)))
		return;
	q->charged_sz = 0;
	q->charged_from = now ?: 1;	/* 0 means "no window yet" */
	damos_quota_tune(ctx, s);
	trace_damos_esz(0, sidx, q->esz);
}

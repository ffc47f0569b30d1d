/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON: Data Access MONitor - public kernel API.
 *
 * Everything an in-kernel user of DAMON (the sysfs interface, the
 * DAMON_RECLAIM/LRU_SORT/STAT modules, operation sets and tests) needs.  A
 * monitoring *context* (struct damon_ctx) watches a set of *targets* (struct
 * damon_target), each split into address *regions* (struct damon_region)
 * whose access frequency is estimated by sampling one address per region.
 * *Schemes* (struct damos) act on regions that match an access pattern.
 *
 * Members marked "private" are owned by the DAMON core; users must not touch
 * them.  While a context runs, only its kdamond thread may touch any of it;
 * see Documentation/mm/damon/api.rst for the calling rules.
 */
#ifndef _LINUX_DAMON_H
#define _LINUX_DAMON_H

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mmdebug.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/types.h>
#include <asm/page.h>

/* Default minimum size and alignment of a region. */
#define DAMON_MIN_REGION_SZ	PAGE_SIZE
/* Linux 6.12 name of DAMON_MIN_REGION_SZ, kept for older callers. */
#define DAMON_MIN_REGION	DAMON_MIN_REGION_SZ
/* Highest priority score damon_operations.get_scheme_score may return. */
#define DAMOS_MAX_SCORE		(99)
/* Maximum number of data-attribute probes of a context. */
#define DAMON_MAX_PROBES	(4)

struct damon_ctx;
struct damon_report_key;
struct damos;
struct pid;
struct task_struct;
struct vm_fault;

/**
 * struct damon_addr_range - A half-open address range.
 * @start:	First address of the range.
 * @end:	One past the last address of the range.
 */
struct damon_addr_range {
	unsigned long start;
	unsigned long end;
};

/**
 * struct damon_size_range - A closed range of sizes.
 * @min:	Minimum size (inclusive).
 * @max:	Maximum size (inclusive).
 */
struct damon_size_range {
	unsigned long min;
	unsigned long max;
};

/**
 * struct damon_region - A monitoring unit: an address range assumed to be
 *			 accessed uniformly.
 * @ar:			The address range; never empty.
 * @sampling_addr:	Address sampled during the current sampling interval.
 * @nr_accesses:	Sampling intervals of the current aggregation interval in
 *			which an access was seen.  Reset at each aggregation;
 *			update only with damon_update_region_access_rate().
 * @age:		Aggregation intervals since the access frequency of the
 *			region last changed significantly.
 * @last_nr_accesses:	(private) @nr_accesses of the previous aggregation.
 * @hit_lo:		(private) Lowest sampled address found accessed in the
 *			current aggregation interval, as an offset from
 *			@ar.start in units of a 1/32768 of the region's size
 *			(rounded up to a power of two, at least one byte).
 * @has_probes:		(private) The object has room for @probe_hits and
 *			@last_probe_hits; see damon_region_has_probes().
 * @hit_hi:		(private) Offset of the end of the highest such address,
 *			in the same units, rounded up; 0 while no sample found
 *			an access.
 * @list:		Sibling link in &damon_target->regions_list.
 * @probe_hits:	Sampling intervals of the current aggregation interval in
 *			which data-attribute probe i (in &damon_ctx->probes
 *			order) hit the sampled page, in slot i; saturates at
 *			255.  See struct damon_probe.  Only present when
 *			@has_probes is set.
 * @last_probe_hits:	(private) @probe_hits of the previous aggregation.
 *
 * The moving-sum estimate of @nr_accesses, meaningful at any point of an
 * aggregation interval, is damon_nr_accesses_mvsum().
 *
 * A region of a context without probes is allocated without the two probe
 * counter arrays (DAMON_REGION_BASE_SIZE bytes), so that monitoring alone
 * costs no memory for them; the kdamond gives the regions of a context
 * with probes the bigger object (damon_fit_region_storage()).  Never copy a
 * region by structure assignment.
 *
 * When two regions are merged, @nr_accesses, @probe_hits and @age of the
 * result are the size-weighted averages of the two; when one is split, both
 * parts keep all counters.
 */
struct damon_region {
	struct damon_addr_range ar;
	unsigned long sampling_addr;
	unsigned int nr_accesses;
	unsigned int age;
	/* private */
	unsigned int last_nr_accesses;
	u16 hit_lo:15;
	u16 has_probes:1;
	u16 hit_hi;
	struct list_head list;

	/* only in objects with has_probes set */
	unsigned char probe_hits[DAMON_MAX_PROBES];
	unsigned char last_probe_hits[DAMON_MAX_PROBES];
};

/* Size of a region object without the probe counters. */
#define DAMON_REGION_BASE_SIZE	offsetof(struct damon_region, probe_hits)

/**
 * damon_region_has_probes() - Whether a region has the probe counters.
 * @r:	The region.
 *
 * Read &damon_region->probe_hits only if this is true; it is for every
 * region of a context with probes, except when memory ran out while the
 * kdamond gave the region the bigger object (its hits then count as none
 * until the next aggregation interval's attempt succeeds).
 *
 * Return: true if @r has &damon_region->probe_hits.
 */
static inline bool damon_region_has_probes(const struct damon_region *r)
{
	return r->has_probes;
}

/**
 * struct damon_target - A monitoring target.
 * @pid:		Target process, for the virtual address space operation
 *			sets; NULL for the physical address space.
 * @obsolete:		Only meaningful on a *source* target of
 *			damon_commit_ctx(): remove the destination target of
 *			the same index.
 * @nr_regions:		Number of regions in @regions_list.
 * @regions_list:	Regions, sorted by address and non-overlapping.
 * @list:		Link in &damon_ctx->adaptive_targets.
 */
struct damon_target {
	struct pid *pid;
	bool obsolete;
	unsigned int nr_regions;
	struct list_head regions_list;
	struct list_head list;
};

/**
 * enum damon_filter_type - What a data-attribute probe filter tests.
 *
 * Each is tested on the folio of the page sampled in a region (NULL when the
 * sampled address has no page DAMON may look at: a hole, a free, kernel,
 * offline or isolated page frame).
 *
 * @DAMON_FILTER_TYPE_ANON:		The folio is anonymous.
 * @DAMON_FILTER_TYPE_MEMCG:		The folio is charged to a given memory
 *					cgroup (&damon_filter->memcg_id).
 * @DAMON_FILTER_TYPE_PGIDLE_UNSET:	The page was accessed in the sampling
 *					interval (it is not idle any more).
 * @DAMON_FILTER_TYPE_PGIDLE_SET:	The page was not accessed in the
 *					sampling interval (it is still idle).
 * @DAMON_FILTER_TYPE_HUGEPAGE_SIZE:	The folio's size is within a closed
 *					range (&damon_filter->sz_range).
 *
 * A NULL folio matches none of the types.  The numeric values are ABI (read
 * by debugging tools); never reorder.
 */
enum damon_filter_type {
	DAMON_FILTER_TYPE_ANON = 0,
	DAMON_FILTER_TYPE_MEMCG = 1,
	DAMON_FILTER_TYPE_PGIDLE_UNSET = 2,
	DAMON_FILTER_TYPE_PGIDLE_SET = 3,
	DAMON_FILTER_TYPE_HUGEPAGE_SIZE = 4,
};

/**
 * struct damon_filter - Decides whether a sample is a hit of a probe.
 * @type:	What the filter tests.
 * @matching:	Whether the filter is about samples whose folio has @type
 *		(true) or has not (false).
 * @allow:	Whether the samples the filter is about are hits (true) or
 *		not (false).
 * @memcg_id:	Cgroup id, for %DAMON_FILTER_TYPE_MEMCG.
 * @sz_range:	Folio size range, for %DAMON_FILTER_TYPE_HUGEPAGE_SIZE.
 * @list:	(private) Link in &damon_probe->filters.
 *
 * The filters of a probe are evaluated in list order, and the first one
 * that is about the sample decides, as for DAMOS filters; see
 * struct damon_probe.
 */
struct damon_filter {
	enum damon_filter_type type;
	bool matching;
	bool allow;
	union {
		u64 memcg_id;
		struct damon_size_range sz_range;
	};
	struct list_head list;
};

/**
 * enum damon_prep_action - What a probe does to each sampled page before
 *			    the sampling interval.
 * @DAMON_PREP_SET_PGIDLE:	Mark the page idle: clear the Accessed bits of
 *				the entries mapping it and set its idle flag,
 *				so that %DAMON_FILTER_TYPE_PGIDLE_UNSET tells
 *				whether it was accessed during the interval.
 */
enum damon_prep_action {
	DAMON_PREP_SET_PGIDLE = 0,
};

/**
 * struct damon_prep - A preparation step of a probe.
 * @action:	What is done to the sampled page.
 * @list:	(private) Link in &damon_probe->preps.
 */
struct damon_prep {
	enum damon_prep_action action;
	struct list_head list;
};

/**
 * struct damon_probe - A data-attribute probe.
 * @weight:	Weight of the probe's hits in the attributes-only mode; 0
 *		leaves the probe out of it.
 * @preps:	(private) Preparation steps (struct damon_prep), in order.
 * @filters:	(private) Filters (struct damon_filter), in order.
 * @list:	(private) Link in &damon_ctx->probes.
 *
 * At each sampling interval, each probe looks at the page DAMON sampled in
 * each region and counts a hit in the region's &damon_region->probe_hits
 * slot of the probe if its filters allow the sample.  The first filter
 * whose test result equals its &damon_filter->matching decides: a hit if it
 * allows.  When none decides, the sample is a hit if the last filter
 * rejects (the filters are taken as exceptions to the opposite default);
 * a probe without filters hits every sample.
 *
 * When any probe of a context has a non-zero @weight, the context runs in
 * the attributes-only mode: access checks stop (&damon_region->nr_accesses
 * stays 0), and regions are merged and aged by the weighted sum of their
 * probe hits instead (see damon_probe_hits_wsum()).
 */
struct damon_probe {
	unsigned int weight;
	struct list_head preps;
	struct list_head filters;
	struct list_head list;
};

/**
 * struct damon_primitives_enabled - Where a context's access samples come
 * from.
 * @page_table:	The Accessed bits of page-table entries (and PG_idle), as
 *		read by &damon_operations->check_accesses.
 * @page_fault:	Page-fault access reports: each sampled page is made
 *		inaccessible, and its next access faults and is reported
 *		with damon_report_access().
 *
 * Exactly one of the two must be set (damon_start() and damon_commit_ctx()
 * refuse anything else with -EINVAL).
 */
struct damon_primitives_enabled {
	bool page_table;
	bool page_fault;
};

/**
 * enum damon_sample_filter_type - What a sample filter tests in a report.
 * @DAMON_FILTER_TYPE_CPUMASK:	The reporting CPU is in a set.
 * @DAMON_FILTER_TYPE_THREADS:	The accessing thread is one of a list.
 * @DAMON_FILTER_TYPE_WRITE:	The access was a write.
 *
 * The numeric values are ABI (read by debugging tools); never reorder.
 */
enum damon_sample_filter_type {
	DAMON_FILTER_TYPE_CPUMASK,
	DAMON_FILTER_TYPE_THREADS,
	DAMON_FILTER_TYPE_WRITE,
};

/**
 * struct damon_sample_filter - Decides whether an access report counts.
 * @type:	What the filter tests.
 * @matching:	Whether the filter is about the reports that pass the test
 *		of @type (true) or those that fail it (false).
 * @allow:	Whether the reports the filter is about count (true) or not.
 * @cpumask:	The CPUs of a %DAMON_FILTER_TYPE_CPUMASK filter.
 * @tid_arr:	The thread ids (init pid namespace) of a
 *		%DAMON_FILTER_TYPE_THREADS filter; owned by the filter
 *		(kfree()d with it).
 * @nr_tids:	Number of entries of @tid_arr.
 * @list:	Link in &damon_sample_control->sample_filters.
 *
 * A report counts only if every filter of its context lets it through: an
 * @allow filter lets through exactly the reports it is about, a filter
 * without @allow exactly those it is not about.  Filters act on access
 * reports only; with the page-table primitive they are kept but unused.
 */
struct damon_sample_filter {
	enum damon_sample_filter_type type;
	bool matching;
	bool allow;
	union {
		cpumask_t cpumask;
		struct {
			pid_t *tid_arr;
			int nr_tids;
		};
	};
	struct list_head list;
};

/**
 * struct damon_sample_control - How a context takes its access samples.
 * @primitives_enabled:	The source of the samples.
 * @sample_filters:	Filters on access reports (struct
 *			damon_sample_filter), in evaluation order.
 *
 * The remaining members are private to the DAMON core; the kdamond owns
 * them.
 *
 * @faults_on:		The kdamond counts in the fault-report mode (and
 *			holds a reference of the fault routing key).
 * @next_report:	Sequence number of the first report it has not read.
 * @nr_dropped:		Reports it lost because the report buffer was
 *			overwritten before it read them.
 * @keys:		Scratch space for the reports of one interval.
 * @nr_keys:		Capacity of @keys.
 */
struct damon_sample_control {
	struct damon_primitives_enabled primitives_enabled;
	struct list_head sample_filters;

	bool faults_on;
	u64 next_report;
	unsigned long nr_dropped;
	struct damon_report_key *keys;
	unsigned int nr_keys;
};

/**
 * struct damon_access_report - One access to memory, seen by some source.
 * @paddr:	Physical address accessed (page-aligned for a page fault).
 * @vaddr:	Virtual address accessed, in the address space of @tgid.
 * @size:	Bytes the report is about (%PAGE_SIZE for a page fault);
 *		DAMON counts the report for the region holding its start.
 * @cpu:	The CPU that made (or handled) the access.
 * @tid:	The accessing thread, init pid namespace (0 if unknown).
 * @is_write:	Whether the access was a write.
 *
 * The remaining member is private: damon_report_page_fault() sets it.
 *
 * @tgid:	The process of @tid (0 if unknown): reports count for a
 *		virtual-address target only if it is that process.
 */
struct damon_access_report {
	unsigned long paddr;
	unsigned long vaddr;
	unsigned long size;
	unsigned int cpu;
	pid_t tid;
	bool is_write;

	pid_t tgid;
};

/**
 * enum damos_action - What a DAMON-based operation scheme does to a region.
 *
 * @DAMOS_WILLNEED:	madvise(MADV_WILLNEED).
 * @DAMOS_COLD:		madvise(MADV_COLD).
 * @DAMOS_PAGEOUT:	Reclaim the region.
 * @DAMOS_HUGEPAGE:	madvise(MADV_HUGEPAGE).
 * @DAMOS_NOHUGEPAGE:	madvise(MADV_NOHUGEPAGE).
 * @DAMOS_COLLAPSE:	madvise(MADV_COLLAPSE).
 * @DAMOS_LRU_PRIO:	Move the region's folios to the head of their LRU.
 * @DAMOS_LRU_DEPRIO:	Move the region's folios to the tail of their LRU.
 * @DAMOS_MIGRATE_HOT:	Migrate the region, hottest folios first.
 * @DAMOS_MIGRATE_COLD:	Migrate the region, coldest folios first.
 * @DAMOS_STAT:		Do nothing but count the statistics.
 * @NR_DAMOS_ACTIONS:	Number of actions.
 *
 * The numeric values are ABI (read by debugging tools); never reorder.
 */
enum damos_action {
	DAMOS_WILLNEED = 0,
	DAMOS_COLD = 1,
	DAMOS_PAGEOUT = 2,
	DAMOS_HUGEPAGE = 3,
	DAMOS_NOHUGEPAGE = 4,
	DAMOS_COLLAPSE = 5,
	DAMOS_LRU_PRIO = 6,
	DAMOS_LRU_DEPRIO = 7,
	DAMOS_MIGRATE_HOT = 8,
	DAMOS_MIGRATE_COLD = 9,
	DAMOS_STAT = 10,
	NR_DAMOS_ACTIONS,
};

/**
 * enum damos_quota_goal_metric - What a quota auto-tuning goal measures.
 *
 * @DAMOS_QUOTA_USER_INPUT:		Value supplied by the user.
 * @DAMOS_QUOTA_SOME_MEM_PSI_US:	System-wide "some" memory PSI, in us.
 * @DAMOS_QUOTA_NODE_MEM_USED_BP:	Used memory ratio of a node, in bp.
 * @DAMOS_QUOTA_NODE_MEM_FREE_BP:	Free memory ratio of a node, in bp.
 * @DAMOS_QUOTA_NODE_MEMCG_USED_BP:	A cgroup's share of a node, in bp.
 * @DAMOS_QUOTA_NODE_MEMCG_FREE_BP:	Node memory not used by a cgroup, in bp.
 * @DAMOS_QUOTA_ACTIVE_MEM_BP:		Active LRU ratio, in bp.
 * @DAMOS_QUOTA_INACTIVE_MEM_BP:	Inactive LRU ratio, in bp.
 * @DAMOS_QUOTA_NODE_ELIGIBLE_MEM_BP:	Scheme-eligible memory of a node, in bp.
 * @NR_DAMOS_QUOTA_GOAL_METRICS:	Number of metrics.
 *
 * The numeric values are ABI (read by debugging tools); never reorder.
 */
enum damos_quota_goal_metric {
	DAMOS_QUOTA_USER_INPUT = 0,
	DAMOS_QUOTA_SOME_MEM_PSI_US = 1,
	DAMOS_QUOTA_NODE_MEM_USED_BP = 2,
	DAMOS_QUOTA_NODE_MEM_FREE_BP = 3,
	DAMOS_QUOTA_NODE_MEMCG_USED_BP = 4,
	DAMOS_QUOTA_NODE_MEMCG_FREE_BP = 5,
	DAMOS_QUOTA_ACTIVE_MEM_BP = 6,
	DAMOS_QUOTA_INACTIVE_MEM_BP = 7,
	DAMOS_QUOTA_NODE_ELIGIBLE_MEM_BP = 8,
	NR_DAMOS_QUOTA_GOAL_METRICS,
};

/**
 * enum damos_quota_goal_tuner - How the effective quota follows the goals.
 *
 * @DAMOS_QUOTA_GOAL_TUNER_CONSIST:	Consistent, feedback-driven tuning.
 * @DAMOS_QUOTA_GOAL_TUNER_TEMPORAL:	Temporal (burst-then-stop) tuning.
 *
 * The numeric values are ABI (read by debugging tools); never reorder.
 */
enum damos_quota_goal_tuner {
	DAMOS_QUOTA_GOAL_TUNER_CONSIST = 0,
	DAMOS_QUOTA_GOAL_TUNER_TEMPORAL = 1,
};

/**
 * struct damos_quota_goal - A goal for quota auto-tuning.
 * @metric:		What @current_value measures.
 * @target_value:	Value of @metric the tuning aims at.
 * @current_value:	Latest value of @metric; set by the user for
 *			%DAMOS_QUOTA_USER_INPUT, measured by DAMON otherwise.
 * @nid:		Node of the node-based metrics.
 * @memcg_id:		Cgroup of the memcg-based metrics.
 * @last_psi_total:	(private) Last PSI total seen, for the PSI metric.
 * @list:		Link in the quota's goals list.
 */
struct damos_quota_goal {
	struct list_head list;
	enum damos_quota_goal_metric metric;
	unsigned long target_value, current_value;
	union {
		u64 last_psi_total;
		struct {
			int nid;
			u64 memcg_id;
		};
	};
};

/**
 * struct damos_quota - Limits on how much a scheme may do per time window.
 * @reset_interval:	Charge window length, in milliseconds.
 * @ms:			Time quota per window, in milliseconds (0: none).
 * @sz:			Size quota per window, in bytes (0: none).
 * @goals:		(private) Quota auto-tuning goals
 *			(struct damos_quota_goal); use the quota-goal
 *			functions to manage them.
 * @goal_tuner:		How @esz follows @goals.
 * @esz:		Effective size quota in bytes, kernel-maintained from
 *			@ms, @sz and @goals.
 * @fail_charge_num:	Numerator of the fraction of the size of regions the
 *			action failed on that is charged to the quota.
 * @fail_charge_denom:	Denominator of that fraction (0: charge fully).
 * @weight_sz:		Weight of region size in prioritisation.
 * @weight_nr_accesses:	Weight of access frequency in prioritisation.
 * @weight_age:		Weight of region age in prioritisation.
 *
 * The remaining members are private to the DAMOS engine: throughput
 * accounting for the time quota (@total_charged_sz, @total_charged_ns), the
 * state of the current charge window (@charged_sz, @charged_from,
 * @charge_target_from, @charge_addr_from), the prioritisation cut-off
 * (@min_score) and the goal feedback state (@esz_bp).
 */
struct damos_quota {
	/* what the user sets */
	unsigned long sz, ms, reset_interval;
	unsigned int weight_sz, weight_nr_accesses, weight_age;
	unsigned int fail_charge_num, fail_charge_denom;
	enum damos_quota_goal_tuner goal_tuner;
	struct list_head goals;
	/* what DAMON derives from it */
	unsigned long esz;

/* private: */
	/* the current charge window: since when, how much, where it stopped */
	unsigned long charged_from;
	unsigned long charged_sz;
	struct damon_target *charge_target_from;
	unsigned long charge_addr_from;
	/* the cut-off score of the last round, and the goal feedback state */
	unsigned int min_score;
	unsigned long esz_bp;
	/* totals since the scheme was created */
	unsigned long total_charged_ns;
	unsigned long total_charged_sz;
};

/**
 * enum damos_wmark_metric - What the watermarks of a scheme compare.
 *
 * @DAMOS_WMARK_NONE:		Always active.
 * @DAMOS_WMARK_FREE_MEM_RATE:	Free memory ratio of the system, per thousand.
 * @NR_DAMOS_WMARK_METRICS:	Number of metrics.
 */
enum damos_wmark_metric {
	DAMOS_WMARK_NONE = 0,
	DAMOS_WMARK_FREE_MEM_RATE = 1,
	NR_DAMOS_WMARK_METRICS,
};

/**
 * struct damos_watermarks - When a scheme is active.
 * @metric:	What to measure.
 * @low:	Deactivate below this value.
 * @mid:	Activate between @low and this value.
 * @high:	Deactivate above this value.
 * @interval:	How often to check, in microseconds.
 * @activated:	(private) Whether the scheme is currently active.
 *
 * The thresholds are listed in the order they must hold: low <= mid <= high.
 */
struct damos_watermarks {
	enum damos_wmark_metric metric;
	unsigned long low, mid, high;
	unsigned long interval;
	bool activated;
};

/**
 * struct damos_stat - Cumulative statistics of a scheme.
 * @nr_tried:		Regions the action was tried on.
 * @nr_applied:		Regions the action was applied to.
 * @nr_snapshots:	Completed apply intervals (snapshots) of the scheme.
 * @qt_exceeds:		Times the quota was exceeded.
 * @sz_tried:		Bytes the action was tried on.
 * @sz_applied:		Bytes the action was applied to.
 * @sz_ops_filter_passed: Bytes that passed the operation-set layer filters.
 *
 * Counts of events first, then sizes (in address units).
 */
struct damos_stat {
	unsigned long nr_tried, nr_applied, nr_snapshots, qt_exceeds;
	unsigned long sz_tried, sz_applied, sz_ops_filter_passed;
};

/**
 * enum damos_filter_type - What a DAMOS filter tests.
 *
 * @DAMOS_FILTER_TYPE_ANON:		Anonymous pages.
 * @DAMOS_FILTER_TYPE_ACTIVE:		Pages on an active LRU list.
 * @DAMOS_FILTER_TYPE_MEMCG:		Pages of a given memory cgroup.
 * @DAMOS_FILTER_TYPE_YOUNG:		Recently accessed pages.
 * @DAMOS_FILTER_TYPE_HUGEPAGE_SIZE:	Pages of a folio in a size range.
 * @DAMOS_FILTER_TYPE_UNMAPPED:		Pages not mapped by any page table.
 * @DAMOS_FILTER_TYPE_ADDR:		An address range.
 * @DAMOS_FILTER_TYPE_TARGET:		A target (by index).
 * @DAMOS_FILTER_TYPE_PROBE_HITS_WSUM:	Regions whose weighted sum of probe
 *					hits (damon_probe_hits_wsum() of the
 *					moving sums) is in a closed range.
 * @NR_DAMOS_FILTER_TYPES:		Number of filter types.
 *
 * Types up to and including @DAMOS_FILTER_TYPE_UNMAPPED are evaluated by the
 * operation set (see damos_filter_for_ops()); the rest by the DAMON core.
 * The numeric values are ABI (read by debugging tools); never reorder.
 */
enum damos_filter_type {
	DAMOS_FILTER_TYPE_ANON = 0,
	DAMOS_FILTER_TYPE_ACTIVE = 1,
	DAMOS_FILTER_TYPE_MEMCG = 2,
	DAMOS_FILTER_TYPE_YOUNG = 3,
	DAMOS_FILTER_TYPE_HUGEPAGE_SIZE = 4,
	DAMOS_FILTER_TYPE_UNMAPPED = 5,
	DAMOS_FILTER_TYPE_ADDR = 6,
	DAMOS_FILTER_TYPE_TARGET = 7,
	DAMOS_FILTER_TYPE_PROBE_HITS_WSUM = 8,
	NR_DAMOS_FILTER_TYPES,
};

/**
 * struct damos_filter - Decides which memory a scheme's action applies to.
 * @type:	What the filter tests.
 * @matching:	Whether the filter is about memory that matches @type (true)
 *		or that does not (false).
 * @allow:	Whether memory the filter is about is allowed (true) or
 *		rejected (false).
 * @memcg_id:	Cgroup id, for %DAMOS_FILTER_TYPE_MEMCG.
 * @addr_range:	Address range, for %DAMOS_FILTER_TYPE_ADDR.
 * @target_idx:	Target index, for %DAMOS_FILTER_TYPE_TARGET.
 * @sz_range:	Folio size range, for %DAMOS_FILTER_TYPE_HUGEPAGE_SIZE.
 * @range_min:	Lowest matching weighted sum, for
 *		%DAMOS_FILTER_TYPE_PROBE_HITS_WSUM.
 * @range_max:	Highest matching weighted sum, for
 *		%DAMOS_FILTER_TYPE_PROBE_HITS_WSUM.
 * @list:	Link in the scheme's core or ops filter list.
 */
struct damos_filter {
	enum damos_filter_type type;
	bool matching;
	bool allow;
	union {
		u64 memcg_id;
		struct damon_addr_range addr_range;
		int target_idx;
		struct damon_size_range sz_range;
		struct {
			unsigned long range_min;
			unsigned long range_max;
		};
	};
	struct list_head list;
};

/**
 * struct damos_access_pattern - Which regions a scheme acts on.
 * @min_sz_region:	Smallest region size that matches, bytes.
 * @max_sz_region:	Largest region size that matches, bytes.
 * @min_nr_accesses:	Lowest access count of the last aggregation interval
 *			that matches, in samples.
 * @max_nr_accesses:	Highest such count that matches.
 * @min_age_region:	Youngest age that matches, in aggregation intervals.
 * @max_age_region:	Oldest age that matches.
 *
 * A region matches when each of its three measures lies within its closed
 * range (see damos_pattern_match()).
 */
struct damos_access_pattern {
	/* sizes: unsigned long, as addresses are */
	unsigned long min_sz_region, max_sz_region;
	/* counts of samples and of aggregation intervals */
	unsigned int min_nr_accesses, max_nr_accesses;
	unsigned int min_age_region, max_age_region;
};

/**
 * struct damos_migrate_dests - Weighted migration destination nodes.
 * @node_id_arr:	Destination node ids (kmalloc'ed; owned by the scheme).
 * @weight_arr:		Weight of each node (kmalloc'ed; owned by the scheme).
 * @nr_dests:		Number of entries in both arrays.
 */
struct damos_migrate_dests {
	unsigned int *node_id_arr;
	unsigned int *weight_arr;
	size_t nr_dests;
};

/**
 * struct damos - A DAMON-based operation scheme.
 * @pattern:		Access pattern of the regions to act on.
 * @action:		What to do to them.
 * @apply_interval_us:	How often to apply @action, in microseconds (0: every
 *			aggregation interval).
 * @quota:		Limits on how much to do.
 * @wmarks:		When to be active.
 * @target_nid:		Destination node of the migrate actions
 *			(%NUMA_NO_NODE if unset).
 * @migrate_dests:	Weighted destinations; overrides @target_nid when
 *			@migrate_dests.nr_dests is non-zero.
 * @stat:		Statistics.
 * @max_nr_snapshots:	Deactivate once @stat.nr_snapshots reaches this
 *			(0: never).
 * @core_filters:	Filters evaluated by the core (struct damos_filter).
 * @ops_filters:	Filters evaluated by the operation set.
 * @next_apply_sis:	(private) Sampling-interval count of the next apply.
 * @walk_completed:	(private) One damos_walk() round done for this scheme.
 * @core_filters_default_reject: (private) Reject memory no core filter
 *			decided on.
 * @ops_filters_default_reject: (private) Reject memory no ops filter decided
 *			on.
 * @last_applied:	(private) Last region the action was applied to, for
 *			operation sets that must not apply twice.
 * @list:		(private) Link in &damon_ctx->schemes.
 *
 * For each region of each target that matches @pattern, passes the filters,
 * and fits in @quota while @wmarks say the scheme is active, the DAMOS engine
 * applies @action every @apply_interval_us.
 */
struct damos {
	struct damos_access_pattern pattern;
	enum damos_action action;
	unsigned long apply_interval_us;
	struct damos_quota quota;
	struct damos_watermarks wmarks;
	int target_nid;
	struct damos_migrate_dests migrate_dests;
	struct damos_stat stat;
	unsigned long max_nr_snapshots;
	struct list_head core_filters;
	struct list_head ops_filters;

	unsigned long next_apply_sis;
	bool walk_completed;
	bool core_filters_default_reject;
	bool ops_filters_default_reject;
	void *last_applied;
	struct list_head list;
};

/**
 * enum damon_ops_id - Identifier of an operation set.
 *
 * @DAMON_OPS_VADDR:	Virtual address spaces of processes.
 * @DAMON_OPS_FVADDR:	Fixed virtual address ranges of processes.
 * @DAMON_OPS_PADDR:	The physical address space.
 * @NR_DAMON_OPS:	Number of operation sets; also "none".
 */
enum damon_ops_id {
	DAMON_OPS_VADDR = 0,
	DAMON_OPS_FVADDR = 1,
	DAMON_OPS_PADDR = 2,
	NR_DAMON_OPS,
};

/**
 * struct damon_operations - Monitoring operations for an address space.
 * @id:			Identifier of this operation set.
 * @init:		Set up ops-private state and, if a target has no
 *			regions, initial regions.  Called once when the
 *			kdamond starts.
 * @update:		Refresh ops state and target regions.  Called every
 *			&damon_attrs->ops_update_interval.
 * @target_valid:	Return false if the target can no longer be
 *			monitored (e.g. its process exited).
 * @cleanup_target:	Release per-target ops resources (e.g. put_pid())
 *			before the target is freed.
 * @prepare_access_checks: Pick &damon_region->sampling_addr of every region
 *			and clear its accessed state.  Called at the start of
 *			each sampling interval.
 * @check_accesses:	Test the accessed state of every region's sampling
 *			address, update the counters with
 *			damon_update_region_access_rate(), and return the
 *			highest &damon_region->nr_accesses seen.  If the
 *			context has probes (damon_nr_probes()), also count
 *			the probe hits of each sample with damon_probes_hit().
 * @prep_probes:	Attributes-only mode's @prepare_access_checks: pick
 *			&damon_region->sampling_addr of every region and run
 *			the probes' preparation steps on it.
 * @apply_probes:	Attributes-only mode's @check_accesses: count the probe
 *			hits of every region's sample with damon_probes_hit(),
 *			leaving the access counters alone.
 * @prepare_access_faults: The fault-report mode's @prepare_access_checks:
 *			pick &damon_region->sampling_addr of every region and
 *			make its page inaccessible, so that the next access
 *			faults and is reported (damon_report_page_fault()).
 *			Without it, the mode counts only reports of pages
 *			armed by other contexts.
 * @get_scheme_score:	Return the priority (0..%DAMOS_MAX_SCORE) of a region
 *			for a scheme, honouring &damos_quota->weight_sz etc.
 * @apply_scheme:	Apply a scheme's action to a region, evaluating the
 *			ops-layer filters; return the bytes the action was
 *			applied to and store the bytes that passed the ops
 *			filters in @sz_filter_passed.
 *
 * The callbacks are grouped by what they serve: the targets' life, the
 * sampling, and DAMOS.  All callbacks are optional, run in the kdamond
 * (process context, may sleep) and may take mmap_lock, rmap and folio
 * locks.  An operation set without the probe callbacks leaves probes inert:
 * their counters stay 0.  Register an
 * operation set with damon_register_ops() and pick one for a context with
 * damon_select_ops().
 */
struct damon_operations {
	enum damon_ops_id id;

	/* the targets */
	void (*init)(struct damon_ctx *context);
	void (*update)(struct damon_ctx *context);
	bool (*target_valid)(struct damon_target *t);
	void (*cleanup_target)(struct damon_target *t);

	/* one sampling interval */
	void (*prepare_access_checks)(struct damon_ctx *context);
	unsigned int (*check_accesses)(struct damon_ctx *context);
	void (*prep_probes)(struct damon_ctx *context);
	void (*apply_probes)(struct damon_ctx *context);
	void (*prepare_access_faults)(struct damon_ctx *context);

	/* DAMOS */
	int (*get_scheme_score)(struct damon_ctx *context,
				struct damon_region *r, struct damos *scheme);
	unsigned long (*apply_scheme)(struct damon_ctx *context,
				      struct damon_target *t,
				      struct damon_region *r,
				      struct damos *scheme,
				      unsigned long *sz_filter_passed);
};

/**
 * struct damon_call_control - A request to run a function in a kdamond.
 * @fn:			Function to run; its return value goes to
 *			@return_code.
 * @data:		Argument of @fn.
 * @repeat:		Run @fn in every kdamond main-loop iteration until the
 *			kdamond stops, instead of once.
 * @return_code:	Return value of the last @fn call.
 * @dealloc_on_cancel:	For a @repeat request, kfree() this control when the
 *			kdamond stops.
 * @completion:		(private) Signalled when a one-shot request is done.
 * @canceled:		(private) The kdamond stopped before handling it.
 * @list:		(private) Link in &damon_ctx->call_controls.
 *
 * See damon_call().
 */
struct damon_call_control {
	int (*fn)(void *data);
	void *data;
	bool repeat;
	int return_code;
	bool dealloc_on_cancel;

	struct completion completion;
	bool canceled;
	struct list_head list;
};

/**
 * struct damos_walk_control - A request to see what schemes act on.
 * @walk_fn:	Called for each region a scheme is about to apply its action
 *		to, with the bytes of the region that passed the ops filters.
 * @data:	First argument of @walk_fn.
 * @completion:	(private) Signalled when the walk is done or cancelled.
 * @canceled:	(private) The kdamond stopped before the walk was done.
 *
 * See damos_walk().
 */
struct damos_walk_control {
	void (*walk_fn)(void *data, struct damon_ctx *ctx,
			struct damon_target *t, struct damon_region *r,
			struct damos *s, unsigned long sz_filter_passed);
	void *data;

	struct completion completion;
	bool canceled;
};

/**
 * struct damon_intervals_goal - Goal of monitoring intervals auto-tuning.
 * @access_bp:		Wanted ratio of observed access events to the maximum
 *			possible ones, in basis points.
 * @aggrs:		Tune every this many aggregation intervals (0: never).
 * @min_sample_us:	Lower bound of the sampling interval, microseconds.
 * @max_sample_us:	Upper bound of the sampling interval, microseconds.
 *
 * The sampling and aggregation intervals are scaled together, keeping their
 * ratio, so that the observed access events approach @access_bp.
 */
struct damon_intervals_goal {
	unsigned long access_bp;
	unsigned long aggrs;
	unsigned long min_sample_us;
	unsigned long max_sample_us;
};

/**
 * struct damon_attrs - Monitoring attributes of a context.
 * @sample_interval:	Sampling interval, microseconds.
 * @aggr_interval:	Aggregation interval, microseconds.
 * @ops_update_interval: Interval of &damon_operations->update, microseconds.
 * @intervals_goal:	Goal of intervals auto-tuning.
 * @min_nr_regions:	Minimum number of regions per context (>= 3).
 * @max_nr_regions:	Maximum number of regions per context.
 * @aggr_samples:	(private) @aggr_interval / @sample_interval, kept
 *			across intervals auto-tuning.
 *
 * Change with damon_set_attrs() or damon_commit_ctx().
 */
struct damon_attrs {
	unsigned long sample_interval;
	unsigned long aggr_interval;
	unsigned long ops_update_interval;
	struct damon_intervals_goal intervals_goal;
	unsigned long min_nr_regions;
	unsigned long max_nr_regions;

	unsigned long aggr_samples;
};

/**
 * struct damon_ctx - A monitoring context.
 * @attrs:		Monitoring attributes.
 * @addr_unit:		Bytes per DAMON address unit (for physical address
 *			spaces larger than unsigned long); default 1.
 * @min_region_sz:	Minimum region size and alignment, in address units;
 *			default %DAMON_MIN_REGION_SZ.
 * @pause:		While true, the kdamond keeps running (serving
 *			damon_call() and damos_walk()) but does not monitor.
 *
 * The remaining members are private to the DAMON core.
 *
 * @passed_sample_intervals: Sampling intervals since the kdamond started.
 * @next_aggregation_sis: @passed_sample_intervals of the next aggregation.
 * @next_ops_update_sis: @passed_sample_intervals of the next ops update.
 * @next_intervals_tune_sis: @passed_sample_intervals of the next intervals
 *			auto-tuning.
 * @kdamond:		The monitoring thread, or NULL when not running.
 *			Protected by @kdamond_lock.
 * @kdamond_lock:	Protects @kdamond.
 * @kdamond_started:	Completed by the kdamond once it has started.
 * @call_controls:	Pending damon_call() requests; protected by
 *			@call_controls_lock.
 * @call_controls_lock:	Protects @call_controls.
 * @walk_control:	The pending damos_walk() request, if any; protected
 *			by @walk_control_lock.
 * @walk_control_lock:	Protects @walk_control.
 * @walk_active:	The damos_walk() request the kdamond is serving; only
 *			the kdamond touches it.
 * @requests_pending:	Set by damon_call() and damos_walk() when they queue
 *			a request, cleared by the kdamond before serving them;
 *			lets an idle kdamond wake up early.
 * @maybe_corrupted:	An update failed midway; the kdamond stops.
 * @ops:		The operation set in use.
 * @sample_control:	Where access samples come from, and the filters of
 *			access reports.
 * @adaptive_targets:	Targets (struct damon_target).
 * @probes:		Data-attribute probes (struct damon_probe), at most
 *			%DAMON_MAX_PROBES.
 * @nr_probes:		Number of @probes; see damon_nr_probes().
 * @probes_attrs_only:	A probe has a weight: the attributes-only mode.
 * @probes_set_pgidle:	A probe has a %DAMON_PREP_SET_PGIDLE step.
 * @probes_pgidle:	A probe filter tests whether the page was accessed.
 * @schemes:		Schemes (struct damos).
 * @regions_score_histogram: Scratch space of the DAMOS quota engine.
 * @nr_accesses_sum:	Scratch: access events of the last aggregation, for
 *			intervals auto-tuning.
 * @max_nr_samples_sum:	Scratch: possible access events of the last
 *			aggregations, for intervals auto-tuning.
 */
struct damon_ctx {
	struct damon_attrs attrs;
	unsigned long addr_unit;
	unsigned long min_region_sz;
	bool pause;

	unsigned long passed_sample_intervals;
	unsigned long next_aggregation_sis;
	unsigned long next_ops_update_sis;
	unsigned long next_intervals_tune_sis;

	struct task_struct *kdamond;
	struct mutex kdamond_lock;	/* protects @kdamond */
	struct completion kdamond_started;

	struct list_head call_controls;
	struct mutex call_controls_lock;	/* protects @call_controls */

	struct damos_walk_control *walk_control;
	struct mutex walk_control_lock;	/* protects @walk_control */
	struct damos_walk_control *walk_active;
	bool requests_pending;

	bool maybe_corrupted;

	struct damon_operations ops;
	struct damon_sample_control sample_control;
	struct list_head adaptive_targets;
	struct list_head probes;
	unsigned int nr_probes;
	bool probes_attrs_only;
	bool probes_set_pgidle;
	bool probes_pgidle;
	struct list_head schemes;

	unsigned long regions_score_histogram[DAMOS_MAX_SCORE + 1];
	unsigned long long nr_accesses_sum;
	unsigned long long max_nr_samples_sum;
};

/* ===== Iteration ===== */

/**
 * damon_first_region() - The region of a target with the lowest addresses.
 * @t:		The target; it must have at least one region.
 *
 * Context: Caller owns @t (kdamond, or the context is not running).
 * Return: The first region of @t's address-ordered list.
 */
static inline struct damon_region *damon_first_region(struct damon_target *t)
{
	return list_first_entry(&t->regions_list, struct damon_region, list);
}

/**
 * damon_last_region() - The region of a target with the highest addresses.
 * @t:		The target; it must have at least one region.
 *
 * Context: Caller owns @t (kdamond, or the context is not running).
 * Return: The last region of @t's address-ordered list.
 */
static inline struct damon_region *damon_last_region(struct damon_target *t)
{
	return list_last_entry(&t->regions_list, struct damon_region, list);
}

/**
 * damon_next_region() - The region that follows a region of its target.
 * @r:		The region; it must not be the last one of its target.
 *
 * Context: Caller owns the target of @r.
 * Return: The neighbour of @r at higher addresses.
 */
static inline struct damon_region *damon_next_region(struct damon_region *r)
{
	return list_next_entry(r, list);
}

/**
 * damon_prev_region() - The region that precedes a region of its target.
 * @r:		The region; it must not be the first one of its target.
 *
 * Context: Caller owns the target of @r.
 * Return: The neighbour of @r at lower addresses.
 */
static inline struct damon_region *damon_prev_region(struct damon_region *r)
{
	return list_prev_entry(r, list);
}

/**
 * damon_sz_region() - The size of a region.
 * @r:		The region.
 *
 * Return: @r's size in address units (bytes, unless the context's
 * &damon_ctx->addr_unit says otherwise).
 */
static inline unsigned long damon_sz_region(struct damon_region *r)
{
	return r->ar.end - r->ar.start;
}

/**
 * DOC: Walking the lists of a context
 *
 * A context's targets, a target's regions, a scheme's quota goals and its
 * core and ops filters are kept in lists, walked with these macros:
 * damon_for_each_target(), damon_for_each_region(),
 * damon_for_each_scheme(), damos_for_each_quota_goal(),
 * damos_for_each_core_filter(), damos_for_each_ops_filter(), and for the
 * probes damon_for_each_probe(), damon_for_each_filter() and
 * damon_for_each_prep(), for the access-report filters
 * damon_for_each_sample_filter(), each with
 * a ``_safe`` form that takes one more cursor and allows destroying the
 * entry at hand.  damon_for_each_region_from() continues a walk of a
 * target's regions from a given region on.  The caller must own the lists
 * (see "Context" in the functions below).
 */

/*
 * Every list of the API links its entries through their "list" member, so
 * each walk below is one of these two on a different head; the _safe forms
 * allow removing the entry at hand.
 */
#define __damon_walk(pos, head)		list_for_each_entry(pos, head, list)
#define __damon_walk_safe(pos, n, head)	list_for_each_entry_safe(pos, n, head, list)

#define damon_for_each_region(r, t)	__damon_walk(r, &(t)->regions_list)
#define damon_for_each_region_safe(r, next, t)	\
	__damon_walk_safe(r, next, &(t)->regions_list)
/* from @r itself on, to the end of @t's regions */
#define damon_for_each_region_from(r, t)	\
	list_for_each_entry_from(r, &(t)->regions_list, list)
#define damon_for_each_target(t, ctx)	__damon_walk(t, &(ctx)->adaptive_targets)
#define damon_for_each_target_safe(t, next, ctx)	\
	__damon_walk_safe(t, next, &(ctx)->adaptive_targets)
#define damon_for_each_scheme(s, ctx)	__damon_walk(s, &(ctx)->schemes)
#define damon_for_each_scheme_safe(s, next, ctx)	\
	__damon_walk_safe(s, next, &(ctx)->schemes)
#define damos_for_each_quota_goal(goal, quota)	\
	__damon_walk(goal, &(quota)->goals)
#define damos_for_each_quota_goal_safe(goal, next, quota)	\
	__damon_walk_safe(goal, next, &(quota)->goals)
#define damos_for_each_core_filter(f, scheme)	\
	__damon_walk(f, &(scheme)->core_filters)
#define damos_for_each_core_filter_safe(f, next, scheme)	\
	__damon_walk_safe(f, next, &(scheme)->core_filters)
#define damos_for_each_ops_filter(f, scheme)	\
	__damon_walk(f, &(scheme)->ops_filters)
#define damos_for_each_ops_filter_safe(f, next, scheme)	\
	__damon_walk_safe(f, next, &(scheme)->ops_filters)
#define damon_for_each_probe(p, ctx)	__damon_walk(p, &(ctx)->probes)
#define damon_for_each_probe_safe(p, next, ctx)	\
	__damon_walk_safe(p, next, &(ctx)->probes)
#define damon_for_each_filter(f, probe)	__damon_walk(f, &(probe)->filters)
#define damon_for_each_filter_safe(f, next, probe)	\
	__damon_walk_safe(f, next, &(probe)->filters)
#define damon_for_each_prep(p, probe)	__damon_walk(p, &(probe)->preps)
#define damon_for_each_prep_safe(p, next, probe)	\
	__damon_walk_safe(p, next, &(probe)->preps)
#define damon_for_each_sample_filter(f, ctrl)	\
	__damon_walk(f, &(ctrl)->sample_filters)
#define damon_for_each_sample_filter_safe(f, next, ctrl)	\
	__damon_walk_safe(f, next, &(ctrl)->sample_filters)

#ifdef CONFIG_DAMON

/* ===== Objects ===== */

struct damon_region *damon_new_region(unsigned long start, unsigned long end);

/**
 * damon_insert_region() - Link a region between two adjacent regions.
 * @r:		The region to insert.
 * @prev:	The region that will precede @r.
 * @next:	The region that will follow @r; must be the one after @prev
 *		(checked with CONFIG_DEBUG_VM).
 * @t:		The target the regions belong to.
 *
 * Context: Caller owns @t (kdamond, or the context is not running).
 */
static inline void damon_insert_region(struct damon_region *r,
				       struct damon_region *prev,
				       struct damon_region *next,
				       struct damon_target *t)
{
	VM_WARN_ON_ONCE(prev->list.next != &next->list);
	list_add(&r->list, &prev->list);
	t->nr_regions++;
}

void damon_add_region(struct damon_region *r, struct damon_target *t);
int damon_set_regions(struct damon_target *t, struct damon_addr_range *ranges,
		      unsigned int nr_ranges, unsigned long min_region_sz);
void damon_update_region_access_rate(struct damon_region *r, bool accessed,
				     struct damon_attrs *attrs);
void damon_destroy_region(struct damon_region *r, struct damon_target *t);

struct damos_filter *damos_new_filter(enum damos_filter_type type,
				      bool matching, bool allow);
void damos_add_filter(struct damos *s, struct damos_filter *f);
bool damos_filter_for_ops(enum damos_filter_type type);
void damos_destroy_filter(struct damos_filter *f);

struct damos_quota_goal *damos_new_quota_goal(enum damos_quota_goal_metric metric,
					      unsigned long target_value);
void damos_add_quota_goal(struct damos_quota *q, struct damos_quota_goal *g);
void damos_destroy_quota_goal(struct damos_quota_goal *goal);
int damos_commit_quota_goals(struct damos_quota *dst, struct damos_quota *src);

struct damos *
damon_new_scheme(struct damos_access_pattern *pattern,
		 enum damos_action action, unsigned long apply_interval_us,
		 struct damos_quota *quota, struct damos_watermarks *wmarks,
		 int target_nid);
void damon_add_scheme(struct damon_ctx *ctx, struct damos *s);
void damon_destroy_scheme(struct damos *s);
void damon_set_schemes(struct damon_ctx *ctx, struct damos **schemes,
		       ssize_t nr_schemes);

struct damon_target *damon_new_target(void);
void damon_add_target(struct damon_ctx *ctx, struct damon_target *t);
bool damon_targets_empty(struct damon_ctx *ctx);
void damon_free_target(struct damon_target *t);
void damon_destroy_target(struct damon_target *t, struct damon_ctx *ctx);
unsigned int damon_nr_regions(struct damon_target *t);

struct damon_ctx *damon_new_ctx(void);
void damon_destroy_ctx(struct damon_ctx *ctx);

/* data-attribute probes (probes.c) */
struct damon_probe *damon_new_probe(void);
void damon_add_probe(struct damon_ctx *ctx, struct damon_probe *p);
void damon_destroy_probe(struct damon_probe *p, struct damon_ctx *ctx);
struct damon_filter *damon_new_filter(enum damon_filter_type type,
				      bool matching, bool allow);
void damon_add_filter(struct damon_probe *p, struct damon_filter *f);
void damon_destroy_filter(struct damon_filter *f);
struct damon_prep *damon_new_prep(enum damon_prep_action action);
void damon_add_prep(struct damon_probe *p, struct damon_prep *prep);
void damon_destroy_prep(struct damon_prep *prep);
unsigned char damon_probe_hits_mvsum(int idx, struct damon_region *r,
				     struct damon_ctx *ctx);
unsigned int damon_probe_hits_wsum(struct damon_region *r, bool last, bool mv,
				   struct damon_ctx *ctx);
unsigned int damon_nr_accesses_mvsum(struct damon_region *r,
				     struct damon_ctx *ctx);

/**
 * damon_nr_probes() - Number of data-attribute probes of a context.
 * @ctx:	The context.
 *
 * Context: Caller owns @ctx.
 * Return: The length of &damon_ctx->probes.
 */
static inline unsigned int damon_nr_probes(const struct damon_ctx *ctx)
{
	return ctx->nr_probes;
}

/* access-sample control (sample.c) */
struct damon_sample_filter *
damon_new_sample_filter(enum damon_sample_filter_type type, bool matching,
			bool allow);
void damon_add_sample_filter(struct damon_sample_control *ctrl,
			     struct damon_sample_filter *f);
void damon_free_sample_filter(struct damon_sample_filter *f);
void damon_destroy_sample_filter(struct damon_sample_filter *f,
				 struct damon_sample_control *ctrl);

/* ===== Configuration ===== */

/* operation sets (ops-registry.c) */
int damon_register_ops(struct damon_operations *ops);
bool damon_is_registered_ops(enum damon_ops_id id);
int damon_select_ops(struct damon_ctx *ctx, enum damon_ops_id id);
/* attributes (attrs.c) and the online update (commit.c) */
int damon_set_attrs(struct damon_ctx *ctx, struct damon_attrs *attrs);
int damon_validate_attrs(struct damon_attrs *attrs);
int damon_commit_ctx(struct damon_ctx *dst, struct damon_ctx *src);

/**
 * damon_target_has_pid() - Tell whether a context's targets are processes.
 * @ctx:	The context.
 *
 * Context: Any context.
 * Return: true if @ctx uses a virtual address space operation set.
 */
static inline bool damon_target_has_pid(const struct damon_ctx *ctx)
{
	return ctx->ops.id == DAMON_OPS_VADDR || ctx->ops.id == DAMON_OPS_FVADDR;
}

/**
 * damon_nr_samples_per_aggr() - Sampling intervals per aggregation interval.
 * @attrs:	The monitoring attributes.
 *
 * Context: Any context.
 * Return: @attrs->aggr_interval / @attrs->sample_interval, at least 1.
 */
static inline unsigned int
damon_nr_samples_per_aggr(const struct damon_attrs *attrs)
{
	if (!attrs->sample_interval)
		return 1;
	return max(attrs->aggr_interval / attrs->sample_interval, 1UL);
}

/**
 * damon_max_nr_accesses() - Highest possible &damon_region->nr_accesses.
 * @attrs:	The monitoring attributes.
 *
 * Context: Any context.
 * Return: The number of samples per aggregation interval, at least 1.
 */
static inline unsigned int
damon_max_nr_accesses(const struct damon_attrs *attrs)
{
	return damon_nr_samples_per_aggr(attrs);
}

/* ===== Execution control ===== */

bool damon_initialized(void);
int damon_start(struct damon_ctx **ctxs, int nr_ctxs, bool exclusive);
int damon_stop(struct damon_ctx **ctxs, int nr_ctxs);
bool damon_is_running(struct damon_ctx *ctx);
int damon_kdamond_pid(struct damon_ctx *ctx);
int damon_nr_running_ctxs(void);
int damon_call(struct damon_ctx *ctx, struct damon_call_control *control);
int damos_walk(struct damon_ctx *ctx, struct damos_walk_control *control);

int damon_set_region_biggest_system_ram_default(struct damon_target *t,
						unsigned long *start,
						unsigned long *end,
						unsigned long addr_unit,
						unsigned long min_region_sz);

#ifdef CONFIG_DAMON_PADDR
int damon_set_region_system_rams_default(struct damon_target *t,
					 unsigned long *start, unsigned long *end,
					 unsigned long addr_unit,
					 unsigned long min_region_sz);
#else
static inline int
damon_set_region_system_rams_default(struct damon_target *t,
				     unsigned long *start, unsigned long *end,
				     unsigned long addr_unit,
				     unsigned long min_region_sz)
{
	return -EINVAL;
}
#endif

/* ===== Access reports (sample.c), from any context but NMI ===== */

void damon_report_access(struct damon_access_report *report);
#ifdef CONFIG_MMU
void damon_report_page_fault(struct vm_fault *vmf, bool huge_pmd);
#endif

/*
 * Whether a NUMA-hinting-style (protnone) fault is DAMON's: some context
 * armed pages for access reports, and NUMA balancing, which would otherwise
 * own such faults, is off.  For mm/memory.c and mm/huge_memory.c.
 */
bool damon_wants_page_fault(void);

#else /* CONFIG_DAMON */

static inline bool damon_initialized(void)
{
	return false;
}

static inline void damon_report_access(struct damon_access_report *report)
{
}

static inline void damon_report_page_fault(struct vm_fault *vmf,
					   bool huge_pmd)
{
}

static inline bool damon_wants_page_fault(void)
{
	return false;
}

#endif /* CONFIG_DAMON */

#endif /* _LINUX_DAMON_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of DAMON, the data access monitor.
 *
 * The printed formats are parsed by position by user space tools (damo,
 * perf scripts); field order, separators and spacing are ABI.  Instantiated
 * once, in mm/damon/trace.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM damon

#if !defined(_TRACE_DAMON_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DAMON_H

#include <linux/damon.h>
#include <linux/tracepoint.h>
#include <linux/types.h>

#ifndef DAMON_TP_ASSIGN_REGION
/* the region part of damon_aggregated and damos_before_apply */
#define DAMON_TP_ASSIGN_REGION(r, accesses)				\
	do {								\
		const struct damon_region *__r = (r);			\
									\
		__entry->start = __r->ar.start;				\
		__entry->end = __r->ar.end;				\
		__entry->nr_accesses = (accesses);			\
		__entry->age = __r->age;				\
	} while (0)
/* one &struct damos_stat counter of damos_stat_after_apply_interval */
#define DAMOS_TP_STAT(field)	(__entry->field = stat->field)
#endif

/**
 * damon_aggregated - a region's access counters at an aggregation boundary
 * @target_id:	index of the region's target in its context
 * @nr_regions:	number of regions of that target
 * @r:		the region
 *
 * Fired for every region of every target at the end of each aggregation
 * interval, before the counters are reset.  The regions of one target are
 * fired consecutively, in address order.
 */
TRACE_EVENT(damon_aggregated,
	TP_PROTO(unsigned long target_id, unsigned int nr_regions,
		 struct damon_region *r),
	TP_ARGS(target_id, nr_regions, r),
	TP_STRUCT__entry(
		__field(unsigned long, target_id) __field(unsigned int, nr_regions)
		__field(unsigned long, start) __field(unsigned long, end)
		__field(unsigned int, nr_accesses) __field(unsigned int, age)
	),
	TP_fast_assign(
		__entry->target_id = target_id;
		__entry->nr_regions = nr_regions;
		DAMON_TP_ASSIGN_REGION(r, r->nr_accesses);
	),
	TP_printk("target_id=%lu nr_regions=%u %lu-%lu: %u %u",
		  __entry->target_id, __entry->nr_regions, __entry->start,
		  __entry->end, __entry->nr_accesses, __entry->age)
);

/**
 * damon_region_aggregated - a region's probe hits at an aggregation boundary
 * @target_id:	index of the region's target in its context
 * @nr_regions:	number of regions of that target
 * @r:		the region
 * @nr_probes:	number of probes of the context (at most %DAMON_MAX_PROBES)
 *
 * Fired right after damon_aggregated for the same region, and only when the
 * context has probes.  @nr_probes slots of &damon_region->probe_hits are
 * recorded, printed as two-digit hex bytes separated by spaces.
 */
TRACE_EVENT(damon_region_aggregated,
	TP_PROTO(unsigned long target_id, unsigned int nr_regions,
		 struct damon_region *r, unsigned int nr_probes),
	TP_ARGS(target_id, nr_regions, r, nr_probes),

	/* field order is the order of the format file, which is ABI */
	TP_STRUCT__entry(
		__field(unsigned long, target_id)
		__field(unsigned long, start) __field(unsigned long, end)
		__field(unsigned int, nr_regions)
		__field(unsigned int, nr_accesses) __field(unsigned int, age)
		__dynamic_array(unsigned char, probe_hits, nr_probes)
	),
	TP_fast_assign(
		__entry->target_id = target_id;
		__entry->nr_regions = nr_regions;
		DAMON_TP_ASSIGN_REGION(r, r->nr_accesses);
		if (damon_region_has_probes(r))
			memcpy(__get_dynamic_array(probe_hits), r->probe_hits,
			       nr_probes);
		else
			memset(__get_dynamic_array(probe_hits), 0, nr_probes);
	),
	TP_printk("target_id=%lu nr_regions=%u %lu-%lu: %u %u probe_hits=%s",
		  __entry->target_id, __entry->nr_regions, __entry->start,
		  __entry->end, __entry->nr_accesses, __entry->age,
		  __print_hex(__get_dynamic_array(probe_hits),
			      __get_dynamic_array_len(probe_hits)))
);

/**
 * damos_before_apply - a scheme is about to apply its action to a region
 * @t:		the target the region belongs to
 * @r:		the region
 * @nr_accesses: the region's moving-sum access estimate
 * @scheme_idx:	index of the scheme in its context
 * @target_idx:	index of @t in its context
 *
 * A kdamond runs one context, so the recorded context index is always 0.
 * The access frequency recorded is the moving-sum estimate
 * (@nr_accesses, from damon_nr_accesses_mvsum()): the event fires in the
 * middle of an aggregation interval, where the plain counter is still
 * partial.
 */
TRACE_EVENT(damos_before_apply,
	TP_PROTO(const struct damon_target *t, const struct damon_region *r,
		 unsigned int nr_accesses, unsigned int scheme_idx,
		 unsigned long target_idx),
	TP_ARGS(t, r, nr_accesses, scheme_idx, target_idx),

	/* field order is the order of the format file, which is ABI */
	TP_STRUCT__entry(
		__field(unsigned int, context_idx) __field(unsigned int, scheme_idx)
		__field(unsigned long, target_idx)
		__field(unsigned long, start) __field(unsigned long, end)
		__field(unsigned int, nr_accesses) __field(unsigned int, age)
		__field(unsigned int, nr_regions)
	),
	TP_fast_assign(
		__entry->context_idx = 0;
		__entry->scheme_idx = scheme_idx;
		__entry->target_idx = target_idx;
		__entry->nr_regions = t->nr_regions;
		DAMON_TP_ASSIGN_REGION(r, nr_accesses);
	),
	TP_printk("ctx_idx=%u scheme_idx=%u target_idx=%lu nr_regions=%u %lu-%lu: %u %u",
		  __entry->context_idx, __entry->scheme_idx, __entry->target_idx,
		  __entry->nr_regions, __entry->start, __entry->end,
		  __entry->nr_accesses, __entry->age)
);

/**
 * damon_monitor_intervals_tune - intervals auto-tuning picked new intervals
 * @sample_us:	the new sampling interval, in microseconds
 */
TRACE_EVENT(damon_monitor_intervals_tune,
	TP_PROTO(unsigned long sample_us),
	TP_ARGS(sample_us),
	TP_STRUCT__entry(__field(unsigned long, sample_us)),
	TP_fast_assign(__entry->sample_us = sample_us;),
	TP_printk("sample_us=%lu", __entry->sample_us)
);

/**
 * damos_esz - a scheme's effective size quota was recomputed
 * @context_idx:	index of the context among its kdamond's contexts
 * @scheme_idx:		index of the scheme in the context
 * @esz:		the new effective size quota, in bytes
 */
TRACE_EVENT(damos_esz,
	TP_PROTO(unsigned int context_idx, unsigned int scheme_idx,
		 unsigned long esz),
	TP_ARGS(context_idx, scheme_idx, esz),
	TP_STRUCT__entry(
		__field(unsigned int, context_idx) __field(unsigned int, scheme_idx)
		__field(unsigned long, esz)
	),
	TP_fast_assign(
		__entry->context_idx = context_idx;
		__entry->scheme_idx = scheme_idx;
		__entry->esz = esz;
	),
	TP_printk("ctx_idx=%u scheme_idx=%u esz=%lu",
		  __entry->context_idx, __entry->scheme_idx, __entry->esz)
);

/**
 * damos_stat_after_apply_interval - a scheme finished an apply interval
 * @context_idx:	index of the context among its kdamond's contexts
 * @scheme_idx:		index of the scheme in the context
 * @stat:		the scheme's cumulative statistics
 */
TRACE_EVENT(damos_stat_after_apply_interval,
	TP_PROTO(unsigned int context_idx, unsigned int scheme_idx,
		 struct damos_stat *stat),
	TP_ARGS(context_idx, scheme_idx, stat),
	TP_STRUCT__entry(
		__field(unsigned int, context_idx) __field(unsigned int, scheme_idx)
		__field(unsigned long, nr_tried) __field(unsigned long, sz_tried)
		__field(unsigned long, nr_applied) __field(unsigned long, sz_applied)
		__field(unsigned long, sz_ops_filter_passed)
		__field(unsigned long, qt_exceeds) __field(unsigned long, nr_snapshots)
	),
	TP_fast_assign(
		__entry->context_idx = context_idx;
		__entry->scheme_idx = scheme_idx;
		/* each counter is recorded under its own name */
		DAMOS_TP_STAT(nr_tried);
		DAMOS_TP_STAT(sz_tried);
		DAMOS_TP_STAT(nr_applied);
		DAMOS_TP_STAT(sz_applied);
		DAMOS_TP_STAT(sz_ops_filter_passed);
		DAMOS_TP_STAT(qt_exceeds);
		DAMOS_TP_STAT(nr_snapshots);
	),
	TP_printk("ctx_idx=%u scheme_idx=%u nr_tried=%lu sz_tried=%lu nr_applied=%lu sz_applied=%lu sz_ops_filter_passed=%lu qt_exceeds=%lu nr_snapshots=%lu",
		  __entry->context_idx, __entry->scheme_idx,
		  __entry->nr_tried, __entry->sz_tried,
		  __entry->nr_applied, __entry->sz_applied,
		  __entry->sz_ops_filter_passed, __entry->qt_exceeds,
		  __entry->nr_snapshots)
);

#endif /* _TRACE_DAMON_H */

/* This part must be outside protection */
#include <trace/define_trace.h>

// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON sysfs interface: schemes/ and everything below it (access patterns,
 * quotas and their goals, watermarks, filters, migration destinations,
 * statistics and tried regions), and turning them into struct damos.
 */

#include <linux/cgroup.h>
#include <linux/list.h>
#include <linux/memcontrol.h>
#include <linux/slab.h>

#include "sysfs-common.h"

#define TO(type, d)	container_of(d, type, dir)

/* ===== Data: directory structs ===== */

/* access_pattern/{sz,nr_accesses,age}/ */
struct damon_sysfs_range {
	struct damon_sysfs_dir dir;
	unsigned long min;
	unsigned long max;
};

/* schemes/<S>/access_pattern/ */
struct damon_sysfs_access_pattern {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *sz;
	struct damon_sysfs_dir *nr_accesses;
	struct damon_sysfs_dir *age;
};

/* quotas/weights/ */
struct damon_sysfs_weights {
	struct damon_sysfs_dir dir;
	unsigned int sz_permil;
	unsigned int nr_accesses_permil;
	unsigned int age_permil;
};

/* quotas/goals/<G>/ */
struct damon_sysfs_goal {
	struct damon_sysfs_dir dir;
	int target_metric;
	unsigned long target_value;
	unsigned long current_value;
	int nid;
	char *path;		/* protected by damon_sysfs_lock */
};

/* schemes/<S>/quotas/ */
struct damon_sysfs_quotas {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *weights;
	struct damon_sysfs_dir *goals;
	unsigned long ms;
	unsigned long bytes;
	unsigned long reset_interval_ms;
	unsigned long effective_bytes;
	int goal_tuner;
	unsigned int fail_charge_num;
	unsigned int fail_charge_denom;
};

/* schemes/<S>/watermarks/ */
struct damon_sysfs_watermarks {
	struct damon_sysfs_dir dir;
	int metric;
	unsigned long interval_us;
	unsigned long high;
	unsigned long mid;
	unsigned long low;
};

/* schemes/<S>/{filters,core_filters,ops_filters}/<F>/ */
struct damon_sysfs_filter {
	struct damon_sysfs_dir dir;
	int type;
	bool matching;
	bool allow;
	char *memcg_path;	/* protected by damon_sysfs_lock */
	unsigned long addr_start;
	unsigned long addr_end;
	unsigned long min;
	unsigned long max;
	int damon_target_idx;
};

/* schemes/<S>/dests/<D>/ */
struct damon_sysfs_dest {
	struct damon_sysfs_dir dir;
	unsigned int id;
	unsigned int weight;
};

/* schemes/<S>/stats/ */
struct damon_sysfs_stats {
	struct damon_sysfs_dir dir;
	unsigned long nr_tried;
	unsigned long sz_tried;
	unsigned long nr_applied;
	unsigned long sz_applied;
	unsigned long sz_ops_filter_passed;
	unsigned long qt_exceeds;
	unsigned long nr_snapshots;
	unsigned long max_nr_snapshots;
};

/* schemes/<S>/tried_regions/<N>/probes/<P>/ */
struct damon_sysfs_tried_probe {
	struct damon_sysfs_dir dir;
	unsigned int hits;	/* 0..255 */
};

/* schemes/<S>/tried_regions/<N>/ */
struct damon_sysfs_tried_region {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *probes;
	unsigned long start;
	unsigned long end;
	unsigned int nr_accesses;
	unsigned int age;
	unsigned long sz_filter_passed;
};

/* schemes/<S>/tried_regions/ */
struct damon_sysfs_tried_regions {
	struct damon_sysfs_dir dir;
	unsigned long total_bytes;
};

/* schemes/<S>/ */
struct damon_sysfs_scheme {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *access_pattern;
	struct damon_sysfs_dir *quotas;
	struct damon_sysfs_dir *watermarks;
	struct damon_sysfs_dir *filters;
	struct damon_sysfs_dir *core_filters;
	struct damon_sysfs_dir *ops_filters;
	struct damon_sysfs_dir *dests;
	struct damon_sysfs_dir *stats;
	struct damon_sysfs_dir *tried_regions;
	int action;
	int target_nid;
	unsigned long apply_interval_us;
};

/* ===== Keywords (index == kernel enum value) ===== */

static const char * const action_names[] = {
	[DAMOS_WILLNEED] = "willneed",
	[DAMOS_COLD] = "cold",
	[DAMOS_PAGEOUT] = "pageout",
	[DAMOS_HUGEPAGE] = "hugepage",
	[DAMOS_NOHUGEPAGE] = "nohugepage",
	[DAMOS_COLLAPSE] = "collapse",
	[DAMOS_LRU_PRIO] = "lru_prio",
	[DAMOS_LRU_DEPRIO] = "lru_deprio",
	[DAMOS_MIGRATE_HOT] = "migrate_hot",
	[DAMOS_MIGRATE_COLD] = "migrate_cold",
	[DAMOS_STAT] = "stat",
};

static_assert(ARRAY_SIZE(action_names) == NR_DAMOS_ACTIONS);

static const char * const metric_names[] = {
	[DAMOS_QUOTA_USER_INPUT] = "user_input",
	[DAMOS_QUOTA_SOME_MEM_PSI_US] = "some_mem_psi_us",
	[DAMOS_QUOTA_NODE_MEM_USED_BP] = "node_mem_used_bp",
	[DAMOS_QUOTA_NODE_MEM_FREE_BP] = "node_mem_free_bp",
	[DAMOS_QUOTA_NODE_MEMCG_USED_BP] = "node_memcg_used_bp",
	[DAMOS_QUOTA_NODE_MEMCG_FREE_BP] = "node_memcg_free_bp",
	[DAMOS_QUOTA_ACTIVE_MEM_BP] = "active_mem_bp",
	[DAMOS_QUOTA_INACTIVE_MEM_BP] = "inactive_mem_bp",
	[DAMOS_QUOTA_NODE_ELIGIBLE_MEM_BP] = "node_eligible_mem_bp",
};

static_assert(ARRAY_SIZE(metric_names) == NR_DAMOS_QUOTA_GOAL_METRICS);

static const char * const tuner_names[] = {
	[DAMOS_QUOTA_GOAL_TUNER_CONSIST] = "consist",
	[DAMOS_QUOTA_GOAL_TUNER_TEMPORAL] = "temporal",
};

/* the enum has no NR_ value (its values are what drgn users see) */
static_assert(ARRAY_SIZE(tuner_names) == DAMOS_QUOTA_GOAL_TUNER_TEMPORAL + 1);

static const char * const wmark_metric_names[] = {
	[DAMOS_WMARK_NONE] = "none",
	[DAMOS_WMARK_FREE_MEM_RATE] = "free_mem_rate",
};

static_assert(ARRAY_SIZE(wmark_metric_names) == NR_DAMOS_WMARK_METRICS);

static const char * const filter_type_names[] = {
	[DAMOS_FILTER_TYPE_ANON] = "anon",
	[DAMOS_FILTER_TYPE_ACTIVE] = "active",
	[DAMOS_FILTER_TYPE_MEMCG] = "memcg",
	[DAMOS_FILTER_TYPE_YOUNG] = "young",
	[DAMOS_FILTER_TYPE_HUGEPAGE_SIZE] = "hugepage_size",
	[DAMOS_FILTER_TYPE_UNMAPPED] = "unmapped",
	[DAMOS_FILTER_TYPE_ADDR] = "addr",
	[DAMOS_FILTER_TYPE_TARGET] = "target",
	[DAMOS_FILTER_TYPE_PROBE_HITS_WSUM] = "probe_hits_wsum",
};

static_assert(ARRAY_SIZE(filter_type_names) == NR_DAMOS_FILTER_TYPES);

/* ===== Directory types ===== */

static struct damon_sysfs_field range_files[] = {
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_range, min),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_range, max),
};

DAMON_SYSFS_DIR_TYPE(range_type, struct damon_sysfs_range, range_files);

static const struct damon_sysfs_subdir access_pattern_subdirs[] = {
	DAMON_SYSFS_SUBDIR("sz", range_type,
			   struct damon_sysfs_access_pattern, sz),
	DAMON_SYSFS_SUBDIR("nr_accesses", range_type,
			   struct damon_sysfs_access_pattern, nr_accesses),
	DAMON_SYSFS_SUBDIR("age", range_type,
			   struct damon_sysfs_access_pattern, age),
	{},
};

DAMON_SYSFS_BARE_DIR_TYPE(access_pattern_type,
			  struct damon_sysfs_access_pattern,
			  .subdirs = access_pattern_subdirs);

static struct damon_sysfs_field weights_files[] = {
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_weights, sz_permil),
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_weights, nr_accesses_permil),
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_weights, age_permil),
};

DAMON_SYSFS_DIR_TYPE(weights_type, struct damon_sysfs_weights, weights_files);

static struct damon_sysfs_field goal_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_goal, target_metric,
				 metric_names),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_goal, target_value),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_goal, current_value),
	DAMON_SYSFS_INT_FILE(struct damon_sysfs_goal, nid),
	DAMON_SYSFS_STRING_FILE(struct damon_sysfs_goal, path),
};

DAMON_SYSFS_DIR_TYPE(goal_type, struct damon_sysfs_goal, goal_files);

static struct damon_sysfs_field goals_files[] = {
	DAMON_SYSFS_NR_FILE(nr_goals),
};

DAMON_SYSFS_DIR_TYPE(goals_type, struct damon_sysfs_dir, goals_files,
		     .elem_type = &goal_type);

static struct damon_sysfs_field quotas_files[] = {
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_quotas, ms, .einval = true),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_quotas, bytes,
			       .einval = true),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_quotas, reset_interval_ms,
			       .einval = true),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_quotas, effective_bytes),
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_quotas, goal_tuner,
				 tuner_names),
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_quotas, fail_charge_num,
			      .einval = true),
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_quotas, fail_charge_denom,
			      .einval = true),
};

static const struct damon_sysfs_subdir quotas_subdirs[] = {
	DAMON_SYSFS_SUBDIR("weights", weights_type, struct damon_sysfs_quotas,
			   weights),
	DAMON_SYSFS_SUBDIR("goals", goals_type, struct damon_sysfs_quotas,
			   goals),
	{},
};

DAMON_SYSFS_DIR_TYPE(quotas_type, struct damon_sysfs_quotas, quotas_files,
		     .subdirs = quotas_subdirs);

static struct damon_sysfs_field wmarks_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_watermarks, metric,
				 wmark_metric_names),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_watermarks, interval_us),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_watermarks, high),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_watermarks, mid),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_watermarks, low),
};

DAMON_SYSFS_DIR_TYPE(wmarks_type, struct damon_sysfs_watermarks, wmarks_files);

static const struct damon_sysfs_dir_type core_filters_type;

static const struct damon_sysfs_dir_type ops_filters_type;

/* core_filters/ take only core-layer types, ops_filters/ only ops ones. */
static int filter_type_check(struct damon_sysfs_dir *dir, unsigned long val)
{
	const struct damon_sysfs_dir_type *layer =
		damon_sysfs_dir_type_of(dir->parent);
	bool for_ops = damos_filter_for_ops(val);

	if (layer == &core_filters_type && for_ops)
		return -EINVAL;
	if (layer == &ops_filters_type && !for_ops)
		return -EINVAL;
	return 0;
}

static struct damon_sysfs_field filter_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_filter, type,
				 filter_type_names, .check = filter_type_check),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_filter, matching),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_filter, allow),
	DAMON_SYSFS_STRING_FILE(struct damon_sysfs_filter, memcg_path),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_filter, addr_start),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_filter, addr_end),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_filter, min),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_filter, max),
	DAMON_SYSFS_INT_FILE(struct damon_sysfs_filter, damon_target_idx),
};

DAMON_SYSFS_DIR_TYPE(filter_type_dir, struct damon_sysfs_filter, filter_files);

static struct damon_sysfs_field filters_files[] = {
	DAMON_SYSFS_NR_FILE(nr_filters),
};

/* Three layouts-alike types, told apart by filter_type_check(). */
DAMON_SYSFS_DIR_TYPE(filters_type, struct damon_sysfs_dir, filters_files,
		     .elem_type = &filter_type_dir);
DAMON_SYSFS_DIR_TYPE(core_filters_type, struct damon_sysfs_dir, filters_files,
		     .elem_type = &filter_type_dir);

DAMON_SYSFS_DIR_TYPE(ops_filters_type, struct damon_sysfs_dir, filters_files,
		     .elem_type = &filter_type_dir);

static struct damon_sysfs_field dest_files[] = {
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_dest, id),
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_dest, weight),
};

DAMON_SYSFS_DIR_TYPE(dest_type, struct damon_sysfs_dest, dest_files);

static struct damon_sysfs_field dests_files[] = {
	DAMON_SYSFS_NR_FILE(nr_dests),
};

DAMON_SYSFS_DIR_TYPE(dests_type, struct damon_sysfs_dir, dests_files,
		     .elem_type = &dest_type);

static struct damon_sysfs_field stats_files[] = {
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats, nr_tried),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats, sz_tried),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats, nr_applied),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats, sz_applied),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats,
				  sz_ops_filter_passed),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats, qt_exceeds),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_stats, nr_snapshots),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_stats, max_nr_snapshots),
};

DAMON_SYSFS_DIR_TYPE(stats_type, struct damon_sysfs_stats, stats_files);

static struct damon_sysfs_field tried_probe_files[] = {
	DAMON_SYSFS_UINT_RO_FILE(struct damon_sysfs_tried_probe, hits),
};

DAMON_SYSFS_DIR_TYPE(tried_probe_type, struct damon_sysfs_tried_probe,
		     tried_probe_files);

/* Numbered, without nr_* file: one element per probe of the running ctx. */
DAMON_SYSFS_BARE_DIR_TYPE(tried_probes_type, struct damon_sysfs_dir,
			  .elem_type = &tried_probe_type);

static struct damon_sysfs_field tried_region_files[] = {
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_tried_region, start),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_tried_region, end),
	DAMON_SYSFS_UINT_RO_FILE(struct damon_sysfs_tried_region, nr_accesses),
	DAMON_SYSFS_UINT_RO_FILE(struct damon_sysfs_tried_region, age),
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_tried_region,
				  sz_filter_passed),
};

static const struct damon_sysfs_subdir tried_region_subdirs[] = {
	DAMON_SYSFS_SUBDIR("probes", tried_probes_type,
			   struct damon_sysfs_tried_region, probes),
	{},
};

DAMON_SYSFS_DIR_TYPE(tried_region_type, struct damon_sysfs_tried_region,
		     tried_region_files, .subdirs = tried_region_subdirs);

static struct damon_sysfs_field tried_regions_files[] = {
	DAMON_SYSFS_ULONG_RO_FILE(struct damon_sysfs_tried_regions,
				  total_bytes),
};

/* Numbered, but filled only by update_schemes_tried_regions. */
DAMON_SYSFS_DIR_TYPE(tried_regions_type, struct damon_sysfs_tried_regions,
		     tried_regions_files, .elem_type = &tried_region_type);

static struct damon_sysfs_field scheme_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_scheme, action,
				 action_names, .dflt = DAMOS_STAT),
	DAMON_SYSFS_INT_FILE(struct damon_sysfs_scheme, target_nid,
			     .dflt = (unsigned long)NUMA_NO_NODE),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_scheme, apply_interval_us),
};

#define SCHEME_SUBDIR(name, type)					\
	DAMON_SYSFS_SUBDIR(#name, type, struct damon_sysfs_scheme, name)
static const struct damon_sysfs_subdir scheme_subdirs[] = {
	SCHEME_SUBDIR(access_pattern, access_pattern_type),
	SCHEME_SUBDIR(quotas, quotas_type),
	SCHEME_SUBDIR(watermarks, wmarks_type),
	SCHEME_SUBDIR(filters, filters_type),
	SCHEME_SUBDIR(core_filters, core_filters_type),
	SCHEME_SUBDIR(ops_filters, ops_filters_type),
	SCHEME_SUBDIR(dests, dests_type),
	SCHEME_SUBDIR(stats, stats_type),
	SCHEME_SUBDIR(tried_regions, tried_regions_type),
	{},
};

#undef SCHEME_SUBDIR

DAMON_SYSFS_DIR_TYPE(scheme_type, struct damon_sysfs_scheme, scheme_files,
		     .subdirs = scheme_subdirs);

static struct damon_sysfs_field schemes_files[] = {
	DAMON_SYSFS_NR_FILE(nr_schemes),
};

const struct damon_sysfs_dir_type damon_sysfs_schemes_type = {
	.ktype = DAMON_SYSFS_KTYPE,
	.size = sizeof(struct damon_sysfs_dir),
	.files = schemes_files,
	.nr_files = ARRAY_SIZE(schemes_files),
	.elem_type = &scheme_type,
};

/* ===== Building schemes ===== */

/**
 * damon_sysfs_memcg_path_to_id() - Find a memory cgroup by path.
 * @path:	Path relative to the cgroup2 root, e.g. "/a/b"; one trailing
 *		newline is ignored.
 * @id:		Where to store the id (mem_cgroup_id()) of the cgroup.
 *
 * Context: Process context; may sleep.
 * Return: 0, -EINVAL if no online memory cgroup has @path, or -ENOMEM.
 */
int damon_sysfs_memcg_path_to_id(const char *path, u64 *id)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;
	char *buf;
	int err = -EINVAL;

	if (!path)
		return -EINVAL;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (memcg = mem_cgroup_iter(NULL, NULL, NULL); memcg;
	     memcg = mem_cgroup_iter(NULL, memcg, NULL)) {
		if (!mem_cgroup_online(memcg))
			continue;
		cgroup_path(memcg->css.cgroup, buf, PATH_MAX);
		if (sysfs_streq(buf, path)) {
			*id = mem_cgroup_id(memcg);
			mem_cgroup_iter_break(NULL, memcg);
			err = 0;
			break;
		}
	}
	kfree(buf);
	return err;
#else
	return -EINVAL;
#endif
}

static struct damon_sysfs_scheme *scheme_at(struct damon_sysfs_dir *schemes,
					    int i)
{
	return damon_sysfs_elem(schemes, i, struct damon_sysfs_scheme);
}

static void get_range(struct damon_sysfs_dir *dir, unsigned long *min,
		      unsigned long *max)
{
	struct damon_sysfs_range *r = TO(struct damon_sysfs_range, dir);

	*min = READ_ONCE(r->min);
	*max = READ_ONCE(r->max);
}

static void get_pattern(struct damon_sysfs_scheme *ss,
			struct damos_access_pattern *p)
{
	struct damon_sysfs_access_pattern *ap =
		TO(struct damon_sysfs_access_pattern, ss->access_pattern);
	unsigned long min, max;

	get_range(ap->sz, &p->min_sz_region, &p->max_sz_region);
	/* counts and ages are unsigned int in the kernel: truncate */
	get_range(ap->nr_accesses, &min, &max);
	p->min_nr_accesses = min;
	p->max_nr_accesses = max;
	get_range(ap->age, &min, &max);
	p->min_age_region = min;
	p->max_age_region = max;
}

static void get_quota(struct damon_sysfs_scheme *ss, struct damos_quota *q)
{
	struct damon_sysfs_quotas *sq = TO(struct damon_sysfs_quotas,
					   ss->quotas);
	struct damon_sysfs_weights *w = TO(struct damon_sysfs_weights,
					   sq->weights);

	q->ms = READ_ONCE(sq->ms);
	q->sz = READ_ONCE(sq->bytes);
	q->reset_interval = READ_ONCE(sq->reset_interval_ms);
	q->goal_tuner = READ_ONCE(sq->goal_tuner);
	q->fail_charge_num = READ_ONCE(sq->fail_charge_num);
	q->fail_charge_denom = READ_ONCE(sq->fail_charge_denom);
	q->weight_sz = READ_ONCE(w->sz_permil);
	q->weight_nr_accesses = READ_ONCE(w->nr_accesses_permil);
	q->weight_age = READ_ONCE(w->age_permil);
}

static void get_wmarks(struct damon_sysfs_scheme *ss,
		       struct damos_watermarks *wm)
{
	struct damon_sysfs_watermarks *sw = TO(struct damon_sysfs_watermarks,
					       ss->watermarks);

	wm->metric = READ_ONCE(sw->metric);
	wm->interval = READ_ONCE(sw->interval_us);
	wm->high = READ_ONCE(sw->high);
	wm->mid = READ_ONCE(sw->mid);
	wm->low = READ_ONCE(sw->low);
}

/* Fill the metric-specific inputs of @g from @sg. */
static int set_goal_inputs(struct damos_quota_goal *g,
			   struct damon_sysfs_goal *sg)
{
	switch (g->metric) {
	case DAMOS_QUOTA_USER_INPUT:
		g->current_value = READ_ONCE(sg->current_value);
		return 0;
	case DAMOS_QUOTA_NODE_MEM_USED_BP:
	case DAMOS_QUOTA_NODE_MEM_FREE_BP:
	case DAMOS_QUOTA_NODE_ELIGIBLE_MEM_BP:
		g->nid = READ_ONCE(sg->nid);
		return 0;
	case DAMOS_QUOTA_NODE_MEMCG_USED_BP:
	case DAMOS_QUOTA_NODE_MEMCG_FREE_BP:
		g->nid = READ_ONCE(sg->nid);
		return damon_sysfs_memcg_path_to_id(sg->path, &g->memcg_id);
	default:
		return 0;
	}
}

/* Append the goals of @goals to @q; goals with a zero target are skipped. */
static int add_goals(struct damos_quota *q, struct damon_sysfs_dir *goals)
{
	struct damos_quota_goal *g;
	struct damon_sysfs_goal *sg;
	unsigned long target;
	int i;

	/*
	 * Held by this thread when building a context, or by the thread that
	 * waits in damon_call() while the kdamond commits quota goals for it;
	 * lockdep only knows about the first case.
	 */
	lockdep_assert(mutex_is_locked(&damon_sysfs_lock));
	for (i = 0; i < goals->nr; i++) {
		sg = damon_sysfs_elem(goals, i, struct damon_sysfs_goal);
		target = READ_ONCE(sg->target_value);
		if (!target)
			continue;
		g = damos_new_quota_goal(READ_ONCE(sg->target_metric), target);
		if (!g)
			return -ENOMEM;
		/* linked first, so that the caller's cleanup frees it */
		damos_add_quota_goal(q, g);
		if (set_goal_inputs(g, sg))
			return -EINVAL;
	}
	return 0;
}

static struct damos_filter *new_filter(struct damon_sysfs_filter *sf)
{
	struct damos_filter *f;
	int err = 0;

	f = damos_new_filter(READ_ONCE(sf->type), READ_ONCE(sf->matching),
			     READ_ONCE(sf->allow));
	if (!f)
		return ERR_PTR(-ENOMEM);
	switch (f->type) {
	case DAMOS_FILTER_TYPE_MEMCG:
		err = damon_sysfs_memcg_path_to_id(sf->memcg_path,
						   &f->memcg_id);
		break;
	case DAMOS_FILTER_TYPE_ADDR:
		f->addr_range.start = READ_ONCE(sf->addr_start);
		f->addr_range.end = READ_ONCE(sf->addr_end);
		if (f->addr_range.end < f->addr_range.start)
			err = -EINVAL;
		break;
	case DAMOS_FILTER_TYPE_TARGET:
		f->target_idx = READ_ONCE(sf->damon_target_idx);
		break;
	case DAMOS_FILTER_TYPE_HUGEPAGE_SIZE:
		f->sz_range.min = READ_ONCE(sf->min);
		f->sz_range.max = READ_ONCE(sf->max);
		if (f->sz_range.min > f->sz_range.max)
			err = -EINVAL;
		break;
	case DAMOS_FILTER_TYPE_PROBE_HITS_WSUM:
		f->range_min = READ_ONCE(sf->min);
		f->range_max = READ_ONCE(sf->max);
		if (f->range_min > f->range_max)
			err = -EINVAL;
		break;
	default:
		break;
	}
	if (err) {
		kfree(f);
		return ERR_PTR(err);
	}
	return f;
}

static int add_filters(struct damos *s, struct damon_sysfs_dir *filters)
{
	struct damos_filter *f;
	int i;

	for (i = 0; i < filters->nr; i++) {
		f = new_filter(damon_sysfs_elem(filters, i,
						struct damon_sysfs_filter));
		if (IS_ERR(f))
			return PTR_ERR(f);
		damos_add_filter(s, f);
	}
	return 0;
}

static int set_dests(struct damos *s, struct damon_sysfs_dir *dests)
{
	struct damos_migrate_dests *md = &s->migrate_dests;
	struct damon_sysfs_dest *d;
	int i;

	if (!dests->nr)
		return 0;
	md->node_id_arr = kmalloc_array(dests->nr, sizeof(*md->node_id_arr),
					GFP_KERNEL);
	md->weight_arr = kmalloc_array(dests->nr, sizeof(*md->weight_arr),
				       GFP_KERNEL);
	/* set even on failure: the scheme owns and frees the arrays */
	md->nr_dests = dests->nr;
	if (!md->node_id_arr || !md->weight_arr)
		return -ENOMEM;
	for (i = 0; i < dests->nr; i++) {
		d = damon_sysfs_elem(dests, i, struct damon_sysfs_dest);
		md->node_id_arr[i] = READ_ONCE(d->id);
		md->weight_arr[i] = READ_ONCE(d->weight);
	}
	return 0;
}

static int fill_scheme(struct damos *s, struct damon_sysfs_scheme *ss)
{
	struct damon_sysfs_quotas *sq = TO(struct damon_sysfs_quotas,
					   ss->quotas);
	struct damon_sysfs_stats *st = TO(struct damon_sysfs_stats, ss->stats);
	int err;

	err = add_goals(&s->quota, sq->goals);
	if (err)
		return err;
	err = add_filters(s, ss->core_filters);
	if (err)
		return err;
	err = add_filters(s, ss->ops_filters);
	if (err)
		return err;
	err = add_filters(s, ss->filters);
	if (err)
		return err;
	err = set_dests(s, ss->dests);
	if (err)
		return err;
	s->max_nr_snapshots = READ_ONCE(st->max_nr_snapshots);
	return 0;
}

static struct damos *build_scheme(struct damon_sysfs_scheme *ss)
{
	struct damos_access_pattern pattern;
	struct damos_quota quota = {};
	struct damos_watermarks wmarks = {};
	struct damos *s;
	int err;

	get_pattern(ss, &pattern);
	get_quota(ss, &quota);
	get_wmarks(ss, &wmarks);
	s = damon_new_scheme(&pattern, READ_ONCE(ss->action),
			     READ_ONCE(ss->apply_interval_us), &quota, &wmarks,
			     READ_ONCE(ss->target_nid));
	if (!s)
		return ERR_PTR(-ENOMEM);
	err = fill_scheme(s, ss);
	if (err) {
		damon_destroy_scheme(s);
		return ERR_PTR(err);
	}
	return s;
}

/**
 * damon_sysfs_add_schemes() - Add the staged schemes to a new context.
 * @ctx:	The context being built; not running.
 * @schemes:	The schemes/ directory.
 *
 * Context: Process context; damon_sysfs_lock held.
 * Return: 0; -EINVAL for invalid filters, goals or unknown memcg paths;
 * -ENOMEM.
 */
int damon_sysfs_add_schemes(struct damon_ctx *ctx,
			    struct damon_sysfs_dir *schemes)
{
	struct damos *s;
	int i;

	lockdep_assert_held(&damon_sysfs_lock);
	for (i = 0; i < schemes->nr; i++) {
		s = build_scheme(scheme_at(schemes, i));
		if (IS_ERR(s))
			return PTR_ERR(s);
		damon_add_scheme(ctx, s);
	}
	return 0;
}

/* ===== Work run in the kdamond ===== */

/**
 * damon_sysfs_commit_quota_goals() - Update the running schemes' goals.
 * @ctx:	The running context.
 * @schemes:	The schemes/ directory; matched with @ctx's schemes by index.
 *
 * Context: The kdamond of @ctx (a damon_call() function); the caller of
 * damon_call() holds damon_sysfs_lock.
 * Return: 0, -EINVAL (unknown memcg path) or -ENOMEM.
 */
int damon_sysfs_commit_quota_goals(struct damon_ctx *ctx,
				   struct damon_sysfs_dir *schemes)
{
	struct damos_quota_goal *g, *next;
	struct damos_quota tmp = {};
	struct damon_sysfs_quotas *sq;
	struct damos *s;
	int i = 0, err = 0;

	damon_for_each_scheme(s, ctx) {
		if (i >= schemes->nr)
			break;
		sq = TO(struct damon_sysfs_quotas, scheme_at(schemes, i++)->quotas);
		INIT_LIST_HEAD(&tmp.goals);
		err = add_goals(&tmp, sq->goals);
		if (!err)
			err = damos_commit_quota_goals(&s->quota, &tmp);
		damos_for_each_quota_goal_safe(g, next, &tmp)
			damos_destroy_quota_goal(g);
		if (err)
			break;
	}
	return err;
}

/**
 * damon_sysfs_schemes_update_stats() - Copy the schemes' stats to stats/.
 * @ctx:	The running context.
 * @schemes:	The schemes/ directory; matched with @ctx's schemes by index.
 *
 * Context: The kdamond of @ctx, with damon_sysfs_lock held by it or by the
 * damon_call() caller.
 */
void damon_sysfs_schemes_update_stats(struct damon_ctx *ctx,
				      struct damon_sysfs_dir *schemes)
{
	struct damon_sysfs_stats *st;
	struct damos *s;
	int i = 0;

	damon_for_each_scheme(s, ctx) {
		if (i >= schemes->nr)
			break;
		st = TO(struct damon_sysfs_stats, scheme_at(schemes, i++)->stats);
		WRITE_ONCE(st->nr_tried, s->stat.nr_tried);
		WRITE_ONCE(st->sz_tried, s->stat.sz_tried);
		WRITE_ONCE(st->nr_applied, s->stat.nr_applied);
		WRITE_ONCE(st->sz_applied, s->stat.sz_applied);
		WRITE_ONCE(st->sz_ops_filter_passed,
			   s->stat.sz_ops_filter_passed);
		WRITE_ONCE(st->qt_exceeds, s->stat.qt_exceeds);
		WRITE_ONCE(st->nr_snapshots, s->stat.nr_snapshots);
	}
}

/**
 * damon_sysfs_schemes_update_esz() - Copy effective quotas to quotas/.
 * @ctx:	The running context.
 * @schemes:	The schemes/ directory; matched with @ctx's schemes by index.
 *
 * Context: As damon_sysfs_schemes_update_stats().
 */
void damon_sysfs_schemes_update_esz(struct damon_ctx *ctx,
				    struct damon_sysfs_dir *schemes)
{
	struct damon_sysfs_quotas *sq;
	struct damos *s;
	int i = 0;

	damon_for_each_scheme(s, ctx) {
		if (i >= schemes->nr)
			break;
		sq = TO(struct damon_sysfs_quotas, scheme_at(schemes, i++)->quotas);
		WRITE_ONCE(sq->effective_bytes, s->quota.esz);
	}
}

/* ===== Tried regions ===== */

static struct damon_sysfs_tried_regions *
tried_of(struct damon_sysfs_dir *schemes, int i)
{
	return TO(struct damon_sysfs_tried_regions,
		  scheme_at(schemes, i)->tried_regions);
}

/**
 * damon_sysfs_schemes_clear_tried() - Drop all tried_regions/<N>.
 * @schemes:	The schemes/ directory.
 *
 * Also zeroes every tried_regions/total_bytes.
 *
 * Context: Process context; damon_sysfs_lock held.
 */
void damon_sysfs_schemes_clear_tried(struct damon_sysfs_dir *schemes)
{
	struct damon_sysfs_tried_regions *tr;
	int i;

	lockdep_assert_held(&damon_sysfs_lock);
	for (i = 0; i < schemes->nr; i++) {
		tr = tried_of(schemes, i);
		damon_sysfs_array_resize(&tr->dir, 0);
		WRITE_ONCE(tr->total_bytes, 0);
	}
}

/* One region reported by the walk, waiting for its directory. */
struct tried_rec {
	struct list_head list;
	int scheme;
	unsigned long start;
	unsigned long end;
	unsigned int nr_accesses;
	unsigned int age;
	unsigned long sz_filter_passed;
	unsigned int nr_probes;
	unsigned char probe_hits[DAMON_MAX_PROBES];
};

struct tried_walk {
	struct damon_sysfs_dir *schemes;
	bool bytes_only;
	struct list_head recs;
	int err;
};

static int scheme_index(struct damon_ctx *ctx, struct damos *s)
{
	struct damos *iter;
	int i = 0;

	damon_for_each_scheme(iter, ctx) {
		if (iter == s)
			return i;
		i++;
	}
	return -1;
}

/*
 * damos_walk() callback, in the kdamond.  The damos_walk() caller holds
 * damon_sysfs_lock, so the directories cannot change meanwhile.  Only
 * counts and records here; the directories are made after the walk.
 */
static void tried_walk_fn(void *data, struct damon_ctx *ctx,
			  struct damon_target *t, struct damon_region *r,
			  struct damos *s, unsigned long sz_filter_passed)
{
	struct tried_walk *w = data;
	struct damon_sysfs_tried_regions *tr;
	struct tried_rec *rec;
	int i = scheme_index(ctx, s);
	unsigned int p;

	/* a scheme whose directory was removed is skipped */
	if (i < 0 || i >= w->schemes->nr)
		return;
	tr = tried_of(w->schemes, i);
	WRITE_ONCE(tr->total_bytes, tr->total_bytes + damon_sz_region(r));
	if (w->bytes_only || w->err)
		return;
	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec) {
		w->err = -ENOMEM;
		return;
	}
	rec->scheme = i;
	rec->start = r->ar.start;
	rec->end = r->ar.end;
	/*
	 * Moving sums: the kdamond starts a new window before DAMOS runs, so
	 * the raw counters of a walk at a window boundary are 0; the moving
	 * sums are then the completed window's counts.
	 */
	rec->nr_accesses = damon_nr_accesses_mvsum(r, ctx);
	rec->age = r->age;
	rec->sz_filter_passed = sz_filter_passed;
	rec->nr_probes = min(damon_nr_probes(ctx), DAMON_MAX_PROBES);
	for (p = 0; p < rec->nr_probes; p++)
		rec->probe_hits[p] = damon_probe_hits_mvsum(p, r, ctx);
	list_add_tail(&rec->list, &w->recs);
}

/* Where make_tried_dirs() is in the records, for fill_tried_region(). */
struct tried_cursor {
	struct list_head *recs;
	struct tried_rec *rec;
	int scheme;
};

/*
 * Fill tried_regions/<N>, not yet counted in tried_regions/, from the next
 * record of the cursor's scheme, with its probes/<P>/ directories.
 */
static int fill_tried_region(struct damon_sysfs_dir *dir, int n, void *arg)
{
	struct damon_sysfs_tried_region *d = TO(struct damon_sysfs_tried_region,
						dir);
	struct tried_cursor *cur = arg;
	struct tried_rec *rec = cur->rec;
	unsigned int p;
	int err;

	list_for_each_entry_continue(rec, cur->recs, list) {
		if (rec->scheme == cur->scheme)
			break;
	}
	/* make_tried_dirs() counted the records: there is one */
	if (WARN_ON_ONCE(list_entry_is_head(rec, cur->recs, list)))
		return -EINVAL;
	cur->rec = rec;
	d->start = rec->start;
	d->end = rec->end;
	d->nr_accesses = rec->nr_accesses;
	d->age = rec->age;
	d->sz_filter_passed = rec->sz_filter_passed;
	err = damon_sysfs_array_resize(d->probes, rec->nr_probes);
	if (err)
		return err;
	for (p = 0; p < rec->nr_probes; p++)
		damon_sysfs_elem(d->probes, p, struct damon_sysfs_tried_probe)
			->hits = rec->probe_hits[p];
	return 0;
}

/* Make tried_regions/<N> of scheme @i from the records of that scheme. */
static int make_tried_dirs(struct damon_sysfs_dir *schemes, int i,
			   struct list_head *recs)
{
	struct damon_sysfs_tried_regions *tr = tried_of(schemes, i);
	struct tried_cursor cur = {
		.recs = recs,
		.rec = list_entry(recs, struct tried_rec, list),
		.scheme = i,
	};
	struct tried_rec *rec;
	int n = 0;

	list_for_each_entry(rec, recs, list)
		n += rec->scheme == i;
	return damon_sysfs_array_fill(&tr->dir, n, fill_tried_region, &cur);
}

/**
 * damon_sysfs_schemes_update_tried() - Refill tried_regions/ of all schemes.
 * @ctx:	The running context.
 * @schemes:	The schemes/ directory.
 * @bytes_only:	Update only tried_regions/total_bytes.
 *
 * Clears the tried regions, then waits for one damos_walk() round of every
 * scheme.  A walk cut short because the kdamond stopped is not an error:
 * what was seen until then is reported.
 *
 * Context: Process context; damon_sysfs_lock held; sleeps.
 * Return: 0, -EINVAL if @ctx is not running, -EBUSY if another walk is
 * pending on @ctx, or -ENOMEM.
 */
int damon_sysfs_schemes_update_tried(struct damon_ctx *ctx,
				     struct damon_sysfs_dir *schemes,
				     bool bytes_only)
{
	struct tried_walk w = {
		.schemes = schemes,
		.bytes_only = bytes_only,
		.recs = LIST_HEAD_INIT(w.recs),
	};
	struct damos_walk_control control = {
		.walk_fn = tried_walk_fn,
		.data = &w,
	};
	struct tried_rec *rec, *next;
	int i, err;

	lockdep_assert_held(&damon_sysfs_lock);
	damon_sysfs_schemes_clear_tried(schemes);
	err = damos_walk(ctx, &control);
	if (err == -ECANCELED)
		err = 0;
	if (!err)
		err = w.err;
	for (i = 0; !err && !bytes_only && i < schemes->nr; i++)
		err = make_tried_dirs(schemes, i, &w.recs);
	list_for_each_entry_safe(rec, next, &w.recs, list)
		kfree(rec);
	return err;
}

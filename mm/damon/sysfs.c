// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON sysfs interface: admin/, kdamonds/, contexts/, monitoring_attrs/
 * (with the data-attribute probes/ and the access-sample control sample/),
 * targets/ and regions/, and the kdamond "state" commands.
 *
 * Files only stage values.  "on" builds a fresh damon_ctx from them and
 * starts it; "commit" builds one and hands it to the running kdamond with
 * damon_call(), where damon_commit_ctx() applies it.  Everything that reads
 * a running context (stats, tried regions, tuned intervals) likewise runs in
 * the kdamond through damon_call() or damos_walk() while the writer sleeps
 * holding damon_sysfs_lock, so that the directories it fills cannot go away.
 */

#include <linux/cpumask.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/pid.h>
#include <linux/slab.h>

#include "sysfs-common.h"

/* ===== Data: directory structs ===== */

/* monitoring_attrs/intervals/intervals_goal/ */
struct damon_sysfs_intervals_goal {
	struct damon_sysfs_dir dir;
	unsigned long access_bp;
	unsigned long aggrs;
	unsigned long min_sample_us;
	unsigned long max_sample_us;
};

/* monitoring_attrs/intervals/ */
struct damon_sysfs_intervals {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *goal;
	unsigned long sample_us;
	unsigned long aggr_us;
	unsigned long update_us;
};

/* monitoring_attrs/nr_regions/ */
struct damon_sysfs_nr_regions {
	struct damon_sysfs_dir dir;
	unsigned long min;
	unsigned long max;
};

/* monitoring_attrs/probes/<P>/preps/<I>/ */
struct damon_sysfs_prep {
	struct damon_sysfs_dir dir;
	int prep_action;
};

/* monitoring_attrs/probes/<P>/filters/<F>/ */
struct damon_sysfs_probe_filter {
	struct damon_sysfs_dir dir;
	int type;
	bool matching;
	bool allow;
	char *path;		/* protected by damon_sysfs_lock */
	unsigned long min;
	unsigned long max;
};

/* monitoring_attrs/probes/<P>/ */
struct damon_sysfs_probe {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *preps;
	struct damon_sysfs_dir *filters;
	unsigned int weight;
};

/* monitoring_attrs/sample/primitives/ */
struct damon_sysfs_primitives {
	struct damon_sysfs_dir dir;
	bool page_table;
	bool page_fault;
};

/*
 * monitoring_attrs/sample/filters/<F>/
 *
 * @cpumask, @tid_arr and @nr_tids are protected by damon_sysfs_lock;
 * @tid_arr is NULL (and @nr_tids 0) until tid_arr is written.
 */
struct damon_sysfs_sample_filter {
	struct damon_sysfs_dir dir;
	int type;
	bool matching;
	bool allow;
	cpumask_t cpumask;
	pid_t *tid_arr;
	int nr_tids;
};

/* monitoring_attrs/sample/ */
struct damon_sysfs_sample {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *primitives;
	struct damon_sysfs_dir *filters;
};

/* monitoring_attrs/ */
struct damon_sysfs_attrs {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *intervals;
	struct damon_sysfs_dir *nr_regions;
	struct damon_sysfs_dir *probes;
	struct damon_sysfs_dir *sample;
};

/* targets/<T>/regions/<R>/ */
struct damon_sysfs_region {
	struct damon_sysfs_dir dir;
	unsigned long start;
	unsigned long end;
};

/* targets/<T>/ */
struct damon_sysfs_target {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *regions;
	int pid_target;
	bool obsolete_target;
};

/* contexts/<C>/ */
struct damon_sysfs_context {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *attrs;
	struct damon_sysfs_dir *targets;
	struct damon_sysfs_dir *schemes;
	int operations;
	unsigned long addr_unit;
	bool pause;
};

/*
 * kdamonds/<K>/
 *
 * @ctx is the context last started from this directory; it is kept after
 * it stops so that pid, stats and tried regions stay readable, and freed on
 * the next "on" or with the directory.  Protected by damon_sysfs_lock.
 * @next_refresh is only touched by the refresh_ms callback in the kdamond.
 */
struct damon_sysfs_kdamond {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *contexts;
	unsigned int refresh_ms;
	unsigned long next_refresh;
	struct damon_ctx *ctx;
};

/* admin/ */
struct damon_sysfs_admin {
	struct damon_sysfs_dir dir;
	struct damon_sysfs_dir *kdamonds;
};

static const char * const damon_sysfs_ops_names[] = {
	[DAMON_OPS_VADDR] = "vaddr",
	[DAMON_OPS_FVADDR] = "fvaddr",
	[DAMON_OPS_PADDR] = "paddr",
};

static_assert(ARRAY_SIZE(damon_sysfs_ops_names) == NR_DAMON_OPS);

static const char * const probe_filter_type_names[] = {
	[DAMON_FILTER_TYPE_ANON] = "anon",
	[DAMON_FILTER_TYPE_MEMCG] = "memcg",
	[DAMON_FILTER_TYPE_PGIDLE_UNSET] = "pgidle_unset",
	[DAMON_FILTER_TYPE_PGIDLE_SET] = "pgidle_set",
	[DAMON_FILTER_TYPE_HUGEPAGE_SIZE] = "hugepage_size",
};

/* the enums have no NR_ value (their values are what drgn users see) */
static_assert(ARRAY_SIZE(probe_filter_type_names) ==
	      DAMON_FILTER_TYPE_HUGEPAGE_SIZE + 1);

static const char * const prep_action_names[] = {
	[DAMON_PREP_SET_PGIDLE] = "set_pgidle",
};

static_assert(ARRAY_SIZE(prep_action_names) == DAMON_PREP_SET_PGIDLE + 1);

static const char * const sample_filter_type_names[] = {
	[DAMON_FILTER_TYPE_CPUMASK] = "cpumask",
	[DAMON_FILTER_TYPE_THREADS] = "threads",
	[DAMON_FILTER_TYPE_WRITE] = "write",
};

static_assert(ARRAY_SIZE(sample_filter_type_names) ==
	      DAMON_FILTER_TYPE_WRITE + 1);

/*
 * Most thread ids a threads sample filter takes: a few pages for the list
 * and its copy in the context, whatever range a user writes.
 */
#define DAMON_SYSFS_MAX_TIDS	4096

/* ===== Directory types ===== */

static struct damon_sysfs_field intervals_goal_files[] = {
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals_goal, access_bp),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals_goal, aggrs),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals_goal,
			       min_sample_us),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals_goal,
			       max_sample_us),
};

DAMON_SYSFS_DIR_TYPE(intervals_goal_type, struct damon_sysfs_intervals_goal,
		     intervals_goal_files);

static struct damon_sysfs_field intervals_files[] = {
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals, sample_us,
			       .dflt = 5000),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals, aggr_us,
			       .dflt = 100000),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_intervals, update_us,
			       .dflt = 60000000),
};

static const struct damon_sysfs_subdir intervals_subdirs[] = {
	DAMON_SYSFS_SUBDIR("intervals_goal", intervals_goal_type,
			   struct damon_sysfs_intervals, goal),
	{},
};

DAMON_SYSFS_DIR_TYPE(intervals_type, struct damon_sysfs_intervals,
		     intervals_files, .subdirs = intervals_subdirs);

static struct damon_sysfs_field nr_regions_files[] = {
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_nr_regions, min, .dflt = 10),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_nr_regions, max,
			       .dflt = 1000),
};

DAMON_SYSFS_DIR_TYPE(nr_regions_type, struct damon_sysfs_nr_regions,
		     nr_regions_files);

static struct damon_sysfs_field prep_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_prep, prep_action,
				 prep_action_names,
				 .dflt = DAMON_PREP_SET_PGIDLE),
};

DAMON_SYSFS_DIR_TYPE(prep_type, struct damon_sysfs_prep, prep_files);

static struct damon_sysfs_field preps_files[] = {
	DAMON_SYSFS_NR_FILE(nr_preps),
};

DAMON_SYSFS_DIR_TYPE(preps_type, struct damon_sysfs_dir, preps_files,
		     .elem_type = &prep_type);

/* min and max are bytes, for hugepage_size; path is for memcg */
static struct damon_sysfs_field probe_filter_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_probe_filter, type,
				 probe_filter_type_names,
				 .dflt = DAMON_FILTER_TYPE_ANON),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_probe_filter, matching),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_probe_filter, allow),
	DAMON_SYSFS_STRING_FILE(struct damon_sysfs_probe_filter, path),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_probe_filter, min),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_probe_filter, max),
};

DAMON_SYSFS_DIR_TYPE(probe_filter_type, struct damon_sysfs_probe_filter,
		     probe_filter_files);

static struct damon_sysfs_field probe_filters_files[] = {
	DAMON_SYSFS_NR_FILE(nr_filters),
};

DAMON_SYSFS_DIR_TYPE(probe_filters_type, struct damon_sysfs_dir,
		     probe_filters_files, .elem_type = &probe_filter_type);

static struct damon_sysfs_field probe_files[] = {
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_probe, weight),
};

/* preps/ before filters/, the order damo writes them in */
static const struct damon_sysfs_subdir probe_subdirs[] = {
	DAMON_SYSFS_SUBDIR("preps", preps_type, struct damon_sysfs_probe,
			   preps),
	DAMON_SYSFS_SUBDIR("filters", probe_filters_type,
			   struct damon_sysfs_probe, filters),
	{},
};

DAMON_SYSFS_DIR_TYPE(probe_type, struct damon_sysfs_probe, probe_files,
		     .subdirs = probe_subdirs);

static struct damon_sysfs_field probes_files[] = {
	DAMON_SYSFS_NR_FILE(nr_probes),
};

/* More probes than a region has counters for are refused at write time. */
DAMON_SYSFS_DIR_TYPE(probes_type, struct damon_sysfs_dir, probes_files,
		     .elem_type = &probe_type, .max_nr = DAMON_MAX_PROBES);

static struct damon_sysfs_field primitives_files[] = {
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_primitives, page_table,
			      .dflt = true),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_primitives, page_fault),
};

DAMON_SYSFS_DIR_TYPE(primitives_type, struct damon_sysfs_primitives,
		     primitives_files);

static struct damon_sysfs_sample_filter *
to_sample_filter(struct kobject *kobj)
{
	return container_of(to_damon_sysfs_dir(kobj),
			    struct damon_sysfs_sample_filter, dir);
}

static ssize_t sample_cpumask_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct damon_sysfs_sample_filter *sf = to_sample_filter(kobj);
	ssize_t ret;

	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	ret = sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(&sf->cpumask));
	mutex_unlock(&damon_sysfs_lock);
	return ret;
}

/* The kernel's CPU list syntax; a refused list leaves the old mask. */
static ssize_t sample_cpumask_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	struct damon_sysfs_sample_filter *sf = to_sample_filter(kobj);
	cpumask_var_t mask;
	int err;

	if (!alloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	err = cpulist_parse(buf, mask);
	if (!err) {
		if (mutex_trylock(&damon_sysfs_lock)) {
			cpumask_copy(&sf->cpumask, mask);
			mutex_unlock(&damon_sysfs_lock);
		} else {
			err = -EBUSY;
		}
	}
	free_cpumask_var(mask);
	return err ? err : count;
}

static ssize_t sample_tid_arr_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct damon_sysfs_sample_filter *sf = to_sample_filter(kobj);
	size_t len;

	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	len = damon_sysfs_format_ints(buf, PAGE_SIZE, sf->tid_arr,
				      sf->nr_tids);
	mutex_unlock(&damon_sysfs_lock);
	return len;
}

/*
 * A list of integers as get_options() reads them; it replaces the whole
 * list.  Input without any integer is -ENOENT.
 */
static ssize_t sample_tid_arr_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	struct damon_sysfs_sample_filter *sf = to_sample_filter(kobj);
	pid_t *tids;
	int nr;

	nr = damon_sysfs_parse_ints(buf, NULL, DAMON_SYSFS_MAX_TIDS);
	if (nr < 0)
		return -ENOMEM;
	if (!nr)
		return -ENOENT;
	tids = kmalloc_array(nr, sizeof(*tids), GFP_KERNEL);
	if (!tids)
		return -ENOMEM;
	damon_sysfs_parse_ints(buf, tids, nr);
	if (!mutex_trylock(&damon_sysfs_lock)) {
		kfree(tids);
		return -EBUSY;
	}
	swap(sf->tid_arr, tids);
	sf->nr_tids = nr;
	mutex_unlock(&damon_sysfs_lock);
	kfree(tids);
	return count;
}

static struct damon_sysfs_field sample_filter_files[] = {
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_sample_filter, type,
				 sample_filter_type_names,
				 .dflt = DAMON_FILTER_TYPE_CPUMASK),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_sample_filter, matching),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_sample_filter, allow),
	DAMON_SYSFS_CUSTOM_FILE(__ATTR(cpumask, 0600, sample_cpumask_show,
				       sample_cpumask_store)),
	DAMON_SYSFS_CUSTOM_FILE(__ATTR(tid_arr, 0600, sample_tid_arr_show,
				       sample_tid_arr_store)),
};

static void sample_filter_release(struct damon_sysfs_dir *dir)
{
	kfree(container_of(dir, struct damon_sysfs_sample_filter,
			   dir)->tid_arr);
}

DAMON_SYSFS_DIR_TYPE(sample_filter_type, struct damon_sysfs_sample_filter,
		     sample_filter_files, .release = sample_filter_release);

static struct damon_sysfs_field sample_filters_files[] = {
	DAMON_SYSFS_NR_FILE(nr_filters),
};

DAMON_SYSFS_DIR_TYPE(sample_filters_type, struct damon_sysfs_dir,
		     sample_filters_files, .elem_type = &sample_filter_type);

/* primitives/ before filters/, the order damo writes them in */
static const struct damon_sysfs_subdir sample_subdirs[] = {
	DAMON_SYSFS_SUBDIR("primitives", primitives_type,
			   struct damon_sysfs_sample, primitives),
	DAMON_SYSFS_SUBDIR("filters", sample_filters_type,
			   struct damon_sysfs_sample, filters),
	{},
};

DAMON_SYSFS_BARE_DIR_TYPE(sample_type, struct damon_sysfs_sample,
			  .subdirs = sample_subdirs);

static const struct damon_sysfs_subdir attrs_subdirs[] = {
	DAMON_SYSFS_SUBDIR("intervals", intervals_type,
			   struct damon_sysfs_attrs, intervals),
	DAMON_SYSFS_SUBDIR("nr_regions", nr_regions_type,
			   struct damon_sysfs_attrs, nr_regions),
	DAMON_SYSFS_SUBDIR("probes", probes_type, struct damon_sysfs_attrs,
			   probes),
	DAMON_SYSFS_SUBDIR("sample", sample_type, struct damon_sysfs_attrs,
			   sample),
	{},
};

DAMON_SYSFS_BARE_DIR_TYPE(attrs_type, struct damon_sysfs_attrs,
			  .subdirs = attrs_subdirs);

static struct damon_sysfs_field region_files[] = {
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_region, start),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_region, end),
};

DAMON_SYSFS_DIR_TYPE(region_type, struct damon_sysfs_region, region_files);

static struct damon_sysfs_field regions_files[] = {
	DAMON_SYSFS_NR_FILE(nr_regions),
};

DAMON_SYSFS_DIR_TYPE(regions_type, struct damon_sysfs_dir, regions_files,
		     .elem_type = &region_type);

static struct damon_sysfs_field target_files[] = {
	DAMON_SYSFS_INT_FILE(struct damon_sysfs_target, pid_target,
			     .einval = true),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_target, obsolete_target),
};

static const struct damon_sysfs_subdir target_subdirs[] = {
	DAMON_SYSFS_SUBDIR("regions", regions_type, struct damon_sysfs_target,
			   regions),
	{},
};

DAMON_SYSFS_DIR_TYPE(target_type, struct damon_sysfs_target, target_files,
		     .subdirs = target_subdirs);

static struct damon_sysfs_field targets_files[] = {
	DAMON_SYSFS_NR_FILE(nr_targets),
};

DAMON_SYSFS_DIR_TYPE(targets_type, struct damon_sysfs_dir, targets_files,
		     .elem_type = &target_type);

static ssize_t avail_operations_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	int id, len = 0;

	for (id = 0; id < NR_DAMON_OPS; id++) {
		if (damon_is_registered_ops(id))
			len += sysfs_emit_at(buf, len, "%s\n",
					     damon_sysfs_ops_names[id]);
	}
	return len;
}

static int addr_unit_check(struct damon_sysfs_dir *dir, unsigned long val)
{
	return val ? 0 : -EINVAL;
}

static struct damon_sysfs_field context_files[] = {
	DAMON_SYSFS_CUSTOM_FILE(__ATTR_RO_MODE(avail_operations, 0400)),
	DAMON_SYSFS_KEYWORD_FILE(struct damon_sysfs_context, operations,
				 damon_sysfs_ops_names,
				 .dflt = DAMON_OPS_VADDR),
	DAMON_SYSFS_ULONG_FILE(struct damon_sysfs_context, addr_unit, .dflt = 1,
			       .check = addr_unit_check),
	DAMON_SYSFS_BOOL_FILE(struct damon_sysfs_context, pause),
};

static const struct damon_sysfs_subdir context_subdirs[] = {
	DAMON_SYSFS_SUBDIR("monitoring_attrs", attrs_type,
			   struct damon_sysfs_context, attrs),
	DAMON_SYSFS_SUBDIR("targets", targets_type,
			   struct damon_sysfs_context, targets),
	DAMON_SYSFS_SUBDIR("schemes", damon_sysfs_schemes_type,
			   struct damon_sysfs_context, schemes),
	{},
};

DAMON_SYSFS_DIR_TYPE(context_type, struct damon_sysfs_context, context_files,
		     .subdirs = context_subdirs);

static struct damon_sysfs_field contexts_files[] = {
	DAMON_SYSFS_NR_FILE(nr_contexts),
};

/* A kdamond runs at most one context. */
DAMON_SYSFS_DIR_TYPE(contexts_type, struct damon_sysfs_dir, contexts_files,
		     .elem_type = &context_type, .max_nr = 1);

/* ===== Building a context from the tree ===== */

static struct damon_sysfs_context *to_context(struct damon_sysfs_dir *dir)
{
	return container_of(dir, struct damon_sysfs_context, dir);
}

static int set_addr_unit(struct damon_ctx *ctx, unsigned long addr_unit)
{
	if (!addr_unit)
		return -EINVAL;
	ctx->addr_unit = addr_unit;
	if (ctx->ops.id == DAMON_OPS_PADDR)
		ctx->min_region_sz = max(PAGE_SIZE / addr_unit, 1UL);
	return 0;
}

/*
 * Stage the attributes as written.  They are validated once, where they
 * enter a context that runs: by cmd_on() before damon_start(), and by
 * damon_commit_ctx() for a commit.
 */
static void stage_attrs(struct damon_ctx *ctx, struct damon_sysfs_dir *dir)
{
	struct damon_sysfs_attrs *sa = container_of(dir,
			struct damon_sysfs_attrs, dir);
	struct damon_sysfs_intervals *iv = container_of(sa->intervals,
			struct damon_sysfs_intervals, dir);
	struct damon_sysfs_intervals_goal *g = container_of(iv->goal,
			struct damon_sysfs_intervals_goal, dir);
	struct damon_sysfs_nr_regions *nr = container_of(sa->nr_regions,
			struct damon_sysfs_nr_regions, dir);
	struct damon_attrs attrs = {
		.sample_interval = READ_ONCE(iv->sample_us),
		.aggr_interval = READ_ONCE(iv->aggr_us),
		.ops_update_interval = READ_ONCE(iv->update_us),
		.intervals_goal = {
			.access_bp = READ_ONCE(g->access_bp),
			.aggrs = READ_ONCE(g->aggrs),
			.min_sample_us = READ_ONCE(g->min_sample_us),
			.max_sample_us = READ_ONCE(g->max_sample_us),
		},
		.min_nr_regions = READ_ONCE(nr->min),
		.max_nr_regions = READ_ONCE(nr->max),
	};

	ctx->attrs = attrs;
}

static int add_probe_filter(struct damon_probe *p,
			    struct damon_sysfs_probe_filter *sf)
{
	struct damon_filter *f;

	f = damon_new_filter(READ_ONCE(sf->type), READ_ONCE(sf->matching),
			     READ_ONCE(sf->allow));
	if (!f)
		return -ENOMEM;
	/* linked first, so that destroying the context frees it */
	damon_add_filter(p, f);
	switch (f->type) {
	case DAMON_FILTER_TYPE_MEMCG:
		return damon_sysfs_memcg_path_to_id(sf->path, &f->memcg_id);
	case DAMON_FILTER_TYPE_HUGEPAGE_SIZE:
		/* min > max is refused by damon_start() and the commit */
		f->sz_range.min = READ_ONCE(sf->min);
		f->sz_range.max = READ_ONCE(sf->max);
		return 0;
	default:
		return 0;
	}
}

static int add_probe(struct damon_ctx *ctx, struct damon_sysfs_probe *sp)
{
	struct damon_sysfs_dir *preps = sp->preps, *filters = sp->filters;
	struct damon_probe *p = damon_new_probe();
	struct damon_sysfs_probe_filter *sf;
	struct damon_sysfs_prep *sprep;
	struct damon_prep *prep;
	int i, err;

	if (!p)
		return -ENOMEM;
	damon_add_probe(ctx, p);
	p->weight = READ_ONCE(sp->weight);
	for (i = 0; i < preps->nr; i++) {
		sprep = damon_sysfs_elem(preps, i, struct damon_sysfs_prep);
		prep = damon_new_prep(READ_ONCE(sprep->prep_action));
		if (!prep)
			return -ENOMEM;
		damon_add_prep(p, prep);
	}
	for (i = 0; i < filters->nr; i++) {
		sf = damon_sysfs_elem(filters, i,
				      struct damon_sysfs_probe_filter);
		err = add_probe_filter(p, sf);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Add the staged probes, in order, with their preparation steps and
 * filters.  How many and with which parameters is checked by damon_start()
 * and damon_commit_ctx(); only what needs the sysfs side, memcg paths, is
 * resolved (and refused) here.
 */
static int add_probes(struct damon_ctx *ctx, struct damon_sysfs_dir *dir)
{
	struct damon_sysfs_attrs *sa = container_of(dir,
			struct damon_sysfs_attrs, dir);
	struct damon_sysfs_dir *probes = sa->probes;
	int i, err;

	for (i = 0; i < probes->nr; i++) {
		err = add_probe(ctx, damon_sysfs_elem(probes, i,
						      struct damon_sysfs_probe));
		if (err)
			return err;
	}
	return 0;
}

static int add_sample_filter(struct damon_sample_control *ctrl,
			     struct damon_sysfs_sample_filter *sf)
{
	struct damon_sample_filter *f;

	f = damon_new_sample_filter(READ_ONCE(sf->type),
				    READ_ONCE(sf->matching),
				    READ_ONCE(sf->allow));
	if (!f)
		return -ENOMEM;
	switch (f->type) {
	case DAMON_FILTER_TYPE_CPUMASK:
		cpumask_copy(&f->cpumask, &sf->cpumask);
		break;
	case DAMON_FILTER_TYPE_THREADS:
		/* without tids it is refused by damon_start() and the commit */
		if (!sf->nr_tids)
			break;
		f->tid_arr = kmemdup_array(sf->tid_arr, sf->nr_tids,
					   sizeof(*sf->tid_arr), GFP_KERNEL);
		if (!f->tid_arr) {
			damon_free_sample_filter(f);
			return -ENOMEM;
		}
		f->nr_tids = sf->nr_tids;
		break;
	case DAMON_FILTER_TYPE_WRITE:
		break;
	}
	damon_add_sample_filter(ctrl, f);
	return 0;
}

/*
 * Stage the access-sample control: the primitives, and one sample filter
 * per filters/<F>, in order, with its argument.  Which combinations may run
 * is checked by damon_start() and damon_commit_ctx().
 */
static int add_sample_control(struct damon_ctx *ctx,
			      struct damon_sysfs_dir *dir)
{
	struct damon_sysfs_attrs *sa = container_of(dir,
			struct damon_sysfs_attrs, dir);
	struct damon_sysfs_sample *ss = container_of(sa->sample,
			struct damon_sysfs_sample, dir);
	struct damon_sysfs_primitives *sp = container_of(ss->primitives,
			struct damon_sysfs_primitives, dir);
	struct damon_sample_control *ctrl = &ctx->sample_control;
	struct damon_sysfs_dir *filters = ss->filters;
	struct damon_sysfs_sample_filter *sf;
	int i, err;

	ctrl->primitives_enabled.page_table = READ_ONCE(sp->page_table);
	ctrl->primitives_enabled.page_fault = READ_ONCE(sp->page_fault);
	for (i = 0; i < filters->nr; i++) {
		sf = damon_sysfs_elem(filters, i,
				      struct damon_sysfs_sample_filter);
		err = add_sample_filter(ctrl, sf);
		if (err)
			return err;
	}
	return 0;
}

static int set_regions(struct damon_ctx *ctx, struct damon_target *t,
		       struct damon_sysfs_dir *regions)
{
	struct damon_addr_range *ranges;
	struct damon_sysfs_region *r;
	int i, err = 0;

	if (!regions->nr)
		return 0;
	/* one per region directory, and a user may make many */
	ranges = kvmalloc_array(regions->nr, sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	for (i = 0; i < regions->nr; i++) {
		r = damon_sysfs_elem(regions, i, struct damon_sysfs_region);
		ranges[i].start = READ_ONCE(r->start);
		ranges[i].end = READ_ONCE(r->end);
		if (ranges[i].start > ranges[i].end ||
		    (i && ranges[i - 1].end > ranges[i].start)) {
			err = -EINVAL;
			goto out;
		}
	}
	err = damon_set_regions(t, ranges, regions->nr, ctx->min_region_sz);
out:
	kvfree(ranges);
	return err;
}

static int add_target(struct damon_ctx *ctx, struct damon_sysfs_target *st)
{
	struct damon_target *t = damon_new_target();

	if (!t)
		return -ENOMEM;
	if (damon_target_has_pid(ctx)) {
		t->pid = find_get_pid(READ_ONCE(st->pid_target));
		if (!t->pid) {
			damon_free_target(t);
			return -EINVAL;
		}
	}
	/* from here on, destroying @ctx releases the pid */
	damon_add_target(ctx, t);
	t->obsolete = READ_ONCE(st->obsolete_target);
	return set_regions(ctx, t, st->regions);
}

static int add_targets(struct damon_ctx *ctx, struct damon_sysfs_dir *targets)
{
	int i, err;

	if (!damon_target_has_pid(ctx) && targets->nr > 1)
		return -EINVAL;
	for (i = 0; i < targets->nr; i++) {
		struct damon_sysfs_target *target;

		target = damon_sysfs_elem(targets, i, struct damon_sysfs_target);
		err = add_target(ctx, target);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Build a new, not running context from the staged values of @c, in the
 * order of the sysfs ABI spec (§9.1).
 */
static struct damon_ctx *build_ctx(struct damon_sysfs_context *c)
{
	struct damon_ctx *ctx = damon_new_ctx();
	int err;

	lockdep_assert_held(&damon_sysfs_lock);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	err = damon_select_ops(ctx, READ_ONCE(c->operations));
	if (err)
		goto fail;
	err = set_addr_unit(ctx, READ_ONCE(c->addr_unit));
	if (err)
		goto fail;
	ctx->pause = READ_ONCE(c->pause);
	stage_attrs(ctx, c->attrs);
	err = add_probes(ctx, c->attrs);
	if (err)
		goto fail;
	err = add_sample_control(ctx, c->attrs);
	if (err)
		goto fail;
	err = add_targets(ctx, c->targets);
	if (err)
		goto fail;
	err = damon_sysfs_add_schemes(ctx, c->schemes);
	if (err)
		goto fail;
	return ctx;
fail:
	damon_destroy_ctx(ctx);
	return ERR_PTR(err);
}

/* ===== Work run in the kdamond (damon_call() functions) ===== */

static struct damon_sysfs_kdamond *to_kdamond(struct damon_sysfs_dir *dir)
{
	return container_of(dir, struct damon_sysfs_kdamond, dir);
}

/* The only context directory of @kd, or NULL if nr_contexts is not 1. */
static struct damon_sysfs_context *kd_context(struct damon_sysfs_kdamond *kd)
{
	if (kd->contexts->nr != 1)
		return NULL;
	return to_context(kd->contexts->elems[0]);
}

/* Copy the running, possibly auto-tuned, intervals into intervals/. */
static void update_tuned_intervals(struct damon_ctx *ctx,
				   struct damon_sysfs_context *c)
{
	struct damon_sysfs_attrs *sa = container_of(c->attrs,
			struct damon_sysfs_attrs, dir);
	struct damon_sysfs_intervals *iv = container_of(sa->intervals,
			struct damon_sysfs_intervals, dir);

	WRITE_ONCE(iv->sample_us, ctx->attrs.sample_interval);
	WRITE_ONCE(iv->aggr_us, ctx->attrs.aggr_interval);
}

static int update_stats_fn(void *data)
{
	struct damon_sysfs_kdamond *kd = data;

	damon_sysfs_schemes_update_stats(kd->ctx,
					 kd_context(kd)->schemes);
	return 0;
}

static int update_esz_fn(void *data)
{
	struct damon_sysfs_kdamond *kd = data;

	damon_sysfs_schemes_update_esz(kd->ctx, kd_context(kd)->schemes);
	return 0;
}

static int update_intervals_fn(void *data)
{
	struct damon_sysfs_kdamond *kd = data;

	update_tuned_intervals(kd->ctx, kd_context(kd));
	return 0;
}

static int commit_goals_fn(void *data)
{
	struct damon_sysfs_kdamond *kd = data;

	return damon_sysfs_commit_quota_goals(kd->ctx,
					      kd_context(kd)->schemes);
}

struct commit_arg {
	struct damon_ctx *dst;
	struct damon_ctx *src;
};

static int commit_fn(void *data)
{
	struct commit_arg *arg = data;

	return damon_commit_ctx(arg->dst, arg->src);
}

/*
 * The refresh_ms callback, repeated in every kdamond main loop iteration
 * from "on" until the kdamond stops.  It must never sleep on
 * damon_sysfs_lock: a "state" writer may hold it while waiting for this
 * very kdamond.
 */
static int refresh_fn(void *data)
{
	struct damon_sysfs_kdamond *kd = data;
	unsigned int ms = READ_ONCE(kd->refresh_ms);
	struct damon_sysfs_context *c;

	if (!ms || time_before(jiffies, kd->next_refresh))
		return 0;
	if (!mutex_trylock(&damon_sysfs_lock))
		return 0;
	kd->next_refresh = jiffies + msecs_to_jiffies(ms);
	c = kd_context(kd);
	if (c) {
		update_tuned_intervals(kd->ctx, c);
		damon_sysfs_schemes_update_stats(kd->ctx, c->schemes);
		damon_sysfs_schemes_update_esz(kd->ctx, c->schemes);
	}
	mutex_unlock(&damon_sysfs_lock);
	return 0;
}

/* Run @fn(@kd) in @kd's kdamond and wait for its result. */
static int kd_call(struct damon_sysfs_kdamond *kd, int (*fn)(void *))
{
	struct damon_call_control control = { .fn = fn, .data = kd };
	int err;

	if (!kd->ctx)
		return -EINVAL;
	err = damon_call(kd->ctx, &control);
	return err ? err : control.return_code;
}

/* ===== kdamond state commands ===== */

static bool kd_running(struct damon_sysfs_kdamond *kd)
{
	return kd->ctx && damon_is_running(kd->ctx);
}

static void start_refresh(struct damon_sysfs_kdamond *kd)
{
	struct damon_call_control *control;

	control = kzalloc(sizeof(*control), GFP_KERNEL);
	if (!control)
		return;
	control->fn = refresh_fn;
	control->data = kd;
	control->repeat = true;
	control->dealloc_on_cancel = true;
	kd->next_refresh = jiffies;
	/* on success the core owns @control and frees it on cancel */
	if (damon_call(kd->ctx, control))
		kfree(control);
}

static int cmd_on(struct damon_sysfs_kdamond *kd)
{
	struct damon_ctx *ctx;
	int err;

	if (kd_running(kd))
		return -EBUSY;
	ctx = build_ctx(kd_context(kd));
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	err = damon_validate_attrs(&ctx->attrs);
	if (err) {
		damon_destroy_ctx(ctx);
		return err;
	}
	if (kd->ctx)
		damon_destroy_ctx(kd->ctx);
	kd->ctx = NULL;
	err = damon_start(&ctx, 1, false);
	if (err) {
		damon_destroy_ctx(ctx);
		return err;
	}
	kd->ctx = ctx;
	start_refresh(kd);
	return 0;
}

static int cmd_off(struct damon_sysfs_kdamond *kd)
{
	if (!kd->ctx)
		return -EINVAL;
	/* stopping an already stopped context is not an error */
	damon_stop(&kd->ctx, 1);
	return 0;
}

static int cmd_commit(struct damon_sysfs_kdamond *kd)
{
	struct commit_arg arg = { .dst = kd->ctx };
	struct damon_call_control control = { .fn = commit_fn, .data = &arg };
	int err;

	if (!kd_running(kd))
		return -EINVAL;
	arg.src = build_ctx(kd_context(kd));
	if (IS_ERR(arg.src))
		return PTR_ERR(arg.src);
	err = damon_call(kd->ctx, &control);
	damon_destroy_ctx(arg.src);
	return err ? err : control.return_code;
}

static int cmd_commit_goals(struct damon_sysfs_kdamond *kd)
{
	if (!kd_running(kd))
		return -EINVAL;
	return kd_call(kd, commit_goals_fn);
}

static int cmd_update_stats(struct damon_sysfs_kdamond *kd)
{
	return kd_call(kd, update_stats_fn);
}

static int cmd_update_esz(struct damon_sysfs_kdamond *kd)
{
	return kd_call(kd, update_esz_fn);
}

static int cmd_update_intervals(struct damon_sysfs_kdamond *kd)
{
	return kd_call(kd, update_intervals_fn);
}

static int update_tried(struct damon_sysfs_kdamond *kd, bool bytes_only)
{
	if (!kd_running(kd))
		return -EINVAL;
	return damon_sysfs_schemes_update_tried(kd->ctx,
			kd_context(kd)->schemes, bytes_only);
}

static int cmd_update_tried_bytes(struct damon_sysfs_kdamond *kd)
{
	return update_tried(kd, true);
}

static int cmd_update_tried_regions(struct damon_sysfs_kdamond *kd)
{
	return update_tried(kd, false);
}

static int cmd_clear_tried_regions(struct damon_sysfs_kdamond *kd)
{
	damon_sysfs_schemes_clear_tried(kd_context(kd)->schemes);
	return 0;
}

enum damon_sysfs_cmd {
	/* start, stop, and hand new parameters to the kdamond */
	KD_CMD_ON,
	KD_CMD_OFF,
	KD_CMD_COMMIT,
	KD_CMD_COMMIT_SCHEMES_QUOTA_GOALS,
	/* refresh read-only files from the running kdamond */
	KD_CMD_UPDATE_TUNED_INTERVALS,
	KD_CMD_UPDATE_SCHEMES_EFFECTIVE_QUOTAS,
	KD_CMD_UPDATE_SCHEMES_STATS,
	KD_CMD_UPDATE_SCHEMES_TRIED_BYTES,
	KD_CMD_UPDATE_SCHEMES_TRIED_REGIONS,
	KD_CMD_CLEAR_SCHEMES_TRIED_REGIONS,
	KD_CMD_COUNT,
};

static const char * const damon_sysfs_cmd_names[] = {
	[KD_CMD_ON] = "on",
	[KD_CMD_OFF] = "off",
	[KD_CMD_COMMIT] = "commit",
	[KD_CMD_COMMIT_SCHEMES_QUOTA_GOALS] =
		"commit_schemes_quota_goals",
	[KD_CMD_UPDATE_SCHEMES_STATS] = "update_schemes_stats",
	[KD_CMD_UPDATE_SCHEMES_TRIED_BYTES] =
		"update_schemes_tried_bytes",
	[KD_CMD_UPDATE_SCHEMES_TRIED_REGIONS] =
		"update_schemes_tried_regions",
	[KD_CMD_CLEAR_SCHEMES_TRIED_REGIONS] =
		"clear_schemes_tried_regions",
	[KD_CMD_UPDATE_SCHEMES_EFFECTIVE_QUOTAS] =
		"update_schemes_effective_quotas",
	[KD_CMD_UPDATE_TUNED_INTERVALS] = "update_tuned_intervals",
};

static_assert(ARRAY_SIZE(damon_sysfs_cmd_names) == KD_CMD_COUNT);

static int (* const damon_sysfs_cmd_fns[])(struct damon_sysfs_kdamond *) = {
	[KD_CMD_ON] = cmd_on,
	[KD_CMD_OFF] = cmd_off,
	[KD_CMD_COMMIT] = cmd_commit,
	[KD_CMD_COMMIT_SCHEMES_QUOTA_GOALS] = cmd_commit_goals,
	[KD_CMD_UPDATE_SCHEMES_STATS] = cmd_update_stats,
	[KD_CMD_UPDATE_SCHEMES_TRIED_BYTES] = cmd_update_tried_bytes,
	[KD_CMD_UPDATE_SCHEMES_TRIED_REGIONS] =
		cmd_update_tried_regions,
	[KD_CMD_CLEAR_SCHEMES_TRIED_REGIONS] = cmd_clear_tried_regions,
	[KD_CMD_UPDATE_SCHEMES_EFFECTIVE_QUOTAS] = cmd_update_esz,
	[KD_CMD_UPDATE_TUNED_INTERVALS] = cmd_update_intervals,
};

static_assert(ARRAY_SIZE(damon_sysfs_cmd_fns) == KD_CMD_COUNT);

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct damon_sysfs_kdamond *kd = to_kdamond(to_damon_sysfs_dir(kobj));
	bool on;

	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	on = kd_running(kd);
	mutex_unlock(&damon_sysfs_lock);
	return sysfs_emit(buf, "%s\n", on ? "on" : "off");
}

static ssize_t state_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	struct damon_sysfs_kdamond *kd = to_kdamond(to_damon_sysfs_dir(kobj));
	int cmd, err;

	cmd = damon_sysfs_keyword(damon_sysfs_cmd_names,
				  ARRAY_SIZE(damon_sysfs_cmd_names), buf);
	if (cmd < 0)
		return cmd;
	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	if (cmd != KD_CMD_OFF && !kd_context(kd))
		err = -EINVAL;
	else
		err = damon_sysfs_cmd_fns[cmd](kd);
	mutex_unlock(&damon_sysfs_lock);
	return err ? err : count;
}

static ssize_t pid_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	struct damon_sysfs_kdamond *kd = to_kdamond(to_damon_sysfs_dir(kobj));
	int pid = -1;

	if (!mutex_trylock(&damon_sysfs_lock))
		return -EBUSY;
	if (kd->ctx)
		pid = damon_kdamond_pid(kd->ctx);
	mutex_unlock(&damon_sysfs_lock);
	return sysfs_emit(buf, "%d\n", pid < 0 ? -1 : pid);
}

static struct damon_sysfs_field kdamond_files[] = {
	DAMON_SYSFS_CUSTOM_FILE(__ATTR_RW_MODE(state, 0600)),
	DAMON_SYSFS_CUSTOM_FILE(__ATTR_RO_MODE(pid, 0400)),
	DAMON_SYSFS_UINT_FILE(struct damon_sysfs_kdamond, refresh_ms),
};

/* The context is not running: removing kdamonds/<K> requires that. */
static void kdamond_release(struct damon_sysfs_dir *dir)
{
	struct damon_sysfs_kdamond *kd = to_kdamond(dir);

	if (kd->ctx)
		damon_destroy_ctx(kd->ctx);
}

static const struct damon_sysfs_subdir kdamond_subdirs[] = {
	DAMON_SYSFS_SUBDIR("contexts", contexts_type,
			   struct damon_sysfs_kdamond, contexts),
	{},
};

DAMON_SYSFS_DIR_TYPE(kdamond_type, struct damon_sysfs_kdamond, kdamond_files,
		     .subdirs = kdamond_subdirs, .release = kdamond_release);

static int kdamonds_may_resize(struct damon_sysfs_dir *arr)
{
	int i;

	lockdep_assert_held(&damon_sysfs_lock);
	for (i = 0; i < arr->nr; i++) {
		if (kd_running(to_kdamond(arr->elems[i])))
			return -EBUSY;
	}
	return 0;
}

static struct damon_sysfs_field kdamonds_files[] = {
	DAMON_SYSFS_NR_FILE(nr_kdamonds),
};

DAMON_SYSFS_DIR_TYPE(kdamonds_type, struct damon_sysfs_dir, kdamonds_files,
		     .elem_type = &kdamond_type,
		     .may_resize = kdamonds_may_resize);

static const struct damon_sysfs_subdir admin_subdirs[] = {
	DAMON_SYSFS_SUBDIR("kdamonds", kdamonds_type, struct damon_sysfs_admin,
			   kdamonds),
	{},
};

DAMON_SYSFS_BARE_DIR_TYPE(admin_type, struct damon_sysfs_admin,
			  .subdirs = admin_subdirs);

/* ===== Initialisation ===== */

static int __init damon_sysfs_init(void)
{
	struct kobject *damon_kobj;
	struct damon_sysfs_dir *admin;

	damon_kobj = kobject_create_and_add("damon", mm_kobj);
	if (!damon_kobj)
		return -ENOMEM;
	mutex_lock(&damon_sysfs_lock);
	admin = damon_sysfs_dir_new(damon_kobj, NULL, &admin_type, "admin");
	mutex_unlock(&damon_sysfs_lock);
	if (IS_ERR(admin)) {
		kobject_put(damon_kobj);
		return PTR_ERR(admin);
	}
	return 0;
}
subsys_initcall(damon_sysfs_init);

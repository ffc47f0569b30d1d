// SPDX-License-Identifier: GPL-2.0
/*
 * Access-sample control: where a context's access samples come from (the
 * Accessed bits of page tables, or page-fault access reports), the filters
 * that decide which reports count, the buffer reports wait in, and how the
 * kdamond turns them into region counters.
 *
 * Reports are pushed into one global ring by whoever saw the access (the
 * page-fault handler, for now) and read by every kdamond in the fault-report
 * mode.  Each kdamond keeps its own read position, so a report counts once
 * per context, and one that is overwritten before a kdamond read it is
 * counted as dropped by that kdamond.  The ring never blocks a writer: the
 * page-fault path holds a page-table lock when it reports.
 *
 * Locking: the ring is protected by damon_reports_lock (IRQ-safe, a leaf
 * lock); damon_reports_mutex serialises its allocation and freeing, which
 * the kdamonds do as they enter and leave the mode.  Everything else here
 * belongs to the context's owner (the kdamond while it runs).
 */

#include <kunit/visibility.h>
#include <linux/atomic.h>
#include <linux/damon.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/sysctl.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>

#include "internal.h"

/* ===== Sample filters ===== */

/**
 * damon_new_sample_filter() - Allocate an access-report filter.
 * @type:	What it tests.
 * @matching:	Whether it is about the reports that pass the test.
 * @allow:	Whether the reports it is about count.
 *
 * A %DAMON_FILTER_TYPE_CPUMASK filter starts with an empty mask and a
 * %DAMON_FILTER_TYPE_THREADS one without threads; set
 * &damon_sample_filter->cpumask or &damon_sample_filter->tid_arr (a
 * kmalloc()ed array the filter then owns) before using it.
 *
 * Context: Process context; may sleep.
 * Return: The filter, or NULL on allocation failure.
 */
struct damon_sample_filter *
damon_new_sample_filter(enum damon_sample_filter_type type, bool matching,
			bool allow)
{
	struct damon_sample_filter *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	f->type = type;
	f->matching = matching;
	f->allow = allow;
	INIT_LIST_HEAD(&f->list);
	return f;
}

/**
 * damon_add_sample_filter() - Append a filter to a sample control.
 * @ctrl:	The sample control (&damon_ctx->sample_control).
 * @f:		The filter; evaluated after those already there.
 *
 * Context: Caller owns the context of @ctrl.
 */
void damon_add_sample_filter(struct damon_sample_control *ctrl,
			     struct damon_sample_filter *f)
{
	list_add_tail(&f->list, &ctrl->sample_filters);
}

/**
 * damon_free_sample_filter() - Free a filter that is on no list.
 * @f:		The filter (NULL is fine).
 *
 * Context: Process context.
 */
void damon_free_sample_filter(struct damon_sample_filter *f)
{
	if (!f)
		return;
	if (f->type == DAMON_FILTER_TYPE_THREADS)
		kfree(f->tid_arr);
	kfree(f);
}

/**
 * damon_destroy_sample_filter() - Unlink and free a filter.
 * @f:		The filter.
 * @ctrl:	The sample control @f is on.
 *
 * Context: Caller owns the context of @ctrl.
 */
void damon_destroy_sample_filter(struct damon_sample_filter *f,
				 struct damon_sample_control *ctrl)
{
	list_del(&f->list);
	damon_free_sample_filter(f);
}

void damon_destroy_sample_filters(struct damon_sample_control *ctrl)
{
	struct damon_sample_filter *f, *next;

	damon_for_each_sample_filter_safe(f, next, ctrl)
		damon_destroy_sample_filter(f, ctrl);
}

/* Whether a report passes the test of @f's type. */
static bool damon_sample_filter_test(const struct damon_sample_filter *f,
				     const struct damon_access_report *r)
{
	int i;

	switch (f->type) {
	case DAMON_FILTER_TYPE_CPUMASK:
		return r->cpu < nr_cpumask_bits &&
			cpumask_test_cpu(r->cpu, &f->cpumask);
	case DAMON_FILTER_TYPE_THREADS:
		for (i = 0; i < f->nr_tids; i++)
			if (f->tid_arr[i] == r->tid)
				return true;
		return false;
	case DAMON_FILTER_TYPE_WRITE:
		return r->is_write;
	}
	return false;
}

/**
 * damon_sample_filters_pass() - Whether an access report counts.
 * @ctrl:	The sample control whose filters decide.
 * @r:		The report.
 *
 * Every filter must let @r through: a filter is about @r when its test
 * result equals its &damon_sample_filter->matching, and lets @r through
 * exactly when that equals its &damon_sample_filter->allow.  Without filters
 * every report counts.  (The filters combine with AND, so that, e.g., a
 * write filter and a CPU filter together keep the writes of those CPUs.)
 *
 * Return: true if @r counts.
 */
VISIBLE_IF_KUNIT bool
damon_sample_filters_pass(const struct damon_sample_control *ctrl,
			  const struct damon_access_report *r)
{
	const struct damon_sample_filter *f;

	damon_for_each_sample_filter(f, ctrl) {
		bool about = damon_sample_filter_test(f, r) == f->matching;

		if (about != f->allow)
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(damon_sample_filters_pass);

/* ===== Validation and commit ===== */

/**
 * damon_valid_sample_control() - Check a sample control before it is used.
 * @ctrl:	The sample control.
 *
 * Return: 0, or -EINVAL if not exactly one primitive is enabled, the fault
 * primitive is enabled on a kernel that cannot make pages inaccessible for
 * it (no %CONFIG_NUMA_BALANCING), or a threads filter has no thread.
 */
int damon_valid_sample_control(const struct damon_sample_control *ctrl)
{
	const struct damon_primitives_enabled *p = &ctrl->primitives_enabled;
	const struct damon_sample_filter *f;

	if (p->page_table == p->page_fault)
		return -EINVAL;
	if (p->page_fault && !IS_ENABLED(CONFIG_NUMA_BALANCING))
		return -EINVAL;
	damon_for_each_sample_filter(f, ctrl)
		if (f->type == DAMON_FILTER_TYPE_THREADS &&
		    (!f->tid_arr || f->nr_tids <= 0))
			return -EINVAL;
	return 0;
}

static struct damon_sample_filter *
damon_copy_sample_filter(const struct damon_sample_filter *src)
{
	struct damon_sample_filter *f;

	f = damon_new_sample_filter(src->type, src->matching, src->allow);
	if (!f)
		return NULL;
	switch (src->type) {
	case DAMON_FILTER_TYPE_CPUMASK:
		cpumask_copy(&f->cpumask, &src->cpumask);
		break;
	case DAMON_FILTER_TYPE_THREADS:
		f->tid_arr = kmemdup_array(src->tid_arr, src->nr_tids,
					   sizeof(*src->tid_arr), GFP_KERNEL);
		if (!f->tid_arr) {
			kfree(f);
			return NULL;
		}
		f->nr_tids = src->nr_tids;
		break;
	case DAMON_FILTER_TYPE_WRITE:
		break;
	}
	return f;
}

/**
 * damon_commit_sample_control() - Make one sample control a copy of another.
 * @dst:	The sample control to update.
 * @src:	The one to copy; checked with damon_valid_sample_control().
 *
 * The primitives and the whole filter list (types, arguments, order) become
 * @src's.  The copy is built before anything of @dst changes, so a failure
 * leaves @dst as it was.  The kdamond switches primitives at its next
 * sampling interval; region counters are kept.
 *
 * Context: Caller owns the contexts of both.  May sleep.
 * Return: 0, -EINVAL if @src is invalid, or -ENOMEM.
 */
int damon_commit_sample_control(struct damon_sample_control *dst,
				const struct damon_sample_control *src)
{
	const struct damon_sample_filter *sf;
	struct damon_sample_filter *f, *next;
	LIST_HEAD(copies);
	int err;

	err = damon_valid_sample_control(src);
	if (err)
		return err;
	damon_for_each_sample_filter(sf, src) {
		f = damon_copy_sample_filter(sf);
		if (!f)
			goto nomem;
		list_add_tail(&f->list, &copies);
	}
	damon_destroy_sample_filters(dst);
	list_splice_tail(&copies, &dst->sample_filters);
	dst->primitives_enabled = src->primitives_enabled;
	return 0;
nomem:
	list_for_each_entry_safe(f, next, &copies, list)
		damon_free_sample_filter(f);
	return -ENOMEM;
}

/* ===== The report ring ===== */

/*
 * The ring exists only while a kdamond is in the fault-report mode, and
 * holds four reports per region of the biggest such context (each region
 * has one page armed per interval, and pages armed in the interval before
 * may still report; twice that for margin), a power of two within these
 * bounds.  40 KiB to 2.5 MiB on 64-bit.
 */
#define DAMON_MIN_REPORTS	1024
#define DAMON_MAX_REPORTS	65536

/* protected by damon_reports_lock */
static struct damon_access_report *damon_reports;
static unsigned int damon_nr_reports;
/* Number of reports ever pushed; the next one goes to head % size. */
static u64 damon_reports_head;
/* Sequence number of the oldest report the ring may hold. */
static u64 damon_reports_first;
static DEFINE_SPINLOCK(damon_reports_lock);

/* Serialises the ring's allocation; protects damon_reports_users. */
static DEFINE_MUTEX(damon_reports_mutex);
static unsigned int damon_reports_users;

/*
 * The number of kdamonds in the fault-report mode.  A counter, not a static
 * key: damon_wants_page_fault() is an out-of-line call on a fault path
 * already, so a branch on a load costs nothing more, and a key would patch
 * kernel text each time a kdamond enters or leaves the mode (under QEMU
 * TCG a vCPU once executed the int3 of such a patch after it was done).
 */
static atomic_t damon_nr_fault_kdamonds = ATOMIC_INIT(0);

/**
 * damon_report_access() - Tell DAMON about one access.
 * @report:	The access; copied.
 *
 * Every context in the fault-report mode will see the report at the end of
 * its current sampling interval, if its sample filters let it through and a
 * region holds its address.  Reports made while no kdamond is in that mode
 * are ignored.  Never sleeps; when kdamonds read too slowly,
 * the oldest reports are overwritten, and counted as dropped by each
 * kdamond that did not read them.
 *
 * Context: Any context but NMI.
 */
void damon_report_access(struct damon_access_report *report)
{
	unsigned long flags;

	spin_lock_irqsave(&damon_reports_lock, flags);
	/* no ring: no kdamond would read it */
	if (damon_reports) {
		damon_reports[damon_reports_head & (damon_nr_reports - 1)] =
			*report;
		damon_reports_head++;
	}
	spin_unlock_irqrestore(&damon_reports_lock, flags);
}

/**
 * damon_wants_page_fault() - Whether a protnone fault is DAMON's to handle.
 *
 * The fault handlers of mm/memory.c and mm/huge_memory.c ask this on every
 * fault of an inaccessible (NUMA-hinting style) entry in an accessible VMA.
 * DAMON takes such faults only while a kdamond is in the fault-report mode
 * and NUMA balancing, whose faults they otherwise are, is off; it then
 * restores the entry without migrating the page and reports the access.
 *
 * Context: Any context.
 * Return: true if the caller should call damon_report_page_fault() and
 * restore the entry instead of doing NUMA balancing's work.
 */
bool damon_wants_page_fault(void)
{
	return atomic_read(&damon_nr_fault_kdamonds) &&
		sysctl_numa_balancing_mode == NUMA_BALANCING_DISABLED;
}

#ifdef CONFIG_MMU
/**
 * damon_report_page_fault() - Report the access behind a protnone fault.
 * @vmf:	The fault, with &vm_fault->orig_pte (or orig_pmd) the entry
 *		that faulted.
 * @huge_pmd:	The entry is a PMD mapping a huge page.
 *
 * The report's physical address is that of the page accessed (within a
 * huge page too), its thread and CPU those of the fault.
 *
 * Context: The page-fault handler, under the page-table lock of the entry
 * (see damon_wants_page_fault()).
 */
void damon_report_page_fault(struct vm_fault *vmf, bool huge_pmd)
{
	struct damon_access_report report = {
		.vaddr = vmf->address & PAGE_MASK,
		.size = PAGE_SIZE,
		.cpu = raw_smp_processor_id(),
		.tid = task_pid_nr(current),
		.tgid = task_tgid_nr(current),
		.is_write = !!(vmf->flags & FAULT_FLAG_WRITE),
	};
	unsigned long pfn;

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (huge_pmd)
		pfn = pmd_pfn(vmf->orig_pmd) +
			((vmf->address & ~HPAGE_PMD_MASK) >> PAGE_SHIFT);
	else
#endif
		pfn = pte_pfn(vmf->orig_pte);
	report.paddr = PFN_PHYS(pfn);
	damon_report_access(&report);
}
#endif /* CONFIG_MMU */

/* ===== The kdamond's side ===== */

/* The ring size that @ctx needs. */
static unsigned int damon_reports_wanted(struct damon_ctx *ctx)
{
	unsigned long n = 4UL * ctx->attrs.max_nr_regions;

	return roundup_pow_of_two(clamp(n, (unsigned long)DAMON_MIN_REPORTS,
					(unsigned long)DAMON_MAX_REPORTS));
}

/*
 * Take a reference of the ring, making it hold at least @n reports.  A
 * ring that grows loses what it held: readers count that as dropped.
 */
static int damon_reports_get(unsigned int n)
{
	struct damon_access_report *new = NULL, *old = NULL;

	mutex_lock(&damon_reports_mutex);
	if (n > damon_nr_reports) {
		new = kvcalloc(n, sizeof(*new), GFP_KERNEL);
		if (!new) {
			mutex_unlock(&damon_reports_mutex);
			return -ENOMEM;
		}
		spin_lock_irq(&damon_reports_lock);
		old = damon_reports;
		damon_reports = new;
		damon_nr_reports = n;
		damon_reports_first = damon_reports_head;
		spin_unlock_irq(&damon_reports_lock);
	}
	damon_reports_users++;
	mutex_unlock(&damon_reports_mutex);
	kvfree(old);
	return 0;
}

/* Drop a reference of the ring; the last one frees it. */
static void damon_reports_put(void)
{
	struct damon_access_report *old = NULL;

	mutex_lock(&damon_reports_mutex);
	if (!--damon_reports_users) {
		spin_lock_irq(&damon_reports_lock);
		old = damon_reports;
		damon_reports = NULL;
		damon_nr_reports = 0;
		spin_unlock_irq(&damon_reports_lock);
	}
	mutex_unlock(&damon_reports_mutex);
	kvfree(old);
}

/* What a report counts for: an address of the context's address space. */
struct damon_report_key {
	unsigned long addr;
	pid_t tgid;
};

/**
 * damon_sample_sync() - Follow the context's choice of primitive.
 * @ctx:	The context.
 *
 * Called by the kdamond before each sampling interval.  On entering the
 * fault-report mode the kdamond takes a reference of the report ring (sized
 * for its &damon_attrs->max_nr_regions) and of the fault routing key, and
 * starts reading the reports made from now on; on leaving it drops both.
 *
 * Context: The kdamond of @ctx.  May sleep.
 * Return: true if the context samples by page-fault reports.
 */
bool damon_sample_sync(struct damon_ctx *ctx)
{
	struct damon_sample_control *ctrl = &ctx->sample_control;
	bool faults = ctrl->primitives_enabled.page_fault;

	if (faults == ctrl->faults_on)
		return faults;
	if (faults) {
		unsigned int n = damon_reports_wanted(ctx);

		/* on failure, tried again at the next interval */
		kvfree(ctrl->keys);
		ctrl->keys = kvmalloc_array(n, sizeof(*ctrl->keys),
					    GFP_KERNEL);
		if (!ctrl->keys)
			return false;
		if (damon_reports_get(n)) {
			kvfree(ctrl->keys);
			ctrl->keys = NULL;
			return false;
		}
		ctrl->nr_keys = n;
		atomic_inc(&damon_nr_fault_kdamonds);
		spin_lock_irq(&damon_reports_lock);
		ctrl->next_report = damon_reports_head;
		spin_unlock_irq(&damon_reports_lock);
	} else {
		atomic_dec(&damon_nr_fault_kdamonds);
		damon_reports_put();
	}
	ctrl->faults_on = faults;
	return faults;
}

/**
 * damon_sample_stop() - Leave the fault-report mode for good.
 * @ctx:	The context whose kdamond is about to exit.
 *
 * Pages the kdamond armed stay armed: their next access faults once more
 * and is handled as NUMA balancing's (or DAMON's, if another context is in
 * the mode), which restores them.
 *
 * Context: The kdamond of @ctx.  May sleep.
 */
void damon_sample_stop(struct damon_ctx *ctx)
{
	struct damon_sample_control *ctrl = &ctx->sample_control;

	if (ctrl->faults_on) {
		atomic_dec(&damon_nr_fault_kdamonds);
		damon_reports_put();
	}
	ctrl->faults_on = false;
	kvfree(ctrl->keys);
	ctrl->keys = NULL;
}

#define DAMON_REPORTS_BATCH	16

/*
 * Copy up to @max reports that @ctrl has not read into @buf.  Reports
 * overwritten since the last read are counted as dropped.
 */
static unsigned int damon_read_reports(struct damon_sample_control *ctrl,
				       struct damon_access_report *buf,
				       unsigned int max)
{
	unsigned int i, n;
	u64 head, oldest;

	spin_lock_irq(&damon_reports_lock);
	head = damon_reports_head;
	oldest = max(damon_reports_first, head > damon_nr_reports ?
		     head - damon_nr_reports : 0);
	if (ctrl->next_report < oldest) {
		ctrl->nr_dropped += oldest - ctrl->next_report;
		ctrl->next_report = oldest;
	}
	n = min_t(u64, head - ctrl->next_report, max);
	for (i = 0; i < n; i++)
		buf[i] = damon_reports[(ctrl->next_report + i) &
				       (damon_nr_reports - 1)];
	ctrl->next_report += n;
	spin_unlock_irq(&damon_reports_lock);
	return n;
}

/*
 * The key of a report in @ctx's address space: its virtual address and
 * process for virtual-address contexts, its physical address in address
 * units for paddr.
 */
static struct damon_report_key damon_report_key_of(struct damon_ctx *ctx,
				const struct damon_access_report *r)
{
	if (damon_target_has_pid(ctx))
		return (struct damon_report_key){ r->vaddr, r->tgid };
	return (struct damon_report_key){
		.addr = r->paddr / max(ctx->addr_unit, 1UL),
	};
}

/* Gather the keys of the new reports that pass the filters. */
static unsigned int damon_collect_reports(struct damon_ctx *ctx)
{
	struct damon_sample_control *ctrl = &ctx->sample_control;
	struct damon_access_report buf[DAMON_REPORTS_BATCH];
	unsigned int nr = 0, n, i;

	do {
		n = damon_read_reports(ctrl, buf, ARRAY_SIZE(buf));
		for (i = 0; i < n && nr < ctrl->nr_keys; i++)
			if (damon_sample_filters_pass(ctrl, &buf[i]))
				ctrl->keys[nr++] = damon_report_key_of(ctx,
								       &buf[i]);
	} while (n == ARRAY_SIZE(buf));
	return nr;
}

static int damon_report_key_cmp(const void *a, const void *b)
{
	const struct damon_report_key *ka = a, *kb = b;

	if (ka->tgid != kb->tgid)
		return ka->tgid < kb->tgid ? -1 : 1;
	if (ka->addr != kb->addr)
		return ka->addr < kb->addr ? -1 : 1;
	return 0;
}

/* The process whose reports count for @t (0: none, or not a process). */
static pid_t damon_target_tgid(struct damon_ctx *ctx, struct damon_target *t)
{
	struct task_struct *task;
	pid_t tgid = 0;

	if (!damon_target_has_pid(ctx) || !t->pid)
		return 0;
	rcu_read_lock();
	task = pid_task(t->pid, PIDTYPE_PID);
	if (task)
		tgid = task_tgid_nr(task);
	rcu_read_unlock();
	return tgid;
}

/* Index of the first of the @nr sorted @keys with a tgid not below @tgid. */
static unsigned int damon_keys_lower_bound(const struct damon_report_key *keys,
					   unsigned int nr, pid_t tgid)
{
	unsigned int lo = 0, hi = nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (keys[mid].tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Count one sampling interval of @t from the sorted @keys: a region is
 * accessed if a key of @t's process falls in it.  The accessed address
 * becomes the region's sample, for the guided cuts.
 */
static unsigned int damon_count_target_reports(struct damon_ctx *ctx,
		struct damon_target *t, const struct damon_report_key *keys,
		unsigned int nr, pid_t tgid, bool match_tgid)
{
	unsigned int i = match_tgid ? damon_keys_lower_bound(keys, nr, tgid) : 0;
	unsigned int max_nr = 0;
	struct damon_region *r;

	damon_for_each_region(r, t) {
		bool accessed;

		while (i < nr && (!match_tgid || keys[i].tgid == tgid) &&
		       keys[i].addr < r->ar.start)
			i++;
		accessed = i < nr && (!match_tgid || keys[i].tgid == tgid) &&
			keys[i].addr < r->ar.end;
		if (accessed)
			r->sampling_addr = keys[i].addr;
		damon_update_region_access_rate(r, accessed, &ctx->attrs);
		max_nr = max(max_nr, r->nr_accesses);
	}
	return max_nr;
}

/**
 * damon_check_reports() - The fault-report mode's access check.
 * @ctx:	The context.
 *
 * Counts at most one access per region for the sampling interval that just
 * ended: a region is accessed if a report that passed the sample filters
 * since the last check falls in it (for a virtual-address target, a report
 * of the target's process).  Every other region is counted as not accessed.
 *
 * Context: The kdamond of @ctx, in the fault-report mode.
 * Return: The highest &damon_region->nr_accesses, as check_accesses.
 */
unsigned int damon_check_reports(struct damon_ctx *ctx)
{
	struct damon_report_key *keys = ctx->sample_control.keys;
	bool pids = damon_target_has_pid(ctx);
	unsigned int nr, max_nr = 0;
	struct damon_target *t;

	nr = damon_collect_reports(ctx);
	sort(keys, nr, sizeof(*keys), damon_report_key_cmp, NULL);
	damon_for_each_target(t, ctx) {
		pid_t tgid = damon_target_tgid(ctx, t);

		/* a process that is gone gets no report, but still decays */
		max_nr = max(max_nr, damon_count_target_reports(ctx, t, keys,
				pids && !tgid ? 0 : nr, tgid, pids));
	}
	return max_nr;
}

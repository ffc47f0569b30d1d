// SPDX-License-Identifier: GPL-2.0
/*
 * Handing work to a running kdamond: damon_call() runs a function in it,
 * damos_walk() shows the regions its schemes act on.  Both are requests
 * queued by another thread and served by the kdamond between two samples,
 * with no DAMON lock held while the request's function runs.
 *
 * Locking (see the lock-ordering block in core.c): a request is queued
 * under ctx->kdamond_lock, which keeps the kdamond from exiting meanwhile,
 * and the queue's own lock (call_controls_lock, walk_control_lock).  The
 * kdamond takes only the queue's lock, to take requests off it; when it
 * exits it cancels what is left while holding kdamond_lock, so a request is
 * either served, cancelled, or refused with -EINVAL.
 */

#include <linux/damon.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "internal.h"

/* ===== The requester's side ===== */

/*
 * The common part of damon_call() and damos_walk(): check that @ctx has a
 * kdamond other than us, queue the request with @queue(@ctx, @req) and wake
 * the kdamond.  @queue runs under kdamond_lock.
 */
static int damon_hand_off(struct damon_ctx *ctx,
			  int (*queue)(struct damon_ctx *ctx, void *req),
			  void *req)
{
	int err;

	mutex_lock(&ctx->kdamond_lock);
	if (!ctx->kdamond)
		err = -EINVAL;
	else if (WARN_ON_ONCE(ctx->kdamond == current))
		err = -EDEADLK;
	else
		err = queue(ctx, req);
	if (!err) {
		/* cut an idle sleep short; paired with kdamond_wait() */
		WRITE_ONCE(ctx->requests_pending, true);
		wake_up_process(ctx->kdamond);
	}
	mutex_unlock(&ctx->kdamond_lock);
	return err;
}

static int damon_queue_call(struct damon_ctx *ctx, void *req)
{
	struct damon_call_control *control = req;

	lockdep_assert_held(&ctx->kdamond_lock);
	mutex_lock(&ctx->call_controls_lock);
	list_add_tail(&control->list, &ctx->call_controls);
	mutex_unlock(&ctx->call_controls_lock);
	return 0;
}

/**
 * damon_call() - Run a function in a context's kdamond.
 * @ctx:	The context.
 * @control:	The request: function, argument, and whether to repeat.
 *
 * The kdamond runs @control->fn(@control->data) at the start of its next
 * main-loop iteration (at most one sampling interval later), with no DAMON
 * lock held, and stores the result in @control->return_code.  There it may
 * freely read and update the context (e.g. with damon_commit_ctx()).
 *
 * A one-shot request (!@control->repeat) waits for that.  A repeat request
 * returns at once; its function then runs in every iteration until the
 * kdamond stops, when the request is cancelled (and kfree()d if
 * @control->dealloc_on_cancel).
 *
 * Context: Process context, not the kdamond of @ctx; sleeps.  Takes
 * kdamond_lock and call_controls_lock.
 * Return: 0 on success; -EINVAL if @ctx is not running; -ECANCELED if the
 * kdamond stopped before handling a one-shot request.
 */
int damon_call(struct damon_ctx *ctx, struct damon_call_control *control)
{
	int err;

	init_completion(&control->completion);
	control->canceled = false;
	INIT_LIST_HEAD(&control->list);
	err = damon_hand_off(ctx, damon_queue_call, control);
	if (err || control->repeat)
		return err;
	wait_for_completion(&control->completion);
	return control->canceled ? -ECANCELED : 0;
}

/* One walk at a time: a second one waits for nothing and gets -EBUSY. */
static int damon_queue_walk(struct damon_ctx *ctx, void *req)
{
	int err = 0;

	lockdep_assert_held(&ctx->kdamond_lock);
	mutex_lock(&ctx->walk_control_lock);
	if (ctx->walk_control)
		err = -EBUSY;
	else
		WRITE_ONCE(ctx->walk_control, req);
	mutex_unlock(&ctx->walk_control_lock);
	return err;
}

/**
 * damos_walk() - Look at the regions the schemes of a context act on.
 * @ctx:	The context.
 * @control:	The request: function and argument.
 *
 * From the next apply round of each scheme on, the kdamond calls
 * @control->walk_fn for every region that scheme is about to apply its
 * action to.  Returns once every scheme has completed one such round.
 *
 * Context: Process context, not the kdamond of @ctx; sleeps.  Takes
 * kdamond_lock and walk_control_lock.
 * Return: 0 on success; -EINVAL if @ctx is not running; -EBUSY if another
 * walk is pending on @ctx; -ECANCELED if the kdamond stopped first.
 */
int damos_walk(struct damon_ctx *ctx, struct damos_walk_control *control)
{
	int err;

	init_completion(&control->completion);
	control->canceled = false;
	err = damon_hand_off(ctx, damon_queue_walk, control);
	if (err)
		return err;
	wait_for_completion(&control->completion);
	return control->canceled ? -ECANCELED : 0;
}

/* ===== The kdamond's side ===== */

/*
 * Run the pending damon_call() requests.  One-shot requests are completed
 * and dropped, repeat ones stay queued.  With @cancel, every request is
 * cancelled instead (the kdamond is exiting).  Returns whether a one-shot
 * request ran: those are what may change the context (a commit, say); the
 * repeat ones read it.
 *
 * The requests are taken off the shared list first so that no lock is held
 * while their functions run.  Paired with damon_call(), which queues only
 * while holding kdamond_lock and seeing a kdamond, and kdamond_teardown(),
 * which cancels while holding kdamond_lock before clearing ctx->kdamond.
 */
bool kdamond_run_calls(struct damon_ctx *ctx, bool cancel)
{
	struct damon_call_control *c, *next;
	bool ran_once = false;
	LIST_HEAD(todo);
	LIST_HEAD(keep);

	if (cancel)
		lockdep_assert_held(&ctx->kdamond_lock);
	/* before looking: a request queued from now on sets it again */
	WRITE_ONCE(ctx->requests_pending, false);
	mutex_lock(&ctx->call_controls_lock);
	list_splice_init(&ctx->call_controls, &todo);
	mutex_unlock(&ctx->call_controls_lock);

	list_for_each_entry_safe(c, next, &todo, list) {
		list_del_init(&c->list);
		if (cancel) {
			c->canceled = true;
			if (c->repeat && c->dealloc_on_cancel)
				kfree(c);
			else
				complete(&c->completion);
			continue;
		}
		c->return_code = c->fn(c->data);
		if (c->repeat) {
			list_add_tail(&c->list, &keep);
		} else {
			complete(&c->completion);
			ran_once = true;
		}
	}
	if (list_empty(&keep))
		return ran_once;
	mutex_lock(&ctx->call_controls_lock);
	list_splice(&keep, &ctx->call_controls);
	mutex_unlock(&ctx->call_controls_lock);
	return ran_once;
}

/**
 * kdamond_walk_finish() - Answer the pending damos_walk(), if any.
 * @ctx:	The context.
 * @canceled:	Whether the walk is cancelled (the kdamond exits) rather
 *		than done.
 *
 * Context: The kdamond of @ctx; takes walk_control_lock.
 */
void kdamond_walk_finish(struct damon_ctx *ctx, bool canceled)
{
	struct damos_walk_control *w;

	mutex_lock(&ctx->walk_control_lock);
	w = ctx->walk_control;
	WRITE_ONCE(ctx->walk_control, NULL);
	mutex_unlock(&ctx->walk_control_lock);
	ctx->walk_active = NULL;
	if (!w)
		return;
	w->canceled = canceled;
	complete(&w->completion);
}

/**
 * kdamond_walk_begin() - Pick up a newly requested damos_walk().
 * @ctx:	The context.
 *
 * Called before the schemes are applied, so that a walk only ever sees
 * whole apply rounds.  A context without schemes answers at once.
 *
 * Context: The kdamond of @ctx; takes walk_control_lock.
 * Return: The walk being served (&damon_ctx->walk_active), or NULL.
 */
struct damos_walk_control *kdamond_walk_begin(struct damon_ctx *ctx)
{
	struct damos_walk_control *w;
	struct damos *s;

	if (ctx->walk_active)
		return ctx->walk_active;
	mutex_lock(&ctx->walk_control_lock);
	w = ctx->walk_control;
	mutex_unlock(&ctx->walk_control_lock);
	if (!w)
		return NULL;
	ctx->walk_active = w;
	damon_for_each_scheme(s, ctx)
		s->walk_completed = false;
	if (list_empty(&ctx->schemes)) {
		kdamond_walk_finish(ctx, false);
		return NULL;
	}
	return w;
}

/**
 * kdamond_walk_end() - Finish the walk once every scheme did a round.
 * @ctx:	The context.
 *
 * Called after the DAMOS engine returned: it marks each scheme that
 * completed an apply round of the walk (&damos->walk_completed).
 *
 * Context: The kdamond of @ctx.
 */
void kdamond_walk_end(struct damon_ctx *ctx)
{
	struct damos *s;

	if (!ctx->walk_active)
		return;
	damon_for_each_scheme(s, ctx)
		if (!s->walk_completed)
			return;
	kdamond_walk_finish(ctx, false);
}

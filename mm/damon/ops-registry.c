// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON operation set registry: the operation sets (vaddr, fvaddr, paddr)
 * register themselves here at boot, and contexts select one by id.
 *
 * Locking: damon_ops_lock protects the table; it is a leaf (nothing else
 * is taken under it).  A selected set is copied into the context, so a
 * running kdamond never looks at the table.
 */

#include <linux/damon.h>
#include <linux/mutex.h>

/* Protects damon_registered_ops and damon_ops_registered. */
static DEFINE_MUTEX(damon_ops_lock);
static struct damon_operations damon_registered_ops[NR_DAMON_OPS];
static bool damon_ops_registered[NR_DAMON_OPS];

/**
 * damon_is_registered_ops() - Tell whether an operation set is registered.
 * @id:	Id of the operation set.
 *
 * Context: Process context; takes damon_ops_lock.
 * Return: true if @id is registered.
 */
bool damon_is_registered_ops(enum damon_ops_id id)
{
	if (id >= NR_DAMON_OPS)
		return false;
	guard(mutex)(&damon_ops_lock);
	return damon_ops_registered[id];
}

/**
 * damon_register_ops() - Register an operation set.
 * @ops:	The operation set; registered under @ops->id.
 *
 * Context: Process context; takes damon_ops_lock.
 * Return: 0 on success, -EINVAL if @ops->id is invalid or already taken.
 */
int damon_register_ops(struct damon_operations *ops)
{
	if (ops->id >= NR_DAMON_OPS)
		return -EINVAL;
	guard(mutex)(&damon_ops_lock);
	/* the first registration of an id wins for the kernel's lifetime */
	if (damon_ops_registered[ops->id])
		return -EINVAL;
	damon_registered_ops[ops->id] = *ops;
	damon_ops_registered[ops->id] = true;
	return 0;
}

/**
 * damon_select_ops() - Make a context use a registered operation set.
 * @ctx:	The context.
 * @id:		Id of the operation set.
 *
 * Context: Process context; takes damon_ops_lock.  Caller owns @ctx.
 * Return: 0 on success, -EINVAL if @id is not registered.
 */
int damon_select_ops(struct damon_ctx *ctx, enum damon_ops_id id)
{
	if (id >= NR_DAMON_OPS)
		return -EINVAL;
	guard(mutex)(&damon_ops_lock);
	if (!damon_ops_registered[id])
		return -EINVAL;
	ctx->ops = damon_registered_ops[id];
	return 0;
}


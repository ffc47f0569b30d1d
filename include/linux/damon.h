/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON: Data Access MONitor - public kernel API.
 */
#ifndef _LINUX_DAMON_H
#define _LINUX_DAMON_H

#include <linux/types.h>

bool damon_initialized(void);

#endif /* _LINUX_DAMON_H */

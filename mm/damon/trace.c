// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON tracepoints: the one place that instantiates them.
 *
 * Every DAMON file that emits an event includes <trace/events/damon.h>
 * and links against the definitions made here, so emitting an event makes
 * no file depend on another DAMON file.
 */

#define CREATE_TRACE_POINTS
#include <trace/events/damon.h>

/*
 * selfcheck.h - the planner's start-up check that the llama.cpp it runs
 * on plans like the one it was built against: a golden self-plan of a tiny
 * header-only model. Headers of one tag and libraries of another fill the
 * backend interfaces' slots wrongly without any error; this catches it
 * before a user's model is loaded (with --engine-lib and always).
 */
#ifndef VRAMSIM_SELFCHECK_H
#define VRAMSIM_SELFCHECK_H

#include <stddef.h>

/* 0 when the plan matches; -1 with why (size n) saying what differs.
 * Uses the virtual devices 0 and 1 (vdev.h, registered). */
int selfcheck_run(char *why, size_t n);

/* selfcheck_run, or its pass at an earlier start in a process made of the
 * very same files (the planner, every library mapped, this CPU, the GGML_
 * and LLAMA_ environment; stamp.h), scope naming the library folder.
 * *cached: 1 when the earlier pass stood in. A failure is never kept; with
 * VRAMSIM_ENGINE_SELFCHECK set (print, always) the plan always runs. */
int selfcheck_verdict(const char *scope, int *cached, char *why, size_t n);

#endif

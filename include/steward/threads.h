/* threads.h - how many threads a generation uses when the caller does not say, and how
 * idle OpenMP threads wait: chosen so that the default is never slower than one thread
 * on a machine whose cores are busy with other work (docs/engine.md, "Threads"). */
#ifndef STEWARD_THREADS_H
#define STEWARD_THREADS_H

/* Runnable threads of other processes, averaged over a few samples of the kernel's
 * count (/proc/stat procs_running, less the caller); 0 when it cannot be read. */
double sw_threads_busy_elsewhere(void);

/* The thread count for work starting now: the cores not busy with other work (all
 * cores less sw_threads_busy_elsewhere, rounded), at least 1 and at most all cores. */
int sw_threads_default(void);

/* The OpenMP waiting policy in force: "PASSIVE" when this library's pre-initialiser set
 * it (before the OpenMP runtime starts; any program linking this code runs it, see
 * threads.c), else the user's $OMP_WAIT_POLICY, "GOMP_SPINCOUNT" when only that is set,
 * or "ACTIVE" (libgomp's default). */
const char *sw_threads_wait_policy(void);

#endif

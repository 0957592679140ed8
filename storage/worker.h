/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * st_worker: one helper thread that runs a function beside its caller.
 *
 * A writable store keeps one to spread a commit's CPU work (block
 * compression, index runs: store.c commit_jobs()) over two cores while the
 * commit stays synchronous: st_worker_run() calls fn(arg, 0) on the calling
 * thread and fn(arg, 1) on the helper, and returns once both returned.  fn
 * shares the work out itself (an atomic job counter), so that a caller
 * without a helper (NULL, or after a fork: the helper thread is not in the
 * child) gets everything done by fn(arg, 0) alone.
 *
 * Synchronisation is one mutex and two condition variables per run: a
 * commit's cost, not a packet's.
 */
#ifndef ST_WORKER_H
#define ST_WORKER_H

struct st_worker;

/** Start the helper thread.  @return 0, -errno (no helper: run inline). */
int st_worker_start(struct st_worker **ret);

/**
 * fn(arg, 0) here and fn(arg, 1) on the helper, concurrently; returns when
 * both returned.  w NULL, or a helper started by another process (fork):
 * fn(arg, 0) only.
 */
void st_worker_run(struct st_worker *w, void (*fn)(void *arg, unsigned thread), void *arg);

/** Stop and join the helper, free w.  NULL ok; after a fork only frees. */
void st_worker_stop(struct st_worker *w);

#endif

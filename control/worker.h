/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file worker.h
 * @brief retaind's capture worker: one live source -> pipeline -> store,
 *        on its own thread (the store's one writer).
 *
 * The worker commits closed sessions every commit_ms (the bound on how long
 * a closed session waits before it is durable), stores the open sessions
 * every checkpoint_s and at stop, advances the tracker's clock with the
 * wall clock while the link is quiet (so orphans still time out), reloads
 * the secrets file when asked (SIGHUP), and keeps going through store
 * errors (disk full): the batch stays in memory and the commit is retried,
 * with an alarm in the log.
 *
 * Store maintenance ([store] retention, seal_grace): every few seconds (and
 * when the day changes) the worker freezes the days due for sealing
 * (st_store_seal_begin) and hands the job to a maintenance thread, which
 * builds and hashes the sealed files (st_seal_job_prepare: the seconds of
 * CPU a large day takes, off the capture path); the worker installs them
 * between two commits (st_store_seal_install) and then runs the expiry
 * (st_store_expire_with, ST_EXPIRE_NOSEAL).  Each seal and expiry is
 * logged; failures are ALARMs, counted (store.seal_errors), and retried a
 * minute later while ingest goes on.  Counters: store.sealed_days,
 * store.expired_days, store.seal_errors, store.seal_max_stall_ms.  The
 * clock is the wall clock; with [dpdk] timestamps = capture (a replay) it
 * is the latest packet's time, as for the tracker; [store] test_now fixes
 * it (tests).
 *
 * DPDK ([dpdk], HAVE_DPDK): in mirror mode the worker polls the ports
 * itself (no descriptor: an idle back-off of 20 µs to 1 ms keeps commits,
 * checkpoints and signals on time); in bridge mode one forwarding thread
 * per queue (on the EAL's worker lcores when there are some) forwards every
 * packet and hands copies of the control packets to the worker through
 * each bridge's ring, never waiting for it: a full ring drops the copy,
 * counted.  Their counters (dpdk.*) go to the store's persistent counters
 * with each commit.  Stopping stops forwarding first, then feeds every copy
 * already handed over before the final commit.
 */
#ifndef CTL_WORKER_H
#define CTL_WORKER_H

#include <stdint.h>

#include "ctl_config.h"

typedef struct ctl_worker ctl_worker;

/**
 * Open the live source and read the secrets (with the privileges that
 * takes: call before dropping them), without starting anything.
 * @return 0 or negative (err says what)
 */
int ctl_worker_open(const struct ctl_config *cfg, ctl_worker **ret, char *err, size_t errlen);

/** Open the store (as the service user: after dropping privileges, so the
 *  files it creates are that user's) and start the thread.
 *  @return 0 or negative (err says what) */
int ctl_worker_start(ctl_worker *w, char *err, size_t errlen);

/** Ask for a secrets reload at the next loop (async-signal-safe). */
void ctl_worker_reload(ctl_worker *w);

/** Stop the thread: final commit with open sessions, close everything. */
void ctl_worker_stop(ctl_worker *w);

#endif

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
 * logged; failures are ALARMs, counted (store.seal_errors), and retried
 * with a backoff (1 min doubling to 1 h, reset by a success) while ingest
 * goes on; a job is not started when the store's file system has less
 * free space than the frozen days' size.  Expiry runs after each install,
 * when a whole day becomes due, and once an hour (the partly due day).
 * Counters: store.sealed_days, store.expired_days, store.seal_errors,
 * store.seal_max_stall_ms, store.clock_alarms.  The clock is the wall
 * clock; a forward step of it by more than an hour against the monotonic
 * clock (ctl_clock_stepped) is an ALARM (store.clock_alarms) and stops
 * sealing and expiry until the step is undone (or retaind restarted on the
 * new clock).  With [dpdk] timestamps = capture (a replay) the clock is
 * the latest packet's time, as for the tracker; [store] test_now fixes it
 * (tests); neither is checked for steps.
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

#include <stdbool.h>
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

/** Stop the thread: final commit with open sessions, then the maintenance
 *  thread (a prepare under way stops between two days), close everything. */
void ctl_worker_stop(ctl_worker *w);

/** CLOCK_MONOTONIC ns of the worker loop's last turn (it turns at least
 *  every 100 ms while healthy; a seal install or a slow fsync can hold it
 *  for seconds).  Any thread: retaind's watchdog reads it. */
int64_t ctl_worker_beat(const ctl_worker *w);

/* ---- store maintenance decisions (pure: unit-tested) ---------------------- */

/** A forward step of the wall clock larger than this stops sealing and
 *  expiry (both irreversible) until the clock is back. */
#define CTL_CLOCK_STEP_MAX_NS (3600LL * 1000000000LL)

/**
 * Whether the wall clock stepped forward against the monotonic clock
 * (retaind uses CLOCK_BOOTTIME: CLOCK_MONOTONIC that also counts a
 * suspend): the offset wall - mono grew by more than CTL_CLOCK_STEP_MAX_NS
 * since base_off (wall - mono when the daemon started).  NTP slewing moves
 * both clocks alike; a backward step only delays maintenance and is let be.
 */
static inline bool ctl_clock_stepped(int64_t base_off, int64_t wall_ns, int64_t mono_ns)
{
	int64_t off = wall_ns - mono_ns;
	return off > base_off && off - base_off > CTL_CLOCK_STEP_MAX_NS;
}

#define CTL_MAINT_RETRY_MIN_NS (60LL * 1000000000LL)   /**< after one failure */
#define CTL_MAINT_RETRY_MAX_NS (3600LL * 1000000000LL) /**< backoff cap */

/** Delay before the next seal attempt after `fails` consecutive failures
 *  (>= 1): 60 s doubling up to 1 h. */
static inline int64_t ctl_maint_backoff_ns(unsigned fails)
{
	int64_t d = CTL_MAINT_RETRY_MIN_NS;
	for (unsigned i = 1; i < fails && d < CTL_MAINT_RETRY_MAX_NS; i++)
		d *= 2;
	return d < CTL_MAINT_RETRY_MAX_NS ? d : CTL_MAINT_RETRY_MAX_NS;
}

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file alarm.h
 * @brief retaind's active alarms, for the API (GET /v1/health, /v1/metrics).
 *
 * The worker logs each ALARM on stderr when a condition starts and a line
 * when it ends; this table keeps the same state where monitoring can poll
 * it: which conditions are active now, since when, the last message, and
 * how often each was raised since the start.  Process-wide, behind one
 * mutex: alarms change on failures and recoveries, never per packet.
 */
#ifndef CTL_ALARM_H
#define CTL_ALARM_H
#include <stdbool.h>
#include <stdint.h>

enum ctl_alarm {
	CTL_ALARM_STORE = 0, /**< commits fail (disk full, map full, I/O): batch kept, retried */
	CTL_ALARM_SEAL,      /**< sealing finished days fails (retried with a backoff) */
	CTL_ALARM_EXPIRY,    /**< expiring past retention fails */
	CTL_ALARM_CLOCK,     /**< the wall clock stepped forward: sealing, expiry stopped */
	CTL_ALARM_WORKER,    /**< the worker loop has stood still (retaind's main thread) */
	CTL_ALARM_N
};

#define CTL_ALARM_MSG_MAX 256

struct ctl_alarm_state {
	bool active;
	int64_t since_ns;     /**< wall clock when it became active (0: not active) */
	uint64_t raised;      /**< times it became active since the start */
	char msg[CTL_ALARM_MSG_MAX]; /**< the last message ("" before the first) */
};

/** "store", "seal", "expiry", "clock", "worker" */
const char *ctl_alarm_name(enum ctl_alarm a);

/** Active from now (or still: then only the message changes).  Any thread. */
void ctl_alarm_raise(enum ctl_alarm a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Not active any more (the message stays, for the record).  Any thread. */
void ctl_alarm_clear(enum ctl_alarm a);

/** A copy of one alarm's state.  Any thread. */
void ctl_alarm_get(enum ctl_alarm a, struct ctl_alarm_state *ret);

/** How many are active now. */
unsigned ctl_alarm_active(void);

#endif /* CTL_ALARM_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file timefmt.h
 * @brief Times and durations as operators and authorities write them.
 *
 * Accepted instants: RFC 3339 (`2026-10-01T08:00:00Z`, `...08:00:00.5+08:00`,
 * fractional seconds up to 9 digits, `T`/`t`/space separator, `Z`/`z` or a
 * numeric offset), a date alone (`2026-10-01` = its 00:00:00Z), or an
 * integer: up to 12 digits = epoch seconds, more = epoch nanoseconds.
 * Durations: an integer with a unit s, m, h, d (`60d`, `12h`); a bare
 * integer is days.
 */
#ifndef CTL_TIMEFMT_H
#define CTL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define CTL_TIME_BUF 64

/** @return 0, or -EINVAL (not a valid time; nothing is written to ret_ns) */
int ctl_time_parse(const char *s, int64_t *ret_ns);

/** @return 0, or -EINVAL */
int ctl_duration_parse(const char *s, int64_t *ret_ns);

/** RFC 3339 UTC with 9 fractional digits, e.g. 2026-10-01T08:00:00.000000000Z */
void ctl_time_format(int64_t ns, char buf[CTL_TIME_BUF]);

/** Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ctl_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file output.h
 * @brief Session records as JSON, JSON Lines, CSV or a human table.
 *
 * Field names and order are DESIGN.md section 4's: account, ipv4,
 * ipv6_prefix, delegated_prefix, ipv6_addr, calling_number, calling_mac,
 * nas_ip, nas_id, nas_port_id, session_id, start, stop, start_ns, stop_ns,
 * stop_cause, sources, auth, clock_skew_ms.  Absent values are JSON null /
 * an empty CSV cell.  Text is raw bytes from the wire: valid UTF-8 is kept,
 * any other byte is shown as the Unicode code point of the same value
 * (Latin-1 reading), so output is always valid UTF-8 and deterministic.
 * JSON is produced with jansson; CSV follows RFC 4180 quoting.
 */
#ifndef CTL_OUTPUT_H
#define CTL_OUTPUT_H

#include <stdio.h>

#include "session.h"

enum ctl_fmt {
	CTL_FMT_JSON,  /**< one JSON array */
	CTL_FMT_JSONL, /**< one JSON object per line */
	CTL_FMT_CSV,
	CTL_FMT_TABLE,
};

/** @return 0 and sets ret, or -EINVAL for an unknown name */
int ctl_fmt_parse(const char *name, enum ctl_fmt *ret);

struct ctl_out {
	FILE *f;
	enum ctl_fmt fmt;
	unsigned long long rows;
	int err; /**< first write error (-errno) */
};

void ctl_out_begin(struct ctl_out *o, FILE *f, enum ctl_fmt fmt);
/** @return 0 or -errno / -ENOMEM */
int ctl_out_row(struct ctl_out *o, const struct rt_session *s);
/** Closes the array / prints the row count for tables; returns o->err. */
int ctl_out_end(struct ctl_out *o);

/** Text of a session field for humans: address text etc. */
void ctl_addr_str(const struct rt_addr *a, char *buf, size_t len);

#endif

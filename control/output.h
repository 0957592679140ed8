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

#include <jansson.h>

#include "registry.h"
#include "session.h"

enum ctl_fmt {
	CTL_FMT_JSON,  /**< one JSON array */
	CTL_FMT_JSONL, /**< one JSON object per line */
	CTL_FMT_CSV,
	CTL_FMT_TABLE,
	CTL_FMT_XML,   /**< ETSI TS 102 657-shaped document (XML.md, retain-results.xsd) */
};

/** @return 0 and sets ret, or -EINVAL for an unknown name */
int ctl_fmt_parse(const char *name, enum ctl_fmt *ret);

struct ctl_out {
	FILE *f;
	enum ctl_fmt fmt;
	unsigned long long rows;
	int err; /**< first write error (-errno) */
	/** Optional registry to join (ctl_out_begin_joined): JSON gets a
	 *  last key "registered" (identity object or null), CSV extra
	 *  registered_* columns, tables a NAME column, XML a
	 *  registeredIdentity element.  Borrowed, not owned. */
	ctl_registry *reg;
};

void ctl_out_begin(struct ctl_out *o, FILE *f, enum ctl_fmt fmt);
/** ctl_out_begin() joining every row with the registry reg (borrowed). */
void ctl_out_begin_joined(struct ctl_out *o, FILE *f, enum ctl_fmt fmt, ctl_registry *reg);
/** @return 0 or -errno / -ENOMEM */
int ctl_out_row(struct ctl_out *o, const struct rt_session *s);
/** Closes the array / prints the row count for tables; returns o->err. */
int ctl_out_end(struct ctl_out *o);

/** Text of a session field for humans: address text etc. */
void ctl_addr_str(const struct rt_addr *a, char *buf, size_t len);

/** The JSON object of one session (section 4 keys, no join); new
 *  reference, NULL on allocation failure. */
json_t *ctl_session_json(const struct rt_session *s);

/**
 * Raw bytes -> valid UTF-8 the way every output shows them (valid UTF-8
 * kept, any other byte read as Latin-1).  out must hold 2 * n + 1 bytes.
 * @return bytes written, without the terminating NUL
 */
size_t ctl_utf8_clean(const void *s, size_t n, char *out);

#endif

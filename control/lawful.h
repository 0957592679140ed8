/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file lawful.h
 * @brief Lawful queries shared by `retain query` and retaind's API:
 *        validating a request, running it into memory, and the canonical
 *        result bytes that the audit log digests.
 *
 * Design note
 * -----------
 * Results are collected in memory first so that the audit entry (with the
 * result count and digest) is durable before a single row is released
 * (audit.h).  The canonical result bytes are the rows as JSON Lines
 * (CTL_FMT_JSONL of output.h, without the registry join), whatever format is
 * delivered: the same query gives the same digest from the CLI and the API.
 */
#ifndef CTL_LAWFUL_H
#define CTL_LAWFUL_H

#include <stddef.h>

#include <jansson.h>

#include "audit.h"
#include "session.h"
#include "store.h"

/** Longest authority or case text accepted. */
#define CTL_LAWQ_LABEL_MAX 256

/** A validated request. Strings point into the json_t it was parsed from. */
struct ctl_lawq_req {
	struct st_query q;       /**< q.text points at value */
	const char *type;        /**< "ip", "account", "calling" */
	const char *value;
	const char *authority;   /**< NULL if absent */
	const char *case_id;     /**< NULL if absent */
	int csv;                 /**< format "csv" */
	int xml;                 /**< format "xml" (ETSI TS 102 657-shaped, XML.md) */
};

/** Why a request was refused (400). */
enum ctl_lawq_err {
	CTL_LAWQ_OK = 0,
	CTL_LAWQ_NOT_OBJECT,    /**< body is not a JSON object */
	CTL_LAWQ_UNKNOWN_KEY,   /**< a key this API does not define */
	CTL_LAWQ_BAD_TYPE,      /**< type missing or not ip/account/calling */
	CTL_LAWQ_BAD_VALUE,     /**< value missing, empty, too long, not an IPv4 address */
	CTL_LAWQ_BAD_TIME,      /**< at/from/to not a time, or from after to */
	CTL_LAWQ_BAD_RANGE,     /**< wrong combination of at / from+to for the type */
	CTL_LAWQ_BAD_FORMAT,    /**< format not json, csv or xml */
	CTL_LAWQ_BAD_LABEL,     /**< authority or case not a string of 1..256 bytes */
	CTL_LAWQ_NO_AUTHORITY,  /**< authority or case missing: refused (DESIGN.md 7) */
	CTL_LAWQ_ERR_MAX
};

/** Human text of an enum ctl_lawq_err value. */
const char *ctl_lawq_strerror(enum ctl_lawq_err e);

/**
 * Validate an API request body ({"type", "value", "at" | "from"+"to",
 * "authority", "case", "format"}).  Times are strings in any form
 * ctl_time_parse() accepts, or integers (epoch seconds, or ns above 12
 * digits).  On CTL_LAWQ_NO_AUTHORITY ret is fully filled (so the refusal can
 * be audited with the rest of the request); on other errors ret may be
 * partly filled (authority/case when they were valid).
 * @return CTL_LAWQ_OK or the first problem found
 */
enum ctl_lawq_err ctl_lawq_parse(json_t *body, struct ctl_lawq_req *ret);

/** Results of a query, in memory. */
struct ctl_lawq_result {
	struct rt_session *rows;
	size_t n, cap;
	char *jsonl;              /**< canonical bytes (NUL-terminated) */
	size_t jsonl_len;
	char digest[CTL_AUDIT_HEX]; /**< SHA-256 hex of jsonl */
};

/**
 * Run q into memory.
 * @param[in] max_rows  refuse (-E2BIG) beyond this many rows; 0: no bound
 * @param[out] ret      filled on success; free with ctl_lawq_result_clear()
 * @return 0, -E2BIG, -ENOMEM, or an st_store_query() error
 */
int ctl_lawq_run(st_store *st, const struct st_query *q, size_t max_rows,
		 struct ctl_lawq_result *ret);

/** Free what ctl_lawq_run() allocated; safe on a zeroed struct. */
void ctl_lawq_result_clear(struct ctl_lawq_result *r);

#endif /* CTL_LAWFUL_H */

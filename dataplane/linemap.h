/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file linemap.h
 * @brief Line identity -> account map for DHCPv4 option 82 (RFC 3046 /
 *        RFC 3993): which registered account sits behind an access line.
 *
 * File format (one entry per line; `#` starts a comment line; blank lines
 * are ignored; CR LF accepted):
 *
 *     KIND,VALUE,ACCOUNT
 *
 *  - KIND is `circuit-id` (Agent-Circuit-ID, sub-option 1), `remote-id`
 *    (Agent-Remote-ID, sub-option 2) or `subscriber-id` (RFC 3993,
 *    sub-option 6).
 *  - VALUE is the sub-option's bytes: everything between the first and the
 *    last comma (so it may itself hold commas), blanks around it trimmed;
 *    or `hex:` followed by an even number of hex digits for binary ids
 *    (e.g. a remote id that is a MAC in bytes).  1..253 bytes.
 *  - ACCOUNT is the account recorded for sessions of that line: after the
 *    last comma, blanks trimmed, 1..253 bytes.
 *
 * A file with any bad line loads nothing: the error names the line and the
 * reason (enum dp_linemap_fail), never the whole line.  The same (KIND,
 * VALUE) twice is an error (which account would win is not obvious).
 *
 * The loaded map is immutable: lookups are allocation-free and may run on
 * any number of threads; it is replaced whole on reload.
 */
#ifndef DP_LINEMAP_H
#define DP_LINEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define DP_LINEMAP_MAX_LINE 2048     /**< longer lines are rejected */
#define DP_LINEMAP_MAX_ENTRIES (1u << 24)

/** Which option 82 sub-option a value is. */
enum dp_line_kind {
	DP_LINE_CIRCUIT = 1,    /**< Agent-Circuit-ID */
	DP_LINE_REMOTE = 2,     /**< Agent-Remote-ID */
	DP_LINE_SUBSCRIBER = 3, /**< Subscriber-ID */
};

/** One value per rejection reason. */
enum dp_linemap_fail {
	DP_LINEMAP_OK = 0,
	DP_LINEMAP_LINE_TOO_LONG,   /**< more than DP_LINEMAP_MAX_LINE bytes */
	DP_LINEMAP_NUL,             /**< a NUL byte in the line */
	DP_LINEMAP_MISSING_FIELD,   /**< fewer than three comma-separated fields */
	DP_LINEMAP_BAD_KIND,        /**< not circuit-id / remote-id / subscriber-id */
	DP_LINEMAP_EMPTY_VALUE,
	DP_LINEMAP_VALUE_TOO_LONG,  /**< more than RT_TEXT_MAX bytes */
	DP_LINEMAP_BAD_HEX,         /**< hex: with an odd count or a non-hex digit */
	DP_LINEMAP_EMPTY_ACCOUNT,
	DP_LINEMAP_ACCOUNT_TOO_LONG,/**< more than RT_TEXT_MAX bytes */
	DP_LINEMAP_DUPLICATE,       /**< (kind, value) given twice */
	DP_LINEMAP_TOO_MANY,        /**< more than DP_LINEMAP_MAX_ENTRIES */
	DP_LINEMAP_FAIL_MAX
};

/** Stable short name ("bad-kind", ...). */
const char *dp_linemap_fail_str(enum dp_linemap_fail f);

/** One parsed line: value and account are copies. */
struct dp_linemap_line {
	uint8_t kind;          /**< enum dp_line_kind; 0 for a blank/comment line */
	struct rt_text value;
	struct rt_text account;
};

/**
 * Parse one line (without its '\n'; a trailing '\r' is ignored).
 * @param[out] ret  filled on DP_LINEMAP_OK (kind 0: nothing on the line)
 * @return DP_LINEMAP_OK or the reason (never DUPLICATE/TOO_MANY)
 */
enum dp_linemap_fail dp_linemap_parse_line(const char *line, size_t len,
					   struct dp_linemap_line *ret);

typedef struct dp_linemap dp_linemap;

/**
 * Parse a whole map from a buffer (the file reader and fuzz target use it).
 * @param[out] ret  set only on success; an empty map is valid
 * @param[out] err  on failure "line N: reason" (NUL terminated)
 * @return 0, -EINVAL (a bad line), -ENOMEM
 */
int dp_linemap_parse(const char *buf, size_t len, dp_linemap **ret, char *err, size_t errlen);

/** Read and parse a file; -errno if it cannot be read (err says why). */
int dp_linemap_load(const char *path, dp_linemap **ret, char *err, size_t errlen);

/**
 * The account mapped to a line identity value of a kind.
 * @param[in] m  may be NULL (no map: nothing is mapped)
 * @param[out] ret_account  on true, a view into the map (valid while m is)
 */
bool dp_linemap_lookup(const dp_linemap *m, enum dp_line_kind kind, const void *v, size_t len,
		       struct rt_view *ret_account);

/** Number of entries (0 for NULL). */
size_t dp_linemap_count(const dp_linemap *m);

/** NULL ok. */
void dp_linemap_free(dp_linemap *m);

#endif /* DP_LINEMAP_H */

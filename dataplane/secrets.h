/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file secrets.h
 * @brief RADIUS shared secrets per NAS: `ADDRESS[/PREFIX] SECRET` per line.
 *
 * File format: one entry per line, `#` starts a comment, blank lines are
 * ignored; ADDRESS is IPv4 or IPv6, PREFIX defaults to the full length;
 * SECRET is the rest of the line after blanks (trailing blanks trimmed),
 * 1..128 bytes.  Lookup is longest-prefix match.  A file with any bad line
 * loads nothing and the error names the line.  Secrets are never printed.
 */
#ifndef DP_SECRETS_H
#define DP_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define DP_SECRET_MAX 128

struct dp_secret {
	uint8_t len;
	uint8_t v[DP_SECRET_MAX];
};

typedef struct dp_secrets dp_secrets;

/**
 * Parse secrets from a buffer (the file reader and fuzz target use this).
 * @param[out] ret     set only on success; an empty set is valid
 * @param[out] err     on failure, "line N: reason" (NUL terminated)
 * @return 0, -EINVAL (bad line), -ENOMEM
 */
int dp_secrets_parse(const char *buf, size_t len, dp_secrets **ret, char *err,
		     size_t errlen);

/** Read and parse a file; -errno if it cannot be read (err says why). */
int dp_secrets_load(const char *path, dp_secrets **ret, char *err, size_t errlen);

/** Longest-prefix match; NULL if no entry covers the address. */
const struct dp_secret *dp_secrets_lookup(const dp_secrets *s, const struct rt_addr *a);

/** Number of entries. */
size_t dp_secrets_count(const dp_secrets *s);

/** Free (zeroes the secrets first).  NULL ok. */
void dp_secrets_free(dp_secrets *s);

#endif /* DP_SECRETS_H */

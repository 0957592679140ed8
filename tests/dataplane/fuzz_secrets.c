/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_secrets_parse() and lookups.  Input: a secrets file.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_secrets *s = NULL;
	char err[64];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = dp_secrets_parse((const char *)data, size, &s, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL && rc != -ENOMEM)
			abort();
		if (s != NULL || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		if (rc == -EINVAL && strncmp(err, "line ", 5) != 0)
			abort();
		return 0;
	}
	if (!s)
		abort();

	/* Look up a few fixed addresses and some taken from the input. */
	struct rt_addr a = {.family = 4};
	const struct dp_secret *sec;
	for (unsigned i = 0; i < 4; i++) {
		memset(a.a, 0, sizeof(a.a));
		a.family = (i & 1) ? 6 : 4;
		if (i >= 2)
			memcpy(a.a, data, size < 16 ? size : 16);
		sec = dp_secrets_lookup(s, &a);
		if (sec && (sec->len == 0 || sec->len > DP_SECRET_MAX))
			abort();
	}
	(void)dp_secrets_count(s);
	dp_secrets_free(s);
	return 0;
}

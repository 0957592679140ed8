/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_linemap_parse() and lookups.  Input: a line map file.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dp_linemap *m = NULL;
	char err[64];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = dp_linemap_parse((const char *)data, size, &m, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL && rc != -ENOMEM)
			abort();
		if (m != NULL || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		if (rc == -EINVAL && strncmp(err, "line ", 5) != 0)
			abort();
		return 0;
	}
	if (!m)
		abort();
	/* Every line that parsed must be found again with its own account. */
	size_t pos = 0, found = 0;
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		struct dp_linemap_line l;
		if (dp_linemap_parse_line((const char *)data + pos, end - pos, &l) != DP_LINEMAP_OK)
			abort(); /* the whole file parsed */
		if (l.kind) {
			struct rt_view a;
			if (!dp_linemap_lookup(m, (enum dp_line_kind)l.kind, l.value.v, l.value.len,
					       &a) ||
			    a.len != l.account.len || memcmp(a.p, l.account.v, a.len) != 0)
				abort();
			found++;
		}
		pos = end + 1;
	}
	if (found != dp_linemap_count(m))
		abort();
	dp_linemap_free(m);
	return 0;
}

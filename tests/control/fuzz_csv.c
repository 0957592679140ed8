/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the bounded CSV reader (control/csv.c).  Every record
 * must stay within its bounds and the reader must always make progress. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_csv_rec rec;
	struct ctl_csv c;
	ctl_csv_init(&c, (const char *)data, size);
	size_t guard = size + 2;
	int res;
	while ((res = ctl_csv_next(&c, &rec)) != CTL_CSV_EOF) {
		assert(guard-- > 0);
		if (res < 0)
			continue;
		assert(rec.nfields >= 1 && rec.nfields <= CTL_CSV_FIELDS_MAX);
		for (unsigned i = 0; i < rec.nfields; i++) {
			assert(rec.off[i] + rec.len[i] <= CTL_CSV_REC_MAX);
			assert(ctl_csv_field(&rec, i)[rec.len[i]] == '\0');
		}
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: a whole segment file held in memory, read by
 * st_seg_walk() (header, blocks back to back, records).
 */
#include <stdlib.h>

#include "record.h"
#include "store.h"

static int on_rec(void *ctx, uint32_t block, uint32_t idx, const struct rt_session *s)
{
	(void)ctx;
	(void)block;
	(void)idx;
	if (s->stop_ns != RT_TIME_NONE && s->stop_ns < s->start_ns)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum st_dec why = ST_DEC_OK;
	int rc = st_seg_walk(data, size, on_rec, NULL, &why);
	if (rc == ST_ECORRUPT || rc == ST_EVERSION) {
		if (why == ST_DEC_OK || rc != st_dec_err(why))
			abort();
	}
	return 0;
}

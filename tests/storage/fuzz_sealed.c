/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: a sealed segment (format version 2) held in memory,
 * read by st_sealed_open() (header, directory, section checksums, block
 * table, hash indexes, long table, dictionary), then every block decoded
 * (column blocks through the day's dictionary), every hash chunk and the
 * long table walked.  A rejection must name its reason; whatever is read
 * must be within bounds.
 */
#include <errno.h>
#include <stdlib.h>

#include "sealed.h"
#include "store.h"

static int on_rec(void *ctx, uint32_t rec)
{
	const struct st_sealed *s = ctx;
	if (rec >= s->nrecs)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ZSTD_DCtx *dctx;
	struct st_sealed s;
	enum st_dec why = ST_DEC_OK;
	if (!dctx && !(dctx = ZSTD_createDCtx()))
		abort();
	int rc = st_sealed_open(&s, data, size, &why);
	if (rc) {
		if (rc != -ENOMEM && (why == ST_DEC_OK || rc != st_dec_err(why)))
			abort();
		st_sealed_close(&s);
		return 0;
	}
	for (uint32_t b = 0; b < s.nblocks; b++) {
		const struct rt_session *rows;
		struct st_sealed_blk e;
		if (st_sealed_block(&s, dctx, b, &rows))
			continue;
		st_sealed_blk(&s, b, &e);
		for (uint32_t i = 0; i < e.nrecs; i++)
			if (rows[i].stop_ns < rows[i].start_ns)
				abort();
	}
	static const uint8_t k[4] = {100, 64, 0, 1};
	st_sealed_hash(&s, HK_ACCT, k, 4, on_rec, &s);
	st_sealed_hash(&s, HK_V6, k, 4, on_rec, &s);
	st_sealed_long(&s, HK_IP4, k, 4, INT64_MIN, INT64_MAX, on_rec, &s);
	st_sealed_close(&s);
	return 0;
}

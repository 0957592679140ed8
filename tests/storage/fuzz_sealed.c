/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: a sealed segment (format version 2) held in memory,
 * read by st_sealed_open() (header, directory, section checksums, block
 * table, hash indexes, long table, dictionary), then every block decoded
 * (column blocks through the day's dictionary), every hash chunk and the
 * long table walked.  A rejection must name its reason; whatever is read
 * must be within bounds.
 *
 * The same bytes through st_sealed_open_lazy() (what a query uses): it
 * accepts whatever the full open accepts; each hash index is checked by
 * its first use; when every one passes, the full open must have passed
 * too, and lookups through the lazy view stay in bounds either way.
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

static int on_row(void *ctx, uint32_t rec, const struct rt_session *r)
{
	const struct st_sealed *s = ctx;
	if (rec >= s->nrecs || r->stop_ns < r->start_ns)
		abort();
	return 0;
}

static void lazy_read(const uint8_t *data, size_t size, int full_rc, ZSTD_DCtx *dctx)
{
	static const uint8_t k[4] = {100, 64, 0, 1};
	struct st_sealed s;
	enum st_dec why = ST_DEC_OK;
	int rc = st_sealed_open_lazy(&s, data, size, &why);
	if (rc) {
		if (!full_rc || (rc != -ENOMEM && (why == ST_DEC_OK || rc != st_dec_err(why))))
			abort();
		st_sealed_close(&s);
		return;
	}
	/* an address lookup first: it needs no hash index */
	st_sealed_ip4(&s, dctx, k, INT64_MIN, INT64_MAX, on_row, &s);
	bool all_ok = true;
	for (unsigned kind = HK_ACCT; kind < HK_N; kind++) {
		enum st_dec hw = ST_DEC_OK;
		int hrc = st_sealed_hix_check(&s, kind, &hw);
		if (hrc && (hw == ST_DEC_OK || hrc != st_dec_err(hw)))
			abort();
		if (hrc && !full_rc)
			abort(); /* the full open passed this section */
		all_ok &= hrc == 0;
		/* the verdict is kept: a second use says the same */
		if (st_sealed_hash(&s, kind, k, 4, on_rec, &s) != hrc && hrc)
			abort();
	}
	if (all_ok && full_rc && full_rc != -ENOMEM)
		abort(); /* everything the full open checks has passed */
	st_sealed_long(&s, HK_IP4, k, 4, INT64_MIN, INT64_MAX, on_rec, &s);
	st_sealed_close(&s);
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
		lazy_read(data, size, rc, dctx);
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
	lazy_read(data, size, 0, dctx);
	return 0;
}

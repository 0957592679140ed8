/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the record and block decoders of storage/record.h on
 * arbitrary bytes.  Byte 0 selects the reader: even = a run of records
 * (each decoded one must re-encode to an equal session), odd = a framed
 * block (header + zstd frame), whose records are then decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store.h"

static void records(const uint8_t *p, size_t n, uint32_t max)
{
	struct dp_cur c = dp_cur_make(p, n);
	struct rt_session s, s2;
	uint8_t buf[ST_REC_MAX];
	int64_t prev = 0;

	for (uint32_t i = 0; i < max; i++) {
		if (st_rec_decode(&c, prev, &s) != ST_DEC_OK)
			return;
		/* what decodes is storable and round-trips exactly */
		if (st_rec_check(&s) != 0)
			abort();
		size_t len = st_rec_encode(&s, prev, 0, buf);
		struct dp_cur c2 = dp_cur_make(buf, len);
		if (len > ST_REC_MAX || st_rec_decode(&c2, prev, &s2) != ST_DEC_OK ||
		    dp_cur_left(&c2) != 0 || memcmp(&s, &s2, sizeof(s)) != 0)
			abort();
		prev = s.start_ns;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ZSTD_DCtx *dctx;
	if (size < 1)
		return 0;
	if (!dctx)
		dctx = ZSTD_createDCtx();
	if (!(data[0] & 1)) {
		records(data + 1, size - 1, 64);
		return 0;
	}
	struct st_buf raw = {0};
	struct st_blk_hdr h;
	enum st_dec why = ST_DEC_OK;
	int rc = st_blk_open(dctx, data + 1, size - 1, &h, &raw, &why);
	if (rc == 0) {
		if (raw.len != h.raw_len)
			abort();
		records(raw.p, raw.len, h.nrecs);
	} else if (rc != -12 /* ENOMEM */ && rc != st_dec_err(why)) {
		abort();
	}
	st_buf_done(&raw);
	return 0;
}

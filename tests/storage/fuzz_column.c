/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the column block readers (storage/column.h).  The
 * input is read as a raw column block (st_col_open + st_col_next over
 * every record) and as a compressed one (st_colz_open, no dictionary, then
 * the raw reader on what it gives).  A rejection must name its reason; a
 * decoded record must be sane.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "store.h"

/* The scan accepts exactly what record-by-record decoding accepts, and
 * st_col_get gives the same records. */
static void scan(struct st_col_reader *r, const uint8_t *p, size_t n, bool next_ok)
{
	static struct st_col_light light[ST_COL_MAX_RECS];
	static struct rt_session a, b;
	if (st_col_open(r, p, n) != ST_DEC_OK)
		return;
	bool ok = st_col_scan(r, light) == ST_DEC_OK;
	if (ok != next_ok)
		abort();
	if (!ok)
		return;
	struct st_col_reader r2;
	memset(&r2, 0, sizeof(r2));
	if (st_col_open(&r2, p, n) != ST_DEC_OK)
		abort();
	for (uint32_t i = 0; i < r->nrecs; i++) {
		if (st_col_next(&r2, &a) != ST_DEC_OK || st_col_get(r, i, &b) != ST_DEC_OK ||
		    memcmp(&a, &b, sizeof(a)) != 0 || light[i].start != a.start_ns ||
		    light[i].stop != a.stop_ns)
			abort();
	}
	st_col_reader_done(&r2);
}

static void walk(struct st_col_reader *r, const uint8_t *p, size_t n)
{
	struct rt_session s;
	memset(&s, 0, sizeof(s));
	if (st_col_open(r, p, n) != ST_DEC_OK)
		return;
	if (r->nrecs == 0 || r->nrecs > ST_COL_MAX_RECS)
		abort();
	while (r->next < r->nrecs) {
		uint32_t before = r->next;
		if (st_col_next(r, &s) != ST_DEC_OK) {
			scan(r, p, n, false);
			return;
		}
		if (r->next != before + 1 || s.start_ns == RT_TIME_NONE ||
		    (s.stop_ns != RT_TIME_NONE && s.stop_ns < s.start_ns) ||
		    s.account.len > RT_TEXT_MAX || s.ipv6_prefix.plen > 128 ||
		    (s.nas_ip.family != 0 && s.nas_ip.family != 4 && s.nas_ip.family != 6))
			abort();
	}
	scan(r, p, n, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct st_col_reader r;
	static ZSTD_DCtx *dctx;
	static struct st_buf raw;
	if (!dctx && !(dctx = ZSTD_createDCtx()))
		abort();
	walk(&r, data, size);
	struct st_colz_hdr h;
	enum st_dec why = ST_DEC_OK;
	int rc = st_colz_open(dctx, NULL, 0, data, size, &h, &raw, &why);
	if (rc == 0) {
		if (raw.len != h.raw_len)
			abort();
		walk(&r, raw.p, raw.len);
	} else if (rc != -ENOMEM && (why == ST_DEC_OK || rc != st_dec_err(why))) {
		abort();
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block and segment framing (storage/FORMAT.md "Segment file", "Block").
 *
 * Every length in a header is checked against the bytes actually held and
 * against a constant bound before anything is allocated or decompressed
 * (zstd.h, ZSTD_getFrameContentSize note 5: the declared content size is
 * attacker-controlled).
 */
#include "record.h"
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd_errors.h>

#include "store.h"

#define ZSTD_MAGIC 0xFD2FB528u
#define ZSTD_FHD_CHECKSUM 0x04u /* Frame_Header_Descriptor bit 2 */

/* ---- block header -------------------------------------------------------- */

size_t st_blk_bound(size_t raw_len)
{
	return ST_BLK_HDR_LEN + ZSTD_compressBound(raw_len);
}

static void blk_hdr_write(uint8_t *d, const struct st_blk_hdr *h)
{
	uint8_t *p = d;
	p = st_put_le32(p, ST_BLK_MAGIC);
	p = st_put_le16(p, ST_FORMAT_VERSION);
	p = st_put_le16(p, ST_BLK_HDR_LEN);
	p = st_put_le32(p, h->nrecs);
	p = st_put_le32(p, h->raw_len);
	p = st_put_le32(p, h->comp_len);
	p = st_put_le32(p, (uint32_t)h->day);
	p = st_put_le32(p, h->block_no);
	st_put_le32(p, st_crc32c(d, ST_BLK_HDR_LEN - 4));
}

enum st_dec st_blk_hdr_parse(struct dp_cur *c, struct st_blk_hdr *ret)
{
	struct dp_cur w = *c;
	uint32_t magic = 0, nrecs = 0, raw_len = 0, comp_len = 0, day = 0, block_no = 0, crc = 0;
	uint16_t version, hdr_len;

	if (dp_cur_left(&w) < ST_BLK_HDR_LEN)
		return ST_DEC_TRUNCATED;
	const uint8_t *start = w.p;
	dp_cur_le32(&w, &magic);
	if (magic != ST_BLK_MAGIC)
		return ST_DEC_BAD_MAGIC;
	uint32_t v16 = 0;
	dp_cur_le32(&w, &v16);
	version = (uint16_t)v16;
	hdr_len = (uint16_t)(v16 >> 16);
	if (version != ST_FORMAT_VERSION)
		return ST_DEC_BAD_VERSION;
	if (hdr_len != ST_BLK_HDR_LEN)
		return ST_DEC_BAD_SIZE;
	dp_cur_le32(&w, &nrecs);
	dp_cur_le32(&w, &raw_len);
	dp_cur_le32(&w, &comp_len);
	dp_cur_le32(&w, &day);
	dp_cur_le32(&w, &block_no);
	dp_cur_le32(&w, &crc);
	if (crc != st_crc32c(start, ST_BLK_HDR_LEN - 4))
		return ST_DEC_BAD_HEADER_CRC;
	/* a record takes at least 2 bytes (flags, start) */
	if (nrecs == 0 || nrecs > ST_BLK_MAX_RECS || raw_len > ST_BLK_MAX_RAW ||
	    raw_len < 2 * (uint64_t)nrecs)
		return ST_DEC_BAD_SIZE;
	if (comp_len == 0 || comp_len > ZSTD_compressBound(ST_BLK_MAX_RAW))
		return ST_DEC_BAD_SIZE;
	ret->nrecs = nrecs;
	ret->raw_len = raw_len;
	ret->comp_len = comp_len;
	ret->day = (int32_t)day;
	ret->block_no = block_no;
	*c = w;
	return ST_DEC_OK;
}

/* ---- compression ----------------------------------------------------------- */

int st_cctx_setup(ZSTD_CCtx *cctx, int level)
{
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)))
		return ST_EZSTD;
	return 0;
}

int st_blk_seal(ZSTD_CCtx *cctx, struct st_blk_hdr *h, const uint8_t *raw, uint8_t *dst,
		size_t *ret_len)
{
	size_t n = ZSTD_compress2(cctx, dst + ST_BLK_HDR_LEN, ZSTD_compressBound(h->raw_len), raw,
				  h->raw_len);
	if (ZSTD_isError(n) || n > UINT32_MAX)
		return ST_EZSTD;
	h->comp_len = (uint32_t)n;
	blk_hdr_write(dst, h);
	*ret_len = ST_BLK_HDR_LEN + n;
	return 0;
}

int st_blk_open(ZSTD_DCtx *dctx, const uint8_t *p, size_t len, struct st_blk_hdr *ret_hdr,
		struct st_buf *raw, enum st_dec *ret_why)
{
	struct dp_cur c = dp_cur_make(p, len);
	struct st_blk_hdr h;
	enum st_dec why;
	uint32_t zmagic;
	uint8_t fhd;

	why = st_blk_hdr_parse(&c, &h);
	if (why)
		goto out_reject;
	if (dp_cur_left(&c) < h.comp_len) {
		why = ST_DEC_TRUNCATED;
		goto out_reject;
	}
	if (dp_cur_left(&c) > h.comp_len) {
		why = ST_DEC_BAD_SIZE;
		goto out_reject;
	}
	/* One frame with its content size and checksum, nothing else. */
	if (!dp_cur_peek_u8(&c, 4, &fhd)) {
		why = ST_DEC_BAD_FRAME;
		goto out_reject;
	}
	struct dp_cur m = c;
	dp_cur_le32(&m, &zmagic);
	if (zmagic != ZSTD_MAGIC || !(fhd & ZSTD_FHD_CHECKSUM)) {
		why = ST_DEC_BAD_FRAME;
		goto out_reject;
	}
	unsigned long long csize = ZSTD_getFrameContentSize(c.p, h.comp_len);
	if (csize != h.raw_len) { /* also catches the ZSTD_CONTENTSIZE_* errors */
		why = ST_DEC_BAD_FRAME;
		goto out_reject;
	}
	size_t fsize = ZSTD_findFrameCompressedSize(c.p, h.comp_len);
	if (ZSTD_isError(fsize) || fsize != h.comp_len) {
		why = ST_DEC_BAD_FRAME;
		goto out_reject;
	}
	raw->len = 0;
	if (st_buf_reserve(raw, h.raw_len))
		return -ENOMEM;
	size_t got = ZSTD_decompressDCtx(dctx, raw->p, h.raw_len, c.p, h.comp_len);
	if (ZSTD_isError(got)) {
		why = ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation ? ST_DEC_OK
		      : ZSTD_getErrorCode(got) == ZSTD_error_checksum_wrong  ? ST_DEC_BAD_CHECKSUM
									      : ST_DEC_BAD_FRAME;
		if (why == ST_DEC_OK)
			return -ENOMEM;
		goto out_reject;
	}
	if (got != h.raw_len) {
		why = ST_DEC_BAD_FRAME;
		goto out_reject;
	}
	raw->len = got;
	*ret_hdr = h;
	return 0;

out_reject:
	*ret_why = why;
	return st_dec_err(why);
}

/* ---- segment header -------------------------------------------------------- */

void st_seg_hdr_write(uint8_t dst[ST_SEG_HDR_LEN], int32_t day)
{
	uint8_t *p = dst;
	memset(dst, 0, ST_SEG_HDR_LEN);
	p = st_put_le32(p, ST_SEG_MAGIC);
	p = st_put_le16(p, ST_FORMAT_VERSION);
	p = st_put_le16(p, ST_SEG_HDR_LEN);
	p = st_put_le32(p, (uint32_t)day);
	/* flags (u32) and 12 reserved bytes stay zero */
	st_put_le32(dst + ST_SEG_HDR_LEN - 4, st_crc32c(dst, ST_SEG_HDR_LEN - 4));
}

enum st_dec st_seg_hdr_parse(struct dp_cur *c, int32_t *ret_day)
{
	struct dp_cur w = *c;
	uint32_t magic = 0, v16 = 0, day = 0, flags = 0, crc = 0;

	if (dp_cur_left(&w) < ST_SEG_HDR_LEN)
		return ST_DEC_TRUNCATED;
	const uint8_t *start = w.p;
	dp_cur_le32(&w, &magic);
	if (magic != ST_SEG_MAGIC)
		return ST_DEC_BAD_MAGIC;
	dp_cur_le32(&w, &v16);
	if ((uint16_t)v16 != ST_FORMAT_VERSION)
		return ST_DEC_BAD_VERSION;
	if ((v16 >> 16) != ST_SEG_HDR_LEN)
		return ST_DEC_BAD_SIZE;
	dp_cur_le32(&w, &day);
	dp_cur_le32(&w, &flags);
	dp_cur_skip(&w, 12);
	dp_cur_le32(&w, &crc);
	if (crc != st_crc32c(start, ST_SEG_HDR_LEN - 4))
		return ST_DEC_BAD_HEADER_CRC;
	if (flags != 0)
		return ST_DEC_BAD_FLAGS;
	*ret_day = (int32_t)day;
	*c = w;
	return ST_DEC_OK;
}

/* ---- whole-segment walk ---------------------------------------------------- */

int st_seg_walk(const uint8_t *p, size_t len, st_seg_rec_fn fn, void *ctx,
		enum st_dec *ret_why)
{
	struct dp_cur c = dp_cur_make(p, len);
	struct st_buf raw = {0};
	struct rt_session *s = NULL;
	ZSTD_DCtx *dctx = NULL;
	enum st_dec why;
	int32_t day;
	int rc = 0;

	why = st_seg_hdr_parse(&c, &day);
	if (why)
		goto out_reject;
	dctx = ZSTD_createDCtx();
	s = malloc(sizeof(*s));
	if (!dctx || !s) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint32_t block_no = 0; dp_cur_left(&c) > 0; block_no++) {
		struct dp_cur hc = c;
		struct st_blk_hdr h;
		uint32_t magic;
		if (dp_cur_le32(&hc, &magic) && magic == ST_RUN_MAGIC) {
			/* an index run (run.h) between blocks: checked whole */
			struct st_run_hdr rh;
			why = st_run_hdr_parse(c.p, dp_cur_left(&c), &rh);
			if (why)
				goto out_reject;
			if (rh.day != day) {
				why = ST_DEC_MISMATCH;
				goto out_reject;
			}
			if ((uint64_t)rh.body_len > dp_cur_left(&c) - ST_RUN_HDR_LEN) {
				why = ST_DEC_TRUNCATED;
				goto out_reject;
			}
			size_t rl = ST_RUN_HDR_LEN + (size_t)rh.body_len;
			if (st_run_walk(c.p, rl, NULL, NULL, NULL)) {
				why = ST_DEC_BAD_CHECKSUM;
				goto out_reject;
			}
			dp_cur_skip(&c, rl);
			block_no--;
			continue;
		}
		hc = c;
		why = st_blk_hdr_parse(&hc, &h);
		if (why)
			goto out_reject;
		if (h.day != day || h.block_no != block_no) {
			why = ST_DEC_MISMATCH;
			goto out_reject;
		}
		if (h.comp_len > dp_cur_left(&hc)) {
			why = ST_DEC_TRUNCATED;
			goto out_reject;
		}
		const uint8_t *bp = c.p;
		dp_cur_skip(&c, ST_BLK_HDR_LEN + (size_t)h.comp_len);
		rc = st_blk_open(dctx, bp, ST_BLK_HDR_LEN + (size_t)h.comp_len, &h, &raw, &why);
		if (rc == -ENOMEM)
			goto out_free;
		if (rc)
			goto out_reject;
		struct dp_cur rc_ = dp_cur_make(raw.p, raw.len);
		int64_t prev = 0;
		for (uint32_t i = 0; i < h.nrecs; i++) {
			why = st_rec_decode(&rc_, prev, s);
			if (why)
				goto out_reject;
			prev = s->start_ns;
			rc = fn ? fn(ctx, block_no, i, s) : 0;
			if (rc)
				goto out_free;
		}
		if (dp_cur_left(&rc_)) {
			why = ST_DEC_TRAILING;
			goto out_reject;
		}
	}
	goto out_free;

out_reject:
	*ret_why = why;
	rc = st_dec_err(why);
out_free:
	free(s);
	ZSTD_freeDCtx(dctx);
	st_buf_done(&raw);
	return rc;
}

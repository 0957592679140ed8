/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file column.h
 * @brief Column blocks: the record layout of sealed (version 2) segments.
 *
 * A column block holds n sessions field by field: one byte stream per
 * field (presence bitmaps, times, durations, each text, addresses, small
 * integers), so that zstd sees like next to like.  Times are coded from
 * an anchor (start or stop, steps or offsets, maybe bit-packed: the
 * smallest for the block), addresses as steps.  Texts and NAS addresses
 * are dictionary-coded per block (a repeated value costs one varint); a
 * text literal is coded in the first form that fits (hex nibbles, a digit
 * run as an integer inside a per-block template, raw bytes), its form in
 * the column's head and its bytes in the column's body.  Every form
 * round-trips exactly (case, length, leading zeros).  The column table in
 * column.c is the one place that lists the fields of struct rt_session: a
 * new field is one more column (and one more presence bit); readers refuse
 * columns they do not know.
 *
 * A compressed column block ("RTCZ") wraps the raw bytes in one zstd frame,
 * optionally compressed with a dictionary trained on the segment's day
 * (named by the file, not by the frame: a wrong one fails the frame's
 * checksum).  Version 1 blocks (either layer) are refused (ST_EVERSION).
 *
 * Layouts: storage/FORMAT.md section 9.  Every length read back is checked
 * against the bytes held before use (struct dp_cur); a bad block is an
 * enum st_dec reason, never a crash.
 */
#ifndef ST_COLUMN_H
#define ST_COLUMN_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "record.h"

#define ST_COL_MAGIC 0x42435452u  /**< "RTCB": raw column block */
#define ST_COLZ_MAGIC 0x5a435452u /**< "RTCZ": compressed column block */
#define ST_COL_VERSION 2u   /**< raw column block codec (version 1: not read) */
#define ST_COLZ_VERSION 2u  /**< compressed block wrapper (version 1: not read) */
#define ST_COLZ_HDR_LEN 16u
#define ST_COL_MAX_RECS 65536u
#define ST_COL_MAX_RAW (16u << 20)
#define ST_COL_MAX_DIGITS 19u /**< longest digit run of a text template */

/** Columns, in stream order (FORMAT.md section 9). */
enum st_col {
	COL_PRES,     /* varint presence bits (bit c: column c present) */
	COL_START,    /* varint zigzag(start - previous start) */
	COL_DUR,      /* varint stop - start (closed sessions) */
	COL_ACCOUNT,  /* text columns: varint ref, literal when 0 */
	COL_SID,
	COL_CALLING,
	COL_NASID,
	COL_NASPORT,
	COL_NAS,      /* ref, literal u8 family (4|6) + address */
	COL_IPV4,     /* varint zigzag(int32 step from the previous ipv4) */
	COL_IPV6,     /* 16 bytes */
	COL_PFX,      /* u8 plen, u8 n, n bytes */
	COL_DPFX,
	COL_MAC,      /* 6 bytes */
	COL_SKEW,     /* varint zigzag(clock_skew_ms) */
	COL_LASTNEWS, /* varint zigzag(last_news - start) */
	COL_PREVNEWS, /* varint zigzag(prev_news - start) */
	COL_SOURCES,  /* u8, non-zero */
	COL_AUTH,     /* u8, non-zero */
	COL_CAUSE,    /* u8, non-zero, closed only */
	COL_FLAGS,    /* u8 rt_session.flags, non-zero */
	COL_TUNIT,    /* u8 decimal scales of the time and duration (or empty) */
	COL_N
};

/** Encoder scratch (per-block text dictionaries); zero-initialise, reuse. */
struct st_col_enc {
	uint32_t *slot;  /* hash slots: value index + 1, 0 empty */
	uint32_t nslot;
	const uint8_t **val; /* value bytes (into the input sessions) */
	uint16_t *vlen;  /* length | column << 9 */
	uint32_t *vidx;  /* index within its column's dictionary */
	uint32_t ncol[COL_N];
	uint32_t nval, capval;
	/* digit templates of text columns (prefix, digit count, suffix) */
	uint32_t *tslot;
	const uint8_t **tval; /* the text that made the template */
	uint8_t (*tdesc)[4];  /* length, digit-run offset, digit count, column */
	uint32_t *tidx;       /* index within its column's templates */
	uint32_t ntcol[COL_N];
	uint32_t ntpl;
	uint8_t lcp[COL_N]; /* leading digits common to the block's all-digit values */
	struct st_buf col[COL_N];
	struct st_buf body[COL_N]; /* text columns: payload bytes */
	uint64_t *tq;              /* time steps of the candidate codings */
	uint32_t captq;
};

/**
 * Append the raw column block of v[0..n) to out (1 <= n <= ST_COL_MAX_RECS;
 * sessions valid for st_rec_check).
 * @return 0, ST_EINVAL, -ENOMEM
 */
int st_col_encode(struct st_col_enc *e, const struct rt_session *v, size_t n, struct st_buf *out);
void st_col_enc_done(struct st_col_enc *e);

/** What st_col_scan() gives of each record without decoding it whole. */
struct st_col_light {
	int64_t start, stop; /* stop: RT_TIME_NONE when open */
	uint64_t pres;       /* presence bits */
	uint32_t ip;         /* ipv4 as a big-endian integer (0 when absent) */
};

/** Reader of one raw column block (views into the bytes: keep them). */
struct st_col_reader {
	uint32_t nrecs, next;
	uint8_t tmode;          /* time coding (FORMAT.md 9.2) */
	uint8_t width;          /* bits of a packed time offset */
	const uint8_t *packed;  /* packed time offsets (TM_PACKED) */
	int64_t prev_anchor;    /* anchor time of the previous record */
	int64_t base;
	uint32_t prev_ip;       /* previous ipv4 of the block */
	uint64_t ustart, udur; /* time units of the block (>= 1) */
	struct dp_cur col[COL_N];
	struct dp_cur body[COL_N]; /* text columns: payload bytes */
	/* per text / NAS column: values seen so far, decoded into arena
	 * (length or family byte, then the bytes) */
	uint32_t *doff[COL_N];
	uint8_t *dlen[COL_N];
	uint32_t ndict[COL_N];
	const uint8_t **tpl[COL_N]; /* text columns: digit templates (views) */
	uint32_t ntpl[COL_N];
	uint8_t *arena;
	size_t arena_len, arena_cap;
	uint32_t cap;
	/* st_col_scan: per record and column, the offset of its value in the
	 * column (fixed-size and varint columns) or its dictionary entry (ref
	 * columns); UINT32_MAX when absent */
	uint32_t *at;
	uint32_t capat;
	const uint8_t *colp[COL_N]; /* column starts */
	size_t coll[COL_N];
	uint64_t *pres;
	const struct st_col_light *light; /* given to st_col_scan */
};

/** Parse the header and split the columns.  The reader's arrays are kept
 *  between blocks (st_col_reader_done frees them). */
enum st_dec st_col_open(struct st_col_reader *r, const uint8_t *raw, size_t len);
/** Decode the next record (r->next < r->nrecs) into *ret, which must be
 *  zeroed or hold a record decoded before (text bytes past each length
 *  zero): only what it used is cleared.  After the last record every
 *  column must be used up (else ST_DEC_TRAILING). */
enum st_dec st_col_next(struct st_col_reader *r, struct rt_session *ret);
void st_col_reader_done(struct st_col_reader *r);


/**
 * Scan a whole opened block (instead of st_col_next): validate every
 * record as st_col_next does, fill light[0..nrecs) and remember where each
 * record's fields are, so that st_col_get() decodes any one of them.
 * The reader keeps its arrays between blocks.
 */
enum st_dec st_col_scan(struct st_col_reader *r, struct st_col_light *light);
/** Record i of a scanned block into *ret (cleared as by st_col_next). */
enum st_dec st_col_get(struct st_col_reader *r, uint32_t i, struct rt_session *ret);
/** Text column c (COL_ACCOUNT .. COL_NASPORT) of scanned record i equals
 *  v[0..n)?  (n == 0: the field is absent.) */
bool st_col_text_eq(const struct st_col_reader *r, uint32_t i, unsigned c, const void *v,
		    size_t n);

/** Header of a compressed column block (nrecs: the raw block's; dict_id:
 *  the one given to st_colz_open). */
struct st_colz_hdr {
	uint32_t nrecs, raw_len, comp_len;
	uint32_t dict_id; /**< 0: no dictionary */
};

/** Upper bound of st_colz_seal's output for raw_len bytes. */
size_t st_colz_bound(size_t raw_len);
/**
 * Compress raw (a column block of nrecs records) into dst (st_colz_bound
 * bytes): header, then one zstd frame with content size and checksum and
 * no dictionary id, using cdict when not NULL (dict_id: its id, 0
 * without; not written).
 */
int st_colz_seal(ZSTD_CCtx *cctx, const ZSTD_CDict *cdict, uint32_t dict_id, const uint8_t *raw,
		 size_t raw_len, uint32_t nrecs, uint8_t *dst, size_t *ret_len);
/**
 * Validate and decompress a compressed column block held in p[0..len):
 * magic, version, header CRC, bounds, frame sizes and checksum; ddict
 * (when not NULL) must have id `dict_id` (0: no dictionary).
 * The raw bytes land in *raw (then open them with st_col_open).
 * @return 0, or ST_ECORRUPT / ST_EVERSION with *ret_why set; -ENOMEM
 */
int st_colz_open(ZSTD_DCtx *dctx, const ZSTD_DDict *ddict, uint32_t dict_id, const uint8_t *p,
		 size_t len, struct st_colz_hdr *ret_hdr, struct st_buf *raw, enum st_dec *ret_why);

/**
 * Train a zstd dictionary of at most cap bytes on the raw column blocks
 * samples (concatenated, sizes[i] each).  @return its size, or 0 when
 * there is too little to train on (use no dictionary then).
 */
size_t st_col_train(void *dict, size_t cap, const void *samples, const size_t *sizes,
		    unsigned n);

#endif /* ST_COLUMN_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file record.h
 * @brief The on-disk codec of storage/: session records, compressed blocks
 *        and segment files (layouts in storage/FORMAT.md).
 *
 * Internal to storage/ and its tests and fuzzers; other folders use store.h.
 *
 * Design note
 * -----------
 * Everything here reads untrusted bytes (files, LMDB values) through a
 * struct dp_cur and reports why it rejected them: decoders return an
 * enum st_dec, 0 for success or one reason per rejection, which the store
 * maps to ST_ECORRUPT (or ST_EVERSION) with st_dec_err().  Decoders never
 * read past the cursor, never trust a length before checking it against
 * what remains, and bound every allocation by a constant of this header.
 *
 * A record is encoded relative to the previous record of its block (its
 * start time is a delta), so records of a block are decoded in order; a
 * record stored alone (an open session in LMDB) uses prev_start = 0.
 *
 * Encoding is canonical: decode(encode(s)) equals s for every valid s
 * whose unused bytes (text beyond len, address bytes beyond the family,
 * prefix bytes of an absent prefix) are zero, and two sessions that
 * decode equal encode to the same bytes.
 */
#ifndef ST_RECORD_H
#define ST_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zstd.h>

#include "cursor.h"
#include "session.h"

/* ---- limits and magic numbers (FORMAT.md) ---------------------------- */

#define ST_FORMAT_VERSION 1u /**< segment, block and record codec version */

#define ST_SEG_MAGIC 0x47535452u /**< "RTSG" as a little-endian u32 */
#define ST_BLK_MAGIC 0x4b425452u /**< "RTBK" as a little-endian u32 */
#define ST_SEG_HDR_LEN 32u
#define ST_BLK_HDR_LEN 32u

/** Most records a block may claim (a reader allocates per record). */
#define ST_BLK_MAX_RECS 65536u
/** Most decompressed bytes a block may claim. */
#define ST_BLK_MAX_RAW (8u << 20)
/** Longest encoding of one record (all fields present, texts full). */
#define ST_REC_MAX 1536u

#define ST_NS_PER_DAY INT64_C(86400000000000)

/** Why a decoder rejected its input. */
enum st_dec {
	ST_DEC_OK = 0,
	ST_DEC_TRUNCATED,      /**< input ends inside a field */
	ST_DEC_BAD_FLAGS,      /**< unknown or contradictory presence bits */
	ST_DEC_BAD_TEXT,       /**< text length 0 or > RT_TEXT_MAX */
	ST_DEC_BAD_TIME,       /**< time out of range or stop before start */
	ST_DEC_BAD_PREFIX,     /**< prefix length > 128 or too many bytes */
	ST_DEC_BAD_SKEW,       /**< clock skew does not fit 32 bits */
	ST_DEC_TRAILING,       /**< bytes left after the last record */
	ST_DEC_BAD_MAGIC,      /**< segment or block magic wrong */
	ST_DEC_BAD_VERSION,    /**< format version this build does not read */
	ST_DEC_BAD_HEADER_CRC, /**< header checksum mismatch */
	ST_DEC_BAD_SIZE,       /**< a length field out of bounds */
	ST_DEC_BAD_FRAME,      /**< zstd frame malformed or sizes disagree */
	ST_DEC_BAD_CHECKSUM,   /**< zstd content checksum mismatch or data error */
	ST_DEC_MISMATCH,       /**< block is not the one the catalogue names */
	ST_DEC_LAST
};

/** Name of a rejection reason ("truncated", ...). */
const char *st_dec_str(enum st_dec why);

/** ST_EVERSION for ST_DEC_BAD_VERSION, else ST_ECORRUPT (0 for OK). */
int st_dec_err(enum st_dec why);

/* ---- little helpers shared by the codec and the store ---------------- */

/** Growable byte buffer. */
struct st_buf {
	uint8_t *p;
	size_t len, cap;
};

/** Make room for `extra` more bytes.  @return 0 or -ENOMEM */
int st_buf_reserve(struct st_buf *b, size_t extra);
void st_buf_done(struct st_buf *b);

/** CRC-32C (Castagnoli) of n bytes, initial value 0. */
uint32_t st_crc32c(const void *p, size_t n);

/** UTC day number (days since 1970-01-01, floor) of an instant. */
static inline int32_t st_day_of(int64_t ns)
{
	int64_t d = ns / ST_NS_PER_DAY;
	if (ns % ST_NS_PER_DAY < 0)
		d--;
	return (int32_t)d;
}

/** First instant of a day; saturates at INT64_MAX/INT64_MIN. */
int64_t st_day_start(int32_t day);

/** "YYYY-MM-DD" of a day number; buf needs 16 bytes. */
void st_day_name(int32_t day, char buf[16]);

/** Parse "YYYY-MM-DD.seg"; @return true and the day if it is one. */
bool st_day_parse_segname(const char *name, int32_t *ret_day);

/** RFC 3339 UTC with nanoseconds ("2026-10-01T08:00:00.000000000Z");
 *  buf needs 40 bytes. */
void st_time_rfc3339(int64_t ns, char buf[40]);

static inline uint8_t *st_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static inline uint8_t *st_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static inline uint8_t *st_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

static inline uint8_t *st_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
	return p + 4;
}

static inline uint8_t *st_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	return p + 8;
}

static inline uint8_t *st_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t st_zigzag(uint64_t d)
{
	return (d << 1) ^ (0 - (d >> 63));
}

static inline uint64_t st_unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/** Two's complement conversion without implementation-defined casts. */
static inline int64_t st_u2i(uint64_t u)
{
	int64_t i;
	memcpy(&i, &u, sizeof(i));
	return i;
}

/** Signed time as an order-preserving big-endian key part. */
static inline uint8_t *st_put_time_key(uint8_t *p, int64_t t)
{
	return st_put_be64(p, (uint64_t)t ^ UINT64_C(0x8000000000000000));
}

static inline int64_t st_time_from_key(uint64_t k)
{
	return st_u2i(k ^ UINT64_C(0x8000000000000000));
}

/* ---- records ----------------------------------------------------------- */

/**
 * Check that a session can be stored: texts <= RT_TEXT_MAX, nas_ip family
 * 0/4/6, prefix lengths <= 128, start != RT_TIME_NONE, stop >= start when
 * closed.
 * @return 0 or ST_EINVAL
 */
int st_rec_check(const struct rt_session *s);

enum st_enc_opts {
	/** Leave out last_news_ns/prev_news_ns (tracker state, kept for open
	 *  sessions only): they decode as RT_TIME_NONE. */
	ST_ENC_NO_TRACKER = 1u << 0,
};

/**
 * Encode one checked session (st_rec_check() == 0).
 * @param[in] s          the session
 * @param[in] prev_start start_ns of the previous record of the block, or 0
 * @param[in] opts       enum st_enc_opts
 * @param[out] dst       at least ST_REC_MAX bytes
 * @return bytes written (> 0)
 */
size_t st_rec_encode(const struct rt_session *s, int64_t prev_start, unsigned opts,
		     uint8_t *dst);

/**
 * Decode one record and advance the cursor past it.
 * @param[in,out] c      cursor at the record; unchanged on failure
 * @param[in] prev_start as given to st_rec_encode
 * @param[out] ret       the session, or NULL to validate and skip only.
 *                       Scratch: its contents are unspecified on failure
 *                       (hot path: decoded in place, not copied).
 * @return ST_DEC_OK or the reason
 */
enum st_dec st_rec_decode(struct dp_cur *c, int64_t prev_start, struct rt_session *ret);

/**
 * Decode only the times of a record, skipping (but fully validating) the
 * rest.  Cheap: no struct rt_session is written.
 */
enum st_dec st_rec_times(struct dp_cur *c, int64_t prev_start, int64_t *ret_start,
			 int64_t *ret_stop);

/* ---- blocks ------------------------------------------------------------ */

struct st_blk_hdr {
	uint32_t nrecs;
	uint32_t raw_len;
	uint32_t comp_len;
	int32_t day;
	uint32_t block_no;
};

/** Bytes a sealed block of raw_len bytes may take (header included). */
size_t st_blk_bound(size_t raw_len);

/**
 * Compress raw records into a framed block (header + zstd frame with
 * content size and content checksum).
 * @param[in] cctx     compression context, parameters set by st_cctx_setup()
 * @param[in,out] h    nrecs, raw_len, day, block_no in; comp_len out
 * @param[out] dst     st_blk_bound(h->raw_len) bytes
 * @param[out] ret_len bytes written
 * @return 0, ST_EZSTD
 */
int st_blk_seal(ZSTD_CCtx *cctx, struct st_blk_hdr *h, const uint8_t *raw, uint8_t *dst,
		size_t *ret_len);

/** Set the compression parameters every block uses.  @return 0, ST_EZSTD */
int st_cctx_setup(ZSTD_CCtx *cctx, int level);

/**
 * Validate a block header: magic, version, header length, checksum, and
 * sizes within ST_BLK_MAX_*.  Consumes ST_BLK_HDR_LEN bytes on success.
 */
enum st_dec st_blk_hdr_parse(struct dp_cur *c, struct st_blk_hdr *ret);

/**
 * Validate and decompress a whole framed block (header + frame, exactly
 * `len` bytes): header, then the frame (single frame of exactly comp_len
 * bytes, declared content size == raw_len, content checksum present and
 * correct).  The records themselves are not decoded.
 * @param[out] ret_hdr  the header
 * @param[out] raw      receives the raw_len decompressed bytes (grown;
 *                      raw->len set)
 * @param[out] ret_why  the reason when the return is ST_ECORRUPT/ST_EVERSION
 * @return 0, ST_ECORRUPT, ST_EVERSION, -ENOMEM
 */
int st_blk_open(ZSTD_DCtx *dctx, const uint8_t *p, size_t len, struct st_blk_hdr *ret_hdr,
		struct st_buf *raw, enum st_dec *ret_why);

/* ---- segments ------------------------------------------------------------ */

/** Write the ST_SEG_HDR_LEN-byte header of the segment of `day`. */
void st_seg_hdr_write(uint8_t dst[ST_SEG_HDR_LEN], int32_t day);

/** Validate a segment header; consumes ST_SEG_HDR_LEN bytes. */
enum st_dec st_seg_hdr_parse(struct dp_cur *c, int32_t *ret_day);

/** Called per record by st_seg_walk(); non-zero stops the walk. */
typedef int (*st_seg_rec_fn)(void *ctx, uint32_t block_no, uint32_t idx,
			     const struct rt_session *s);

/**
 * Walk a whole segment held in memory: its header, then blocks back to
 * back up to `len`, each validated (its day and block number must follow
 * on), decompressed and decoded.  Memory-buffer reader for verification
 * tools and fuzzing.
 * @param[out] ret_why the reason when the return is ST_ECORRUPT/ST_EVERSION
 * @return 0, fn's non-zero value, ST_ECORRUPT, ST_EVERSION, -ENOMEM
 */
int st_seg_walk(const uint8_t *p, size_t len, st_seg_rec_fn fn, void *ctx,
		enum st_dec *ret_why);

#endif /* ST_RECORD_H */

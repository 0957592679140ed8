/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file sealed.h
 * @brief Sealed segments (segment format version 2, header layout 3): one immutable file per
 *        sealed day, records in compressed column blocks sorted by IPv4
 *        address then start, with its own compact indexes.
 *
 * Built by st_sealed_build() from the records of a day's version 1 segment
 * when the day is sealed; read through struct st_sealed (a validated view
 * of the whole file in memory).  Layout: storage/FORMAT.md section 9.
 *
 * Indexes inside the file:
 *  - IPv4: none needed: records are sorted by (ipv4, start), and the block
 *    table holds the first address of each block (fences);
 *  - account, calling number, IPv6 prefixes: hash indexes (hash -> block
 *    number); every record of the block is checked, so a hash collision
 *    costs a decode, never a wrong answer;
 *  - long sessions (stop - start > one day): a small sorted table
 *    (kind, key, start, stop, record) so that a day whose regular sessions
 *    cannot overlap a query is searched without decompressing anything.
 */
#ifndef ST_SEALED_H
#define ST_SEALED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "column.h"
#include "record.h"

#define ST_SEG2_VERSION 3u /**< sealed segment layout (version 2: not read) */
#define ST_SEG2_HDR_LEN 64u
#define ST_SEG2_BLOCK_RECS 64u
#define ST_SEG2_DICT_MAX (32u << 10)

/** Section kinds (directory entries). */
enum st_sect {
	SECT_DICT = 1,   /* zstd dictionary (may be empty) */
	SECT_BLOCKS,     /* block table */
	SECT_DATA,       /* compressed column blocks */
	SECT_HACCT,      /* hash index: account */
	SECT_HCALL,      /* hash index: calling number */
	SECT_HV6,        /* hash index: IPv6 prefixes, with their lengths */
	SECT_LONG,       /* long sessions */
	SECT_N_KINDS
};

/** Kinds of long-table entries and hash indexes. */
enum st_hkind { HK_IP4, HK_ACCT, HK_CALL, HK_V6, HK_N };

struct st_sealed_blk {
	uint64_t off;     /* in SECT_DATA */
	uint32_t len, nrecs, first_rec;
	uint32_t first_ip; /* fence: address of the first record (0: none) */
	int64_t min_start, max_stop, min_stop;
};

struct st_hix {
	const uint8_t *p; /* section bytes */
	size_t len;
	uint32_t n, hbits, nchunks;
	const uint8_t *fences; /* nchunks * 8 */
	const uint8_t *body;
	size_t body_len;
	uint8_t plens[17];     /* SECT_HV6: prefix lengths present (bitmap) */
};

/** A validated sealed segment in memory (views into p[0..len)). */
struct st_sealed {
	const uint8_t *p;
	size_t len;
	int32_t day;
	uint32_t nrecs, nblocks, dict_id;
	const uint8_t *dict;
	size_t dict_len;
	const uint8_t *blocks; /* nblocks * ST_SEG2_BLKENT */
	const uint8_t *data;
	size_t data_len;
	struct st_hix hix[HK_N];
	/* hash sections not validated yet (st_sealed_open_lazy): their bytes
	 * and directory CRC; hix_state 0 unchecked, 1 valid, 2 corrupt */
	const uint8_t *hix_sp[HK_N];
	size_t hix_sl[HK_N];
	uint32_t hix_crc[HK_N];
	uint8_t hix_state[HK_N];
	uint8_t hix_why[HK_N]; /* enum st_dec of a corrupt one */
	const uint8_t *lng; /* nlong * ST_SEG2_LONGENT */
	uint32_t nlong;
	ZSTD_DDict *ddict;
	/* decoded block cache (one block) */
	uint32_t cblock; /* UINT32_MAX: none */
	struct rt_session *rows;     /* decoded on demand (rowok) */
	struct st_col_light *light;  /* every record of the block */
	uint8_t *rowok;
	uint32_t caprows;
	struct st_buf raw;
	struct st_col_reader rd;
};

#define ST_SEG2_BLKENT 48u
#define ST_SEG2_LONGENT 16u
#define ST_SEG2_LONG_KSHIFT 30u /* long entry: kind << 30 | record */
#define ST_SEG2_LONG_RECMASK ((UINT32_C(1) << ST_SEG2_LONG_KSHIFT) - 1)
#define ST_SEG2_CHUNK 64u /* hash index entries per chunk */

/**
 * Build the sealed file of `day` from its n records v[0..n) (1 <= n < 2^30; the
 * file holds them sorted by (ipv4, start, index in v)) into *out
 * (appended).
 * Deterministic: the same records in the same order give the same bytes.
 * @return 0, ST_EINVAL, ST_EZSTD, -ENOMEM
 */
int st_sealed_build(int32_t day, struct rt_session *v, size_t n, int zstd_level,
		    struct st_buf *out);

/** Record i (0 .. n-1) of the day, in any fixed order, into *ret. */
typedef int (*st_sealed_get_fn)(void *ctx, size_t i, struct rt_session *ret);
/** st_sealed_build() over records fetched one at a time (the builder holds
 *  one block of decoded records, not the day). */
int st_sealed_build_from(int32_t day, size_t n, st_sealed_get_fn get, void *ctx, int zstd_level,
			 struct st_buf *out);

/**
 * Validate the header, directory and the small sections (CRC-32C each,
 * sizes, ordering of the block table, index bounds) and set up *s over
 * p[0..len) (kept by the caller while s is used).  Data blocks are
 * validated when read.  @return 0, ST_ECORRUPT / ST_EVERSION (*ret_why),
 * -ENOMEM
 */
int st_sealed_open(struct st_sealed *s, const uint8_t *p, size_t len, enum st_dec *ret_why);
/**
 * st_sealed_open() without the hash index sections (account, calling
 * number, IPv6: most of the bytes a first open would checksum): each is
 * validated whole (CRC-32C, layout) by its first use, st_sealed_hash() or
 * st_sealed_hix_check(), and the verdict kept.  What an IPv4 lookup reads
 * (header, directory, dictionary, block and long tables) is validated here
 * as by st_sealed_open().  @return as st_sealed_open()
 */
int st_sealed_open_lazy(struct st_sealed *s, const uint8_t *p, size_t len, enum st_dec *ret_why);
/** Validate hash index kind (HK_ACCT, HK_CALL, HK_V6) if not done yet;
 *  s->hix[kind] may be read after it returned 0.
 *  @return 0, ST_ECORRUPT (*ret_why), ST_EINVAL (kind) */
int st_sealed_hix_check(struct st_sealed *s, unsigned kind, enum st_dec *ret_why);
void st_sealed_close(struct st_sealed *s);

/** Parse block table entry b. */
void st_sealed_blk(const struct st_sealed *s, uint32_t b, struct st_sealed_blk *ret);
/** Decompress and scan block b (cached; validated whole): *ret = the
 *  times, presence and address of its records. */
int st_sealed_scan(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t b,
		   const struct st_col_light **ret);
/** Record i of block b, decoded (once) from the scanned block. */
int st_sealed_row(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t b, uint32_t i,
		  const struct rt_session **ret);
/** Text column col (COL_ACCOUNT ...) of record i of the scanned block
 *  equals v[0..n)? */
bool st_sealed_text_eq(const struct st_sealed *s, uint32_t i, unsigned col, const void *v,
		       size_t n);
/** Decode block b (cached): *ret = its records (nrecs of st_sealed_blk). */
int st_sealed_block(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t b,
		    const struct rt_session **ret);
/** Record number rec. */
int st_sealed_record(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t rec,
		     const struct rt_session **ret);

typedef int (*st_sealed_fn)(void *ctx, uint32_t rec, const struct rt_session *s);
/** Records holding ipv4 (4 bytes) and overlapping [from, to]. */
int st_sealed_ip4(struct st_sealed *s, ZSTD_DCtx *dctx, const uint8_t ip[4], int64_t from,
		  int64_t to, st_sealed_fn fn, void *ctx);
/** Blocks under hash index kind (HK_ACCT, HK_CALL, HK_V6) for key bytes
 *  k[0..n): fn gets each block number that may hold a record with the key
 *  (decode it and check the records).  Validates the index on its first
 *  use (st_sealed_hix_check). */
int st_sealed_hash(struct st_sealed *s, unsigned kind, const uint8_t *k, size_t n,
		   int (*fn)(void *ctx, uint32_t rec), void *ctx);
/** Long sessions of kind with key bytes k overlapping [from, to]: fn gets
 *  each candidate record (the table's bounds are whole seconds rounded
 *  out, and keys are hashes: check the record's times and key). */
int st_sealed_long(const struct st_sealed *s, unsigned kind, const uint8_t *k, size_t n,
		   int64_t from, int64_t to, int (*fn)(void *ctx, uint32_t rec), void *ctx);
/** Key hash used by the hash indexes and the long table. */
uint32_t st_sealed_key(unsigned kind, const uint8_t *k, size_t n);

/** Day of a segment file header of either version (v1 or v2). */
enum st_dec st_seg_any_hdr(const uint8_t *p, size_t len, unsigned *ret_version,
			   int32_t *ret_day);

#endif /* ST_SEALED_H */

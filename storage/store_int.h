/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by store.c (open, write, commit), query.c (reads) and
 * expire.c (retention).  Not a public header.
 *
 * Catalogue layouts (LMDB named databases) are in storage/FORMAT.md; every
 * value read back from LMDB is parsed through a struct dp_cur like file
 * bytes, since the catalogue is disk data too.
 */
#ifndef ST_STORE_INT_H
#define ST_STORE_INT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

/* LMDB named databases. */
enum st_db {
	DB_META,   /* "meta":   "store" -> struct st_meta */
	DB_DAYS,   /* "days":   day -> struct st_dayinfo */
	DB_BLOCKS, /* "blocks": (day, block) -> struct st_blkinfo */
	DB_OPEN,   /* "open":   open key -> record (standalone) */
	DB_CTR,    /* "counters": name -> u64 */
	DB_IX,     /* DB_IX + ix: closed-session indexes (DUPSORT) */
	DB_IXO = DB_IX + 3, /* DB_IXO + ix: open-session indexes (DUPSORT) */
	DB_N = DB_IXO + 3,
};

/* Indexed fields. */
enum st_ix { IX_IP4, IX_ACCT, IX_CALL, IX_N };

#define ST_META_LEN 32u
#define ST_DAYINFO_LEN 32u
#define ST_BLKINFO_LEN 40u
#define ST_DAYKEY_LEN 4u
#define ST_BLKKEY_LEN 8u
/* index key: 1 + RT_TEXT_MAX + 8 at most; open key: 1 + 16 + RT_TEXT_MAX */
#define ST_IXKEY_MAX (1 + RT_TEXT_MAX + 8)
#define ST_OPENKEY_MAX (17 + RT_TEXT_MAX)
#define ST_IXREF_MAX 30u /* three varints */

struct st_meta {
	uint32_t version;
	int64_t horizon; /* RT_TIME_NONE: never expired */
	uint64_t maxdur; /* longest stop - start of any closed session stored */
	uint64_t nclosed;
};

struct st_dayinfo {
	uint64_t size;    /* committed bytes of the segment file */
	uint32_t nblocks;
	uint64_t nrecs;
	uint64_t nexpired; /* records removed by partial expiry */
};

struct st_blkinfo {
	uint64_t offset;
	uint32_t length; /* header + frame */
	uint32_t nrecs;
	int64_t min_start, min_stop, max_stop;
};

/* A sealed block waiting for commit (offset within st_pday.out). */
struct st_pblk {
	size_t off;
	uint32_t length, nrecs;
	int64_t min_start, min_stop, max_stop;
};

/* Writer state of one day: committed catalogue entry plus pending data. */
struct st_pday {
	int32_t day;
	bool known;            /* in the catalogue */
	struct st_dayinfo ci;  /* as committed */
	struct st_buf raw;     /* block being filled */
	uint32_t nrecs;
	int64_t prev_start, min_start, min_stop, max_stop;
	struct st_buf out;     /* sealed blocks, back to back */
	struct st_pblk *pb;
	size_t npb, cap_pb;
};

/* Offsets into an arena of [u16 klen][u16 dlen][key][data] entries. */
struct st_kvlist {
	struct st_buf arena;
	size_t *off;
	size_t n, cap;
};

struct st_pctr {
	char *name;
	uint64_t delta;
};

struct st_bcache {
	bool valid;
	int32_t day;
	uint32_t block;
	struct st_buf raw;
	uint32_t nrecs;
	uint32_t scanned; /* records whose offsets are known */
	uint32_t *off;    /* offset of record i in raw (nrecs + 1 entries) */
	int64_t *prev;    /* prev_start of record i */
	uint32_t cap;
};

#define ST_BCACHE_N 4
#define ST_FDCACHE_N 8

struct st_store {
	char *dir;
	int dirfd, segfd;
	bool writable;
	MDB_env *env;
	MDB_dbi db[DB_N];

	/* reading */
	MDB_txn *rtxn; /* kept reset between queries */
	bool busy;     /* a query is running (callbacks may not nest one) */
	ZSTD_DCtx *dctx;
	struct st_buf comp;
	struct st_bcache bc[ST_BCACHE_N];
	unsigned bc_next;
	struct {
		int32_t day;
		int fd;
	} fdc[ST_FDCACHE_N];
	unsigned fdc_next;
	struct rt_session row;

	/* writing */
	ZSTD_CCtx *cctx;
	uint32_t block_recs;
	size_t block_raw_max;
	struct st_meta meta; /* as committed */
	struct st_pday **days; /* sorted by day */
	size_t ndays, cap_days;
	struct st_pday *last_day;
	struct st_kvlist pix[IX_N]; /* pending closed index entries */
	uint64_t pend_closed;
	uint64_t pend_maxdur;
	bool open_replace;
	struct st_kvlist popen;   /* pending open set (key, record) */
	struct st_kvlist pclosed; /* open keys closed since (key, empty) */
	uint64_t open_committed;  /* entries of DB_OPEN as committed */
	struct st_pctr *pctr;
	size_t npctr, cap_pctr;
	struct rt_session wrow; /* scratch of the write path */
};

/* ---- store.c ------------------------------------------------------------- */

int st_mdb_err(int rc);
int st_meta_parse(const MDB_val *v, struct st_meta *ret);
void st_meta_write(uint8_t dst[ST_META_LEN], const struct st_meta *m);
int st_meta_get(st_store *st, MDB_txn *txn, struct st_meta *ret);
int st_dayinfo_parse(const MDB_val *v, struct st_dayinfo *ret);
void st_dayinfo_write(uint8_t dst[ST_DAYINFO_LEN], const struct st_dayinfo *d);
int st_blkinfo_parse(const MDB_val *v, struct st_blkinfo *ret);
void st_blkinfo_write(uint8_t dst[ST_BLKINFO_LEN], const struct st_blkinfo *b);
void st_daykey(uint8_t dst[ST_DAYKEY_LEN], int32_t day);
int32_t st_daykey_day(const uint8_t *k);
void st_blkkey(uint8_t dst[ST_BLKKEY_LEN], int32_t day, uint32_t block);

/** Index key of s for ix; 0 when s has no value for it. */
size_t st_ix_key(unsigned ix, const struct rt_session *s, uint8_t *dst);
/** Closed index data: varint dur, varint block, varint idx. */
size_t st_ix_ref(uint64_t dur, uint32_t block, uint32_t idx, uint8_t *dst);
/** Parse closed index data. @return 0 or ST_ECORRUPT */
int st_ix_ref_parse(const MDB_val *v, uint64_t *ret_dur, uint32_t *ret_block,
		    uint32_t *ret_idx);
/** Open-table key: family, 16 address bytes, session id. */
size_t st_open_key(const struct rt_session *s, uint8_t *dst);

/** Delete the index entries of the open session stored under key/val. */
int st_open_unindex(st_store *st, MDB_txn *txn, const MDB_val *key, const MDB_val *val);

/** Drop cached blocks and descriptors of a day (after its removal). */
void st_cache_drop_day(st_store *st, int32_t day);

int st_pday_find(st_store *st, int32_t day, struct st_pday **ret);
void st_pday_remove(st_store *st, int32_t day);

/* ---- query.c ------------------------------------------------------------- */

/**
 * Load block (day, block) through the cache, validated against its
 * catalogue entry read in txn.
 */
int st_block_get(st_store *st, MDB_txn *txn, int32_t day, uint32_t block,
		 struct st_bcache **ret);
/** Decode record idx of a cached block into *ret. */
int st_block_record(struct st_bcache *b, uint32_t idx, struct rt_session *ret);
void st_bcache_done(struct st_bcache *b);
int st_seg_fd(st_store *st, int32_t day, int *ret_fd);

#endif /* ST_STORE_INT_H */

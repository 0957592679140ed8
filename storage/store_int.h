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

#include "kvsort.h"
#include "record.h"
#include "store.h"

/* LMDB named databases. */
enum st_db {
	DB_META,   /* "meta":   "store" -> struct st_meta */
	DB_DAYS,   /* "days":   day -> struct st_dayinfo */
	DB_OPEN,   /* "open":   open key -> record (standalone) */
	DB_CTR,    /* "counters": name -> u64 */
	DB_SEALS,  /* "seals":  be32 seq -> struct st_seal (seal.c) */
	DB_IXO,    /* DB_IXO + st_ix_db(ix): open-session indexes (DUPSORT) */
	DB_N = DB_IXO + 4,
};

/*
 * Indexed fields (key slots).  The three IPv6 slots (ipv6_prefix,
 * delegated_prefix, ipv6_addr as a /128) share one database: an address
 * query probes each prefix length stored there (FORMAT.md "Catalogue").
 */
enum st_ix { IX_IP4, IX_ACCT, IX_CALL, IX_V6P, IX_V6D, IX_V6A, IX_N };
#define IXDB_N 4u /* databases: ipv4, account, calling, ipv6 */

/** Database (0 .. IXDB_N-1) of an index slot. */
static inline unsigned st_ix_db(unsigned ix)
{
	return ix >= IX_V6P ? IX_V6P : ix;
}

/*
 * Per-segment-day partitions (named databases "<prefix>YYYY-MM-DD") of an
 * open day: its block table and the catalogue of its index runs (run.h,
 * FORMAT.md section 5).  Sealing or expiring a day drops them.
 */
enum st_part { PART_BLK = 0, PART_RUN, PART_N };

/*
 * Index runs: tree = database (st_ix_db) for regular sessions, + IXDB_N for
 * long ones (stop - start > ST_LONG_NS), so that the walk in the regular
 * trees is bounded by one day whatever the longest session, and a day's
 * regular trees are searched only when a regular session of it can overlap
 * the query (FORMAT.md "Long sessions").  Keys of PART_RUN:
 *   00 | be32 run id          -> runinfo (ST_RUNINFO_LEN)
 *   01 | be32 run id | key    -> fence: le64 offset, le32 length of the chunk
 *                                whose first key is `key`
 */
#define ST_RUNKEY_INFO 0u
#define ST_RUNKEY_FENCE 1u
#define ST_RUNINFO_LEN 24u
#define ST_FENCE_LEN 12u
/* A run of n keys is of level floor(log4(n)); when a commit's new run would
 * make st_run_fanout(level) runs of one level, they are merged into one (of
 * a higher level), and so on up.  Small levels merge by 4 (a tree holds at
 * most 3 runs of each); from ST_RUN_BIG_LEVEL (16384 keys) up by 8: a merge
 * there reads back, checks and rewrites megabytes, and by 8 a key is
 * rewritten about 1.5 times less often, for at most 7 runs of such a level
 * (a 1M-session day committed 65536 at a time: 2 writes of each key, was
 * 2.6; the commit's time halved, its file 33 % smaller). */
#define ST_RUN_FANOUT 4u
#define ST_RUN_FANOUT_BIG 8u
#define ST_RUN_BIG_LEVEL 7u
static inline unsigned st_run_fanout(unsigned level)
{
	return level >= ST_RUN_BIG_LEVEL ? ST_RUN_FANOUT_BIG : ST_RUN_FANOUT;
}
#define ST_RUN_MAXLIVE 256u /* live runs of one tree a reader accepts */

struct st_runinfo {
	uint64_t off;  /* of the run's header in the segment file */
	uint32_t len;  /* header + body */
	uint32_t nkeys;
	uint32_t id;
	uint8_t tree, level;
};
void st_runinfo_write(uint8_t dst[ST_RUNINFO_LEN], const struct st_runinfo *r);
/** Parse a runinfo (key: 00 | be32 id). */
int st_runinfo_parse(const MDB_val *k, const MDB_val *v, struct st_runinfo *ret);
/** Level of a run of n keys. */
uint8_t st_run_level(uint32_t n);

#define ST_LONG_NS (86400LL * 1000000000LL)
#define ST_MAXDBS 4096u

#define ST_META_LEN 40u
#define ST_SEAL_LEN 80u
/* catalogue layout version (meta.version); segment files: ST_FORMAT_VERSION */
#define ST_CATALOG_VERSION 4u
#define ST_SEAL_DAY_NONE INT32_MIN
/* meta.flags: a sealed segment was written encrypted (set once, never
 * cleared): a handle without keys must not seal (CRYPT.md) */
#define ST_META_ENCRYPTED 1u
#define ST_META_FLAGS_KNOWN ST_META_ENCRYPTED
#define ST_DAYINFO_LEN 72u
#define ST_BLKINFO_LEN 40u
#define ST_DAYKEY_LEN 4u
#define ST_BLKKEY_LEN 4u
/* index key: 1 + RT_TEXT_MAX + 8 at most (IPv6: 1 + 16 + 8); open key: 1 + 16 + RT_TEXT_MAX */
#define ST_IXKEY_MAX (1 + RT_TEXT_MAX + 8)
#define ST_OPENKEY_MAX (17 + RT_TEXT_MAX)
#define ST_IXREF_MAX 40u /* four varints */
/* closed index entry (key only): index key, then the ref */
#define ST_IXENT_MAX (ST_IXKEY_MAX + ST_IXREF_MAX)
/* a late record lives at most this many days after its stop day */
#define ST_LATE_MAX (1u << 20)

struct st_meta {
	uint32_t version;
	uint32_t flags;  /* ST_META_ENCRYPTED */
	int64_t horizon; /* RT_TIME_NONE: never expired */
	uint64_t maxdur; /* longest stop - start of any closed session stored */
	uint64_t nclosed;
	int32_t seal_day; /* first day not sealed; ST_SEAL_DAY_NONE: none sealed */
	uint32_t nseals;  /* entries of DB_SEALS (seq 1..nseals) */
};

/* One link of the seal chain (FORMAT.md "Sealing"). */
struct st_seal {
	uint32_t flags; /* ST_SEAL_EXPIRED */
	int32_t day;
	uint64_t size;
	uint8_t sha[32];   /* SHA-256 of the segment's bytes */
	uint8_t chain[32]; /* SHA-256 over the previous chain and this link */
};
#define ST_SEAL_EXPIRED 1u
#define ST_SEAL_DAMAGED 2u /* blocks failed validation when sealed */

/* dayinfo.flags: the segment file is a sealed segment (format version 2,
 * storage/sealed.h); the day has no partitions in the catalogue */
#define ST_DAY_SEALED2 1u

struct st_dayinfo {
	uint64_t size;    /* committed bytes of the segment file */
	uint32_t nblocks;
	uint32_t flags;   /* ST_DAY_SEALED2 */
	uint64_t nrecs;
	uint64_t nexpired; /* records removed by partial expiry */
	int64_t min_start; /* of the records in the segment */
	int64_t max_stop;
	uint64_t maxdur;   /* longest stop - start in the segment */
	int64_t rmin_start; /* earliest start of a regular record (INT64_MAX: none) */
	int64_t lmin_start; /* earliest start of a long record (INT64_MAX: none) */
};

struct st_blkinfo {
	uint64_t offset;
	uint32_t length; /* header + frame */
	uint32_t nrecs;
	int64_t min_start, min_stop, max_stop;
};

/* Offsets into an arena of [u16 klen][u16 dlen][key][data] entries. */
struct st_kvlist {
	struct st_buf arena;
	size_t *off;
	size_t n, cap;
};

/* A sealed block waiting for commit (offset within st_pday.out). */
struct msrc;     /* store.c: a sorted source of a run merge */
struct st_cjob;  /* store.c: one job of a commit */
struct st_worker;

struct st_pblk {
	size_t off;       /* in d->out, once compressed */
	uint32_t length;  /* compressed, header included */
	uint32_t nrecs;
	size_t raw_off;   /* its records: d->raw.p + raw_off, until compressed */
	uint32_t raw_len;
	int64_t min_start, min_stop, max_stop;
};

/* Writer state of one day: committed catalogue entry plus pending data. */
struct st_pday {
	int32_t day;
	bool known;            /* in the catalogue */
	struct st_dayinfo ci;  /* as committed */
	struct st_buf raw;     /* records of the closed blocks not compressed
				* yet (pb[nzb..npb)), then the block being
				* filled, from blk_start */
	size_t blk_start;
	uint32_t nrecs;        /* of the block being filled */
	int64_t prev_start, min_start, min_stop, max_stop;
	struct st_buf out;     /* sealed blocks, back to back */
	struct st_pblk *pb;    /* closed blocks of the batch */
	size_t npb, cap_pb;
	size_t nzb;            /* pb[0..nzb) compressed into out (commit) */
	struct st_kvlist pix[IX_N]; /* pending index entries (key | ref, no data) */
	uint64_t pmaxdur;           /* pending records' longest duration */
	struct st_kvlist plx[IX_N]; /* pending long-session index entries */
	int64_t prmin, plmin;       /* pending regular / long earliest start */
	/* index runs: live ones as committed (the writer's copy of PART_RUN),
	 * and this commit's (store.c runs_build) */
	struct st_runinfo *runs;
	size_t nruns, cap_runs;
	uint32_t next_run;
	struct st_runinfo *prun; /* new runs; off relative to the day's base */
	size_t nprun, cap_prun;
	uint32_t *pdel;          /* ids of live runs merged away */
	size_t npdel, cap_pdel;
	struct st_kvlist pfence; /* 01 | id | key -> fence, in key order */
	size_t out_blocks;       /* d->out.len before the runs were added */
	bool runs_built;
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
/* Partition handles of the days queried (open addressing; no deletion:
 * cleared whole when a partition is dropped). */
#define ST_DBIC_N 2048u
struct st_dbic {
	int32_t day;
	uint16_t part; /* enum st_part + 1; 0: empty slot */
	MDB_dbi dbi;
};
#define ST_FDCACHE_N 8
#define ST_SCACHE_N 64 /* sealed days kept mapped: a retention period's worth */

struct st_sealed;
/* A sealed (version 2) segment mapped for reading. */
struct st_scache {
	int32_t day;
	bool valid;
	uint64_t used; /* st_store.sc_clock when last used (LRU) */
	uint8_t *map;
	size_t len;
	struct st_sealed *s;
	bool heap; /* map is decrypted plaintext on the heap (wiped when dropped) */
};
/* Decrypted sealed segments kept in memory, in bytes (LRU beyond it). */
#define ST_SCACHE_HEAP_MAX (256u << 20)

struct st_store {
	char *dir;
	int dirfd, segfd;
	bool writable;
	MDB_env *env;
	MDB_dbi db[DB_N];

	/* reading */
	MDB_txn *rtxn; /* kept reset between queries */
	bool rtxn_newdbi; /* rtxn opened partition handles: commit it to keep them */
	struct st_dbic *dbic; /* ST_DBIC_N slots, or NULL */
	unsigned ndbic;
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
	struct st_scache sc[ST_SCACHE_N];
	uint64_t sc_clock;
	uint64_t sc_heap; /* bytes of heap entries of sc */
	uint64_t sc_heap_max; /* ST_SCACHE_HEAP_MAX (tests lower it) */
	const struct st_keyring *keys; /* borrowed (st_open_opts.keys) */
	struct rt_session row;

	/* writing */
	ZSTD_CCtx *cctx;
	int zlevel;
	/* a commit's compression and index runs are shared out as jobs
	 * between the writer and one helper thread (store.c commit_jobs) */
	struct st_worker *wk;
	bool wk_tried; /* true: start none (again) */
	unsigned threads; /* st_open_opts.commit_threads */
	struct st_cthr {
		struct st_kvsort ks;
		ZSTD_CCtx *cctx; /* th[0] uses st->cctx */
		struct msrc *src;
		size_t cap_src;
	} th[2];
	struct st_cjob *cj;
	size_t ncj, cap_cj;
	uint32_t block_recs;
	size_t block_raw_max;
	int64_t seal_grace;
	struct st_meta meta; /* as committed */
	struct st_pday **days; /* sorted by day */
	size_t ndays, cap_days;
	struct st_pday *last_day;
	uint64_t pend_closed;
	uint64_t pend_maxdur;
	/* popen starts with the set given to st_store_set_open(): the stored
	 * open sessions not put again are deleted at commit */
	bool open_replace;
	/* pending open-table operations in call order: (open key, record)
	 * stores an open session (st_store_set_open, st_store_put_open),
	 * (open key, empty) deletes it (a close, st_store_del_open); of the
	 * operations on one key the last one wins */
	struct st_kvlist popen;
	uint64_t open_committed;  /* entries of DB_OPEN as committed */
	struct st_pctr *pctr;
	size_t npctr, cap_pctr;
	struct rt_session wrow; /* scratch of the write path */
	uint64_t map_trimmed;   /* catalogue size at the last map_trim() */
	/* seal.c: a seal job froze the days before freeze_day (puts for them
	 * go to freeze_day, late, as for sealed days); false: none */
	bool frozen;
	int32_t freeze_day;
	bool seal_job; /* a seal job of this handle is not freed yet */
};

/* The writer unmaps the catalogue's pages each time it grew by this much
 * (store.c map_trim(): bounds the resident mapped pages, issue 7). */
#define ST_MAP_TRIM (2u << 20)

/* ---- store.c ------------------------------------------------------------- */

int st_mdb_err(int rc);
int st_meta_parse(const MDB_val *v, struct st_meta *ret);

/*
 * Plaintext length of an encrypted sealed segment of fsize bytes (CRYPT.md
 * "Sealed segments": boxes back to back) from its box headers alone, each
 * read through rd (ST_BOX_HDR_LEN bytes at off; 0 or a negative error).
 * Expiry compares it with the seal's size (expire.c).
 * @return 0 and *ret_plain, ST_ECORRUPT (not boxes that end exactly at
 *         fsize, a box length out of range), errors of rd
 */
int st_boxed_plain_size(int (*rd)(void *ctx, uint8_t *p, size_t n, uint64_t off), void *ctx,
			uint64_t fsize, uint64_t *ret_plain);
void st_meta_write(uint8_t dst[ST_META_LEN], const struct st_meta *m);
int st_meta_get(st_store *st, MDB_txn *txn, struct st_meta *ret);
int st_dayinfo_parse(const MDB_val *v, struct st_dayinfo *ret);
void st_dayinfo_write(uint8_t dst[ST_DAYINFO_LEN], const struct st_dayinfo *d);
int st_blkinfo_parse(const MDB_val *v, struct st_blkinfo *ret);
void st_blkinfo_write(uint8_t dst[ST_BLKINFO_LEN], const struct st_blkinfo *b);
void st_daykey(uint8_t dst[ST_DAYKEY_LEN], int32_t day);
int32_t st_daykey_day(const uint8_t *k);
void st_blkkey(uint8_t dst[ST_BLKKEY_LEN], uint32_t block);
/** Merge the committed day entry with the pending blocks of d. */
void st_dayinfo_merge(struct st_dayinfo *ci, const struct st_pday *d);

/**
 * Handle of partition `part` (enum st_part) of segment `day` in txn;
 * create it when `create` (write transactions only).
 * @return 0, -ENOENT (no such partition), ST_E*
 */
int st_part_dbi(st_store *st, MDB_txn *txn, int32_t day, unsigned part, bool create,
		MDB_dbi *ret);

/** Segment day a closed record is stored in (late records: the seal
 *  frontier, see FORMAT.md "Sealing"). */
int32_t st_seg_day_for(const st_store *st, int64_t stop_ns);

/** IPv6 prefix key part: u8 plen, the first ceil(plen/8) bytes of a with
 *  the bits past plen cleared.  @return its length (1 .. 17) */
size_t st_v6_prefix(uint8_t *dst, const uint8_t a[16], unsigned plen);

/** Index key of s for ix (value | be64 start); 0 when s has no value. */
size_t st_ix_key(unsigned ix, const struct rt_session *s, uint8_t *dst);
/** Closed index data: varint dur, varint block, varint (idx << 1 | late),
 *  [varint late days] (late = segment day - stop day, 0 normally). */
size_t st_ix_ref(uint64_t dur, uint32_t block, uint32_t idx, uint32_t late, uint8_t *dst);
/** Parse closed index data. @return 0 or ST_ECORRUPT */
int st_ix_ref_parse(const MDB_val *v, uint64_t *ret_dur, uint32_t *ret_block,
		    uint32_t *ret_idx, uint32_t *ret_late);
/** Open-table key: family, 16 address bytes, session id. */
size_t st_open_key(const struct rt_session *s, uint8_t *dst);

/** Delete the index entries of the open session stored under key/val. */
int st_open_unindex(st_store *st, MDB_txn *txn, const MDB_val *key, const MDB_val *val);

/** Forget every cached partition handle (a partition was dropped: LMDB
 *  closes its handle at once, and may reuse the slot). */
void st_dbic_clear(st_store *st);

/** Drop cached blocks and descriptors of a day (after its removal). */
void st_cache_drop_day(st_store *st, int32_t day);

int st_pday_find(st_store *st, int32_t day, struct st_pday **ret);
void st_pday_remove(st_store *st, int32_t day);

/* ---- seal.c -------------------------------------------------------------- */

int st_seal_parse(const MDB_val *v, struct st_seal *ret);
void st_seal_write(uint8_t dst[ST_SEAL_LEN], const struct st_seal *s);
/** The live or expired seal of `day`. @return 0, -ENOENT, ST_E* */
int st_seal_find(st_store *st, MDB_txn *txn, int32_t day, struct st_seal *ret);
/** SHA-256 of the first `limit` bytes of fd; *ret_n bytes were hashed. */
int st_sha256_fd(int fd, uint64_t limit, uint8_t sha[32], uint64_t *ret_n);
/** In txn: mark the seal of `day` (if any) expired. */
int st_seal_mark_expired(st_store *st, MDB_txn *txn, int32_t day);
/** Append "expired" lines for removed sealed days to DIR/MANIFEST. */
int st_manifest_expired(st_store *st, int64_t now, const int32_t *days, size_t n);
/** Seal due days (st_store_seal with the store's grace). */
int st_seal_due(st_store *st, int64_t now_ns, uint32_t *ret_sealed);

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
/** The sealed segment of a ST_DAY_SEALED2 day (mapped and validated once,
 *  cached in the handle; size must be `size`). */
int st_sealed_get(st_store *st, int32_t day, uint64_t size, struct st_sealed **ret);
void st_scache_done(st_store *st);
/** Remember (per thread) which segment and key id an -ENOKEY / -EBADMSG
 *  was about, for st_strerror. */
void st_crypt_note(int err, int32_t day, uint32_t key_id);
/** The note of st_crypt_note for err, or NULL. */
const char *st_crypt_noted(int err);

/* ---- seal.c: conversion --------------------------------------------------- */
/** Name of the temporary file a sealed segment is written to before its
 *  catalogue switch ("YYYY-MM-DD.seg.v2"). */
void st_seg2_tmp_name(int32_t day, char name[32]);
/** Name st_store_rekey() writes a re-encrypted file to before renaming it
 *  over the sealed segment ("YYYY-MM-DD.seg.rk"); a writable open removes
 *  a leftover. */
void st_seg_rekey_name(int32_t day, char name[32]);

#endif /* ST_STORE_INT_H */

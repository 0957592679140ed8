/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Index runs of an open day (FORMAT.md section 5): the closed-session index
 * entries of one commit (or of a merge of earlier runs), sorted, written
 * once into the day's version 1 segment file after its blocks, in chunks
 * of at most ST_RUN_CHUNK_MAX bytes.  The catalogue names each run and the
 * first key of each of its chunks (the fences); a query seeks the fence,
 * reads one chunk and walks on.  Not a public header.
 *
 * run    = header (32 bytes) | chunk | chunk | ...
 * header = u32 magic "RTIX" | u16 version 1 | u16 hdrlen 32 | i32 day |
 *          u8 tree | u8 level | u16 0 | u32 run id | u32 keys |
 *          u32 body length | u32 crc32c of bytes 0..27
 * chunk  = u32 crc32c of the rest of the chunk | u16 keys | u16 length of
 *          the entries | entries: varint shared | varint rest | rest bytes:
 *          the key is the previous key's first `shared` bytes then the
 *          rest (front coding; shared is 0 for a chunk's first key, so a
 *          chunk reads on its own); keys strictly increasing (memcmp over
 *          the common length, the shorter first)
 *
 * Every byte read back is checked (sizes against constants, CRCs, the
 * order of the keys): ST_ECORRUPT, never a crash.
 */
#ifndef ST_RUN_H
#define ST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "record.h"

#define ST_RUN_MAGIC 0x58495452u /* "RTIX" as bytes 52 54 49 58 */
#define ST_RUN_VERSION 1u
#define ST_RUN_HDR_LEN 32u
#define ST_RUN_CHUNK_HDR 8u
#define ST_RUN_CHUNK_MAX 2048u /* bytes of a chunk, header included */
#define ST_RUN_KEY_MAX 400u    /* longest entry (ST_IXENT_MAX fits) */
#define ST_RUN_TREES 8u        /* index database (0..3) + 4 for long sessions */
#define ST_RUN_MAX_BODY (1u << 30)

struct st_run_hdr {
	int32_t day;
	uint8_t tree, level;
	uint32_t run_id;
	uint32_t nkeys;
	uint32_t body_len;
};

/** Parse and check a run header (magic, version, CRC, bounds). */
enum st_dec st_run_hdr_parse(const uint8_t *p, size_t len, struct st_run_hdr *ret);

/* A chunk's fence: where it lies in its run's body and its first key. */
struct st_run_fence {
	uint32_t off, len; /* within the body */
	uint32_t key_off;  /* first key: keys.p + key_off */
	uint16_t key_len;
};

/* Builder: appends one run to out. */
struct st_runb {
	struct st_buf *out;
	size_t hdr_at;   /* offset of the header in out */
	size_t chunk_at; /* offset of the chunk being filled (0: none) */
	uint32_t chunk_keys;
	uint32_t nkeys;
	size_t last_len;  /* the previous key: last[0..last_len) (0: none) */
	uint8_t last[ST_RUN_KEY_MAX];
	struct st_run_fence *f;
	size_t nf, capf;
	struct st_buf keys; /* fence keys */
};

/** Start a run at the end of out (reserves the header). */
int st_runb_begin(struct st_runb *b, struct st_buf *out);
/** Append a key; keys must come strictly increasing (else ST_EINVAL). */
int st_runb_add(struct st_runb *b, const uint8_t *k, size_t klen);
/** st_runb_add() of a key that may equal the previous one: an equal key
 *  is not added (0); @return 0, ST_EINVAL (smaller, or bad length),
 *  -ENOMEM. */
int st_runb_add_dedup(struct st_runb *b, const uint8_t *k, size_t klen);
/** Finish: write the header (h: day, tree, level, run id; the counts are
 * filled in).  The fences stay in b until st_runb_done(). */
int st_runb_end(struct st_runb *b, struct st_run_hdr *h);
/** Free the builder's fences (b may be begun again). */
void st_runb_done(struct st_runb *b);

/* Reading chunks: the key last returned is kept in key[] (the next one is
 * built on it, and must be greater). */
struct st_run_chunk {
	const uint8_t *p, *end; /* next entry, end of entries */
	uint32_t left;          /* keys not yet returned */
	bool first;             /* the next entry is the chunk's first */
	size_t key_len;         /* key[0..key_len): the last key (0: none yet) */
	uint8_t key[ST_RUN_KEY_MAX];
};

/**
 * Check a chunk (CRC, counts, sizes) and set up its walk.  With keep, the
 * key last returned by c (the previous chunk's last) stays, and the chunk's
 * first key must be greater; without, c starts afresh.
 */
enum st_dec st_run_chunk_open(const uint8_t *p, size_t len, struct st_run_chunk *c, bool keep);
/**
 * The next key of a chunk.
 * @return 1 a key (k points to c->key, valid until the next call), 0 end of
 *         chunk (every key returned, nothing left over), or -1 corrupt (bad
 *         length or front coding, keys not increasing)
 */
int st_run_chunk_next(struct st_run_chunk *c, const uint8_t **k, size_t *klen);

/** Order of index keys: memcmp over the common length, the shorter first. */
int st_run_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);

/* Length of the common prefix of a[0..al) and b[0..bl), 8 bytes at a time
 * (keys are a few dozen bytes: a call to memcmp costs more than this). */
static inline size_t st_run_common(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;
#else
			return i + (size_t)__builtin_clzll(x ^ y) / 8;
#endif
		}
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* st_run_keycmp() inline: the sign of the comparison. */
static inline int st_run_keycmp_inl(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t i = st_run_common(a, al, b, bl);
	if (i < al && i < bl)
		return a[i] < b[i] ? -1 : 1;
	return al < bl ? -1 : al > bl;
}

/**
 * Check a whole run held in memory (header then body, len bytes exactly):
 * every chunk, the key count, strict order across chunks.  fn, when not
 * NULL, gets every key in order (a non-zero return stops the walk and is
 * returned).
 */
int st_run_walk(const uint8_t *p, size_t len, struct st_run_hdr *ret_hdr,
		int (*fn)(void *ctx, const uint8_t *k, size_t klen), void *ctx);

#endif

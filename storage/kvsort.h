/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sorting the writer's pending (key, data) entries into LMDB's default
 * order before they are put (store.c apply_index): by key, memcmp over the
 * common length and the shorter first, then by data the same way.
 *
 * Entries lie in an arena as store.c's pending lists hold them:
 *   le16 klen | le16 dlen | key[klen] | data[dlen]
 * and are named by their offsets in the arena; sorting permutes the
 * offsets only.  Index keys (value | be64 start | ref, FORMAT.md section 5)
 * mostly differ in their first 12 bytes, so the sort is a radix sort of
 * those bytes with a full comparison only among entries that share them:
 * no memcmp per comparison as qsort_r with a comparator would make.
 * Not a public header.
 */
#ifndef ST_KVSORT_H
#define ST_KVSORT_H

#include <stddef.h>
#include <stdint.h>

/* An entry's sort key: its key's first 12 bytes, big-endian, zero-padded
 * past the key's end. */
struct st_kvsort_ent {
	uint64_t hi;  /* key bytes 0-7 */
	uint32_t lo;  /* key bytes 8-11 */
	uint32_t idx; /* entry number before sorting */
};

/* Scratch of st_kvsort: zero-initialise, reuse between sorts (it keeps the
 * largest size asked for), release with st_kvsort_done(). */
struct st_kvsort {
	struct st_kvsort_ent *a, *b;
	size_t *off; /* the offsets before sorting */
	size_t cap;
};

/** Free s's buffers; s is zeroed and may be used again.  NULL is fine. */
void st_kvsort_done(struct st_kvsort *s);

/**
 * Permute off[0..n) so that the entries they name are in LMDB's default
 * order of (key, data) (see above).  Equal (key, data) entries may come in
 * any order.  The arena is only read.
 * @param[in]     arena entries as laid out above
 * @param[in,out] off   n offsets of entries in arena
 * @param[in]     n     number of entries
 * @param[in,out] s     scratch
 * @return 0, or -ENOMEM (off unchanged)
 */
int st_kvsort(const uint8_t *arena, size_t *off, size_t n, struct st_kvsort *s);

#endif

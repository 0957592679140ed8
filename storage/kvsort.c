/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * st_kvsort: an LSD radix sort of the entries' 12-byte key prefixes, then
 * a full comparison within runs of equal prefixes (kvsort.h).
 *
 * The radix sort takes one byte per pass, from byte 11 to byte 0, and
 * skips a pass when every entry has the same byte there: the high bytes of
 * the start times of one batch and the first bytes of addresses from one
 * pool cost nothing.  The zero padding is exact: a key shorter than 12
 * bytes ties only with keys that begin with it and go on with zero bytes,
 * and the full comparison then puts the shorter first, as LMDB does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "kvsort.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KV_PREFIX 12u /* bytes of key in a sort key */
#define KV_RUN_INS 16u /* runs of equal prefixes up to this: insertion sort */

void st_kvsort_done(struct st_kvsort *s)
{
	if (!s)
		return;
	free(s->a);
	free(s->b);
	free(s->off);
	memset(s, 0, sizeof(*s));
}

static int kvs_reserve(struct st_kvsort *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	size_t nc = s->cap ? s->cap : 1024;
	while (nc < n)
		nc *= 2;
	st_kvsort_done(s);
	if (nc > SIZE_MAX / sizeof(*s->a))
		return -ENOMEM;
	s->a = malloc(nc * sizeof(*s->a));
	s->b = malloc(nc * sizeof(*s->b));
	s->off = malloc(nc * sizeof(*s->off));
	if (!s->a || !s->b || !s->off) {
		st_kvsort_done(s);
		return -ENOMEM;
	}
	s->cap = nc;
	return 0;
}

static size_t kvs_klen(const uint8_t *e)
{
	return (size_t)e[0] | (size_t)e[1] << 8;
}

static size_t kvs_dlen(const uint8_t *e)
{
	return (size_t)e[2] | (size_t)e[3] << 8;
}

/* LMDB's default order: memcmp over the common length, shorter first. */
static int kvs_memn(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

/* Whole entries: key, then data. */
static int kvs_cmp_entry(const uint8_t *p, const uint8_t *q)
{
	size_t pk = kvs_klen(p), qk = kvs_klen(q);
	int c = kvs_memn(p + 4, pk, q + 4, qk);
	if (c)
		return c;
	return kvs_memn(p + 4 + pk, kvs_dlen(p), q + 4 + qk, kvs_dlen(q));
}

static int kvs_cmp_off(const void *x, const void *y, void *arg)
{
	const uint8_t *arena = arg;
	return kvs_cmp_entry(arena + *(const size_t *)x, arena + *(const size_t *)y);
}

struct kvs_ctx {
	const uint8_t *arena;
	const size_t *off;
};

static int kvs_cmp_ent(const struct st_kvsort_ent *a, const struct st_kvsort_ent *b,
		       const struct kvs_ctx *c)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return kvs_cmp_entry(c->arena + c->off[a->idx], c->arena + c->off[b->idx]);
}

static int kvs_cmp_ent_r(const void *x, const void *y, void *arg)
{
	return kvs_cmp_ent(x, y, arg);
}

/* Bytes [from, from + w) of key k (klen bytes), big-endian, zero-padded. */
static uint64_t kvs_be(const uint8_t *k, size_t klen, size_t from, unsigned w)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < w; i++)
		v = v << 8 | (from + i < klen ? k[from + i] : 0);
	return v;
}

static void kvs_prefix(const uint8_t *e, struct st_kvsort_ent *r)
{
	size_t kl = kvs_klen(e);
	const uint8_t *k = e + 4;
	if (kl >= KV_PREFIX) {
		uint64_t h;
		uint32_t l;
		memcpy(&h, k, 8);
		memcpy(&l, k + 8, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		h = __builtin_bswap64(h);
		l = __builtin_bswap32(l);
#endif
		r->hi = h;
		r->lo = l;
	} else {
		r->hi = kvs_be(k, kl, 0, 8);
		r->lo = (uint32_t)kvs_be(k, kl, 8, 4);
	}
}

/* Digit d (0 = most significant byte of hi, 11 = least of lo). */
static unsigned kvs_digit(const struct st_kvsort_ent *e, unsigned d)
{
	return d < 8 ? (unsigned)(e->hi >> (56 - 8 * d)) & 0xff
		     : (unsigned)(e->lo >> (24 - 8 * (d - 8))) & 0xff;
}

/* Order runs of equal prefixes by the whole entries: short runs by
 * insertion, long ones by qsort_r (a crafted batch, say one value put many
 * times at close starts, cannot make this quadratic). */
static void kvs_runs(struct st_kvsort_ent *e, size_t n, const struct kvs_ctx *c)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && e[j].hi == e[i].hi && e[j].lo == e[i].lo)
			j++;
		if (j - i > KV_RUN_INS) {
			qsort_r(e + i, j - i, sizeof(*e), kvs_cmp_ent_r, (void *)c);
		} else {
			for (size_t k = i + 1; k < j; k++) {
				struct st_kvsort_ent t = e[k];
				size_t m = k;
				while (m > i && kvs_cmp_ent(&t, &e[m - 1], c) < 0) {
					e[m] = e[m - 1];
					m--;
				}
				e[m] = t;
			}
		}
		i = j;
	}
}

int st_kvsort(const uint8_t *arena, size_t *off, size_t n, struct st_kvsort *s)
{
	if (n < 2)
		return 0;
	if (n > UINT32_MAX) { /* idx is 32 bits: the plain way */
		qsort_r(off, n, sizeof(*off), kvs_cmp_off, (void *)arena);
		return 0;
	}
	if (kvs_reserve(s, n))
		return -ENOMEM;
	struct st_kvsort_ent *a = s->a, *b = s->b;
	size_t cnt[KV_PREFIX][256];
	memset(cnt, 0, sizeof(cnt));
	memcpy(s->off, off, n * sizeof(*off));
	/* one pass takes the prefixes and counts every digit */
	for (size_t i = 0; i < n; i++) {
		kvs_prefix(arena + off[i], &a[i]);
		a[i].idx = (uint32_t)i;
		for (unsigned d = 0; d < KV_PREFIX; d++)
			cnt[d][kvs_digit(&a[i], d)]++;
	}
	for (unsigned d = KV_PREFIX; d-- > 0;) {
		size_t pos[256], sum = 0;
		bool same = false;
		for (unsigned v = 0; v < 256; v++) {
			if (cnt[d][v] == n) {
				same = true; /* every entry has this digit */
				break;
			}
			pos[v] = sum;
			sum += cnt[d][v];
		}
		if (same)
			continue;
		for (size_t i = 0; i < n; i++)
			b[pos[kvs_digit(&a[i], d)]++] = a[i];
		struct st_kvsort_ent *t = a;
		a = b;
		b = t;
	}
	struct kvs_ctx c = {arena, s->off};
	kvs_runs(a, n, &c);
	for (size_t i = 0; i < n; i++)
		off[i] = s->off[a[i].idx];
	return 0;
}

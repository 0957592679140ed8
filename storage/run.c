/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Index runs of an open day: building, checking, walking (run.h,
 * FORMAT.md section 5).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "run.h"
#include "store.h"

static bool cur_le16(struct dp_cur *c, uint16_t *ret)
{
	uint8_t a, b;
	if (!dp_cur_u8(c, &a) || !dp_cur_u8(c, &b))
		return false;
	*ret = (uint16_t)(a | b << 8);
	return true;
}

int st_run_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

enum st_dec st_run_hdr_parse(const uint8_t *p, size_t len, struct st_run_hdr *ret)
{
	struct dp_cur c = dp_cur_make(p, len);
	uint32_t magic, day, id, nkeys, body, crc;
	uint16_t vers, hl, zero;
	uint8_t tree, level;
	if (!dp_cur_le32(&c, &magic) || !cur_le16(&c, &vers) || !cur_le16(&c, &hl) ||
	    !dp_cur_le32(&c, &day) || !dp_cur_u8(&c, &tree) || !dp_cur_u8(&c, &level) ||
	    !cur_le16(&c, &zero) || !dp_cur_le32(&c, &id) || !dp_cur_le32(&c, &nkeys) ||
	    !dp_cur_le32(&c, &body) || !dp_cur_le32(&c, &crc))
		return ST_DEC_TRUNCATED;
	if (magic != ST_RUN_MAGIC)
		return ST_DEC_BAD_MAGIC;
	if (vers != ST_RUN_VERSION)
		return ST_DEC_BAD_VERSION;
	if (hl != ST_RUN_HDR_LEN)
		return ST_DEC_BAD_SIZE;
	if (st_crc32c(p, 28) != crc)
		return ST_DEC_BAD_HEADER_CRC;
	if (zero || tree >= ST_RUN_TREES || nkeys == 0 || body > ST_RUN_MAX_BODY ||
	    body < ST_RUN_CHUNK_HDR + 2 + 1 || (uint64_t)nkeys * 3 > body)
		return ST_DEC_BAD_SIZE;
	*ret = (struct st_run_hdr){(int32_t)day, tree, level, id, nkeys, body};
	return ST_DEC_OK;
}

/* ---- building ---------------------------------------------------------------- */

int st_runb_begin(struct st_runb *b, struct st_buf *out)
{
	struct st_buf keys = b->keys;
	struct st_run_fence *f = b->f;
	size_t capf = b->capf;
	keys.len = 0;
	b->out = out;
	b->chunk_at = 0;
	b->chunk_keys = b->nkeys = 0;
	b->last_len = 0;
	b->f = f;
	b->nf = 0;
	b->capf = capf;
	b->keys = keys;
	if (st_buf_reserve(out, ST_RUN_HDR_LEN))
		return -ENOMEM;
	b->hdr_at = out->len;
	memset(out->p + out->len, 0, ST_RUN_HDR_LEN);
	out->len += ST_RUN_HDR_LEN;
	return 0;
}

/* Close the chunk being filled: its header and CRC. */
static void chunk_close(struct st_runb *b)
{
	if (!b->chunk_at)
		return;
	uint8_t *c = b->out->p + b->chunk_at;
	size_t len = b->out->len - b->chunk_at;
	st_put_le16(c + 4, (uint16_t)b->chunk_keys);
	st_put_le16(c + 6, (uint16_t)(len - ST_RUN_CHUNK_HDR));
	st_put_le32(c, st_crc32c(c + 4, len - 4));
	b->chunk_at = 0;
}

/* Keys are a few dozen bytes: 8 at a time (the compiler turns a memcpy of
 * unknown length here into `rep movs`, ~30 cycles to start). */
static inline void copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
	for (; n >= 8; n -= 8, d += 8, s += 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		memcpy(d, &v, 8);
	}
	for (; n; n--)
		*d++ = *s++;
}

static size_t varint_put(uint8_t *p, size_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static int runb_add(struct st_runb *b, const uint8_t *k, size_t klen, bool dedup)
{
	if (klen == 0 || klen > ST_RUN_KEY_MAX)
		return ST_EINVAL;
	size_t shared = 0;
	if (b->last_len) {
		/* greater than the previous key: past the common prefix, a
		 * greater byte, or the key goes on where the previous stopped */
		shared = st_run_common(b->last, b->last_len, k, klen);
		if (shared == klen && klen == b->last_len && dedup)
			return 0;
		if (shared == klen || (shared < b->last_len && b->last[shared] > k[shared]))
			return ST_EINVAL;
		if (!b->chunk_at)
			shared = 0;
	}
	uint8_t hdr[8];
	size_t hl = varint_put(hdr, shared);
	hl += varint_put(hdr + hl, klen - shared);
	if (b->chunk_at && (b->out->len - b->chunk_at) + hl + klen - shared > ST_RUN_CHUNK_MAX) {
		chunk_close(b);
		shared = 0; /* a chunk's first key is whole */
		hl = varint_put(hdr, 0);
		hl += varint_put(hdr + hl, klen);
	}
	if (st_buf_reserve(b->out, ST_RUN_CHUNK_HDR + hl + klen))
		return -ENOMEM;
	if (!b->chunk_at) {
		if (b->nf == b->capf) {
			size_t nc = b->capf ? b->capf * 2 : 64;
			struct st_run_fence *nf = realloc(b->f, nc * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			b->f = nf;
			b->capf = nc;
		}
		if (st_buf_reserve(&b->keys, klen))
			return -ENOMEM;
		b->chunk_at = b->out->len;
		memset(b->out->p + b->out->len, 0, ST_RUN_CHUNK_HDR);
		b->out->len += ST_RUN_CHUNK_HDR;
		b->f[b->nf++] = (struct st_run_fence){
			.off = (uint32_t)(b->chunk_at - b->hdr_at - ST_RUN_HDR_LEN),
			.key_off = (uint32_t)b->keys.len,
			.key_len = (uint16_t)klen,
		};
		memcpy(b->keys.p + b->keys.len, k, klen);
		b->keys.len += klen;
		b->chunk_keys = 0;
	}
	uint8_t *p = b->out->p + b->out->len;
	memcpy(p, hdr, hl);
	copy_short(p + hl, k + shared, klen - shared);
	b->out->len += hl + klen - shared;
	b->chunk_keys++;
	b->nkeys++;
	copy_short(b->last + shared, k + shared, klen - shared);
	b->last_len = klen;
	return 0;
}

int st_runb_add(struct st_runb *b, const uint8_t *k, size_t klen)
{
	return runb_add(b, k, klen, false);
}

int st_runb_add_dedup(struct st_runb *b, const uint8_t *k, size_t klen)
{
	return runb_add(b, k, klen, true);
}

int st_runb_end(struct st_runb *b, struct st_run_hdr *h)
{
	if (!b->nkeys)
		return ST_EINVAL;
	chunk_close(b);
	for (size_t i = 0; i < b->nf; i++) {
		size_t end = i + 1 < b->nf ? b->f[i + 1].off
					   : b->out->len - b->hdr_at - ST_RUN_HDR_LEN;
		b->f[i].len = (uint32_t)(end - b->f[i].off);
	}
	h->nkeys = b->nkeys;
	h->body_len = (uint32_t)(b->out->len - b->hdr_at - ST_RUN_HDR_LEN);
	uint8_t *p = b->out->p + b->hdr_at;
	st_put_le32(p, ST_RUN_MAGIC);
	st_put_le16(p + 4, ST_RUN_VERSION);
	st_put_le16(p + 6, ST_RUN_HDR_LEN);
	st_put_le32(p + 8, (uint32_t)h->day);
	p[12] = h->tree;
	p[13] = h->level;
	st_put_le16(p + 14, 0);
	st_put_le32(p + 16, h->run_id);
	st_put_le32(p + 20, h->nkeys);
	st_put_le32(p + 24, h->body_len);
	st_put_le32(p + 28, st_crc32c(p, 28));
	return 0;
}

void st_runb_done(struct st_runb *b)
{
	free(b->f);
	st_buf_done(&b->keys);
	b->f = NULL;
	b->nf = b->capf = 0;
	b->keys = (struct st_buf){0};
}

/* ---- reading ----------------------------------------------------------------- */

enum st_dec st_run_chunk_open(const uint8_t *p, size_t len, struct st_run_chunk *c, bool keep)
{
	struct dp_cur cur = dp_cur_make(p, len);
	uint32_t crc;
	uint16_t n, elen;
	if (len > ST_RUN_CHUNK_MAX)
		return ST_DEC_BAD_SIZE;
	if (!dp_cur_le32(&cur, &crc) || !cur_le16(&cur, &n) || !cur_le16(&cur, &elen))
		return ST_DEC_TRUNCATED;
	if (n == 0 || (size_t)elen != len - ST_RUN_CHUNK_HDR || (size_t)n * 3 > elen)
		return ST_DEC_BAD_SIZE;
	if (st_crc32c(p + 4, len - 4) != crc)
		return ST_DEC_BAD_CHECKSUM;
	c->p = p + ST_RUN_CHUNK_HDR;
	c->end = p + len;
	c->left = n;
	c->first = true;
	if (!keep)
		c->key_len = 0;
	return ST_DEC_OK;
}

static bool varint_get(const uint8_t **p, const uint8_t *end, size_t *ret)
{
	size_t v = 0;
	for (unsigned sh = 0; sh < 21; sh += 7) { /* keys are short: 3 bytes at most */
		if (*p == end)
			return false;
		uint8_t b = *(*p)++;
		v |= (size_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

int st_run_chunk_next(struct st_run_chunk *c, const uint8_t **k, size_t *klen)
{
	size_t shared, rest;
	if (!c->left)
		return c->p == c->end ? 0 : -1;
	if (!varint_get(&c->p, c->end, &shared) || !varint_get(&c->p, c->end, &rest))
		return -1;
	if (rest > (size_t)(c->end - c->p) || shared + rest == 0 || shared + rest > ST_RUN_KEY_MAX ||
	    (c->first && shared) || shared > c->key_len)
		return -1;
	const uint8_t *r = c->p;
	/* greater than the previous key: past the shared bytes, the first
	 * different byte is greater, or the key goes on where it stopped */
	if (c->key_len) {
		if (shared < c->key_len) {
			if (!rest)
				return -1;
			size_t m = rest < c->key_len - shared ? rest : c->key_len - shared;
			size_t i = st_run_common(c->key + shared, m, r, m);
			if (i < m ? c->key[shared + i] > r[i] : rest <= c->key_len - shared)
				return -1;
		} else if (!rest) {
			return -1;
		}
	}
	copy_short(c->key + shared, r, rest);
	c->key_len = shared + rest;
	c->p += rest;
	c->left--;
	c->first = false;
	*k = c->key;
	*klen = c->key_len;
	return 1;
}

int st_run_walk(const uint8_t *p, size_t len, struct st_run_hdr *ret_hdr,
		int (*fn)(void *ctx, const uint8_t *k, size_t klen), void *ctx)
{
	struct st_run_hdr h;
	if (len < ST_RUN_HDR_LEN || st_run_hdr_parse(p, len, &h))
		return ST_ECORRUPT;
	if ((size_t)h.body_len != len - ST_RUN_HDR_LEN)
		return ST_ECORRUPT;
	const uint8_t *q = p + ST_RUN_HDR_LEN, *end = p + len;
	struct st_run_chunk *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	uint64_t n = 0;
	int rc = 0;
	bool keep = false;
	while (q < end && !rc) {
		if (end - q < (ptrdiff_t)ST_RUN_CHUNK_HDR) {
			rc = ST_ECORRUPT;
			break;
		}
		size_t clen = ST_RUN_CHUNK_HDR + (size_t)(q[6] | q[7] << 8);
		if (clen > (size_t)(end - q) || st_run_chunk_open(q, clen, c, keep)) {
			rc = ST_ECORRUPT;
			break;
		}
		keep = true; /* keys increase across chunks too */
		const uint8_t *k;
		size_t kl;
		int r;
		while (!rc && (r = st_run_chunk_next(c, &k, &kl)) == 1) {
			n++;
			if (fn)
				rc = fn(ctx, k, kl);
		}
		if (!rc && r < 0)
			rc = ST_ECORRUPT;
		q += clen;
	}
	free(c);
	if (rc)
		return rc;
	if (n != h.nkeys)
		return ST_ECORRUPT;
	if (ret_hdr)
		*ret_hdr = h;
	return 0;
}

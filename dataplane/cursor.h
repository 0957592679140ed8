/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file cursor.h
 * @brief Bounds-checked reading of untrusted bytes (packets, files).
 *
 * Every read of packet memory or of bytes read back from disk goes through
 * a struct dp_cur.  Getters check the remaining length first, return host
 * byte order, tolerate misalignment, and return false (consuming nothing)
 * when the bytes are not there.  A sub-cursor (dp_cur_sub) is capped to an
 * element's declared length so that a TLV decoder cannot read past its end.
 *
 * All functions are static inline: this is on the per-packet fast path.
 */
#ifndef DP_CURSOR_H
#define DP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dp_cur {
	const uint8_t *p; /**< next unread byte */
	size_t len;       /**< bytes left */
};

static inline struct dp_cur dp_cur_make(const void *p, size_t len)
{
	struct dp_cur c = {(const uint8_t *)p, len};
	return c;
}

static inline size_t dp_cur_left(const struct dp_cur *c)
{
	return c->len;
}

static inline bool dp_cur_skip(struct dp_cur *c, size_t n)
{
	if (n > c->len)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool dp_cur_u8(struct dp_cur *c, uint8_t *ret)
{
	if (c->len < 1)
		return false;
	*ret = c->p[0];
	c->p++;
	c->len--;
	return true;
}

static inline bool dp_cur_be16(struct dp_cur *c, uint16_t *ret)
{
	if (c->len < 2)
		return false;
	*ret = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool dp_cur_be32(struct dp_cur *c, uint32_t *ret)
{
	if (c->len < 4)
		return false;
	*ret = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	       (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool dp_cur_be64(struct dp_cur *c, uint64_t *ret)
{
	uint32_t hi, lo;
	if (c->len < 8)
		return false;
	dp_cur_be32(c, &hi);
	dp_cur_be32(c, &lo);
	*ret = (uint64_t)hi << 32 | lo;
	return true;
}

static inline bool dp_cur_le32(struct dp_cur *c, uint32_t *ret)
{
	if (c->len < 4)
		return false;
	*ret = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	       (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool dp_cur_le64(struct dp_cur *c, uint64_t *ret)
{
	uint32_t lo, hi;
	if (c->len < 8)
		return false;
	dp_cur_le32(c, &lo);
	dp_cur_le32(c, &hi);
	*ret = (uint64_t)hi << 32 | lo;
	return true;
}

/** Copy n bytes out. */
static inline bool dp_cur_copy(struct dp_cur *c, void *dst, size_t n)
{
	if (n > c->len)
		return false;
	if (n)
		memcpy(dst, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

/** Take the next n bytes as a sub-cursor and advance past them. */
static inline bool dp_cur_sub(struct dp_cur *c, size_t n, struct dp_cur *ret)
{
	if (n > c->len)
		return false;
	ret->p = c->p;
	ret->len = n;
	c->p += n;
	c->len -= n;
	return true;
}

/** Peek at byte i without consuming. */
static inline bool dp_cur_peek_u8(const struct dp_cur *c, size_t i, uint8_t *ret)
{
	if (i >= c->len)
		return false;
	*ret = c->p[i];
	return true;
}

/** Read an unsigned LEB128 varint of at most 64 bits (storage codec). */
static inline bool dp_cur_varint(struct dp_cur *c, uint64_t *ret)
{
	uint64_t v = 0;
	for (unsigned shift = 0, i = 0; i < 10 && i < c->len; i++, shift += 7) {
		uint8_t b = c->p[i];
		if (shift == 63 && b > 1)
			return false; /* overflows 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			c->p += i + 1;
			c->len -= i + 1;
			*ret = v;
			return true;
		}
	}
	return false;
}

#endif /* DP_CURSOR_H */

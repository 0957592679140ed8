/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 fragment reassembly with memory fixed at allocation (see reasm4.h).
 *
 * Each context owns a slice of one data region: max_datagram octets for the
 * payload and a bitmap with one bit per 8-octet fragment block.  A fragment
 * is checked against the bitmap (overlap, exact repeat) before its bytes
 * are copied in place.  The datagram is complete when the last fragment
 * has fixed its size and exactly that many octets have arrived; with
 * overlaps refused, that means every block is there.
 */
#include "reasm4.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define IPV4_MIN_HDR 20
#define IPV4_MAX_HDR 60
#define FRAG_MF 0x2000
#define FRAG_DF 0x4000
#define FRAG_OFF_MASK 0x1fff

struct ctx {
	bool used;
	uint64_t born;       /* allocation order: the smallest is the oldest */
	int64_t first_ns;
	uint8_t src[4], dst[4];
	uint16_t id;
	uint8_t proto;
	uint8_t hdr[IPV4_MAX_HDR];
	uint8_t hlen;        /* 0 until the offset-0 fragment arrives */
	bool have_last;
	size_t total;        /* payload size, once have_last */
	size_t received;     /* payload octets held */
	size_t max_end;      /* highest end offset held */
	uint8_t *data;
	uint8_t *map;
};

struct dp_reasm4 {
	struct dp_reasm4_cfg cfg;
	struct ctx *ctx;
	uint8_t *region;
	uint8_t *out;
	size_t map_len;
	uint64_t born;
	struct dp_reasm4_stats st;
};

static const char *const reasm4_res_names[] = {
	[DP_REASM4_DONE] = "done",
	[DP_REASM4_PENDING] = "pending",
	[DP_REASM4_DUPLICATE] = "duplicate",
	[DP_REASM4_NOT_FRAGMENT] = "not-fragment",
	[DP_REASM4_TRUNCATED] = "truncated",
	[DP_REASM4_BAD_HEADER] = "bad-header",
	[DP_REASM4_BAD_FRAGMENT] = "bad-fragment",
	[DP_REASM4_OVERLAP] = "overlap",
	[DP_REASM4_TOO_BIG] = "too-big",
};
static_assert(sizeof(reasm4_res_names) / sizeof(reasm4_res_names[0]) == DP_REASM4_RES_MAX,
	      "reasm4_res_names must name every enum dp_reasm4_res value");

const char *dp_reasm4_res_str(enum dp_reasm4_res r)
{
	if ((unsigned)r >= DP_REASM4_RES_MAX)
		return "unknown";
	return reasm4_res_names[r];
}

int dp_reasm4_alloc(const struct dp_reasm4_cfg *cfg, dp_reasm4 **ret)
{
	dp_reasm4 *r;
	size_t slice;

	if (!cfg || cfg->max_contexts == 0 || cfg->max_datagram == 0 ||
	    cfg->max_datagram > DP_REASM4_MAX_DATAGRAM - IPV4_MIN_HDR || cfg->timeout_ns <= 0 ||
	    cfg->max_contexts > 1u << 20)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	r->map_len = (cfg->max_datagram + 63) / 64;
	slice = cfg->max_datagram + r->map_len;
	r->ctx = calloc(cfg->max_contexts, sizeof(*r->ctx));
	r->region = calloc(cfg->max_contexts, slice);
	r->out = malloc(IPV4_MAX_HDR + cfg->max_datagram);
	if (!r->ctx || !r->region || !r->out)
		return dp_reasm4_free(r), -ENOMEM;
	for (unsigned i = 0; i < cfg->max_contexts; i++) {
		r->ctx[i].data = r->region + (size_t)i * slice;
		r->ctx[i].map = r->ctx[i].data + cfg->max_datagram;
	}
	*ret = r;
	return 0;
}

dp_reasm4 *dp_reasm4_free(dp_reasm4 *r)
{
	if (!r)
		return NULL;
	free(r->out);
	free(r->region);
	free(r->ctx);
	free(r);
	return NULL;
}

static void ctx_drop(dp_reasm4 *r, struct ctx *c)
{
	if (!c->used)
		return;
	c->used = false;
	memset(c->map, 0, r->map_len);
	r->st.in_flight--;
}

void dp_reasm4_expire(dp_reasm4 *r, int64_t now_ns)
{
	for (unsigned i = 0; i < r->cfg.max_contexts; i++) {
		struct ctx *c = &r->ctx[i];

		/* RFC 791 section 3.2 gives reassembly a timer; capture time
		 * may step back (reordered files): only age forward. */
		if (c->used && now_ns > c->first_ns && now_ns - c->first_ns > r->cfg.timeout_ns) {
			ctx_drop(r, c);
			r->st.expired++;
		}
	}
}

void dp_reasm4_stats(const dp_reasm4 *r, struct dp_reasm4_stats *ret)
{
	*ret = r->st;
}

static struct ctx *ctx_find(dp_reasm4 *r, const uint8_t *src, const uint8_t *dst, uint16_t id,
			    uint8_t proto)
{
	for (unsigned i = 0; i < r->cfg.max_contexts; i++) {
		struct ctx *c = &r->ctx[i];

		if (c->used && c->id == id && c->proto == proto && memcmp(c->src, src, 4) == 0 &&
		    memcmp(c->dst, dst, 4) == 0)
			return c;
	}
	return NULL;
}

static struct ctx *ctx_new(dp_reasm4 *r)
{
	struct ctx *oldest = NULL;

	for (unsigned i = 0; i < r->cfg.max_contexts; i++) {
		struct ctx *c = &r->ctx[i];

		if (!c->used)
			return c;
		if (!oldest || c->born < oldest->born)
			oldest = c;
	}
	ctx_drop(r, oldest);
	r->st.evicted++;
	return oldest;
}

static bool bit(const uint8_t *map, size_t i)
{
	return map[i / 8] & (1u << (i % 8));
}

/* RFC 1071 Internet checksum of the header. */
static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static enum dp_reasm4_res drop(dp_reasm4 *r, struct ctx *c, enum dp_reasm4_res why)
{
	if (c && c->used) {
		ctx_drop(r, c);
		r->st.dropped++;
	}
	return why;
}

enum dp_reasm4_res dp_reasm4_add(dp_reasm4 *r, const uint8_t *ip, size_t len, int64_t now_ns,
				 const uint8_t **ret_pkt, size_t *ret_len)
{
	struct dp_cur cur = dp_cur_make(ip, len);
	uint8_t vihl = 0, proto = 0, src[4], dst[4];
	uint16_t total_len = 0, id = 0, frag = 0;
	size_t hlen, plen, off, end, first_blk, last_blk, held = 0;
	struct ctx *c;
	bool mf;

	if (len < IPV4_MIN_HDR)
		return DP_REASM4_TRUNCATED;
	dp_cur_u8(&cur, &vihl);
	dp_cur_skip(&cur, 1);
	dp_cur_be16(&cur, &total_len);
	dp_cur_be16(&cur, &id);
	dp_cur_be16(&cur, &frag);
	dp_cur_skip(&cur, 1);
	dp_cur_u8(&cur, &proto);
	dp_cur_skip(&cur, 2);
	dp_cur_copy(&cur, src, 4);
	dp_cur_copy(&cur, dst, 4);
	/* RFC 791 section 3.1: "Internet Header Length ... the minimum value
	 * for a correct header is 5"; "Total Length is the length of the
	 * datagram, measured in octets, including internet header and data". */
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hlen < IPV4_MIN_HDR || total_len < hlen)
		return DP_REASM4_BAD_HEADER;
	if (total_len > len)
		return DP_REASM4_TRUNCATED;
	mf = frag & FRAG_MF;
	/* "The fragment offset is measured in units of 8 octets" */
	off = (size_t)(frag & FRAG_OFF_MASK) * 8;
	if (!mf && off == 0)
		return DP_REASM4_NOT_FRAGMENT;

	dp_reasm4_expire(r, now_ns);
	plen = total_len - hlen;
	end = off + plen;
	c = ctx_find(r, src, dst, id, proto);
	/* RFC 791 section 3.2: fragments other than the last carry "an
	 * integral number of 8-octet blocks"; an empty one carries nothing. */
	if (mf && (plen == 0 || plen % 8 != 0))
		return drop(r, c, DP_REASM4_BAD_FRAGMENT);
	/* The datagram, header included, must fit Total Length's 16 bits
	 * (the "ping of death" check), and our per-datagram room. */
	if (end + IPV4_MIN_HDR > DP_REASM4_MAX_DATAGRAM || end > r->cfg.max_datagram)
		return drop(r, c, DP_REASM4_TOO_BIG);
	if (c && c->have_last && (mf ? end > c->total : end != c->total))
		return drop(r, c, DP_REASM4_BAD_FRAGMENT); /* two different ends */
	if (c && !mf && c->max_end > end)
		return drop(r, c, DP_REASM4_BAD_FRAGMENT); /* data past the end */

	first_blk = off / 8;
	last_blk = (end + 7) / 8; /* exclusive */
	if (c) {
		for (size_t b = first_blk; b < last_blk; b++)
			held += bit(c->map, b);
		if (held && held == last_blk - first_blk &&
		    memcmp(c->data + off, ip + hlen, plen) == 0)
			return DP_REASM4_DUPLICATE;
		if (held)
			return drop(r, c, DP_REASM4_OVERLAP);
	} else {
		c = ctx_new(r);
		c->used = true;
		c->born = r->born++;
		c->first_ns = now_ns;
		memcpy(c->src, src, 4);
		memcpy(c->dst, dst, 4);
		c->id = id;
		c->proto = proto;
		c->hlen = 0;
		c->have_last = false;
		c->total = c->received = c->max_end = 0;
		r->st.in_flight++;
	}

	if (plen)
		memcpy(c->data + off, ip + hlen, plen);
	for (size_t b = first_blk; b < last_blk; b++)
		c->map[b / 8] |= (uint8_t)(1u << (b % 8));
	c->received += plen;
	if (end > c->max_end)
		c->max_end = end;
	if (!mf) {
		c->have_last = true;
		c->total = end;
	}
	if (off == 0) {
		memcpy(c->hdr, ip, hlen);
		c->hlen = (uint8_t)hlen;
	}
	if (!c->have_last || c->received != c->total || c->hlen == 0)
		return DP_REASM4_PENDING;

	/* Complete: the first fragment's header, made whole -- and still
	 * within Total Length's 16 bits with that header's options. */
	hlen = c->hlen;
	if (hlen + c->total > DP_REASM4_MAX_DATAGRAM)
		return drop(r, c, DP_REASM4_TOO_BIG);
	memcpy(r->out, c->hdr, hlen);
	r->out[2] = (uint8_t)((hlen + c->total) >> 8);
	r->out[3] = (uint8_t)(hlen + c->total);
	r->out[6] &= FRAG_DF >> 8; /* keep DF, clear MF and the offset */
	r->out[7] = 0;
	r->out[10] = 0;
	r->out[11] = 0;
	{
		uint16_t sum = ip_checksum(r->out, hlen);

		r->out[10] = (uint8_t)(sum >> 8);
		r->out[11] = (uint8_t)sum;
	}
	memcpy(r->out + hlen, c->data, c->total);
	*ret_pkt = r->out;
	*ret_len = hlen + c->total;
	ctx_drop(r, c);
	r->st.completed++;
	return DP_REASM4_DONE;
}

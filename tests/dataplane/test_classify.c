/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_classify_eth() and dp_classify_burst(): a table of frames (each class,
 * through 0/1/2 VLAN tags, every length-decided case, the careful path for
 * short frames), each at the end of a block of exactly its size (ASan sees
 * a read past it); then random frames built from the table's templates,
 * mutated and cut at random lengths: dp_classify_burst() over them must
 * give each one dp_classify_eth()'s answer, and a valid class.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "dp_check.h"

/* frame builder */
struct fb {
	uint8_t b[256];
	uint32_t n;
};

static void put(struct fb *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct fb *f, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(f, x, 2);
}

static void eth(struct fb *f, unsigned tags, uint16_t outer)
{
	memset(f, 0, sizeof(*f));
	memset(f->b, 0x02, 12);
	f->n = 12;
	for (unsigned t = 0; t < tags; t++) {
		put16(f, t == 0 && tags > 1 ? outer : 0x8100);
		put16(f, (uint16_t)(100 + t));
	}
}

static void ipv4(struct fb *f, uint8_t proto, uint16_t frag, unsigned ihl, uint16_t sport,
		 uint16_t dport)
{
	uint8_t h[60] = {0};
	h[0] = (uint8_t)(0x40 | ihl / 4);
	h[6] = (uint8_t)(frag >> 8);
	h[7] = (uint8_t)frag;
	h[8] = 64;
	h[9] = proto;
	put(f, h, ihl);
	put16(f, sport);
	put16(f, dport);
	put16(f, 8);
	put16(f, 0);
}

static void ipv6(struct fb *f, uint8_t nh, uint16_t sport, uint16_t dport)
{
	uint8_t h[40] = {0x60};
	h[6] = nh;
	h[7] = 64;
	put(f, h, 40);
	put16(f, sport);
	put16(f, dport);
	put16(f, 8);
	put16(f, 0);
}

static void pad(struct fb *f, uint32_t to)
{
	if (f->n < to)
		f->n = to; /* zeros */
}

enum kind { K_V4, K_V6, K_PPP, K_DISC, K_ARP };

struct row {
	const char *name;
	enum kind kind;
	unsigned tags;
	uint8_t proto;    /* IP protocol / IPv6 next header */
	uint16_t frag;    /* IPv4 flags + fragment offset */
	unsigned ihl;     /* IPv4 header bytes */
	uint16_t sport, dport;
	uint16_t ppp;     /* PPP protocol (K_PPP) */
	uint32_t len;     /* 0: as built (padded to 60) */
	enum dp_cls want;
};

static void build(const struct row *r, struct fb *f)
{
	eth(f, r->tags, 0x88a8);
	switch (r->kind) {
	case K_V4:
		put16(f, 0x0800);
		ipv4(f, r->proto, r->frag, r->ihl ? r->ihl : 20, r->sport, r->dport);
		break;
	case K_V6:
		put16(f, 0x86dd);
		ipv6(f, r->proto, r->sport, r->dport);
		break;
	case K_PPP: {
		put16(f, 0x8864);
		uint8_t h[6] = {0x11, 0, 0x12, 0x34, 0, 40};
		put(f, h, 6);
		put16(f, r->ppp);
		break;
	}
	case K_DISC: {
		put16(f, 0x8863);
		uint8_t h[6] = {0x11, 0x09, 0, 0, 0, 0};
		put(f, h, 6);
		break;
	}
	case K_ARP:
		put16(f, 0x0806);
		break;
	}
	pad(f, 60);
	if (r->len)
		f->n = r->len;
}

static const struct row rows[] = {
	{"v4 tcp", K_V4, 0, 6, 0, 0, 1234, 443, 0, 0, DP_CLS_PASS},
	{"v4 udp data", K_V4, 0, 17, 0, 0, 40000, 443, 0, 0, DP_CLS_PASS},
	{"v4 radius acct", K_V4, 0, 17, 0, 0, 40000, 1813, 0, 0, DP_CLS_UDP_CTRL},
	{"v4 radius src port", K_V4, 1, 17, 0, 0, 1812, 40000, 0, 0, DP_CLS_UDP_CTRL},
	{"v4 dhcp qinq", K_V4, 2, 17, 0, 0, 68, 67, 0, 0, DP_CLS_UDP_CTRL},
	{"v4 l2tp", K_V4, 1, 17, 0, 0, 1701, 1701, 0, 0, DP_CLS_UDP_CTRL},
	{"v4 dont-fragment", K_V4, 0, 17, 0x4000, 0, 40000, 1813, 0, 0, DP_CLS_UDP_CTRL},
	{"v4 first fragment", K_V4, 0, 17, 0x2000, 0, 40000, 1813, 0, 0, DP_CLS_SLOW},
	{"v4 later fragment", K_V4, 0, 17, 0x0010, 0, 40000, 443, 0, 0, DP_CLS_SLOW},
	{"v4 options", K_V4, 0, 17, 0, 24, 40000, 1813, 0, 0, DP_CLS_UDP_CTRL},
	{"v4 options data", K_V4, 2, 17, 0, 60, 40000, 443, 0, 0, DP_CLS_PASS},
	{"v4 ihl 16", K_V4, 0, 17, 0, 16, 40000, 443, 0, 0, DP_CLS_SLOW},
	{"v4 options past end", K_V4, 0, 17, 0, 60, 40000, 1813, 0, 70, DP_CLS_SLOW},
	{"v6 tcp", K_V6, 0, 6, 0, 0, 1234, 443, 0, 0, DP_CLS_PASS},
	{"v6 udp data", K_V6, 1, 17, 0, 0, 40000, 443, 0, 0, DP_CLS_PASS},
	{"v6 dhcpv6", K_V6, 0, 17, 0, 0, 546, 547, 0, 0, DP_CLS_UDP_CTRL},
	{"v6 dhcpv6 qinq", K_V6, 2, 17, 0, 0, 546, 547, 0, 0, DP_CLS_UDP_CTRL},
	{"v6 hop-by-hop", K_V6, 0, 0, 0, 0, 0, 0, 0, 0, DP_CLS_SLOW},
	{"v6 routing", K_V6, 1, 43, 0, 0, 0, 0, 0, 0, DP_CLS_SLOW},
	{"v6 fragment", K_V6, 0, 44, 0, 0, 0, 0, 0, 0, DP_CLS_SLOW},
	{"v6 dest opts", K_V6, 2, 60, 0, 0, 0, 0, 0, 0, DP_CLS_SLOW},
	{"v6 icmp", K_V6, 0, 58, 0, 0, 0, 0, 0, 0, DP_CLS_PASS},
	/* two tags + IPv6 header = 62: l3len 38/40/43 of a 60.. byte frame */
	{"v6 qinq 60", K_V6, 2, 17, 0, 0, 546, 547, 0, 60, DP_CLS_SLOW},
	{"v6 qinq 62", K_V6, 2, 17, 0, 0, 546, 547, 0, 62, DP_CLS_PASS},
	{"v6 qinq 65", K_V6, 2, 17, 0, 0, 546, 547, 0, 65, DP_CLS_PASS},
	{"v6 qinq 66", K_V6, 2, 17, 0, 0, 546, 547, 0, 66, DP_CLS_UDP_CTRL},
	{"v6 tcp short", K_V6, 2, 6, 0, 0, 0, 0, 0, 60, DP_CLS_PASS},
	{"pppoe ipv4", K_PPP, 0, 0, 0, 0, 0, 0, 0x0021, 0, DP_CLS_PASS},
	{"pppoe ipv6", K_PPP, 1, 0, 0, 0, 0, 0, 0x0057, 0, DP_CLS_PASS},
	{"pppoe lcp", K_PPP, 0, 0, 0, 0, 0, 0, 0xc021, 0, DP_CLS_PPP_CTRL},
	{"pppoe pap", K_PPP, 1, 0, 0, 0, 0, 0, 0xc023, 0, DP_CLS_PPP_CTRL},
	{"pppoe chap qinq", K_PPP, 2, 0, 0, 0, 0, 0, 0xc223, 0, DP_CLS_PPP_CTRL},
	{"pppoe ipcp", K_PPP, 0, 0, 0, 0, 0, 0, 0x8021, 0, DP_CLS_PPP_CTRL},
	{"pppoe ipv6cp", K_PPP, 0, 0, 0, 0, 0, 0, 0x8057, 0, DP_CLS_PPP_CTRL},
	{"pppoe discovery", K_DISC, 0, 0, 0, 0, 0, 0, 0, 0, DP_CLS_PPPOE_DISC},
	{"pppoe discovery qinq", K_DISC, 2, 0, 0, 0, 0, 0, 0, 0, DP_CLS_PPPOE_DISC},
	{"arp", K_ARP, 0, 0, 0, 0, 0, 0, 0, 0, DP_CLS_PASS},
	{"arp vlan", K_ARP, 1, 0, 0, 0, 0, 0, 0, 0, DP_CLS_PASS},
	/* short frames: the careful path */
	{"runt 13", K_ARP, 0, 0, 0, 0, 0, 0, 0, 13, DP_CLS_SLOW},
	{"v4 udp 40", K_V4, 0, 17, 0, 0, 40000, 1813, 0, 42, DP_CLS_UDP_CTRL},
	{"v4 udp cut in ports", K_V4, 0, 17, 0, 0, 40000, 1813, 0, 36, DP_CLS_SLOW},
	{"pppoe cut", K_PPP, 0, 0, 0, 0, 0, 0, 0xc021, 20, DP_CLS_SLOW},
};

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Classify a frame placed at the end of a block of exactly n bytes. */
static enum dp_cls classify(const struct dp_classifier *c, const uint8_t *frame, uint32_t n)
{
	uint8_t *e = malloc(n ? n : 1);
	if (!e)
		abort();
	memcpy(e, frame, n);
	enum dp_cls k = dp_classify_eth(c, e, n);
	free(e);
	return k;
}

int main(void)
{
	struct dp_classifier c;
	dp_classifier_init(&c);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		check_ctx = r->name;
		struct fb f;
		build(r, &f);
		enum dp_cls e = classify(&c, f.b, f.n);
		CHECKF(e == r->want, "got %d, want %d", e, r->want);
	}

	/* a port added to the set makes its datagrams control */
	check_ctx = "add port";
	struct fb f;
	build(&rows[1], &f); /* v4 udp data, port 443 */
	CHECK(classify(&c, f.b, f.n) == DP_CLS_PASS);
	struct dp_classifier c443 = c;
	dp_classifier_add_port(&c443, 443);
	CHECK(classify(&c443, f.b, f.n) == DP_CLS_UDP_CTRL);

	/* random frames: burst agrees with one by one, classes valid */
	check_ctx = "random";
	enum { N = 64 };
	unsigned disagree = 0, invalid = 0, ctrl_miscount = 0;
	for (unsigned it = 0; it < 5000; it++) {
		uint8_t *pk[N];
		uint32_t len[N];
		enum dp_cls want[N];
		unsigned want_ctrl = 0;
		for (unsigned k = 0; k < N; k++) {
			struct row x = rows[rnd() % (sizeof(rows) / sizeof(rows[0]))];
			x.tags = (unsigned)(rnd() % 4) % 3;
			x.len = 0;
			if (x.kind == K_V4)
				x.ihl = 20 + 4 * (unsigned)(rnd() % 11);
			build(&x, &f);
			/* flip a few header bytes, including the type fields */
			for (unsigned m = rnd() % 4; m; m--)
				f.b[12 + rnd() % 80] ^= (uint8_t)rnd();
			if (rnd() % 2)
				f.b[12 + 4 * (rnd() % 3)] = (uint8_t[]){0x81, 0x88, 0x91, 0x86}[rnd() % 4];
			len[k] = (uint32_t)(rnd() % 160);
			pk[k] = malloc(len[k] ? len[k] : 1);
			if (!pk[k])
				abort();
			memcpy(pk[k], f.b, len[k]);
			want[k] = dp_classify_eth(&c, pk[k], len[k]);
			invalid += (unsigned)want[k] >= DP_CLS_MAX;
			want_ctrl += want[k] != DP_CLS_PASS;
		}
		uint8_t res[N];
		unsigned got_ctrl = dp_classify_burst(&c, (const uint8_t *const *)pk, len, N, res);
		ctrl_miscount += got_ctrl != want_ctrl;
		for (unsigned k = 0; k < N; k++) {
			disagree += res[k] != want[k];
			free(pk[k]);
		}
	}
	CHECKF(disagree == 0, "%u random frames classified differently in a burst", disagree);
	CHECKF(invalid == 0, "%u invalid classes", invalid);
	CHECKF(ctrl_miscount == 0, "%u bursts miscounted their control packets", ctrl_miscount);
	return check_done();
}

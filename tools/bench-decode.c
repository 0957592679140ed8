/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-decode: the benchmark behind `tools/bench decode` (not a test).
 *
 * Builds, in memory, a mixed capture of the access control plane -- per
 * protocol, --sessions subscribers' worth of realistic frames:
 *
 *   radius_acct    Accounting-Request Start/Interim/Stop (signed: verified)
 *   radius_access  Access-Request + Access-Accept (Response Authenticator)
 *   pppoe_disc     PADI/PADO/PADR/PADS with TR-101 line identity
 *   ppp            LCP Configure, PAP Request/Ack, IPCP Configure-Ack, LCP echo
 *   dhcp4          DISCOVER/OFFER/REQUEST/ACK via a relay with option 82
 *   dhcp6          Relay-Forward(Request) / Relay-Reply(Reply, IA_NA, IA_PD)
 *   l2tp           ICRQ control message + data messages carrying PAP/LCP
 *
 * and measures, in the same run, over the same frames, packets/s of:
 *
 *   bare    a loop that reads each frame's first and last byte (the floor)
 *   decode  the protocol's decoders alone (link/IP/UDP + the protocol)
 *   engine  dp_engine_packet: decode, verify, state machines, tracker
 *           (a fresh engine per pass; the allocation is not timed; PPP
 *           frames follow their PPPoE discovery, fed untimed first)
 *
 * then the whole mix interleaved, through one engine.  Each figure is the
 * best of --rounds passes (the machine is shared: the least disturbed
 * pass; bare: of 4 x rounds).  --write FILE keeps
 * the mixed capture as pcap (for tshark, retain ingest).  Last line: one
 * JSON object.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cursor.h"
#include "dhcp4.h"
#include "dhcp6.h"
#include "engine.h"
#include "l2tp.h"
#include "ppp.h"
#include "pppoe.h"
#include "radius.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)

static const uint8_t SECRET[] = "bench-secret";
#define SECRET_LEN (sizeof(SECRET) - 1)

enum proto { P_ACCT, P_ACCESS, P_DISC, P_PPP, P_DHCP4, P_DHCP6, P_L2TP, P_MAX };
static const char *const proto_name[P_MAX] = {"radius_acct", "radius_access", "pppoe_disc",
					      "ppp", "dhcp4", "dhcp6", "l2tp"};

struct frame {
	int64_t ts;
	uint16_t len;
	uint8_t *b;
};

struct set {
	struct frame *f;
	size_t n, cap;
};

static struct set sets[P_MAX];

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fprintf(stderr, "bench-decode: out of memory\n");
		exit(1);
	}
	return p;
}

static void push(enum proto p, int64_t ts, const uint8_t *b, size_t n)
{
	struct set *s = &sets[p];
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->f = realloc(s->f, s->cap * sizeof(*s->f));
		if (!s->f) {
			fprintf(stderr, "bench-decode: out of memory\n");
			exit(1);
		}
	}
	size_t len = n < 60 ? 60 : n; /* Ethernet minimum, padded */
	uint8_t *c = xmalloc(len);
	memset(c, 0, len);
	memcpy(c, b, n);
	s->f[s->n++] = (struct frame){ts, (uint16_t)len, c};
}

/* ---- frame building ---------------------------------------------------------- */

struct buf {
	uint8_t b[1600];
	size_t n;
};

static void put(struct buf *b, const void *v, size_t n)
{
	memcpy(b->b + b->n, v, n);
	b->n += n;
}

static void put8(struct buf *b, uint8_t v)
{
	b->b[b->n++] = v;
}

static void put16(struct buf *b, uint16_t v)
{
	put8(b, (uint8_t)(v >> 8));
	put8(b, (uint8_t)v);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b, (uint16_t)v);
}

static void set16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void client_mac(uint8_t m[6], unsigned i)
{
	m[0] = 0x02;
	m[1] = 0x42;
	m[2] = (uint8_t)(i >> 24);
	m[3] = (uint8_t)(i >> 16);
	m[4] = (uint8_t)(i >> 8);
	m[5] = (uint8_t)i;
}

static const uint8_t BRAS_MAC[6] = {0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c};

static void eth_hdr(struct buf *b, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	b->n = 0;
	put(b, dst, 6);
	put(b, src, 6);
	put16(b, type);
}

/* Ethernet + IPv4 + UDP around payload. */
static void udp4(struct buf *o, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
		 const uint8_t *pl, size_t n)
{
	uint8_t m[6];
	client_mac(m, src);
	eth_hdr(o, BRAS_MAC, m, 0x0800);
	size_t ip = o->n;
	put8(o, 0x45);
	put8(o, 0);
	put16(o, (uint16_t)(28 + n));
	put32(o, 0);
	put8(o, 64);
	put8(o, 17);
	put16(o, 0);
	put32(o, src);
	put32(o, dst);
	uint32_t sum = 0;
	for (size_t i = 0; i < 20; i += 2)
		sum += (uint32_t)(o->b[ip + i] << 8 | o->b[ip + i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	set16(o->b + ip + 10, (uint16_t)~sum);
	put16(o, sp);
	put16(o, dp);
	put16(o, (uint16_t)(8 + n));
	put16(o, 0);
	put(o, pl, n);
}

/* Ethernet + IPv6 + UDP (checksum left 0: the decoders do not verify it). */
static void udp6(struct buf *o, const uint8_t src[16], const uint8_t dst[16], uint16_t sp,
		 uint16_t dp, const uint8_t *pl, size_t n)
{
	eth_hdr(o, BRAS_MAC, BRAS_MAC, 0x86dd);
	put32(o, 0x60000000u);
	put16(o, (uint16_t)(8 + n));
	put8(o, 17);
	put8(o, 64);
	put(o, src, 16);
	put(o, dst, 16);
	put16(o, sp);
	put16(o, dp);
	put16(o, (uint16_t)(8 + n));
	put16(o, 0);
	put(o, pl, n);
}

static void rattr(struct buf *b, uint8_t t, const void *v, size_t n)
{
	put8(b, t);
	put8(b, (uint8_t)(n + 2));
	put(b, v, n);
}

static void rattr32(struct buf *b, uint8_t t, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	rattr(b, t, x, 4);
}

#define NAS_IP 0x0a000001u    /* 10.0.0.1 */
#define SERVER_IP 0x0a090909u /* 10.9.9.9 */

static void gen_radius(unsigned n)
{
	struct buf r, o;
	char s[64];
	for (unsigned i = 0; i < n; i++) {
		int64_t t = T0 + (int64_t)i * NS / 100;
		/* Access-Request + Accept */
		uint8_t ra[16];
		for (int k = 0; k < 16; k++)
			ra[k] = (uint8_t)(i * 31 + k);
		r.n = 0;
		put8(&r, 1);
		put8(&r, (uint8_t)i);
		put16(&r, 0);
		put(&r, ra, 16);
		int un = snprintf(s, sizeof(s), "user%u@isp", i);
		rattr(&r, 1, s, (size_t)un);
		rattr(&r, 2, "0123456789abcdef", 16);
		rattr32(&r, 4, NAS_IP);
		rattr(&r, 32, "BRAS-1", 6);
		set16(r.b + 2, r.n);
		udp4(&o, NAS_IP, SERVER_IP, 40000 + (uint16_t)(i % 1000), 1812, r.b, r.n);
		push(P_ACCESS, t, o.b, o.n);
		r.n = 0;
		put8(&r, 2);
		put8(&r, (uint8_t)i);
		put16(&r, 0);
		put(&r, ra, 16);
		rattr32(&r, 8, 0x64400000u + i);
		uint8_t pd[8] = {0, 56, 0x20, 0x01, 0x0d, 0xb8, (uint8_t)(i >> 8), (uint8_t)i};
		rattr(&r, 123, pd, sizeof(pd));
		int cn = snprintf(s, sizeof(s), "CLS-%u", i);
		rattr(&r, 25, s, (size_t)cn);
		set16(r.b + 2, r.n);
		dp_radius_response_sign(r.b, r.n, ra, SECRET, SECRET_LEN);
		udp4(&o, SERVER_IP, NAS_IP, 1812, 40000 + (uint16_t)(i % 1000), r.b, r.n);
		push(P_ACCESS, t + NS / 1000, o.b, o.n);
		/* Accounting Start / Interim / Stop */
		for (uint32_t st = 1; st <= 3; st++) {
			uint32_t status = st == 2 ? 3 : st == 3 ? 2 : 1;
			r.n = 0;
			put8(&r, 4);
			put8(&r, (uint8_t)(i + st));
			put16(&r, 0);
			put(&r, ra, 16);
			rattr32(&r, 40, status);
			int sn = snprintf(s, sizeof(s), "S%08x", i);
			rattr(&r, 44, s, (size_t)sn);
			un = snprintf(s, sizeof(s), "user%u@isp", i);
			rattr(&r, 1, s, (size_t)un);
			rattr32(&r, 4, NAS_IP);
			rattr(&r, 87, "eth 0/1/1:100", 13);
			int mn = snprintf(s, sizeof(s), "02-42-%02X-%02X-%02X-%02X", (i >> 24) & 255,
					  (i >> 16) & 255, (i >> 8) & 255, i & 255);
			rattr(&r, 31, s, (size_t)mn);
			rattr(&r, 25, s, 0 + (size_t)snprintf(s, sizeof(s), "CLS-%u", i));
			if (status != 1)
				rattr32(&r, 46, st * 600);
			if (status == 2)
				rattr32(&r, 49, 1);
			set16(r.b + 2, r.n);
			dp_radius_acct_sign(r.b, r.n, SECRET, SECRET_LEN);
			udp4(&o, NAS_IP, SERVER_IP, 40001, 1813, r.b, r.n);
			push(P_ACCT, t + (int64_t)st * 600 * NS, o.b, o.n);
		}
	}
}

static void pppoe_disc_frame(struct buf *o, uint8_t code, uint16_t sid, const uint8_t mac[6],
			     bool up, unsigned i)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	eth_hdr(o, up ? (code == 0x09 ? bcast : BRAS_MAC) : mac, up ? mac : BRAS_MAC, 0x8863);
	size_t h = o->n;
	put8(o, 0x11);
	put8(o, code);
	put16(o, sid);
	put16(o, 0);
	put16(o, 0x0101); /* Service-Name */
	put16(o, 0);
	put16(o, 0x0103); /* Host-Uniq */
	put16(o, 4);
	put32(o, i);
	if (!up) {
		put16(o, 0x0102); /* AC-Name */
		put16(o, 6);
		put(o, "BRAS-1", 6);
	} else {
		char c[32];
		int cn = snprintf(c, sizeof(c), "olt-1 pon 0/1/%u", i);
		put16(o, 0x0105); /* TR-101 */
		put16(o, (uint16_t)(4 + 2 + cn));
		put32(o, 3561);
		put8(o, 1);
		put8(o, (uint8_t)cn);
		put(o, c, (size_t)cn);
	}
	set16(o->b + h + 4, o->n - h - 6);
}

static void ppp_frame(struct buf *o, uint16_t sid, const uint8_t mac[6], bool up,
		      uint16_t proto, uint8_t code, uint8_t id, const uint8_t *data, size_t n)
{
	eth_hdr(o, up ? BRAS_MAC : mac, up ? mac : BRAS_MAC, 0x8864);
	put8(o, 0x11);
	put8(o, 0);
	put16(o, sid);
	put16(o, (uint16_t)(2 + 4 + n));
	put16(o, proto);
	put8(o, code);
	put8(o, id);
	put16(o, (uint16_t)(4 + n));
	put(o, data, n);
}

static void gen_pppoe(unsigned n)
{
	struct buf o;
	for (unsigned i = 0; i < n; i++) {
		uint8_t m[6];
		client_mac(m, 0x100000 + i);
		int64_t t = T0 + (int64_t)i * NS / 100;
		uint16_t sid = (uint16_t)(1 + i % 65000);
		pppoe_disc_frame(&o, 0x09, 0, m, true, i);
		push(P_DISC, t, o.b, o.n);
		pppoe_disc_frame(&o, 0x07, 0, m, false, i);
		push(P_DISC, t + 1000, o.b, o.n);
		pppoe_disc_frame(&o, 0x19, 0, m, true, i);
		push(P_DISC, t + 2000, o.b, o.n);
		pppoe_disc_frame(&o, 0x65, sid, m, false, i);
		push(P_DISC, t + 3000, o.b, o.n);
		static const uint8_t lcp[] = {1, 4, 0x05, 0xd4, 3, 4, 0xc0, 0x23, 5, 6, 1, 2, 3, 4};
		ppp_frame(&o, sid, m, false, 0xc021, 1, 1, lcp, sizeof(lcp));
		push(P_PPP, t + 4000, o.b, o.n);
		ppp_frame(&o, sid, m, true, 0xc021, 2, 1, lcp, sizeof(lcp));
		push(P_PPP, t + 5000, o.b, o.n);
		char pap[64];
		int an = snprintf(pap + 1, sizeof(pap) - 1, "ppp%u@isp", i);
		pap[0] = (char)an;
		pap[1 + an] = 6;
		memcpy(pap + 2 + an, "secret", 6);
		ppp_frame(&o, sid, m, true, 0xc023, 1, 1, (const uint8_t *)pap, (size_t)an + 8);
		push(P_PPP, t + 6000, o.b, o.n);
		ppp_frame(&o, sid, m, false, 0xc023, 2, 1, (const uint8_t *)"\x02ok", 3);
		push(P_PPP, t + 7000, o.b, o.n);
		uint8_t ipcp[6] = {3, 6, 100, 64, (uint8_t)(i >> 8), (uint8_t)i};
		ppp_frame(&o, sid, m, false, 0x8021, 2, 2, ipcp, sizeof(ipcp));
		push(P_PPP, t + 8000, o.b, o.n);
		ppp_frame(&o, sid, m, false, 0xc021, 9, 3, (const uint8_t *)"\x11\x22\x33\x44", 4);
		push(P_PPP, t + 60 * NS, o.b, o.n);
		ppp_frame(&o, sid, m, true, 0xc021, 10, 3, (const uint8_t *)"\x55\x66\x77\x88", 4);
		push(P_PPP, t + 60 * NS + 1000, o.b, o.n);
	}
}

static void gen_dhcp4(unsigned n)
{
	struct buf d, o;
	for (unsigned i = 0; i < n; i++) {
		uint8_t m[6];
		client_mac(m, 0x200000 + i);
		int64_t t = T0 + (int64_t)i * NS / 100;
		static const uint8_t types[4] = {1, 2, 3, 5};
		for (int k = 0; k < 4; k++) {
			bool reply = types[k] == 2 || types[k] == 5;
			d.n = 0;
			put8(&d, reply ? 2 : 1);
			put8(&d, 1);
			put8(&d, 6);
			put8(&d, 1);
			put32(&d, 0xd0000000u + i);
			put32(&d, 0);
			put32(&d, 0);
			put32(&d, reply ? 0x64410000u + i : 0);
			put32(&d, 0);
			put32(&d, 0x6441fffeu); /* giaddr */
			put(&d, m, 6);
			memset(d.b + d.n, 0, 202);
			d.n += 202;
			put32(&d, 0x63825363u);
			put8(&d, 53);
			put8(&d, 1);
			put8(&d, types[k]);
			if (reply) {
				put8(&d, 51);
				put8(&d, 4);
				put32(&d, 3600);
				put8(&d, 54);
				put8(&d, 4);
				put32(&d, 0x6441ff01u);
			}
			char c[32], r[32];
			int cn = snprintf(c, sizeof(c), "sw-1 port %u", i);
			int rn = snprintf(r, sizeof(r), "rid-%u", i);
			put8(&d, 82);
			put8(&d, (uint8_t)(4 + cn + rn));
			put8(&d, 1);
			put8(&d, (uint8_t)cn);
			put(&d, c, (size_t)cn);
			put8(&d, 2);
			put8(&d, (uint8_t)rn);
			put(&d, r, (size_t)rn);
			put8(&d, 255);
			udp4(&o, reply ? 0x6441ff01u : 0x6441fffeu, reply ? 0x6441fffeu : 0x6441ff01u,
			     67, 67, d.b, d.n);
			push(P_DHCP4, t + k * 1000, o.b, o.n);
		}
	}
}

static void opt6(struct buf *b, uint16_t code, const void *v, size_t n)
{
	put16(b, code);
	put16(b, (uint16_t)n);
	put(b, v, n);
}

static void gen_dhcp6(unsigned n)
{
	static const uint8_t relay[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					  1};
	static const uint8_t server[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
					   0, 0, 1};
	struct buf in, rl, o;
	for (unsigned i = 0; i < n; i++) {
		int64_t t = T0 + (int64_t)i * NS / 100;
		uint8_t duid[10] = {0, 3, 0, 1};
		client_mac(duid + 4, 0x300000 + i);
		for (int k = 0; k < 2; k++) {
			bool reply = k == 1;
			in.n = 0;
			put8(&in, reply ? DP_DHCP6_REPLY : 3 /* Request */);
			put8(&in, (uint8_t)(i >> 16));
			put8(&in, (uint8_t)(i >> 8));
			put8(&in, (uint8_t)i);
			opt6(&in, 1, duid, sizeof(duid));
			opt6(&in, 2, "\x00\x03\x00\x01\x00\x1b\x21\x00\x00\x01", 10);
			/* IA_NA(IAID, T1, T2, IAADDR(addr, pref, valid)) */
			struct buf ia = {.n = 0};
			put32(&ia, i);
			put32(&ia, 1800);
			put32(&ia, 2880);
			if (reply) {
				uint8_t aa[24];
				memcpy(aa, relay, 16);
				aa[14] = (uint8_t)(i >> 8);
				aa[15] = (uint8_t)i;
				memset(aa + 16, 0, 8);
				aa[19] = 0x0e;
				aa[23] = 0x10;
				put16(&ia, 5);
				put16(&ia, 24);
				put(&ia, aa, 24);
			}
			opt6(&in, 3, ia.b, ia.n);
			rl.n = 0;
			put8(&rl, reply ? DP_DHCP6_RELAY_REPL : DP_DHCP6_RELAY_FORW);
			put8(&rl, 0);
			put(&rl, relay, 16);
			put(&rl, relay, 16);
			char r[32];
			int rn = snprintf(r, sizeof(r), "rid6-%u", i);
			uint8_t rid[40] = {0, 0, 0x0d, 0xe9};
			memcpy(rid + 4, r, (size_t)rn);
			opt6(&rl, 37, rid, 4 + (size_t)rn); /* Remote-ID */
			opt6(&rl, 18, "port-1", 6);         /* Interface-ID */
			opt6(&rl, 9, in.b, in.n);           /* Relay-Message */
			udp6(&o, reply ? server : relay, reply ? relay : server, 547, 547, rl.b, rl.n);
			push(P_DHCP6, t + k * 1000, o.b, o.n);
		}
	}
}

static void gen_l2tp(unsigned n)
{
	struct buf l, o;
	for (unsigned i = 0; i < n; i++) {
		int64_t t = T0 + (int64_t)i * NS / 100;
		uint16_t tid = (uint16_t)(1 + i % 64), sid = (uint16_t)(1 + i / 64);
		/* ICRQ: Message Type 10, Assigned Session ID, Call Serial, Calling Number */
		l.n = 0;
		put16(&l, 0xc802);
		put16(&l, 0);
		put16(&l, tid);
		put16(&l, 0);
		put16(&l, (uint16_t)i);
		put16(&l, (uint16_t)i);
		put16(&l, 0x8008); /* M, length 8 */
		put16(&l, 0);
		put16(&l, 0);
		put16(&l, 10);
		put16(&l, 0x8008);
		put16(&l, 0);
		put16(&l, 14);
		put16(&l, sid);
		put16(&l, 0x800a);
		put16(&l, 0);
		put16(&l, 15);
		put32(&l, i);
		char c[32];
		int cn = snprintf(c, sizeof(c), "0612%07u", i);
		put16(&l, (uint16_t)(0x8000 | (6 + cn)));
		put16(&l, 0);
		put16(&l, 22);
		put(&l, c, (size_t)cn);
		set16(l.b + 2, l.n);
		udp4(&o, 0x0a010001u, NAS_IP, 1701, 1701, l.b, l.n);
		push(P_L2TP, t, o.b, o.n);
		/* data: PAP Request (LAC -> LNS), PAP Ack, LCP echo */
		for (int k = 0; k < 3; k++) {
			l.n = 0;
			put16(&l, 0x4002);
			put16(&l, 0);
			put16(&l, tid);
			put16(&l, sid);
			put8(&l, 0xff);
			put8(&l, 0x03);
			if (k == 0) {
				char pap[48];
				int an = snprintf(pap + 1, sizeof(pap) - 1, "l2tp%u", i);
				pap[0] = (char)an;
				pap[1 + an] = 2;
				memcpy(pap + 2 + an, "pw", 2);
				put16(&l, 0xc023);
				put8(&l, 1);
				put8(&l, 1);
				put16(&l, (uint16_t)(4 + an + 4));
				put(&l, pap, (size_t)an + 4);
			} else if (k == 1) {
				put16(&l, 0xc023); /* PAP Authenticate-Ack, "ok" */
				put8(&l, 2);
				put8(&l, 1);
				put16(&l, 7);
				put(&l, "\x02ok", 3);
			} else {
				put16(&l, 0xc021); /* LCP Echo-Request, magic number */
				put8(&l, 9);
				put8(&l, 1);
				put16(&l, 8);
				put32(&l, 0x11223344u);
			}
			set16(l.b + 2, l.n);
			bool up = k == 0;
			udp4(&o, up ? 0x0a010001u : NAS_IP, up ? NAS_IP : 0x0a010001u, 1701, 1701,
			     l.b, l.n);
			push(P_L2TP, t + (k + 1) * 1000, o.b, o.n);
		}
	}
}

/* ---- measuring ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink;

/* Every run_* returns the best (shortest) time of one pass over the set
 * among `rounds` passes: the machine is shared, the minimum is the figure
 * least disturbed by others. */
static double run_bare(const struct set *s, unsigned rounds)
{
	double best = 1e30;
	uint64_t x = 0;
	for (unsigned r = 0; r < rounds; r++) {
		double t0 = now_s();
		for (size_t i = 0; i < s->n; i++)
			x += s->f[i].b[0] ^ s->f[i].b[s->f[i].len - 1];
		double dt = now_s() - t0;
		best = dt < best ? dt : best;
	}
	sink = x;
	return best;
}

/* One frame through link/IP/UDP and the protocol's decoder: true if OK. */
static bool decode_one(enum proto p, const struct frame *f)
{
	static struct dp_radius_acct acct;
	static struct dp_radius_access acc;
	struct dp_frame fr;
	struct dp_l2 l2;
	if (p == P_DISC || p == P_PPP) {
		struct dp_pppoe e;
		if (dp_frame_l2(f->b, f->len, DP_LINK_ETHERNET, &l2) != DP_FRAME_UDP)
			return false;
		struct dp_cur c = dp_cur_make(l2.payload, l2.payload_len);
		if (dp_pppoe_decode(l2.ethertype, &c, &e) != DP_PPPOE_OK)
			return false;
		if (p == P_DISC)
			return true;
		struct dp_ppp pp;
		struct dp_cur pc = dp_cur_make(e.ppp_payload, e.ppp_len);
		return dp_ppp_decode(e.ppp_protocol, &pc, &pp) == DP_PPP_OK;
	}
	if (dp_frame_decode(f->b, f->len, DP_LINK_ETHERNET, &fr) != DP_FRAME_UDP)
		return false;
	struct dp_cur c = dp_cur_make(fr.payload, fr.payload_len);
	switch (p) {
	case P_ACCT:
		return dp_radius_decode_acct(fr.payload, fr.payload_len, &acct) == DP_RADIUS_OK;
	case P_ACCESS:
		return dp_radius_decode_access(fr.payload, fr.payload_len, &acc) == DP_RADIUS_OK;
	case P_DHCP4: {
		struct dp_dhcp4 d;
		return dp_dhcp4_decode(&c, &d) == DP_DHCP4_OK;
	}
	case P_DHCP6: {
		struct dp_dhcp6 d;
		return dp_dhcp6_decode(&c, &d) == DP_DHCP6_OK;
	}
	case P_L2TP: {
		struct dp_l2tp l;
		if (dp_l2tp_decode(&c, NULL, 0, NULL, &l) != DP_L2TP_OK)
			return false;
		if (l.ppp_payload) {
			struct dp_ppp pp;
			struct dp_cur pc = dp_cur_make(l.ppp_payload, l.ppp_len);
			return dp_ppp_decode(l.ppp_protocol, &pc, &pp) == DP_PPP_OK;
		}
		return true;
	}
	default:
		return false;
	}
}

static double run_decode(enum proto p, const struct set *s, unsigned rounds, size_t *ret_ok)
{
	size_t ok = 0;
	double best = 1e30;
	for (unsigned r = 0; r < rounds; r++) {
		ok = 0;
		double t0 = now_s();
		for (size_t i = 0; i < s->n; i++)
			ok += decode_one(p, &s->f[i]);
		double dt = now_s() - t0;
		best = dt < best ? dt : best;
	}
	*ret_ok = ok;
	return best;
}

static uint64_t closed_n;

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	closed_n += s->start_ns != 0;
	return 0;
}

static int feed(dp_engine *e, const struct set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct dp_pkt pk = {s->f[i].b, s->f[i].len, s->f[i].len, s->f[i].ts};
		int err = dp_engine_packet(e, &pk, DP_LINK_ETHERNET);
		if (err)
			return err;
	}
	return 0;
}

/* rounds passes, each through a fresh engine; only the feeding is timed. */
static double run_engine(const struct set *s, const struct set *warm, unsigned rounds,
			 const dp_secrets *sec, struct dp_counters *ret_c)
{
	double best = 1e30;
	struct dp_engine_cfg cfg;
	dp_engine_cfg_default(&cfg);
	cfg.secrets = sec;
	for (unsigned r = 0; r < rounds; r++) {
		dp_engine *e;
		if (dp_engine_alloc(&cfg, on_close, NULL, NULL, &e) != 0) {
			fprintf(stderr, "bench-decode: engine: out of memory\n");
			exit(1);
		}
		if (warm && feed(e, warm) != 0)
			exit(1);
		double t0 = now_s();
		if (feed(e, s) != 0 || dp_engine_flush(e) != 0) {
			fprintf(stderr, "bench-decode: engine error\n");
			exit(1);
		}
		double dt = now_s() - t0;
		best = dt < best ? dt : best;
		*ret_c = *dp_engine_counters(e);
		dp_engine_free(e);
	}
	return best;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int write_pcap(const char *path, const struct set *s)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	uint32_t hdr[6] = {0xa1b23c4du, 0x00040002u, 0, 0, 65535, 1};
	fwrite(hdr, sizeof(hdr), 1, f);
	for (size_t i = 0; i < s->n; i++) {
		uint32_t r[4] = {(uint32_t)(s->f[i].ts / NS), (uint32_t)(s->f[i].ts % NS),
				 s->f[i].len, s->f[i].len};
		fwrite(r, sizeof(r), 1, f);
		fwrite(s->f[i].b, s->f[i].len, 1, f);
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

static double rate(size_t n, double dt)
{
	return dt > 0 ? (double)n / dt : 0;
}

int main(int argc, char **argv)
{
	unsigned sessions = 4096, rounds = 5;
	const char *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc)
			sessions = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc)
			out = argv[++i];
		else {
			fprintf(stderr, "usage: bench-decode [--sessions N] [--rounds R] "
					"[--write MIX.pcap]\n");
			return 2;
		}
	}
	if (sessions == 0 || sessions > 1000000 || rounds == 0 || rounds > 10000) {
		fprintf(stderr, "bench-decode: --sessions 1..1000000, --rounds 1..10000\n");
		return 2;
	}
	gen_radius(sessions);
	gen_pppoe(sessions);
	gen_dhcp4(sessions);
	gen_dhcp6(sessions);
	gen_l2tp(sessions);

	dp_secrets *sec = NULL;
	char err[128], stext[64];
	int sn = snprintf(stext, sizeof(stext), "10.0.0.0/8 %s\n", SECRET);
	if (dp_secrets_parse(stext, (size_t)sn, &sec, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench-decode: secrets: %s\n", err);
		return 1;
	}

	/* the mixed capture: every protocol, interleaved by time */
	struct set mix = {0};
	for (int p = 0; p < P_MAX; p++)
		mix.n += sets[p].n;
	mix.f = xmalloc(mix.n * sizeof(*mix.f));
	size_t k = 0;
	for (int p = 0; p < P_MAX; p++)
		for (size_t i = 0; i < sets[p].n; i++)
			mix.f[k++] = sets[p].f[i];
	qsort(mix.f, mix.n, sizeof(*mix.f), cmp_ts);
	if (out) {
		int rc = write_pcap(out, &mix);
		if (rc) {
			fprintf(stderr, "bench-decode: %s: %s\n", out, strerror(-rc));
			return 1;
		}
		printf("wrote %s: %zu frames\n", out, mix.n);
	}

	printf("%-14s %8s %8s %14s %14s %14s %8s %8s\n", "protocol", "packets", "ok", "bare pps",
	       "decode pps", "engine pps", "dec/bare", "eng/bare");
	char json[8192];
	size_t jn = (size_t)snprintf(json, sizeof(json), "{\"sessions\":%u,\"rounds\":%u,"
				     "\"protocols\":{", sessions, rounds);
	for (int p = 0; p <= P_MAX; p++) {
		const struct set *s = p < P_MAX ? &sets[p] : &mix;
		const char *name = p < P_MAX ? proto_name[p] : "mixed";
		size_t ok = 0;
		struct dp_counters c;
		double tb = run_bare(s, rounds * 4);
		double td = 0;
		if (p < P_MAX)
			td = run_decode((enum proto)p, s, rounds, &ok);
		else /* the mix: each frame through its own protocol's decoders */
			for (int q = 0; q < P_MAX; q++) {
				size_t o;
				td += run_decode((enum proto)q, &sets[q], rounds, &o);
				ok += o;
			}
		double te = run_engine(s, p == P_PPP ? &sets[P_DISC] : NULL, rounds, sec, &c);
		double bare = rate(s->n, tb), dec = rate(s->n, td), eng = rate(s->n, te);
		printf("%-14s %8zu %8zu %14.0f %14.0f %14.0f %8.4f %8.4f\n", name, s->n, ok, bare, dec,
		       eng, bare > 0 ? dec / bare : 0, bare > 0 ? eng / bare : 0);
		if (p == P_MAX)
			jn += (size_t)snprintf(json + jn, sizeof(json) - jn, "},\"mixed\":");
		else
			jn += (size_t)snprintf(json + jn, sizeof(json) - jn, "%s\"%s\":",
					       p ? "," : "", name);
		jn += (size_t)snprintf(json + jn, sizeof(json) - jn,
				       "{\"packets\":%zu,\"decoded_ok\":%zu,\"bare_pps\":%.0f,"
				       "\"decode_pps\":%.0f,\"engine_pps\":%.0f,\"decode_vs_bare\":%.4f,"
				       "\"engine_vs_bare\":%.4f,\"engine_malformed\":%llu,"
				       "\"accepts_matched\":%llu}",
				       s->n, ok, bare, dec, eng, bare > 0 ? dec / bare : 0,
				       bare > 0 ? eng / bare : 0,
				       (unsigned long long)dp_counters_malformed(&c),
				       (unsigned long long)c.accepts_matched);
	}
	snprintf(json + jn, sizeof(json) - jn, "}");
	printf("%s\n", json);
	dp_secrets_free(sec);
	for (int p = 0; p < P_MAX; p++) {
		for (size_t i = 0; i < sets[p].n; i++)
			free(sets[p].f[i].b);
		free(sets[p].f);
	}
	free(mix.f);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Access-Request/Access-Accept correlation (accepts.h, ACCESS.md):
 *  - dp_radius_response_verify/_sign against RFC 2865 section 3;
 *  - a table of correlation scenarios (request, response, then accounting
 *    or a PPP login) with the verdict and the fields expected filled;
 *  - the engine end to end on Ethernet frames: an Accept fills what the
 *    accounting Start lacks, a forged Accept is ignored and counted, a DHCP
 *    session is mapped by the line map or flagged unmapped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "accepts.h"
#include "dp_check.h"
#include "engine.h"
#include "linemap.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)

static const uint8_t SECRET[] = "s3cret";
#define SECRET_LEN 6

/* ---- packet building ------------------------------------------------------ */

struct pkt {
	uint8_t b[1024];
	size_t n;
};

static void pkt_init(struct pkt *p, uint8_t code, uint8_t id, const uint8_t auth[16])
{
	memset(p, 0, sizeof(*p));
	p->b[0] = code;
	p->b[1] = id;
	if (auth)
		memcpy(p->b + 4, auth, 16);
	p->n = 20;
	p->b[3] = 20;
}

static void attr(struct pkt *p, uint8_t t, const void *v, size_t n)
{
	p->b[p->n] = t;
	p->b[p->n + 1] = (uint8_t)(n + 2);
	memcpy(p->b + p->n + 2, v, n);
	p->n += n + 2;
	p->b[2] = (uint8_t)(p->n >> 8);
	p->b[3] = (uint8_t)p->n;
}

static void attr_s(struct pkt *p, uint8_t t, const char *s)
{
	attr(p, t, s, strlen(s));
}

static void attr_u32(struct pkt *p, uint8_t t, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	attr(p, t, b, 4);
}

static void attr_ip(struct pkt *p, uint8_t t, const char *ip)
{
	uint8_t a[4];
	inet_pton(AF_INET, ip, a);
	attr(p, t, a, 4);
}

/* Framed-IPv6-Prefix / Delegated-IPv6-Prefix: reserved, length, prefix */
static void attr_pfx(struct pkt *p, uint8_t t, const char *a6, uint8_t plen)
{
	uint8_t v[18] = {0, plen};
	inet_pton(AF_INET6, a6, v + 2);
	attr(p, t, v, 2 + (plen + 7) / 8);
}

static struct rt_addr v4(const char *s)
{
	struct rt_addr a;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	inet_pton(AF_INET, s, a.a);
	return a;
}

static const uint8_t REQ_AUTH[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void access_request(struct pkt *p, uint8_t id, const char *user, const char *nas_ip,
			   const char *nas_id, const char *calling)
{
	pkt_init(p, DP_RADIUS_ACCESS_REQUEST, id, REQ_AUTH);
	attr_s(p, 1, user);
	attr(p, 2, "0123456789abcdef", 16); /* User-Password: never read */
	if (nas_ip)
		attr_ip(p, 4, nas_ip);
	if (nas_id)
		attr_s(p, 32, nas_id);
	if (calling)
		attr_s(p, 31, calling);
}

/* ---- Response Authenticator ----------------------------------------------- */

static void test_response_auth(void)
{
	struct pkt p;
	check_ctx = "response-auth";
	pkt_init(&p, DP_RADIUS_ACCESS_ACCEPT, 7, NULL);
	attr_ip(&p, 8, "100.64.0.9");
	dp_radius_response_sign(p.b, p.n, REQ_AUTH, SECRET, SECRET_LEN);
	CHECK(dp_radius_response_verify(p.b, p.n, REQ_AUTH, SECRET, SECRET_LEN));
	uint8_t other[16];
	memcpy(other, REQ_AUTH, 16);
	other[15] ^= 1;
	CHECK(!dp_radius_response_verify(p.b, p.n, other, SECRET, SECRET_LEN));
	CHECK(!dp_radius_response_verify(p.b, p.n, REQ_AUTH, (const uint8_t *)"s3creT", 6));
	CHECK(!dp_radius_response_verify(p.b, p.n - 1, REQ_AUTH, SECRET, SECRET_LEN));
	p.b[p.n - 1] ^= 0x80; /* the assigned address changed in flight */
	CHECK(!dp_radius_response_verify(p.b, p.n, REQ_AUTH, SECRET, SECRET_LEN));

	/* RFC 2865 section 3, by hand: MD5(Code+ID+Length+RequestAuth+Attributes+Secret) */
	pkt_init(&p, DP_RADIUS_ACCESS_REJECT, 0, NULL);
	p.b[3] = 20;
	dp_radius_response_sign(p.b, p.n, REQ_AUTH, (const uint8_t *)"", 0);
	CHECK(dp_radius_response_verify(p.b, p.n, REQ_AUTH, (const uint8_t *)"", 0));
}

/* ---- correlation scenarios ------------------------------------------------- */

enum resp_kind { R_ACCEPT, R_FORGED, R_REJECT, R_NONE, R_UNSIGNED };
enum then_kind { T_ACCT, T_PPPOE, T_L2TP };

struct corr_case {
	const char *name;
	bool secret;             /* the NAS has a secret */
	enum resp_kind resp;
	enum dp_accept_verdict want_verdict;
	const char *accept_class; /* Class in the Accept (NULL: none) */
	enum then_kind then;
	int64_t dt_s;            /* accounting / login this long after the Accept */
	const char *user;        /* accounting User-Name / PPP account */
	const char *nas;         /* accounting NAS identity / L2TP LNS */
	const char *acct_class;  /* Class echoed in accounting */
	bool acct_has_ipv4;      /* the accounting carries its own Framed-IP */
	const char *ac_name;     /* PPPoE */
	bool mac_match;          /* PPPoE: the client MAC is the request's Calling-Station-Id */
	bool want_fill;
};

static const struct corr_case corr_cases[] = {
	{"user-in-window", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_ACCT, 5, "alice", "10.0.0.1",
	 NULL, false, NULL, false, true},
	{"user-late", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_ACCT, 121, "alice", "10.0.0.1",
	 NULL, false, NULL, false, false},
	{"class-late", true, R_ACCEPT, DP_ACCEPT_STORED, "C-77", T_ACCT, 3600, "alice",
	 "10.0.0.1", "C-77", false, NULL, false, true},
	{"class-other-user", true, R_ACCEPT, DP_ACCEPT_STORED, "C-78", T_ACCT, 10, "renamed",
	 "10.0.0.1", "C-78", false, NULL, false, true},
	{"class-other-nas", true, R_ACCEPT, DP_ACCEPT_STORED, "C-79", T_ACCT, 10, "x",
	 "10.0.0.2", "C-79", false, NULL, false, false},
	{"class-wrong", true, R_ACCEPT, DP_ACCEPT_STORED, "C-80", T_ACCT, 500, "alice",
	 "10.0.0.1", "C-81", false, NULL, false, false},
	{"other-user", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_ACCT, 5, "bob", "10.0.0.1",
	 NULL, false, NULL, false, false},
	{"other-nas", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_ACCT, 5, "alice", "10.0.0.2",
	 NULL, false, NULL, false, false},
	{"acct-has-ipv4", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_ACCT, 5, "alice", "10.0.0.1",
	 NULL, true, NULL, false, true},
	{"forged", true, R_FORGED, DP_ACCEPT_BAD_AUTH, NULL, T_ACCT, 5, "alice", "10.0.0.1",
	 NULL, false, NULL, false, false},
	{"unsigned-with-secret", true, R_UNSIGNED, DP_ACCEPT_BAD_AUTH, NULL, T_ACCT, 5, "alice",
	 "10.0.0.1", NULL, false, NULL, false, false},
	{"no-secret", false, R_UNSIGNED, DP_ACCEPT_STORED, NULL, T_ACCT, 5, "alice", "10.0.0.1",
	 NULL, false, NULL, false, true},
	{"reject", true, R_REJECT, DP_ACCEPT_REJECTED, NULL, T_ACCT, 5, "alice", "10.0.0.1",
	 NULL, false, NULL, false, false},
	{"no-request", true, R_NONE, DP_ACCEPT_UNMATCHED, NULL, T_ACCT, 5, "alice", "10.0.0.1",
	 NULL, false, NULL, false, false},
	{"pppoe-ac-name", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_PPPOE, 2, "alice", NULL, NULL,
	 false, "BRAS-N1", false, true},
	{"pppoe-mac", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_PPPOE, 2, "alice", NULL, NULL,
	 false, "OTHER", true, true},
	{"pppoe-other-bras", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_PPPOE, 2, "alice", NULL,
	 NULL, false, "OTHER", false, false},
	{"pppoe-other-user", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_PPPOE, 2, "mallory", NULL,
	 NULL, false, "BRAS-N1", false, false},
	{"pppoe-late", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_PPPOE, 200, "alice", NULL, NULL,
	 false, "BRAS-N1", false, false},
	{"l2tp-lns", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_L2TP, 2, "alice", "10.0.0.1", NULL,
	 false, NULL, false, true},
	{"l2tp-other-lns", true, R_ACCEPT, DP_ACCEPT_STORED, NULL, T_L2TP, 2, "alice", "10.0.0.3",
	 NULL, false, NULL, false, false},
	{"l2tp-forged", true, R_FORGED, DP_ACCEPT_BAD_AUTH, NULL, T_L2TP, 2, "alice", "10.0.0.1",
	 NULL, false, NULL, false, false},
};

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0x5e, 0x10, 0, 1};

static void run_corr(const struct corr_case *c)
{
	dp_accepts *a = NULL;
	struct pkt req, resp;
	struct dp_radius_access dreq, dresp;
	struct rt_addr client = v4("10.0.0.1");
	struct dp_secret sec = {.len = SECRET_LEN};
	memcpy(sec.v, SECRET, SECRET_LEN);

	check_ctx = c->name;
	if (dp_accepts_alloc(&a) != 0) {
		CHECK(0);
		return;
	}
	access_request(&req, 42, "alice", "10.0.0.1", "BRAS-N1", "02-00-5E-10-00-01");
	CHECK(dp_radius_decode_access(req.b, req.n, &dreq) == DP_RADIUS_OK);
	if (c->resp != R_NONE)
		dp_accepts_request(a, &client, 40001, &dreq, T0);

	pkt_init(&resp, c->resp == R_REJECT ? DP_RADIUS_ACCESS_REJECT : DP_RADIUS_ACCESS_ACCEPT,
		 42, NULL);
	if (c->resp != R_REJECT) {
		attr_ip(&resp, 8, "100.64.7.7");
		attr_pfx(&resp, 97, "2001:db8:7::", 64);
		attr_pfx(&resp, 123, "2001:db8:77::", 56);
		if (c->accept_class)
			attr_s(&resp, 25, c->accept_class);
	}
	if (c->resp == R_FORGED)
		dp_radius_response_sign(resp.b, resp.n, REQ_AUTH, (const uint8_t *)"guess", 5);
	else if (c->resp != R_UNSIGNED)
		dp_radius_response_sign(resp.b, resp.n, REQ_AUTH, SECRET, SECRET_LEN);
	CHECK(dp_radius_decode_access(resp.b, resp.n, &dresp) == DP_RADIUS_OK);
	enum dp_accept_verdict v = dp_accepts_response(a, &client, 40001, &dresp, resp.b, resp.n,
						       c->secret ? &sec : NULL, T0 + NS / 100);
	CHECKF(v == c->want_verdict, "verdict %d, want %d", v, c->want_verdict);
	if (c->resp == R_REJECT) {
		/* an earlier Accept of the user is cleared by the Reject: replay
		 * the story with an Accept first */
		struct pkt acc;
		pkt_init(&acc, DP_RADIUS_ACCESS_ACCEPT, 43, NULL);
		attr_ip(&acc, 8, "100.64.7.7");
		access_request(&req, 43, "alice", "10.0.0.1", "BRAS-N1", NULL);
		dp_radius_decode_access(req.b, req.n, &dreq);
		dp_accepts_request(a, &client, 40001, &dreq, T0 - 10 * NS);
		dp_radius_response_sign(acc.b, acc.n, REQ_AUTH, SECRET, SECRET_LEN);
		dp_radius_decode_access(acc.b, acc.n, &dresp);
		CHECK(dp_accepts_response(a, &client, 40001, &dresp, acc.b, acc.n, &sec,
					  T0 - 9 * NS) == DP_ACCEPT_STORED);
		access_request(&req, 44, "alice", "10.0.0.1", "BRAS-N1", NULL);
		dp_radius_decode_access(req.b, req.n, &dreq);
		dp_accepts_request(a, &client, 40001, &dreq, T0);
		pkt_init(&resp, DP_RADIUS_ACCESS_REJECT, 44, NULL);
		resp.b[3] = 20;
		dp_radius_response_sign(resp.b, resp.n, REQ_AUTH, SECRET, SECRET_LEN);
		dp_radius_decode_access(resp.b, resp.n, &dresp);
		CHECK(dp_accepts_response(a, &client, 40001, &dresp, resp.b, resp.n, &sec, T0) ==
		      DP_ACCEPT_REJECTED);
	}
	/* a second answer to the same request is not matched */
	if (v == DP_ACCEPT_STORED)
		CHECK(dp_accepts_response(a, &client, 40001, &dresp, resp.b, resp.n,
					  c->secret ? &sec : NULL, T0 + NS) == DP_ACCEPT_UNMATCHED);

	struct dp_acct_msg m;
	memset(&m, 0, sizeof(m));
	m.status = DP_ACCT_START;
	m.capture_ns = T0 + c->dt_s * NS;
	m.event_ns = m.capture_ns;
	m.account.p = c->user;
	m.account.len = (uint8_t)strlen(c->user);
	m.session_id.p = "S-1";
	m.session_id.len = 3;
	if (c->acct_has_ipv4) {
		m.has_ipv4 = true;
		memcpy(m.ipv4, "\x64\x40\x09\x09", 4);
	}
	bool filled = false;
	if (c->then == T_ACCT) {
		m.nas = v4(c->nas);
		struct rt_view cls = {c->acct_class, (uint8_t)(c->acct_class ? strlen(c->acct_class)
									 : 0)};
		(void)dp_accepts_fill_acct(a, &m, cls);
		filled = m.delegated_prefix.present;
	} else if (c->then == T_PPPOE) {
		struct rt_view acn = {c->ac_name, (uint8_t)strlen(c->ac_name)};
		uint8_t mac[6];
		memcpy(mac, CLIENT_MAC, 6);
		if (!c->mac_match)
			mac[5] ^= 0xff;
		filled = dp_accepts_fill_ppp(a, &m, NULL, acn, mac);
		CHECK(filled == m.delegated_prefix.present);
	} else {
		struct rt_addr lns = v4(c->nas);
		struct rt_view none = {NULL, 0};
		filled = dp_accepts_fill_ppp(a, &m, &lns, none, NULL);
		CHECK(filled == m.delegated_prefix.present);
	}
	CHECKF(filled == c->want_fill, "filled %d, want %d", filled, c->want_fill);
	if (filled) {
		/* accounting wins: its own Framed-IP is kept */
		const uint8_t *want4 = c->acct_has_ipv4 ? (const uint8_t *)"\x64\x40\x09\x09"
							: (const uint8_t *)"\x64\x40\x07\x07";
		CHECK(m.has_ipv4 && memcmp(m.ipv4, want4, 4) == 0);
		CHECK(m.delegated_prefix.plen == 56 && m.delegated_prefix.a[5] == 0x77);
		CHECK(m.ipv6_prefix.present && m.ipv6_prefix.plen == 64);
	} else {
		CHECK(m.has_ipv4 == c->acct_has_ipv4 && !m.ipv6_prefix.present);
	}
	dp_accepts_free(a);
}

/* Accounting wins for the rest of the session, and one Accept serves one
 * session: a second session of the user within the window is not filled. */
static void test_acct_wins_later(void)
{
	dp_accepts *a = NULL;
	struct pkt req, resp;
	struct dp_radius_access d;
	struct rt_addr client = v4("10.0.0.1");

	check_ctx = "acct-wins-later";
	CHECK(dp_accepts_alloc(&a) == 0);
	access_request(&req, 9, "alice", NULL, NULL, NULL);
	dp_radius_decode_access(req.b, req.n, &d);
	dp_accepts_request(a, &client, 1645, &d, T0);
	pkt_init(&resp, DP_RADIUS_ACCESS_ACCEPT, 9, NULL);
	attr_ip(&resp, 8, "100.64.7.7");
	dp_radius_decode_access(resp.b, resp.n, &d);
	CHECK(dp_accepts_response(a, &client, 1645, &d, resp.b, resp.n, NULL, T0) ==
	      DP_ACCEPT_STORED);

	struct dp_acct_msg m;
	struct rt_view none = {NULL, 0};
	memset(&m, 0, sizeof(m));
	m.nas = client; /* no NAS-IP-Address in the request: its source */
	m.account.p = "alice";
	m.account.len = 5;
	m.session_id.p = "S-1";
	m.session_id.len = 3;
	m.capture_ns = T0 + NS;
	/* Start without the address: filled */
	CHECK(dp_accepts_fill_acct(a, &m, none) && m.has_ipv4);
	/* Interim with its own address: kept, and remembered */
	m.has_ipv4 = true;
	memcpy(m.ipv4, "\x64\x40\x09\x09", 4);
	m.capture_ns = T0 + 2 * NS;
	CHECK(dp_accepts_fill_acct(a, &m, none));
	CHECK(memcmp(m.ipv4, "\x64\x40\x09\x09", 4) == 0);
	/* Stop without it: not filled again (the tracker keeps the Interim's) */
	m.has_ipv4 = false;
	m.capture_ns = T0 + 3 * NS;
	CHECK(dp_accepts_fill_acct(a, &m, none));
	CHECK(!m.has_ipv4);
	/* another session of the same user in the window: not this Accept's */
	m.session_id.p = "S-2";
	m.capture_ns = T0 + 4 * NS;
	CHECK(!dp_accepts_fill_acct(a, &m, none) && !m.has_ipv4);
	dp_accepts_free(a);
}

/* ---- the engine end to end -------------------------------------------------- */

struct frame {
	uint8_t b[1600];
	size_t n;
};

static void udp_frame(struct frame *f, const char *src, const char *dst, uint16_t sport,
		      uint16_t dport, const uint8_t *payload, size_t len)
{
	static const uint8_t macs[12] = {0, 0x11, 0x22, 0x33, 0x44, 0x55,
					 0x02, 0, 0x5e, 0x10, 0, 1};
	uint8_t *p = f->b;
	memcpy(p, macs, 12);
	p[12] = 0x08;
	p[13] = 0x00;
	uint8_t *ip = p + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	size_t tot = 20 + 8 + len;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	uint8_t *u = ip + 20;
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + len) >> 8);
	u[5] = (uint8_t)(8 + len);
	u[6] = u[7] = 0;
	memcpy(u + 8, payload, len);
	f->n = 14 + tot;
}

#define MAX_CLOSED 8
static struct rt_session closed[MAX_CLOSED];
static unsigned n_closed;

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	if (n_closed < MAX_CLOSED)
		closed[n_closed] = *s;
	n_closed++;
	return 0;
}

static int feed(dp_engine *e, const struct frame *f, int64_t ts)
{
	struct dp_pkt p = {.data = f->b, .caplen = (uint32_t)f->n, .wirelen = (uint32_t)f->n,
			   .ts_ns = ts};
	return dp_engine_packet(e, &p, DP_LINK_ETHERNET);
}

static void acct_packet(struct pkt *p, uint8_t id, uint32_t status, const char *sid)
{
	pkt_init(p, DP_RADIUS_ACCOUNTING_REQUEST, id, NULL);
	attr_u32(p, 40, status);
	attr_s(p, 44, sid);
	attr_s(p, 1, "alice");
	attr_ip(p, 4, "10.0.0.1");
	attr_s(p, 25, "CLASS-1");
	dp_radius_acct_sign(p->b, p->n, SECRET, SECRET_LEN);
}

static void test_engine_accept(void)
{
	char err[64];
	dp_secrets *secrets = NULL;
	dp_engine *e = NULL;
	struct dp_engine_cfg cfg;
	struct pkt rq, rs;
	struct frame f;

	check_ctx = "engine-accept";
	CHECK(dp_secrets_parse("10.0.0.1 s3cret\n", 16, &secrets, err, sizeof(err)) == 0);
	dp_engine_cfg_default(&cfg);
	cfg.secrets = secrets;
	n_closed = 0;
	CHECK(dp_engine_alloc(&cfg, on_close, NULL, NULL, &e) == 0);
	if (!e)
		return;

	/* a forged Accept (the attacker does not know the secret) first */
	access_request(&rq, 5, "alice", "10.0.0.1", NULL, NULL);
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40001, 1812, rq.b, rq.n);
	CHECK(feed(e, &f, T0) == 0);
	pkt_init(&rs, DP_RADIUS_ACCESS_ACCEPT, 5, NULL);
	attr_ip(&rs, 8, "100.64.66.66");
	attr_s(&rs, 25, "CLASS-1");
	dp_radius_response_sign(rs.b, rs.n, REQ_AUTH, (const uint8_t *)"guess", 5);
	udp_frame(&f, "10.9.9.9", "10.0.0.1", 1812, 40001, rs.b, rs.n);
	CHECK(feed(e, &f, T0 + NS / 100) == 0);
	/* then the real exchange */
	access_request(&rq, 6, "alice", "10.0.0.1", NULL, NULL);
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40001, 1812, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + NS) == 0);
	pkt_init(&rs, DP_RADIUS_ACCESS_ACCEPT, 6, NULL);
	attr_ip(&rs, 8, "100.64.7.7");
	attr_pfx(&rs, 123, "2001:db8:77::", 56);
	attr_s(&rs, 25, "CLASS-1");
	dp_radius_response_sign(rs.b, rs.n, REQ_AUTH, SECRET, SECRET_LEN);
	udp_frame(&f, "10.9.9.9", "10.0.0.1", 1812, 40001, rs.b, rs.n);
	CHECK(feed(e, &f, T0 + NS + NS / 100) == 0);
	/* an Accept nobody asked for */
	pkt_init(&rs, DP_RADIUS_ACCESS_ACCEPT, 99, NULL);
	attr_ip(&rs, 8, "100.64.99.99");
	udp_frame(&f, "10.9.9.9", "10.0.0.1", 1812, 40001, rs.b, rs.n);
	CHECK(feed(e, &f, T0 + 2 * NS) == 0);
	/* accounting Start and Stop without the addresses */
	acct_packet(&rq, 1, DP_ACCT_START, "SESS-1");
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40002, 1813, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + 3 * NS) == 0);
	acct_packet(&rq, 2, DP_ACCT_STOP, "SESS-1");
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40002, 1813, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + 60 * NS) == 0);

	const struct dp_counters *c = dp_engine_counters(e);
	CHECKF(c->accepts_matched == 1, "%llu", (unsigned long long)c->accepts_matched);
	CHECKF(c->accepts_bad_authenticator == 1, "%llu",
	       (unsigned long long)c->accepts_bad_authenticator);
	CHECKF(c->accepts_unmatched == 1, "%llu", (unsigned long long)c->accepts_unmatched);
	CHECK(n_closed == 1);
	if (n_closed == 1) {
		const struct rt_session *s = &closed[0];
		CHECK(s->has_ipv4 && memcmp(s->ipv4, "\x64\x40\x07\x07", 4) == 0);
		CHECK(s->delegated_prefix.present && s->delegated_prefix.plen == 56);
		CHECK(!s->ipv6_prefix.present);
		CHECK(s->auth == RT_AUTH_VERIFIED && !(s->flags & RT_FLAG_UNMAPPED));
	}
	dp_engine_free(e);
	dp_secrets_free(secrets);
}

/* RFC 3579 section 3.2: a NAS silently discards a response (and a server a
 * request) whose Message-Authenticator does not verify, so such an Accept
 * gave nobody its addresses, even when its Response Authenticator verifies;
 * and a request with a bad Message-Authenticator must not displace the
 * pending request its real response answers. */
enum ma_kind { MA_NONE, MA_VALID, MA_BAD };

struct ma_case {
	const char *name;
	enum ma_kind req_ma, resp_ma;
	bool forged_req;   /* a second request, same id, bad M-A, other authenticator */
	bool filled;       /* the accounting record gets the Accept's address */
	uint64_t matched, bad_auth, ma_invalid;
};

static const struct ma_case ma_cases[] = {
	{"no-ma", MA_NONE, MA_NONE, false, true, 1, 0, 0},
	{"valid-ma", MA_VALID, MA_VALID, false, true, 1, 0, 0},
	{"bad-ma-on-accept", MA_NONE, MA_BAD, false, false, 0, 1, 1},
	{"bad-ma-on-request", MA_BAD, MA_NONE, false, false, 0, 0, 1},
	{"forged-request-bad-ma", MA_VALID, MA_VALID, true, true, 1, 0, 1},
};

static void add_ma(struct pkt *p, enum ma_kind k)
{
	static const uint8_t zero[16];
	if (k != MA_NONE)
		attr(p, 80, zero, 16);
}

static void sign_ma(struct pkt *p, enum ma_kind k, const uint8_t *req_auth)
{
	if (k == MA_NONE)
		return;
	CHECK(dp_radius_msg_auth_sign(p->b, p->n, req_auth, SECRET, SECRET_LEN) == 0);
	if (k == MA_BAD)
		p->b[p->n - 1] ^= 0x5a; /* M-A is the last attribute */
}

static void run_ma(const struct ma_case *mc)
{
	static const uint8_t OTHER_AUTH[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
	char err[64];
	dp_secrets *secrets = NULL;
	dp_engine *e = NULL;
	struct dp_engine_cfg cfg;
	struct pkt rq, rs;
	struct frame f;

	check_ctx = mc->name;
	CHECK(dp_secrets_parse("10.0.0.1 s3cret\n", 16, &secrets, err, sizeof(err)) == 0);
	dp_engine_cfg_default(&cfg);
	cfg.secrets = secrets;
	n_closed = 0;
	CHECK(dp_engine_alloc(&cfg, on_close, NULL, NULL, &e) == 0);
	if (!e)
		return;

	access_request(&rq, 7, "alice", "10.0.0.1", NULL, NULL);
	add_ma(&rq, mc->req_ma);
	sign_ma(&rq, mc->req_ma, NULL);
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40001, 1812, rq.b, rq.n);
	CHECK(feed(e, &f, T0) == 0);
	if (mc->forged_req) {
		access_request(&rq, 7, "alice", "10.0.0.1", NULL, NULL);
		memcpy(rq.b + 4, OTHER_AUTH, 16);
		add_ma(&rq, MA_BAD);
		sign_ma(&rq, MA_BAD, NULL);
		udp_frame(&f, "10.0.0.1", "10.9.9.9", 40001, 1812, rq.b, rq.n);
		CHECK(feed(e, &f, T0 + NS / 1000) == 0);
	}
	pkt_init(&rs, DP_RADIUS_ACCESS_ACCEPT, 7, NULL);
	attr_ip(&rs, 8, "100.64.7.7");
	add_ma(&rs, mc->resp_ma);
	sign_ma(&rs, mc->resp_ma, REQ_AUTH);
	dp_radius_response_sign(rs.b, rs.n, REQ_AUTH, SECRET, SECRET_LEN);
	udp_frame(&f, "10.9.9.9", "10.0.0.1", 1812, 40001, rs.b, rs.n);
	CHECK(feed(e, &f, T0 + NS / 100) == 0);
	acct_packet(&rq, 1, DP_ACCT_START, "SESS-MA");
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40002, 1813, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + 3 * NS) == 0);
	acct_packet(&rq, 2, DP_ACCT_STOP, "SESS-MA");
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40002, 1813, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + 60 * NS) == 0);

	const struct dp_counters *c = dp_engine_counters(e);
	CHECKF(c->accepts_matched == mc->matched, "%llu", (unsigned long long)c->accepts_matched);
	CHECKF(c->accepts_bad_authenticator == mc->bad_auth, "%llu",
	       (unsigned long long)c->accepts_bad_authenticator);
	CHECKF(c->msg_auth_invalid == mc->ma_invalid, "%llu",
	       (unsigned long long)c->msg_auth_invalid);
	CHECK(n_closed == 1);
	if (n_closed == 1)
		CHECK(closed[0].has_ipv4 == mc->filled);
	dp_engine_free(e);
	dp_secrets_free(secrets);
}

/* A client without a secret that speaks for a NAS with one (its request's
 * NAS-IP-Address): accounting from such a source is a forgery (engine.c
 * claims_secret_nas), and so is the Accept it got -- nothing it answers
 * may reach the records of the NAS that has a secret. */
struct claim_case {
	const char *name;
	const char *client;  /* sends the request, receives the Accept */
	const char *nas_ip;  /* NAS-IP-Address in the request */
	bool signed_resp;    /* Accept signed with the (10.0.0.1) secret */
	bool filled;
	uint64_t matched, unmatched;
};

static const struct claim_case claim_cases[] = {
	{"secret-nas-itself", "10.0.0.1", "10.0.0.1", true, true, 1, 0},
	{"no-secret-claims-secret-nas", "10.0.0.66", "10.0.0.1", false, false, 0, 1},
	{"no-secret-own-nas", "10.0.0.66", "10.0.0.66", false, false, 1, 0},
};

static void run_claim(const struct claim_case *cc)
{
	char err[64];
	dp_secrets *secrets = NULL;
	dp_engine *e = NULL;
	struct dp_engine_cfg cfg;
	struct pkt rq, rs;
	struct frame f;

	check_ctx = cc->name;
	CHECK(dp_secrets_parse("10.0.0.1 s3cret\n", 16, &secrets, err, sizeof(err)) == 0);
	dp_engine_cfg_default(&cfg);
	cfg.secrets = secrets;
	n_closed = 0;
	CHECK(dp_engine_alloc(&cfg, on_close, NULL, NULL, &e) == 0);
	if (!e)
		return;
	access_request(&rq, 9, "alice", cc->nas_ip, NULL, NULL);
	udp_frame(&f, cc->client, "10.9.9.9", 40001, 1812, rq.b, rq.n);
	CHECK(feed(e, &f, T0) == 0);
	pkt_init(&rs, DP_RADIUS_ACCESS_ACCEPT, 9, NULL);
	attr_ip(&rs, 8, "100.64.66.66");
	if (cc->signed_resp)
		dp_radius_response_sign(rs.b, rs.n, REQ_AUTH, SECRET, SECRET_LEN);
	udp_frame(&f, "10.9.9.9", cc->client, 1812, 40001, rs.b, rs.n);
	CHECK(feed(e, &f, T0 + NS / 100) == 0);
	/* verified accounting of alice from the NAS with the secret */
	acct_packet(&rq, 1, DP_ACCT_START, "SESS-C");
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40002, 1813, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + 3 * NS) == 0);
	acct_packet(&rq, 2, DP_ACCT_STOP, "SESS-C");
	udp_frame(&f, "10.0.0.1", "10.9.9.9", 40002, 1813, rq.b, rq.n);
	CHECK(feed(e, &f, T0 + 60 * NS) == 0);

	const struct dp_counters *c = dp_engine_counters(e);
	CHECKF(c->accepts_matched == cc->matched, "%llu", (unsigned long long)c->accepts_matched);
	CHECKF(c->accepts_unmatched == cc->unmatched, "%llu",
	       (unsigned long long)c->accepts_unmatched);
	CHECK(n_closed == 1);
	if (n_closed == 1)
		CHECK(closed[0].has_ipv4 == cc->filled && closed[0].auth == RT_AUTH_VERIFIED);
	dp_engine_free(e);
	dp_secrets_free(secrets);
}

/* DHCPACK via a relay with option 82 (circuit id, remote id). */
static void dhcp_ack(struct frame *f, uint8_t last, const char *circuit, const char *remote)
{
	uint8_t d[400];
	memset(d, 0, sizeof(d));
	d[0] = 2; /* BOOTREPLY */
	d[1] = 1;
	d[2] = 6;
	d[4] = last;
	inet_pton(AF_INET, "100.65.0.1", d + 16); /* yiaddr */
	d[16 + 3] = last;
	inet_pton(AF_INET, "100.65.0.254", d + 24); /* giaddr */
	memcpy(d + 28, "\xaa\xbb\x00\x00\x00", 5);
	d[28 + 5] = last;
	size_t n = 236;
	memcpy(d + n, "\x63\x82\x53\x63", 4);
	n += 4;
	memcpy(d + n, "\x35\x01\x05", 3); /* ACK */
	n += 3;
	memcpy(d + n, "\x33\x04\x00\x00\x0e\x10", 6); /* lease 3600 s */
	n += 6;
	size_t cl = strlen(circuit), rl = strlen(remote);
	d[n++] = 82;
	d[n++] = (uint8_t)(4 + cl + rl);
	d[n++] = 1;
	d[n++] = (uint8_t)cl;
	memcpy(d + n, circuit, cl);
	n += cl;
	d[n++] = 2;
	d[n++] = (uint8_t)rl;
	memcpy(d + n, remote, rl);
	n += rl;
	d[n++] = 255;
	udp_frame(f, "100.65.255.1", "100.65.0.254", 67, 67, d, n);
}

struct open_set {
	struct rt_session *v;
	unsigned *n;
};

static int collect(void *ctx, const struct rt_session *s)
{
	struct open_set *ov = ctx;
	if (*ov->n < 4)
		ov->v[*ov->n] = *s;
	(*ov->n)++;
	return 0;
}

static void test_engine_linemap(void)
{
	static const char map[] = "remote-id,rid-1,mapped-one\ncircuit-id,port-3,mapped-three\n";
	dp_linemap *lm = NULL;
	dp_engine *e = NULL;
	char err[64];
	struct frame f;

	check_ctx = "engine-linemap";
	CHECK(dp_linemap_parse(map, sizeof(map) - 1, &lm, err, sizeof(err)) == 0);
	n_closed = 0;
	CHECK(dp_engine_alloc(NULL, on_close, NULL, NULL, &e) == 0);
	if (!e)
		return;
	dp_engine_set_linemap(e, lm);
	dhcp_ack(&f, 1, "port-1", "rid-1"); /* mapped by remote id */
	CHECK(feed(e, &f, T0) == 0);
	dhcp_ack(&f, 2, "port-2", "rid-2"); /* unmapped */
	CHECK(feed(e, &f, T0 + NS) == 0);
	dhcp_ack(&f, 3, "port-3", "rid-3"); /* mapped by circuit id */
	CHECK(feed(e, &f, T0 + 2 * NS) == 0);
	/* the sessions are open: persisted through the engine, stamped */
	struct rt_session open[4];
	unsigned n_open = 0;
	struct open_set ov = {open, &n_open};
	CHECK(dp_engine_foreach_open(e, collect, &ov) == 0);
	CHECK(n_open == 3);
	unsigned seen = 0;
	for (unsigned i = 0; i < n_open && i < 4; i++) {
		const struct rt_session *s = &open[i];
		char acct[64] = "";
		memcpy(acct, s->account.v, s->account.len < 63 ? s->account.len : 63);
		if (strcmp(acct, "mapped-one") == 0 || strcmp(acct, "mapped-three") == 0) {
			CHECK(!(s->flags & RT_FLAG_UNMAPPED));
			seen++;
		} else {
			CHECKF(strcmp(acct, "rid-2") == 0, "account %s", acct);
			CHECK(s->flags & RT_FLAG_UNMAPPED);
			seen++;
		}
	}
	CHECK(seen == 3);
	/* leases end: closed records carry the flag too */
	CHECK(dp_tracker_advance(dp_engine_tracker(e), T0 + 7200 * NS) == 0);
	CHECK(dp_engine_flush(e) == 0);
	CHECK(n_closed == 3);
	unsigned flagged = 0;
	for (unsigned i = 0; i < n_closed && i < MAX_CLOSED; i++)
		flagged += (closed[i].flags & RT_FLAG_UNMAPPED) ? 1 : 0;
	CHECK(flagged == 1);
	dp_engine_free(e);
	dp_linemap_free(lm);
}

int main(void)
{
	test_response_auth();
	for (size_t i = 0; i < sizeof(corr_cases) / sizeof(corr_cases[0]); i++)
		run_corr(&corr_cases[i]);
	test_acct_wins_later();
	test_engine_accept();
	for (size_t i = 0; i < sizeof(ma_cases) / sizeof(ma_cases[0]); i++)
		run_ma(&ma_cases[i]);
	for (size_t i = 0; i < sizeof(claim_cases) / sizeof(claim_cases[0]); i++)
		run_claim(&claim_cases[i]);
	test_engine_linemap();
	return check_done();
}

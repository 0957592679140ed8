/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_engine accounting path:
 *  - a request whose tracker/store call fails is not remembered as seen:
 *    the NAS's retransmission is processed again (not answered as a
 *    duplicate of something never stored), and only once it went through
 *    is a further copy a duplicate;
 *  - dp_engine_preverify(): one row per outcome (valid, wrong secret, no
 *    secret, not an accounting port, not a request, truncated, fragment,
 *    no secrets at all);
 *  - dp_engine_frame_verified() with those verdicts gives the counters of
 *    dp_engine_packet(), and takes the verdict as given (no MD5 of its own).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "engine.h"

#define NS 1000000000LL
#define T0 (1785542400LL * NS) /* 2026-08-01 */

static const char SECRET[] = "s3cret";

/* ---- builders ---- */

struct buf {
	uint8_t b[2048];
	size_t n;
};

static void attr(struct buf *p, uint8_t type, const void *v, size_t len)
{
	p->b[p->n] = type;
	p->b[p->n + 1] = (uint8_t)(len + 2);
	memcpy(p->b + p->n + 2, v, len);
	p->n += len + 2;
}

static void attr_u32(struct buf *p, uint8_t type, uint32_t v)
{
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	attr(p, type, be, 4);
}

/* An Accounting-Request (or another code), signed with secret if given. */
static void acct(struct buf *p, uint8_t code, uint8_t id, uint32_t status, const char *sid,
		 const char *secret)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = code;
	p->b[1] = id;
	p->n = DP_RADIUS_HDR_LEN;
	attr_u32(p, 40, status); /* Acct-Status-Type */
	attr(p, 44, sid, strlen(sid)); /* Acct-Session-Id */
	attr(p, 1, "alice", 5);        /* User-Name */
	uint8_t ip[4] = {100, 64, 0, 9};
	attr(p, 8, ip, 4); /* Framed-IP-Address */
	p->b[2] = (uint8_t)(p->n >> 8);
	p->b[3] = (uint8_t)p->n;
	if (secret)
		dp_radius_acct_sign(p->b, p->n, (const uint8_t *)secret, strlen(secret));
}

/* Raw IPv4 (DP_LINK_RAW) + UDP around a payload. */
static void ipv4_udp(struct buf *f, const uint8_t src[4], uint16_t sport, uint16_t dport,
		     const struct buf *pl, uint16_t frag_off)
{
	memset(f, 0, sizeof(*f));
	uint16_t ulen = (uint16_t)(8 + pl->n), tlen = (uint16_t)(20 + ulen);
	uint8_t *h = f->b;
	h[0] = 0x45;
	h[2] = (uint8_t)(tlen >> 8);
	h[3] = (uint8_t)tlen;
	h[6] = (uint8_t)(frag_off >> 8);
	h[7] = (uint8_t)frag_off;
	h[8] = 64;
	h[9] = 17;
	memcpy(h + 12, src, 4);
	const uint8_t dst[4] = {10, 0, 0, 254};
	memcpy(h + 16, dst, 4);
	uint8_t *u = h + 20;
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	memcpy(u + 8, pl->b, pl->n);
	f->n = tlen;
}

static dp_secrets *secrets(void)
{
	static const char txt[] = "10.0.0.1 s3cret\n";
	dp_secrets *s = NULL;
	char err[128];
	if (dp_secrets_parse(txt, sizeof(txt) - 1, &s, err, sizeof(err)) != 0)
		fprintf(stderr, "secrets: %s\n", err);
	return s;
}

/* ---- the close callback: fails while `fail` is set ---- */

struct sink {
	int fail;       /* error to return, 0: store */
	unsigned calls; /* sessions handed over */
	unsigned stored;
};

static int on_close(void *ctx, const struct rt_session *s)
{
	struct sink *k = ctx;
	(void)s;
	k->calls++;
	if (k->fail)
		return k->fail;
	k->stored++;
	return 0;
}

/* ---- 1. failed store: the retransmission is processed again ---- */

static void test_failed_store_not_duplicate(const dp_secrets *sec)
{
	check_ctx = "failed store";
	struct dp_engine_cfg cfg;
	dp_engine_cfg_default(&cfg);
	cfg.secrets = sec;
	struct sink k = {0};
	dp_engine *e = NULL;
	CHECK(dp_engine_alloc(&cfg, on_close, NULL, &k, &e) == 0);
	if (!e)
		return;
	const struct rt_addr nas = {.family = 4, .a = {10, 0, 0, 1}};
	struct dp_radius_result r;
	struct buf start, stop;
	acct(&start, DP_RADIUS_ACCOUNTING_REQUEST, 1, DP_ACCT_START, "S1", SECRET);
	acct(&stop, DP_RADIUS_ACCOUNTING_REQUEST, 2, DP_ACCT_STOP, "S1", SECRET);

	CHECK(dp_engine_radius(e, &nas, 4000, start.b, start.n, T0, &r) == 0);
	CHECK(r.verdict == DP_V_ACCEPTED);

	/* the Stop closes the session; the store refuses it */
	k.fail = -EIO;
	CHECK(dp_engine_radius(e, &nas, 4000, stop.b, stop.n, T0 + 60 * NS, &r) == -EIO);
	CHECK(k.calls == 1 && k.stored == 0);

	/* the NAS retransmits the same bytes 3 s later: not a duplicate */
	k.fail = 0;
	CHECK(dp_engine_radius(e, &nas, 4000, stop.b, stop.n, T0 + 63 * NS, &r) == 0);
	CHECKF(r.verdict == DP_V_ACCEPTED, "verdict %d", (int)r.verdict);
	CHECK(dp_engine_counters(e)->retransmissions == 0);

	/* once processed, a further copy is a duplicate (from the same port,
	 * and from another one: the replay cache) */
	CHECK(dp_engine_radius(e, &nas, 4000, stop.b, stop.n, T0 + 66 * NS, &r) == 0);
	CHECK(r.verdict == DP_V_DUPLICATE);
	CHECK(dp_engine_radius(e, &nas, 4001, stop.b, stop.n, T0 + 67 * NS, &r) == 0);
	CHECK(r.verdict == DP_V_DUPLICATE);
	CHECK(dp_engine_counters(e)->retransmissions == 2);

	/* the same for a request from another port after a failure: the
	 * replay cache (keyed without the port) must not claim it either */
	struct buf start2, stop2;
	acct(&start2, DP_RADIUS_ACCOUNTING_REQUEST, 3, DP_ACCT_START, "S2", SECRET);
	acct(&stop2, DP_RADIUS_ACCOUNTING_REQUEST, 4, DP_ACCT_STOP, "S2", SECRET);
	CHECK(dp_engine_radius(e, &nas, 4000, start2.b, start2.n, T0 + 70 * NS, &r) == 0);
	k.fail = -ENOSPC;
	CHECK(dp_engine_radius(e, &nas, 4000, stop2.b, stop2.n, T0 + 80 * NS, &r) == -ENOSPC);
	k.fail = 0;
	CHECK(dp_engine_radius(e, &nas, 4002, stop2.b, stop2.n, T0 + 81 * NS, &r) == 0);
	CHECKF(r.verdict == DP_V_ACCEPTED, "verdict %d", (int)r.verdict);
	dp_engine_free(e);
}

/* ---- 2. dp_engine_preverify() and 3. dp_engine_frame_verified() ---- */

enum row_kind { R_VALID, R_WRONG_SECRET, R_NO_SECRET, R_OTHER_PORT, R_RESPONSE, R_TRUNCATED,
		R_FRAGMENT };

struct row {
	const char *name;
	enum row_kind kind;
	bool with_secrets;
	enum dp_auth_hint want;
};

static const struct row rows[] = {
	{"valid", R_VALID, true, DP_AUTH_VALID},
	{"wrong secret", R_WRONG_SECRET, true, DP_AUTH_INVALID},
	{"client without secret", R_NO_SECRET, true, DP_AUTH_UNKNOWN},
	{"not an accounting port", R_OTHER_PORT, true, DP_AUTH_UNKNOWN},
	{"Accounting-Response", R_RESPONSE, true, DP_AUTH_UNKNOWN},
	{"truncated RADIUS header", R_TRUNCATED, true, DP_AUTH_UNKNOWN},
	{"IPv4 fragment", R_FRAGMENT, true, DP_AUTH_UNKNOWN},
	{"no secrets at all", R_VALID, false, DP_AUTH_UNKNOWN},
};

static void build_row(const struct row *rw, uint8_t id, struct buf *f)
{
	const uint8_t nas[4] = {10, 0, 0, 1}, other[4] = {10, 0, 0, 2};
	char sid[16];
	snprintf(sid, sizeof(sid), "P%u", id);
	struct buf pl;
	acct(&pl, rw->kind == R_RESPONSE ? DP_RADIUS_ACCOUNTING_RESPONSE
					 : DP_RADIUS_ACCOUNTING_REQUEST,
	     id, DP_ACCT_START, sid, rw->kind == R_WRONG_SECRET ? "wrong" : SECRET);
	if (rw->kind == R_TRUNCATED)
		pl.n = 12;
	ipv4_udp(f, rw->kind == R_NO_SECRET ? other : nas, 4000,
		 rw->kind == R_OTHER_PORT ? 1900 : 1813, &pl, rw->kind == R_FRAGMENT ? 0x2000 : 0);
}

static void test_preverify(const dp_secrets *sec)
{
	struct dp_engine_cfg cfg;
	dp_engine_cfg_default(&cfg);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *rw = &rows[i];
		check_ctx = rw->name;
		cfg.secrets = rw->with_secrets ? sec : NULL;
		struct buf f;
		build_row(rw, (uint8_t)i, &f);
		uint8_t *g = guard_copy(f.b, f.n);
		struct dp_pkt p = {.data = g, .caplen = (uint32_t)f.n, .wirelen = (uint32_t)f.n,
				   .ts_ns = T0};
		struct dp_preverified pv;
		dp_engine_preverify(&cfg, &p, DP_LINK_RAW, &pv);
		enum dp_auth_hint h = (enum dp_auth_hint)pv.hint;
		CHECKF(h == rw->want, "hint %d, want %d", (int)h, (int)rw->want);
		CHECK((pv.dup_tag != 0 && pv.replay_tag != 0) == (h == DP_AUTH_VALID));

		/* the engine given the hint counts as the engine alone */
		struct sink k1 = {0}, k2 = {0};
		dp_engine *e1 = NULL, *e2 = NULL;
		CHECK(dp_engine_alloc(&cfg, on_close, NULL, &k1, &e1) == 0);
		CHECK(dp_engine_alloc(&cfg, on_close, NULL, &k2, &e2) == 0);
		if (e1 && e2) {
			dp_engine_prefetch(e2, &pv);
			CHECK(dp_engine_packet(e1, &p, DP_LINK_RAW) == 0);
			CHECK(dp_engine_frame_verified(e2, &p, DP_LINK_RAW, h) == 0);
			const struct dp_counters *c1 = dp_engine_counters(e1),
						 *c2 = dp_engine_counters(e2);
			CHECK(memcmp(c1, c2, sizeof(*c1)) == 0);
			CHECK(c1->radius_acct_requests ==
			      (rw->kind == R_VALID || rw->kind == R_WRONG_SECRET ||
			       rw->kind == R_NO_SECRET));
		}
		dp_engine_free(e1);
		dp_engine_free(e2);
		free(g);
	}
}

/* The verdict is taken as given: a correctly signed request handed over
 * as INVALID is rejected, a forged one handed over as VALID accepted (so
 * the hint must come from dp_engine_preverify()). */
static void test_hint_is_used(const dp_secrets *sec)
{
	check_ctx = "hint taken as given";
	struct dp_engine_cfg cfg;
	dp_engine_cfg_default(&cfg);
	cfg.secrets = sec;
	struct sink k = {0};
	dp_engine *e = NULL;
	CHECK(dp_engine_alloc(&cfg, on_close, NULL, &k, &e) == 0);
	if (!e)
		return;
	struct buf f;
	build_row(&rows[0], 50, &f); /* valid */
	struct dp_pkt p = {.data = f.b, .caplen = (uint32_t)f.n, .wirelen = (uint32_t)f.n,
			   .ts_ns = T0};
	CHECK(dp_engine_frame_verified(e, &p, DP_LINK_RAW, DP_AUTH_INVALID) == 0);
	CHECK(dp_engine_counters(e)->rejected == 1 && dp_engine_counters(e)->accepted == 0);
	build_row(&rows[1], 51, &f); /* wrong secret */
	p.caplen = p.wirelen = (uint32_t)f.n;
	CHECK(dp_engine_frame_verified(e, &p, DP_LINK_RAW, DP_AUTH_VALID) == 0);
	CHECK(dp_engine_counters(e)->rejected == 1 && dp_engine_counters(e)->accepted == 1);
	/* and the next plain packet verifies by itself again */
	build_row(&rows[1], 52, &f);
	CHECK(dp_engine_packet(e, &p, DP_LINK_RAW) == 0);
	CHECK(dp_engine_counters(e)->rejected == 2);
	dp_engine_free(e);
}

/* The tracker takes a NULL close callback (records are then only counted):
 * so does the engine, which wraps it to stamp record flags. */
static void test_null_close_callback(const dp_secrets *sec)
{
	check_ctx = "NULL close callback";
	struct dp_engine_cfg cfg;
	dp_engine_cfg_default(&cfg);
	cfg.secrets = sec;
	dp_engine *e = NULL;
	CHECK(dp_engine_alloc(&cfg, NULL, NULL, NULL, &e) == 0);
	if (!e)
		return;
	const struct rt_addr nas = {.family = 4, .a = {10, 0, 0, 1}};
	struct dp_radius_result r;
	struct buf start, stop;
	acct(&start, DP_RADIUS_ACCOUNTING_REQUEST, 1, DP_ACCT_START, "S9", SECRET);
	acct(&stop, DP_RADIUS_ACCOUNTING_REQUEST, 2, DP_ACCT_STOP, "S9", SECRET);
	CHECK(dp_engine_radius(e, &nas, 4000, start.b, start.n, T0, &r) == 0);
	CHECK(dp_engine_radius(e, &nas, 4000, stop.b, stop.n, T0 + 60 * NS, &r) == 0);
	CHECK(r.verdict == DP_V_ACCEPTED);
	struct dp_tracker_stats st;
	dp_tracker_get_stats(dp_engine_tracker(e), &st);
	CHECK(st.closed == 1 && st.open_now == 0);
	dp_engine_free(e);
}

int main(void)
{
	dp_secrets *sec = secrets();
	CHECK(sec != NULL);
	if (sec) {
		test_failed_store_not_duplicate(sec);
		test_preverify(sec);
		test_hint_is_used(sec);
		test_null_close_callback(sec);
	}
	dp_secrets_free(sec);
	return check_done();
}

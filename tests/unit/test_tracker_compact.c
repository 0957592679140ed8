/* Tracker: the compact representation (issue 7) gives back exactly what
 * went in, its tables survive growth, and a refused close leaves the
 * session open and retriable (dataplane/tracker.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "radius.h"
#include "sess_eq.h"
#include "tracker.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)
#define MAXC 64

static struct rt_session got[MAXC];
static int ngot;
static int calls;
static int fail_from = -1, fail_count; /* fail calls [fail_from, fail_from+fail_count) */

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	int k = calls++;
	if (fail_from >= 0 && k >= fail_from && k < fail_from + fail_count)
		return -EIO;
	if (ngot < MAXC)
		got[ngot] = *s;
	ngot++;
	return 0;
}

static int collect(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	if (ngot < MAXC)
		got[ngot] = *s;
	ngot++;
	return 0;
}

static dp_tracker *fresh(void)
{
	dp_tracker *t;
	ngot = 0;
	calls = 0;
	fail_from = -1;
	fail_count = 0;
	if (dp_tracker_alloc(NULL, on_close, NULL, &t))
		abort();
	return t;
}

static struct dp_tracker_stats stats(const dp_tracker *t)
{
	struct dp_tracker_stats st;
	dp_tracker_get_stats(t, &st);
	return st;
}

static struct dp_acct_msg msg(uint32_t status, const char *sid, int64_t at, uint8_t nas_last)
{
	struct dp_acct_msg m;
	memset(&m, 0, sizeof(m));
	m.status = status;
	m.capture_ns = at;
	m.event_ns = at;
	m.nas.family = 4;
	m.nas.a[0] = 10;
	m.nas.a[3] = nas_last;
	m.auth = RT_AUTH_VERIFIED;
	m.source = RT_SRC_RADIUS;
	m.session_id.p = sid;
	m.session_id.len = (uint8_t)strlen(sid);
	return m;
}

static void fill(struct rt_text *t, unsigned len, unsigned seed)
{
	t->len = (uint8_t)len;
	for (unsigned i = 0; i < len; i++)
		t->v[i] = (char)(seed * 31 + i * 7); /* every byte value occurs */
}

/* Resumed sessions come back from foreach_open and from their close
 * exactly as they went in, whatever their shape. */
struct shape {
	const char *name;
	unsigned account, sid, calling, nas_id, port; /* text lengths */
	const char *mac_calling;                      /* calling number, a MAC */
	bool v6, pfx, dpfx, skew, garbage;            /* garbage: bytes behind false flags */
};

static const struct shape shapes[] = {
	{"empty texts", 0, 0, 0, 0, 0, NULL, false, false, false, false, false},
	{"typical", 18, 16, 30, 12, 25, NULL, false, false, true, true, false},
	{"mac calling", 20, 16, 0, 10, 20, "aa:bb:cc:dd:ee:0f", true, true, true, false, false},
	{"max texts", 253, 253, 253, 253, 253, NULL, true, true, true, true, false},
	{"garbage behind flags", 5, 8, 9, 0, 3, NULL, false, false, false, false, true},
	{"mac + garbage", 7, 4, 0, 1, 2, "AABB.CCDD.EEFF", true, false, true, true, true},
};

static void make_shape(const struct shape *sh, unsigned k, struct rt_session *r)
{
	memset(r, 0, sizeof(*r));
	r->start_ns = T0 + k * NS;
	r->stop_ns = RT_TIME_NONE;
	r->last_news_ns = T0 + (k + 100) * NS;
	r->prev_news_ns = k & 1 ? RT_TIME_NONE : T0 + (k + 50) * NS;
	fill(&r->account, sh->account, 1 + k);
	fill(&r->session_id, sh->sid, 2 + k);
	if (sh->sid < 1) {
		r->session_id.len = 1; /* keys must differ */
		r->session_id.v[0] = (char)k;
	}
	fill(&r->calling_number, sh->calling, 3 + k);
	if (sh->mac_calling) {
		rt_text_set(&r->calling_number, sh->mac_calling, (unsigned)strlen(sh->mac_calling));
		r->has_calling_mac = rt_mac_parse(sh->mac_calling, (unsigned)strlen(sh->mac_calling),
						  r->calling_mac);
	}
	fill(&r->nas_id, sh->nas_id, 4 + k);
	fill(&r->nas_port_id, sh->port, 5 + k);
	r->nas_ip.family = k % 3 == 0 ? 6 : 4;
	for (unsigned i = 0; i < (r->nas_ip.family == 6 ? 16u : 4u); i++)
		r->nas_ip.a[i] = (uint8_t)(i + 1);
	r->has_ipv4 = true;
	memcpy(r->ipv4, "\x64\x40\x01\x02", 4);
	if (sh->v6) {
		r->has_ipv6_addr = true;
		for (unsigned i = 0; i < 16; i++)
			r->ipv6_addr[i] = (uint8_t)(0x20 + i);
	}
	if (sh->pfx) {
		r->ipv6_prefix.present = true;
		r->ipv6_prefix.plen = 64;
		r->ipv6_prefix.a[0] = 0x20;
	}
	if (sh->dpfx) {
		r->delegated_prefix.present = true;
		r->delegated_prefix.plen = 56;
		r->delegated_prefix.a[1] = 0x01;
		r->delegated_prefix.a[6] = 0x33;
	}
	if (sh->skew) {
		r->has_clock_skew = true;
		r->clock_skew_ms = -1234567;
	}
	if (sh->garbage) {
		/* a store may hand back bytes behind a false flag */
		r->ipv4[3] = 9;
		r->has_ipv4 = false;
		if (!sh->v6)
			r->ipv6_addr[15] = 1;
		if (!sh->pfx)
			r->ipv6_prefix.a[3] = 7;
		if (!sh->mac_calling)
			r->calling_mac[2] = 0x55;
		else
			r->calling_mac[0] ^= 1; /* not what the number parses to */
		r->clock_skew_ms = sh->skew ? r->clock_skew_ms : 77;
	}
	r->sources = RT_SRC_RADIUS;
	r->auth = RT_AUTH_NO_SECRET;
	r->flags = (uint8_t)(k & 1 ? RT_FLAG_UNMAPPED : 0);
}

static void test_round_trip(void)
{
	const unsigned n = sizeof(shapes) / sizeof(shapes[0]);
	struct rt_session want[sizeof(shapes) / sizeof(shapes[0])];
	dp_tracker *t = fresh();
	for (unsigned k = 0; k < n; k++) {
		make_shape(&shapes[k], k, &want[k]);
		CHECK(dp_tracker_resume(t, &want[k]) == 0);
	}
	CHECK_EQ_I64(stats(t).open_now, n);
	ngot = 0;
	CHECK(dp_tracker_foreach_open(t, collect, NULL) == 0);
	CHECK_EQ_I64(ngot, n);
	for (unsigned k = 0; k < n && k < (unsigned)ngot; k++)
		if (!sess_eq(&got[k], &want[k])) {
			fprintf(stderr, "round trip: %s\n", shapes[k].name);
			CHECK(0);
		}
	/* Acct-On of every NAS closes them all: same fields, stop set */
	ngot = 0;
	for (unsigned fam = 4; fam <= 6; fam += 2) {
		struct dp_acct_msg m = msg(DP_ACCT_ON, "", T0 + 1000 * NS, 0);
		m.nas = want[fam == 6 ? 0 : 1].nas_ip;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(ngot, n);
	for (int i = 0; i < ngot && i < MAXC; i++) {
		unsigned k;
		for (k = 0; k < n; k++)
			if (text_eq(&got[i].session_id, &want[k].session_id))
				break;
		CHECK(k < n);
		if (k == n)
			continue;
		struct rt_session w = want[k];
		w.stop_ns = T0 + 1000 * NS;
		w.stop_cause = RT_CAUSE_NAS_REBOOT_INFERRED;
		if (!sess_eq(&got[i], &w)) {
			fprintf(stderr, "close: %s\n", shapes[k].name);
			CHECK(0);
		}
	}
	CHECK_EQ_I64(stats(t).open_now, 0);
	dp_tracker_free(t);
}

/* Texts that change length (blob changes size class) and in-place updates
 * give the latest non-empty values. */
static void test_updates(void)
{
	static const struct {
		const char *account, *calling, *port;
		bool v6;
	} steps[] = {
		{"a", "", "", false},
		{"alice@example.net", "aa:bb:cc:00:11:22", "eth 1/1/1:100.200", false},
		{"", "", "", true},  /* in place */
		{"", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789", "", true},
		{"bob", "", "x", false},
		{"", "AA-BB-CC-00-11-23", "", false},
	};
	dp_tracker *t = fresh();
	char last_account[64] = "", last_calling[64] = "", last_port[64] = "";
	for (unsigned k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct dp_acct_msg m = msg(k ? DP_ACCT_INTERIM : DP_ACCT_START, "u", T0 + k * 300 * NS, 1);
		m.account.p = steps[k].account;
		m.account.len = (uint8_t)strlen(steps[k].account);
		m.calling_number.p = steps[k].calling;
		m.calling_number.len = (uint8_t)strlen(steps[k].calling);
		m.nas_port_id.p = steps[k].port;
		m.nas_port_id.len = (uint8_t)strlen(steps[k].port);
		m.has_ipv4 = true;
		m.ipv4[3] = (uint8_t)k;
		if (steps[k].v6) {
			m.has_ipv6_addr = true;
			m.ipv6_addr[0] = 0x20;
			m.delegated_prefix.present = true;
			m.delegated_prefix.plen = 56;
			m.delegated_prefix.a[5] = (uint8_t)k;
		}
		CHECK(dp_tracker_acct(t, &m) == 0);
		if (*steps[k].account)
			strcpy(last_account, steps[k].account);
		if (*steps[k].calling)
			strcpy(last_calling, steps[k].calling);
		if (*steps[k].port)
			strcpy(last_port, steps[k].port);
		ngot = 0;
		CHECK(dp_tracker_foreach_open(t, collect, NULL) == 0);
		CHECK_EQ_I64(ngot, 1);
		const struct rt_session *r = &got[0];
		CHECK(r->account.len == strlen(last_account) &&
		      memcmp(r->account.v, last_account, r->account.len) == 0);
		CHECK(r->calling_number.len == strlen(last_calling) &&
		      memcmp(r->calling_number.v, last_calling, r->calling_number.len) == 0);
		CHECK(r->nas_port_id.len == strlen(last_port) &&
		      memcmp(r->nas_port_id.v, last_port, r->nas_port_id.len) == 0);
		CHECK_EQ_I64(r->ipv4[3], k);
		CHECK(r->has_calling_mac == (last_calling[0] == 'a' || last_calling[0] == 'A'));
		CHECK_EQ_I64(r->last_news_ns, T0 + k * 300 * NS);
		CHECK_EQ_I64(r->has_ipv6_addr, k >= 2);
		CHECK_EQ_I64(r->delegated_prefix.a[5], k >= 3 ? 3 : k >= 2 ? 2 : 0);
	}
	CHECK(got[0].calling_mac[5] == 0x23);
	dp_tracker_free(t);
}

/* Many sessions: the key table doubles incrementally; every session is
 * found again (Interims are not new sessions) and closes once; memory per
 * open session is within the issue-7 budget. */
static void test_many(void)
{
	enum { N = 150000 };
	dp_tracker *t = fresh();
	char sid[32], acct[32], port[40];
	for (int i = 0; i < N; i++) {
		snprintf(sid, sizeof(sid), "%016x", (unsigned)i * 2654435761u);
		snprintf(acct, sizeof(acct), "user%d@isp.example", i);
		snprintf(port, sizeof(port), "xpon 0/%d/%d:%d", i % 16, i % 64, i);
		struct dp_acct_msg m = msg(DP_ACCT_START, sid, T0 + i * 1000LL, (uint8_t)(i % 50));
		m.account.p = acct;
		m.account.len = (uint8_t)strlen(acct);
		m.nas_port_id.p = port;
		m.nas_port_id.len = (uint8_t)strlen(port);
		m.has_ipv4 = true;
		memcpy(m.ipv4, &i, 4);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	struct dp_tracker_stats st = stats(t);
	CHECK_EQ_I64(st.open_now, N);
	/* at least the 64-byte records, at most the issue-7 budget */
	CHECK(st.mem_bytes >= (uint64_t)N * 64 && st.mem_bytes / N < 256);
	for (int i = 0; i < N; i++) {
		snprintf(sid, sizeof(sid), "%016x", (unsigned)i * 2654435761u);
		struct dp_acct_msg m = msg(DP_ACCT_INTERIM, sid, T0 + 300 * NS + i * 1000LL,
					   (uint8_t)(i % 50));
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	st = stats(t);
	CHECK_EQ_I64(st.open_now, N);
	CHECK_EQ_I64(st.opened, N);
	CHECK_EQ_I64(st.interim_without_start, 0);
	/* close in a scattered order; check a sample of the records */
	ngot = 0;
	for (int j = 0; j < N; j++) {
		int i = (int)(((long long)j * 7919) % N);
		snprintf(sid, sizeof(sid), "%016x", (unsigned)i * 2654435761u);
		struct dp_acct_msg m = msg(DP_ACCT_STOP, sid, T0 + 600 * NS + j * 1000LL,
					   (uint8_t)(i % 50));
		int before = ngot;
		CHECK(dp_tracker_acct(t, &m) == 0);
		if (before < MAXC && ngot == before + 1) {
			snprintf(acct, sizeof(acct), "user%d@isp.example", i);
			CHECK(got[before].account.len == strlen(acct) &&
			      memcmp(got[before].account.v, acct, strlen(acct)) == 0);
			CHECK_EQ_I64(got[before].start_ns, T0 + i * 1000LL);
			CHECK_EQ_I64(memcmp(got[before].ipv4, &i, 4), 0);
		}
	}
	CHECK_EQ_I64(ngot, N);
	CHECK_EQ_I64(stats(t).open_now, 0);
	/* every key is remembered closed: late Interims do not reopen */
	for (int i = 0; i < N; i += 7) {
		snprintf(sid, sizeof(sid), "%016x", (unsigned)i * 2654435761u);
		struct dp_acct_msg m = msg(DP_ACCT_INTERIM, sid, T0 + 700 * NS, (uint8_t)(i % 50));
		m.has_session_time = true;
		m.session_time = 600;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).open_now, 0);
	dp_tracker_free(t);
}

/* The closed-key cache: one key closed again and again (superseded ring
 * entries are compacted away), others still recognised, and forgotten after
 * closed_keep_ns. */
static void test_closed_cache(void)
{
	struct dp_tracker_cfg cfg;
	dp_tracker_cfg_default(&cfg);
	cfg.closed_keep_ns = 3600 * NS;
	dp_tracker *t;
	ngot = 0;
	fail_from = -1;
	CHECK(dp_tracker_alloc(&cfg, on_close, NULL, &t) == 0);
	char sid[16];
	for (int i = 0; i < 3000; i++) {
		snprintf(sid, sizeof(sid), "k%d", i);
		struct dp_acct_msg m = msg(DP_ACCT_STOP, sid, T0 + i * NS / 1000, 1);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	for (int i = 0; i < 5000; i++) {
		struct dp_acct_msg m = msg(DP_ACCT_START, "again", T0 + 10 * NS + i * (NS / 5), 1);
		CHECK(dp_tracker_acct(t, &m) == 0);
		m = msg(DP_ACCT_STOP, "again", T0 + 10 * NS + i * (NS / 5) + NS / 10, 1);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).closed, 3000 + 5000);
	int64_t now = T0 + 1100 * NS;
	for (int i = 0; i < 3000; i += 3) {
		snprintf(sid, sizeof(sid), "k%d", i);
		struct dp_acct_msg m = msg(DP_ACCT_STOP, sid, T0 + i * NS / 1000, 1);
		m.capture_ns = now;
		m.has_session_time = true;
		m.session_time = 1;
		CHECK(dp_tracker_acct(t, &m) == 0); /* late Stop: ignored */
	}
	CHECK_EQ_I64(stats(t).closed, 8000);
	CHECK_EQ_I64(stats(t).duplicates, 1000); /* k2001 too: see rhead in tracker.c */
	uint64_t mem_full = stats(t).mem_bytes;
	/* more than closed_keep_ns after their close (and one sweep): gone */
	now = T0 + 5 * 3600 * NS;
	CHECK(dp_tracker_advance(t, now) == 0);
	for (int i = 0; i < 3000; i += 3) {
		snprintf(sid, sizeof(sid), "k%d", i);
		struct dp_acct_msg m = msg(DP_ACCT_STOP, sid, T0 + i * NS / 1000, 1);
		m.capture_ns = now;
		m.has_session_time = true;
		m.session_time = 1;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).closed, 9000);
	/* the ring gave back the blocks behind its head */
	CHECK(stats(t).mem_bytes < mem_full);
	dp_tracker_free(t);
}

/* A closed session from the store whose stop lies far ahead of the capture
 * clock (a NAS with a wrong clock: its Event-Timestamp) must not hold every
 * later closed key in the ring for ever: they are forgotten after
 * closed_keep_ns (so memory stays bounded), the far one at most a keep
 * after the clock reaches the head. */
struct future_case {
	const char *name;
	int64_t ahead_ns;  /* the remembered stop, ahead of T0 */
	int64_t late_at_ns; /* the late Stop of "k", after T0 */
	bool forgotten;    /* "k" is forgotten by then: the late Stop is a record */
};

static const struct future_case future_cases[] = {
	{"within-keep", 1800 * NS, 3 * 3600 * NS, true},
	{"year-ahead", 365LL * 86400 * NS, 3 * 3600 * NS, true},
	{"year-ahead-too-soon", 365LL * 86400 * NS, 1800 * NS, false},
};

static void test_future_stop(const struct future_case *fc)
{
	struct dp_tracker_cfg cfg;
	dp_tracker_cfg_default(&cfg);
	cfg.closed_keep_ns = 3600 * NS;
	dp_tracker *t;
	ngot = 0;
	fail_from = -1;
	CHECK(dp_tracker_alloc(&cfg, on_close, NULL, &t) == 0);
	struct rt_session r;
	memset(&r, 0, sizeof(r));
	r.nas_ip.family = 4;
	r.nas_ip.a[0] = 10;
	r.nas_ip.a[3] = 1;
	rt_text_set(&r.session_id, "future", 6);
	r.sources = RT_SRC_RADIUS;
	r.start_ns = T0 + fc->ahead_ns - 60 * NS;
	r.stop_ns = T0 + fc->ahead_ns;
	CHECK(dp_tracker_remember_closed(t, &r) == 0);
	struct dp_acct_msg m = msg(DP_ACCT_STOP, "k", T0, 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	for (int64_t at = 0; at <= fc->late_at_ns; at += 600 * NS)
		CHECK(dp_tracker_advance(t, T0 + at) == 0);
	m.capture_ns = T0 + fc->late_at_ns;
	m.has_session_time = true;
	m.session_time = 1;
	CHECK(dp_tracker_acct(t, &m) == 0);
	if ((stats(t).closed == 2) != fc->forgotten) {
		fprintf(stderr, "[%s] closed %llu duplicates %llu\n", fc->name,
			(unsigned long long)stats(t).closed,
			(unsigned long long)stats(t).duplicates);
		check_failures++;
	}
	dp_tracker_free(t);
}

/* The closed-key index doubles incrementally: right after a doubling most
 * keys are still in the old index, and they must be found there, pruned
 * there and superseded there (a stale old slot would resurrect a key). */
static void test_closed_index_growth(void)
{
	enum { NK = 1537 }; /* the 1537th closed key doubles the 2048-slot index */
	struct dp_tracker_cfg cfg;
	dp_tracker_cfg_default(&cfg);
	cfg.closed_keep_ns = 100 * NS;
	dp_tracker *t;
	ngot = 0;
	fail_from = -1;
	CHECK(dp_tracker_alloc(&cfg, on_close, NULL, &t) == 0);
	char sid[16];
	struct dp_acct_msg m;
	for (int i = 0; i < NK; i++) {
		snprintf(sid, sizeof(sid), "g%d", i);
		m = msg(DP_ACCT_STOP, sid, T0 + i * (NS / 100), 1);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	/* late Stops of every key: found (most in the old index) */
	for (int i = 0; i < NK; i++) {
		snprintf(sid, sizeof(sid), "g%d", i);
		m = msg(DP_ACCT_STOP, sid, T0 + i * (NS / 100), 1);
		m.capture_ns = T0 + 20 * NS;
		m.has_session_time = true;
		m.session_time = 1;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).closed, NK);
	CHECK_EQ_I64(stats(t).duplicates, NK);
	/* ten keys close again: their entries are superseded */
	for (int i = 0; i < 10; i++) {
		snprintf(sid, sizeof(sid), "g%d", i);
		m = msg(DP_ACCT_START, sid, T0 + (30 + i) * NS, 1);
		CHECK(dp_tracker_acct(t, &m) == 0);
		m = msg(DP_ACCT_STOP, sid, T0 + (30 + i) * NS + NS / 2, 1);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	/* the first closes are forgotten, the second ones kept */
	CHECK(dp_tracker_advance(t, T0 + 125 * NS) == 0);
	for (int i = 0; i < 10; i++) {
		snprintf(sid, sizeof(sid), "g%d", i);
		m = msg(DP_ACCT_STOP, sid, T0 + (30 + i) * NS + NS / 5, 1);
		m.capture_ns = T0 + 126 * NS;
		m.has_session_time = true;
		m.session_time = 1;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).closed, NK + 10);
	CHECK_EQ_I64(stats(t).duplicates, NK + 10);
	/* and then those too */
	CHECK(dp_tracker_advance(t, T0 + 260 * NS) == 0);
	for (int i = 0; i < 10; i++) {
		snprintf(sid, sizeof(sid), "g%d", i);
		m = msg(DP_ACCT_STOP, sid, T0 + (30 + i) * NS + NS / 5, 1);
		m.capture_ns = T0 + 261 * NS;
		m.has_session_time = true;
		m.session_time = 1;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).closed, NK + 20);
	CHECK_EQ_I64(stats(t).stop_without_start, NK + 10);
	dp_tracker_free(t);
}

/* PPPoE sessions fused into RADIUS ones through the MAC index, beyond the
 * index's first size. */
static void test_mac_fusion(void)
{
	enum { N = 5000 };
	dp_tracker *t = fresh();
	char sid[40], cn[20];
	for (int i = 0; i < N; i++) {
		struct dp_acct_msg m = msg(DP_ACCT_START, "", T0 + i * NS / 100, 0);
		uint8_t mac[6] = {2, 0, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		snprintf(sid, sizeof(sid), "pppoe:%02x:%d", mac[5], i);
		m.session_id.p = sid;
		m.session_id.len = (uint8_t)strlen(sid);
		memset(&m.nas, 0, sizeof(m.nas));
		m.source = RT_SRC_PPPOE;
		m.auth = RT_AUTH_NONE;
		m.has_client_mac = true;
		memcpy(m.client_mac, mac, 6);
		m.has_ipv4 = true;
		m.ipv4[3] = (uint8_t)i;
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	CHECK_EQ_I64(stats(t).open_now, N);
	for (int i = 0; i < N; i++) {
		snprintf(sid, sizeof(sid), "r%d", i);
		snprintf(cn, sizeof(cn), "02:00:00:%02x:%02x:%02x", (i >> 16) & 255, (i >> 8) & 255,
			 i & 255);
		struct dp_acct_msg m = msg(DP_ACCT_START, sid, T0 + 100 * NS + i * NS / 100, 1);
		m.calling_number.p = cn;
		m.calling_number.len = (uint8_t)strlen(cn);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	struct dp_tracker_stats st = stats(t);
	CHECK_EQ_I64(st.fused, N);
	CHECK_EQ_I64(st.open_now, N);
	ngot = 0;
	CHECK(dp_tracker_foreach_open(t, collect, NULL) == 0);
	for (int i = 0; i < MAXC && i < ngot; i++)
		CHECK(got[i].sources == (RT_SRC_RADIUS | RT_SRC_PPPOE) && got[i].has_ipv4);
	dp_tracker_free(t);
}

/* A refused close (the store failed) keeps the session open and is
 * retried: one table row per path that closes. */
enum path { P_STOP, P_STOP_ALONE, P_SWEEP, P_ACCT_ON, P_REUSE, P_SWEEP_IN_ACCT };

static void test_refused_close(enum path p)
{
	dp_tracker *t = fresh();
	struct dp_acct_msg m;
	m = msg(DP_ACCT_START, "s", T0, 1);
	if (p != P_STOP_ALONE)
		CHECK(dp_tracker_acct(t, &m) == 0);
	struct dp_acct_msg trigger;
	int64_t want_stop = 0;
	switch (p) {
	case P_STOP:
		trigger = msg(DP_ACCT_STOP, "s", T0 + 100 * NS, 1);
		want_stop = T0 + 100 * NS;
		break;
	case P_STOP_ALONE:
		trigger = msg(DP_ACCT_STOP, "s", T0 + 100 * NS, 1);
		trigger.has_session_time = true;
		trigger.session_time = 100;
		want_stop = T0 + 100 * NS;
		break;
	case P_ACCT_ON:
		trigger = msg(DP_ACCT_ON, "", T0 + 100 * NS, 1);
		want_stop = T0 + 100 * NS;
		break;
	case P_REUSE:
		trigger = msg(DP_ACCT_START, "s", T0 + 1000 * NS, 1);
		want_stop = T0;
		break;
	case P_SWEEP_IN_ACCT:
		/* another session's message crosses the sweep point */
		trigger = msg(DP_ACCT_START, "other", T0 + 4 * 3600 * NS, 1);
		want_stop = T0;
		break;
	case P_SWEEP:
		trigger = msg(0, "", 0, 0);
		want_stop = T0;
		break;
	}
	fail_from = 0;
	fail_count = 2;
	for (int attempt = 0; attempt < 3; attempt++) {
		int rc = p == P_SWEEP ? dp_tracker_advance(t, T0 + 4 * 3600 * NS)
				      : dp_tracker_acct(t, &trigger);
		CHECK_EQ_I64(rc, attempt < 2 ? -EIO : 0);
		/* refused: still open (Stop without Start: nothing opened) */
		if (attempt < 2)
			CHECK_EQ_I64(stats(t).open_now, p == P_STOP_ALONE ? 0 : 1);
	}
	CHECK_EQ_I64(ngot, 1);
	CHECK_EQ_I64(got[0].stop_ns, want_stop);
	CHECK_EQ_I64(got[0].session_id.len, 1);
	struct dp_tracker_stats st = stats(t);
	CHECK_EQ_I64(st.closed, 1);
	CHECK_EQ_I64(st.open_now, p == P_REUSE || p == P_SWEEP_IN_ACCT ? 1 : 0);
	if (p == P_ACCT_ON)
		CHECK_EQ_I64(st.nas_reboots, 1);
	/* and the key is now remembered: a late Stop is ignored */
	if (p == P_STOP || p == P_STOP_ALONE || p == P_ACCT_ON) {
		m = msg(DP_ACCT_STOP, "s", want_stop, 1);
		m.capture_ns = want_stop + 5 * NS;
		m.has_session_time = true;
		m.session_time = 100;
		CHECK(dp_tracker_acct(t, &m) == 0);
		CHECK_EQ_I64(ngot, 1);
	}
	dp_tracker_free(t);
}

int main(void)
{
	test_round_trip();
	test_updates();
	test_many();
	test_closed_cache();
	for (size_t i = 0; i < sizeof(future_cases) / sizeof(future_cases[0]); i++)
		test_future_stop(&future_cases[i]);
	test_closed_index_growth();
	test_mac_fusion();
	for (int p = P_STOP; p <= P_SWEEP_IN_ACCT; p++)
		test_refused_close((enum path)p);
	CHECK_DONE();
}

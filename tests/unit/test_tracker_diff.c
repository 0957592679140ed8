/* The compact tracker (issue 7) against the previous representation
 * (tools/bench-tracker-v1.c): the same random message sequences (RADIUS,
 * PPPoE and DHCP sessions, fusion by MAC, retransmissions, late Stops and
 * Interims, Accounting-On, leases, orphans, resume and remember_closed)
 * must give the same calls' results, the same closed records in the same
 * order, the same open set and the same counters.  Close callbacks never
 * fail here: that is where the two differ on purpose
 * (test_tracker_compact.c). */
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

int v1_tracker_alloc(const struct dp_tracker_cfg *cfg, dp_tracker_close_fn on_close, void *ctx,
		     dp_tracker **ret);
void v1_tracker_free(dp_tracker *t);
int v1_tracker_acct(dp_tracker *t, const struct dp_acct_msg *m);
int v1_tracker_advance(dp_tracker *t, int64_t now_ns);
int v1_tracker_flush(dp_tracker *t, int64_t now_ns);
int v1_tracker_resume(dp_tracker *t, const struct rt_session *s);
int v1_tracker_remember_closed(dp_tracker *t, const struct rt_session *s);
int v1_tracker_foreach_open(dp_tracker *t, int (*fn)(void *, const struct rt_session *), void *ctx);
void v1_tracker_get_stats(const dp_tracker *t, struct dp_tracker_stats *ret);

struct log {
	struct rt_session *v;
	size_t n, cap;
};

static int log_add(void *ctx, const struct rt_session *s)
{
	struct log *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = *s;
	return 0;
}

static uint64_t rng;
static struct dp_tracker_stats total; /* what the runs exercised */

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

static const char *const accounts[] = {"", "alice", "bob@isp.example", "carol@biz.net",
					"a-rather-long-account-name-with-a-realm@customers.example.org"};
static const char *const ports[] = {"", "eth 1/1/1:100", "xpon 0/3/12:7.1001 vlan"};
static const char *const nasids[] = {"", "bras1", "bras2.pop3.example"};
static const char *const macs[] = {"02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03",
				   "02-00-00-00-00-04", "0200.0000.0005", "020000000006"};
static char longtext[254];

struct keyspace {
	char sid[40];
};

static void rand_msg(struct dp_acct_msg *m, struct keyspace *ks, int64_t now)
{
	memset(m, 0, sizeof(*m));
	unsigned kind = rnd(10); /* 0-5 RADIUS, 6-7 PPPoE, 8-9 DHCP */
	unsigned key = rnd(12);
	unsigned mac = rnd(6);
	m->capture_ns = now;
	m->event_ns = now - (int64_t)rnd(4) * NS - rnd(1000);
	unsigned st = rnd(100);
	m->status = st < 25 ? DP_ACCT_START : st < 65 ? DP_ACCT_INTERIM : st < 92 ? DP_ACCT_STOP
		  : st < 95 ? (rnd(2) ? DP_ACCT_ON : DP_ACCT_OFF) : 9 /* not a session */;
	if (rnd(3) == 0) {
		m->has_session_time = true;
		m->session_time = rnd(4000);
	}
	if (rnd(4) == 0) {
		m->has_cause = true;
		m->cause = 1 + rnd(20);
	}
	m->account.p = accounts[rnd(5)];
	m->account.len = (uint8_t)strlen(m->account.p);
	m->nas_port_id.p = ports[rnd(3)];
	m->nas_port_id.len = (uint8_t)strlen(m->nas_port_id.p);
	m->nas_id.p = nasids[rnd(3)];
	m->nas_id.len = (uint8_t)strlen(m->nas_id.p);
	if (rnd(20) == 0) {
		m->nas_id.p = longtext;
		m->nas_id.len = 253;
	}
	if (rnd(2)) {
		m->has_ipv4 = true;
		m->ipv4[0] = 100;
		m->ipv4[3] = (uint8_t)rnd(4);
	}
	if (rnd(5) == 0) {
		m->has_ipv6_addr = true;
		m->ipv6_addr[0] = 0x20;
		m->ipv6_addr[15] = (uint8_t)rnd(3);
	}
	if (rnd(5) == 0) {
		m->ipv6_prefix.present = true;
		m->ipv6_prefix.plen = 64;
		m->ipv6_prefix.a[7] = (uint8_t)rnd(3);
	}
	if (rnd(3) == 0) {
		m->delegated_prefix.present = true;
		m->delegated_prefix.plen = 56;
		m->delegated_prefix.a[6] = (uint8_t)rnd(3);
	}
	if (rnd(3) == 0) {
		m->has_event_ts = true;
		m->skew_ns = (int64_t)rnd(10000000) - 5000000;
	}
	if (kind < 6) {
		m->source = RT_SRC_RADIUS;
		m->auth = rnd(5) ? RT_AUTH_VERIFIED : RT_AUTH_NO_SECRET;
		m->nas.family = rnd(6) ? 4 : 6;
		m->nas.a[0] = 10;
		m->nas.a[15] = m->nas.family == 6 ? 1 : 0;
		m->nas.a[3] = (uint8_t)(1 + key % 3);
		snprintf(ks->sid, sizeof(ks->sid), "%u", key);
		unsigned c = rnd(4);
		m->calling_number.p = c == 0 ? "" : c == 1 ? "line 1/2/3" : macs[mac];
		m->calling_number.len = (uint8_t)strlen(m->calling_number.p);
		if (rnd(10) == 0)
			m->session_id.len = 0; /* empty Acct-Session-Id */
		else
			m->session_id.len = (uint8_t)strlen(ks->sid);
	} else {
		bool dhcp = kind >= 8;
		m->source = dhcp ? RT_SRC_DHCP : RT_SRC_PPPOE;
		m->auth = RT_AUTH_NONE;
		snprintf(ks->sid, sizeof(ks->sid), "%s:%s:%u", dhcp ? "dhcp" : "pppoe", macs[mac],
			 key % 3);
		m->session_id.len = (uint8_t)strlen(ks->sid);
		m->has_client_mac = true;
		uint8_t b[6];
		rt_mac_parse(macs[mac], (unsigned)strlen(macs[mac]), b);
		memcpy(m->client_mac, b, 6);
		if (dhcp) {
			m->account.len = 0;
			if (rnd(2)) {
				m->has_nas_rec = true;
				m->nas_rec.family = 4;
				m->nas_rec.a[0] = 192;
				m->nas_rec.a[3] = (uint8_t)rnd(3);
			}
			if (m->status != DP_ACCT_STOP && rnd(2)) {
				m->has_expires = true;
				m->expires_ns = now + (int64_t)(60 + rnd(3600)) * NS;
			}
		}
		if (m->status == DP_ACCT_ON || m->status == DP_ACCT_OFF)
			m->status = DP_ACCT_INTERIM;
		m->keepalive = m->status == DP_ACCT_INTERIM && rnd(3) != 0;
		m->event_ns = now;
	}
	m->session_id.p = ks->sid;
}

static void compare_run(uint64_t seed, unsigned nmsg, struct dp_tracker_cfg *cfg)
{
	struct log ln = {0}, lo = {0}, on = {0}, oo = {0};
	dp_tracker *a, *b;
	rng = seed;
	CHECK(dp_tracker_alloc(cfg, log_add, &ln, &a) == 0);
	CHECK(v1_tracker_alloc(cfg, log_add, &lo, &b) == 0);
	int64_t now = T0;
	struct keyspace ks;
	struct dp_acct_msg m;
	for (unsigned i = 0; i < nmsg; i++) {
		unsigned step = rnd(100);
		now += step < 70 ? (int64_t)rnd(30) * NS / 10 : step < 97 ? (int64_t)rnd(600) * NS
									   : (int64_t)rnd(20000) * NS;
		unsigned op = rnd(100);
		int ra, rb;
		if (op < 94) {
			rand_msg(&m, &ks, now);
			ra = dp_tracker_acct(a, &m);
			rb = v1_tracker_acct(b, &m);
		} else if (op < 96) {
			ra = dp_tracker_advance(a, now);
			rb = v1_tracker_advance(b, now);
		} else if (op < 98 && ln.n) {
			/* a session "from the store": resumed as open */
			struct rt_session r = ln.v[rnd((uint32_t)ln.n)];
			r.stop_ns = RT_TIME_NONE;
			r.last_news_ns = rnd(2) ? RT_TIME_NONE : r.start_ns + NS;
			r.flags = (uint8_t)rnd(2);
			ra = dp_tracker_resume(a, &r);
			rb = v1_tracker_resume(b, &r);
		} else if (ln.n) {
			struct rt_session r = ln.v[rnd((uint32_t)ln.n)];
			r.stop_ns += (int64_t)rnd(3) * NS;
			ra = dp_tracker_remember_closed(a, &r);
			rb = v1_tracker_remember_closed(b, &r);
		} else {
			ra = rb = 0;
		}
		if (ra != rb) {
			fprintf(stderr, "seed %llu msg %u: rc %d != %d\n", (unsigned long long)seed, i,
				ra, rb);
			CHECK(0);
			break;
		}
	}
	CHECK(dp_tracker_flush(a, now + 3600 * NS) == 0);
	CHECK(v1_tracker_flush(b, now + 3600 * NS) == 0);
	CHECK(dp_tracker_foreach_open(a, log_add, &on) == 0);
	CHECK(v1_tracker_foreach_open(b, log_add, &oo) == 0);
	CHECK_EQ_I64(ln.n, lo.n);
	for (size_t i = 0; i < ln.n && i < lo.n; i++)
		if (!sess_eq(&ln.v[i], &lo.v[i])) {
			fprintf(stderr, "seed %llu: closed record %zu differs (%.*s)\n",
				(unsigned long long)seed, i, ln.v[i].session_id.len,
				ln.v[i].session_id.v);
			CHECK(0);
			break;
		}
	CHECK_EQ_I64(on.n, oo.n);
	for (size_t i = 0; i < on.n && i < oo.n; i++)
		if (!sess_eq(&on.v[i], &oo.v[i])) {
			fprintf(stderr, "seed %llu: open record %zu differs\n", (unsigned long long)seed,
				i);
			CHECK(0);
			break;
		}
	struct dp_tracker_stats sa, sb;
	dp_tracker_get_stats(a, &sa);
	v1_tracker_get_stats(b, &sb);
	sa.mem_bytes = sb.mem_bytes = 0;
	total.messages += sa.messages;
	total.closed += sa.closed;
	total.duplicates += sa.duplicates;
	total.stop_without_start += sa.stop_without_start;
	total.interim_without_start += sa.interim_without_start;
	total.nas_reboots += sa.nas_reboots;
	total.orphaned += sa.orphaned;
	total.leases_expired += sa.leases_expired;
	total.fused += sa.fused;
	if (memcmp(&sa, &sb, sizeof(sa)) != 0) {
		fprintf(stderr, "seed %llu: counters differ\n", (unsigned long long)seed);
		CHECK(0);
	}
	dp_tracker_free(a);
	v1_tracker_free(b);
	free(ln.v);
	free(lo.v);
	free(on.v);
	free(oo.v);
}

int main(void)
{
	for (unsigned i = 0; i < 253; i++)
		longtext[i] = (char)('a' + i % 26);
	struct dp_tracker_cfg cfg;
	dp_tracker_cfg_default(&cfg);
	for (uint64_t seed = 1; seed <= 300; seed++)
		compare_run(seed, 3000, NULL);
	/* short closed-key memory: pruning while keys come and go */
	cfg.closed_keep_ns = 1800 * NS;
	cfg.orphan_k = 2;
	for (uint64_t seed = 1000; seed < 1100; seed++)
		compare_run(seed, 3000, &cfg);
	fprintf(stderr, "messages %llu closed %llu duplicates %llu stop-alone %llu interim-alone %llu "
		"reboots %llu orphaned %llu leases %llu fused %llu\n",
		(unsigned long long)total.messages, (unsigned long long)total.closed,
		(unsigned long long)total.duplicates, (unsigned long long)total.stop_without_start,
		(unsigned long long)total.interim_without_start,
		(unsigned long long)total.nas_reboots, (unsigned long long)total.orphaned,
		(unsigned long long)total.leases_expired, (unsigned long long)total.fused);
	/* every rule must have been exercised for the comparison to mean much */
	CHECK(total.fused > 100 && total.leases_expired > 100 && total.orphaned > 100 &&
	      total.nas_reboots > 100 && total.stop_without_start > 100 && total.duplicates > 100);
	CHECK_DONE();
}

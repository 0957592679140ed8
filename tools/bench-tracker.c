/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-tracker: memory and speed of the session tracker (issue 7: 10
 * million open sessions within 256 bytes each).  A benchmark, not a test.
 *
 *   bench-tracker [--open N] [--churn C] [--baseline|--no-baseline] [--latency]
 *                 [--seed S]
 *   bench-tracker --checkpoint [--sessions N] [--changed PERMILLE] [--seed S]
 *
 * Opens N sessions with realistic fields (account with realm, 16-hex
 * Acct-Session-Id, calling number a MAC or a ~30-char line id, ~25-char
 * NAS-Port-Id, NAS-Identifier, IPv4, often a delegated /56), sends every
 * one an Interim, then runs C Stop + Start pairs at a steady open count.
 * Prints tracker bytes per open session, from the RSS delta and from the
 * tracker's own accounting (mem_bytes), and Start/Interim/Stop events/s
 * in process CPU time (message generation time, measured alone, subtracted).  The baseline is
 * the previous representation (tools/bench-tracker-v1.c) run the same way
 * in the same process, by default when N <= 2000000 (at 10M it would need
 * ~16 GB); its analytic size is printed always.  Last line: one JSON object.
 *
 * --checkpoint (issue 7: checkpoints in O(changed)): opens N sessions
 * (default 10,000,000), clears the dirty list (a checkpoint), gives
 * PERMILLE/1000 of them (default 10: 1%) a news Interim, then times
 * finding the changed ones: the whole walk (dp_tracker_foreach_open, what
 * checkpoints did: every session unpacked and hashed) against the dirty
 * list (dp_tracker_foreach_dirty, the same visitor on the listed ones,
 * then dp_tracker_clear_dirty), best of 3, CPU time.  Also the tracker's
 * bytes per open session (accounted) with every session listed (after the
 * opens) and after the clear.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "radius.h"
#include "tracker.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)
#define NNAS 200

/* the previous representation (bench-tracker-v1.c) */
int v1_tracker_alloc(const struct dp_tracker_cfg *cfg, dp_tracker_close_fn on_close, void *ctx,
		     dp_tracker **ret);
void v1_tracker_free(dp_tracker *t);
int v1_tracker_acct(dp_tracker *t, const struct dp_acct_msg *m);
void v1_tracker_get_stats(const dp_tracker *t, struct dp_tracker_stats *ret);

struct impl {
	const char *name;
	int (*alloc)(const struct dp_tracker_cfg *, dp_tracker_close_fn, void *, dp_tracker **);
	void (*free)(dp_tracker *);
	int (*acct)(dp_tracker *, const struct dp_acct_msg *);
	void (*stats)(const dp_tracker *, struct dp_tracker_stats *);
};

static const struct impl impl_new = {"compact", dp_tracker_alloc, dp_tracker_free,
				     dp_tracker_acct, dp_tracker_get_stats};
static const struct impl impl_v1 = {"v1", v1_tracker_alloc, v1_tracker_free, v1_tracker_acct,
				    v1_tracker_get_stats};

/* CPU time of this (single-threaded) process, page faults included: the
 * machine may be shared, and wall time would count other processes. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static const char hexd[] = "0123456789abcdef";

static char *put_hex(char *p, uint64_t v, unsigned digits)
{
	for (unsigned i = digits; i-- > 0;) {
		p[i] = hexd[v & 15];
		v >>= 4;
	}
	return p + digits;
}

static char *put_dec(char *p, unsigned v)
{
	char tmp[12];
	unsigned n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

/* One message's texts (the views point here). */
struct gen {
	char sid[16], account[40], calling[48], port[40], nasid[24];
	uint64_t seed;
};

/* Session number k (its key is k; `gen_no` makes ids of reused numbers
 * new).  status, event time. */
static void gen_msg(struct gen *g, struct dp_acct_msg *m, uint64_t k, uint32_t status, int64_t at)
{
	uint64_t r = mix(k ^ g->seed);
	memset(m, 0, sizeof(*m));
	m->status = status;
	m->capture_ns = at;
	m->event_ns = at;
	unsigned nas = (unsigned)(r % NNAS);
	m->nas.family = 4;
	m->nas.a[0] = 10;
	m->nas.a[1] = 1;
	m->nas.a[2] = (uint8_t)(nas >> 8);
	m->nas.a[3] = (uint8_t)nas;
	m->auth = RT_AUTH_VERIFIED;
	m->source = RT_SRC_RADIUS;
	put_hex(g->sid, mix(k + 0x9e3779b97f4a7c15ULL), 16);
	m->session_id.p = g->sid;
	m->session_id.len = 16;
	if (status == DP_ACCT_STOP) {
		m->has_cause = true;
		m->cause = 1;
	}
	/* Interims and Stops repeat the texts, as NASes send them */
	char *p = g->account;
	p = put_str(p, "u");
	p = put_hex(p, r >> 8, 5 + (unsigned)(r >> 60) % 8); /* 12..24 chars total */
	p = put_str(p, (r >> 20) & 1 ? "@isp.example" : "@biz.net");
	m->account.p = g->account;
	m->account.len = (uint8_t)(p - g->account);
	p = g->calling;
	if ((r >> 24) & 1) { /* a MAC */
		uint64_t mac = mix(r) & 0xffffffffffffULL;
		for (unsigned i = 0; i < 6; i++) {
			p = put_hex(p, (mac >> (40 - 8 * i)) & 255, 2);
			if (i < 5)
				*p++ = ':';
		}
	} else { /* a line id */
		p = put_str(p, "olt");
		p = put_dec(p, nas);
		p = put_str(p, ".pop3 xpon 0/");
		p = put_dec(p, (unsigned)(r >> 32) % 16);
		*p++ = '/';
		p = put_dec(p, (unsigned)(r >> 36) % 64);
		*p++ = ':';
		p = put_dec(p, (unsigned)(r >> 40) % 128);
		p = put_str(p, ".1.");
		p = put_dec(p, (unsigned)(k % 4096));
	}
	m->calling_number.p = g->calling;
	m->calling_number.len = (uint8_t)(p - g->calling);
	p = g->port;
	p = put_str(p, "xpon 0/");
	p = put_dec(p, (unsigned)(r >> 32) % 16);
	*p++ = '/';
	p = put_dec(p, (unsigned)(r >> 36) % 64);
	*p++ = ':';
	p = put_dec(p, (unsigned)(r >> 40) % 128);
	p = put_str(p, ".");
	p = put_dec(p, 1000 + (unsigned)(k % 3000));
	p = put_str(p, " vlan");
	m->nas_port_id.p = g->port;
	m->nas_port_id.len = (uint8_t)(p - g->port);
	p = g->nasid;
	p = put_str(p, "bras");
	p = put_dec(p, nas);
	p = put_str(p, ".pop3");
	m->nas_id.p = g->nasid;
	m->nas_id.len = (uint8_t)(p - g->nasid);
	m->has_ipv4 = true;
	memcpy(m->ipv4, &r, 4);
	if ((r >> 48) % 10 < 7) {
		m->delegated_prefix.present = true;
		m->delegated_prefix.plen = 56;
		m->delegated_prefix.a[0] = 0x20;
		m->delegated_prefix.a[1] = 0x01;
		memcpy(m->delegated_prefix.a + 2, &r, 5);
	}
}

static uint64_t closed_count;

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	(void)s;
	closed_count++;
	return 0;
}

/* For the longest single call (a table rebuild is a pause): the wall
 * clock (vDSO, cheap, but counts preemption on a loaded machine), or with
 * --latency this thread's CPU time (a system call per reading: the rates
 * of that run are lower). */
static clockid_t call_clock = CLOCK_MONOTONIC;

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(call_clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct result {
	double mem_rss, mem_acct, mem_rss_steady, mem_acct_steady;
	double start_s, interim_s, stop_s;
	double max_call_ms; /* longest Stop or Start at the steady state */
	int ok;
};

/* Time of `n` generated messages without a tracker (subtracted below). */
static double gen_time(struct gen *g, uint64_t n, uint32_t status)
{
	struct dp_acct_msg m;
	volatile uint8_t sink = 0;
	double t0 = now_s();
	for (uint64_t k = 0; k < n; k++) {
		gen_msg(g, &m, k, status, T0 + (int64_t)k);
		sink ^= m.account.len;
	}
	(void)sink;
	return now_s() - t0;
}

static int run(const struct impl *im, uint64_t n, uint64_t churn, uint64_t seed,
	       struct result *res)
{
	struct gen g = {.seed = seed};
	struct dp_acct_msg m;
	dp_tracker *t;
	struct dp_tracker_stats st;
	memset(res, 0, sizeof(*res));
	/* spread over 1000 s of capture time: no session goes orphan */
	const int64_t step = (int64_t)(1000 * NS / (int64_t)(n + churn));
	double gs = gen_time(&g, n / 10 + 1, DP_ACCT_START) * 10;
	double gi = gen_time(&g, n / 10 + 1, DP_ACCT_INTERIM) * 10;
	double gp = gen_time(&g, n / 10 + 1, DP_ACCT_STOP) * 10;

	long rss0 = rss_bytes();
	int err = im->alloc(NULL, on_close, NULL, &t);
	if (err)
		return err;
	double t0 = now_s();
	for (uint64_t k = 0; k < n; k++) {
		gen_msg(&g, &m, k, DP_ACCT_START, T0 + (int64_t)k * step);
		if ((err = im->acct(t, &m)))
			goto out;
	}
	double dt = now_s() - t0;
	res->start_s = (double)n / (dt - gs > dt * 0.05 ? dt - gs : dt);
	long rss1 = rss_bytes();
	im->stats(t, &st);
	if (st.open_now != n) {
		fprintf(stderr, "%s: %llu open, want %llu\n", im->name,
			(unsigned long long)st.open_now, (unsigned long long)n);
		err = -EPROTO;
		goto out;
	}
	res->mem_rss = (double)(rss1 - rss0) / (double)n;
	res->mem_acct = (double)st.mem_bytes / (double)n;
	fprintf(stdout, "%s: %llu open: %.1f B/session (RSS), %.1f (accounted%s), %.0f start/s\n",
		im->name, (unsigned long long)n, res->mem_rss, res->mem_acct,
		st.mem_bytes ? "" : ": none", res->start_s);

	int64_t base = T0 + 1800 * NS;
	t0 = now_s();
	for (uint64_t k = 0; k < n; k++) {
		gen_msg(&g, &m, k, DP_ACCT_INTERIM, base + (int64_t)k * step);
		if ((err = im->acct(t, &m)))
			goto out;
	}
	dt = now_s() - t0;
	res->interim_s = (double)n / (dt - gi > dt * 0.05 ? dt - gi : dt);
	fprintf(stdout, "%s: %.0f interim/s\n", im->name, res->interim_s);

	/* steady state: the oldest session stops, a new one starts */
	base = T0 + 2000 * NS;
	double tstop = 0, tstart = 0;
	const uint64_t batch = 10000;
	for (uint64_t done = 0; done < churn; done += batch) {
		uint64_t b = churn - done < batch ? churn - done : batch;
		t0 = now_s();
		for (uint64_t j = done; j < done + b; j++) {
			gen_msg(&g, &m, j, DP_ACCT_STOP, base + (int64_t)j * step);
			double w = wall_s();
			if ((err = im->acct(t, &m)))
				goto out;
			w = wall_s() - w;
			if (w * 1e3 > res->max_call_ms)
				res->max_call_ms = w * 1e3;
		}
		double t1 = now_s();
		for (uint64_t j = done; j < done + b; j++) {
			gen_msg(&g, &m, n + j, DP_ACCT_START, base + (int64_t)j * step);
			double w = wall_s();
			if ((err = im->acct(t, &m)))
				goto out;
			w = wall_s() - w;
			if (w * 1e3 > res->max_call_ms)
				res->max_call_ms = w * 1e3;
		}
		tstop += t1 - t0;
		tstart += now_s() - t1;
	}
	if (churn) {
		double gstop = gp * (double)churn / (double)n, gstart = gs * (double)churn / (double)n;
		res->stop_s = (double)churn / (tstop - gstop > tstop * 0.05 ? tstop - gstop : tstop);
		double st_steady = (double)churn /
				   (tstart - gstart > tstart * 0.05 ? tstart - gstart : tstart);
		fprintf(stdout, "%s: steady state %llu stop/s %.0f, start/s %.0f, longest call "
			"%.2f ms (%s)\n", im->name, (unsigned long long)churn, res->stop_s,
			st_steady, res->max_call_ms,
			call_clock == CLOCK_MONOTONIC ? "wall clock" : "thread CPU time");
	}
	long rss2 = rss_bytes();
	im->stats(t, &st);
	if (st.open_now != n || closed_count < churn) {
		fprintf(stderr, "%s: %llu open after churn, want %llu\n", im->name,
			(unsigned long long)st.open_now, (unsigned long long)n);
		err = -EPROTO;
		goto out;
	}
	res->mem_rss_steady = (double)(rss2 - rss0) / (double)n;
	res->mem_acct_steady = (double)st.mem_bytes / (double)n;
	fprintf(stdout, "%s: after churn (%llu closed keys kept): %.1f B/open session (RSS), "
		"%.1f (accounted%s)\n", im->name, (unsigned long long)churn, res->mem_rss_steady,
		res->mem_acct_steady, st.mem_bytes ? "" : ": none");
	res->ok = 1;
out:
	im->free(t);
	closed_count = 0;
	return err;
}

/* ---- --checkpoint ---------------------------------------------------------- */

struct walk {
	uint64_t n;
	uint64_t h; /* what a checkpoint computes per session: a record hash */
};

static uint64_t fnv(uint64_t h, const void *v, size_t n)
{
	const uint8_t *p = v;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int walk_open(void *ctx, const struct rt_session *s)
{
	struct walk *w = ctx;
	uint64_t h = 0xcbf29ce484222325ULL;
	h = fnv(h, s->session_id.v, s->session_id.len);
	h = fnv(h, s->account.v, s->account.len);
	h = fnv(h, s->calling_number.v, s->calling_number.len);
	h = fnv(h, s->nas_port_id.v, s->nas_port_id.len);
	h = fnv(h, &s->nas_ip, sizeof(s->nas_ip));
	h = fnv(h, &s->start_ns, 8);
	h = fnv(h, &s->last_news_ns, 8);
	h = fnv(h, &s->prev_news_ns, 8);
	h = fnv(h, s->ipv4, 4);
	w->h ^= h;
	w->n++;
	return 0;
}

static int walk_dirty(void *ctx, const struct rt_session *s, bool gone)
{
	(void)gone;
	return walk_open(ctx, s);
}

static int checkpoint_bench(uint64_t n, unsigned permille, uint64_t seed)
{
	struct gen g = {.seed = seed};
	struct dp_acct_msg m;
	dp_tracker *t;
	struct dp_tracker_stats st;
	int err = dp_tracker_alloc(NULL, on_close, NULL, &t);
	if (err)
		return err;
	const int64_t step = (int64_t)(1000 * NS / (int64_t)n);
	double t0 = now_s();
	for (uint64_t k = 0; k < n; k++) {
		gen_msg(&g, &m, k, DP_ACCT_START, T0 + (int64_t)k * step);
		if ((err = dp_tracker_acct(t, &m)))
			goto out;
	}
	double open_s = now_s() - t0;
	dp_tracker_get_stats(t, &st);
	double mem_listed = (double)st.mem_bytes / (double)n;
	dp_tracker_clear_dirty(t); /* a checkpoint took them all */
	dp_tracker_get_stats(t, &st);
	double mem_clear = (double)st.mem_bytes / (double)n;
	printf("checkpoint: %llu open in %.1f s; tracker %.1f B/session with all listed, %.1f "
	       "after the clear\n", (unsigned long long)n, open_s, mem_listed, mem_clear);

	/* every (1000/permille)th session gets news */
	uint64_t every = permille ? 1000 / permille : 0, changed = 0;
	int64_t base = T0 + 1800 * NS;
	for (uint64_t k = 0; every && k < n; k += every) {
		gen_msg(&g, &m, k, DP_ACCT_INTERIM, base + (int64_t)k * step);
		if ((err = dp_tracker_acct(t, &m)))
			goto out;
		changed++;
	}
	double full_ms = 1e30, dirty_ms = 1e30, clear_ms;
	struct walk wf = {0}, wd = {0};
	for (int rep = 0; rep < 3; rep++) {
		wf.n = 0;
		t0 = now_s();
		if ((err = dp_tracker_foreach_open(t, walk_open, &wf)))
			goto out;
		double ms = (now_s() - t0) * 1e3;
		if (ms < full_ms)
			full_ms = ms;
		wd.n = 0;
		t0 = now_s();
		if ((err = dp_tracker_foreach_dirty(t, walk_dirty, &wd)))
			goto out;
		ms = (now_s() - t0) * 1e3;
		if (ms < dirty_ms)
			dirty_ms = ms;
	}
	t0 = now_s();
	dp_tracker_clear_dirty(t);
	clear_ms = (now_s() - t0) * 1e3;
	if (wf.n != n || wd.n != changed) {
		fprintf(stderr, "checkpoint: walked %llu (want %llu), listed %llu (want %llu)\n",
			(unsigned long long)wf.n, (unsigned long long)n, (unsigned long long)wd.n,
			(unsigned long long)changed);
		err = -EPROTO;
		goto out;
	}
	printf("checkpoint: %llu changed: whole walk %.1f ms, dirty list %.2f ms + clear %.2f ms "
	       "(%.0fx)\n", (unsigned long long)changed, full_ms, dirty_ms, clear_ms,
	       full_ms / (dirty_ms + clear_ms));
	fflush(stdout);
	printf("{\"open\": %llu, \"changed\": %llu, \"full_walk_ms\": %.2f, \"dirty_ms\": %.3f, "
	       "\"clear_ms\": %.3f, \"speedup\": %.1f, \"bytes_per_open_accounted_listed\": %.1f, "
	       "\"bytes_per_open_accounted_cleared\": %.1f}\n",
	       (unsigned long long)n, (unsigned long long)changed, full_ms, dirty_ms, clear_ms,
	       full_ms / (dirty_ms + clear_ms), mem_listed, mem_clear);
out:
	dp_tracker_free(t);
	return err;
}

/* The old entry: struct sess (two pointers, hash, idx, MAC, lease end and
 * a full struct rt_session), its malloc header, a bucket pointer at load 1,
 * the dense pointer and the deadline. */
static double v1_analytic(void)
{
	size_t sess = 8 + 8 + 8 + 4 + 1 + 6 + 8 + sizeof(struct rt_session);
	sess = (sess + 7) & ~(size_t)7;
	size_t chunk = (sess + 8 + 15) & ~(size_t)15; /* glibc: 8-byte header, 16 aligned */
	return (double)(chunk + 8 + 8 + 8);
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, churn = 0, seed = 7;
	int baseline = -1;
	bool checkpoint = false, n_given = false;
	unsigned permille = 10;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--open") || !strcmp(argv[i], "--sessions")) && i + 1 < argc) {
			n = strtoull(argv[++i], NULL, 10);
			n_given = true;
		} else if (!strcmp(argv[i], "--checkpoint"))
			checkpoint = true;
		else if (!strcmp(argv[i], "--changed") && i + 1 < argc)
			permille = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--churn") && i + 1 < argc)
			churn = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--baseline"))
			baseline = 1;
		else if (!strcmp(argv[i], "--no-baseline"))
			baseline = 0;
		else if (!strcmp(argv[i], "--latency"))
			call_clock = CLOCK_THREAD_CPUTIME_ID;
		else {
			fprintf(stderr, "usage: bench-tracker [--open N] [--churn C] "
					"[--baseline|--no-baseline] [--latency] [--seed S]\n"
					"       bench-tracker --checkpoint [--sessions N] "
					"[--changed PERMILLE] [--seed S]\n");
			return 2;
		}
	}
	if (checkpoint) {
		if (!n_given)
			n = 10000000;
		if (n == 0 || n > 100000000 || permille > 1000) {
			fprintf(stderr, "bench-tracker: --sessions 1..100000000, --changed 0..1000\n");
			return 2;
		}
		int err = checkpoint_bench(n, permille, seed);
		if (err) {
			fprintf(stderr, "bench-tracker: checkpoint: %s\n", strerror(-err));
			return 1;
		}
		return 0;
	}
	if (n == 0 || n > 100000000) {
		fprintf(stderr, "bench-tracker: --open must be 1..100000000\n");
		return 2;
	}
	if (!churn)
		churn = n / 5;
	if (baseline < 0)
		baseline = n <= 2000000;
	struct result r, b = {0};
	int err = run(&impl_new, n, churn, seed, &r);
	if (err) {
		fprintf(stderr, "bench-tracker: compact: %s\n", strerror(-err));
		return 1;
	}
	if (baseline && (err = run(&impl_v1, n, churn, seed, &b))) {
		fprintf(stderr, "bench-tracker: v1: %s\n", strerror(-err));
		return 1;
	}
	double v1a = v1_analytic();
	fflush(stdout);
	printf("{\"open\": %llu, \"churn\": %llu, \"bytes_per_open_rss\": %.1f, "
	       "\"bytes_per_open_accounted\": %.1f, \"bytes_per_open_rss_steady\": %.1f, "
	       "\"bytes_per_open_accounted_steady\": %.1f, \"start_per_s\": %.0f, "
	       "\"interim_per_s\": %.0f, \"stop_per_s\": %.0f, \"max_call_ms\": %.2f, "
	       "\"v1_bytes_per_open_analytic\": %.0f",
	       (unsigned long long)n, (unsigned long long)churn, r.mem_rss, r.mem_acct,
	       r.mem_rss_steady, r.mem_acct_steady, r.start_s, r.interim_s, r.stop_s,
	       r.max_call_ms, v1a);
	if (b.ok)
		printf(", \"v1_bytes_per_open_rss\": %.1f, \"v1_start_per_s\": %.0f, "
		       "\"v1_interim_per_s\": %.0f, \"v1_stop_per_s\": %.0f, \"v1_max_call_ms\": %.2f, "
		       "\"memory_vs_v1\": %.3f, \"start_vs_v1\": %.3f, \"interim_vs_v1\": %.3f, "
		       "\"stop_vs_v1\": %.3f",
		       b.mem_rss_steady, b.start_s, b.interim_s, b.stop_s, b.max_call_ms,
		       r.mem_rss_steady / b.mem_rss_steady, r.start_s / b.start_s,
		       r.interim_s / b.interim_s, r.stop_s / b.stop_s);
	printf(", \"within_256\": %s}\n",
	       r.mem_rss_steady <= 256 && r.mem_acct_steady <= 256 ? "true" : "false");
	return 0;
}

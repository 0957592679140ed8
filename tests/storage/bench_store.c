/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rough benchmark of the store (not a test): N synthetic sessions of one
 * day, put in stop order with a commit every 65536, then random "who had X
 * at T" and account queries.  Prints put+commit rate, bytes per session on
 * disk (segments + catalogue), and query latency percentiles.
 *
 *   bench_store DIR [N=1000000] [block_recs=0 (default)] [queries=100000]
 * BENCH_NO_EXPIRE=1 in the environment keeps the store (no expiry run).
 */
#include "st_test.h"

#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int lat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct rec {
	int64_t start, stop;
	uint8_t ip[4];
	uint32_t acct;
};

static void gen(uint64_t *r, uint64_t i, struct rt_session *s, struct rec *out, int64_t t)
{
	char buf[64];
	uint32_t acct = (uint32_t)t_below(r, 600000);
	int64_t dur = (int64_t)(60 + t_below(r, 8 * 3600)) * T_SEC + (int64_t)t_below(r, T_SEC);
	t_session(s, t - dur, t);
	snprintf(buf, sizeof(buf), "u%07u@isp.example", acct);
	t_text(&s->account, buf);
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)(i * 2654435761u));
	t_text(&s->session_id, buf);
	snprintf(buf, sizeof(buf), "02:1a:%02x:%02x:%02x:%02x", acct >> 24, (acct >> 16) & 255,
		 (acct >> 8) & 255, acct & 255);
	t_text(&s->calling_number, buf);
	s->has_calling_mac = true;
	s->calling_mac[0] = 2;
	s->calling_mac[1] = 0x1a;
	s->calling_mac[5] = (uint8_t)acct;
	unsigned nas = (unsigned)t_below(r, 8);
	s->nas_ip.family = 4;
	s->nas_ip.a[0] = 192;
	s->nas_ip.a[1] = 0;
	s->nas_ip.a[2] = 2;
	s->nas_ip.a[3] = (uint8_t)(nas + 1);
	snprintf(buf, sizeof(buf), "bras-%02u", nas);
	t_text(&s->nas_id, buf);
	snprintf(buf, sizeof(buf), "eth 0/%u/%u:%u", nas, (unsigned)t_below(r, 48),
		 (unsigned)t_below(r, 4000));
	t_text(&s->nas_port_id, buf);
	uint32_t ip = (uint32_t)t_below(r, 1u << 18);
	s->has_ipv4 = true;
	s->ipv4[0] = 100;
	s->ipv4[1] = (uint8_t)(64 + (ip >> 16));
	s->ipv4[2] = (uint8_t)(ip >> 8);
	s->ipv4[3] = (uint8_t)ip;
	if (t_below(r, 2)) {
		s->delegated_prefix.present = true;
		s->delegated_prefix.plen = 56;
		s->delegated_prefix.a[0] = 0x24;
		s->delegated_prefix.a[1] = 0x0e;
		s->delegated_prefix.a[4] = (uint8_t)(acct >> 8);
		s->delegated_prefix.a[5] = (uint8_t)acct;
	}
	s->stop_cause = (uint8_t)(1 + t_below(r, 2) * 10);
	s->sources = RT_SRC_RADIUS | RT_SRC_PPPOE;
	s->auth = RT_AUTH_VERIFIED;
	out->start = s->start_ns;
	out->stop = s->stop_ns;
	memcpy(out->ip, s->ipv4, 4);
	out->acct = acct;
}

static int count_fn(void *ctx, const struct rt_session *s)
{
	(void)s;
	(*(size_t *)ctx)++;
	return 0;
}

static long long file_bytes(const char *dir, const char *name)
{
	char p[4300];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0 ? (long long)sb.st_blocks * 512 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_store DIR [N] [block_recs] [queries]\n");
		return 2;
	}
	const char *dir = argv[1];
	size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	uint32_t brecs = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
	size_t nq = argc > 4 ? strtoull(argv[4], NULL, 10) : 100000;
	struct st_open_opts o = {.block_recs = brecs};
	struct rec *recs = calloc(n, sizeof(*recs));
	struct rt_session *ss = calloc(65536, sizeof(*ss));
	st_store *st;
	uint64_t r = 42;

	t_rmtree(dir);
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));
	/* stops spread over one day, in order */
	int64_t t = T_BASE;
	double gen_s = 0, put_s = 0, commit_s = 0;
	for (size_t done = 0; done < n;) {
		size_t b = n - done < 65536 ? n - done : 65536;
		double t0 = now_s();
		for (size_t i = 0; i < b; i++) {
			t += (int64_t)(T_DAY / (int64_t)n);
			gen(&r, done + i, &ss[i], &recs[done + i], t);
		}
		double t1 = now_s();
		for (size_t i = 0; i < b; i++)
			REQUIRE(st_store_put_closed(st, &ss[i]));
		double t2 = now_s();
		REQUIRE(st_store_commit(st));
		double t3 = now_s();
		gen_s += t1 - t0;
		put_s += t2 - t1;
		commit_s += t3 - t2;
		done += b;
	}
	struct st_stats sst;
	REQUIRE(st_store_stats(st, &sst));
	st_store_close(st);
	long long cat = file_bytes(dir, "catalog.mdb");
	printf("sessions            %zu (block_recs %u)\n", n, brecs ? brecs : 64);
	printf("put                 %.2f s  (%.0f /s)\n", put_s, (double)n / put_s);
	printf("commit              %.2f s\n", commit_s);
	printf("put+commit          %.0f sessions/s\n", (double)n / (put_s + commit_s));
	printf("segments            %llu bytes  %.1f B/session\n",
	       (unsigned long long)sst.bytes_segments, (double)sst.bytes_segments / (double)n);
	printf("catalogue in use    %llu bytes  %.1f B/session (file %lld)\n",
	       (unsigned long long)sst.bytes_catalog, (double)sst.bytes_catalog / (double)n, cat);
	printf("total on disk       %.1f B/session\n",
	       (double)(sst.bytes_segments + sst.bytes_catalog) / (double)n);

	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	double *lat = calloc(nq, sizeof(*lat));
	size_t found = 0, missing = 0;
	double q0 = now_s();
	for (size_t i = 0; i < nq; i++) {
		const struct rec *x = &recs[t_below(&r, n)];
		struct st_query q = {.kind = ST_Q_IPV4_AT,
				     .from_ns = x->start + (x->stop - x->start) / 2};
		memcpy(q.ipv4, x->ip, 4);
		size_t c = 0;
		double a = now_s();
		REQUIRE(st_store_query(st, &q, count_fn, &c));
		lat[i] = now_s() - a;
		found += c;
		missing += c == 0;
	}
	double q1 = now_s();
	qsort(lat, nq, sizeof(*lat), lat_cmp);
	printf("ip-at-T             %zu queries  %.0f q/s  p50 %.1f us  p99 %.1f us  max %.1f us"
	       "  (%.2f rows/query, %zu empty)\n",
	       nq, (double)nq / (q1 - q0), lat[nq / 2] * 1e6, lat[nq * 99 / 100] * 1e6,
	       lat[nq - 1] * 1e6, (double)found / (double)nq, missing);
	size_t na = nq / 10;
	found = 0;
	q0 = now_s();
	for (size_t i = 0; i < na; i++) {
		const struct rec *x = &recs[t_below(&r, n)];
		char buf[64];
		snprintf(buf, sizeof(buf), "u%07u@isp.example", x->acct);
		struct st_query q = {.kind = ST_Q_ACCOUNT, .text = buf,
				     .text_len = (unsigned)strlen(buf), .from_ns = x->start,
				     .to_ns = x->stop};
		size_t c = 0;
		double a = now_s();
		REQUIRE(st_store_query(st, &q, count_fn, &c));
		lat[i] = now_s() - a;
		found += c;
	}
	q1 = now_s();
	qsort(lat, na, sizeof(*lat), lat_cmp);
	printf("account range       %zu queries  %.0f q/s  p50 %.1f us  p99 %.1f us (%.2f rows)\n",
	       na, (double)na / (q1 - q0), lat[na / 2] * 1e6, lat[na * 99 / 100] * 1e6,
	       (double)found / (double)na);
	size_t all = 0;
	q0 = now_s();
	struct st_query qa = {.kind = ST_Q_ALL, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	REQUIRE(st_store_query(st, &qa, count_fn, &all));
	q1 = now_s();
	printf("export (ST_Q_ALL)   %zu rows  %.0f rows/s\n", all, (double)all / (q1 - q0));
	st_store_close(st);

	if (getenv("BENCH_NO_EXPIRE"))
		goto out;
	REQUIRE(st_store_open(dir, ST_OPEN_WRITE, &st));
	struct st_expire_report rep;
	q0 = now_s();
	REQUIRE(st_store_expire(st, T_BASE + 2 * T_DAY + 60 * T_DAY, 60 * T_DAY, &rep));
	q1 = now_s();
	printf("expire whole day    %llu sessions  %.3f s\n",
	       (unsigned long long)rep.sessions_removed, q1 - q0);
	st_store_close(st);
out:
	(void)gen_s;
	free(lat);
	free(recs);
	free(ss);
	return 0;
}

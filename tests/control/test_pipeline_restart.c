/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stops sent again after a restart are stored once (the case of
 * tests/cli/test_exhaustion.py, in seconds): a pipeline stores N sessions
 * from Stops without Start (Acct-Session-Time 60-1059 s, no
 * Acct-Delay-Time), commits and closes; a second pipeline on the same store
 * (which reads the recently closed sessions back: remember_recent() in
 * control/pipeline.c, an ST_Q_ALL query) gets every Stop again, signed
 * under a new Identifier, `late` after the first try of the last one, as
 * radclient retries them.  Every Stop must be accepted (so answered) and
 * the store must hold every session exactly once.  Then a Stop under a
 * reused Acct-Session-Id with another length is a new session.
 *
 *   test_pipeline_restart [TMPDIR]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pipeline.h"
#include "secrets.h"
#include "store.h"

#define SECRET "restart-test-secret"
#define SEC INT64_C(1000000000)
/* 23:58:00Z: the first run's sessions cross a UTC midnight (two days) */
#define T0 (INT64_C(1790035080) * SEC)

static unsigned checks, failures;
#define CHECK(c)                                                                       \
	do {                                                                           \
		checks++;                                                              \
		if (!(c)) {                                                            \
			failures++;                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
		}                                                                      \
	} while (0)

static uint8_t *put_attr(uint8_t *p, uint8_t type, const void *v, size_t n)
{
	p[0] = type;
	p[1] = (uint8_t)(n + 2);
	memcpy(p + 2, v, n);
	return p + 2 + n;
}

static uint8_t *put_u32(uint8_t *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return put_attr(p, type, b, 4);
}

/* The Stop of session i (test_exhaustion.py's shape), signed (RFC 2866
 * section 3), fed at capture time t.  @return the verdict, or -1 */
static int send_stop(ctl_pipeline *p, unsigned i, uint32_t session_time, uint8_t ident,
		     int64_t t)
{
	uint8_t pkt[512], *q = pkt + 20;
	char sid[32], user[64];
	const uint8_t nas[4] = {127, 0, 0, 1};
	snprintf(sid, sizeof(sid), "map-%u", i);
	snprintf(user, sizeof(user), "map%u-k3v9q0w1e8r2t7y4u6i5o0p@isp", i);
	q = put_u32(q, 40, 2); /* Acct-Status-Type Stop */
	q = put_attr(q, 44, sid, strlen(sid));
	q = put_attr(q, 1, user, strlen(user));
	q = put_attr(q, 4, nas, 4);
	q = put_attr(q, 31, "86123456789", 11);
	const uint8_t ip[4] = {100, (uint8_t)(64 + i / 62500 % 64), (uint8_t)(i / 250 % 250),
			       (uint8_t)(i % 250 + 1)};
	q = put_attr(q, 8, ip, 4);
	q = put_u32(q, 46, session_time);
	q = put_u32(q, 49, 1); /* User-Request */
	size_t len = (size_t)(q - pkt);
	pkt[0] = 4;
	pkt[1] = ident;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	uint8_t buf[sizeof(pkt) + sizeof(SECRET)];
	unsigned mdlen = 0;
	memset(pkt + 4, 0, 16);
	memcpy(buf, pkt, len);
	memcpy(buf + len, SECRET, strlen(SECRET));
	if (!EVP_Digest(buf, len + strlen(SECRET), pkt + 4, &mdlen, EVP_md5(), NULL))
		return -1;
	const struct rt_addr src = {.family = 4, .a = {127, 0, 0, 1}};
	struct dp_radius_result res;
	int rc = ctl_pipeline_radius(p, &src, (uint16_t)(40000 + ident % 8), pkt, len, t, &res);
	if (rc) {
		fprintf(stderr, "map-%u: %s\n", i, st_strerror(rc));
		return -1;
	}
	return (int)res.verdict;
}

static uint32_t len_of(unsigned i)
{
	return 60 + i % 1000;
}

static ctl_pipeline *open_pipeline(const char *dir, const dp_secrets *secrets)
{
	struct ctl_pipeline_opts o;
	ctl_pipeline_opts_default(&o);
	o.store_dir = dir;
	o.secrets = secrets;
	o.commit_every = 4096;
	ctl_pipeline *p = NULL;
	char err[256];
	if (ctl_pipeline_open(&o, &p, err, sizeof(err))) {
		fprintf(stderr, "open %s: %s\n", dir, err);
		return NULL;
	}
	return p;
}

struct count {
	unsigned n, max;
	uint8_t *seen; /* times each map-i is stored */
	unsigned twice, other;
};

static int count_one(void *ctx, const struct rt_session *s)
{
	struct count *c = ctx;
	c->n++;
	char sid[RT_TEXT_MAX + 1];
	memcpy(sid, s->session_id.v, s->session_id.len);
	sid[s->session_id.len] = 0;
	unsigned i;
	char tail;
	if (sscanf(sid, "map-%u%c", &i, &tail) != 1 || i >= c->max) {
		c->other++;
		return 0;
	}
	if (c->seen[i]++ == 1)
		c->twice++;
	return 0;
}

/* Every session stored once; `extra` sessions of other keys. */
static void check_store(ctl_pipeline *p, unsigned n, unsigned extra_twice)
{
	struct count c = {0, n, calloc(n, 1), 0, 0};
	CHECK(c.seen != NULL);
	if (!c.seen)
		return;
	struct st_query q;
	memset(&q, 0, sizeof(q));
	q.kind = ST_Q_ALL;
	q.from_ns = INT64_MIN;
	q.to_ns = INT64_MAX;
	CHECK(st_store_query(ctl_pipeline_store(p), &q, count_one, &c) == 0);
	unsigned missing = 0, shown = 0;
	for (unsigned i = 0; i < n; i++) {
		missing += c.seen[i] == 0;
		if (c.seen[i] > 1 && c.twice != extra_twice && shown++ < 3)
			fprintf(stderr, "map-%u stored %u times\n", i, c.seen[i]);
	}
	if (c.twice != extra_twice || missing || c.other)
		fprintf(stderr, "%u stored, %u twice (want %u), %u missing, %u others\n", c.n,
			c.twice, extra_twice, missing, c.other);
	CHECK(c.twice == extra_twice);
	CHECK(missing == 0);
	CHECK(c.other == 0);
	CHECK(c.n == n + extra_twice);
	free(c.seen);
}

struct run_case {
	const char *name;
	unsigned n;
	int64_t every_ns; /* between two first tries */
	int64_t late_ns;  /* the retries, after the first try of the last */
};

static const struct run_case run_cases[] = {
	{"2400, 2 s late", 2400, 10 * SEC / 1000, 2 * SEC},
	/* the first ones are retried long after their Acct-Session-Time */
	{"35000, 10 min late", 35000, 10 * SEC / 1000, 600 * SEC},
};

static void run(const char *root, unsigned k, const struct run_case *rc, const dp_secrets *secrets)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/store-%u", root, k);
	ctl_pipeline *p = open_pipeline(dir, secrets);
	CHECK(p != NULL);
	if (!p)
		return;
	unsigned bad = 0;
	const int64_t last = T0 + (int64_t)(rc->n - 1) * rc->every_ns;
	for (unsigned i = 0; i < rc->n; i++)
		bad += send_stop(p, i, len_of(i), (uint8_t)i, T0 + (int64_t)i * rc->every_ns) !=
		       DP_V_ACCEPTED;
	CHECK(bad == 0);
	CHECK(ctl_pipeline_commit(p, true) == 0);
	ctl_pipeline_close(p);

	/* restarted: every Stop again, under another Identifier */
	p = open_pipeline(dir, secrets);
	CHECK(p != NULL);
	if (!p)
		return;
	bad = 0;
	for (unsigned i = 0; i < rc->n; i++)
		bad += send_stop(p, i, len_of(i), (uint8_t)(i + 101),
				 last + rc->late_ns + (int64_t)i * SEC / 1000) != DP_V_ACCEPTED;
	CHECK(bad == 0);
	CHECK(ctl_pipeline_commit(p, true) == 0);
	struct ctl_pipeline_stats ps;
	ctl_pipeline_get_stats(p, &ps);
	if (ps.t.duplicates != rc->n)
		fprintf(stderr, "[%s] %llu of %u recognised\n", rc->name,
			(unsigned long long)ps.t.duplicates, rc->n);
	CHECK(ps.t.duplicates == rc->n);
	check_store(p, rc->n, 0);

	/* map-0 again under a reused id with another length: a new session */
	CHECK(send_stop(p, 0, len_of(0) + 30, 7, last + rc->late_ns + 3600 * SEC) ==
	      DP_V_ACCEPTED);
	CHECK(ctl_pipeline_commit(p, true) == 0);
	check_store(p, rc->n, 1);
	ctl_pipeline_close(p);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int main(int argc, char **argv)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/pipeline-restart-XXXXXX", argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	static const char sec[] = "127.0.0.1 " SECRET "\n";
	dp_secrets *secrets = NULL;
	char err[256];
	if (dp_secrets_parse(sec, strlen(sec), &secrets, err, sizeof(err))) {
		fprintf(stderr, "secrets: %s\n", err);
		return 1;
	}
	for (unsigned k = 0; k < sizeof(run_cases) / sizeof(run_cases[0]); k++)
		run(root, k, &run_cases[k], secrets);
	dp_secrets_free(secrets);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("%u checks, %u failures\n", checks, failures);
	return failures ? 1 : 0;
}

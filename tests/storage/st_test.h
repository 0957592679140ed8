/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the storage tests: a check macro that prints file:line
 * and st_strerror(), a fixed-seed generator of sessions, temporary store
 * directories, and result collection.
 */
#ifndef ST_TEST_H
#define ST_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "store.h"

static unsigned t_checks, t_failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		t_checks++;                                                           \
		if (!(cond)) {                                                        \
			t_failures++;                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
		}                                                                     \
	} while (0)

#define CHECK_RC(expr, want)                                                          \
	do {                                                                          \
		int rc_ = (expr);                                                     \
		int want_ = (want);                                                   \
		t_checks++;                                                           \
		if (rc_ != want_) {                                                   \
			t_failures++;                                                 \
			fprintf(stderr, "%s:%d: %s = %d (%s), want %d (%s)\n", __FILE__, \
				__LINE__, #expr, rc_, st_strerror(rc_), want_,        \
				st_strerror(want_));                                  \
		}                                                                     \
	} while (0)

#define OK(expr) CHECK_RC(expr, 0)

/* Fatal setup failure: no point going on. */
#define REQUIRE(expr)                                                                 \
	do {                                                                          \
		int rc_ = (expr);                                                     \
		if (rc_ != 0) {                                                       \
			fprintf(stderr, "%s:%d: %s = %d (%s): giving up\n", __FILE__,  \
				__LINE__, #expr, rc_, st_strerror(rc_));              \
			exit(1);                                                      \
		}                                                                     \
	} while (0)

/* ---- fixed-seed generator ---------------------------------------------------- */

static inline uint64_t t_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t t_below(uint64_t *s, uint64_t n)
{
	return n ? t_rand(s) % n : 0;
}

#define T_SEC INT64_C(1000000000)
#define T_DAY (86400 * T_SEC)
/* 2026-10-01T00:00:00Z */
#define T_BASE (INT64_C(1790812800) * T_SEC)

/* Like rt_text_set() (dataplane/), which these tests do not link. */
static inline void t_setn(struct rt_text *t, const void *v, unsigned len)
{
	if (len > RT_TEXT_MAX)
		len = RT_TEXT_MAX;
	memset(t, 0, sizeof(*t));
	t->len = (uint8_t)len;
	if (len)
		memcpy(t->v, v, len);
}

static inline void t_text(struct rt_text *t, const char *s)
{
	t_setn(t, s, (unsigned)strlen(s));
}

/* A fully zeroed session with the given times (tracker times absent). */
static inline void t_session(struct rt_session *s, int64_t start, int64_t stop)
{
	memset(s, 0, sizeof(*s));
	s->start_ns = start;
	s->stop_ns = stop;
	s->last_news_ns = RT_TIME_NONE;
	s->prev_news_ns = RT_TIME_NONE;
}

/* ---- temporary directories --------------------------------------------------- */

static char t_root[4096];

static inline void t_root_init(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	snprintf(t_root, sizeof(t_root), "%s/st-test-XXXXXX", base);
	if (!mkdtemp(t_root)) {
		perror("mkdtemp");
		exit(1);
	}
}

static inline void t_path(char *buf, size_t n, const char *name)
{
	int len = snprintf(buf, n, "%s/%s", t_root, name);
	if (len < 0 || (size_t)len >= n) {
		fprintf(stderr, "t_path: %s/%s is too long\n", t_root, name);
		exit(1);
	}
}

static int t_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void t_rmtree(const char *p)
{
	nftw(p, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- result collection ------------------------------------------------------- */

struct t_rows {
	struct rt_session *v;
	size_t n, cap;
};

static inline int t_collect(void *ctx, const struct rt_session *s)
{
	struct t_rows *r = ctx;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 64;
		struct rt_session *nv = realloc(r->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		r->v = nv;
		r->cap = nc;
	}
	r->v[r->n++] = *s;
	return 0;
}

static inline void t_rows_free(struct t_rows *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static inline int t_sess_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rt_session));
}

/* Same multiset of sessions? (sorts both) */
static inline bool t_same_set(struct rt_session *a, size_t na, struct rt_session *b, size_t nb)
{
	if (na != nb)
		return false;
	if (na > 1) {
		qsort(a, na, sizeof(*a), t_sess_cmp);
		qsort(b, nb, sizeof(*b), t_sess_cmp);
	}
	return na == 0 || memcmp(a, b, na * sizeof(*a)) == 0;
}

static inline int t_query(st_store *st, const struct st_query *q, struct t_rows *out)
{
	out->n = 0;
	return st_store_query(st, q, t_collect, out);
}

static inline int t_ip_at(st_store *st, const uint8_t ip[4], int64_t t, struct t_rows *out)
{
	struct st_query q = {.kind = ST_Q_IPV4_AT, .from_ns = t};
	memcpy(q.ipv4, ip, 4);
	return t_query(st, &q, out);
}

static inline int t_all(st_store *st, struct t_rows *out)
{
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	return t_query(st, &q, out);
}

static inline int t_finish(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, t_checks, t_failures);
	printf("%u passed, %u failed\n", t_checks - t_failures, t_failures);
	return t_failures ? 1 : 0;
}

#endif /* ST_TEST_H */

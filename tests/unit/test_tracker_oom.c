/* Tracker: an allocation that fails (-ENOMEM) leaves every open session
 * intact, and the failed message can be fed again (tracker.h: "A failed
 * call changes no session").  Allocations are failed on purpose through
 * the linker's --wrap of malloc/calloc/realloc (tests/unit/meson.build), so
 * this works under the sanitizers too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "radius.h"
#include "tracker.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

/* fail the `fail_nth` (1-based) allocation of exactly `fail_size` bytes */
static size_t fail_size;
static unsigned fail_nth, seen, failed;

static bool fail_now(size_t n)
{
	if (!fail_nth || n != fail_size)
		return false;
	if (++seen != fail_nth)
		return false;
	failed++;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return fail_now(n) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return fail_now(k * n) ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now(n) ? NULL : __real_realloc(p, n);
}

struct oom_case {
	const char *name;
	size_t size;     /* bytes of the allocation to fail */
	unsigned nth;    /* which one of that size */
	unsigned nsess;  /* sessions opened */
};

/* 65536: a blob slab chunk; 1024: the slab chunk directory growing from
 * 64 to 128 chunks; 32: the record and deadline chunk directories (4
 * chunks); 4 MiB: a record chunk; 8192: the key index doubling to 2048
 * buckets */
static const struct oom_case cases[] = {
	{"slab-chunk-2", 65536, 2, 600},
	{"slab-chunk-3", 65536, 3, 600},
	{"slab-chunk-7", 65536, 7, 2000},
	{"slab-dir-grow", 1024, 1, 20000},
	{"rec-dir-grow", 32, 1, 100},
	{"deadline-dir-grow", 32, 2, 100},
	{"rec-chunk", 64u * 65536u, 1, 100},
	{"key-index-double", 8192, 1, 3000},
};

/* Session n: its account and port texts, of lengths that walk through
 * every blob size class. */
static void texts(unsigned n, char *sid, char *acct, unsigned *alen, char *port, unsigned *plen)
{
	snprintf(sid, 16, "s%u", n);
	*alen = (n * 37u) % (RT_TEXT_MAX + 1);
	*plen = (n * 101u + 7u) % (RT_TEXT_MAX + 1);
	for (unsigned i = 0; i < *alen; i++)
		acct[i] = (char)('a' + (n + i) % 26);
	for (unsigned i = 0; i < *plen; i++)
		port[i] = (char)('A' + (n * 3 + i) % 26);
}

static struct dp_acct_msg start(unsigned n, char *sid, char *acct, char *port)
{
	struct dp_acct_msg m;
	unsigned alen, plen;
	texts(n, sid, acct, &alen, port, &plen);
	memset(&m, 0, sizeof(m));
	m.status = DP_ACCT_START;
	m.capture_ns = T0 + (int64_t)n * 1000;
	m.event_ns = m.capture_ns;
	m.nas.family = 4;
	m.nas.a[0] = 10;
	m.nas.a[3] = 1;
	m.auth = RT_AUTH_VERIFIED;
	m.source = RT_SRC_RADIUS;
	m.session_id.p = sid;
	m.session_id.len = (uint8_t)strlen(sid);
	m.account.p = acct;
	m.account.len = (uint8_t)alen;
	m.nas_port_id.p = port;
	m.nas_port_id.len = (uint8_t)plen;
	return m;
}

static unsigned nbad, nvisited;

static int verify(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	char sid[16], acct[RT_TEXT_MAX], port[RT_TEXT_MAX];
	unsigned n, alen, plen;
	nvisited++;
	if (sscanf(s->session_id.v, "s%u", &n) != 1) {
		nbad++;
		return 0;
	}
	texts(n, sid, acct, &alen, port, &plen);
	if (s->session_id.len != strlen(sid) || memcmp(s->session_id.v, sid, strlen(sid)) ||
	    s->account.len != alen || memcmp(s->account.v, acct, alen) ||
	    s->nas_port_id.len != plen || memcmp(s->nas_port_id.v, port, plen))
		nbad++;
	return 0;
}

static uint64_t run(const struct oom_case *c, bool inject)
{
	dp_tracker *t;
	char sid[16], acct[RT_TEXT_MAX], port[RT_TEXT_MAX];
	unsigned enomem = 0;

	fail_nth = 0;
	if (dp_tracker_alloc(NULL, NULL, NULL, &t))
		abort();
	fail_size = c->size;
	fail_nth = inject ? c->nth : 0;
	seen = failed = 0;
	for (unsigned n = 0; n < c->nsess; n++) {
		struct dp_acct_msg m = start(n, sid, acct, port);
		int err = dp_tracker_acct(t, &m);
		if (err == -ENOMEM) {
			enomem++;
			err = dp_tracker_acct(t, &m); /* fed again: taken now */
		}
		if (err) {
			fprintf(stderr, "[%s] session %u: %d\n", c->name, n, err);
			check_failures++;
		}
	}
	fail_nth = 0;
	if (failed != inject || enomem != inject) {
		fprintf(stderr, "[%s] %u allocation(s) failed, %u -ENOMEM\n", c->name, failed,
			enomem);
		check_failures++;
	}
	struct dp_tracker_stats st;
	dp_tracker_get_stats(t, &st);
	nbad = nvisited = 0;
	CHECK(dp_tracker_foreach_open(t, verify, NULL) == 0);
	if (st.open_now != c->nsess || nvisited != c->nsess || nbad) {
		fprintf(stderr, "[%s] open %llu visited %u of %u, %u corrupted\n", c->name,
			(unsigned long long)st.open_now, nvisited, c->nsess, nbad);
		check_failures++;
	}
	dp_tracker_free(t);
	return st.mem_bytes;
}

/* argv[1]: run only the case of that name */
int main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
			uint64_t base = run(&cases[i], false), mem = run(&cases[i], true);
			/* the same memory as without the failure: mem_bytes
			 * stays true across the error path */
			if (mem != base) {
				fprintf(stderr, "[%s] mem_bytes %llu, %llu without the failure\n",
					cases[i].name, (unsigned long long)mem,
					(unsigned long long)base);
				check_failures++;
			}
		}
	CHECK_DONE();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * st_kvsort (storage/kvsort.h) against LMDB's default order: a table of
 * keys in their known order (prefix padding, the 12-byte prefix boundary,
 * data as tie-break), then generated batches, each checked against a plain
 * qsort with a memcmp comparator written here, and that the offsets come
 * back as a permutation.  Fixed seeds.
 */
#include "kvsort.h"
#include "st_test.h" /* CHECK */

/* A pending list as store.c lays it out: le16 klen | le16 dlen | key | data. */
struct list {
	uint8_t *arena;
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
};

static void l_add(struct list *l, const uint8_t *k, size_t kl, const uint8_t *d, size_t dl)
{
	if (l->len + 4 + kl + dl > l->cap) {
		l->cap = (l->cap + 4 + kl + dl) * 2;
		l->arena = realloc(l->arena, l->cap);
	}
	if (l->n == l->ncap) {
		l->ncap = l->ncap ? l->ncap * 2 : 64;
		l->off = realloc(l->off, l->ncap * sizeof(*l->off));
	}
	if (!l->arena || !l->off) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	uint8_t *p = l->arena + l->len;
	p[0] = (uint8_t)kl;
	p[1] = (uint8_t)(kl >> 8);
	p[2] = (uint8_t)dl;
	p[3] = (uint8_t)(dl >> 8);
	memcpy(p + 4, k, kl);
	if (dl)
		memcpy(p + 4 + kl, d, dl);
	l->off[l->n++] = l->len;
	l->len += 4 + kl + dl;
}

static void l_free(struct list *l)
{
	free(l->arena);
	free(l->off);
	memset(l, 0, sizeof(*l));
}

static size_t e_len(const uint8_t *e)
{
	return 4 + ((size_t)e[0] | (size_t)e[1] << 8) + ((size_t)e[2] | (size_t)e[3] << 8);
}

/* The reference: LMDB's mdb_cmp_memn on the key, then on the data. */
static int ref_memn(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

static int ref_cmp(const void *x, const void *y, void *arg)
{
	const uint8_t *ar = arg;
	const uint8_t *p = ar + *(const size_t *)x, *q = ar + *(const size_t *)y;
	size_t pk = (size_t)p[0] | (size_t)p[1] << 8, qk = (size_t)q[0] | (size_t)q[1] << 8;
	int c = ref_memn(p + 4, pk, q + 4, qk);
	if (c)
		return c;
	return ref_memn(p + 4 + pk, (size_t)p[2] | (size_t)p[3] << 8, q + 4 + qk,
			(size_t)q[2] | (size_t)q[3] << 8);
}

static int size_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? -1 : a > b;
}

/* Sort l with st_kvsort (scratch s) and check it against the reference. */
static bool sort_check(struct list *l, struct st_kvsort *s, const char *name)
{
	size_t *want = malloc((l->n + 1) * sizeof(*want));
	size_t *a = malloc((l->n + 1) * sizeof(*a)), *b = malloc((l->n + 1) * sizeof(*b));
	if (!want || !a || !b) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	if (l->n) /* an empty list has no arrays */
		memcpy(want, l->off, l->n * sizeof(*want));
	qsort_r(want, l->n, sizeof(*want), ref_cmp, l->arena);
	unsigned f0 = t_failures;
	CHECK(st_kvsort(l->arena, l->off, l->n, s) == 0);
	/* same entries, in the same order (equal entries are interchangeable) */
	bool same = true;
	for (size_t i = 0; i < l->n && same; i++) {
		const uint8_t *p = l->arena + l->off[i], *q = l->arena + want[i];
		same = e_len(p) == e_len(q) && memcmp(p, q, e_len(p)) == 0;
	}
	CHECK(same);
	/* a permutation of the offsets */
	if (l->n) {
		memcpy(a, l->off, l->n * sizeof(*a));
		memcpy(b, want, l->n * sizeof(*b));
	}
	qsort(a, l->n, sizeof(*a), size_cmp);
	qsort(b, l->n, sizeof(*b), size_cmp);
	CHECK(l->n == 0 || memcmp(a, b, l->n * sizeof(*a)) == 0);
	free(want);
	free(a);
	free(b);
	if (t_failures != f0)
		fprintf(stderr, "  case: %s (%zu entries)\n", name, l->n);
	return t_failures == f0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2)
		out[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
	return n;
}

/*
 * Entries in LMDB order: "key" or "key/data" in hex.  Each case is put in
 * reversed and in interleaved order and must come back as listed.
 */
static const char *const ordered[][12] = {
	/* zero padding: a shorter key first, the same bytes then zeros after */
	{"", "00", "0000", "61", "6162", "616200", "61620000", "616200000000000000000000",
	 "61620000000000000000000000", "6163", "ff", NULL},
	/* the 12-byte prefix boundary: equal prefixes, the rest decides */
	{"6401020300000000000000ff", "6401020300000000000000ff00",
	 "6401020300000000000000ff0001", "6401020300000000000000ff01",
	 "6401020300000000000000ff0100000000", "6401020300000000000000ff02", NULL},
	/* one byte apart at each position of the prefix */
	{"000000000000000000000000", "000000000000000000000001", "000000000000000000000100",
	 "000000000000000001000000", "000000000000000100000000", "000000000000010000000000",
	 "000000000100000000000000", "000001000000000000000000", "010000000000000000000000",
	 "800000000000000000000000", NULL},
	/* equal keys: data decides, LMDB's order again */
	{"0a0b/", "0a0b/00", "0a0b/0000", "0a0b/01", "0a0b00/", "0a0c/", NULL},
	/* index-key shaped: ipv4 | be64 start | ref */
	{"640000018000000000000001030004", "640000018000000000000001030104",
	 "640000018000000000000002030004", "6400000180000001000000000300", "640000028000000000000000030004",
	 NULL},
};

static void add_hex(struct list *l, const char *h)
{
	uint8_t k[64], d[64];
	const char *slash = strchr(h, '/');
	char kh[130];
	size_t kl, dl = 0;
	if (slash) {
		memcpy(kh, h, (size_t)(slash - h));
		kh[slash - h] = 0;
		kl = unhex(kh, k);
		dl = unhex(slash + 1, d);
	} else {
		kl = unhex(h, k);
	}
	l_add(l, k, kl, d, dl);
}

static void test_table(struct st_kvsort *s)
{
	for (size_t c = 0; c < sizeof(ordered) / sizeof(ordered[0]); c++) {
		size_t m = 0;
		while (ordered[c][m])
			m++;
		for (unsigned way = 0; way < 2; way++) {
			struct list l = {0};
			for (size_t i = 0; i < m; i++) {
				/* way 0: reversed; way 1: odd positions, then even */
				size_t j = way == 0 ? m - 1 - i
					  : i < m / 2 ? 2 * i + 1 : 2 * (i - m / 2);
				add_hex(&l, ordered[c][j]);
			}
			CHECK(st_kvsort(l.arena, l.off, l.n, s) == 0);
			for (size_t i = 0; i < m; i++) {
				struct list one = {0};
				add_hex(&one, ordered[c][i]);
				const uint8_t *p = l.arena + l.off[i];
				bool ok = e_len(p) == one.len && memcmp(p, one.arena, one.len) == 0;
				CHECK(ok);
				if (!ok)
					fprintf(stderr, "  table %zu way %u: position %zu is not %s\n",
						c, way, i, ordered[c][i]);
				l_free(&one);
			}
			l_free(&l);
		}
	}
}

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

enum gen_kind {
	G_IPV4,     /* ipv4 | start | ref of one batch: the writer's common case */
	G_TEXT,     /* len | account text | start | ref, accounts reused */
	G_SMALL,    /* bytes from {00, 01, ff}, lengths 0..20: padding and ties */
	G_RUN,      /* one value and start, refs differ: a run longer than the
		     * insertion threshold */
	G_SAME,     /* identical entries */
	G_DATA,     /* few keys, data differs */
	G_SORTED,   /* already in order */
	G_REVERSED, /* in reverse order */
};

static const struct gen_case {
	const char *name;
	enum gen_kind kind;
	size_t n;
} gen_cases[] = {
	{"empty", G_IPV4, 0},
	{"one", G_IPV4, 1},
	{"two", G_SMALL, 2},
	{"ipv4 batch", G_IPV4, 70000},
	{"text batch", G_TEXT, 20000},
	{"small alphabet", G_SMALL, 5000},
	{"long run", G_RUN, 3000},
	{"run of 17", G_RUN, 17},
	{"identical", G_SAME, 500},
	{"data ties", G_DATA, 4000},
	{"sorted", G_SORTED, 3000},
	{"reversed", G_REVERSED, 3000},
};

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return 8;
}

static void gen_list(struct list *l, const struct gen_case *g)
{
	uint8_t k[128], d[8];
	uint64_t t0 = UINT64_C(0x9bb8000000000000);
	for (size_t i = 0; i < g->n; i++) {
		size_t kl = 0, dl = 0;
		uint64_t a = rnd();
		switch (g->kind) {
		case G_IPV4:
			k[kl++] = 100;
			k[kl++] = (uint8_t)(64 + (a >> 16) % 4);
			k[kl++] = (uint8_t)(a >> 8);
			k[kl++] = (uint8_t)a;
			kl += put_be64(k + kl, t0 + i * 80000000u + a % 1000);
			kl += put_varint(k + kl, a % 14400000000000u);
			kl += put_varint(k + kl, i / 64);
			kl += put_varint(k + kl, (i % 64) << 1);
			break;
		case G_TEXT:
			kl = 1 + (size_t)snprintf((char *)k + 1, 40, "u%07u@isp",
						  (unsigned)(a % 3000));
			k[0] = (uint8_t)(kl - 1);
			kl += put_be64(k + kl, t0 + (a >> 32) % 100000);
			kl += put_varint(k + kl, i);
			break;
		case G_SMALL: {
			static const uint8_t alpha[3] = {0x00, 0x01, 0xff};
			kl = (size_t)(a % 21);
			for (size_t j = 0; j < kl; j++)
				k[j] = alpha[rnd() % 3];
			break;
		}
		case G_RUN:
			memcpy(k, "\144\1\2\3", 4);
			kl = 4 + put_be64(k + 4, t0);
			kl += put_varint(k + kl, a % 5000);
			kl += put_varint(k + kl, a % 7);
			break;
		case G_SAME:
			memcpy(k, "same key", 8);
			kl = 8;
			break;
		case G_DATA:
			k[0] = (uint8_t)(a % 3);
			kl = 1 + (size_t)(a >> 8) % 14;
			memset(k + 1, 0, kl - 1);
			dl = (size_t)(a >> 16) % 5;
			for (size_t j = 0; j < dl; j++)
				d[j] = (uint8_t)(rnd() % 3);
			break;
		case G_SORTED:
		case G_REVERSED: {
			uint64_t v = g->kind == G_SORTED ? i : g->n - i;
			kl = put_be64(k, v * 7919) + put_be64(k + 8, v);
			break;
		}
		}
		l_add(l, k, kl, d, dl);
	}
}

static void test_generated(struct st_kvsort *s)
{
	for (unsigned round = 0; round < 2; round++) {
		rng = UINT64_C(0x2545f4914f6cdd1d) + round;
		for (size_t c = 0; c < sizeof(gen_cases) / sizeof(gen_cases[0]); c++) {
			struct list l = {0};
			gen_list(&l, &gen_cases[c]);
			sort_check(&l, s, gen_cases[c].name);
			l_free(&l);
		}
	}
}

int main(void)
{
	/* one scratch for all: it grows and is reused as the writer's is */
	struct st_kvsort s = {0};
	test_table(&s);
	test_generated(&s);
	st_kvsort_done(&s);
	st_kvsort_done(&s); /* twice, and on NULL: fine */
	st_kvsort_done(NULL);
	/* a fresh scratch per sort */
	rng = 7;
	struct list l = {0};
	gen_list(&l, &gen_cases[3]);
	struct st_kvsort s2 = {0};
	sort_check(&l, &s2, "fresh scratch");
	st_kvsort_done(&s2);
	l_free(&l);
	printf("%u checks, %u failures\n", t_checks, t_failures);
	printf("%u passed, %u failed\n", t_checks - t_failures, t_failures);
	return t_failures ? 1 : 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encrypted sealed segments (storage/segbox.h) and the store wired to a
 * keyring (st_open_opts.keys): box layout round trips at chunk edges, every
 * tampering (flipped byte, box dropped, boxes swapped, another day, mixed
 * keys, trailing bytes) rejected with its code; a store sealed with keys
 * has the unencrypted store's seals and answers; without the key reads
 * fail with -ENOKEY naming the key id, verify reports ST_V_NOKEY; the
 * decrypted-segment cache stays within its byte bound; st_store_rekey.
 * Fixed seeds; argv[1] is the directory for temporary stores.
 */
#include "st_test.h"

#include <fcntl.h>

#include "crypt.h"
#include "segbox.h"
#include "store_int.h"

#define K1 "0101010101010101010101010101010101010101010101010101010101010101"
#define K2 "f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2"
#define K1X "0101010101010101010101010101010101010101010101010101010101010100"

static st_keyring *ring(const char *text)
{
	st_keyring *k = NULL;
	char err[160];
	REQUIRE(st_keyring_parse(text, strlen(text), &k, err, sizeof(err)));
	return k;
}

/* ---- the box layout ---------------------------------------------------------- */

enum tamper { T_NONE, T_FLIP, T_DROP_LAST, T_SWAP, T_OTHER_DAY, T_TRAIL, T_CUT, T_NOKEYS,
	      T_OTHER_RING, T_WRONG_KEY, T_MIXED };

static const struct {
	const char *name;
	size_t n;        /* plaintext bytes */
	enum tamper t;
	int want;        /* st_segbox_open */
} box_cases[] = {
	{"one byte", 1, T_NONE, 0},
	{"small", 5000, T_NONE, 0},
	{"chunk - 1", ST_SEGBOX_CHUNK - 1, T_NONE, 0},
	{"chunk", ST_SEGBOX_CHUNK, T_NONE, 0},
	{"chunk + 1", ST_SEGBOX_CHUNK + 1, T_NONE, 0},
	{"two chunks + 5", 2 * ST_SEGBOX_CHUNK + 5, T_NONE, 0},
	{"flipped byte", 5000, T_FLIP, -EBADMSG},
	{"flipped byte, 2nd box", ST_SEGBOX_CHUNK + 100, T_FLIP, -EBADMSG},
	{"last box dropped", 2 * ST_SEGBOX_CHUNK + 5, T_DROP_LAST, -EBADMSG},
	{"boxes swapped", 2 * ST_SEGBOX_CHUNK, T_SWAP, -EBADMSG},
	{"another day", 5000, T_OTHER_DAY, -EBADMSG},
	{"trailing byte", 5000, T_TRAIL, ST_ECORRUPT},
	{"cut inside a box", 5000, T_CUT, ST_ECORRUPT},
	{"no keyring", 5000, T_NOKEYS, -ENOKEY},
	{"keyring without its key", 5000, T_OTHER_RING, -ENOKEY},
	{"same id, other key", 5000, T_WRONG_KEY, -EBADMSG},
	{"boxes under two keys", ST_SEGBOX_CHUNK + 1, T_MIXED, ST_ECORRUPT},
};

static void test_boxes(void)
{
	st_keyring *k1 = ring("1 " K1 "\n"), *k12 = ring("1 " K1 "\n2 " K2 "\n");
	st_keyring *k2 = ring("2 " K2 "\n"), *k1x = ring("1 " K1X "\n");
	const int32_t day = 20000;
	uint64_t seed = 7;
	for (size_t c = 0; c < sizeof(box_cases) / sizeof(box_cases[0]); c++) {
		size_t n = box_cases[c].n;
		uint8_t *plain = malloc(n);
		struct st_buf box = {0}, other = {0};
		REQUIRE(plain ? 0 : -ENOMEM);
		for (size_t i = 0; i < n; i++)
			plain[i] = (uint8_t)t_rand(&seed);
		const st_keyring *sealer = box_cases[c].t == T_MIXED ? k12 : k1;
		OK(st_segbox_seal(sealer, day, plain, n, &box));
		size_t nb = (n + ST_SEGBOX_CHUNK - 1) / ST_SEGBOX_CHUNK;
		CHECK(box.len == n + nb * ST_BOX_OVERHEAD);
		CHECK(st_segbox_is(box.p, box.len));
		const st_keyring *opener = k1;
		int32_t oday = day;
		switch (box_cases[c].t) {
		case T_FLIP:
			box.p[box.len - 40] ^= 0x20;
			break;
		case T_DROP_LAST:
			box.len -= (n - (nb - 1) * ST_SEGBOX_CHUNK) + ST_BOX_OVERHEAD;
			break;
		case T_SWAP: {
			size_t bl = ST_SEGBOX_CHUNK + ST_BOX_OVERHEAD;
			uint8_t *tmp = malloc(bl);
			REQUIRE(tmp ? 0 : -ENOMEM);
			memcpy(tmp, box.p, bl);
			memmove(box.p, box.p + bl, bl);
			memcpy(box.p + bl, tmp, bl);
			free(tmp);
			break;
		}
		case T_OTHER_DAY:
			oday = day + 1;
			break;
		case T_TRAIL:
			REQUIRE(st_buf_reserve(&box, 1));
			box.p[box.len++] = 0;
			break;
		case T_CUT:
			box.len -= 3;
			break;
		case T_NOKEYS:
			opener = NULL;
			break;
		case T_OTHER_RING:
			opener = k2;
			break;
		case T_WRONG_KEY:
			opener = k1x;
			break;
		case T_MIXED: {
			/* the second box from a file sealed under key 1 */
			OK(st_segbox_seal(k1, day, plain, n, &other));
			size_t bl = ST_SEGBOX_CHUNK + ST_BOX_OVERHEAD;
			memcpy(box.p + bl, other.p + bl, box.len - bl);
			opener = k12;
			break;
		}
		default:
			break;
		}
		uint8_t *out = NULL;
		size_t olen = 0;
		uint32_t kid = 0;
		int rc = st_segbox_open(opener, oday, box.p, box.len, &out, &olen, &kid);
		if (rc != box_cases[c].want)
			fprintf(stderr, "case '%s': got %d, want %d\n", box_cases[c].name, rc,
				box_cases[c].want);
		CHECK(rc == box_cases[c].want);
		if (rc == 0) {
			CHECK(olen == n && memcmp(out, plain, n) == 0);
			CHECK(kid == 1);
			st_segbox_free(out, olen);
		} else {
			CHECK(out == NULL);
			if (rc == -ENOKEY || rc == -EBADMSG)
				CHECK(kid == 1); /* the message can name it */
		}
		st_buf_done(&box);
		st_buf_done(&other);
		free(plain);
	}
	/* not boxes at all */
	uint32_t kid;
	uint64_t pl;
	uint32_t nb;
	static const uint8_t junk[40] = "RTSG";
	CHECK(!st_segbox_is(junk, sizeof(junk)));
	CHECK_RC(st_segbox_info(junk, sizeof(junk), &kid, &pl, &nb), ST_ECORRUPT);
	CHECK_RC(st_segbox_info(junk, 0, &kid, &pl, &nb), ST_ECORRUPT);
	st_keyring_free(k1);
	st_keyring_free(k12);
	st_keyring_free(k2);
	st_keyring_free(k1x);
}

/* ---- the store with keys -------------------------------------------------------- */

#define NDAYS 6
#define PER_DAY 400
static const int64_t SEAL_NOW = T_BASE + NDAYS * T_DAY; /* days 0 .. NDAYS-2 due */

static void session_i(struct rt_session *s, int day, unsigned i)
{
	int64_t start = T_BASE + (int64_t)day * T_DAY + (int64_t)i * 200 * T_SEC;
	t_session(s, start, start + 500 * T_SEC + i);
	s->has_ipv4 = true;
	s->ipv4[0] = 10;
	s->ipv4[1] = 9;
	s->ipv4[2] = (uint8_t)day;
	s->ipv4[3] = (uint8_t)(i % 250);
	char acct[32];
	snprintf(acct, sizeof(acct), "subscriber%u", i % 113);
	t_text(&s->account, acct);
	char sid[32];
	snprintf(sid, sizeof(sid), "%08x", (unsigned)(day * 100000 + (int)i));
	t_text(&s->session_id, sid);
}

static void build(const char *dir, const st_keyring *k)
{
	struct rt_session s;
	struct st_open_opts o = {.keys = k};
	struct st_seal_report r;
	st_store *st = NULL;
	t_rmtree(dir);
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));
	for (int d = 0; d < NDAYS; d++) {
		for (unsigned i = 0; i < PER_DAY; i++) {
			session_i(&s, d, i);
			OK(st_store_put_closed(st, &s));
		}
		OK(st_store_commit(st));
	}
	OK(st_store_seal(st, SEAL_NOW, &r));
	CHECK(r.sealed == NDAYS - 1);
	st_store_close(st);
}

static char *slurp(const char *dir, const char *name, size_t *ret_n)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	char *b = malloc(1 << 22);
	size_t n = b ? fread(b, 1, 1 << 22, f) : 0;
	fclose(f);
	*ret_n = n;
	return b;
}

struct vcount {
	enum st_vstatus want;
	uint64_t n;
};

static int vcount_fn(void *x, const struct st_verify_item *it)
{
	struct vcount *c = x;
	c->n += it->status == c->want;
	return 0;
}

static uint64_t count_status(st_store *st, enum st_vstatus want, uint64_t *ret_faults)
{
	struct vcount c = {want, 0};
	OK(st_store_verify(st, vcount_fn, &c, ret_faults));
	return c.n;
}

/* every session of every day through the ipv4 index: the right answers */
static void query_all(st_store *st, bool check_bound)
{
	struct t_rows rows = {0};
	for (unsigned round = 0; round < 2; round++) {
		for (int d = 0; d < NDAYS; d++) {
			struct rt_session s;
			session_i(&s, d, 17 + round);
			OK(t_ip_at(st, s.ipv4, s.start_ns + T_SEC, &rows));
			bool found = false;
			for (size_t i = 0; i < rows.n; i++)
				found |= rows.v[i].start_ns == s.start_ns &&
					 rows.v[i].account.len == s.account.len &&
					 memcmp(rows.v[i].account.v, s.account.v, s.account.len) == 0;
			CHECK(found);
			if (check_bound) {
				unsigned heap = 0;
				for (unsigned i = 0; i < ST_SCACHE_N; i++)
					heap += st->sc[i].valid && st->sc[i].heap;
				/* within the bound, or one segment larger than it alone */
				CHECK(st->sc_heap <= st->sc_heap_max || heap == 1);
				CHECK(heap <= 2);
			}
		}
	}
	t_rows_free(&rows);
}

static void test_store(void)
{
	char plain[8192], enc[8192];
	st_keyring *k1 = ring("1 " K1 "\n"), *k12 = ring("1 " K1 "\n2 " K2 "\n");
	st_keyring *k2 = ring("2 " K2 "\n"), *k1x = ring("1 " K1X "\n");
	t_path(plain, sizeof(plain), "plain");
	t_path(enc, sizeof(enc), "enc");
	build(plain, NULL);
	build(enc, k1);

	/* same seals: the chain covers the plaintext */
	size_t na = 0, nb = 0;
	char *ma = slurp(plain, "MANIFEST", &na), *mb = slurp(enc, "MANIFEST", &nb);
	CHECK(ma && mb && na > 100 && na == nb && memcmp(ma, mb, na) == 0);
	free(ma);
	free(mb);
	/* the sealed files are boxes under key 1 */
	for (int d = 0; d < NDAYS - 1; d++) {
		char name[40], dn[16];
		size_t n = 0;
		st_day_name((int32_t)(T_BASE / T_DAY) + d, dn);
		snprintf(name, sizeof(name), "seg/%s.seg", dn);
		char *b = slurp(enc, name, &n);
		uint32_t kid = 0, cnt = 0;
		uint64_t pl = 0;
		CHECK(b && st_segbox_is((uint8_t *)b, n));
		CHECK(b && st_segbox_info((uint8_t *)b, n, &kid, &pl, &cnt) == 0 && kid == 1);
		CHECK(b && !memmem(b, n, "subscriber1", 11));
		free(b);
	}

	st_store *st = NULL;
	uint64_t faults = 0;
	/* with the key: answers, verify clean */
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k1}, &st));
	query_all(st, false);
	CHECK(count_status(st, ST_V_OK, &faults) >= NDAYS && faults == 0);
	st_store_close(st);

	/* the decrypted cache within a small byte bound: one day and a bit */
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k1}, &st));
	st->sc_heap_max = 1; /* every segment alone */
	query_all(st, true);
	st_store_close(st);
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k1}, &st));
	query_all(st, false);
	uint64_t one = 0;
	for (unsigned i = 0; i < ST_SCACHE_N; i++)
		if (st->sc[i].valid && st->sc[i].heap)
			one = st->sc[i].len > one ? st->sc[i].len : one;
	CHECK(one > 0 && st->sc_heap >= (NDAYS - 1) * one / 2);
	st_store_close(st);
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k1}, &st));
	st->sc_heap_max = 2 * one + 1;
	query_all(st, true);
	CHECK(st->sc_heap <= 2 * one + 1);
	st_store_close(st);

	/* without keys / wrong key: errors that name the key id */
	struct rt_session s;
	struct t_rows rows = {0};
	session_i(&s, 0, 3);
	REQUIRE(st_store_open(enc, ST_OPEN_RDONLY, &st));
	CHECK_RC(t_ip_at(st, s.ipv4, s.start_ns + T_SEC, &rows), -ENOKEY);
	CHECK(strstr(st_strerror(-ENOKEY), "key id 1") != NULL);
	CHECK(count_status(st, ST_V_NOKEY, &faults) == NDAYS - 1 && faults == NDAYS - 1);
	st_store_close(st);
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k1x}, &st));
	CHECK_RC(t_ip_at(st, s.ipv4, s.start_ns + T_SEC, &rows), -EBADMSG);
	CHECK(strstr(st_strerror(-EBADMSG), "authentication") != NULL);
	CHECK(count_status(st, ST_V_CHANGED, &faults) == NDAYS - 1);
	st_store_close(st);
	t_rows_free(&rows);

	/* rekey: read-only refused, no keys refused, then all under key 2 */
	struct st_rekey_report rr;
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k12}, &st));
	CHECK_RC(st_store_rekey(st, &rr), ST_EREADONLY);
	st_store_close(st);
	REQUIRE(st_store_open(enc, ST_OPEN_WRITE, &st));
	CHECK_RC(st_store_rekey(st, &rr), ST_EINVAL);
	st_store_close(st);
	REQUIRE(st_store_open_with(enc, ST_OPEN_WRITE, &(struct st_open_opts){.keys = k12}, &st));
	OK(st_store_rekey(st, &rr));
	CHECK(rr.rekeyed == NDAYS - 1 && rr.encrypted == 0 && rr.current == 0);
	query_all(st, false);
	OK(st_store_rekey(st, &rr));
	CHECK(rr.rekeyed == 0 && rr.current == NDAYS - 1);
	st_store_close(st);
	REQUIRE(st_store_open_with(enc, ST_OPEN_RDONLY, &(struct st_open_opts){.keys = k2}, &st));
	query_all(st, false);
	CHECK(count_status(st, ST_V_OK, &faults) >= NDAYS && faults == 0);
	st_store_close(st);

	/* an unencrypted store gains a key: its sealed segments get encrypted */
	REQUIRE(st_store_open_with(plain, ST_OPEN_WRITE, &(struct st_open_opts){.keys = k2}, &st));
	OK(st_store_rekey(st, &rr));
	CHECK(rr.encrypted == NDAYS - 1 && rr.rekeyed == 0);
	query_all(st, false);
	CHECK(count_status(st, ST_V_OK, &faults) >= NDAYS && faults == 0);
	st_store_close(st);
	ma = slurp(plain, "MANIFEST", &na);
	mb = slurp(enc, "MANIFEST", &nb);
	CHECK(ma && mb && na == nb && memcmp(ma, mb, na) == 0);
	free(ma);
	free(mb);

	/* a leftover of an interrupted rekey is removed by a writable open */
	char rk[8400], dn[16];
	st_day_name((int32_t)(T_BASE / T_DAY), dn);
	snprintf(rk, sizeof(rk), "%s/seg/%s.seg.rk", enc, dn);
	int fd = open(rk, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "RTEN", 4) == 4);
	if (fd >= 0)
		close(fd);
	REQUIRE(st_store_open_with(enc, ST_OPEN_WRITE, &(struct st_open_opts){.keys = k2}, &st));
	CHECK(access(rk, F_OK) != 0);
	query_all(st, false);
	st_store_close(st);

	st_keyring_free(k1);
	st_keyring_free(k12);
	st_keyring_free(k2);
	st_keyring_free(k1x);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	test_boxes();
	test_store();
	if (!t_failures)
		t_rmtree(t_root);
	else
		fprintf(stderr, "stores kept in %s\n", t_root);
	return t_finish("test_segbox");
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encryption at rest (storage/crypt.h): the key file parser (every rejection
 * reason), the file mode check, and boxes: round trip, every changed byte,
 * every truncation, wrong associated data, missing key, key rotation.
 */
#include "st_test.h"

#include "crypt.h"

static const char K1[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char K2[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

static st_keyring *ring(const char *text)
{
	st_keyring *k = NULL;
	char err[160];
	int rc = st_keyring_parse(text, strlen(text), &k, err, sizeof(err));
	if (rc)
		fprintf(stderr, "ring: %s\n", err);
	CHECK(rc == 0);
	return k;
}

static void test_parse(void)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "# keys\n\n  1 %s  \n2\t%s\r\n", K1, K2);
	st_keyring *k = ring(buf);
	if (k) {
		CHECK(st_keyring_count(k) == 2);
		CHECK(st_keyring_active(k) == 2);
		st_keyring_free(k);
	}
	/* the active key is the highest id, not the last line */
	snprintf(buf, sizeof(buf), "7 %s\n3 %s", K1, K2);
	k = ring(buf);
	if (k) {
		CHECK(st_keyring_active(k) == 7);
		st_keyring_free(k);
	}

	struct {
		const char *text;
		const char *why; /* substring of the error */
	} bad[] = {
		{"", "no key"},
		{"# only a comment\n", "no key"},
		{"x 00\n", "expected '<key-id>"},
		{"0 %s\n", "reserved"},
		{"4294967296 %s\n", "larger than"},
		{"1:%s\n", "blank after"},
		{"1 0011\n", "64 hex"},
		{"1 %s00\n", "64 hex"},
		{"1 %s extra\n", "after the key"},
		{"1 %s\n1 %s\n", "duplicate"},
		{"1 %sg\n", "after the key"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(buf, sizeof(buf), bad[i].text, K1, K2);
#pragma GCC diagnostic pop
		char err[160] = "";
		k = NULL;
		int rc = st_keyring_parse(buf, strlen(buf), &k, err, sizeof(err));
		CHECK(rc == -EINVAL);
		CHECK(k == NULL);
		if (!strstr(err, bad[i].why)) {
			fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, err, bad[i].why);
			CHECK(0);
		}
	}
	/* a NUL byte inside a line */
	snprintf(buf, sizeof(buf), "1 %s\n", K1);
	buf[3] = '\0';
	char err[160] = "";
	CHECK(st_keyring_parse(buf, strlen(K1) + 3, &k, err, sizeof(err)) == -EINVAL);
	/* more than 64 keys */
	char *many = malloc(80 * 70);
	size_t n = 0;
	for (unsigned i = 1; i <= 65; i++)
		n += (size_t)sprintf(many + n, "%u %s\n", i, K1);
	CHECK(st_keyring_parse(many, n, &k, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "more than 64") != NULL);
	free(many);
}

static void test_load(const char *tmp)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/crypt-keys", tmp);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "1 %s\n", K1);
	fclose(f);
	st_keyring *k = NULL;
	CHECK(chmod(path, 0644) == 0);
	CHECK(st_keyring_load(path, &k, err, sizeof(err)) == -EPERM);
	CHECK(strstr(err, "chmod 600") != NULL);
	CHECK(chmod(path, 0600) == 0);
	CHECK(st_keyring_load(path, &k, err, sizeof(err)) == 0);
	CHECK(k && st_keyring_active(k) == 1);
	st_keyring_free(k);
	unlink(path);
	CHECK(st_keyring_load(path, &k, err, sizeof(err)) == -ENOENT);
	CHECK(st_keyring_load(tmp, &k, err, sizeof(err)) != 0); /* a directory */
}

static void test_box(void)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "1 %s\n", K1);
	st_keyring *k1 = ring(buf);
	snprintf(buf, sizeof(buf), "1 %s\n2 %s\n", K1, K2);
	st_keyring *k12 = ring(buf);
	snprintf(buf, sizeof(buf), "2 %s\n", K2);
	st_keyring *k2 = ring(buf);
	if (!k1 || !k12 || !k2)
		return;

	const char plain[] = "2026-10-01 block 7: account alice@isp, 10.1.2.3";
	const char ad[] = "day 20362 block 7";
	uint8_t box[256], box2[256], out[256];
	long bl = st_box_seal(k1, ad, sizeof(ad), plain, sizeof(plain), box, sizeof(box));
	CHECK(bl == (long)st_box_len(sizeof(plain)));
	CHECK(memmem(box, (size_t)bl, "alice", 5) == NULL); /* not in the clear */
	CHECK(st_box_open(k1, ad, sizeof(ad), box, (size_t)bl, out, sizeof(out)) ==
	      (long)sizeof(plain));
	CHECK(memcmp(out, plain, sizeof(plain)) == 0);
	uint32_t id = 0;
	size_t plen = 0;
	CHECK(st_box_peek(box, (size_t)bl, &id, &plen) == 0 && id == 1 && plen == sizeof(plain));

	/* a fresh nonce each time: the same plaintext gives other bytes */
	long bl2 = st_box_seal(k1, ad, sizeof(ad), plain, sizeof(plain), box2, sizeof(box2));
	CHECK(bl2 == bl && memcmp(box, box2, (size_t)bl) != 0);

	/* every changed byte is caught, and nothing decrypted is handed out */
	for (long i = 0; i < bl; i++) {
		for (unsigned bit = 0; bit < 8; bit += 7) {
			memcpy(box2, box, (size_t)bl);
			box2[i] ^= (uint8_t)(1u << bit);
			memset(out, 0xa5, sizeof(out));
			long r = st_box_open(k1, ad, sizeof(ad), box2, (size_t)bl, out, sizeof(out));
			CHECK(r < 0);
			CHECK(memmem(out, sizeof(out), "alice", 5) == NULL);
		}
	}
	/* every truncation and an extra byte */
	for (long len = 0; len < bl; len++)
		CHECK(st_box_open(k1, ad, sizeof(ad), box, (size_t)len, out, sizeof(out)) ==
		      ST_ECORRUPT);
	memcpy(box2, box, (size_t)bl);
	box2[bl] = 0;
	CHECK(st_box_open(k1, ad, sizeof(ad), box2, (size_t)bl + 1, out, sizeof(out)) ==
	      ST_ECORRUPT);
	/* moved to another place: other associated data */
	const char ad2[] = "day 20362 block 8";
	CHECK(st_box_open(k1, ad2, sizeof(ad2), box, (size_t)bl, out, sizeof(out)) == -EBADMSG);
	CHECK(st_box_open(k1, NULL, 0, box, (size_t)bl, out, sizeof(out)) == -EBADMSG);
	/* a buffer too small */
	CHECK(st_box_open(k1, ad, sizeof(ad), box, (size_t)bl, out, sizeof(plain) - 1) ==
	      -ENOBUFS);
	/* unknown version / algorithm */
	memcpy(box2, box, (size_t)bl);
	box2[4] = 2;
	CHECK(st_box_open(k1, ad, sizeof(ad), box2, (size_t)bl, out, sizeof(out)) == ST_EVERSION);
	memcpy(box2, box, (size_t)bl);
	box2[6] = 9;
	CHECK(st_box_open(k1, ad, sizeof(ad), box2, (size_t)bl, out, sizeof(out)) == ST_EVERSION);

	/* rotation: a keyring without key 1 cannot open it; one with both can,
	 * and seals new boxes with key 2, which the old keyring cannot open */
	CHECK(st_box_open(k2, ad, sizeof(ad), box, (size_t)bl, out, sizeof(out)) == -ENOKEY);
	CHECK(st_box_open(k12, ad, sizeof(ad), box, (size_t)bl, out, sizeof(out)) ==
	      (long)sizeof(plain));
	bl2 = st_box_seal(k12, ad, sizeof(ad), plain, sizeof(plain), box2, sizeof(box2));
	CHECK(bl2 > 0 && st_box_peek(box2, (size_t)bl2, &id, &plen) == 0 && id == 2);
	CHECK(st_box_open(k1, ad, sizeof(ad), box2, (size_t)bl2, out, sizeof(out)) == -ENOKEY);
	CHECK(st_box_open(k2, ad, sizeof(ad), box2, (size_t)bl2, out, sizeof(out)) ==
	      (long)sizeof(plain));
	/* the same id with another key (a wrong key file) */
	snprintf(buf, sizeof(buf), "1 %s\n", K2);
	st_keyring *kw = ring(buf);
	if (kw) {
		CHECK(st_box_open(kw, ad, sizeof(ad), box, (size_t)bl, out, sizeof(out)) ==
		      -EBADMSG);
		st_keyring_free(kw);
	}
	/* an empty plaintext and the size limit */
	bl2 = st_box_seal(k1, NULL, 0, "", 0, box2, sizeof(box2));
	CHECK(bl2 == (long)ST_BOX_OVERHEAD);
	CHECK(st_box_open(k1, NULL, 0, box2, (size_t)bl2, out, sizeof(out)) == 0);
	CHECK(st_box_seal(k1, NULL, 0, plain, sizeof(plain), box2, st_box_len(sizeof(plain)) - 1) ==
	      -EINVAL);
	CHECK(st_box_seal(k1, NULL, 0, plain, (size_t)ST_BOX_MAX_PLAIN + 1, box2, SIZE_MAX) ==
	      -EINVAL);

	st_keyring_free(k1);
	st_keyring_free(k12);
	st_keyring_free(k2);
}

int main(int argc, char **argv)
{
	const char *tmp = argc > 1 ? argv[1] : "/tmp";
	test_parse();
	test_load(tmp);
	test_box();
	printf("test_crypt: %u checks, %u failures\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}

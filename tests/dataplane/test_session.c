/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt_mac_parse() (dataplane/session.c): the four accepted spellings in
 * either case, and near misses of each.
 */
#include <stdbool.h>
#include <string.h>

#include "dp_check.h"
#include "session.h"

struct mcase {
	const char *s;
	bool ok;
};

static const struct mcase cases[] = {
	{"aa:bb:cc:dd:ee:ff", true},
	{"AA-BB-CC-DD-EE-FF", true},
	{"aabb.ccdd.eeff", true},
	{"aabbccddeeff", true},
	{"Aa:bB:cC:Dd:eE:Ff", true},
	{"AABB.CCDD.EEFF", true},
	{"AABBCCDDEEFF", true},
	{"aa-bb-cc-dd-ee-ff", true},

	{"aa:bb:cc:dd:ee:fg", false},
	{"aabbccddeef", false},
	{"aa:bb-cc:dd:ee:ff", false},
	{"aa-bb-cc-dd-ee:ff", false},
	{"", false},
	{"aa:bb:cc:dd:ee:f", false},
	{"aa:bb:cc:dd:ee:ff:", false},
	{"aa:bb:cc:dd:ee:ff ", false},
	{" aa:bb:cc:dd:ee:ff", false},
	{"aa:bbc:cd:de:ef:f", false},
	{"aabb:cc:dd:ee:ff:", false},
	{"aa.bb.cc.dd.ee.ff", false},
	{"aa bb cc dd ee ff", false},
	{"aabb.ccdd:eeff", false},
	{"aabb-ccdd-eeff", false},
	{"aab.bccd.deeff", false},
	{"aabbccddeeff0", false},
	{"aabbccddeefg", false},
	{"gabbccddeeff", false},
	{"0x:bb:cc:dd:ee:ff", false},
	{"aa::bb:cc:dd:eeff", false},
	{"+a:bb:cc:dd:ee:ff", false},
};

/* The rules written the slow way, as an oracle: 12 hex digits, an
 * optional separator `sep` only after every `every` digits and before a
 * digit; the length picks the spelling. */
static bool oracle(const char *s, unsigned len, uint8_t mac[6])
{
	unsigned every;
	char sep;
	switch (len) {
	case 17:
		every = 2;
		sep = s[2];
		if (sep != ':' && sep != '-')
			return false;
		break;
	case 14:
		every = 4;
		sep = '.';
		break;
	case 12:
		every = 0;
		sep = 0;
		break;
	default:
		return false;
	}
	unsigned digits = 0;
	uint8_t m[6] = {0};
	for (unsigned i = 0; i < len; i++) {
		if (every && digits > 0 && digits < 12 && digits % every == 0 && s[i] == sep) {
			if (i + 1 >= len || rt_hexval(s[i + 1]) < 0)
				return false;
			continue;
		}
		int v = rt_hexval(s[i]);
		if (v < 0 || digits >= 12)
			return false;
		m[digits / 2] = (uint8_t)(m[digits / 2] | (digits % 2 ? v : v << 4));
		digits++;
	}
	if (digits != 12)
		return false;
	memcpy(mac, m, 6);
	return true;
}

/* Random near-spellings against the oracle (the fast parser reads at
 * fixed places: this checks the places). */
static void random_vs_oracle(void)
{
	static const char alpha[] = "09afAFg:-. \0";
	uint64_t x = 88172645463325252ull;
	check_ctx = "random";
	for (unsigned k = 0; k < 400000; k++) {
		char b[20];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned len = (unsigned[]){12, 14, 17, 11, 13, 16, 18}[x % 7];
		/* start from a valid spelling and flip a few places */
		const char *base = len == 17 ? ((x >> 3) & 1 ? "0a:9F:aa:00:fF:19" : "0a-9F-aa-00-fF-19")
				 : len == 14 ? "0a9F.aa00.fF19" : "0a9Faa00fF19afaf0";
		memcpy(b, base, len);
		for (unsigned f = (unsigned)(x >> 8) % 4; f; f--) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b[x % len] = alpha[(x >> 20) % (sizeof(alpha) - 1)];
		}
		uint8_t m1[6] = {1, 1, 1, 1, 1, 1}, m2[6] = {1, 1, 1, 1, 1, 1};
		bool a = rt_mac_parse(b, len, m1), o = oracle(b, len, m2);
		CHECK(a == o);
		CHECK(memcmp(m1, m2, 6) == 0);
	}
}

int main(void)
{
	random_vs_oracle();

	static const uint8_t want[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct mcase *tc = &cases[k];
		size_t n = strlen(tc->s);
		uint8_t *g = guard_copy(tc->s, n); /* not NUL terminated */
		uint8_t mac[6];
		bool ok;

		check_ctx = tc->s;
		memset(mac, 0x11, sizeof(mac));
		ok = rt_mac_parse((const char *)g, (unsigned)n, mac);
		CHECK(ok == tc->ok);
		if (tc->ok)
			CHECK(memcmp(mac, want, 6) == 0);
		else
			CHECK(memcmp(mac, "\x11\x11\x11\x11\x11\x11", 6) == 0);
		guard_free(g, n);
	}

	/* other digits land in the right places */
	uint8_t mac[6];
	check_ctx = "digits";
	CHECK(rt_mac_parse("01:23:45:67:89:aB", 17, mac));
	CHECK(memcmp(mac, "\x01\x23\x45\x67\x89\xab", 6) == 0);
	CHECK(rt_mac_parse("0123.4567.89Ab", 14, mac));
	CHECK(memcmp(mac, "\x01\x23\x45\x67\x89\xab", 6) == 0);
	CHECK(rt_mac_parse("000000000000", 12, mac));
	CHECK(memcmp(mac, "\0\0\0\0\0\0", 6) == 0);
	/* a NUL inside is not a digit */
	CHECK(!rt_mac_parse("aabbccddee\0f", 12, mac));
	return check_done();
}

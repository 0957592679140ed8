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

int main(void)
{
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

/* SPDX-License-Identifier: BSD-2-Clause */
#include "session.h"

#include <string.h>

/* IANA "Values for RADIUS Attribute 49, Acct-Terminate-Cause". */
static const char *const cause_names[RT_CAUSE_RADIUS_MAX + 1] = {
	[1] = "user-request",
	[2] = "lost-carrier",
	[3] = "lost-service",
	[4] = "idle-timeout",
	[5] = "session-timeout",
	[6] = "admin-reset",
	[7] = "admin-reboot",
	[8] = "port-error",
	[9] = "nas-error",
	[10] = "nas-request",
	[11] = "nas-reboot",
	[12] = "port-unneeded",
	[13] = "port-preempted",
	[14] = "port-suspended",
	[15] = "service-unavailable",
	[16] = "callback",
	[17] = "user-error",
	[18] = "host-request",
	[19] = "supplicant-restart",
	[20] = "reauthentication-failure",
	[21] = "port-reinitialized",
	[22] = "port-administratively-disabled",
};

const char *rt_cause_name(unsigned cause)
{
	if (cause <= RT_CAUSE_RADIUS_MAX)
		return cause_names[cause];
	switch (cause) {
	case RT_CAUSE_NAS_REBOOT_INFERRED:
		return "nas-reboot";
	case RT_CAUSE_ORPHAN_TIMEOUT:
		return "orphan-timeout";
	case RT_CAUSE_PADT:
		return "padt";
	case RT_CAUSE_RELEASE:
		return "release";
	case RT_CAUSE_LEASE_EXPIRED:
		return "lease-expired";
	default:
		return NULL;
	}
}

const char *rt_auth_name(unsigned auth)
{
	switch (auth) {
	case RT_AUTH_VERIFIED:
		return "verified";
	case RT_AUTH_NO_SECRET:
		return "no-secret";
	default:
		return NULL;
	}
}

/* Hex digit values plus one, 0 for anything else (rt_hexval() as a table). */
static const uint8_t hexv1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * 12 hex digits at fixed places: with len 12 + (12 / group - 1), every
 * group boundary holds exactly one separator `sep` (the spellings
 * aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff, aabbccddeeff).  Called per
 * accounting packet by the tracker: a table, no branch per digit.
 */
static bool mac_digits(const char *s, unsigned group, char sep, uint8_t ret_mac[6])
{
	uint8_t mac[6];
	unsigned bad = 0, d = 0;
	const unsigned char *u = (const unsigned char *)s;

	for (unsigned i = 0; d < 12; i++) {
		if (group && d && d % group == 0 && i == d + d / group - 1) {
			bad |= u[i] != (unsigned char)sep;
			continue;
		}
		unsigned v = hexv1[u[i]];
		bad |= v == 0;
		v = (v - 1) & 15;
		if (d % 2 == 0)
			mac[d / 2] = (uint8_t)(v << 4);
		else
			mac[d / 2] |= (uint8_t)v;
		d++;
	}
	if (bad)
		return false;
	memcpy(ret_mac, mac, 6);
	return true;
}

bool rt_mac_parse(const char *s, unsigned len, uint8_t ret_mac[6])
{
	switch (len) {
	case 17:
		if (s[2] == ':' || s[2] == '-')
			return mac_digits(s, 2, s[2], ret_mac);
		return false;
	case 14:
		return mac_digits(s, 4, '.', ret_mac);
	case 12:
		return mac_digits(s, 0, 0, ret_mac);
	default:
		return false;
	}
}

void rt_text_set(struct rt_text *t, const void *v, unsigned len)
{
	if (len > RT_TEXT_MAX)
		len = RT_TEXT_MAX;
	t->len = (uint8_t)len;
	if (len)
		memcpy(t->v, v, len);
}

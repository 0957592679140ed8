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

/* Reads 12 hex digits from s, skipping separators at the positions the
 * spelling allows (sep_every digits, separator sep). */
static bool mac_digits(const char *s, unsigned len, unsigned sep_every, char sep,
		       uint8_t ret_mac[6])
{
	uint8_t mac[6];
	unsigned digits = 0;

	for (unsigned i = 0; i < len; i++) {
		if (sep_every && digits > 0 && digits < 12 && digits % sep_every == 0 &&
		    s[i] == sep) {
			/* a separator must be followed by a digit */
			if (i + 1 >= len || rt_hexval(s[i + 1]) < 0)
				return false;
			continue;
		}
		int v = rt_hexval(s[i]);
		if (v < 0 || digits >= 12)
			return false;
		if (digits % 2 == 0)
			mac[digits / 2] = (uint8_t)(v << 4);
		else
			mac[digits / 2] |= (uint8_t)v;
		digits++;
	}
	if (digits != 12)
		return false;
	memcpy(ret_mac, mac, 6);
	return true;
}

bool rt_mac_parse(const char *s, unsigned len, uint8_t ret_mac[6])
{
	switch (len) {
	case 17:
		if (s[2] == ':')
			return mac_digits(s, len, 2, ':', ret_mac);
		if (s[2] == '-')
			return mac_digits(s, len, 2, '-', ret_mac);
		return false;
	case 14:
		return s[4] == '.' && mac_digits(s, len, 4, '.', ret_mac);
	case 12:
		return mac_digits(s, len, 0, 0, ret_mac);
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

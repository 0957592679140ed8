/* SPDX-License-Identifier: BSD-2-Clause */
#include "idcheck.h"

#include <stdbool.h>
#include <string.h>

#include "timefmt.h"

#define NS_PER_DAY (86400LL * 1000000000LL)

const char *ctl_id_fail_str(enum ctl_id_fail f)
{
	static const char *const t[CTL_ID_FAIL_MAX] = {
		[CTL_ID_OK] = "ok",
		[CTL_ID_EMPTY] = "empty",
		[CTL_ID_LENGTH] = "wrong length",
		[CTL_ID_CHARSET] = "character not allowed",
		[CTL_ID_REGION] = "not a region code",
		[CTL_ID_BIRTH_DATE] = "impossible birth date",
		[CTL_ID_CHECK] = "wrong check character",
		[CTL_ID_FORMAT] = "wrong format",
		[CTL_ID_TYPE] = "unknown document type",
	};
	if ((unsigned)f >= CTL_ID_FAIL_MAX)
		return "unknown";
	return t[f];
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static bool is_upper_alnum(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z');
}

void ctl_id_normalise(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
}

/* ---- resident ID (GB 11643-1999) -------------------------------------- */

char ctl_id_resident_check_char(const char *first17)
{
	static const unsigned w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char map[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
	unsigned sum = 0;
	for (unsigned i = 0; i < 17; i++) {
		if (!is_digit(first17[i]))
			return 0;
		sum += (unsigned)(first17[i] - '0') * w[i];
	}
	return map[sum % 11];
}

static bool province_ok(unsigned p)
{
	return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
	       (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) ||
	       p == 71 || p == 81 || p == 82 || p == 83 || p == 91;
}

static unsigned num(const char *s, unsigned n)
{
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

enum ctl_id_fail ctl_id_check_resident(const char *s, size_t n, int64_t today_ns)
{
	if (n == 0)
		return CTL_ID_EMPTY;
	if (n != 18)
		return CTL_ID_LENGTH;
	if (!all_digits(s, 17) || !(is_digit(s[17]) || s[17] == 'X'))
		return CTL_ID_CHARSET;
	if (!province_ok(num(s, 2)))
		return CTL_ID_REGION;
	unsigned y = num(s + 6, 4), m = num(s + 10, 2), d = num(s + 12, 2);
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return CTL_ID_BIRTH_DATE;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return CTL_ID_BIRTH_DATE;
	/* floor division: days since the epoch of today (UTC) */
	int64_t today = today_ns / NS_PER_DAY - (today_ns % NS_PER_DAY < 0);
	if (ctl_days_from_civil(y, m, d) > today)
		return CTL_ID_BIRTH_DATE;
	if (ctl_id_resident_check_char(s) != s[17])
		return CTL_ID_CHECK;
	return CTL_ID_OK;
}

/* ---- unified social credit code (GB 32100-2015) ------------------------ */

/* Value of a credit-code character, or -1: 0-9 A-H J-N P-R T-U W-Y (no I,
 * O, S, V, Z). */
static int credit_val(char c)
{
	static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	if (c == 0)
		return -1;
	const char *p = strchr(set, c);
	return p ? (int)(p - set) : -1;
}

char ctl_id_credit_check_char(const char *first17)
{
	static const unsigned w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	unsigned sum = 0;
	for (unsigned i = 0; i < 17; i++) {
		int v = credit_val(first17[i]);
		if (v < 0)
			return 0;
		sum += (unsigned)v * w[i];
	}
	unsigned c = 31 - sum % 31;
	return set[c == 31 ? 0 : c];
}

enum ctl_id_fail ctl_id_check_credit_code(const char *s, size_t n)
{
	if (n == 0)
		return CTL_ID_EMPTY;
	if (n != 18)
		return CTL_ID_LENGTH;
	for (unsigned i = 0; i < 18; i++)
		if (credit_val(s[i]) < 0)
			return CTL_ID_CHARSET;
	if (ctl_id_credit_check_char(s) != s[17])
		return CTL_ID_CHECK;
	return CTL_ID_OK;
}

/* ---- the rest: formats only ------------------------------------------- */

static enum ctl_id_fail check_passport(const char *s, size_t n)
{
	bool digit = false;
	for (size_t i = 0; i < n; i++) {
		if (!is_upper_alnum(s[i]))
			return CTL_ID_CHARSET;
		digit |= is_digit(s[i]);
	}
	if (n < 5 || n > 17)
		return CTL_ID_LENGTH;
	return digit ? CTL_ID_OK : CTL_ID_FORMAT;
}

static enum ctl_id_fail check_hk_macau(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_upper_alnum(s[i]))
			return CTL_ID_CHARSET;
	if (n != 9 && n != 11)
		return CTL_ID_LENGTH;
	if ((s[0] != 'H' && s[0] != 'M') || !all_digits(s + 1, n - 1))
		return CTL_ID_FORMAT;
	return CTL_ID_OK;
}

static enum ctl_id_fail check_taiwan(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_upper_alnum(s[i]))
			return CTL_ID_CHARSET;
	if (n == 8)
		return all_digits(s, n) ? CTL_ID_OK : CTL_ID_FORMAT;
	return n == 10 ? CTL_ID_OK : CTL_ID_LENGTH;
}

static enum ctl_id_fail check_licence(const char *s, size_t n)
{
	if (n == 18)
		return ctl_id_check_credit_code(s, n);
	for (size_t i = 0; i < n; i++)
		if (!is_upper_alnum(s[i]))
			return CTL_ID_CHARSET;
	if (n != 15)
		return CTL_ID_LENGTH;
	return all_digits(s, n) ? CTL_ID_OK : CTL_ID_FORMAT;
}

enum ctl_id_fail ctl_id_check(unsigned type, const char *s, size_t n, int64_t today_ns)
{
	if (n == 0)
		return type > CTL_DOC_NONE && type < CTL_DOC_MAX ? CTL_ID_EMPTY : CTL_ID_TYPE;
	switch (type) {
	case CTL_DOC_RESIDENT_ID:
		return ctl_id_check_resident(s, n, today_ns);
	case CTL_DOC_RESIDENCE_PERMIT: {
		enum ctl_id_fail f = ctl_id_check_resident(s, n, today_ns);
		if (f == CTL_ID_OK && !(s[0] == '8' && s[1] >= '1' && s[1] <= '3') &&
		    !(s[0] == '9' && s[1] == '1'))
			return CTL_ID_REGION;
		return f;
	}
	case CTL_DOC_PASSPORT:
		return check_passport(s, n);
	case CTL_DOC_HK_MACAU_PERMIT:
		return check_hk_macau(s, n);
	case CTL_DOC_TAIWAN_PERMIT:
		return check_taiwan(s, n);
	case CTL_DOC_CREDIT_CODE:
		return ctl_id_check_credit_code(s, n);
	case CTL_DOC_BUSINESS_LICENCE:
		return check_licence(s, n);
	default:
		return CTL_ID_TYPE;
	}
}

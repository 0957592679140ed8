/* SPDX-License-Identifier: BSD-2-Clause */
#include "timefmt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NS 1000000000LL

/* Howard Hinnant's days_from_civil / civil_from_days algorithms. */
int64_t ctl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : dm[m - 1];
}

/* Read exactly n digits. */
static bool digits(const char **p, unsigned n, unsigned *ret)
{
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static int parse_int(const char *s, int64_t *ret, const char **end)
{
	int64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	*ret = v;
	*end = p;
	return 0;
}

int ctl_time_parse(const char *s, int64_t *ret_ns)
{
	if (!s || !*s)
		return -EINVAL;
	size_t len = strlen(s);
	bool all_digits = true;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			all_digits = false;
	if (all_digits) {
		int64_t v;
		const char *end;
		if (parse_int(s, &v, &end) < 0)
			return -EINVAL;
		if (len <= 12) {
			if (v > INT64_MAX / NS)
				return -EINVAL;
			v *= NS;
		}
		*ret_ns = v;
		return 0;
	}

	const char *p = s;
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -EINVAL;
	int64_t frac = 0, off_s = 0;
	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
	    !digits(&p, 2, &se))
		return -EINVAL;
	/* RFC 3339 allows second 60 (leap second); POSIX time folds it. */
	if (h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	if (*p == '.') {
		p++;
		unsigned n = 0;
		int64_t scale = NS;
		while (*p >= '0' && *p <= '9') {
			if (++n > 9)
				return -EINVAL;
			scale /= 10;
			frac += (*p - '0') * scale;
			p++;
		}
		if (n == 0)
			return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		unsigned oh, om;
		p++;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return -EINVAL;
		off_s = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return -EINVAL; /* RFC 3339 requires an offset */
	}
	if (*p != '\0')
		return -EINVAL;
done:;
	int64_t days = ctl_days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off_s;
	/* int64 nanoseconds span 1677-09-21 .. 2262-04-11 */
	if (secs > INT64_MAX / NS - 1 || secs < INT64_MIN / NS + 1)
		return -EINVAL;
	*ret_ns = secs * NS + frac;
	return 0;
}

int ctl_duration_parse(const char *s, int64_t *ret_ns)
{
	int64_t v;
	const char *end;
	if (!s || parse_int(s, &v, &end) < 0)
		return -EINVAL;
	int64_t unit;
	if (*end == '\0' || strcmp(end, "d") == 0)
		unit = 86400 * NS;
	else if (strcmp(end, "h") == 0)
		unit = 3600 * NS;
	else if (strcmp(end, "m") == 0)
		unit = 60 * NS;
	else if (strcmp(end, "s") == 0)
		unit = NS;
	else
		return -EINVAL;
	if (v > INT64_MAX / unit)
		return -EINVAL;
	*ret_ns = v * unit;
	return 0;
}

void ctl_time_format(int64_t ns, char buf[CTL_TIME_BUF])
{
	int64_t secs = ns / NS, frac = ns % NS;
	if (frac < 0) {
		frac += NS;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, CTL_TIME_BUF, "%04lld-%02u-%02uT%02u:%02u:%02u.%09lldZ", (long long)y, m,
		 d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
		 (long long)frac);
}

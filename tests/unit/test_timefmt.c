/* Time parsing and formatting (control/timefmt.h). */
#include <string.h>

#include "check.h"
#include "timefmt.h"

#define NS 1000000000LL

static void ok(const char *s, long long want)
{
	int64_t v = 0;
	int rc = ctl_time_parse(s, &v);
	if (rc != 0 || v != want) {
		fprintf(stderr, "parse %s: rc %d got %lld want %lld\n", s, rc, (long long)v, want);
		check_failures++;
	}
}

static void bad(const char *s)
{
	int64_t v = 42;
	if (ctl_time_parse(s, &v) == 0) {
		fprintf(stderr, "parse %s: accepted\n", s);
		check_failures++;
	}
	CHECK(v == 42);
}

int main(void)
{
	ok("1970-01-01T00:00:00Z", 0);
	ok("2026-10-01T08:00:00Z", 1790841600LL * NS);
	ok("2026-10-01T16:00:00+08:00", 1790841600LL * NS);
	ok("2026-10-01T08:00:00.5Z", 1790841600LL * NS + NS / 2);
	ok("2026-10-01T08:00:00.123456789Z", 1790841600LL * NS + 123456789);
	ok("2026-10-01t08:00:00z", 1790841600LL * NS);
	ok("2026-10-01 08:00:00Z", 1790841600LL * NS);
	ok("2026-10-01", 1790812800LL * NS);
	ok("2024-02-29T00:00:00Z", 1709164800LL * NS);
	ok("1790841600", 1790841600LL * NS);
	ok("1790841600123456789", 1790841600123456789LL);
	bad("");
	bad("2026-10-01T08:00:00");     /* no offset */
	bad("2026-13-01T00:00:00Z");
	bad("2025-02-29T00:00:00Z");
	bad("2026-10-01T24:00:00Z");
	bad("2026-10-01T08:00:00.Z");
	bad("2026-10-01T08:00:00.1234567891Z");
	bad("2026-10-01T08:00:00Zjunk");
	bad("yesterday");
	bad("-5");
	bad("99999999999999999999999");
	bad("1000-01-01T00:00:00Z");   /* outside int64 nanoseconds */
	bad("9999-12-31T23:59:59Z");
	bad("0000-01-01T00:00:00+23:59");
	ok("2262-04-11T00:00:00Z", 9223286400LL * NS);

	char buf[CTL_TIME_BUF];
	ctl_time_format(1790841600LL * NS + 5, buf);
	CHECK(strcmp(buf, "2026-10-01T08:00:00.000000005Z") == 0);
	ctl_time_format(-1, buf);
	CHECK(strcmp(buf, "1969-12-31T23:59:59.999999999Z") == 0);
	/* round trip over a range of days */
	for (int64_t d = -1000; d < 30000; d += 7) {
		int64_t t = d * 86400 * NS + 12345, back;
		ctl_time_format(t, buf);
		CHECK(ctl_time_parse(buf, &back) == 0 && back == t);
	}
	int64_t dur;
	CHECK(ctl_duration_parse("60d", &dur) == 0 && dur == 60 * 86400 * NS);
	CHECK(ctl_duration_parse("60", &dur) == 0 && dur == 60 * 86400 * NS);
	CHECK(ctl_duration_parse("12h", &dur) == 0 && dur == 12 * 3600 * NS);
	CHECK(ctl_duration_parse("90s", &dur) == 0 && dur == 90 * NS);
	CHECK(ctl_duration_parse("sixty", &dur) < 0);
	CHECK(ctl_duration_parse("5y", &dur) < 0);
	CHECK_DONE();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * control/worker.h: the store maintenance decisions of retaind --
 * ctl_clock_stepped (a forward step of the wall clock against the
 * monotonic clock stops sealing and expiry) and ctl_maint_backoff_ns (the
 * retry delay after consecutive seal failures).  Table-driven.
 */
#include <inttypes.h>
#include <stdio.h>

#include "worker.h"

static int failures;

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                               \
		}                                                                 \
	} while (0)

#define S 1000000000LL
/* 2026-10-05T00:00:00Z; the monotonic clock at the start: 1000 s */
#define WALL0 (1791158400LL * S)
#define MONO0 (1000LL * S)
#define BASE (WALL0 - MONO0)

struct step_case {
	const char *what;
	int64_t wall, mono;
	bool stepped;
};

static const struct step_case steps[] = {
	{"at the start", WALL0, MONO0, false},
	{"a day later, both clocks", WALL0 + 86400 * S, MONO0 + 86400 * S, false},
	{"NTP slew: 2 s ahead after a day", WALL0 + 86402 * S, MONO0 + 86400 * S, false},
	{"forward step of exactly 1 h", WALL0 + 3600 * S, MONO0, false},
	{"forward step of 1 h + 1 ns", WALL0 + 3600 * S + 1, MONO0, true},
	{"forward step of a year", WALL0 + 365 * 86400 * S, MONO0 + 10 * S, true},
	{"the step undone", WALL0 + 20 * S, MONO0 + 20 * S, false},
	{"backward step of a day", WALL0 - 86400 * S, MONO0 + 5 * S, false},
	{"backward then forward 2 h over the start", WALL0 + 2 * 3600 * S, MONO0 + S, true},
};

struct backoff_case {
	unsigned fails;
	int64_t want;
};

static const struct backoff_case backoffs[] = {
	{1, 60 * S},    {2, 120 * S},   {3, 240 * S},  {4, 480 * S},  {5, 960 * S},
	{6, 1920 * S},  {7, 3600 * S},  {8, 3600 * S}, {40, 3600 * S}, {100000, 3600 * S},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step_case *c = &steps[i];
		bool got = ctl_clock_stepped(BASE, c->wall, c->mono);
		if (got != c->stepped) {
			fprintf(stderr, "clock case '%s': stepped %d, want %d\n", c->what, got,
				c->stepped);
			failures++;
		}
	}
	for (size_t i = 0; i < sizeof(backoffs) / sizeof(backoffs[0]); i++) {
		int64_t got = ctl_maint_backoff_ns(backoffs[i].fails);
		if (got != backoffs[i].want) {
			fprintf(stderr, "backoff after %u failures: %" PRId64 " ns, want %" PRId64
					"\n",
				backoffs[i].fails, got, backoffs[i].want);
			failures++;
		}
	}
	/* monotone, never above the cap */
	for (unsigned n = 1; n < 64; n++) {
		CHECK(ctl_maint_backoff_ns(n + 1) >= ctl_maint_backoff_ns(n));
		CHECK(ctl_maint_backoff_ns(n) <= CTL_MAINT_RETRY_MAX_NS);
	}
	unsigned total = (unsigned)(sizeof(steps) / sizeof(steps[0]) +
				    sizeof(backoffs) / sizeof(backoffs[0]));
	printf("%u passed, %d failed\n", total, failures);
	return failures ? 1 : 0;
}

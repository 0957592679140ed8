/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tracker: a Stop sent again, unchanged, later than its Acct-Session-Time
 * is recognised as the Stop of the session already recorded (tracker.h),
 * across a restart (sessions read back from the store through
 * dp_tracker_remember_closed, in the order an ST_Q_ALL query gives them:
 * by day, then block order) and within one run.
 *
 * The case behind it (tests/cli/test_exhaustion.py): radclient retries
 * every Stop ever sent once retaind restarts after its LMDB map filled.
 * The retries carry no Acct-Delay-Time, so their event time is the capture
 * time of the retry: a Stop retried more than its Acct-Session-Time after
 * the first try claims a start after the stop of the session stored, and
 * was stored a second time (~800 of 35,000 sessions at map_mb = 12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "radius.h"
#include "tracker.h"

#define NS 1000000000LL
#define DAY (86400 * NS)
/* 23:59:00Z: the sessions of the 35,000-session cases cross a UTC
 * midnight, so that the store hands them over as two days */
#define T0 (1790035140LL * NS)

static unsigned long long emitted;

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	(void)s;
	emitted++;
	return 0;
}

static dp_tracker *fresh(void)
{
	dp_tracker *t;
	emitted = 0;
	if (dp_tracker_alloc(NULL, on_close, NULL, &t))
		abort();
	return t;
}

static struct dp_tracker_stats stats(const dp_tracker *t)
{
	struct dp_tracker_stats st;
	dp_tracker_get_stats(t, &st);
	return st;
}

static const uint8_t NAS[4] = {127, 0, 0, 1};

/* The Stop radclient sends for session i of the exhaustion test (the
 * strings live in caller buffers). */
static struct dp_acct_msg stop_msg(char *sid, char *acct, unsigned i, int64_t at,
				   uint32_t session_time)
{
	struct dp_acct_msg m;
	memset(&m, 0, sizeof(m));
	m.status = DP_ACCT_STOP;
	m.capture_ns = at;
	m.event_ns = at; /* no Event-Timestamp, no Acct-Delay-Time */
	m.nas.family = 4;
	memcpy(m.nas.a, NAS, 4);
	m.auth = RT_AUTH_VERIFIED;
	m.source = RT_SRC_RADIUS;
	m.session_id.p = sid;
	m.session_id.len = (uint8_t)sprintf(sid, "map-%u", i);
	m.account.p = acct;
	m.account.len = (uint8_t)sprintf(acct, "map%u-q7x0c2@isp", i);
	m.has_session_time = true;
	m.session_time = session_time;
	m.has_cause = true;
	m.cause = 1;
	return m;
}

static uint32_t len_of(unsigned i)
{
	return 60 + i % 1000; /* seconds, as in test_exhaustion.py */
}

/* Session i as the store hands it back: the Stop alone made it
 * [stop - Acct-Session-Time, stop]. */
static struct rt_session stored(unsigned i, int64_t stop)
{
	struct rt_session r;
	memset(&r, 0, sizeof(r));
	r.nas_ip.family = 4;
	memcpy(r.nas_ip.a, NAS, 4);
	r.sources = RT_SRC_RADIUS;
	r.auth = RT_AUTH_VERIFIED;
	r.session_id.len = (uint8_t)sprintf(r.session_id.v, "map-%u", i);
	r.account.len = (uint8_t)sprintf(r.account.v, "map%u-q7x0c2@isp", i);
	r.start_ns = stop - (int64_t)len_of(i) * NS;
	r.stop_ns = stop;
	r.stop_cause = 1;
	r.last_news_ns = RT_TIME_NONE;
	r.prev_news_ns = RT_TIME_NONE;
	return r;
}

/* ---- N sessions stored, then every Stop retried ---------------------------- */

struct retry_case {
	const char *name;
	unsigned n;
	int64_t every_ns;  /* between two first tries */
	int64_t late_ns;   /* the retries start this long after the last first try */
	bool restart;      /* the retries go to a new tracker fed from the store */
	bool reversed;     /* the store's blocks hand a day over newest first */
};

static const struct retry_case retry_cases[] = {
	/* map_mb = 1: the map filled after ~2,400 sessions, within a minute */
	{"restart-2400", 2400, 10 * NS / 1000, 2 * NS, true, false},
	/* map_mb = 12: ~35,000 sessions over several minutes; the first ones
	 * are retried long after their 60-1059 s Acct-Session-Time */
	{"restart-35000", 35000, 10 * NS / 1000, 30 * NS, true, false},
	{"restart-35000-late", 35000, 10 * NS / 1000, 3600 * NS, true, false},
	{"restart-35000-reversed", 35000, 10 * NS / 1000, 600 * NS, true, true},
	/* the same within one run (a NAS resending a Stop it got no answer
	 * for, from a new port and Identifier) */
	{"live-35000", 35000, 10 * NS / 1000, 600 * NS, false, false},
};

static int64_t first_try(const struct retry_case *rc, unsigned i)
{
	return T0 + (int64_t)i * rc->every_ns;
}

static void test_retry(const struct retry_case *rc)
{
	char sid[32], acct[64];
	dp_tracker *t = fresh();
	const int64_t last = first_try(rc, rc->n - 1);
	if (rc->restart) {
		/* ST_Q_ALL: by day, then block order */
		const int64_t midnight = (last / DAY) * DAY;
		for (int day = 0; day < 2; day++) {
			for (unsigned k = 0; k < rc->n; k++) {
				unsigned i = rc->reversed ? rc->n - 1 - k : k;
				int64_t stop = first_try(rc, i);
				if ((stop >= midnight) != (day == 1))
					continue;
				struct rt_session r = stored(i, stop);
				CHECK(dp_tracker_remember_closed(t, &r) == 0);
			}
		}
	} else {
		for (unsigned i = 0; i < rc->n; i++) {
			struct dp_acct_msg m = stop_msg(sid, acct, i, first_try(rc, i), len_of(i));
			CHECK(dp_tracker_acct(t, &m) == 0);
		}
		CHECK_EQ_I64(emitted, rc->n);
		emitted = 0;
	}
	struct dp_tracker_stats st0 = stats(t);
	unsigned long long again = 0;
	for (unsigned i = 0; i < rc->n; i++) {
		int64_t at = last + rc->late_ns + (int64_t)i * (NS / 1000);
		struct dp_acct_msg m = stop_msg(sid, acct, i, at, len_of(i));
		unsigned long long before = emitted;
		CHECK(dp_tracker_acct(t, &m) == 0);
		if (emitted != before && again++ < 3)
			fprintf(stderr, "[%s] %s stored again\n", rc->name, sid);
	}
	struct dp_tracker_stats st = stats(t);
	if (emitted || st.duplicates - st0.duplicates != rc->n)
		fprintf(stderr, "[%s] %llu of %u stored again, %llu duplicates\n", rc->name,
			emitted, rc->n, (unsigned long long)(st.duplicates - st0.duplicates));
	CHECK_EQ_I64(emitted, 0);
	CHECK_EQ_I64(st.duplicates - st0.duplicates, rc->n);
	CHECK_EQ_I64(st.closed, st0.closed);
	dp_tracker_free(t);
}

/* ---- one key: what is the same Stop again, and what is a new session ------- */

struct key_case {
	const char *name;
	bool restart;           /* remembered from the store, else closed live */
	bool with_start;        /* closed by Start + Stop, else by a Stop alone */
	int64_t len_ns;         /* of the session closed */
	int64_t late_ns;        /* the second Stop, after the first */
	int64_t st_delta_s;     /* its Acct-Session-Time minus the closed length */
	const char *account;    /* its User-Name ("" none) */
	bool no_session_time;   /* ... or it has no Acct-Session-Time */
	bool again;             /* the same Stop: ignored, else a new session */
};

#define ACCT "alice@isp.example"

static const struct key_case key_cases[] = {
	{"same-length-restart", true, false, 300 * NS, 3600 * NS, 0, ACCT, false, true},
	{"same-length-live", false, false, 300 * NS, 3600 * NS, 0, ACCT, false, true},
	{"no-user-name", true, false, 300 * NS, 3600 * NS, 0, "", false, true},
	{"within-2s", true, false, 300 * NS, 3600 * NS, 2, ACCT, false, true},
	{"within-2s-below", true, false, 300 * NS, 3600 * NS, -2, ACCT, false, true},
	/* a Start/Stop session: its Acct-Session-Time is whole seconds of a
	 * length the capture clock measured */
	{"start-stop-live", false, true, 300 * NS + 700 * NS / 1000, 1800 * NS, 0, ACCT, false,
	 true},
	{"start-stop-restart", true, true, 300 * NS + 700 * NS / 1000, 1800 * NS, 0, ACCT,
	 false, true},
	/* a late Stop within its session time: the rule of old */
	{"claims-start-before-stop", true, false, 300 * NS, 200 * NS, 50, "bob", false, true},
	/* Acct-Session-Id reused, the new session's Start unseen */
	{"other-length", true, false, 300 * NS, 3600 * NS, 3, ACCT, false, false},
	{"other-length-below", true, false, 300 * NS, 3600 * NS, -3, ACCT, false, false},
	{"other-account", true, false, 300 * NS, 3600 * NS, 0, "bob@isp.example", false, false},
	{"other-account-live", false, false, 300 * NS, 3600 * NS, 0, "bob@isp.example", false,
	 false},
	{"no-session-time", true, false, 300 * NS, 3600 * NS, 0, ACCT, true, false},
	/* forgotten after closed_keep_ns (2 days) */
	{"after-keep", true, false, 300 * NS, 3 * DAY, 0, ACCT, false, false},
};

static struct dp_acct_msg key_msg(uint32_t status, int64_t at, const char *account)
{
	struct dp_acct_msg m;
	memset(&m, 0, sizeof(m));
	m.status = status;
	m.capture_ns = at;
	m.event_ns = at;
	m.nas.family = 4;
	memcpy(m.nas.a, NAS, 4);
	m.auth = RT_AUTH_VERIFIED;
	m.source = RT_SRC_RADIUS;
	m.session_id.p = "s-1";
	m.session_id.len = 3;
	m.account.p = account;
	m.account.len = (uint8_t)strlen(account);
	return m;
}

static void test_key(const struct key_case *kc)
{
	dp_tracker *t = fresh();
	const int64_t start = T0, stop = T0 + kc->len_ns;
	const uint32_t st_s = (uint32_t)(kc->len_ns / NS); /* what the NAS counts */
	if (kc->restart) {
		struct rt_session r;
		memset(&r, 0, sizeof(r));
		r.nas_ip.family = 4;
		memcpy(r.nas_ip.a, NAS, 4);
		r.sources = RT_SRC_RADIUS;
		rt_text_set(&r.session_id, "s-1", 3);
		rt_text_set(&r.account, ACCT, (unsigned)strlen(ACCT));
		r.start_ns = start;
		r.stop_ns = stop;
		r.last_news_ns = RT_TIME_NONE;
		r.prev_news_ns = RT_TIME_NONE;
		CHECK(dp_tracker_remember_closed(t, &r) == 0);
	} else {
		if (kc->with_start) {
			struct dp_acct_msg m = key_msg(DP_ACCT_START, start, ACCT);
			CHECK(dp_tracker_acct(t, &m) == 0);
		}
		struct dp_acct_msg m = key_msg(DP_ACCT_STOP, stop, ACCT);
		m.has_session_time = true;
		m.session_time = st_s;
		CHECK(dp_tracker_acct(t, &m) == 0);
		CHECK_EQ_I64(emitted, 1);
		emitted = 0;
	}
	if (kc->restart)
		CHECK(dp_tracker_advance(t, stop) == 0); /* the clock starts */
	struct dp_acct_msg m = key_msg(DP_ACCT_STOP, stop + kc->late_ns, kc->account);
	m.has_session_time = !kc->no_session_time;
	m.session_time = (uint32_t)((int64_t)st_s + kc->st_delta_s);
	CHECK(dp_tracker_acct(t, &m) == 0);
	if ((emitted == 0) != kc->again) {
		fprintf(stderr, "[%s] %s, want %s\n", kc->name,
			emitted ? "a new session" : "ignored",
			kc->again ? "ignored" : "a new session");
		check_failures++;
	}
	dp_tracker_free(t);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(retry_cases) / sizeof(retry_cases[0]); i++)
		test_retry(&retry_cases[i]);
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++)
		test_key(&key_cases[i]);
	CHECK_DONE();
}
